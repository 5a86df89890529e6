#include "tests/test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <curl/curl.h>
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

pid_t Spawn(const std::vector<std::string>& argv_in, const std::map<std::string, std::string>& env_in,
            int* out_fd, int* err_fd) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
  std::vector<std::string> argv = argv_in;
  std::vector<std::string> env = Environment(env_in);
  auto cargv = CStrings(argv);
  auto cenv = CStrings(env);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  close(err[1]);
  if (rc != 0) throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
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
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
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
      kill(pid_, SIGKILL);
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

std::vector<pid_t> ChildPids(pid_t pid) {
  std::vector<pid_t> out;
  std::string path = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children";
  std::istringstream in(ReadFile(path));
  for (pid_t child; in >> child;) out.push_back(child);
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
  std::string dir = std::string(FORAGE_BUILD_DIR) + "/test-tmp/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace forage::testing
