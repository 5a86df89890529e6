#include "engine/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "base/unique_fd.h"
#include "engine/sha256.h"
#include "engine/sqlite_sink.h"

namespace forage::engine {
namespace {

constexpr size_t kFlushBytes = 1 << 20;

// "No space left on device (ENOSPC)": what happened and which errno it was.
std::string ErrnoText(int e) {
  const char* name = strerrorname_np(e);
  return fmt::format("{} ({})", std::strerror(e), name != nullptr ? name : std::to_string(e));
}

Status WriteAll(int fd, std::string_view bytes, const std::string& name) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) return Err(ErrorCode::kClosed, "output '{}' closed by its reader", name);
      return Err(ErrorCode::kIo, "write output '{}': {}", name, ErrnoText(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

Status Rename(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    return Err(ErrorCode::kIo, "rename '{}' to '{}': {}", from, to, ErrnoText(errno));
  }
  return OkStatus();
}

// Makes a rename in the directory of `path` durable.
Status SyncDirOf(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) parent = std::filesystem::path(".");
  const std::string dir = parent.string();
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Err(ErrorCode::kIo, "open directory '{}': {}", dir, ErrnoText(errno));
  // Some file systems cannot sync a directory (EINVAL); they have nothing to sync.
  if (fsync(fd.get()) != 0 && errno != EINVAL) {
    return Err(ErrorCode::kIo, "sync directory '{}': {}", dir, ErrnoText(errno));
  }
  if (::close(fd.Release()) != 0) {
    return Err(ErrorCode::kIo, "close directory '{}': {}", dir, ErrnoText(errno));
  }
  return OkStatus();
}

// The name a state records for its output: absolute, so a state can tell
// its own output from another file of the same name elsewhere.
std::string Identity(const std::string& path) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(path, ec);
  return ec ? path : abs.lexically_normal().string();
}

// Feeds bytes [from, to) of `fd` to `hash`; false if the file ends first.
Result<bool> HashRange(int fd, uint64_t from, uint64_t to, Sha256* hash, const std::string& name) {
  std::string buf(1 << 20, '\0');
  while (from < to) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), to - from));
    ssize_t n = pread(fd, buf.data(), want, static_cast<off_t>(from));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Err(ErrorCode::kIo, "read '{}': {}", name, ErrnoText(errno));
    if (n == 0) return false;
    hash->Update(std::string_view(buf.data(), static_cast<size_t>(n)));
    from += static_cast<uint64_t>(n);
  }
  return true;
}

constexpr const char* kStartOver = "nothing was changed; use --force to start over";

// Buffered output to a file (via PATH.part, with its state) or to stdout.
class Output {
 public:
  // Opens the output. `header` goes first into a file that starts empty
  // (a CSV header; empty for JSONL).
  static Result<Output> Open(const SinkOptions& o, const std::string& header,
                             std::vector<PageMark>* resumed) {
    Output out;
    out.path_ = o.path;
    out.name_ = o.path;
    if (o.path == "-") {
      if (o.mode == ResumeMode::kResume) {
        return Err(ErrorCode::kInvalidArgument, "--resume needs an output file, not stdout");
      }
      out.fd_ = STDOUT_FILENO;
      out.buf_ = header;
      out.base_ = header.size();
      return out;
    }
    struct stat st {};
    const bool exists = ::stat(o.path.c_str(), &st) == 0;
    if (exists && !S_ISREG(st.st_mode)) {
      // A device or a pipe (/dev/stdout, a FIFO): written as it is, not an
      // output to keep or resume.
      if (o.mode == ResumeMode::kResume) {
        return Err(ErrorCode::kInvalidArgument, "--resume needs a regular file; '{}' is not one",
                   o.path);
      }
      out.owned_.Reset(::open(o.path.c_str(), O_WRONLY | O_CLOEXEC));
      if (!out.owned_.valid()) {
        return Err(ErrorCode::kInvalidArgument, "open output '{}': {}", o.path,
                   ErrnoText(errno));
      }
      out.fd_ = out.owned_.get();
      out.buf_ = header;
      out.base_ = header.size();
      return out;
    }
    out.part_ = o.path + ".part";
    out.name_ = out.part_;
    out.overwrite_ = o.overwrite;
    const std::string state_path = o.state_path.empty() ? o.path + ".state" : o.state_path;
    Status started = o.mode == ResumeMode::kResume
                         ? out.Resume(o, state_path, resumed, header)
                         : out.Start(o, state_path, header, exists);
    if (!started) return started.error();
    return out;
  }

