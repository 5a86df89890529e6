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
      return Err(ErrorCode::kIo, "write output '{}': {}", name, std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

// Buffered output to a file (via PATH.part) or to stdout.
class Output {
 public:
  static Result<Output> Open(const std::string& path) {
    Output out;
    out.path_ = path;
    if (path == "-") {
      out.fd_ = STDOUT_FILENO;
      return out;
    }
    out.part_ = path + ".part";
    int fd = ::open(out.part_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      return Err(ErrorCode::kInvalidArgument, "open output '{}': {}", out.part_,
                 std::strerror(errno));
    }
    out.owned_.Reset(fd);
    out.fd_ = fd;
    return out;
  }

  std::string& buffer() { return buf_; }

  Status MaybeFlush() { return buf_.size() >= kFlushBytes ? Flush() : OkStatus(); }

  Status Flush() {
    auto st = WriteAll(fd_, buf_, path_);
    buf_.clear();
    return st;
  }

  Status Publish() {
    if (auto st = Flush(); !st) return st;
    if (part_.empty()) return OkStatus();
    owned_.Reset();
    if (std::rename(part_.c_str(), path_.c_str()) != 0) {
      return Err(ErrorCode::kIo, "rename '{}' to '{}': {}", part_, path_, std::strerror(errno));
    }
    return OkStatus();
  }

 private:
  std::string path_;
  std::string part_;
  UniqueFd owned_;
  int fd_ = -1;
  std::string buf_;
};

class CsvSink : public Sink {
 public:
  CsvSink(Output out, const std::vector<std::string>& fields) : out_(std::move(out)) {
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
      if (r.values[i]) AppendCsvField(*r.values[i], &b);
    }
    b += "\r\n";
    return out_.MaybeFlush();
  }
  Status Finish() override { return out_.Publish(); }

 private:
  Output out_;
};

class JsonlSink : public Sink {
 public:
  JsonlSink(Output out, const std::vector<std::string>& fields) : out_(std::move(out)) {
    for (const auto& f : fields) {
      std::string key;
      AppendJsonString(f, &key);
      keys_.push_back(key + ':');
    }
  }
  Status Write(const parser::Record& r, const PageTask&) override {
    std::string& b = out_.buffer();
    b += '{';
    for (size_t i = 0; i < r.values.size() && i < keys_.size(); ++i) {
      if (i > 0) b += ',';
      b += keys_[i];
      if (r.values[i]) {
        AppendJsonString(*r.values[i], &b);
      } else {
        b += "null";
      }
    }
    b += "}\n";
    return out_.MaybeFlush();
  }
  Status Finish() override { return out_.Publish(); }

 private:
  Output out_;
  std::vector<std::string> keys_;
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

Result<std::unique_ptr<Sink>> OpenSink(const std::string& path,
                                       const std::vector<std::string>& field_names,
                                       const std::string& table) {
  auto format = SinkFormatFor(path);
  if (!format) return format.error();
  if (*format == SinkFormat::kSqlite) return OpenSqliteSink(path, field_names, table);
  auto out = Output::Open(path);
  if (!out) return out.error();
  if (*format == SinkFormat::kCsv) {
    return std::unique_ptr<Sink>(new CsvSink(std::move(*out), field_names));
  }
  return std::unique_ptr<Sink>(new JsonlSink(std::move(*out), field_names));
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

void AppendJsonString(std::string_view v, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

}  // namespace forage::engine
