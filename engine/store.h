#pragma once
// Output sinks: where records go, one at a time, as the merger releases them.
//
// A file sink writes to PATH.part and renames it to PATH in Finish(), so a
// reader never sees a half-written file under the final name; after a write
// error (disk full, file-size limit) it stays PATH.part. Writes are buffered
// in memory and flushed in large blocks. CSV and JSONL files keep a
// StateStore beside them (PATH.state) so an unfinished run can be resumed.
// An existing output is never replaced unless asked (--overwrite), and a run
// that stored no record leaves it in place even then. docs/output.md lists
// the promises and the tests that hold them. Master-only.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/plan.h"
#include "engine/state_store.h"
#include "parser/extract.h"
#include "parser/field_spec.h"

namespace forage::engine {

class Sink {
 public:
  virtual ~Sink() = default;
  // `page` is the page the record came from (SQLite stores its URL and number).
  virtual Status Write(const parser::Record& record, const PageTask& page) = 0;
  // Makes everything written so far durable and records `pages` (stored
  // since the last checkpoint) in the job's state, in that order.
  virtual Status Checkpoint(const std::vector<PageMark>& pages) = 0;
  // Flushes and publishes the output (PATH.part -> PATH; SQLite: the job's
  // table under its name). `complete`: every page was handled, so the state
  // goes; otherwise it stays for --resume, and SQLite rolls back the rows no
  // checkpoint covered. After a failed write the output is not published
  // and the error is returned again.
  virtual Status Finish(bool complete) = 0;
};

enum class ResumeMode {
  kFresh,   // a new run; an existing state is an error
  kResume,  // continue the run whose state exists
  kForce,   // a new run; an existing state and partial output are dropped
};

struct SinkOptions {
  std::string path;  // "-" = JSONL on stdout
  std::vector<std::string> field_names;
  // How each field's values are written (parser::Rules::formats()): strings
  // quoted, numbers bare in JSON and numeric in SQLite, lists as JSON arrays
  // (joined with ',' in CSV). Empty: every field a string.
  std::vector<parser::ValueFormat> formats;
  // Each field's type option (SQLite: INTEGER for int, REAL for float, TEXT
  // otherwise). Empty: by `formats` (a number is NUMERIC).
  std::vector<parser::FieldType> types;
  std::string format;        // csv, jsonl, json, sqlite; empty: by the path's extension
  bool with_source = false;  // CSV/JSON(L): add page_url and page_number (SQLite has them always)
  std::string table = "records";  // the SQLite table: the job's name
  std::string state_path;         // empty: PATH.state
  std::string fingerprint;        // identifies the job for --resume
  ResumeMode mode = ResumeMode::kFresh;
  // An existing output (file; SQLite: the job's table) is an error unless
  // one of these is set: replace it, or add the records after its own.
  bool overwrite = false;
  bool append = false;
};

enum class SinkFormat { kCsv, kJsonl, kJson, kSqlite };

// The format for a path: `format` (--format) if given, else by the path's
// extension, matched case-insensitively ("-" is JSONL on stdout; a device
// or a FIFO without a known extension, such as /dev/null, is JSONL too).
Result<SinkFormat> SinkFormatFor(std::string_view path, std::string_view format = {});
// "csv", "jsonl", "json", "sqlite".
const char* SinkFormatName(SinkFormat format);

// Opens the sink; fails (kInvalidArgument) if the place is not writable, if
// the output exists (without overwrite or append), if a state exists for a
// fresh run, or if there is none to resume or it does not describe the
// output as it is (missing, shorter, other bytes, another job's); every
// check comes before anything is changed. With kResume, `resumed` receives
// the pages the earlier runs stored.
Result<std::unique_ptr<Sink>> OpenSink(const SinkOptions& options,
                                       std::vector<PageMark>* resumed = nullptr);

// A sink that stores nothing (benchmarks count records, they do not keep them).
std::unique_ptr<Sink> DiscardSink();

// One JSON Lines record, keys in field order, values typed by `formats`
// (what the JSONL sink writes), newline included.
void AppendJsonRecord(const parser::Record& record, const std::vector<std::string>& names,
                      const std::vector<parser::ValueFormat>& formats, std::string* out);

// RFC 4180: a field is quoted when it holds a comma, a quote, CR or LF;
// quotes inside are doubled.
void AppendCsvField(std::string_view value, std::string* out);

}  // namespace forage::engine
