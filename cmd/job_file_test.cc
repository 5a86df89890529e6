#include "cmd/job_file.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <tuple>
#include <vector>

#include "cmd/flags.h"

namespace forage::cmd {
namespace {

std::string WriteJob(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / ("forage_job_test_" + name + ".toml");
  std::ofstream(path) << text;
  return path.string();
}

TEST_SUITE("cmd.job_file") {

TEST_CASE("keys become flags, fields keep the order of the file") {
  std::string path = WriteJob("ok", R"TOML(
url = "http://127.0.0.1:8080/shop/page/{page}/"
pages = "1-48"
items = ".product"
workers = 2
concurrency = 16
rate = 2.5
quiet = true
header = ["Accept: text/html", "X-Test: 1"]

[fields]
name = "h2"
id = ".add_to_cart_button::attr(data-product_id)"
price = ".price"
)TOML");
  auto args = JobFileArgs(path);
  REQUIRE(args.has_value());
  std::vector<std::string> expected = {
      "--url", "http://127.0.0.1:8080/shop/page/{page}/", "--pages", "1-48", "--items",
      ".product", "--workers", "2", "--concurrency", "16", "--rate", "2.5", "--quiet",
      "--header", "Accept: text/html", "--header", "X-Test: 1",
      "--field", "name=h2", "--field", "id=.add_to_cart_button::attr(data-product_id)",
      "--field", "price=.price"};
  CHECK(*args == expected);
}

TEST_CASE("an unknown key, a wrong type or bad TOML names the key and its line") {
  auto msg = [](const std::string& name, const std::string& text) {
    auto r = JobFileArgs(WriteJob(name, text));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
    return r.error().message;
  };
  CHECK(msg("unknown", "url = \"http://h/{page}\"\n\nconcurency = 4\n")
            .find("line 3: unknown key 'concurency'") != std::string::npos);
  CHECK(msg("type", "concurrency = \"four\"\n")
            .find("line 1: concurrency must be a whole number, e.g. concurrency = 8") !=
        std::string::npos);
  CHECK(msg("fieldtype", "[fields]\nname = 3\n").find("line 2: field 'name'") != std::string::npos);
  CHECK(msg("syntax", "url = \n").find("line 1") != std::string::npos);
  CHECK(msg("headers", "header = [\"a: b\", 3]\n")
            .find("header must be a string or an array of strings, e.g. header = [\"Accept: text/html\"]") !=
        std::string::npos);
  auto missing = JobFileArgs("/nonexistent/job.toml");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message.find("/nonexistent/job.toml") != std::string::npos);
}

TEST_CASE("a misspelt key gets a suggestion, an unquoted string says how to quote it") {
  auto msg = [](const std::string& name, const std::string& text) {
    auto r = JobFileArgs(WriteJob(name, text));
    REQUIRE_FALSE(r.has_value());
    return r.error().message;
  };
  const std::string dash = msg("dash", "url = \"http://h/{page}\"\nper-host = 4\n");
  CHECK(dash.substr(dash.find(" line ")) ==
        " line 2: unknown key 'per-host' (did you mean per_host?)");
  const std::string field = msg("fieldz", "[feilds]\nname = \"h2\"\n");
  CHECK(field.substr(field.find(" line ")) ==
        " line 1: unknown key 'feilds' (did you mean fields?)");
  CHECK(msg("far", "zzzzzz = 1\n").ends_with("line 1: unknown key 'zzzzzz'"));
  const std::string pages = msg("pages", "url = \"http://h/{page}\"\npages = 1-48\n");
  CHECK(pages.substr(pages.find(" line ")) ==
        " line 2: pages must be a string, e.g. pages = \"1-48\" (TOML needs the quotes)");
}

TEST_CASE("flags on the command line override the job file") {
  std::string path = WriteJob("override", R"TOML(
url = "http://h/{page}"
pages = "1-48"
items = ".product"
concurrency = 16
[fields]
name = "h2"
price = ".price"
)TOML");
  std::vector<const char*> argv = {"forage", "run", path.c_str(), "--concurrency", "4",
                                   "--field", "title=h1"};
  auto inv = ParseArgs(static_cast<int>(argv.size()), argv.data());
  REQUIRE(inv.has_value());
  CHECK(inv->config.concurrency == 4);
  CHECK(inv->config.pages == "1-48");
  REQUIRE(inv->config.fields.size() == 1);  // --field replaces the file's fields
  CHECK(inv->config.fields[0].name == "title");
}

TEST_CASE("next, crawl, scope, allow, deny and max_pages keys") {
  std::string path = WriteJob("crawl", R"TOML(
url = "http://h/start"
items = "li"
crawl = true
scope = "any"
allow = ["/a", "/b"]
deny = ["/c"]
max_pages = 40
depth = 2
[fields]
name = "h2"
)TOML");
  std::vector<const char*> argv = {"forage", "run", path.c_str(), "--url", "http://h/other"};
  auto inv = ParseArgs(static_cast<int>(argv.size()), argv.data());
  REQUIRE(inv.has_value());
  const auto& c = inv->config;
  CHECK(c.start_urls == std::vector<std::string>{"http://h/other"});  // the flag replaces the file's
  CHECK(c.crawl);
  CHECK(c.scope == "any");
  CHECK(c.allow == std::vector<std::string>{"/a", "/b"});
  CHECK(c.deny == std::vector<std::string>{"/c"});
  CHECK(c.max_pages == 40);
  CHECK(c.max_depth == 2);
  std::string next = WriteJob("next", R"TOML(
url = "http://h/start"
items = "li"
next = "a.next::attr(href)"
[fields]
name = "h2"
)TOML");
  std::vector<const char*> argv2 = {"forage", "run", next.c_str()};
  auto inv2 = ParseArgs(static_cast<int>(argv2.size()), argv2.data());
  REQUIRE(inv2.has_value());
  CHECK(inv2->config.next == "a.next::attr(href)");
  CHECK(inv2->config.start_urls == std::vector<std::string>{"http://h/start"});
  std::string list = WriteJob("urls", R"TOML(
url = ["http://h/a", "http://h/b"]
items = "li"
[fields]
name = "h2"
)TOML");
  std::vector<const char*> argv3 = {"forage", "run", list.c_str()};
  auto inv3 = ParseArgs(static_cast<int>(argv3.size()), argv3.data());
  REQUIRE(inv3.has_value());
  CHECK(inv3->config.start_urls == std::vector<std::string>{"http://h/a", "http://h/b"});
  std::string bad = WriteJob("badurl", "url = 7\nitems = \"li\"\n[fields]\nname = \"h2\"\n");
  std::vector<const char*> argv4 = {"forage", "run", bad.c_str()};
  auto inv4 = ParseArgs(static_cast<int>(argv4.size()), argv4.data());
  REQUIRE_FALSE(inv4.has_value());
  CHECK(inv4.error().message.find("url must be a string or an array of strings") !=
        std::string::npos);
}

TEST_CASE("a job file's NaN, infinite or overflowing values are refused like the flags'") {
  const std::string head =
      "url = \"http://h/{page}\"\npages = \"1\"\nitems = \"li\"\n";
  auto parse = [&](const std::string& name, const std::string& line) {
    std::string path = WriteJob(name, head + line + "\n[fields]\nname = \"h2\"\n");
    std::vector<const char*> argv = {"forage", "run", path.c_str()};
    return ParseArgs(static_cast<int>(argv.size()), argv.data());
  };
  for (const auto& [name, line, flag] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"rate_nan", "rate = nan", "--rate"},
           {"rate_inf", "rate = inf", "--rate"},
           {"rate_neg", "rate = -3.0", "--rate"},
           {"max_body_overflow", "max_body = 17592186044416", "--max-body"},
           {"rss_bad", "worker_max_rss = \"-5GiB\"", "--worker-max-rss"},
           {"cpu_nan", "page_cpu_limit = \"nan\"", "--page-cpu-limit"}}) {
    CAPTURE(line);
    auto inv = parse(name, line);
    REQUIRE_FALSE(inv.has_value());
    CHECK(inv.error().message.find(flag) != std::string::npos);
  }
  auto ok = parse("sizes_ok", "max_body = \"2GiB\"\nworker_max_rss = \"400MB\"\n"
                              "page_cpu_limit = \"2s\"");
  REQUIRE(ok.has_value());
  CHECK(ok->config.max_body_bytes == 2ull << 30);
  CHECK(ok->config.worker_max_rss_bytes == 400'000'000ull);
  CHECK(ok->config.page_cpu_limit_s == 2.0);
}

