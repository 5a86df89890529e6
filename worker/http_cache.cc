#include "worker/http_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "base/unique_fd.h"
#include "worker/wire.h"

namespace forage::worker {
namespace {

constexpr std::string_view kMagic = "FGCACHE1";
constexpr size_t kDigestBytes = 32;
constexpr size_t kHeaderBytes = 8 + 8 + kDigestBytes;
constexpr std::string_view kTempPrefix = ".tmp.";
// A writer takes milliseconds; a temp file this old was left by a killed one.
constexpr int64_t kStaleTempSeconds = 3600;

std::string Digest(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), n);
}

bool IsKey(std::string_view name) {
  return name.size() == 64 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

std::string EncodeEntry(const CacheEntry& e) {
  std::string payload;
  WireWriter w(&payload);
  w.U32(static_cast<uint32_t>(e.status));
  w.U64(static_cast<uint64_t>(e.stored_at));
  w.Str(e.url);
  w.Str(e.effective_url);
  w.Str(e.content_type);
  w.Str(e.etag);
  w.Str(e.last_modified);
  w.U64(e.body.size());
  payload += e.body;
  std::string file;
  file.reserve(kHeaderBytes + payload.size());
  file += kMagic;
  WireWriter h(&file);
  h.U64(payload.size());
  file += Digest(payload);
  file += payload;
  return file;
}

std::optional<CacheEntry> DecodeEntry(std::string_view file) {
  if (file.size() < kHeaderBytes || file.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  WireReader h(file.substr(kMagic.size(), 8));
  const uint64_t length = h.U64();
  std::string_view payload = file.substr(kHeaderBytes);
  if (!h.ok() || payload.size() != length) return std::nullopt;
  if (file.substr(16, kDigestBytes) != Digest(payload)) return std::nullopt;
  WireReader r(payload);
  CacheEntry e;
  e.status = static_cast<long>(r.U32());
  e.stored_at = static_cast<int64_t>(r.U64());
  e.url = r.Str();
  e.effective_url = r.Str();
  e.content_type = r.Str();
  e.etag = r.Str();
  e.last_modified = r.Str();
  const uint64_t body = r.U64();
  if (!r.ok() || r.remaining() != body) return std::nullopt;
  e.body = std::string(payload.substr(payload.size() - body));
  return e;
}

Result<HttpCache> HttpCache::Open(std::string dir) {
  if (dir.empty()) return Err(ErrorCode::kInvalidArgument, "--cache: empty directory name");
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Err(ErrorCode::kIo, "--cache '{}': {}", dir, std::strerror(errno));
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return Err(ErrorCode::kIo, "--cache '{}': {}", dir, std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) return Err(ErrorCode::kIo, "--cache '{}': not a directory", dir);
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return Err(ErrorCode::kIo, "--cache '{}': {}", dir, std::strerror(errno));
  }
  return HttpCache(std::move(dir));
}

std::string HttpCache::Key(std::string_view method, std::string_view url, std::string_view body) {
  std::string input;
  input.reserve(method.size() + url.size() + body.size() + 8);
  input += method.empty() ? std::string_view("GET") : method;
  input += '\0';
  input += url;
  input += '\0';
  input += body;
  input += '\0';
  std::string md = Digest(input);
  std::string hex;
  hex.reserve(64);
  for (unsigned char c : md) hex += fmt::format("{:02x}", c);
  return hex;
}

std::string HttpCache::PathOf(const std::string& key) const { return dir_ + "/" + key; }

bool HttpCache::Has(const std::string& key) const {
  struct stat st {};
  return ::stat(PathOf(key).c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         static_cast<size_t>(st.st_size) > kHeaderBytes;
}

std::optional<CacheEntry> HttpCache::Load(const std::string& key) {
  UniqueFd fd(::open(PathOf(key).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = ::read(fd.get(), bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  bytes.resize(got);
  std::optional<CacheEntry> e = DecodeEntry(bytes);
  if (!e) ++corrupt_;
  return e;
}

Status HttpCache::Store(const std::string& key, const CacheEntry& entry) {
  const std::string temp = fmt::format("{}/{}{}.{}.{}", dir_, kTempPrefix, key,
                                       static_cast<long>(::getpid()), ++temp_counter_);
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return Err(ErrorCode::kIo, "cache '{}': {}", temp, std::strerror(errno));
  const bool written = WriteAll(fd.get(), EncodeEntry(entry));
  const int saved = errno;
  const bool closed = ::close(fd.Release()) == 0;
  if (!written || !closed) {
    ::unlink(temp.c_str());
    return Err(ErrorCode::kIo, "cache '{}': {}", temp, std::strerror(written ? errno : saved));
  }
  if (::rename(temp.c_str(), PathOf(key).c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return Err(ErrorCode::kIo, "cache '{}': {}", PathOf(key), std::strerror(err));
  }
  return OkStatus();
}

EvictResult HttpCache::Evict(uint64_t max_bytes) const {
  EvictResult result;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir_.c_str()), ::closedir);
  if (!d) return result;
  struct File {
    int64_t mtime_ns;
    std::string name;
    uint64_t bytes;
  };
  std::vector<File> files;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  while (dirent* ent = ::readdir(d.get())) {
    std::string_view name = ent->d_name;
    const bool temp = name.substr(0, kTempPrefix.size()) == kTempPrefix;
    if (!temp && !IsKey(name)) continue;  // not ours: left alone
    struct stat st {};
    const std::string path = dir_ + "/" + std::string(name);
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (temp) {
      if (now - static_cast<int64_t>(st.st_mtime) > kStaleTempSeconds &&
          ::unlink(path.c_str()) == 0) {
        ++result.removed;
      }
      continue;
    }
    files.push_back(File{static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                             st.st_mtim.tv_nsec,
                         std::string(name), static_cast<uint64_t>(st.st_size)});
    result.bytes += static_cast<uint64_t>(st.st_size);
  }
  result.entries = files.size();
  if (max_bytes == 0 || result.bytes <= max_bytes) return result;
  std::sort(files.begin(), files.end(), [](const File& a, const File& b) {
    return std::tie(a.mtime_ns, a.name) < std::tie(b.mtime_ns, b.name);
  });
  for (const File& f : files) {
    if (result.bytes <= max_bytes) break;
    // Gone already (another process evicted it): it no longer counts either.
    if (::unlink((dir_ + "/" + f.name).c_str()) == 0) ++result.removed;
    result.bytes -= f.bytes;
    --result.entries;
  }
  return result;
}

}  // namespace forage::worker
