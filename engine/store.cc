#include "engine/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/unique_fd.h"
#include "engine/sqlite_sink.h"

namespace forage::engine {
namespace {

constexpr size_t kFlushBytes = 1 << 20;

Status WriteAll(int fd, std::string_view bytes, const std::string& name) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) return Err(ErrorCode::kClosed, "output '{}' closed by its reader", name);
      return Err(ErrorCode::kIo, "write output '{}': {}", name, std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

// Buffered output to a file (via PATH.part, with its state) or to stdout.
class Output {
 public:
  // Opens the output; with a state, `*header_needed` says whether the file
  // is new (a resumed one already holds its header).
  static Result<Output> Open(const SinkOptions& o, std::vector<PageMark>* resumed,
                             bool* header_needed) {
    Output out;
    out.path_ = o.path;
    *header_needed = true;
    if (o.path == "-") {
      if (o.mode == ResumeMode::kResume) {
        return Err(ErrorCode::kInvalidArgument, "--resume needs an output file, not stdout");
      }
      out.fd_ = STDOUT_FILENO;
      return out;
    }
    out.part_ = o.path + ".part";
    std::string state_path = o.state_path.empty() ? o.path + ".state" : o.state_path;
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
    if (o.mode == ResumeMode::kResume) {
      auto state = StateStore::Open(state_path, o.fingerprint);
      if (!state) return state.error();
      out.state_ = std::move(*state);
      // An interrupted run published what it had; take it back.
      if (access(out.part_.c_str(), F_OK) != 0 && access(o.path.c_str(), F_OK) == 0) {
        std::rename(o.path.c_str(), out.part_.c_str());
      }
      // A run that died before its first checkpoint left no header either.
      *header_needed = out.state_->output_bytes() == 0;
      if (resumed != nullptr) *resumed = out.state_->pages();
    } else {
      // Checked before the output is touched: the partial output of an
      // unfinished run is not ours to truncate.
      if (o.mode == ResumeMode::kFresh && StateExists(state_path)) {
        return StateStore::Create(state_path, o.fingerprint, false).error();
      }
      flags |= O_TRUNC;
    }
    int fd = ::open(out.part_.c_str(), flags, 0644);
    if (fd < 0) {
      return Err(ErrorCode::kInvalidArgument, "open output '{}': {}", out.part_,
                 std::strerror(errno));
    }
    out.owned_.Reset(fd);
    out.fd_ = fd;
    if (!out.state_) {
      auto state = StateStore::Create(state_path, o.fingerprint, true);
      if (!state) return state.error();
      out.state_ = std::move(*state);
    }
    // Bytes past the last checkpoint belong to pages that will be fetched again.
    uint64_t keep = out.state_->output_bytes();
    if (o.mode == ResumeMode::kResume && ftruncate(fd, static_cast<off_t>(keep)) != 0) {
      return Err(ErrorCode::kIo, "truncate '{}': {}", out.part_, std::strerror(errno));
    }
    lseek(fd, 0, SEEK_END);
    out.written_ = keep;
    return out;
  }

  std::string& buffer() { return buf_; }

  Status MaybeFlush() { return buf_.size() >= kFlushBytes ? Flush() : OkStatus(); }

  Status Flush() {
    auto st = WriteAll(fd_, buf_, path_);
    written_ += buf_.size();
    buf_.clear();
    return st;
  }

  Status Checkpoint(const std::vector<PageMark>& pages) {
    if (auto st = Flush(); !st) return st;
    if (!state_) return OkStatus();
    // The bytes first, then the record of them: a crash in between leaves
    // bytes the state does not count, and a resumed run cuts them off.
    if (fdatasync(fd_) != 0) {
      return Err(ErrorCode::kIo, "sync output '{}': {}", part_, std::strerror(errno));
    }
    return state_->Save(pages, written_);
  }

  Status Publish(bool complete) {
    if (auto st = Flush(); !st) return st;
    if (part_.empty()) return OkStatus();
    owned_.Reset();
    if (std::rename(part_.c_str(), path_.c_str()) != 0) {
      return Err(ErrorCode::kIo, "rename '{}' to '{}': {}", part_, path_, std::strerror(errno));
    }
    if (complete && state_) return state_->Remove();
    return OkStatus();
  }

 private:
  std::string path_;
  std::string part_;
  UniqueFd owned_;
  int fd_ = -1;
  std::string buf_;
  uint64_t written_ = 0;  // bytes in the file, flushed
  std::unique_ptr<StateStore> state_;
};

parser::ValueFormat FormatOf(const std::vector<parser::ValueFormat>& formats, size_t i) {
  return i < formats.size() ? formats[i] : parser::ValueFormat::kString;
}

class CsvSink : public Sink {
 public:
  CsvSink(Output out, const std::vector<std::string>& fields,
          std::vector<parser::ValueFormat> formats, bool header)
      : out_(std::move(out)), formats_(std::move(formats)) {
    if (!header) return;
    std::string& b = out_.buffer();
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) b += ',';
      AppendCsvField(fields[i], &b);
    }
    b += "\r\n";
  }
  Status Write(const parser::Record& r, const PageTask&) override {
    std::string& b = out_.buffer();
    for (size_t i = 0; i < r.values.size(); ++i) {
      if (i > 0) b += ',';
      if (!r.values[i]) continue;
      if (FormatOf(formats_, i) == parser::ValueFormat::kList) {
        AppendCsvField(parser::JoinListItems(*r.values[i], ","), &b);
      } else {
        AppendCsvField(*r.values[i], &b);
      }
    }
    b += "\r\n";
    return out_.MaybeFlush();
  }
  Status Checkpoint(const std::vector<PageMark>& pages) override { return out_.Checkpoint(pages); }
  Status Finish(bool complete) override { return out_.Publish(complete); }

