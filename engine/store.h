#pragma once
// Output sinks: where records go, one at a time, as the merger releases them.
//
// A file sink writes to PATH.part and renames it to PATH in Finish(), so a
// reader never sees a half-written file under the final name. Writes are
// buffered in memory and flushed in large blocks. Master-only.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/plan.h"
#include "parser/extract.h"

namespace forage::engine {

class Sink {
 public:
  virtual ~Sink() = default;
  // `page` is the page the record came from (SQLite stores its URL and number).
  virtual Status Write(const parser::Record& record, const PageTask& page) = 0;
  // Flushes and publishes the output. Called once, at the end of the run.
  virtual Status Finish() = 0;
};

enum class SinkFormat { kCsv, kJsonl, kSqlite };

// The format for a path, by extension ("-" is JSONL on stdout).
Result<SinkFormat> SinkFormatFor(std::string_view path);

// Opens the sink for `path`; fails if the directory is not writable.
// `table` names the SQLite table (the job's name); other formats ignore it.
Result<std::unique_ptr<Sink>> OpenSink(const std::string& path,
                                       const std::vector<std::string>& field_names,
                                       const std::string& table = "records");

// RFC 4180: a field is quoted when it holds a comma, a quote, CR or LF;
// quotes inside are doubled.
void AppendCsvField(std::string_view value, std::string* out);
// A JSON string literal, quotes included; bytes >= 0x80 pass through (UTF-8).
void AppendJsonString(std::string_view value, std::string* out);

}  // namespace forage::engine
