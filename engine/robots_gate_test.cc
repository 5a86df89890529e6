#include "engine/robots_gate.h"

#include <doctest/doctest.h>

#include <functional>
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

// The network and the clock of a test: Get and After are recorded, and the
// test answers them (Answer, Fire) when it likes, as the loop would later.
class FakeFetcher : public RobotsFetcher {
 public:
  struct Request {
    std::string url;
    Done done;
  };
  struct Wait {
    double seconds;
    std::function<void()> fn;
  };
  void Get(const std::string& url, Done done) override {
    requests.push_back({url, std::move(done)});
    fetched.push_back(url);
  }
  void After(double seconds, std::function<void()> fn) override {
    waits.push_back({seconds, std::move(fn)});
    slept.push_back(seconds);
  }
  // Answers the oldest request still open.
  void Answer(worker::BlockingFetchResult r) {
    REQUIRE_FALSE(requests.empty());
    Request q = std::move(requests.front());
    requests.erase(requests.begin());
    q.done(std::move(r));
  }
  // Ends the oldest wait.
  void Fire() {
    REQUIRE_FALSE(waits.empty());
    Wait w = std::move(waits.front());
    waits.erase(waits.begin());
    w.fn();
  }
  // Answers every request with `respond(url)` and ends every wait, until
  // nothing is open.
  void Settle(const std::function<worker::BlockingFetchResult(const std::string&)>& respond) {
    while (!requests.empty() || !waits.empty()) {
      if (!requests.empty()) {
        const std::string url = requests.front().url;
        Answer(respond(url));
      } else {
        Fire();
      }
    }
  }
  std::vector<Request> requests;
  std::vector<Wait> waits;
  std::vector<std::string> fetched;
  std::vector<double> slept;
};