  std::string& buffer() { return buf_; }
  // Records were written after the header (by this run or, resumed, an earlier one).
  bool has_records() const { return written_ + buf_.size() > base_; }

  Status MaybeFlush() { return buf_.size() >= kFlushBytes ? Flush() : OkStatus(); }

  Status Flush() {
    if (broken_) return Broken();
    if (auto st = WriteAll(fd_, buf_, name_); !st) {
      broken_ = true;
      broken_code_ = st.error().code;  // kClosed: the reader went away
      return st;
    }
    hash_.Update(buf_);
    written_ += buf_.size();
    buf_.clear();
    return OkStatus();
  }

  Status Checkpoint(const std::vector<PageMark>& pages) {
    if (auto st = Flush(); !st) return st;
    if (!state_) return OkStatus();
    // The bytes first, then the record of them: a crash in between leaves
    // bytes the state does not count, and a resumed run cuts them off.
    if (fdatasync(fd_) != 0) {
      broken_ = true;
      return Err(ErrorCode::kIo, "sync output '{}': {}", part_, ErrnoText(errno));
    }
    auto st = state_->Save(pages, written_, hash_.HexDigest());
    if (!st) broken_ = true;
    return st;
  }

  // `trailer` ends the file (a JSON array's "]"); it is not a record.
  Status Publish(bool complete, std::string_view trailer = {}) {
    // After a write error the output stays PATH.part with its state, and
    // --resume cuts the file back to its checkpoint.
    if (broken_) return Broken();
    const bool no_records = written_ + buf_.size() == base_;
    buf_ += trailer;
    if (auto st = Flush(); !st) return st;
    if (part_.empty()) return CloseOwned();
    if (fdatasync(fd_) != 0) {
      broken_ = true;
      return Err(ErrorCode::kIo, "sync output '{}': {}", part_, ErrnoText(errno));
    }
    if (auto st = CloseOwned(); !st) return st;
    if (overwrite_ && no_records && Exists(path_)) {
      // Not one record stored (the site was down?): the old output stays.
      if (!complete) return OkStatus();  // PATH.part and the state wait for --resume
      if (unlink(part_.c_str()) != 0) {
        return Err(ErrorCode::kIo, "remove '{}': {}", part_, ErrnoText(errno));
      }
      return state_ ? state_->Remove() : OkStatus();
    }
    if (auto st = Rename(part_, path_); !st) return st;
    if (auto st = SyncDirOf(path_); !st) return st;
    if (complete && state_) return state_->Remove();
    return OkStatus();
  }

 private:
  Error Broken() const {
    if (broken_code_ == ErrorCode::kClosed) {
      return Err(ErrorCode::kClosed, "output '{}' closed by its reader", name_);
    }
    return Err(ErrorCode::kIo, "output '{}' failed earlier; nothing more is written", name_);
  }

  Status CloseOwned() {
    if (!owned_.valid()) return OkStatus();
    fd_ = -1;
    if (::close(owned_.Release()) != 0) {
      broken_ = true;
      return Err(ErrorCode::kIo, "close output '{}': {}", name_, ErrnoText(errno));
    }
    return OkStatus();
  }

