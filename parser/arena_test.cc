#include "parser/arena.h"

#include <cstdint>
#include <cstring>
#include <string>

#include <doctest/doctest.h>

#include "parser/cpu_budget.h"
#include "parser/html_document.h"
#include "parser/selector.h"

namespace forage::parser {
namespace {

bool Aligned(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % alignof(std::max_align_t) == 0;
}

TEST_CASE("Arena: aligned bump allocation, reset to empty") {
  Arena arena(4096, 8192);
  void* a = arena.Allocate(1);
  void* b = arena.Allocate(24);
  CHECK(Aligned(a));
  CHECK(Aligned(b));
  CHECK(static_cast<char*>(b) - static_cast<char*>(a) == alignof(std::max_align_t));
  std::memset(b, 0xAB, 24);
  CHECK(arena.live_allocations() == 2);
  CHECK(arena.bytes_in_use() == alignof(std::max_align_t) + 32);
  arena.Reset();
  CHECK(arena.bytes_in_use() == 0);
  CHECK(arena.live_allocations() == 0);
  CHECK(arena.Allocate(8) == a);  // the chunk is reused
}

TEST_CASE("Arena: the latest allocation's bytes are reused when it is freed") {
  Arena arena(4096, 8192);
  void* a = arena.Allocate(100);
  void* b = arena.Allocate(100);
  arena.Deallocate(b);
  CHECK(arena.live_allocations() == 1);
  CHECK(arena.Allocate(50) == b);
  arena.Deallocate(a);  // not the latest: stays until Reset
  CHECK(arena.live_allocations() == 1);
  CHECK(arena.bytes_in_use() == 112 + 64);
}

TEST_CASE("Arena: a large block has a chunk of its own, given back when freed") {
  Arena arena(4096, 8192);
  arena.Allocate(16);
  void* big = arena.Allocate(100000);
  REQUIRE(big != nullptr);
  std::memset(big, 1, 100000);
  CHECK(arena.bytes_reserved() == 4096 + 100000);
  void* bigger = arena.Allocate(200000);
  arena.Deallocate(big);
  CHECK(arena.bytes_reserved() == 4096 + 200000);
  arena.Deallocate(bigger);
  CHECK(arena.bytes_reserved() == 4096);
  CHECK(arena.live_allocations() == 1);
}

TEST_CASE("Arena: Reset keeps at most keep_bytes of chunks") {
  Arena arena(4096, 8192);
  for (int i = 0; i < 100; ++i) arena.Allocate(1000);
  CHECK(arena.bytes_reserved() == 25 * 4096);  // four 1008-byte blocks a chunk
  arena.Reset();
  CHECK(arena.bytes_reserved() == 8192);
  for (int i = 0; i < 8; ++i) arena.Allocate(1000);
  CHECK(arena.bytes_reserved() == 8192);
}

TEST_CASE("a document builds its tree in the caller's arena and empties it when destroyed") {
  Arena arena;
  for (int page = 0; page < 3; ++page) {
    {
      HtmlDocument doc = HtmlDocument::Parse("<p>page " + std::to_string(page) + "</p>", &arena);
      CHECK(arena.bytes_in_use() > 0);
      CHECK(arena.live_allocations() > 0);
      HtmlDocument moved = std::move(doc);  // a move does not reset it
      CHECK(arena.bytes_in_use() > 0);
    }
    CHECK(arena.bytes_in_use() == 0);
    CHECK(arena.live_allocations() == 0);
  }
}

TEST_CASE("the leak page, parsed again and again in one arena, holds no more memory") {
  std::string page = "<p>ok</p>";
  for (int i = 0; i < 5000; ++i) page += "<noscript><!DOCTYPE>";
  Arena arena;
  size_t reserved_after_first = 0;
  for (int i = 0; i < 30; ++i) {
    {
      HtmlDocument doc = HtmlDocument::Parse(std::string(page), &arena);
      CHECK(doc.root() != nullptr);
    }
    CHECK(arena.bytes_in_use() == 0);
    CHECK(arena.live_allocations() == 0);
    if (i == 0) reserved_after_first = arena.bytes_reserved();
    CHECK(arena.bytes_reserved() == reserved_after_first);
  }
}

TEST_CASE("under a spent CPU budget Gumbo's parse is abandoned, the arena takes what it built") {
  // 20,000 unclosed <div>s: Gumbo walks its whole stack of open elements for
  // each one (quadratic), the case --page-cpu-limit must cut short.
  std::string nested = "<p>ok</p>";
  for (int i = 0; i < 20'000; ++i) nested += "<div>";
  Arena arena;
  int asked = 0;
  {
    ScopedCpuBudget budget([&asked] { return ++asked >= 3; });  // spent at its 3rd check
    HtmlDocument doc = HtmlDocument::Parse(nested, &arena);
    CHECK(doc.abandoned());
    CHECK(budget.spent());
    CHECK(asked == 3);  // not asked again once spent: the parse stopped there
    CHECK(arena.bytes_in_use() > 0);
  }
  CHECK(arena.bytes_in_use() == 0);  // reset by the document, Gumbo's state included
  CHECK(arena.live_allocations() == 0);

  SUBCASE("the same arena parses the next page whole, and without a budget nothing is cut") {
    HtmlDocument doc = HtmlDocument::Parse(nested, &arena);
    REQUIRE_FALSE(doc.abandoned());
    std::vector<const GumboNode*> found;
    Selector::Compile("p")->SelectAll(doc.document(), &found);
    CHECK(found.size() == 1);
  }
}

}  // namespace
}  // namespace forage::parser
