#include "parser/arena.h"

#include "parser/cpu_budget.h"

#include <cstdio>
#include <cstdlib>
#include <new>
#include <utility>

namespace forage::parser {
namespace {

constexpr size_t kAlign = alignof(std::max_align_t);

constexpr size_t RoundUp(size_t n) { return (n + kAlign - 1) & ~(kAlign - 1); }

std::unique_ptr<std::byte[]> NewBytes(size_t size) {
  // new (nothrow) rather than new: a throw cannot cross Gumbo's C frames.
  std::unique_ptr<std::byte[]> bytes(new (std::nothrow) std::byte[size]);
  if (bytes == nullptr) {
    std::fputs("forage: out of memory parsing a page\n", stderr);
    std::abort();
  }
  return bytes;
}

}  // namespace

Arena::Arena(size_t chunk_bytes, size_t keep_bytes)
    : chunk_bytes_(RoundUp(chunk_bytes < 4 * kAlign ? 4 * kAlign : chunk_bytes)),
      keep_bytes_(keep_bytes) {}

Arena::~Arena() = default;

void* Arena::Allocate(size_t size) {
  size_t rounded = RoundUp(size == 0 ? 1 : size);
  if (rounded <= static_cast<size_t>(end_ - top_)) {
    last_ = top_;
    top_ += rounded;
    in_use_ += rounded;
    ++live_;
    return last_;
  }
  return AllocateSlow(rounded);
}

// The current chunk is full, or this is a large request.
void* Arena::AllocateSlow(size_t rounded) {
  ++live_;
  in_use_ += rounded;
  if (rounded > chunk_bytes_ / 4) {
    large_.push_back(Chunk{NewBytes(rounded), rounded});
    reserved_ += rounded;
    return large_.back().bytes.get();
  }
  // The rest of the current chunk is wasted: at most a quarter of it.
  size_t next = top_ == nullptr ? 0 : current_ + 1;
  if (next == chunks_.size()) {
    chunks_.push_back(Chunk{NewBytes(chunk_bytes_), chunk_bytes_});
    reserved_ += chunk_bytes_;
  }
  current_ = next;
  top_ = chunks_[current_].bytes.get();
  end_ = top_ + chunks_[current_].size;
  last_ = top_;
  top_ += rounded;
  return last_;
}

void Arena::Deallocate(void* p) {
  if (p == nullptr) return;
  --live_;
  auto* bytes = static_cast<std::byte*>(p);
  if (bytes == last_) {
    in_use_ -= static_cast<size_t>(top_ - last_);
    top_ = last_;
    last_ = nullptr;
    return;
  }
  // Gumbo frees a vector's old buffer right after allocating the new one, so
  // a large block is found within a step or two from the back.
  for (size_t i = large_.size(); i > 0; --i) {
    if (large_[i - 1].bytes.get() == bytes) {
      in_use_ -= large_[i - 1].size;
      reserved_ -= large_[i - 1].size;
      large_.erase(large_.begin() + static_cast<std::ptrdiff_t>(i - 1));
      return;
    }
  }
}

void Arena::Reset() {
  for (const Chunk& chunk : large_) reserved_ -= chunk.size;
  large_.clear();
  size_t keep = keep_bytes_ / chunk_bytes_;
  while (chunks_.size() > keep) {
    reserved_ -= chunks_.back().size;
    chunks_.pop_back();
  }
  current_ = 0;
  top_ = end_ = last_ = nullptr;
  in_use_ = 0;
  live_ = 0;
}

void* Arena::GumboAllocate(void* arena, size_t size) {
  auto* a = static_cast<Arena*>(arena);
  // Gumbo allocates for every token and node, so a parse that overruns the
  // page's CPU budget (Gumbo is quadratic in some nestings) is abandoned
  // here. Only Gumbo's C frames lie between this call and the setjmp in
  // HtmlDocument::Parse (no destructor is skipped), and all Gumbo built is
  // in this arena, which the document's owner resets.
  if (a->escape_ != nullptr && CpuBudgetSpent()) std::longjmp(*a->escape_, 1);
  return a->Allocate(size);
}

void Arena::GumboDeallocate(void* arena, void* p) { static_cast<Arena*>(arena)->Deallocate(p); }

}  // namespace forage::parser
