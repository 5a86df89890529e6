#include "engine/crawl_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

namespace forage::engine {
namespace {

constexpr std::string_view kMagic = "forage-crawl-journal 1 ";

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Err(ErrorCode::kIo, "write '{}': {}", path, std::strerror(errno));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

bool ParseNumber(std::string_view* line, uint64_t* out) {
  auto [end, ec] = std::from_chars(line->data(), line->data() + line->size(), *out);
  if (ec != std::errc() || end == line->data() + line->size() || *end != ' ') return false;
  line->remove_prefix(static_cast<size_t>(end - line->data()) + 1);
  return true;
}

}  // namespace

std::string CrawlJournalPath(const std::string& output, const std::string& state_path) {
  return (state_path.empty() ? output : state_path) + ".frontier";
}

Result<std::unique_ptr<CrawlJournal>> CrawlJournal::Create(const std::string& path,
                                                           const std::string& fingerprint) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return Err(ErrorCode::kIo, "create '{}': {}", path, std::strerror(errno));
  std::unique_ptr<CrawlJournal> j(new CrawlJournal(path, std::move(fd)));
  j->buffer_ = fmt::format("{}{}\n", kMagic, fingerprint);
  if (auto st = j->Sync(); !st) return st.error();
  return j;
}

Result<std::unique_ptr<CrawlJournal>> CrawlJournal::Resume(const std::string& path,
                                                           const std::string& fingerprint,
                                                           std::vector<FoundPage>* found) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) {
    return Err(ErrorCode::kInvalidArgument,
               "--resume: the crawl's journal '{}' cannot be opened ({}): without it the pages "
               "the crawl found are unknown; add --force to start over",
               path, std::strerror(errno));
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Err(ErrorCode::kIo, "read '{}': {}", path, std::strerror(errno));
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  const std::string header = fmt::format("{}{}\n", kMagic, fingerprint);
  if (text.compare(0, header.size(), header) != 0) {
    return Err(ErrorCode::kInvalidArgument,
               "--resume: '{}' is not the crawl journal of this job; add --force to start over",
               path);
  }
  // Whole lines only: a line cut by a crash mid-write is dropped (its page
  // was never marked: marks follow the journal's fdatasync).
  size_t valid = header.size();
  for (size_t at = header.size(); at < text.size();) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) break;
    std::string_view line(text.data() + at, nl - at);
    FoundPage p;
    uint64_t depth = 0;
    if (!ParseNumber(&line, &p.id) || !ParseNumber(&line, &p.root) ||
        !ParseNumber(&line, &depth) || !ParseNumber(&line, &p.number) || line.empty()) {
      return Err(ErrorCode::kInvalidArgument, "--resume: '{}' is damaged at byte {}", path, at);
    }
    p.depth = static_cast<uint16_t>(depth);
    p.url.assign(line);
    found->push_back(std::move(p));
    at = nl + 1;
    valid = at;
  }
  if (valid < text.size() && ::ftruncate(fd.get(), static_cast<off_t>(valid)) != 0) {
    return Err(ErrorCode::kIo, "truncate '{}': {}", path, std::strerror(errno));
  }
  if (::lseek(fd.get(), static_cast<off_t>(valid), SEEK_SET) < 0) {
    return Err(ErrorCode::kIo, "seek '{}': {}", path, std::strerror(errno));
  }
  return std::unique_ptr<CrawlJournal>(new CrawlJournal(path, std::move(fd)));
}

CrawlJournal::~CrawlJournal() = default;

void CrawlJournal::Add(const FoundPage& p) {
  fmt::format_to(std::back_inserter(buffer_), "{} {} {} {} {}\n", p.id, p.root, p.depth, p.number,
                 p.url);
}

Status CrawlJournal::Sync() {
  if (buffer_.empty()) return OkStatus();
  if (auto st = WriteAll(fd_.get(), buffer_, path_); !st) return st;
  buffer_.clear();
  if (::fdatasync(fd_.get()) != 0) {
    return Err(ErrorCode::kIo, "fdatasync '{}': {}", path_, std::strerror(errno));
  }
  return OkStatus();
}

Status CrawlJournal::Remove() {
  buffer_.clear();
  fd_.Reset();
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
    return Err(ErrorCode::kIo, "remove '{}': {}", path_, std::strerror(errno));
  }
  return OkStatus();
}

}  // namespace forage::engine
