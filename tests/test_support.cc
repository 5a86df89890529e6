#include "tests/test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include <curl/curl.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

extern char** environ;

namespace forage::testing {
namespace {

std::vector<std::string> Environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    if (extra.count(kv.substr(0, kv.find('='))) == 0) env.push_back(kv);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Every child still running, as its process group (each child leads its
// own), so that a test process that ends in any way leaves nothing behind:
//   a failed REQUIRE or an exception: the guards' destructors kill the group;
//   abort() (an assert, doctest's fatal signal path, a sanitizer with
//     abort_on_error), SIGSEGV, SIGTERM/SIGINT: a handler kills every group
//     left here, then the signal takes its course;
//   exit() without the destructors: the atexit handler does the same;
//   _exit() or SIGKILL (a sanitizer's default exit, a ctest timeout): each
//     child was started with PR_SET_PDEATHSIG, so the kernel kills it (its
//     own children, forage's workers, then read EOF and exit).
// A fixed array of atomics, so the signal handler may read it.
constexpr size_t kMaxChildren = 512;
std::atomic<pid_t> g_children[kMaxChildren];
constexpr int kCleanupSignals[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTERM, SIGINT};

void RegisterChild(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pid)) return;
  }
}

void UnregisterChild(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t p = pid;
    if (slot.compare_exchange_strong(p, 0)) return;
  }
}

void KillEveryChildGroup() noexcept {
  for (auto& slot : g_children) {
    pid_t p = slot.exchange(0);
    if (p > 0) kill(-p, SIGKILL);
  }
}

void OnFatalSignal(int signum) {
  KillEveryChildGroup();  // async-signal-safe: atomics and kill()
  signal(signum, SIG_DFL);
  raise(signum);
}

// Directories TempDir made, removed at a normal exit (FORAGE_KEEP_TEST_TMP
// keeps them for a look after a failure).
std::mutex g_temp_mu;
std::vector<std::string>* g_temp_dirs = new std::vector<std::string>;

void RemoveTempDirs() {
  if (std::getenv("FORAGE_KEEP_TEST_TMP") != nullptr) return;
  std::lock_guard lock(g_temp_mu);
  for (const auto& d : *g_temp_dirs) {
    std::error_code ec;
    std::filesystem::remove_all(d, ec);
  }
  g_temp_dirs->clear();
}

// Installed before main (so doctest, which installs its own fatal-signal
// handlers around each test case, calls this one after its report).
struct CleanupInstaller {
  CleanupInstaller() {
    std::atexit([] {
      KillEveryChildGroup();
      RemoveTempDirs();
    });
    for (int signum : kCleanupSignals) {
      struct sigaction sa {};
      sa.sa_handler = OnFatalSignal;
      sigemptyset(&sa.sa_mask);
      sa.sa_flags = SA_RESETHAND;
      sigaction(signum, &sa, nullptr);
    }
  }
} g_cleanup_installer;

