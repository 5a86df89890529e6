#include "engine/crawl_journal.h"

#include <stdlib.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace forage::engine {
namespace {

struct Dir {
  std::string path;
  Dir() {
    std::string t = (std::filesystem::temp_directory_path() / "forage_journal_XXXXXX").string();
    REQUIRE(mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~Dir() { std::filesystem::remove_all(path); }
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_CASE("CrawlJournal: what was synced comes back in order, a torn last line is cut off") {
  Dir d;
  const std::string path = CrawlJournalPath(d.path + "/out.jsonl", "");
  CHECK(path == d.path + "/out.jsonl.frontier");
  CHECK(CrawlJournalPath("out.csv", "s.state") == "s.state.frontier");
  {
    auto j = CrawlJournal::Create(path, "fp-1");
    REQUIRE(j.has_value());
    (*j)->Add(FoundPage{1, 0, 1, 7, "http://h.test/a b?x=1"});
    (*j)->Add(FoundPage{2, 0, 2, 7, "http://h.test/c"});
    CHECK((*j)->unsynced() > 0);
    REQUIRE((*j)->Sync());
    CHECK((*j)->unsynced() == 0);
    (*j)->Add(FoundPage{3, 0, 2, 7, "http://h.test/never-synced"});  // lost with the crash
  }
  const std::string synced = Slurp(path);
  {
    std::ofstream torn(path, std::ios::app | std::ios::binary);
    torn << "3 0 2 7 http://h.te";  // a crash in the middle of a write
  }
  std::vector<FoundPage> found;
  auto j = CrawlJournal::Resume(path, "fp-1", &found);
  REQUIRE(j.has_value());
  REQUIRE(found.size() == 2);
  CHECK(found[0].id == 1);
  CHECK(found[0].root == 0);
  CHECK(found[0].depth == 1);
  CHECK(found[0].number == 7);
  CHECK(found[0].url == "http://h.test/a b?x=1");
  CHECK(found[1].url == "http://h.test/c");
  CHECK(Slurp(path) == synced);  // the torn line is gone
  // Appending goes on after the last whole line.
  (*j)->Add(FoundPage{3, 0, 2, 7, "http://h.test/d"});
  REQUIRE((*j)->Sync());
  found.clear();
  REQUIRE(CrawlJournal::Resume(path, "fp-1", &found).has_value());
  REQUIRE(found.size() == 3);
  CHECK(found[2].url == "http://h.test/d");
  REQUIRE((*j)->Remove());
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("CrawlJournal: another job's journal, a missing one, a damaged line") {
  Dir d;
  const std::string path = d.path + "/x.frontier";
  std::vector<FoundPage> found;
  auto missing = CrawlJournal::Resume(path, "fp", &found);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message.find("cannot be opened") != std::string::npos);
  REQUIRE(CrawlJournal::Create(path, "fp-a").has_value());
  auto other = CrawlJournal::Resume(path, "fp-b", &found);
  REQUIRE_FALSE(other.has_value());
  CHECK(other.error().message.find("not the crawl journal of this job") != std::string::npos);
  {
    std::ofstream bad(path, std::ios::app | std::ios::binary);
    bad << "1 zero 1 1 http://h.test/\n";
  }
  auto damaged = CrawlJournal::Resume(path, "fp-a", &found);
  REQUIRE_FALSE(damaged.has_value());
  CHECK(damaged.error().message.find("damaged") != std::string::npos);
}

}  // namespace
}  // namespace forage::engine
