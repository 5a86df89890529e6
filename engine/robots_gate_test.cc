#include "engine/robots_gate.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace forage::engine {
namespace {

worker::BlockingFetchResult Response(long status, std::string body = {}) {
  worker::BlockingFetchResult r;
  r.transport_ok = true;
  r.http_status = status;
  r.body = std::move(body);
  return r;
}

TEST_SUITE("engine.robots_gate") {

TEST_CASE("status rules of RFC 9309 2.3.1") {
  const std::string body = "User-agent: *\nDisallow: /x\n";
  RobotsAnswer ok = RobotsFromResponse(Response(200, body), "forage");
  CHECK(ok.outcome == "rules");
  CHECK_FALSE(ok.rules.Allowed("/x"));
  CHECK(ok.rules.Allowed("/y"));
  for (long s : {400L, 401L, 403L, 404L, 410L, 429L}) {
    RobotsAnswer a = RobotsFromResponse(Response(s, body), "forage");
    CHECK(a.rules.Allowed("/x"));
  }
  for (long s : {500L, 502L, 503L, 599L}) {
    RobotsAnswer a = RobotsFromResponse(Response(s, body), "forage");
    CHECK_FALSE(a.rules.Allowed("/y"));
  }
  worker::BlockingFetchResult down;
  down.error = "Connection refused";
  CHECK_FALSE(RobotsFromResponse(down, "forage").rules.Allowed("/y"));
  CHECK(RobotsFromResponse(down, "forage").outcome == "disallow all (unreachable: Connection refused)");
  // No answer at all fails the pages; a 5xx blocks them.
  CHECK(RobotsFromResponse(down, "forage").unreachable);
  CHECK(*RobotsFromResponse(down, "forage").unavailable ==
        "robots.txt unreachable (Connection refused): not fetched");
  CHECK_FALSE(RobotsFromResponse(Response(503, body), "forage").unreachable);
  down.too_many_redirects = true;
  CHECK(RobotsFromResponse(down, "forage").rules.Allowed("/y"));
}

TEST_CASE("PathAndQuery") {
  CHECK(PathAndQuery("http://h:1/a/b?c=d#e") == "/a/b?c=d");
  CHECK(PathAndQuery("http://h:1") == "/");
  CHECK(PathAndQuery("http://h:1?q") == "/?q");
  CHECK(PathAndQuery("https://h/") == "/");
}

TEST_CASE("one fetch per origin, whatever the number of questions") {
  std::vector<std::string> fetched;
  RobotsGate gate([&](const std::string& url) {
    fetched.push_back(url);
    if (url.starts_with("http://a:1/")) {
      return Response(200, "User-agent: forage\nDisallow: /no\nCrawl-delay: 2\n");
    }
    return Response(503);
  });
  double gap = -1;
  CHECK(gate.Allowed("http://a:1/yes", &gap));
  CHECK(gap == 2);
  gap = -1;
  CHECK_FALSE(gate.Allowed("http://a:1/no/1", &gap));
  CHECK(gap == 2);
  CHECK(gate.Allowed("http://a:1/", nullptr));
  CHECK_FALSE(gate.Allowed("http://b:2/anything", &gap));
  CHECK_FALSE(gate.Allowed("http://b:2/other", &gap));
  CHECK(fetched == std::vector<std::string>{"http://a:1/robots.txt", "http://b:2/robots.txt"});
  REQUIRE(gate.origins().size() == 2);
  CHECK(gate.origins()[0].crawl_delay_s == 2);
  CHECK(gate.origins()[1].outcome == "disallow all (503)");
  GateVerdict v = gate.Judge("http://b:2/x");
  CHECK(v.kind == GateVerdict::Kind::kBlock);
  CHECK(v.reason == "blocked: robots.txt unreachable (HTTP 503)");
  CHECK(gate.Judge("http://a:1/no").kind == GateVerdict::Kind::kBlock);
  CHECK(gate.Judge("http://a:1/no").reason == "blocked by robots.txt");
  CHECK(gate.Judge("http://a:1/yes").kind == GateVerdict::Kind::kFetch);
}

TEST_CASE("a 5xx or unreachable robots.txt is retried with the run's backoff before the origin "
          "is disallowed") {
  std::vector<worker::BlockingFetchResult> script = {Response(503), Response(500),
                                                     Response(200, "User-agent: *\nDisallow: /no\n")};
  size_t calls = 0;
  std::vector<double> slept;
  RobotsGate gate(
      [&](const std::string&) {
        worker::BlockingFetchResult r = script[std::min(calls, script.size() - 1)];
        r.requests = 1;
        ++calls;
        return r;
      },
      "forage", RobotsRetry{3, 0.5, 60}, [&](double s) { slept.push_back(s); });
  CHECK(gate.Allowed("http://a:1/yes"));
  CHECK_FALSE(gate.Allowed("http://a:1/no"));
  CHECK(calls == 3);
  CHECK(slept == std::vector<double>{0.5, 1.0});
  CHECK(gate.origins()[0].requests == 3);
  CHECK(gate.origins()[0].outcome == "rules");

  SUBCASE("still 5xx after the last retry: blocked") {
    calls = 0;
    slept.clear();
    script = {Response(503)};
    RobotsGate down(
        [&](const std::string&) {
          ++calls;
          worker::BlockingFetchResult r = Response(503);
          r.requests = 1;
          return r;
        },
        "forage", RobotsRetry{2, 0.5, 0.75}, [&](double s) { slept.push_back(s); });
    GateVerdict v = down.Judge("http://b:2/x");
    CHECK(v.kind == GateVerdict::Kind::kBlock);
    CHECK(v.reason == "blocked: robots.txt unreachable (HTTP 503)");
    CHECK(calls == 3);
    CHECK(slept == std::vector<double>{0.5, 0.75});  // capped by --max-retry-wait
    CHECK(down.origins()[0].requests == 3);
    down.Judge("http://b:2/y");
    CHECK(calls == 3);  // once per origin, retries included
  }

  SUBCASE("4xx and too many redirects are answers: not retried") {
    calls = 0;
    RobotsGate gone(
        [&](const std::string&) {
          ++calls;
          return Response(404);
        },
        "forage", RobotsRetry{3, 0.5, 60}, [&](double s) { slept.push_back(s); });
    CHECK(gone.Allowed("http://c:3/x"));
    CHECK(calls == 1);
  }
}

TEST_CASE("no answer at all: a refused connection is retried, then fails the pages, a certificate "
          "error is not retried") {
  size_t calls = 0;
  bool retryable = true;
  RobotsGate gate(
      [&](const std::string&) {
        ++calls;
        worker::BlockingFetchResult r;
        r.error = retryable ? "Couldn't connect to server"
                            : "SSL certificate problem (CURLE_PEER_FAILED_VERIFICATION)";
        r.retryable = retryable;
        return r;
      },
      "forage", RobotsRetry{2, 0.5, 60}, [](double) {});
  GateVerdict v = gate.Judge("http://a:1/x");
  CHECK(v.kind == GateVerdict::Kind::kFail);
  CHECK(v.reason == "robots.txt unreachable (Couldn't connect to server): not fetched");
  CHECK(calls == 3);
  calls = 0;
  retryable = false;
  v = gate.Judge("http://b:2/x");
  CHECK(v.kind == GateVerdict::Kind::kFail);
  CHECK(v.reason ==
        "robots.txt unreachable (SSL certificate problem (CURLE_PEER_FAILED_VERIFICATION)): not "
        "fetched");
  CHECK(calls == 1);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::engine
