#include "tests/torture/plan.h"

#include <tuple>

#include <fmt/format.h>

namespace forage::torture {

uint64_t Rng::Next() {
  uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

const char* FaultName(Fault f) {
  switch (f) {
    case Fault::kKillMaster: return "kill-master";
    case Fault::kKillWorker: return "kill-worker";
    case Fault::kSigint: return "sigint";
    case Fault::kDiskFull: return "disk-full";
  }
  return "?";
}

const char* JobKindName(JobKind k) {
  switch (k) {
    case JobKind::kList: return "list";
    case JobKind::kFollow: return "follow";
    case JobKind::kDense: return "dense";
    case JobKind::kCrawl: return "crawl";
  }
  return "?";
}

bool JobShape::operator<(const JobShape& o) const {
  return std::tie(sink, kind, arrival) < std::tie(o.sink, o.kind, o.arrival);
}

std::string JobShape::Name() const {
  return fmt::format("{} {} {}", SinkName(sink), JobKindName(kind),
                     arrival ? "arrival" : "page");
}

std::string Plan::Describe() const {
  std::string s = fmt::format("{} workers={} concurrency={} faults=", shape.Name(), workers,
                              concurrency);
  for (size_t i = 0; i < faults.size(); ++i) {
    const FaultEvent& f = faults[i];
    if (i > 0) s += ",";
    if (f.kind == Fault::kDiskFull) {
      s += fmt::format("{}@{:.0f}%size", FaultName(f.kind), f.share * 100);
    } else {
      s += fmt::format("{}@{:.0f}%+{}ms", FaultName(f.kind), f.share * 100, f.delay_ms);
    }
  }
  return s;
}

uint64_t IterationSeed(uint64_t seed, int index) {
  Rng r(seed ^ (0x5851f42d4c957f2dULL * static_cast<uint64_t>(index + 1)));
  return r.Next();
}

namespace {

Fault DrawKill(Rng& r) {
  uint64_t x = r.Below(100);
  if (x < 40) return Fault::kKillMaster;
  if (x < 70) return Fault::kKillWorker;
  return Fault::kSigint;
}

}  // namespace

Plan DrawPlan(uint64_t iteration_seed, int max_delay_ms) {
  Rng r(iteration_seed);
  Plan p;
  p.shape.sink = static_cast<Sink>(r.Below(3));
  p.shape.kind = static_cast<JobKind>(r.Below(3));
  p.shape.arrival = r.Below(2) == 1;
  p.workers = 1 + static_cast<int>(r.Below(3));
  static constexpr int kConcurrency[] = {4, 8, 16};
  p.concurrency = kConcurrency[r.Below(3)];
  // The first fault: one in six iterations fills the disk instead.
  FaultEvent first;
  first.kind = r.Below(6) == 0 ? Fault::kDiskFull : DrawKill(r);
  first.share = first.kind == Fault::kDiskFull ? 0.1 + 0.6 * r.Unit() : 0.02 + 0.93 * r.Unit();
  first.delay_ms = static_cast<int>(r.Below(static_cast<uint64_t>(max_delay_ms) + 1));
  p.faults.push_back(first);
  int more = static_cast<int>(r.Below(3));  // 0-2 further faults during the resumes
  for (int i = 0; i < more; ++i) {
    FaultEvent f;
    f.kind = DrawKill(r);
    f.share = 0.02 + 0.93 * r.Unit();
    f.delay_ms = static_cast<int>(r.Below(static_cast<uint64_t>(max_delay_ms) + 1));
    p.faults.push_back(f);
  }
  return p;
}

}  // namespace forage::torture