  // A new run (fresh, or --force over an unfinished one). Every check comes
  // before the first change.
  Status Start(const SinkOptions& o, const std::string& state_path, const std::string& header,
               bool exists) {
    const std::string identity = Identity(o.path);
    bool ours = false;  // PATH is the partial output of the run --force drops
    if (StateExists(state_path)) {
      if (o.mode == ResumeMode::kFresh) {
        return Err(ErrorCode::kInvalidArgument,
                   "state '{}' exists: an earlier run of this job did not finish; add --resume "
                   "to continue it, or --force to start over",
                   state_path);
      }
      auto snap = StateStore::Read(state_path);
      ours = snap && snap->meta.output == identity && !snap->meta.append;
    }
    if (exists && !o.overwrite && !o.append && !ours) {
      return Err(ErrorCode::kInvalidArgument,
                 "output '{}' exists; add --overwrite to replace it, or --append to add the "
                 "records after its own",
                 o.path);
    }
    const bool append = o.append && exists;
    uint64_t size = 0;
    if (append) {
      auto appendable = CheckAppendable(o.path, header);
      if (!appendable) return appendable.error();
      size = *appendable;
    } else {
      owned_.Reset(::open(part_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      if (!owned_.valid()) {
        return Err(ErrorCode::kInvalidArgument, "open output '{}': {}", part_, ErrnoText(errno));
      }
    }
    written_ = size;
    if (size == 0) buf_ = header;
    base_ = size + buf_.size();
    // With --append the state comes before the file is taken over (renamed to
    // PATH.part): a crash in between leaves a run --resume continues, never
    // the user's file under PATH.part with nothing that says whose it is.
    StateMeta meta{o.fingerprint, identity, append, base_, written_, written_, hash_.HexDigest()};
    auto state = StateStore::Create(state_path, meta, /*overwrite=*/true);
    if (!state) return state.error();
    state_ = std::move(*state);
    if (append) {
      if (auto st = Rename(o.path, part_); !st) return st;
      owned_.Reset(::open(part_.c_str(), O_WRONLY | O_CLOEXEC));
      if (!owned_.valid()) {
        return Err(ErrorCode::kIo, "open output '{}': {}", part_, ErrnoText(errno));
      }
      if (lseek(owned_.get(), static_cast<off_t>(size), SEEK_SET) < 0) {
        return Err(ErrorCode::kIo, "seek '{}': {}", part_, ErrnoText(errno));
      }
    }
    fd_ = owned_.get();
    return OkStatus();
  }

  // --append: the file must end with a whole line, and a CSV must begin
  // with this job's header (else the columns would not match).
  // Returns the file's size.
  static Result<uint64_t> CheckAppendable(const std::string& path, const std::string& header) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      return Err(ErrorCode::kInvalidArgument, "open output '{}': {}", path, ErrnoText(errno));
    }
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) {
      return Err(ErrorCode::kIo, "stat '{}': {}", path, ErrnoText(errno));
    }
    if (st.st_size == 0) return uint64_t{0};
    char last = 0;
    if (pread(fd.get(), &last, 1, st.st_size - 1) != 1 || last != '\n') {
      return Err(ErrorCode::kInvalidArgument,
                 "--append: '{}' does not end with a line end (its last record is cut off)",
                 path);
    }
    std::string head(header.size(), '\0');
    if (!header.empty() &&
        (pread(fd.get(), head.data(), head.size(), 0) != static_cast<ssize_t>(head.size()) ||
         head != header)) {
      return Err(ErrorCode::kInvalidArgument,
                 "--append: '{}' does not begin with this job's header ({})", path,
                 header.substr(0, header.size() - 2));
    }
    return static_cast<uint64_t>(st.st_size);
  }

  // --resume: the state must be this job's and this output's, and the
  // output must hold exactly the bytes the state recorded. Every check
  // comes before the first change.
  Status Resume(const SinkOptions& o, const std::string& state_path,
                std::vector<PageMark>* resumed, const std::string& header) {
    auto snap = StateStore::Read(state_path);
    if (!snap) return snap.error();
    const StateMeta& m = snap->meta;
    if (m.fingerprint != o.fingerprint) {
      return Err(ErrorCode::kInvalidArgument,
                 "state '{}' belongs to a different job (other pages, fields or order); {}",
                 state_path, kStartOver);
    }
    const std::string identity = Identity(o.path);
    if (m.output != identity) {
      return Err(ErrorCode::kInvalidArgument,
                 "state '{}' is the state of the output '{}', not of '{}'; nothing was changed",
                 state_path, m.output, identity);
    }
    // Where the earlier run left its output: PATH.part, or PATH once published.
    const std::string source = Exists(part_) ? part_ : o.path;
    UniqueFd fd(::open(source.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT) {
        return Err(ErrorCode::kInvalidArgument,
                   "--resume: the output is gone (neither '{}' nor '{}' exists), so the state "
                   "'{}' cannot be resumed; {}",
                   o.path, part_, state_path, kStartOver);
      }
      return Err(ErrorCode::kInvalidArgument, "open output '{}': {}", source, ErrnoText(errno));
    }
    Sha256 hash;
    auto whole = HashRange(fd.get(), m.hash_from, m.bytes, &hash, source);
    if (!whole) return whole.error();
    if (!*whole) {
      return Err(ErrorCode::kInvalidArgument,
                 "--resume: '{}' is shorter than the {} bytes the state '{}' recorded: it was "
                 "changed after the run stopped; {}",
                 source, m.bytes, state_path, kStartOver);
    }
    if (hash.HexDigest() != m.hash) {
      return Err(ErrorCode::kInvalidArgument,
                 "--resume: the first {} bytes of '{}' are not those the state '{}' recorded: "
                 "it was changed after the run stopped; {}",
                 m.bytes, source, state_path, kStartOver);
    }
    // Checked. From here on the output and its state are ours to change.
    if (source != part_) {
      if (auto st = Rename(source, part_); !st) return st;
    }
    // Bytes past the last checkpoint belong to pages that will be fetched again.
    if (ftruncate(fd.get(), static_cast<off_t>(m.bytes)) != 0) {
      return Err(ErrorCode::kIo, "truncate '{}': {}", part_, ErrnoText(errno));
    }
    if (lseek(fd.get(), static_cast<off_t>(m.bytes), SEEK_SET) < 0) {
      return Err(ErrorCode::kIo, "seek '{}': {}", part_, ErrnoText(errno));
    }
    auto state = StateStore::Open(state_path, m);
    if (!state) return state.error();
    state_ = std::move(*state);
    owned_ = std::move(fd);
    fd_ = owned_.get();
    hash_ = std::move(hash);
    written_ = m.bytes;
    base_ = m.base;
    // A run that died before its first checkpoint left no header either.
    if (written_ == 0) buf_ = header;
    // The run that started this output was allowed to replace what PATH holds.
    overwrite_ = true;
    if (resumed != nullptr) *resumed = snap->pages;
    return OkStatus();
  }

  std::string path_;
  std::string part_;
  std::string name_;  // what messages call the file written: PATH.part, PATH or "-"
  UniqueFd owned_;
  int fd_ = -1;
  std::string buf_;
  uint64_t written_ = 0;  // bytes in the file, flushed
  uint64_t base_ = 0;     // bytes before the first record
  bool overwrite_ = false;
  bool broken_ = false;  // a write, sync or close failed: nothing more, no publishing
  ErrorCode broken_code_ = ErrorCode::kIo;
  Sha256 hash_;          // of the bytes from the state's hash_from on
  std::unique_ptr<StateStore> state_;
};

