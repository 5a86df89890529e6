#include "cmd/flags.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <vector>

namespace forage::cmd {
namespace {

Result<Invocation> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "forage");
  return ParseArgs(static_cast<int>(args.size()), args.data());
}

TEST_SUITE("cmd.flags") {

TEST_CASE("run flags fill the config") {
  auto inv = Parse({"run", "--url", "http://h/{page}", "--pages", "1-48", "--items", ".product",
                    "--field", "id=.a::attr(x)", "--field", "name=h2", "--workers", "4",
                    "--concurrency", "8", "--per-host", "3", "--timeout", "2s", "--cpu-burn",
                    "100ms", "-o", "out.csv", "--order", "arrival", "--chunking", "static"});
  REQUIRE(inv.has_value());
  const auto& c = inv->config;
  CHECK(inv->action == Action::kRun);
  CHECK(c.url_template == "http://h/{page}");
  REQUIRE(c.fields.size() == 2);
  CHECK(c.fields[0].name == "id");
  CHECK(c.fields[0].selector == ".a::attr(x)");
  CHECK(c.workers == 4);
  CHECK(c.concurrency == 8);
  CHECK(c.per_host == 3);
  CHECK(c.timeout_ms == 2000);
  CHECK(c.cpu_burn_s == doctest::Approx(0.1));
  CHECK(c.order == engine::Order::kArrival);
  CHECK(c.chunking == engine::Chunking::kStatic);
}

TEST_CASE("--throttle off or auto, and whether --per-host was given") {
  auto plain = Parse({"run", "--url", "http://h/", "--items", "p", "--field", "a=b"});
  REQUIRE(plain.has_value());
  CHECK_FALSE(plain->config.throttle_auto);
  CHECK_FALSE(plain->config.per_host_given);
  CHECK(plain->config.per_host == 8);
  auto given = Parse({"run", "--url", "http://h/", "--items", "p", "--field", "a=b", "--throttle",
                      "auto", "--per-host", "8"});
  REQUIRE(given.has_value());
  CHECK(given->config.throttle_auto);
  CHECK(given->config.per_host_given);
  auto bad = Parse({"run", "--url", "http://h/", "--items", "p", "--field", "a=b", "--throttle",
                    "on"});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message == "--throttle 'on': expected off or auto");
}

TEST_CASE("--url: one template with --pages, or start URLs (repeatable) without --pages") {
  auto t = Parse({"run", "--url", "http://h/{page}", "--pages", "1-2", "--items", "li", "--field",
                  "a=b"});
  REQUIRE(t.has_value());
  CHECK(t->config.url_template == "http://h/{page}");
  CHECK(t->config.start_urls.empty());
  auto s = Parse({"run", "--url", "http://h/a", "--url", "http://h/b", "--items", "li", "--field",
                  "a=b", "--crawl", "--scope", "domain", "--allow", "x", "--allow", "y",
                  "--deny", "z", "--depth", "3", "--max-pages", "9"});
  REQUIRE(s.has_value());
  const auto& c = s->config;
  CHECK(c.url_template.empty());
  CHECK(c.start_urls == std::vector<std::string>{"http://h/a", "http://h/b"});
  CHECK(c.crawl);
  CHECK(c.scope == "domain");
  CHECK(c.allow == std::vector<std::string>{"x", "y"});
  CHECK(c.deny == std::vector<std::string>{"z"});
  CHECK(c.max_depth == 3);
  CHECK(c.max_pages == 9);
  auto n = Parse({"run", "--url", "http://h/a", "--items", "li", "--field", "a=b", "--next",
                  "a.next::attr(href)"});
  REQUIRE(n.has_value());
  CHECK(n->config.next == "a.next::attr(href)");
  CHECK(n->config.max_depth == -1);  // no limit unless given
  auto p = Parse({"run", "--url", "http://h/a", "--pages", "1-3", "--items", "li", "--field",
                  "a=b"});
  REQUIRE_FALSE(p.has_value());
  CHECK(p.error().message.find("--pages only makes sense with a {page} template") !=
        std::string::npos);
  CHECK(p.error().message.find("--urls FILE") != std::string::npos);
  auto mixed = Parse({"run", "--url", "http://h/{page}", "--url", "http://h/a", "--items", "li",
                      "--field", "a=b"});
  REQUIRE_FALSE(mixed.has_value());
  CHECK(mixed.error().message.find("cannot be combined with other --url") != std::string::npos);
  auto lone = Parse({"run", "--url", "http://h/a", "--items", "li", "--field", "a=b",
                     "--deny", "x"});
  REQUIRE_FALSE(lone.has_value());
  CHECK(lone.error().message == "--deny needs --crawl or --next (or --sitemap)");
}

