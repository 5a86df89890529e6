// --cache end to end: a second run served from disk makes no request and
// writes the same bytes; revalidation gets 304s; failures and no-store pages
// are not kept; a cache shared by two workers survives kill -9 of the whole
// process group, and a torn entry is never served.

#include <doctest/doctest.h>

#include <signal.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

// Entry files are named by 64 hex digits (worker/http_cache.h).
std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.size() == 64 && name.find_first_not_of("0123456789abcdef") == std::string::npos) {
      out.push_back(e.path().string());
    }
  }
  return out;
}

// The requested URL an entry file holds: the payload (after the 48-byte
// header) starts with u32 status, u64 stored_at, then the URL as u32 length
// and bytes.
std::string EntryUrl(const std::string& bytes) {
  if (bytes.size() < 64) return {};
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= uint32_t{static_cast<uint8_t>(bytes[60 + i])} << (8 * i);
  return bytes.size() < 64 + n ? std::string() : bytes.substr(64, n);
}

nlohmann::json Report(const std::string& path) { return nlohmann::json::parse(ReadFile(path)); }

// The argv run in a session of its own, so its pid names its process group.
TEST_SUITE("e2e.cache") {

TEST_CASE("a second run with --cache-mode always makes no request and writes the same bytes") {
  Fixture fx;
  const std::string dir = TempDir("cache_always");
  const std::string cache = dir + "/cache";
  auto first = SeedJob(fx, "1-48");
  first.insert(first.end(), {"--workers", "2", "--cache", cache, "-o", dir + "/first.csv",
                             "--report", dir + "/first.json"});
  auto r1 = RunProcess(first);
  INFO(r1.err);
  REQUIRE(r1.exit_code == 0);
  CHECK(ReadFile(dir + "/first.csv") == GoldenShopCsv(fx));
  CHECK(fx.Stat("requests") == 1 + 48);  // robots.txt, the pages
  auto rep1 = Report(dir + "/first.json");
  CHECK(rep1["cache_hits"] == 0);
  CHECK(rep1["cache_revalidated"] == 0);
  CHECK(rep1["cache_misses"] == 48);
  CHECK(Entries(cache).size() == 1 + 48);  // robots.txt too
  CHECK(r1.err.find("cache hits 0   revalidated 0   misses 48") != std::string::npos);

  fx.Get("/__reset");
  auto second = SeedJob(fx, "1-48");
  second.insert(second.end(), {"--workers", "2", "--cache", cache, "--cache-mode", "always",
                               "-o", dir + "/second.csv", "--report", dir + "/second.json"});
  auto r2 = RunProcess(second);
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  CHECK(fx.Stat("requests") == 0);
  CHECK(ReadFile(dir + "/second.csv") == ReadFile(dir + "/first.csv"));
  auto rep2 = Report(dir + "/second.json");
  CHECK(rep2["cache_hits"] == 48);
  CHECK(rep2["cache_misses"] == 0);
  CHECK(rep2["requests"] == 0);
  CHECK(rep2["pages_ok"] == 48);
  CHECK(r2.err.find("cache hits 48   revalidated 0   misses 0") != std::string::npos);
}

TEST_CASE("pages served from --cache-mode always are not paced by --rate, pages not in it are") {
  Fixture fx;
  const std::string dir = TempDir("cache_unpaced");
  const std::string cache = dir + "/cache";
  auto first = SeedJob(fx, "1-46");
  first.insert(first.end(), {"--cache", cache, "-o", dir + "/first.csv", "--quiet"});
  auto r1 = RunProcess(first);
  INFO(r1.err);
  REQUIRE(r1.exit_code == 0);

  // 48 pages at one lease every 5 s would take 4 minutes: the 46 cached
  // ones take no slot, so the run is the 2 real requests, 5 s apart (the
  // safety net is the process timeout).
  fx.Get("/__reset");
  auto second = SeedJob(fx, "1-48");
  second.insert(second.end(), {"--cache", cache, "--cache-mode", "always", "--rate", "0.2",
                               "--ignore-robots", "-o", dir + "/second.csv", "--report",
                               dir + "/second.json", "--quiet"});
  auto r2 = RunProcess(second, {}, 90);
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  CHECK(fx.Stat("requests") == 2);
  CHECK(ReadFile(dir + "/second.csv") == GoldenShopCsv(fx));
  auto rep2 = Report(dir + "/second.json");
  CHECK(rep2["cache_hits"] == 46);
  CHECK(rep2["cache_misses"] == 2);
  CHECK(rep2["wall_s"].get<double>() >= 5.0);  // the two real requests were still spaced
}

TEST_CASE("--cache-mode revalidate sends the stored ETag and reuses the body on 304") {
  Fixture fx;
  const std::string dir = TempDir("cache_revalidate");
  const std::string cache = dir + "/cache";
  auto job = [&](const std::string& mode, const std::string& name) {
    auto argv = SeedJob(fx, "1-48");
    argv[3] = fx.url() + "shop/page/{page}/?etag=1";
    argv.insert(argv.end(), {"--workers", "2", "--cache", cache, "--cache-mode", mode, "-o",
                             dir + "/" + name + ".csv", "--report", dir + "/" + name + ".json"});
    return argv;
  };
  auto r1 = RunProcess(job("revalidate", "first"));
  INFO(r1.err);
  REQUIRE(r1.exit_code == 0);
  CHECK(fx.Stat("not_modified") == 0);
  CHECK(ReadFile(dir + "/first.csv") == GoldenShopCsv(fx));

  fx.Get("/__reset");
  auto r2 = RunProcess(job("revalidate", "second"));
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  CHECK(fx.Stat("requests") == 1 + 48);  // robots.txt is always fetched in this mode
  CHECK(fx.Stat("not_modified") == 48);
  CHECK(ReadFile(dir + "/second.csv") == ReadFile(dir + "/first.csv"));
  auto rep = Report(dir + "/second.json");
  CHECK(rep["cache_revalidated"] == 48);
  CHECK(rep["cache_hits"] == 0);
  CHECK(rep["cache_misses"] == 0);
}

TEST_CASE("failed pages and no-store pages are never cached") {
  Fixture fx;
  const std::string dir = TempDir("cache_failures");
  const std::string cache = dir + "/cache";
  auto job = [&](const std::string& query, const std::string& name) {
    auto argv = SeedJob(fx, "1-4");
    argv[3] = fx.url() + "shop/page/{page}/" + query;
    argv.insert(argv.end(), {"--workers", "1", "--retries", "0", "--ignore-robots", "--cache",
                             cache, "-o", dir + "/" + name + ".csv", "--report",
                             dir + "/" + name + ".json", "--quiet"});
    return argv;
  };
  // Every page's first request fails with 503: nothing is stored.
  auto failed = RunProcess(job("?fail_first=1", "failed"));
  CHECK(failed.exit_code == 1);
  CHECK(Report(dir + "/failed.json")["pages_failed"] == 4);
  CHECK(Entries(cache).empty());
  // The next run fetches them again (they now succeed) and stores them...
  auto fetched = RunProcess(job("?fail_first=1", "fetched"));
  CHECK(fetched.exit_code == 0);
  CHECK(Report(dir + "/fetched.json")["cache_misses"] == 4);
  CHECK(Entries(cache).size() == 4);
  // ...so the third makes no request.
  fx.Get("/__reset");
  auto served = RunProcess(job("?fail_first=1", "served"));
  CHECK(served.exit_code == 0);
  CHECK(fx.Stat("requests") == 0);
  CHECK(ReadFile(dir + "/served.csv") == ReadFile(dir + "/fetched.csv"));

  // Cache-Control: no-store pages are fetched every time.
  auto no_store = RunProcess(job("?no_store=1", "no_store"));
  CHECK(no_store.exit_code == 0);
  CHECK(Entries(cache).size() == 4);
  fx.Get("/__reset");
  auto again = RunProcess(job("?no_store=1", "again"));
  CHECK(again.exit_code == 0);
  CHECK(fx.Stat("requests") == 4);
  CHECK(Report(dir + "/again.json")["cache_misses"] == 4);
}

TEST_CASE("a cache shared by 2 workers survives kill -9 of the group, torn entries are ignored") {
  // 300 pages at >= 60 ms each, 4 at a time: the run lasts over 4 s, and the
  // 240 pages after the 60th take over 3.6 s, so the kill below lands mid-run
  // even on a loaded machine.
  Fixture fx({"--pages", "300", "--delay", "60"});
  const std::string dir = TempDir("cache_kill9");
  const std::string cache = dir + "/cache";
  auto job = [&](const std::string& name, bool with_cache) {
    auto argv = SeedJob(fx, "1-300");
    argv.insert(argv.end(), {"--workers", "2", "--concurrency", "4", "-o",
                             dir + "/" + name + ".csv", "--report", dir + "/" + name + ".json",
                             "--quiet"});
    if (with_cache) argv.insert(argv.end(), {"--cache", cache});
    return argv;
  };
  // What the job writes without a cache, to compare against.
  auto reference = RunProcess(job("reference", false));
  REQUIRE(reference.exit_code == 0);
  const std::string expected = ReadFile(dir + "/reference.csv");

  {
    Background run(job("killed", true));  // leads its own process group
    // Killed once 60 pages are in the cache: workers are storing as it dies.
    REQUIRE(WaitUntil([&] {
      return std::filesystem::exists(cache) && Entries(cache).size() >= 60;
    }));
    REQUIRE(kill(-run.pid(), SIGKILL) == 0);
    run.Wait();
  }
  std::vector<std::string> entries = Entries(cache);
  REQUIRE(entries.size() >= 60);
  REQUIRE(entries.size() < 1 + 300);

  // Two entries spoiled by hand: page 3's cut in half, and page 5's with one
  // product name changed (same length). Served, either would change the rows.
  std::string page3;
  std::string page5;
  for (const auto& path : entries) {
    std::string url = EntryUrl(ReadFile(path));
    if (url == fx.url() + "shop/page/3/") page3 = path;
    if (url == fx.url() + "shop/page/5/") page5 = path;
  }
  REQUIRE_FALSE(page3.empty());
  REQUIRE_FALSE(page5.empty());
  std::string bytes3 = ReadFile(page3);
  WriteFile(page3, bytes3.substr(0, bytes3.size() / 2));
  std::string bytes5 = ReadFile(page5);
  size_t h2 = bytes5.find("<h2");
  REQUIRE(h2 != std::string::npos);
  size_t name = bytes5.find('>', h2) + 1;
  bytes5[name] = bytes5[name] == 'Z' ? 'Q' : 'Z';
  WriteFile(page5, bytes5);

  fx.Get("/__reset");
  auto next = RunProcess(job("next", true));
  INFO(next.err);
  REQUIRE(next.exit_code == 0);
  CHECK(ReadFile(dir + "/next.csv") == expected);
  auto rep = Report(dir + "/next.json");
  // Every whole entry was served; the two spoiled ones and the rest fetched.
  const long whole_pages = static_cast<long>(entries.size()) - 1 - 2;  // robots.txt, spoiled
  CHECK(rep["cache_hits"] == whole_pages);
  CHECK(rep["cache_misses"] == 300 - whole_pages);
  CHECK(fx.Stat("requests") == 300 - whole_pages);
  // The spoiled entries were replaced by good ones: a third run is all hits.
  fx.Get("/__reset");
  auto third = RunProcess(job("third", true));
  REQUIRE(third.exit_code == 0);
  CHECK(fx.Stat("requests") == 0);
  CHECK(ReadFile(dir + "/third.csv") == expected);
}

TEST_CASE("--cache-max bounds the cache directory") {
  Fixture fx;
  const std::string dir = TempDir("cache_max");
  const std::string cache = dir + "/cache";
  auto argv = SeedJob(fx, "1-48");
  argv.insert(argv.end(), {"--workers", "1", "--cache", cache, "--cache-max", "200KB", "-o",
                           dir + "/out.csv", "--quiet"});
  auto r = RunProcess(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadFile(dir + "/out.csv") == GoldenShopCsv(fx));
  uint64_t bytes = 0;
  for (const auto& e : Entries(cache)) bytes += std::filesystem::file_size(e);
  CHECK(bytes <= 200'000);
  CHECK(Entries(cache).size() > 0);
}

TEST_CASE("bad cache flags are refused before any work") {
  Fixture fx;
  const std::string dir = TempDir("cache_flags");
  for (const auto& [flags, message] :
       std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--cache", dir + "/c", "--cache-mode", "sometimes"},
            "--cache-mode 'sometimes': expected always or revalidate"},
           {{"--cache", dir + "/c", "--cache-max", "lots"}, "--cache-max"}}) {
    auto argv = SeedJob(fx, "1");
    argv.insert(argv.end(), flags.begin(), flags.end());
    auto r = RunProcess(argv);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(message) != std::string::npos);
  }
  // A cache that cannot be made is an operation failure (exit 3), also before any work.
  WriteFile(dir + "/file", "x");
  auto argv = SeedJob(fx, "1");
  argv.insert(argv.end(), {"--cache", dir + "/file", "-o", dir + "/out.csv"});
  auto r = RunProcess(argv);
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("--cache '" + dir + "/file'") != std::string::npos);
  CHECK(fx.Stat("requests") == 0);
}

}  // TEST_SUITE

}  // namespace
}  // namespace forage::testing
