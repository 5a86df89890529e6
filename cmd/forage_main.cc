#include "cmd/forage_main.h"

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "cmd/cluster_cmd.h"
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

// Prints the error; a usage error also says where to read more.
int PrintError(const forage::Error& e, int argc, char** argv) {
  fmt::print(stderr, "forage: error: {}\n", e.message);
  if (e.code == ErrorCode::kInvalidArgument) {
    fmt::print(stderr, "forage: see {}\n", forage::cmd::HelpPointer(argc, argv, e.message));
  }
  return ExitFor(e);
}

// One argument as a POSIX shell reads it back.
std::string ShellQuote(const std::string& arg) {
  const bool plain = !arg.empty() && arg.find_first_not_of(
                                         "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                         "0123456789_./:=@%+,-") == std::string::npos;
  if (plain) return arg;
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// The command line that continues an interrupted run: this one, without
// --force (which excludes --resume), with --resume.
std::string ResumeCommand(int argc, char** argv) {
  std::string cmd = "forage";
  bool has_resume = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--force") continue;
    has_resume = has_resume || arg == "--resume";
    cmd += ' ';
    cmd += ShellQuote(arg);
  }
  if (!has_resume) cmd += " --resume";
  return cmd;
}

int Finish(const forage::engine::Config& config,
           const forage::Result<forage::engine::Summary>& result, int argc, char** argv,
           bool resumable) {
  if (!result) {
    // `forage run ... -o - | head`: the reader had enough; not an error.
    if (result.error().code == ErrorCode::kClosed) return forage::kExitClosed;
    return PrintError(result.error(), argc, argv);
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
  if (summary.interrupted) {
    if (resumable && !summary.output.empty() && summary.output != "-") {
      fmt::print(stderr, "forage: interrupted; to continue where it stopped, run:\n  {}\n",
                 ResumeCommand(argc, argv));
    }
    return forage::kExitInterrupted;
  }
  // Warnings come even with --quiet: a scheduled job's log is where they matter.
  fmt::print(stderr, "{}", forage::engine::ReportWarnings(summary));
  const uint64_t fetched = summary.pages_ok;
  if (fetched > 0 && summary.items == 0 && summary.duplicates == 0 && summary.dropped > 0) {
    // Items matched; the `required` option left them out, as asked.
    fmt::print(stderr,
               "forage: warning: no item stored: every item of the {} pages fetched lacked a "
               "`required` field\n",
               fetched);
  } else if (fetched > 0 && summary.items == 0 && summary.duplicates == 0 &&
             !config.allow_empty) {
    fmt::print(stderr,
               "forage: error: no item extracted: --items '{}' matched nothing on the {} pages "
               "fetched; try it with 'forage select PAGE.html SELECTOR', or add --allow-empty "
               "if an empty result is expected\n",
               config.items, fetched);
    return forage::kExitPagesFailed;
  }
  return summary.pages_failed > 0 ? forage::kExitPagesFailed : forage::kExitOk;
}

int FinishStatus(const forage::Status& st, int argc, char** argv) {
  if (st) return forage::kExitOk;
  return PrintError(st.error(), argc, argv);
}

int PrintOrFail(const forage::Result<std::string>& out, int argc, char** argv) {
  if (!out) return PrintError(out.error(), argc, argv);
  std::fwrite(out->data(), 1, out->size(), stdout);
  return forage::kExitOk;
}

}  // namespace

namespace forage::cmd {

int ForageMain(int argc, char** argv) {
  // `forage help [COMMAND]`: `forage [COMMAND] --help`.
  if (argc >= 2 && std::string_view(argv[1]) == "help") {
    static char help_flag[] = "--help";
    std::vector<char*> args = {argv[0]};
    if (argc >= 3) args.push_back(argv[2]);
    args.push_back(help_flag);
    return ForageMain(static_cast<int>(args.size()), args.data());
  }
  // forage worker / forage status (distributed jobs, cmd/cluster_cmd.cc).
  if (IsClusterCommand(argc, argv)) return RunClusterCommand(argc, argv);
  auto inv = forage::cmd::ParseArgs(argc, argv);
  if (!inv) {
    fmt::print(stderr, "forage: error: {}\n", inv.error().message);
    fmt::print(stderr, "forage: see {}\n", forage::cmd::HelpPointer(argc, argv, inv.error().message));
    return forage::kExitUsage;
  }
  if (inv->config.insecure && inv->action != forage::cmd::Action::kExit) {
    fmt::print(stderr,
               "forage: warning: --insecure: TLS certificates and host names are not verified; "
               "anyone between you and the site can read and change the pages\n");
  }
  switch (inv->action) {
    case forage::cmd::Action::kExit:
      std::fputs(inv->text.c_str(), inv->exit_code == 0 ? stdout : stderr);
      return inv->exit_code;
    case forage::cmd::Action::kRun:
      return Finish(inv->config, forage::engine::Run(inv->config), argc, argv, true);
    case forage::cmd::Action::kDemo:
      return Finish(inv->config, forage::cmd::RunDemo(inv->config), argc, argv, false);
    case forage::cmd::Action::kBench:
      return FinishStatus(forage::cmd::RunBench(inv->config, inv->bench), argc, argv);
    case forage::cmd::Action::kTune:
      return FinishStatus(forage::cmd::RunTune(inv->config, inv->tune), argc, argv);
    case forage::cmd::Action::kSelect:
      return PrintOrFail(forage::engine::SelectInPage(inv->files.front(), inv->selector, inv->attr,
                                                      inv->config),
                         argc, argv);
    case forage::cmd::Action::kExtract:
      return PrintOrFail(forage::engine::ExtractPages(inv->files, inv->config, inv->base_url),
                         argc, argv);
  }
  return forage::kExitRuntime;
}

}  // namespace forage::cmd