TEST_CASE("workers: auto, 0 and numbers, anything else is an error") {
  auto base = std::vector<const char*>{"run", "--url", "http://h/{page}", "--pages", "1",
                                       "--items", "li", "--field", "a=b", "--workers"};
  auto with = [&](const char* w) {
    auto a = base;
    a.push_back(w);
    return Parse(a);
  };
  CHECK(with("auto")->config.workers == -1);
  CHECK(with("0")->config.workers == 0);
  CHECK(with("32")->config.workers == 32);
  CHECK_FALSE(with("-1").has_value());
  CHECK_FALSE(with("two").has_value());
}

TEST_CASE("a mistyped flag suggests the right one") {
  auto inv = Parse({"run", "--url", "http://h/{page}", "--pages", "1", "--itmes", "li"});
  REQUIRE_FALSE(inv.has_value());
  CHECK(inv.error().message == "unknown flag '--itmes' (did you mean --items?)");
  CHECK(SuggestFlag("--concurency") == "--concurrency");
  CHECK(SuggestFlag("--zzzzzzzz") == "");
}

TEST_CASE("a mistyped subcommand suggests the right one, and the --format flags parse") {
  auto r = Parse({"slect", "page.html", "h2"});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message == "unknown command 'slect' (did you mean select?)");
  auto far = Parse({"zzzzzz"});
  REQUIRE_FALSE(far.has_value());
  CHECK(far.error().message ==
        "unknown command 'zzzzzz' (commands: run, demo, bench, tune, select, extract, worker, "
        "status)");
  // The distributed mode's commands are named and suggested too.
  auto node = Parse({"wroker", "--redis", "redis://127.0.0.1:1"});
  REQUIRE_FALSE(node.has_value());
  CHECK(node.error().message == "unknown command 'wroker' (did you mean worker?)");
  auto help = Parse({"--help"});
  REQUIRE(help.has_value());
  CHECK(help->text.find("\n  worker ") != std::string::npos);
  CHECK(help->text.find("\n  status ") != std::string::npos);
  const char* const argv_run[] = {"forage", "run", "--url", "u"};
  CHECK(HelpPointer(4, argv_run, "job file 'a.toml' line 1: x") ==
        "'forage run --help' and docs/jobfile.md");
  CHECK(HelpPointer(4, argv_run, "--pages 'x': bad") == "'forage run --help' and docs/cli.md");
  auto ok = Parse({"run", "--url", "http://h/{page}", "--pages", "1", "--items", "li",
                   "--field", "a=b", "--format", "json", "--with-source", "--allow-empty"});
  REQUIRE(ok.has_value());
  CHECK(ok->config.format == "json");
  CHECK(ok->config.with_source);
  CHECK(ok->config.allow_empty);
}

TEST_CASE("each --field takes one value, a stray word is an error, not a field") {
  auto inv = Parse({"run", "--url", "http://h/{page}", "--pages", "1", "--items", "li", "--field",
                    "a=b", "c=d"});
  REQUIRE_FALSE(inv.has_value());
  CHECK(inv.error().message == "unexpected argument 'c=d'");
}

TEST_CASE("missing pieces are named") {
  CHECK(Parse({"run", "--pages", "1", "--items", "li", "--field", "a=b"}).error().message ==
        "--url is required (or --urls FILE, or --sitemap URL)");
  CHECK(Parse({"run", "--url", "http://h/{page}", "--items", "li", "--field", "a=b"})
            .error()
            .message == "--pages is required with --url");
  CHECK(Parse({"run", "--url", "http://h/{page}", "--pages", "1", "--field", "a=b"})
            .error()
            .message == "--items is required");
}

