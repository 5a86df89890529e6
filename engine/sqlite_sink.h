#pragma once
// The SQLite sink: one table named after the job (T), a column per field
// plus page_url and page_number, built inside the database PATH (created if
// missing; other tables in it are never touched). The rows go to
// _forage_part_T and are renamed to T in the transaction that completes the
// job (--append: straight into T). The resume state lives in the same
// database (_forage_pages_T, _forage_meta_T), and a checkpoint commits the
// rows and the marks of their pages in one transaction: nothing else ever
// commits, so a crash loses at most the rows since the last checkpoint and
// never keeps a row whose page a resumed run fetches again.

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
