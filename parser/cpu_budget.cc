#include "parser/cpu_budget.h"

#include <utility>

namespace forage::parser {
namespace {
thread_local ScopedCpuBudget* current_budget = nullptr;
}  // namespace

ScopedCpuBudget::ScopedCpuBudget(std::function<bool()> expired) : expired_(std::move(expired)) {
  current_budget = this;
}

ScopedCpuBudget::~ScopedCpuBudget() {
  if (current_budget == this) current_budget = nullptr;
}

bool CpuBudgetSpent() {
  ScopedCpuBudget* b = current_budget;
  if (b == nullptr) return false;
  if (b->spent_) return true;
  if (++b->calls_ % kCpuBudgetCheckEvery != 0) return false;
  b->spent_ = b->expired_();
  return b->spent_;
}

}  // namespace forage::parser
