#include "cmd/forage_main.h"

#include <cstdio>

#include <fmt/format.h>

#include "cmd/demo.h"
#include "cmd/exit_status.h"
#include "cmd/flags.h"
#include "engine/engine.h"
#include "engine/offline.h"
#include "engine/report.h"

namespace {

using forage::ErrorCode;

int ExitFor(const forage::Error& e) {
  return e.code == ErrorCode::kInvalidArgument ? forage::kExitUsage : forage::kExitRuntime;
}

int Finish(const forage::engine::Config& config,
           const forage::Result<forage::engine::Summary>& result) {
  if (!result) {
    // `forage run ... -o - | head`: the reader had enough; not an error.
    if (result.error().code == ErrorCode::kClosed) return forage::kExitClosed;
    fmt::print(stderr, "forage: error: {}\n", result.error().message);
    return ExitFor(result.error());
  }
  const auto& summary = *result;
  if (!config.quiet && !summary.output_closed) {
    fmt::print(stderr, "{}", forage::engine::FormatReport(summary));
  }
  if (!config.report_path.empty()) {
    if (auto st = forage::engine::WriteReportFile(config.report_path, summary); !st) {
      fmt::print(stderr, "forage: error: {}\n", st.error().message);
      return forage::kExitRuntime;
    }
  }
  if (summary.output_closed) return forage::kExitClosed;
  if (summary.interrupted) return forage::kExitInterrupted;
  return summary.pages_failed > 0 ? forage::kExitPagesFailed : forage::kExitOk;
}

int FinishStatus(const forage::Status& st) {
  if (st) return forage::kExitOk;
  fmt::print(stderr, "forage: error: {}\n", st.error().message);
  return ExitFor(st.error());
}

int PrintOrFail(const forage::Result<std::string>& out) {
  if (!out) {
    fmt::print(stderr, "forage: error: {}\n", out.error().message);
    return ExitFor(out.error());
  }
  std::fwrite(out->data(), 1, out->size(), stdout);
  return forage::kExitOk;
}

}  // namespace

namespace forage::cmd {

int ForageMain(int argc, char** argv) {
  auto inv = forage::cmd::ParseArgs(argc, argv);
  if (!inv) {
    fmt::print(stderr, "forage: error: {}\n", inv.error().message);
    fmt::print(stderr, "forage: see 'forage --help'\n");
    return forage::kExitUsage;
  }
  switch (inv->action) {
    case forage::cmd::Action::kExit:
      std::fputs(inv->text.c_str(), inv->exit_code == 0 ? stdout : stderr);
      return inv->exit_code;
    case forage::cmd::Action::kRun:
      return Finish(inv->config, forage::engine::Run(inv->config));
    case forage::cmd::Action::kDemo:
      return Finish(inv->config, forage::cmd::RunDemo(inv->config));
    case forage::cmd::Action::kBench:
      return FinishStatus(forage::cmd::RunBench(inv->config, inv->bench));
    case forage::cmd::Action::kTune:
      return FinishStatus(forage::cmd::RunTune(inv->config, inv->tune));
    case forage::cmd::Action::kSelect:
      return PrintOrFail(forage::engine::SelectInPage(inv->files.front(), inv->selector, inv->attr,
                                                      inv->config));
    case forage::cmd::Action::kExtract:
      return PrintOrFail(forage::engine::ExtractPages(inv->files, inv->config, inv->base_url));
  }
  return forage::kExitRuntime;
}

}  // namespace forage::cmd
