// HTTPS and HTTP/2 against a real server: Debian's nginx with a throw-away
// CA, in front of forage-fixture (tests/nginx_server.h). What the site sees
// comes from nginx's access log and the fixture's /__stats.

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/nginx_server.h"
#include "tests/test_support.h"

namespace forage::testing {
namespace {

nlohmann::json Report(const std::string& path) { return nlohmann::json::parse(ReadFile(path)); }

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = 0; (at = text.find(needle, at)) != std::string::npos; at += needle.size()) ++n;
  return n;
}

// The access log's lines for the shop's pages (robots.txt comes from the
// master, not from a worker).
std::vector<AccessLine> PageLines(const NginxServer& ng) {
  std::vector<AccessLine> out;
  for (auto& l : ng.AccessLog()) {
    if (l.request.find("/shop/page/") != std::string::npos) out.push_back(l);
  }
  return out;
}

std::set<long> Connections(const std::vector<AccessLine>& lines) {
  std::set<long> c;
  for (const auto& l : lines) c.insert(l.connection);
  return c;
}

// SeedJobAt(url) with the output, report and `extra` flags.
ProcessResult RunShop(const std::string& base_url, const std::string& dir,
                      std::vector<std::string> extra) {
  auto argv = SeedJobAt(base_url);
  argv.insert(argv.end(), {"-o", dir + "/out.csv", "--report", dir + "/report.json"});
  argv.insert(argv.end(), extra.begin(), extra.end());
  return RunProcess(argv);
}

