#pragma once
// NginxServer: Debian's nginx in front of a forage-fixture, with TLS and
// HTTP/2, for the end-to-end transport tests. No mock TLS: a throw-away CA
// and certificates are made with the openssl CLI (tests/nginx/make-certs.sh)
// in a temp dir, the config comes from tests/nginx/forage-test.conf.in, and
// every file nginx writes (pid, logs, temp paths) stays in that dir.

#include <memory>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace forage::testing {

struct NginxOptions {
  // ssl_verify_client on: a TLS client must show a certificate signed by
  // the test CA (client.pem); without one nginx answers 400.
  bool verify_client = false;
  // nginx closes a connection after this many requests (keepalive_requests),
  // so a client has to open new ones.
  long keepalive_requests = 1'000'000;
  // Offer HTTP/2 on the TLS port (ALPN); false: HTTP/1.1 only.
  bool http2 = true;
};

// One line of nginx's access log (log_format "forage" in the template).
struct AccessLine {
  long connection = 0;      // nginx's serial number of the connection
  std::string protocol;     // "HTTP/2.0", "HTTP/1.1"
  int port = 0;             // the port it arrived on
  int status = 0;
  std::string request;
  bool session_reused = false;  // a resumed TLS session ($ssl_session_reused "r")      // "GET /shop/page/1/ HTTP/2.0"
};

class NginxServer {
 public:
  // Starts nginx on two free loopback ports, proxying to `upstream`
  // ("127.0.0.1:PORT"), and waits until both ports answer. Throws if nginx
  // does not start (with its error log).
  explicit NginxServer(const std::string& upstream, NginxOptions options = {},
                       const std::string& name = "nginx");
  // Kills nginx (SIGKILL: nothing of it is worth a clean shutdown).
  ~NginxServer() = default;
  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;

  std::string https_url() const;  // "https://127.0.0.1:PORT/"
  std::string http_url() const;   // "http://127.0.0.1:PORT/"
  int https_port() const { return https_port_; }
  int http_port() const { return http_port_; }
  const std::string& dir() const { return dir_; }
  std::string ca_cert() const { return dir_ + "/ca.pem"; }            // the test CA
  std::string other_ca_cert() const { return dir_ + "/other-ca.pem"; }  // signed nothing here
  std::string client_cert() const { return dir_ + "/client.pem"; }
  std::string client_key() const { return dir_ + "/client.key"; }

  // The access log so far (nginx writes each line as the request ends).
  std::vector<AccessLine> AccessLog() const;

 private:
  std::string dir_;
  int https_port_ = 0;
  int http_port_ = 0;
  std::unique_ptr<Background> proc_;
};

// The template with its placeholders filled in.
std::string NginxConfig(const std::string& dir, int https_port, int http_port,
                        const std::string& upstream, const NginxOptions& options);

// `forage run ... SeedJob` against `base_url` (nginx's https or http URL)
// instead of the fixture's own.
std::vector<std::string> SeedJobAt(const std::string& base_url, const std::string& pages = "1-48");

}  // namespace forage::testing