TEST_CASE("sizes: --max-body and --worker-max-rss take MiB or a unit, overflow is an error") {
  auto base = std::vector<const char*>{"run", "--url", "http://h/{page}", "--pages", "1",
                                       "--items", "li", "--field", "a=b"};
  auto with = [&](std::vector<const char*> extra) {
    auto a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return Parse(a);
  };
  CHECK(with({})->config.max_body_bytes == 16ull << 20);
  CHECK(with({"--max-body", "32"})->config.max_body_bytes == 32ull << 20);
  CHECK(with({"--max-body", "500KB"})->config.max_body_bytes == 500'000ull);
  CHECK(with({})->config.worker_max_rss_bytes == 0);  // the engine's default
  CHECK(with({"--worker-max-rss", "400MB"})->config.worker_max_rss_bytes == 400'000'000ull);
  CHECK(with({"--worker-max-rss", "2GiB"})->config.worker_max_rss_bytes == 2ull << 30);
  CHECK(with({"--worker-max-rss", "300"})->config.worker_max_rss_bytes == 300ull << 20);
  // 2^44 MiB wrapped to 0 bytes: every page "too large".
  auto overflow = with({"--max-body", "17592186044416"});
  REQUIRE_FALSE(overflow.has_value());
  CHECK(overflow.error().message.find("--max-body") == 0);
  CHECK(overflow.error().message.find("too large") != std::string::npos);
  CHECK(with({"--worker-max-rss", "lots"}).error().message.find("--worker-max-rss") == 0);
  CHECK(with({"--worker-max-rss", "1KB"}).error().message.find("--worker-max-rss") == 0);
}

TEST_CASE("cache and proxy flags fill the config, bad values are named") {
  auto base = std::vector<const char*>{"run", "--url", "http://h/{page}", "--pages", "1",
                                       "--items", "li", "--field", "a=b"};
  auto with = [&](std::vector<const char*> extra) {
    auto a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return Parse(a);
  };
  auto plain = with({});
  REQUIRE(plain.has_value());
  CHECK(plain->config.cache_dir.empty());
  CHECK(plain->config.cache_mode == "always");
  CHECK(plain->config.cache_max_bytes == 0);
  CHECK(plain->config.proxy_mode == "rotate");
  auto set = with({"--cache", "c", "--cache-mode", "revalidate", "--cache-max", "2GiB",
                   "--proxy-list", "p.txt", "--proxy-mode", "sticky"});
  REQUIRE(set.has_value());
  CHECK(set->config.cache_dir == "c");
  CHECK(set->config.cache_mode == "revalidate");
  CHECK(set->config.cache_max_bytes == 2ull << 30);
  CHECK(set->config.proxy_list == "p.txt");
  CHECK(set->config.proxy_mode == "sticky");
  CHECK(with({"--cache", "c", "--cache-max", "300"})->config.cache_max_bytes == 300ull << 20);
  CHECK(with({"--cache-mode", "never"}).error().message ==
        "--cache-mode 'never': expected always or revalidate");
  CHECK(with({"--cache-max", "0"}).error().message == "--cache-max must be > 0");
  CHECK(with({"--cache-max", "x"}).error().message.find("--cache-max") == 0);
  CHECK(with({"--proxy-mode", "random"}).error().message ==
        "--proxy-mode 'random': expected rotate or sticky");
  CHECK(with({"--proxy-list", "p.txt", "--proxy", "http://a:1"}).error().message ==
        "--proxy and --proxy-list exclude each other");
  CHECK(with({"--cahce", "c"}).error().message.find("did you mean --cache?") !=
        std::string::npos);
}

TEST_CASE("NaN, infinite and negative numbers and durations are refused, naming the flag") {
  auto base = std::vector<const char*>{"run", "--url", "http://h/{page}", "--pages", "1",
                                       "--items", "li", "--field", "a=b"};
  struct Case {
    std::vector<const char*> args;
    const char* flag;
  };
  for (const Case& c : std::vector<Case>{{{"--rate", "nan"}, "--rate"},
                                          {{"--rate", "inf"}, "--rate"},
                                          {{"--rate", "-1"}, "--rate"},
                                          {{"--delay", "nan"}, "--delay"},
                                          {{"--timeout", "-1s"}, "--timeout"},
                                          {{"--hang-timeout", "infs"}, "--hang-timeout"},
                                          {{"--page-cpu-limit", "nan"}, "--page-cpu-limit"},
                                          {{"--page-cpu-limit", "-2s"}, "--page-cpu-limit"},
                                          {{"--cpu-burn", "1e999s"}, "--cpu-burn"},
                                          {{"--max-body", "-1"}, "--max-body"},
                                          {{"--max-body", "nan"}, "--max-body"},
                                          {{"--timeout", "99999999999999999999h"}, "--timeout"}}) {
    auto a = base;
    a.insert(a.end(), c.args.begin(), c.args.end());
    CAPTURE(c.args[0]);
    CAPTURE(c.args[1]);
    auto inv = Parse(a);
    REQUIRE_FALSE(inv.has_value());
    CHECK(inv.error().message.find(c.flag) != std::string::npos);
  }
  auto ok = Parse([&] {
    auto a = base;
    a.insert(a.end(), {"--page-cpu-limit", "0", "--rate", "2.5"});
    return a;
  }());
  REQUIRE(ok.has_value());
  CHECK(ok->config.page_cpu_limit_s == 0);
  CHECK(ok->config.rate_per_host == 2.5);
  CHECK(Parse(base)->config.page_cpu_limit_s == 10);
}

TEST_CASE("bench and tune refuse counts below 1, naming the flag") {
  auto path = std::filesystem::temp_directory_path() / "forage_flags_test_bench.toml";
  std::ofstream(path) << "url = \"http://h/{page}\"\npages = \"1\"\nitems = \"li\"\n"
                         "[fields]\na = \"b\"\n";
  std::string job = path.string();
  CHECK(Parse({"bench", job.c_str(), "--repeat", "-1"}).error().message.find("--repeat") == 0);
  CHECK(Parse({"bench", job.c_str(), "--repeat", "0"}).error().message.find("--repeat") == 0);
  CHECK(Parse({"tune", job.c_str(), "--sample", "0"}).error().message.find("--sample") == 0);
  CHECK(Parse({"tune", job.c_str(), "--max-workers", "-2"}).error().message.find("--max-workers") ==
        0);
  CHECK(Parse({"tune", job.c_str(), "--budget", "nan"}).error().message.find("--budget") == 0);
  CHECK(Parse({"bench", job.c_str(), "--repeat", "2"})->bench.repeat == 2);
}

TEST_CASE("bench and tune take run's flags without a job file") {
  auto tune = Parse({"tune", "--url", "http://h/shop?page={page}", "--pages", "1-48", "--items",
                     ".product", "--field", "name=h2", "--field", "price=.price", "--repeat", "5",
                     "--concurrency-list", "4,16", "--workers-list", "1,2", "--svg", "t.svg",
                     "--cpu-burn", "50ms"});
  REQUIRE(tune.has_value());
  CHECK(tune->action == Action::kTune);
  CHECK(tune->config.url_template == "http://h/shop?page={page}");
  CHECK(tune->config.pages == "1-48");
  CHECK(tune->config.items == ".product");
  REQUIRE(tune->config.fields.size() == 2);
  CHECK(tune->config.fields[1].selector == ".price");
  CHECK(tune->config.cpu_burn_s == doctest::Approx(0.05));
  CHECK(tune->tune.repeat == 5);
  CHECK(tune->tune.concurrency_list == std::vector<int>{4, 16});
  CHECK(tune->tune.workers_list == std::vector<int>{1, 2});
  CHECK(tune->tune.svg_path == "t.svg");
  CHECK_FALSE(tune->tune.per_host_given);
  auto bench = Parse({"bench", "--url", "http://h/{page}", "--pages", "1-2", "--items", "li",
                      "--field", "a=b", "-c", "12", "--workers-list", "2,3", "--repeat", "1"});
  REQUIRE(bench.has_value());
  CHECK(bench->action == Action::kBench);
  CHECK(bench->config.concurrency == 12);
  CHECK(bench->bench.workers_list == std::vector<int>{2, 3});
  // The job's checks are run's: no --pages for a template.
  CHECK(Parse({"tune", "--url", "http://h/{page}", "--items", "li", "--field", "a=b"})
            .error()
            .message == "--pages is required with --url");
  CHECK(Parse({"tune", "--url", "http://h/{page}", "--pages", "1", "--items", "li", "--field",
               "a=b", "--repat", "2"})
            .error()
            .message == "unknown flag '--repat' (did you mean --repeat?)");
  CHECK(Parse({"tune", "--url", "http://h/{page}", "--pages", "1", "--items", "li", "--field",
               "a=b", "--concurrency-list", "4,x"})
            .error()
            .message == "--concurrency-list '4,x': 'x' is not a number of transfers (1-100000)");
}

TEST_CASE("bench and tune read a job file and let flags override it, as run does") {
  auto path = std::filesystem::temp_directory_path() / "forage_flags_test_tune.toml";
  std::ofstream(path) << "url = \"http://h/{page}\"\npages = \"1-48\"\nitems = \"li\"\n"
                         "concurrency = 8\nper_host = 4\n[fields]\na = \"b\"\nc = \"d\"\n";
  std::string job = path.string();
  auto tune = Parse({"tune", job.c_str(), "--pages", "1-3", "--field", "x=y", "--repeat", "2"});
  REQUIRE(tune.has_value());
  CHECK(tune->action == Action::kTune);
  CHECK(tune->config.pages == "1-3");
  CHECK(tune->config.concurrency == 8);
  REQUIRE(tune->config.fields.size() == 1);  // --field replaces the file's fields
  CHECK(tune->config.fields[0].name == "x");
  CHECK(tune->config.job_name == "forage_flags_test_tune");
  CHECK(tune->tune.repeat == 2);
  CHECK(tune->tune.per_host_given);  // the job file set per_host
  auto bench = Parse({"bench", job.c_str(), "--concurrency", "3", "--md", "b.md"});
  REQUIRE(bench.has_value());
  CHECK(bench->action == Action::kBench);
  CHECK(bench->config.concurrency == 3);
  CHECK(bench->config.fields.size() == 2);
  CHECK(bench->bench.md_path == "b.md");
  std::filesystem::remove(path);
}

TEST_CASE("help and version exit 0 without running anything") {
  auto help = Parse({"--help"});
  REQUIRE(help.has_value());
  CHECK(help->action == Action::kExit);
  CHECK(help->exit_code == 0);
  CHECK(help->text.find("run") != std::string::npos);
  auto version = Parse({"--version"});
  CHECK(version->text == "forage 0.1.0\n");
}

TEST_CASE("TLS flags: --key is the client key with --cert unless it names a field") {
  const auto dir = std::filesystem::temp_directory_path() / "forage_flags_test_tls";
  std::filesystem::create_directories(dir);
  const std::string cert = (dir / "client.pem").string(), key = (dir / "client.key").string();
  std::ofstream(cert) << "cert\n";
  std::ofstream(key) << "key\n";
  auto inv = Parse({"run", "--url", "https://h/{page}", "--pages", "1-2", "--items", "li",
                    "--field", "id=b", "--cacert", cert.c_str(), "--cert", cert.c_str(), "--key",
                    key.c_str(), "--key", "id", "--insecure", "--http1.1"});
  REQUIRE(inv.has_value());
  const auto& c = inv->config;
  CHECK(c.cacert == cert);
  CHECK(c.client_cert == cert);
  CHECK(c.client_key == key);
  CHECK(c.key == std::vector<std::string>{"id"});
  CHECK(c.insecure);
  CHECK(c.http1_1);

  auto plain = Parse({"run", "--url", "https://h/{page}", "--pages", "1-2", "--items", "li",
                      "--field", "id=b", "--key", "id"});
  REQUIRE(plain.has_value());
  CHECK(plain->config.key == std::vector<std::string>{"id"});
  CHECK(plain->config.client_key.empty());
  CHECK_FALSE(plain->config.insecure);
  CHECK_FALSE(plain->config.http1_1);

  auto both = Parse({"run", "--url", "https://h/{page}", "--pages", "1-2", "--items", "li",
                     "--field", "id=b", "--cert", cert.c_str(), "--cert-key", key.c_str(),
                     "--key", cert.c_str()});
  REQUIRE_FALSE(both.has_value());
  CHECK(both.error().message.find("the client key is '" + key + "' already") !=
        std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::cmd
