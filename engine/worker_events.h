#pragma once
// WorkerEvents: what a WorkerPool tells about its worker slots (messages,
// closed channels, dead and reaped processes), and asks (is the slot
// stopping, does it hold pages). The Router answers them for a job's master;
// a node of a distributed job (engine/node_router) answers them for pages
// that come from Redis. Single-threaded (the loop's).

#include <cstddef>
#include <functional>
#include <string>

#include "base/result.h"
#include "worker/protocol.h"

namespace forage::engine {

class WorkerEvents {
 public:
  virtual ~WorkerEvents() = default;
  virtual void OnMessage(int slot, worker::Message&& msg) = 0;
  // The slot's channel closed: it is leased nothing more, at once.
  virtual void OnChannelClosed(int slot) = 0;
  // The slot's process is gone and its channel released. `hung`: the
  // watchdog killed it.
  virtual void OnWorkerGone(int slot, bool hung) = 0;
  virtual void OnReaped(int slot, double user_s, double sys_s, std::string exit) = 0;
  virtual void MaybeStop() = 0;
  virtual void Pump() = 0;
  virtual bool stopping(int slot) const = 0;
  virtual size_t outstanding(int slot) const = 0;
};

}  // namespace forage::engine
