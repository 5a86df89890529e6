#pragma once
// A cooperative CPU budget for the calling thread's extraction (the worker's
// --page-cpu-limit). While a ScopedCpuBudget lives, selector matching and
// Extract's item loop call CpuBudgetSpent() as they go; every
// kCpuBudgetCheckEvery calls it asks the budget's `expired` callback, and
// once that says yes, every later call returns true at once and the loops
// stop early: the extraction's result is then partial, and the owner of the
// budget must discard it (spent()).
//
// Gumbo's parse is bounded too: the page's Arena asks CpuBudgetSpent() as
// Gumbo allocates and abandons the parse (arena.h). Not bounded by it: one
// candidate's match (a `:has()` over a huge subtree) and one value's
// serialisation; --max-body and, last, the master's --hang-timeout bound those.
//
// Thread-local: one budget per thread at a time; budgets do not nest.

#include <functional>

namespace forage::parser {

inline constexpr unsigned kCpuBudgetCheckEvery = 256;

class ScopedCpuBudget {
 public:
  explicit ScopedCpuBudget(std::function<bool()> expired);
  ~ScopedCpuBudget();
  ScopedCpuBudget(const ScopedCpuBudget&) = delete;
  ScopedCpuBudget& operator=(const ScopedCpuBudget&) = delete;

  // Whether the budget ran out while it was in force.
  bool spent() const { return spent_; }

 private:
  friend bool CpuBudgetSpent();
  std::function<bool()> expired_;
  unsigned calls_ = 0;
  bool spent_ = false;
};

// True once the calling thread's budget is spent; false without a budget.
bool CpuBudgetSpent();

}  // namespace forage::parser