TEST_CASE("one fetch per origin, whatever the number of questions") {
  FakeFetcher net;
  RobotsGate gate(&net);
  auto respond = [](const std::string& url) {
    if (url.starts_with("http://a:1/")) {
      return Response(200, "User-agent: forage\nDisallow: /no\nCrawl-delay: 2\n");
    }
    return Response(503);
  };
  // No answer yet: wait, and one request per origin whatever the questions.
  CHECK(gate.Judge("http://a:1/yes").kind == GateVerdict::Kind::kWait);
  CHECK(gate.Judge("http://a:1/no").kind == GateVerdict::Kind::kWait);
  CHECK(gate.Judge("http://b:2/x").kind == GateVerdict::Kind::kWait);
  CHECK(gate.pending());
  CHECK(net.fetched == std::vector<std::string>{"http://a:1/robots.txt", "http://b:2/robots.txt"});
  std::vector<std::string> answered;
  gate.SetOnAnswer([&](const std::string& origin) { answered.push_back(origin); });
  net.Settle(respond);
  CHECK_FALSE(gate.pending());
  CHECK(answered == std::vector<std::string>{"http://a:1", "http://b:2"});
  double gap = -1;
  CHECK(gate.Allowed("http://a:1/yes", &gap));
  CHECK(gap == 2);
  gap = -1;
  CHECK_FALSE(gate.Allowed("http://a:1/no/1", &gap));
  CHECK(gap == 2);
  CHECK(gate.Allowed("http://a:1/", nullptr));
  CHECK_FALSE(gate.Allowed("http://b:2/anything", &gap));
  CHECK_FALSE(gate.Allowed("http://b:2/other", &gap));
  CHECK(net.fetched == std::vector<std::string>{"http://a:1/robots.txt", "http://b:2/robots.txt"});
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

TEST_CASE("origins are answered in any order: one slow robots.txt holds only its own origin") {
  FakeFetcher net;
  RobotsGate gate(&net);
  CHECK(gate.Judge("http://slow:1/p").kind == GateVerdict::Kind::kWait);
  CHECK(gate.Judge("http://fast:2/p").kind == GateVerdict::Kind::kWait);
  REQUIRE(net.requests.size() == 2);
  // The second request is answered first.
  FakeFetcher::Request slow = std::move(net.requests[0]);
  net.requests.erase(net.requests.begin());
  net.Answer(Response(404));
  CHECK(gate.Judge("http://fast:2/p").kind == GateVerdict::Kind::kFetch);
  CHECK(gate.Judge("http://slow:1/p").kind == GateVerdict::Kind::kWait);
  CHECK(gate.pending());
  slow.done(Response(200, "User-agent: *\nDisallow: /p\n"));
  CHECK_FALSE(gate.pending());
  CHECK(gate.Judge("http://slow:1/p").kind == GateVerdict::Kind::kBlock);
  REQUIRE(gate.origins().size() == 2);
  CHECK(gate.origins()[0].origin == "http://fast:2");
  CHECK(gate.origins()[1].origin == "http://slow:1");
}

TEST_CASE("a 5xx or unreachable robots.txt is retried with the run's backoff before the origin "
          "is disallowed") {
  std::vector<worker::BlockingFetchResult> script = {Response(503), Response(500),
                                                     Response(200, "User-agent: *\nDisallow: /no\n")};
  size_t calls = 0;
  FakeFetcher net;
  auto scripted = [&](const std::string&) {
    worker::BlockingFetchResult r = script[std::min(calls, script.size() - 1)];
    r.requests = 1;
    ++calls;
    return r;
  };
  RobotsGate gate(&net, "forage", RobotsRetry{3, 0.5, 60});
  CHECK(gate.Judge("http://a:1/yes").kind == GateVerdict::Kind::kWait);
  // A timer between the attempts, not a sleep: still waiting meanwhile.
  net.Answer(scripted(""));
  CHECK(net.requests.empty());
  REQUIRE(net.waits.size() == 1);
  CHECK(gate.Judge("http://a:1/yes").kind == GateVerdict::Kind::kWait);
  net.Settle(scripted);
  CHECK(gate.Allowed("http://a:1/yes"));
  CHECK_FALSE(gate.Allowed("http://a:1/no"));
  CHECK(calls == 3);
  CHECK(net.slept == std::vector<double>{0.5, 1.0});
  CHECK(gate.origins()[0].requests == 3);
  CHECK(gate.origins()[0].outcome == "rules");

  SUBCASE("still 5xx after the last retry: blocked") {
    FakeFetcher down_net;
    calls = 0;
    RobotsGate down(&down_net, "forage", RobotsRetry{2, 0.5, 0.75});
    CHECK(down.Judge("http://b:2/x").kind == GateVerdict::Kind::kWait);
    down_net.Settle([&](const std::string&) {
      ++calls;
      worker::BlockingFetchResult r = Response(503);
      r.requests = 1;
      return r;
    });
    GateVerdict v = down.Judge("http://b:2/x");
    CHECK(v.kind == GateVerdict::Kind::kBlock);
    CHECK(v.reason == "blocked: robots.txt unreachable (HTTP 503)");
    CHECK(calls == 3);
    CHECK(down_net.slept == std::vector<double>{0.5, 0.75});  // capped by --max-retry-wait
    CHECK(down.origins()[0].requests == 3);
    down.Judge("http://b:2/y");
    CHECK(down_net.requests.empty());  // once per origin, retries included
  }

  SUBCASE("4xx and too many redirects are answers: not retried") {
    FakeFetcher gone_net;
    RobotsGate gone(&gone_net, "forage", RobotsRetry{3, 0.5, 60});
    CHECK(gone.Judge("http://c:3/x").kind == GateVerdict::Kind::kWait);
    gone_net.Answer(Response(404));
    CHECK(gone.Allowed("http://c:3/x"));
    CHECK(gone_net.fetched.size() == 1);
    CHECK(gone_net.waits.empty());
  }
}

TEST_CASE("Retry-After of a 503 robots.txt sets the wait before the next attempt, capped by "
          "--max-retry-wait") {
  FakeFetcher net;
  RobotsGate gate(&net, "forage", RobotsRetry{3, 0.5, 60});
  CHECK(gate.Judge("http://a:1/x").kind == GateVerdict::Kind::kWait);
  worker::BlockingFetchResult busy = Response(503);
  busy.retry_after_s = 7;
  net.Answer(busy);
  busy.retry_after_s = 3600;  // an hour: capped
  net.Fire();
  net.Answer(busy);
  net.Fire();
  net.Answer(Response(503));  // none: the backoff of the third attempt
  net.Fire();
  net.Answer(Response(200, ""));
  CHECK(net.slept == std::vector<double>{7, 60, 2});
  CHECK(gate.Judge("http://a:1/x").kind == GateVerdict::Kind::kFetch);
  CHECK(RobotsRetryDelay(RobotsRetry{3, 0.5, 60}, 1, -1) == 0.5);
  CHECK(RobotsRetryDelay(RobotsRetry{3, 0.5, 60}, 1, 0) == 0);
  CHECK(RobotsRetryDelay(RobotsRetry{3, 0.5, 10}, 1, 30) == 10);
}

TEST_CASE("no answer at all: a refused connection is retried, then fails the pages, a certificate "
          "error is not retried") {
  size_t calls = 0;
  bool retryable = true;
  auto respond = [&](const std::string&) {
    ++calls;
    worker::BlockingFetchResult r;
    r.error = retryable ? "Couldn't connect to server"
                        : "SSL certificate problem (CURLE_PEER_FAILED_VERIFICATION)";
    r.retryable = retryable;
    return r;
  };
  FakeFetcher net;
  RobotsGate gate(&net, "forage", RobotsRetry{2, 0.5, 60});
  gate.Judge("http://a:1/x");
  net.Settle(respond);
  GateVerdict v = gate.Judge("http://a:1/x");
  CHECK(v.kind == GateVerdict::Kind::kFail);
  CHECK(v.reason == "robots.txt unreachable (Couldn't connect to server): not fetched");
  CHECK(calls == 3);
  calls = 0;
  retryable = false;
  gate.Judge("http://b:2/x");
  net.Settle(respond);
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
