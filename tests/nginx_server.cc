#include "tests/nginx_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <sstream>
#include <stdexcept>

namespace forage::testing {
namespace {

void Replace(std::string* text, const std::string& from, const std::string& to) {
  for (size_t at = 0; (at = text->find(from, at)) != std::string::npos; at += to.size()) {
    text->replace(at, from.size(), to);
  }
}

}  // namespace

std::string NginxConfig(const std::string& dir, int https_port, int http_port,
                        const std::string& upstream, const NginxOptions& options) {
  std::string conf = ReadFile(SourcePath("tests/nginx/forage-test.conf.in"));
  Replace(&conf, "@DIR@", dir);
  Replace(&conf, "@HTTPS_PORT@", std::to_string(https_port));
  Replace(&conf, "@HTTP_PORT@", std::to_string(http_port));
  Replace(&conf, "@UPSTREAM@", upstream);
  Replace(&conf, "@HTTP2@", options.http2 ? "http2" : "");
  Replace(&conf, "@KEEPALIVE_REQUESTS@", std::to_string(options.keepalive_requests));
  Replace(&conf, "@CLIENT_VERIFY@",
          options.verify_client
              ? "ssl_client_certificate " + dir + "/ca.pem;\n    ssl_verify_client on;"
              : "");
  return conf;
}

NginxServer::NginxServer(const std::string& upstream, NginxOptions options,
                         const std::string& name)
    : dir_(TempDir(name + "-nginx")) {
  auto certs = RunProcess({"/bin/bash", SourcePath("tests/nginx/make-certs.sh"), dir_});
  if (certs.exit_code != 0) throw std::runtime_error("make-certs.sh failed: " + certs.err);
  // A free port can be taken between ClosedPort() and nginx's bind: try again.
  std::string why;
  for (int attempt = 0; attempt < 5; ++attempt) {
    https_port_ = ClosedPort();
    http_port_ = ClosedPort();
    if (https_port_ == http_port_) continue;
    WriteFile(dir_ + "/nginx.conf", NginxConfig(dir_, https_port_, http_port_, upstream, options));
    proc_ = std::make_unique<Background>(
        std::vector<std::string>{"/usr/sbin/nginx", "-c", dir_ + "/nginx.conf", "-p", dir_ + "/"});
    const pid_t pid = proc_->pid();
    bool up = WaitUntil([&] {
      return ProcessExited(pid) || (PortAnswers(https_port_) && PortAnswers(http_port_));
    });
    if (up && !ProcessExited(pid)) return;
    auto r = proc_->Wait(5);
    why = r.err + ReadFile(dir_ + "/error.log");
    proc_.reset();
  }
  throw std::runtime_error("nginx did not start: " + why);
}

std::string NginxServer::https_url() const {
  return "https://127.0.0.1:" + std::to_string(https_port_) + "/";
}

std::string NginxServer::http_url() const {
  return "http://127.0.0.1:" + std::to_string(http_port_) + "/";
}

std::vector<AccessLine> NginxServer::AccessLog() const {
  std::vector<AccessLine> lines;
  if (!FileExists(dir_ + "/access.log")) return lines;
  std::istringstream in(ReadFile(dir_ + "/access.log"));
  std::string text;
  while (std::getline(in, text)) {
    std::istringstream f(text);
    AccessLine l;
    long requests = 0;
    f >> l.connection >> requests >> l.protocol >> l.port >> l.status;
    const size_t open = text.find('"');
    const size_t close = text.rfind('"');
    if (open != std::string::npos && close > open) l.request = text.substr(open + 1, close - open - 1);
    l.session_reused = text.size() >= 2 && text.compare(text.size() - 2, 2, " r") == 0;
    lines.push_back(std::move(l));
  }
  return lines;
}

std::vector<std::string> SeedJobAt(const std::string& base_url, const std::string& pages) {
  return {ForageBin(), "run", "--url", base_url + "shop/page/{page}/", "--pages", pages,
          "--items", ".product",
          "--field", "id=.add_to_cart_button::attr(data-product_id)",
          "--field", "name=h2", "--field", "price=.price",
          "--field", "url=.woocommerce-loop-product__link::attr(href)"};
}

}  // namespace forage::testing