TEST_SUITE("e2e.tls") {

TEST_CASE("HTTPS and HTTP/2 through nginx with --cacert: the 755 rows of plain HTTP, one connection a worker") {
  Fixture fx;
  NginxServer ng(fx.host(), {}, "tls-h2");
  const std::string dir = TempDir("tls-h2");

  // Plain HTTP through the same nginx: the rows every other test expects.
  auto plain = RunShop(ng.http_url(), dir, {"--workers", "2", "--quiet"});
  REQUIRE(plain.exit_code == 0);
  REQUIRE(ReadFile(dir + "/out.csv") == GoldenShopCsv(fx));
  auto plain_rep = Report(dir + "/report.json");
  CHECK(plain_rep["http_versions"]["1.1"] == 49);  // the master's robots.txt too
  CHECK(plain_rep["http_versions"]["2"] == 0);
  CHECK(plain_rep["tls_handshakes"] == 0);

  auto r = RunShop(ng.https_url(), dir,
                   {"--workers", "2", "--cacert", ng.ca_cert(), "--overwrite"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadFile(dir + "/out.csv") == GoldenShopCsv(fx));
  auto rep = Report(dir + "/report.json");
  CHECK(rep["items"] == 755);
  CHECK(rep["pages_failed"] == 0);
  CHECK(rep["http_versions"]["2"] == 49);  // the master's robots.txt too
  CHECK(rep["http_versions"]["1.1"] == 0);

  // As nginx saw it: every page over HTTP/2 on the TLS port, robots.txt too.
  std::vector<AccessLine> https;
  for (auto& l : ng.AccessLog()) {
    if (l.port == ng.https_port()) https.push_back(l);
  }
  REQUIRE(https.size() == 49);
  for (const auto& l : https) {
    CHECK(l.protocol == "HTTP/2.0");
    // The fixture has no robots.txt: 404, everything allowed.
    CHECK(l.status == (l.request == "GET /robots.txt HTTP/2.0" ? 404 : 200));
  }
  // Each worker multiplexes its pages over one connection to the host.
  std::vector<AccessLine> pages;
  for (auto& l : https) {
    if (l.request.find("/shop/page/") != std::string::npos) pages.push_back(l);
  }
  REQUIRE(pages.size() == 48);
  const size_t connections = Connections(pages).size();
  CHECK(connections >= 1);
  CHECK(connections <= 2);
  // The report counts every connection of the job: the workers' and the
  // master's own (robots.txt), as nginx saw them.
  const size_t all = Connections(https).size();
  CHECK(all == connections + 1);
  CHECK(rep["connections_opened"] == all);
  CHECK(rep["tls_handshakes"] == all);
  CHECK(r.err.find(fmt::format("  connections {}   tls handshakes {}   HTTP/2 49\n", all, all)) !=
        std::string::npos);
}

TEST_CASE("without --cacert every page fails with curl's certificate reason, exit 1, nothing retried or sent") {
  Fixture fx;
  NginxServer ng(fx.host(), {}, "tls-untrusted");
  const std::string dir = TempDir("tls-untrusted");

  // robots.txt fails first: every page fails unfetched with its reason.
  auto r = RunShop(ng.https_url(), dir, {"--workers", "2", "--quiet"});
  CHECK(r.exit_code == 1);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_failed"] == 48);
  CHECK(rep["retries"] == 0);
  REQUIRE(rep["failures"].size() == 48);
  for (const auto& f : rep["failures"]) {
    const std::string reason = f["reason"];
    CHECK(reason.find("SSL certificate problem") != std::string::npos);
    CHECK(reason.find("(CURLE_PEER_FAILED_VERIFICATION)") != std::string::npos);
  }

  // Without robots.txt the workers try each page once, and each fails.
  auto w = RunShop(ng.https_url(), dir, {"--workers", "2", "--quiet", "--ignore-robots",
                                         "--overwrite", "--retries", "5"});
  CHECK(w.exit_code == 1);
  rep = Report(dir + "/report.json");
  CHECK(rep["pages_failed"] == 48);
  CHECK(rep["retries"] == 0);
  CHECK(rep["requests"] == 48);
  CHECK(rep["http_versions"]["2"] == 0);
  REQUIRE(rep["failures"].size() == 48);
  for (const auto& f : rep["failures"]) {
    const std::string reason = f["reason"];
    CHECK(reason.rfind("SSL certificate problem: ", 0) == 0);
    CHECK(reason.find("(CURLE_PEER_FAILED_VERIFICATION)") != std::string::npos);
    CHECK(reason.find("attempts") == std::string::npos);
  }
  // Not one request got through the handshake.
  CHECK(ng.AccessLog().empty());
  CHECK(fx.Stat("requests") == 0);

  // A CA that signed something else is no better.
  auto other = RunShop(ng.https_url(), dir, {"--quiet", "--ignore-robots", "--overwrite",
                                             "--cacert", ng.other_ca_cert()});
  CHECK(other.exit_code == 1);
  CHECK(Report(dir + "/report.json")["pages_failed"] == 48);
  // A --cacert that holds no certificate: curl's CURLE_SSL_CACERT_BADFILE.
  WriteFile(dir + "/garbage.pem", "not a certificate\n");
  auto garbage = RunShop(ng.https_url(), dir, {"--quiet", "--ignore-robots", "--overwrite",
                                               "--cacert", dir + "/garbage.pem"});
  CHECK(garbage.exit_code == 1);
  rep = Report(dir + "/report.json");
  CHECK(rep["pages_failed"] == 48);
  CHECK(rep["retries"] == 0);
  for (const auto& f : rep["failures"]) {
    CHECK(f["reason"].get<std::string>().find("(CURLE_SSL_CACERT_BADFILE)") != std::string::npos);
  }
  CHECK(ng.AccessLog().empty());
  CHECK(fx.Stat("requests") == 0);
}

TEST_CASE("--insecure fetches from the untrusted server and warns once") {
  Fixture fx;
  NginxServer ng(fx.host(), {}, "tls-insecure");
  const std::string dir = TempDir("tls-insecure");
  auto r = RunShop(ng.https_url(), dir, {"--workers", "2", "--insecure"});
  REQUIRE(r.exit_code == 0);
  CHECK(ReadFile(dir + "/out.csv") == GoldenShopCsv(fx));
  CHECK(Count(r.err, "forage: warning: --insecure: TLS certificates and host names are not "
                     "verified") == 1);
  CHECK(Report(dir + "/report.json")["http_versions"]["2"] == 49);  // the master's robots.txt too
  // The warning comes with --quiet too, and not without the flag.
  auto q = RunShop(ng.https_url(), dir, {"-k", "--quiet", "--overwrite"});
  CHECK(q.exit_code == 0);
  CHECK(Count(q.err, "warning: --insecure") == 1);
  auto plain = RunShop(ng.http_url(), dir, {"--quiet", "--overwrite"});
  CHECK(plain.exit_code == 0);
  CHECK(plain.err.find("insecure") == std::string::npos);
}

TEST_CASE("forage select on an https URL takes --cacert, --insecure and --http1.1 too") {
  Fixture fx;
  NginxServer ng(fx.host(), {}, "tls-select");
  const std::string url = ng.https_url() + "shop/page/1/";
  auto ok = RunProcess({ForageBin(), "select", url, "li.product h2", "--cacert", ng.ca_cert()});
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.rfind("\"Kromupod\"\n", 0) == 0);
  auto h1 = RunProcess({ForageBin(), "select", url, "li.product h2", "-k", "--http1.1"});
  CHECK(h1.exit_code == 0);
  CHECK(h1.out == ok.out);
  CHECK(Count(h1.err, "warning: --insecure") == 1);
  auto bad = RunProcess({ForageBin(), "select", url, "li.product h2"});
  CHECK(bad.exit_code == 3);
  CHECK(bad.err.find("SSL certificate problem") != std::string::npos);
  CHECK(bad.err.find("(CURLE_PEER_FAILED_VERIFICATION)") != std::string::npos);
  // The pages (each select also asked for robots.txt, as run does).
  auto lines = PageLines(ng);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].protocol == "HTTP/2.0");
  CHECK(lines[1].protocol == "HTTP/1.1");
}

