#include "engine/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <utility>

namespace forage::engine {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  // Only out of memory can fail here; there is nothing sensible to go on with.
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) std::abort();
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

Sha256::Sha256(Sha256&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

Sha256& Sha256::operator=(Sha256&& other) noexcept {
  std::swap(ctx_, other.ctx_);
  return *this;
}

void Sha256::Update(std::string_view bytes) {
  if (EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) != 1) std::abort();
}

std::string Sha256::HexDigest() const {
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (copy == nullptr || EVP_MD_CTX_copy_ex(copy, ctx_) != 1 ||
      EVP_DigestFinal_ex(copy, digest, &n) != 1) {
    std::abort();
  }
  EVP_MD_CTX_free(copy);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace forage::engine
