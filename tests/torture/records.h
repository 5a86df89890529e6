#pragma once
// What an output holds, as comparable records, and how two outputs differ:
// the crash torture's judge of "no duplicate, no loss, same order".

#include <string>
#include <vector>

namespace forage::torture {

enum class Sink { kCsv, kJsonl, kSqlite };

const char* SinkName(Sink s);
const char* SinkExtension(Sink s);  // ".csv", ".jsonl", ".sqlite"

// An output read back: CSV's header row and data rows (fields joined with
// \x1f), JSONL's lines (an unterminated last line counts), or the rows of a
// SQLite output's job table `table` in rowid order (NULL written as \x01).
struct Records {
  bool readable = false;
  std::string error;                 // why it is not readable
  std::vector<std::string> header;   // CSV: first row; SQLite: column names
  std::vector<std::string> rows;
  std::string bytes;                 // CSV and JSONL: the file as is
  bool has_state_tables = false;     // SQLite: _forage_pages still present
};

// Reads `path`. SQLite files are opened immutable (no WAL, no -shm created):
// what a reader of that one file sees.
Records ReadRecords(const std::string& path, Sink sink, const std::string& table);

// True if the SQLite database at `path` exists and holds a table `table`.
bool SqliteHasTable(const std::string& path, const std::string& table);

struct Diff {
  size_t want = 0;
  size_t got = 0;
  size_t duplicates = 0;   // extra copies of records the clean run has
  size_t missing = 0;      // records of the clean run absent (or too few)
  size_t foreign = 0;      // records the clean run never wrote
  long first_difference = -1;  // ordered only: index of the first row that differs
  bool header_differs = false;
  bool bytes_differ = false;   // CSV/JSONL, ordered: the files are not byte-identical
  bool Same() const {
    return duplicates == 0 && missing == 0 && foreign == 0 && first_difference < 0 &&
           !header_differs && !bytes_differ;
  }
  std::string Describe() const;
};

// `ordered`: the rows must come in the same order (and CSV/JSONL files be
// byte-identical); otherwise the same multiset.
Diff Compare(const Records& clean, const Records& got, bool ordered);

// What an interrupted run published must be part of the clean output: a
// prefix (ordered) or a sub-multiset. Returns an empty string when it is.
std::string CheckPart(const Records& clean, const Records& got, bool ordered);

}  // namespace forage::torture