TEST_CASE("--http1.1 over TLS: nginx logs HTTP/1.1 only, the rows are the same") {
  Fixture fx;
  NginxServer ng(fx.host(), {}, "tls-h1");
  const std::string dir = TempDir("tls-h1");
  auto r = RunShop(ng.https_url(), dir,
                   {"--workers", "2", "--cacert", ng.ca_cert(), "--http1.1", "--quiet",
                    "--per-host", "4"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadFile(dir + "/out.csv") == GoldenShopCsv(fx));
  auto lines = ng.AccessLog();
  REQUIRE(lines.size() == 49);
  for (const auto& l : lines) CHECK(l.protocol == "HTTP/1.1");
  auto rep = Report(dir + "/report.json");
  CHECK(rep["http_versions"]["1.1"] == 49);  // the master's robots.txt too
  CHECK(rep["http_versions"]["2"] == 0);
  // One request at a time a connection: up to --per-host of them, kept alive.
  const auto pages = PageLines(ng);
  const size_t connections = Connections(pages).size();
  CHECK(connections <= 4 * 2);
  // The master's robots.txt connection is counted too.
  CHECK(Connections(lines).size() == connections + 1);
  CHECK(rep["connections_opened"] == connections + 1);
  CHECK(rep["tls_handshakes"] == connections + 1);
}

TEST_CASE("an HTTPS server without HTTP/2: HTTP/1.1 on up to --per-host connections, none waiting on another") {
  Fixture fx;
  NginxServer ng(fx.host(), {.http2 = false}, "tls-noh2");
  const std::string dir = TempDir("tls-noh2");
  auto r = RunShop(ng.https_url(), dir,
                   {"--workers", "1", "--cacert", ng.ca_cert(), "--quiet", "--ignore-robots"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadFile(dir + "/out.csv") == GoldenShopCsv(fx));
  const auto lines = ng.AccessLog();
  REQUIRE(lines.size() == 48);
  for (const auto& l : lines) CHECK(l.protocol == "HTTP/1.1");
  // Transfers that waited for the first connection's ALPN answer
  // (CURLOPT_PIPEWAIT) open their own once it says HTTP/1.1.
  const size_t connections = Connections(lines).size();
  CHECK(connections >= 2);
  CHECK(connections <= 8);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["connections_opened"] == connections);
  CHECK(rep["http_versions"]["1.1"] == 48);
}

TEST_CASE("a worker resumes its TLS session when nginx makes it open new connections") {
  Fixture fx;
  NginxServer ng(fx.host(), {.keepalive_requests = 4}, "tls-resume");
  const std::string dir = TempDir("tls-resume");
  auto r = RunShop(ng.https_url(), dir,
                   {"--workers", "1", "--per-host", "2", "--cacert", ng.ca_cert(), "--http1.1",
                    "--quiet", "--ignore-robots"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadFile(dir + "/out.csv") == GoldenShopCsv(fx));
  // 4 requests a connection: 12 connections at least, each a handshake.
  const auto lines = ng.AccessLog();
  REQUIRE(lines.size() == 48);
  std::set<long> all, resumed;
  for (const auto& l : lines) {
    all.insert(l.connection);
    if (l.session_reused) resumed.insert(l.connection);
  }
  CHECK(all.size() >= 12);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["connections_opened"] == all.size());
  CHECK(rep["tls_handshakes"] == all.size());
  // The first connections' sessions serve the later ones (the worker's
  // CURLSH shares them across its easy handles).
  CHECK(resumed.size() >= 1);
  CHECK(resumed.size() < all.size());
}

TEST_CASE("HTTP/2 connections that nginx ends every 5 requests (GOAWAY): every row once, nothing failed") {
  Fixture fx;
  NginxServer ng(fx.host(), {.keepalive_requests = 5}, "tls-goaway");
  const std::string dir = TempDir("tls-goaway");
  auto r = RunShop(ng.https_url(), dir,
                   {"--workers", "2", "--cacert", ng.ca_cert(), "--quiet", "--ignore-robots"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadFile(dir + "/out.csv") == GoldenShopCsv(fx));
  auto rep = Report(dir + "/report.json");
  CHECK(rep["http_versions"]["2"] == 48);
  const auto lines = ng.AccessLog();
  const size_t connections = Connections(lines).size();
  CHECK(connections >= 10);  // 48 requests, at most 5 on each
  CHECK(rep["connections_opened"] == connections);
  // Streams nginx refused after its GOAWAY are retried by libcurl or by
  // forage: the log may hold more requests than pages, never fewer.
  CHECK(lines.size() >= 48);
}

TEST_CASE("--capath: a hashed CA directory is trusted as --cacert is") {
  Fixture fx;
  NginxServer ng(fx.host(), {}, "tls-capath");
  const std::string dir = TempDir("tls-capath");
  const std::string cas = dir + "/cas";
  std::filesystem::create_directories(cas);
  std::filesystem::copy_file(ng.ca_cert(), cas + "/forage-test-ca.pem");
  REQUIRE(RunProcess({"/usr/bin/openssl", "rehash", cas}).exit_code == 0);
  auto r = RunShop(ng.https_url(), dir, {"--capath", cas, "--quiet"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadFile(dir + "/out.csv") == GoldenShopCsv(fx));
}

TEST_CASE("client certificate: nginx with ssl_verify_client on serves --cert/--key and refuses without") {
  Fixture fx;
  NginxServer ng(fx.host(), {.verify_client = true}, "tls-client");
  const std::string dir = TempDir("tls-client");

  auto r = RunShop(ng.https_url(), dir,
                   {"--cacert", ng.ca_cert(), "--cert", ng.client_cert(), "--key",
                    ng.client_key(), "--quiet"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadFile(dir + "/out.csv") == GoldenShopCsv(fx));

  // The same from a job file: cacert, cert and key, with a record key too.
  WriteFile(dir + "/job.toml",
            "url = \"" + ng.https_url() + "shop/page/{page}/\"\npages = \"1-48\"\n"
            "items = \".product\"\nkey = [\"id\"]\ncacert = \"" + ng.ca_cert() + "\"\n"
            "cert = \"" + ng.client_cert() + "\"\ncert_key = \"" + ng.client_key() + "\"\n"
            "[fields]\nid = \".add_to_cart_button::attr(data-product_id)\"\nname = \"h2\"\n"
            "price = \".price\"\nurl = \".woocommerce-loop-product__link::attr(href)\"\n");
  auto job = RunProcess({ForageBin(), "run", dir + "/job.toml", "-o", dir + "/job.csv",
                         "--quiet"});
  INFO(job.err);
  REQUIRE(job.exit_code == 0);
  CHECK(ReadFile(dir + "/job.csv") == GoldenShopCsv(fx));

  // A client certificate curl cannot load: CURLE_SSL_CERTPROBLEM, final.
  WriteFile(dir + "/garbage.pem", "not a certificate\n");
  auto bad = RunShop(ng.https_url(), dir, {"--cacert", ng.ca_cert(), "--cert", dir + "/garbage.pem",
                                           "--quiet", "--overwrite", "--ignore-robots"});
  CHECK(bad.exit_code == 1);
  auto bad_rep = Report(dir + "/report.json");
  CHECK(bad_rep["pages_failed"] == 48);
  CHECK(bad_rep["retries"] == 0);
  for (const auto& f : bad_rep["failures"]) {
    CHECK(f["reason"].get<std::string>().find("(CURLE_SSL_CERTPROBLEM)") != std::string::npos);
  }

  // No certificate: nginx answers 400 to every request, robots.txt included.
  const size_t before = ng.AccessLog().size();
  auto none = RunShop(ng.https_url(), dir, {"--cacert", ng.ca_cert(), "--quiet", "--overwrite"});
  CHECK(none.exit_code == 1);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_failed"] == 48);
  CHECK(rep["retries"] == 0);
  for (const auto& f : rep["failures"]) CHECK(f["reason"] == "HTTP 400");
  auto lines = ng.AccessLog();
  REQUIRE(lines.size() == before + 49);
  for (size_t i = before; i < lines.size(); ++i) CHECK(lines[i].status == 400);
}

TEST_CASE("TLS files are checked before any work: exit 2 naming the flag") {
  Fixture fx;
  const std::string dir = TempDir("tls-flags");
  WriteFile(dir + "/file.pem", "not a directory\n");
  struct Case {
    std::vector<std::string> flags;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"--cacert", dir + "/missing.pem"}, "--cacert '" + dir + "/missing.pem': no such file"},
           {{"--capath", dir + "/missing"}, "--capath '" + dir + "/missing': no such directory"},
           {{"--capath", dir + "/file.pem"}, "--capath '" + dir + "/file.pem': expected a directory"},
           {{"--cacert", dir}, "--cacert '" + dir + "': expected a file"},
           {{"--cert", dir + "/c.pem"}, "--cert '" + dir + "/c.pem': no such file"},
           {{"--cert", dir + "/file.pem", "--key", dir + "/k.pem"},
            "--key '" + dir + "/k.pem': no such file"},
           {{"--cert-key", dir + "/file.pem"}, "--cert-key '" + dir + "/file.pem' needs --cert (the certificate)"},
           {{"--key", dir + "/file.pem"},
            "--key '" + dir + "/file.pem' is a file, not one of the fields: a client "
            "certificate's key goes with --cert FILE"}}) {
    auto argv = SeedJob(fx);
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    argv.insert(argv.end(), {"-o", dir + "/out.csv"});
    auto r = RunProcess(argv);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("forage: error: " + c.message + "\n") != std::string::npos);
  }
  CHECK(fx.Stat("requests") == 0);
  CHECK_FALSE(FileExists(dir + "/out.csv"));
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