parser::ValueFormat FormatOf(const std::vector<parser::ValueFormat>& formats, size_t i) {
  return i < formats.size() ? formats[i] : parser::ValueFormat::kString;
}

class CsvSink : public Sink {
 public:
  CsvSink(Output out, std::vector<parser::ValueFormat> formats, size_t fields, bool with_source)
      : out_(std::move(out)), formats_(std::move(formats)), fields_(fields),
        with_source_(with_source) {}
  Status Write(const parser::Record& r, const PageTask& page) override {
    std::string& b = out_.buffer();
    const size_t n = with_source_ ? fields_ : r.values.size();
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) b += ',';
      if (i >= r.values.size() || !r.values[i]) continue;
      if (FormatOf(formats_, i) == parser::ValueFormat::kList) {
        AppendCsvField(parser::JoinListItems(*r.values[i], ","), &b);
      } else if (FormatOf(formats_, i) == parser::ValueFormat::kJson) {
        AppendCsvField(parser::ParseJsonCell(*r.values[i]).text, &b);  // a string unquoted
      } else {
        AppendCsvField(*r.values[i], &b);
      }
    }
    if (with_source_) {
      b += ',';
      AppendCsvField(page.url, &b);
      b += ',';
      b += std::to_string(page.page_number);
    }
    b += "\r\n";
    return out_.MaybeFlush();
  }
  Status Checkpoint(const std::vector<PageMark>& pages) override { return out_.Checkpoint(pages); }
  Status Finish(bool complete) override { return out_.Publish(complete); }

 private:
  Output out_;
  std::vector<parser::ValueFormat> formats_;
  size_t fields_;
  bool with_source_;
};