TEST_CASE("overwrite = true and append = true set --overwrite and --append") {
  for (const char* key : {"overwrite", "append"}) {
    CAPTURE(key);
    std::string path = WriteJob(key, "url = \"http://h/{page}\"\npages = \"1\"\nitems = \"p\"\n" +
                                         std::string(key) + " = true\n[fields]\nname = \"h2\"\n");
    std::vector<const char*> argv = {"forage", "run", path.c_str()};
    auto inv = ParseArgs(static_cast<int>(argv.size()), argv.data());
    REQUIRE(inv.has_value());
    CHECK(inv->config.overwrite == (std::string(key) == "overwrite"));
    CHECK(inv->config.append == (std::string(key) == "append"));
  }
}

TEST_CASE("a job file that is missing or a directory is named as such") {
  auto missing = JobFileArgs("/nonexistent/job.toml");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ErrorCode::kInvalidArgument);
  CHECK(missing.error().message == "job file '/nonexistent/job.toml': no such file");
  const auto dir = std::filesystem::temp_directory_path() / "forage_job_test_dir.toml";
  std::filesystem::create_directories(dir);
  auto directory = JobFileArgs(dir.string());
  REQUIRE_FALSE(directory.has_value());
  CHECK(directory.error().message == "job file '" + dir.string() + "': a directory, not a file");
}

