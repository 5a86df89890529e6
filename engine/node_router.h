#pragma once
// NodeRouter: a node's decisions about its own workers, for the pages a
// distributed job's `pages` stream delivers to it (engine/redis_node). It
// leases them to its worker slots (least outstanding first, not to a worker
// whose CPU backlog is full), gathers what each page sends, and hands a
// finished page's frames to the node to be written to Redis together with
// the lease's acknowledgement. A worker that dies loses the page it was
// processing (reported as lost: the collector counts the delivery and
// leases it again, or fails it as poison); its other pages go to the other
// workers. Retries, limits and merging are the collector's.
//
// Reaches its workers through a WorkerPort (a WorkerPool), as the Router
// does. Single-threaded (the node's loop).

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "engine/router.h"
#include "engine/worker_events.h"
#include "worker/protocol.h"

namespace forage::engine {

class NodeRouter : public WorkerEvents {
 public:
  struct Callbacks {
    // The page (stream entry `entry`, job page id `page`) is finished: the
    // worker frames to store for it, and its item count.
    std::function<void(const std::string& entry, uint64_t page, std::string frames,
                       uint64_t items)>
        done;
    // The worker processing the page died: the frames of a PageDone saying why.
    std::function<void(const std::string& entry, uint64_t page, std::string frames)> lost;
    // Every worker process is gone after Drain or Abort.
    std::function<void()> stopped;
  };

  // `port` must outlive the NodeRouter.
  NodeRouter(WorkerPort* port, int slots, int concurrency, Callbacks callbacks);

  // Starts every slot's process.
  Status Start();
  // A lease from the stream.
  void Add(std::string entry, uint64_t page, std::string url, uint8_t rules);
  // How many more pages it may take (its concurrency minus what it holds).
  size_t room() const;
  size_t held() const { return pages_.size(); }
  // The stream entries it holds (to renew their leases).
  std::vector<std::string> held_entries() const;
  // Forgets the pages it holds (their job's run ended): none is reported.
  void ForgetAll();
  // Takes nothing more; stops the workers once nothing is held.
  void Drain();
  // Kills the workers now (a second interrupt).
  void Abort();
  bool draining() const { return draining_; }

  // Figures of the node's workers.
  uint64_t pages() const { return pages_done_; }
  uint64_t items() const { return items_; }
  // The workers' counters (requests, bytes, connections, TLS handshakes,
  // HTTP versions, cache), finished processes' and running ones' latest.
  worker::StatsMsg counters() const;
  double user_s() const;
  double sys_s() const;
  int restarts() const { return restarts_; }

  // --- WorkerEvents
  void OnMessage(int slot, worker::Message&& msg) override;
  void OnChannelClosed(int slot) override;
  void OnWorkerGone(int slot, bool hung) override;
  void OnReaped(int slot, double user_s, double sys_s, std::string exit) override;
  void MaybeStop() override;
  void Pump() override;
  bool stopping(int slot) const override { return slots_[slot].stopping; }
  size_t outstanding(int slot) const override { return slots_[slot].leased.size(); }

 private:
  struct Page {
    std::string entry;
    uint64_t page = 0;
    std::string url;
    uint8_t rules = 0;
    int slot = -1;
    std::vector<std::vector<parser::Record>> records;  // as the frames came
    std::vector<std::string> links;
  };
  struct Slot {
    bool alive = false;
    bool available = false;  // said hello, not stopping or retiring
    bool stopping = false;
    bool retiring = false;
    std::vector<uint64_t> leased;      // local ids
    std::deque<uint64_t> processing;   // fetched, unfinished, in arrival order
    worker::StatsMsg stats;            // the current process's latest snapshot
    worker::StatsMsg done;             // finished processes' counters
    double user_s = 0, sys_s = 0;      // reaped processes'
  };

  Page* Find(int slot, uint64_t local);
  void Finish(int slot, uint64_t local, const worker::PageDoneMsg& done);
  void Unlease(Slot& s, uint64_t local);
  void StartSlot(int slot);
  void StopIdleSlots();

  WorkerPort* port_;
  int concurrency_;
  Callbacks cb_;
  std::vector<Slot> slots_;
  std::unordered_map<uint64_t, Page> pages_;  // by local id (the workers' page_id)
  std::deque<uint64_t> queue_;                // received, not leased to a worker
  uint64_t next_local_ = 0;
  uint64_t pages_done_ = 0;
  uint64_t items_ = 0;
  int restarts_ = 0;
  int deaths_without_progress_ = 0;
  bool draining_ = false;
  bool stopped_ = false;
};

}  // namespace forage::engine
