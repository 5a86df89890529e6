#pragma once
// What one torture iteration does, drawn from a seed: the job (sink,
// --follow, workers, --order, concurrency) and the faults to inflict.
// The same seed and iteration index give the same plan on every machine;
// only the moment a fault lands depends on timing.

#include <cstdint>
#include <string>
#include <vector>

#include "tests/torture/records.h"

namespace forage::torture {

// SplitMix64: small, portable, and fully specified (std:: distributions
// are not the same across standard libraries).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next();
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }
  double Unit() { return static_cast<double>(Next() >> 11) / 9007199254740992.0; }

 private:
  uint64_t s_;
};

enum class Fault {
  kKillMaster,  // kill -9 of the whole process group: master and workers
  kKillWorker,  // kill -9 of one worker; the master must replace it
  kSigint,      // SIGINT to the master: a clean interrupt, exit 130
  kDiskFull,    // RLIMIT_FSIZE on the run: exit 3, output left as PATH.part
};
const char* FaultName(Fault f);

struct FaultEvent {
  Fault kind;
  // When: after this share of the stage's remaining fixture requests, then
  // a further random delay. For kDiskFull: the file size limit, as a share
  // of the clean output's size.
  double share = 0;
  int delay_ms = 0;
};

// The jobs: the seed's shop list (16 records a page); a two-stage crawl
// (--follow, one record a product page); and a dense one (every element of
// pages/16 list pages, ~650 records a page), whose rows pass the SQLite
// sink's 5,000-row transactions between two checkpoints. kCrawl (--job crawl
// only, never drawn, so the seeds' plans stay as they were): --crawl of the
// shop's list pages from page 1, whose --resume works page by page through
// the crawl journal; its records' order is the order pages were found, which
// differs from run to run, so it is compared as a multiset.
enum class JobKind { kList, kFollow, kDense, kCrawl };
const char* JobKindName(JobKind k);

struct JobShape {
  Sink sink = Sink::kCsv;
  JobKind kind = JobKind::kList;
  bool arrival = false;  // --order arrival
  bool operator<(const JobShape& o) const;
  std::string Name() const;  // "csv follow arrival"
};

struct Plan {
  JobShape shape;
  int workers = 1;
  int concurrency = 8;
  std::vector<FaultEvent> faults;  // in order; the first may be kDiskFull
  std::string Describe() const;
};

// The seed of iteration `index` of a run seeded `seed`.
uint64_t IterationSeed(uint64_t seed, int index);
Plan DrawPlan(uint64_t iteration_seed, int max_delay_ms);

}  // namespace forage::torture