 private:
  Output out_;
  std::vector<parser::ValueFormat> formats_;
};

class JsonlSink : public Sink {
 public:
  JsonlSink(Output out, std::vector<std::string> fields, std::vector<parser::ValueFormat> formats)
      : out_(std::move(out)), names_(std::move(fields)), formats_(std::move(formats)) {}
  Status Write(const parser::Record& r, const PageTask&) override {
    AppendJsonRecord(r, names_, formats_, &out_.buffer());
    return out_.MaybeFlush();
  }
  Status Checkpoint(const std::vector<PageMark>& pages) override { return out_.Checkpoint(pages); }
  Status Finish(bool complete) override { return out_.Publish(complete); }

 private:
  Output out_;
  std::vector<std::string> names_;
  std::vector<parser::ValueFormat> formats_;
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

Result<SinkFormat> SinkFormatFor(std::string_view path) {
  if (path == "-" || EndsWith(path, ".jsonl") || EndsWith(path, ".ndjson")) {
    return SinkFormat::kJsonl;
  }
  if (EndsWith(path, ".csv")) return SinkFormat::kCsv;
  if (EndsWith(path, ".sqlite") || EndsWith(path, ".db")) return SinkFormat::kSqlite;
  return Err(ErrorCode::kInvalidArgument,
             "output '{}': unknown format (use a .csv, .jsonl or .sqlite path, or - for stdout)",
             path);
}

Result<std::unique_ptr<Sink>> OpenSink(const SinkOptions& o, std::vector<PageMark>* resumed) {
  auto format = SinkFormatFor(o.path);
  if (!format) return format.error();
  if (*format == SinkFormat::kSqlite) return OpenSqliteSink(o, resumed);
  bool header = true;
  auto out = Output::Open(o, resumed, &header);
  if (!out) return out.error();
  if (*format == SinkFormat::kCsv) {
    return std::unique_ptr<Sink>(new CsvSink(std::move(*out), o.field_names, o.formats, header));
  }
  return std::unique_ptr<Sink>(new JsonlSink(std::move(*out), o.field_names, o.formats));
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
