#pragma once
// Arena: the memory of one page's parse tree.
//
// Gumbo allocates every node, string and vector of the tree through the
// allocator in its options; HtmlDocument points it here. Allocation is a
// pointer bump in large chunks, freeing is nothing, and the whole tree goes at
// once with Reset: no malloc/free per node, no tree walk to destroy it (Gumbo's
// own destroy recurses once per level, which overflows the stack on deeply
// nested pages), and whatever Gumbo leaks (0.10.1 does, on
// `<noscript><!DOCTYPE`) goes with the page.
//
// One arena serves one document at a time; a worker keeps one and reuses its
// chunks from page to page. Not thread-safe.

#include <csetjmp>
#include <cstddef>
#include <memory>
#include <vector>

namespace forage::parser {

class Arena {
 public:
  // Chunks are `chunk_bytes` large (a request larger than a quarter of that
  // gets a chunk of its own). Reset keeps at most `keep_bytes` of chunks for
  // the next page and gives the rest back to the system, so one huge page
  // does not pin its memory for the life of the process.
  static constexpr size_t kDefaultChunkBytes = size_t{1} << 20;
  static constexpr size_t kDefaultKeepBytes = size_t{16} << 20;
  explicit Arena(size_t chunk_bytes = kDefaultChunkBytes, size_t keep_bytes = kDefaultKeepBytes);

  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena();

  // `size` bytes aligned for any type; never null (aborts when the system
  // has no memory left, as Gumbo's default allocator does in effect).
  void* Allocate(size_t size);
  // Nothing for most `p`: its bytes go at Reset. The latest allocation's
  // bytes are reused by the next one, and a large allocation (one with a
  // chunk of its own, as a growing vector of a million children has) is
  // given back at once.
  void Deallocate(void* p);

  // Forgets every allocation. Pointers into the arena become invalid.
  void Reset();

  // Bytes handed out since the last Reset (with alignment padding).
  size_t bytes_in_use() const { return in_use_; }
  // Bytes of chunks held, in use or not.
  size_t bytes_reserved() const { return reserved_; }
  // Allocations since the last Reset that were not deallocated: what Gumbo
  // would have leaked, or still holds in its tree.
  size_t live_allocations() const { return live_; }

  // While set, GumboAllocate abandons the parse under way (longjmp to
  // `escape`) once the calling thread's CPU budget (cpu_budget.h) is spent.
  // HtmlDocument::Parse sets it around Gumbo's call; null: never.
  void set_escape(std::jmp_buf* escape) { escape_ = escape; }

  // The GumboOptions callbacks; `arena` is the Arena.
  static void* GumboAllocate(void* arena, size_t size);
  static void GumboDeallocate(void* arena, void* p);

 private:
  struct Chunk {
    std::unique_ptr<std::byte[]> bytes;
    size_t size = 0;
  };

  void* AllocateSlow(size_t size);

  const size_t chunk_bytes_;
  const size_t keep_bytes_;
  std::vector<Chunk> chunks_;  // [0, current_] are in use
  std::vector<Chunk> large_;   // one per large allocation, freed at Reset
  size_t current_ = 0;         // index of the chunk being bumped
  std::byte* top_ = nullptr;   // next free byte in chunks_[current_]
  std::byte* end_ = nullptr;   // end of chunks_[current_]
  std::byte* last_ = nullptr;  // the latest allocation, for Deallocate
  size_t in_use_ = 0;
  size_t reserved_ = 0;
  size_t live_ = 0;
  std::jmp_buf* escape_ = nullptr;
};

}  // namespace forage::parser
