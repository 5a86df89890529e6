#pragma once
// The run's report: a short text block for stderr and the --report JSON.

#include <cstdint>
#include <string>

#include "base/result.h"
#include "engine/summary.h"

namespace forage::engine {

// The block printed on stderr at the end of every run.
std::string FormatReport(const Summary& s);

// "40.2 kB", "512 B", "1.3 GB" (decimal units).
std::string HumanSize(uint64_t bytes);

// Warning lines for stderr: each field empty in every record stored, with
// its selector; each origin whose unreadable robots.txt blocked its pages.
// Empty when there is nothing to warn about.
std::string ReportWarnings(const Summary& s);

// The --report document (keys in docs/cli.md).
std::string ReportJson(const Summary& s);

Status WriteReportFile(const std::string& path, const Summary& s);

}  // namespace forage::engine
