#include "cmd/demo.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#include "base/unique_fd.h"
#include "engine/engine.h"

extern char** environ;

namespace forage::cmd {
namespace {

std::string FixturePath() {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<size_t>(n));
    dir.erase(dir.rfind('/'));
    std::string beside = dir + "/forage-fixture";
    if (access(beside.c_str(), X_OK) == 0) return beside;
  }
  return "forage-fixture";  // from PATH
}

// A running forage-fixture; stopped (SIGTERM, reaped) on destruction.
class Fixture {
 public:
  static Result<Fixture> Start() {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) {
      return Err(ErrorCode::kIo, "pipe() failed: {}", std::strerror(errno));
    }
    UniqueFd read_end(out[0]), write_end(out[1]);
    std::string path = FixturePath();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
    const char* argv[] = {path.c_str(), "--port", "0", nullptr};
    Fixture f;
    int rc = posix_spawnp(&f.pid_, path.c_str(), &actions, nullptr, const_cast<char**>(argv),
                          environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      f.pid_ = -1;
      return Err(ErrorCode::kIo, "start '{}': {}", path, std::strerror(rc));
    }
    write_end.Reset();
    // The fixture's first line is its base URL.
    std::string line;
    char c;
    while (line.size() < 256 && read(read_end.get(), &c, 1) == 1 && c != '\n') line += c;
    if (line.rfind("http://", 0) != 0) {
      return Err(ErrorCode::kIo, "'{}' did not print its address", path);
    }
    f.url_ = line;
    return f;
  }
  Fixture() = default;
  Fixture(Fixture&& o) noexcept : pid_(std::exchange(o.pid_, -1)), url_(std::move(o.url_)) {}
  ~Fixture() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  const std::string& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  std::string url_;
};

}  // namespace

engine::Config SeedShopJob(const std::string& base_url) {
  engine::Config c;
  std::string base = base_url;
  if (!base.empty() && base.back() == '/') base.pop_back();
  c.url_template = base + "/shop/page/{page}/";
  c.pages = "1-48";
  c.items = ".product";
  c.fields = {
      {"id", ".add_to_cart_button::attr(data-product_id)"},
      {"name", "h2"},
      {"price", ".price"},
      {"url", ".woocommerce-loop-product__link::attr(href)"},
  };
  return c;
}

Result<engine::Summary> RunDemo(const engine::Config& overrides) {
  auto fixture = Fixture::Start();
  if (!fixture) return fixture.error();
  engine::Config job = SeedShopJob(fixture->url());
  job.workers = overrides.workers;
  job.output = overrides.output;
  job.quiet = overrides.quiet;
  // The demo's output is the demo's own file: running the demo again
  // replaces it (and keeps it if the run stores nothing).
  job.overwrite = true;
  if (!job.quiet) {
    fmt::print(stderr, "forage demo: test site at {}\nforage demo: forage run --url '{}' --pages {} "
                       "--items '{}'",
               fixture->url(), job.url_template, job.pages, job.items);
    for (const auto& f : job.fields) fmt::print(stderr, " --field '{}={}'", f.name, f.selector);
    // --overwrite: without it the copied command stops (exit 2) because the
    // demo's file exists; with it, a run that stores no record (the demo's
    // site is gone once the demo ends) leaves the file as it is.
    fmt::print(stderr, " -o {} --overwrite\n", job.output);
  }
  return engine::Run(job);
}

}  // namespace forage::cmd