// One JSON object: the record, then (--with-source) where it came from.
void AppendJsonObject(const parser::Record& r, const std::vector<std::string>& names,
                      const std::vector<parser::ValueFormat>& formats, const PageTask* source,
                      std::string* out) {
  AppendJsonRecord(r, names, formats, out);
  out->pop_back();  // the '\n'
  if (source != nullptr) {
    out->pop_back();
    if (!names.empty() && !r.values.empty()) *out += ',';
    *out += "\"page_url\":";
    parser::AppendJsonString(source->url, out);
    *out += ",\"page_number\":";
    *out += std::to_string(source->page_number);
    *out += '}';
  }
}

class JsonlSink : public Sink {
 public:
  JsonlSink(Output out, std::vector<std::string> fields, std::vector<parser::ValueFormat> formats,
            bool with_source)
      : out_(std::move(out)), names_(std::move(fields)), formats_(std::move(formats)),
        with_source_(with_source) {}
  Status Write(const parser::Record& r, const PageTask& page) override {
    AppendJsonObject(r, names_, formats_, with_source_ ? &page : nullptr, &out_.buffer());
    out_.buffer() += '\n';
    return out_.MaybeFlush();
  }
  Status Checkpoint(const std::vector<PageMark>& pages) override { return out_.Checkpoint(pages); }
  Status Finish(bool complete) override { return out_.Publish(complete); }

 private:
  Output out_;
  std::vector<std::string> names_;
  std::vector<parser::ValueFormat> formats_;
  bool with_source_;
};

// .json: one array, "[\n" first, records one a line separated by ",\n",
// closed by "\n]\n" in Finish. A checkpoint never covers the closing
// bracket (it is written after the last one), so --resume cuts it off with
// the other bytes past the checkpoint and goes on adding records; an
// interrupted run's output is a closed, valid array all the same.
class JsonArraySink : public Sink {
 public:
  JsonArraySink(Output out, std::vector<std::string> fields,
                std::vector<parser::ValueFormat> formats, bool with_source)
      : out_(std::move(out)), names_(std::move(fields)), formats_(std::move(formats)),
        with_source_(with_source), first_(!out_.has_records()) {}
  Status Write(const parser::Record& r, const PageTask& page) override {
    if (!first_) out_.buffer() += ",\n";
    first_ = false;
    AppendJsonObject(r, names_, formats_, with_source_ ? &page : nullptr, &out_.buffer());
    return out_.MaybeFlush();
  }
  Status Checkpoint(const std::vector<PageMark>& pages) override { return out_.Checkpoint(pages); }
  Status Finish(bool complete) override { return out_.Publish(complete, first_ ? "]\n" : "\n]\n"); }

 private:
  Output out_;
  std::vector<std::string> names_;
  std::vector<parser::ValueFormat> formats_;
  bool with_source_;
  bool first_;
};

class NullSink : public Sink {
 public:
  Status Write(const parser::Record&, const PageTask&) override { return OkStatus(); }
  Status Checkpoint(const std::vector<PageMark>&) override { return OkStatus(); }
  Status Finish(bool) override { return OkStatus(); }
};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