pid_t Spawn(const std::vector<std::string>& argv_in, const std::map<std::string, std::string>& env_in,
            int* out_fd, int* err_fd) {
  int out[2], err[2], report[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe");
  }
  std::vector<std::string> argv = argv_in;
  std::vector<std::string> env = Environment(env_in);
  auto cargv = CStrings(argv);
  auto cenv = CStrings(env);
  const pid_t parent = getpid();
  // No handler of ours may run in the child between fork and exec (it would
  // kill the siblings this process started): signals stay blocked there
  // until the child's dispositions are back to the defaults.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here to execve.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the test process is already gone
    int in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0 ||
        dup2(err[1], STDERR_FILENO) < 0) {
      _exit(127);
    }
    for (int signum : kCleanupSignals) signal(signum, SIG_DFL);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    execve(cargv[0], cargv.data(), cenv.data());
    int e = errno;
    [[maybe_unused]] ssize_t n = write(report[1], &e, sizeof e);
    _exit(127);
  }
  const int fork_errno = errno;
  if (pid > 0) {
    setpgid(pid, pid);  // also here, so a kill(-pid) right after cannot miss
    RegisterChild(pid);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(out[1]);
  close(err[1]);
  close(report[1]);
  if (pid < 0) {
    close(out[0]);
    close(err[0]);
    close(report[0]);
    throw std::runtime_error(std::string("fork: ") + std::strerror(fork_errno));
  }
  int exec_errno = 0;
  ssize_t n;
  do {
    n = read(report[0], &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n == sizeof exec_errno) {
    int status;
    waitpid(pid, &status, 0);
    UnregisterChild(pid);
    close(out[0]);
    close(err[0]);
    throw std::runtime_error("exec " + argv[0] + ": " + std::strerror(exec_errno));
  }
  *out_fd = out[0];
  *err_fd = err[0];
  return pid;
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

size_t AppendBody(char* data, size_t size, size_t n, void* userp) {
  static_cast<std::string*>(userp)->append(data, size * n);
  return size * n;
}

}  // namespace

std::string ForageBin() { return std::string(FORAGE_BUILD_DIR) + "/forage"; }
std::string ForageTestHooksBin() { return std::string(FORAGE_BUILD_DIR) + "/forage-testhooks"; }
std::string FixtureBin() { return std::string(FORAGE_BUILD_DIR) + "/forage-fixture"; }
std::string SourcePath(const std::string& relative) {
  return std::string(FORAGE_SOURCE_DIR) + "/" + relative;
}

Background::Background(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& env) {
  pid_ = Spawn(argv, env, &out_fd_, &err_fd_);
}

Background::~Background() {
  if (pid_ > 0) {
    // The whole group: forage's workers with their master.
    kill(-pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
    UnregisterChild(pid_);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

std::string Background::ReadLine() {
  std::string line;
  char c;
  while (read(out_fd_, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

std::string Background::ReadErrUntil(const std::string& needle) {
  char buf[4096];
  while (err_seen_.find(needle) == std::string::npos) {
    ssize_t n = read(err_fd_, buf, sizeof buf);
    if (n <= 0) break;
    err_seen_.append(buf, static_cast<size_t>(n));
  }
  return err_seen_;
}

void Background::Signal(int signum) { kill(pid_, signum); }

ProcessResult Background::Wait(double timeout_s) {
  ProcessResult r;
  r.err = err_seen_;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(-pid_, SIGKILL);
      break;
    }
    int rc = poll(fds, 2, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
    }
  }
  int status = 0;
  waitpid(pid_, &status, 0);
  UnregisterChild(pid_);
  pid_ = -1;
  r.exit_code = DecodeStatus(status);
  return r;
}

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env, double timeout_s) {
  Background p(argv, env);
  return p.Wait(timeout_s);
}

Fixture::Fixture(const std::vector<std::string>& args)
    : proc_([&] {
        std::vector<std::string> argv = {FixtureBin(), "--port", "0"};
        argv.insert(argv.end(), args.begin(), args.end());
        return argv;
      }()) {
  url_ = proc_.ReadLine();
  if (url_.rfind("http://127.0.0.1:", 0) != 0) {
    throw std::runtime_error("forage-fixture did not print its URL: '" + url_ + "'");
  }
}

std::string Fixture::host() const {
  std::string h = url_.substr(std::strlen("http://"));
  if (!h.empty() && h.back() == '/') h.pop_back();
  return h;
}

std::string Fixture::Get(const std::string& path) const {
  std::string body;
  CURL* c = curl_easy_init();
  std::string u = url_ + (path.rfind("/", 0) == 0 ? path.substr(1) : path);
  curl_easy_setopt(c, CURLOPT_URL, u.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) throw std::runtime_error("GET " + u + ": " + curl_easy_strerror(rc));
  return body;
}

long Fixture::Stat(const std::string& key) const {
  auto j = nlohmann::json::parse(Get("/__stats"));
  return j.at(key).get<long>();
}

bool WaitUntil(const std::function<bool()>& done, double timeout_s) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    usleep(5000);
  }
  return true;
}

bool ProcessExited(pid_t pid) {
  if (kill(pid, 0) != 0) return true;
  // "pid (comm) S ...": the state follows the last ')'.
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return paren == std::string::npos || stat.size() < paren + 3 || stat[paren + 2] == 'Z';
}

std::vector<pid_t> WorkerPids(pid_t pid) {
  std::vector<pid_t> out;
  std::string path = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children";
  std::istringstream in(ReadFile(path));
  for (pid_t child; in >> child;) {
    if (ReadFile("/proc/" + std::to_string(child) + "/comm") == "forage-worker\n") {
      out.push_back(child);
    }
  }
  return out;
}

std::vector<std::string> SeedJob(const Fixture& fx, const std::string& pages) {
  return {ForageBin(), "run", "--url", fx.url() + "shop/page/{page}/", "--pages", pages,
          "--items", ".product",
          "--field", "id=.add_to_cart_button::attr(data-product_id)",
          "--field", "name=h2", "--field", "price=.price",
          "--field", "url=.woocommerce-loop-product__link::attr(href)"};
}

std::string GoldenShopCsv(const Fixture& fx) {
  std::string g = ReadFile(SourcePath("tests/golden/shop_pages_1-48.csv"));
  const std::string placeholder = "{host}";
  for (size_t at = 0; (at = g.find(placeholder, at)) != std::string::npos;) {
    g.replace(at, placeholder.size(), fx.host());
    at += fx.host().size();
  }
  return g;
}

int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

int64_t StatePages(const std::string& state) {
  sqlite3* db = nullptr;
  int64_t n = 0;
  if (sqlite3_open_v2(state.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* q = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM pages", -1, &q, nullptr) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
      n = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
  return n;
}

bool PortAnswers(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      any = false;
      ++i;
    } else {
      field += c;
      any = true;
    }
  }
  if (any || !field.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

bool FileExists(const std::string& path) { return std::filesystem::exists(path); }

std::string TempDir(const std::string& name) {
  // Unique per process and call: tests of the same name in two processes
  // (ctest -j2) never share a directory.
  static std::atomic<unsigned> counter{0};
  const std::string base = std::string(FORAGE_BUILD_DIR) + "/test-tmp";
  std::filesystem::create_directories(base);
  std::string dir = base + "/" + name + "-" + std::to_string(getpid()) + "-" +
                    std::to_string(counter++) + "-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) {
    throw std::runtime_error("mkdtemp " + dir + ": " + std::strerror(errno));
  }
  std::lock_guard lock(g_temp_mu);
  g_temp_dirs->push_back(dir);
  return dir;
}

void KeepTempDir(const std::string& dir) {
  std::lock_guard lock(g_temp_mu);
  std::erase(*g_temp_dirs, dir);
}

std::vector<LeaseLine> ReadLeaseLog(const std::string& path) {
  std::vector<LeaseLine> out;
  if (!FileExists(path)) return out;
  std::istringstream in(ReadFile(path));
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    LeaseLine l;
    if (!(fields >> l.now_s >> l.host_next_s >> l.host_fetching >> l.url)) {
      throw std::runtime_error("lease log " + path + ": bad line '" + line + "'");
    }
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace forage::testing
