#pragma once
// The SQLite sink: one table named after the job, a TEXT column per field
// plus page_url and page_number. Rows go in batched transactions (WAL
// journal); the database is built as PATH.part and renamed to PATH at the end.

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace forage::engine {

class Sink;

Result<std::unique_ptr<Sink>> OpenSqliteSink(const std::string& path,
                                             const std::vector<std::string>& field_names,
                                             const std::string& table);

// `name` as a quoted SQL identifier ("a""b").
std::string SqlIdentifier(const std::string& name);

}  // namespace forage::engine