Result<SinkFormat> SinkFormatFor(std::string_view path, std::string_view format) {
  if (!format.empty()) {
    if (format == "csv") return SinkFormat::kCsv;
    if (format == "jsonl") return SinkFormat::kJsonl;
    if (format == "json") return SinkFormat::kJson;
    if (format == "sqlite") return SinkFormat::kSqlite;
    return Err(ErrorCode::kInvalidArgument,
               "--format '{}': expected csv, jsonl, json or sqlite", format);
  }
  std::string lower(path);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "-" || EndsWith(lower, ".jsonl") || EndsWith(lower, ".ndjson")) {
    return SinkFormat::kJsonl;
  }
  if (EndsWith(lower, ".json")) return SinkFormat::kJson;
  if (EndsWith(lower, ".csv")) return SinkFormat::kCsv;
  if (EndsWith(lower, ".sqlite") || EndsWith(lower, ".db")) return SinkFormat::kSqlite;
  // /dev/null, /dev/stdout, a FIFO: records stream through as JSONL.
  struct stat st {};
  if (::stat(std::string(path).c_str(), &st) == 0 && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
    return SinkFormat::kJsonl;
  }
  return Err(ErrorCode::kInvalidArgument,
             "output '{}': unknown format (use a .csv, .jsonl, .json or .sqlite path, - for "
             "stdout, or --format csv|jsonl|json|sqlite)",
             path);
}

const char* SinkFormatName(SinkFormat format) {
  switch (format) {
    case SinkFormat::kCsv: return "csv";
    case SinkFormat::kJsonl: return "jsonl";
    case SinkFormat::kJson: return "json";
    case SinkFormat::kSqlite: return "sqlite";
  }
  return "";
}

Result<std::unique_ptr<Sink>> OpenSink(const SinkOptions& o, std::vector<PageMark>* resumed) {
  auto format = SinkFormatFor(o.path, o.format);
  if (!format) return format.error();
  if (o.overwrite && o.append) {
    return Err(ErrorCode::kInvalidArgument, "--overwrite and --append exclude each other");
  }
  if (*format == SinkFormat::kSqlite) {
    struct stat st {};
    if (o.path == "-" || (::stat(o.path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))) {
      return Err(ErrorCode::kInvalidArgument,
                 "output '{}': SQLite needs a regular file (a database), not stdout or a device",
                 o.path);
    }
    return OpenSqliteSink(o, resumed);
  }
  if (*format == SinkFormat::kJson && o.append) {
    return Err(ErrorCode::kInvalidArgument,
               "--append cannot add records to a JSON array ('{}'); use a .jsonl output", o.path);
  }
  std::string header;
  if (*format == SinkFormat::kCsv) {
    for (size_t i = 0; i < o.field_names.size(); ++i) {
      if (i > 0) header += ',';
      AppendCsvField(o.field_names[i], &header);
    }
    if (o.with_source) header += o.field_names.empty() ? "page_url,page_number" : ",page_url,page_number";
    header += "\r\n";
  } else if (*format == SinkFormat::kJson) {
    header = "[\n";
  }
  auto out = Output::Open(o, header, resumed);
  if (!out) return out.error();
  switch (*format) {
    case SinkFormat::kCsv:
      return std::unique_ptr<Sink>(
          new CsvSink(std::move(*out), o.formats, o.field_names.size(), o.with_source));
    case SinkFormat::kJson:
      return std::unique_ptr<Sink>(
          new JsonArraySink(std::move(*out), o.field_names, o.formats, o.with_source));
    default:
      return std::unique_ptr<Sink>(
          new JsonlSink(std::move(*out), o.field_names, o.formats, o.with_source));
  }
}

std::unique_ptr<Sink> DiscardSink() { return std::make_unique<NullSink>(); }

void AppendJsonRecord(const parser::Record& r, const std::vector<std::string>& names,
                      const std::vector<parser::ValueFormat>& formats, std::string* out) {
  std::string& b = *out;
  b += '{';
  for (size_t i = 0; i < r.values.size() && i < names.size(); ++i) {
    if (i > 0) b += ',';
    parser::AppendJsonString(names[i], &b);
    b += ':';
    if (!r.values[i]) {
      b += "null";
    } else if (FormatOf(formats, i) == parser::ValueFormat::kString) {
      parser::AppendJsonString(*r.values[i], &b);
    } else {
      b += *r.values[i];  // a number, or a JSON array, as the parser wrote it
    }
  }
  b += "}\n";
}

void AppendCsvField(std::string_view v, std::string* out) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(v);
    return;
  }
  out->push_back('"');
  for (char c : v) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace forage::engine
