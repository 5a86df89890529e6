#pragma once
// The run's report: a short text block for stderr and the --report JSON.

#include <string>

#include "base/result.h"
#include "engine/summary.h"

namespace forage::engine {

// The block printed on stderr at the end of every run.
std::string FormatReport(const Summary& s);

// The --report document (keys in docs/cli.md).
std::string ReportJson(const Summary& s);

Status WriteReportFile(const std::string& path, const Summary& s);

}  // namespace forage::engine
