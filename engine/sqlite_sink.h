#pragma once
// The SQLite sink: one table named after the job, a TEXT column per field
// plus page_url and page_number. Rows go in batched transactions (WAL
// journal); the database is built as PATH.part and renamed to PATH at the end.
// Its resume state lives in the same database (tables _forage_pages and
// _forage_meta), written in the same transaction as the rows it describes,
// and dropped when the job completes.

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace forage::engine {

class Sink;
struct SinkOptions;
struct PageMark;

Result<std::unique_ptr<Sink>> OpenSqliteSink(const SinkOptions& options,
                                             std::vector<PageMark>* resumed);

// `name` as a quoted SQL identifier ("a""b").
std::string SqlIdentifier(const std::string& name);

}  // namespace forage::engine
