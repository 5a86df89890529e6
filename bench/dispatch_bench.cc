// dispatch_bench: the master's cost of leasing pages, from 10,000 to
// 1,000,000 pages. Drives the real Plan (a {page} template), PageBook,
// Dispatcher and Merger the way the master's loop does: lease, then each page
// fetched and finished in turn, with a lease round after every event. No
// workers, no network: only the master's bookkeeping.
//
// Each configuration runs in a child process, so its peak RSS is its own.
// Prints master CPU per page (µs) and peak RSS (MiB).
//
//   dispatch_bench [MAX_PAGES]    (default 1000000)

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include "engine/dispatcher.h"
#include "engine/merger.h"
#include "engine/page_book.h"
#include "engine/plan.h"
#include "worker/cpu_clock.h"

namespace forage::bench {
namespace {

using engine::Chunking;
using engine::Order;

constexpr int kSlots = 2;
constexpr int kHosts = 4;  // pages spread over a few origins, round robin

struct Figures {
  double cpu_s = 0;
  uint64_t leased = 0;
};

// One job: `pages` pages, --per-host 2, 2 workers. `hosts` 1: a {page}
// template (no URL stored); else a URL list over `hosts` origins, round
// robin (every URL stored, as --urls does).
Figures RunJob(uint64_t pages, int hosts, Order order, Chunking chunking) {
  const double t0 = worker::ThreadCpuSeconds();
  engine::Plan plan;
  if (hosts == 1) {
    engine::Config c;
    c.url_template = "http://127.0.0.1:8080/shop/page/{page}/";
    c.pages = "1-" + std::to_string(pages);
    auto built = engine::BuildPlan(c);
    if (!built) std::abort();
    plan = std::move(*built);
  } else {
    for (uint64_t i = 0; i < pages; ++i) {
      std::string origin = "http://127.0.0." + std::to_string(1 + i % static_cast<uint64_t>(hosts)) + ":8080";
      plan.Add(engine::PageTask{i + 1, origin + "/shop/page/" + std::to_string(i + 1) + "/",
                                plan.InternHost(origin)});
    }
  }
  engine::PageBook book(plan.size());
  engine::DispatchLimits limits;
  limits.concurrency = 100;
  limits.per_host = 2;
  limits.window = order == Order::kPage ? 1024 : 0;
  engine::Dispatcher d(plan, book, limits, chunking, kSlots);
  engine::Merger merger(order, plan.size(),
                        [](uint64_t, bool, std::vector<parser::Record>&&) -> Status {
                          return OkStatus();
                        });
  for (int s = 0; s < kSlots; ++s) d.SetAvailable(s, true);
  std::deque<uint64_t> in_flight;
  Figures f;
  auto pump = [&] {
    for (auto& [slot, leased] : d.Assign(merger.cursor(), 0)) {
      for (uint64_t p : leased) {
        in_flight.push_back(p);
        // What a lease message needs: the URL, made on demand.
        std::string url = plan.url(p);
        if (url.empty()) std::abort();
        ++f.leased;
      }
    }
  };
  pump();
  while (!in_flight.empty()) {
    uint64_t p = in_flight.front();
    in_flight.pop_front();
    d.OnFetched(p);
    pump();
    d.OnFinished(p, true);
    if (!merger.Commit(p, {})) std::abort();
    pump();
  }
  if (!d.all_finished() || f.leased != pages) {
    std::fprintf(stderr, "dispatch_bench: %llu of %llu pages leased\n",
                 static_cast<unsigned long long>(f.leased), static_cast<unsigned long long>(pages));
    std::abort();
  }
  f.cpu_s = worker::ThreadCpuSeconds() - t0;
  return f;
}

}  // namespace
}  // namespace forage::bench

int main(int argc, char** argv) {
  using namespace forage;
  const uint64_t max_pages = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  std::printf("dispatch_bench: --per-host 2, --concurrency 100, %d workers\n", bench::kSlots);
  std::printf("%-9s %-14s %-8s %-8s %10s %12s %10s\n", "pages", "plan", "order", "chunking",
              "cpu s", "us/page", "peak MiB");
  for (uint64_t pages = 10'000; pages <= max_pages; pages *= 10) {
   for (int hosts : {1, bench::kHosts}) {
    for (auto order : {engine::Order::kPage, engine::Order::kArrival}) {
      for (auto chunking : {engine::Chunking::kDynamic, engine::Chunking::kStatic}) {
        int fds[2];
        if (pipe(fds) != 0) return 1;
        std::fflush(nullptr);
        pid_t pid = fork();
        if (pid == 0) {
          close(fds[0]);
          auto f = bench::RunJob(pages, hosts, order, chunking);
          if (write(fds[1], &f, sizeof f) != static_cast<ssize_t>(sizeof f)) _exit(1);
          _exit(0);
        }
        close(fds[1]);
        bench::Figures f;
        ssize_t n = read(fds[0], &f, sizeof f);
        close(fds[0]);
        int status = 0;
        rusage ru{};
        wait4(pid, &status, 0, &ru);
        if (n != static_cast<ssize_t>(sizeof f) || status != 0) {
          std::fprintf(stderr, "dispatch_bench: run failed\n");
          return 1;
        }
        std::printf("%-9llu %-14s %-8s %-8s %10.3f %12.3f %10.1f\n",
                    static_cast<unsigned long long>(pages),
                    hosts == 1 ? "template,1host" : "urls,4hosts",
                    order == engine::Order::kPage ? "page" : "arrival",
                    chunking == engine::Chunking::kDynamic ? "dynamic" : "static", f.cpu_s,
                    f.cpu_s * 1e6 / static_cast<double>(pages),
                    static_cast<double>(ru.ru_maxrss) / 1024.0);
        std::fflush(stdout);
      }
    }
   }
  }
  return 0;
}