// PRODUCT.md: the flags of run are "each also a key in the job file";
// docs/jobfile.md names the only exceptions (--resume, --force).
TEST_CASE("every flag of forage run --help has a job-file key") {
  std::vector<const char*> help_argv = {"forage", "run", "--help"};
  auto help = ParseArgs(static_cast<int>(help_argv.size()), help_argv.data());
  REQUIRE(help.has_value());
  std::vector<std::string> flags;
  const std::string& text = help->text;
  for (size_t at = text.find("--"); at != std::string::npos; at = text.find("--", at + 2)) {
    if (at > 0 && text[at - 1] != ' ' && text[at - 1] != ',') continue;  // "--" inside a word
    size_t end = at + 2;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                                 text[end] == '-' || text[end] == '.')) {
      ++end;
    }
    std::string flag = text.substr(at, end - at);
    if (flag.size() > 2 && flag.back() != '.' &&
        std::find(flags.begin(), flags.end(), flag) == flags.end()) {
      flags.push_back(flag);
    }
  }
  REQUIRE(flags.size() > 60);
  for (const std::string& flag : flags) {
    if (flag == "--help" || flag == "--resume" || flag == "--force") continue;
    std::string key = flag.substr(2);
    for (char& c : key) c = (c == '-' || c == '.') ? '_' : c;
    if (key == "field") key = "fields";
    if (key == "detail_field") key = "detail_fields";
    CAPTURE(flag);
    auto r = JobFileArgs(WriteJob("every_key", key + " = true\n"));
    // A wrong type is fine here (the key is known); an unknown key is not.
    if (!r) CHECK(r.error().message.find("unknown key") == std::string::npos);
  }
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::cmd
