#include "engine/report.h"

#include <doctest/doctest.h>

namespace forage::engine {
namespace {

TEST_SUITE("engine.report") {

TEST_CASE("sizes a person reads: bytes, then kB, MB, GB with one decimal") {
  CHECK(HumanSize(0) == "0 B");
  CHECK(HumanSize(999) == "999 B");
  CHECK(HumanSize(40'960) == "41.0 kB");
  CHECK(HumanSize(3'812'000) == "3.8 MB");
  CHECK(HumanSize(999'960) == "1.0 MB");
  CHECK(HumanSize(2'500'000'000) == "2.5 GB");
}

TEST_CASE("after --resume the first line counts the earlier runs' pages apart") {
  Summary s;
  s.pages_total = 48;
  s.pages_ok = 38;
  s.pages_resumed = 11;
  s.pages_resumed_failed = 1;
  s.pages_failed = 1;
  s.items = 600;
  const std::string text = FormatReport(s);
  CHECK(text.substr(0, text.find('\n')) ==
        "forage: 48 of 48 pages ok (38 this run, 10 from earlier runs), 1 failed, 600 items this "
        "run");
}

TEST_CASE("no word of --report unless one was written") {
  Summary s;
  s.pages_total = 20;
  s.pages_failed = 20;
  for (int i = 0; i < 20; ++i) s.failures.push_back({"http://h/" + std::to_string(i), "HTTP 404"});
  std::string text = FormatReport(s);
  CHECK(text.find("report") == std::string::npos);
  CHECK(text.find("  ... and 10 more failures\n") != std::string::npos);
  s.report_path = "r.json";
  text = FormatReport(s);
  CHECK(text.find("  ... and 10 more failures (all in r.json)\n") != std::string::npos);
}

TEST_CASE("a field empty in every record is a warning with its selector") {
  Summary s;
  s.items = 3;
  s.fields = {{"name", "h2", 3, 0}, {"sku", ".sku", 0, 3}};
  CHECK(ReportWarnings(s) ==
        "forage: warning: field 'sku' is empty in all 3 records (selector '.sku')\n");
  s.items = 0;
  CHECK(ReportWarnings(s).empty());
}

TEST_CASE("the transport line and keys: connections, TLS handshakes, the HTTP version mix") {
  Summary s;
  s.pages_total = 755;
  CHECK(FormatReport(s).find("connections") == std::string::npos);  // nothing was fetched
  s.transport = {2, 2, 3, 752, 0};
  CHECK(FormatReport(s).find("  connections 2   tls handshakes 2   HTTP/1.1 3   HTTP/2 752\n") !=
        std::string::npos);
  const std::string json = ReportJson(s);
  CHECK(json.find("\"connections_opened\": 2,") != std::string::npos);
  CHECK(json.find("\"tls_handshakes\": 2,") != std::string::npos);
  CHECK(json.find("\"http_versions\": {\n    \"1.1\": 3,\n    \"2\": 752\n  }") !=
        std::string::npos);
}

TEST_CASE("an origin blocked by its unreadable robots.txt is a warning, a Disallow is not") {
  Summary s;
  RobotsOriginSummary down;
  down.origin = "http://a:1";
  down.outcome = "disallow all (503)";
  down.requests = 4;
  RobotsOriginSummary rules;
  rules.origin = "http://b:2";
  rules.outcome = "rules";
  s.robots = {down, rules};
  s.blocked = {{"http://a:1/x", "blocked: robots.txt unreachable (HTTP 503)"},
               {"http://a:1/y", "blocked: robots.txt unreachable (HTTP 503)"},
               {"http://b:2/z", "blocked by robots.txt"}};
  CHECK(ReportWarnings(s) ==
        "forage: warning: http://a:1/robots.txt could not be read (disallow all (503), 4 "
        "requests): its 2 pages were blocked, not fetched (RFC 9309)\n");
  s.blocked.clear();
  CHECK(ReportWarnings(s).empty());
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::engine
