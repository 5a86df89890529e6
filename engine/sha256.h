#pragma once
// Sha256: an incremental SHA-256 (OpenSSL's EVP) whose digest can be taken
// at any point while more bytes follow. The file sinks hash what they write,
// so a state can say which bytes its output holds. Master-only.

#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace forage::engine {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&& other) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  // The digest of everything so far, as 64 hex digits; more may follow.
  std::string HexDigest() const;

 private:
  evp_md_ctx_st* ctx_;
};

}  // namespace forage::engine
