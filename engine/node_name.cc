#include "engine/node_name.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/redis_keys.h"

namespace forage::engine {
namespace {

namespace keys = redis_keys;

// Default names are HOSTNAME-1, -2, ...: this many at most on one machine.
constexpr int kMaxSlots = 1024;

std::string HostName() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

std::string FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The pid namespace this process sees pids in ("pid:[4026531836]").
std::string PidNamespace() {
  char buf[128] = {};
  ssize_t n = readlink("/proc/self/ns/pid", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// /proc/PID/stat: its state letter and start time (clock ticks after boot);
// false if there is no such process.
bool ProcessStat(int64_t pid, char* state, std::string* start) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = all.rfind(')');  // the command name may hold spaces and parens
  if (paren == std::string::npos) return false;
  std::istringstream fields(all.substr(paren + 1));
  std::string f;
  // Field 3 is the state, field 22 the start time.
  for (int i = 3; i <= 22 && fields >> f; ++i) {
    if (i == 3) *state = f.empty() ? '?' : f[0];
    if (i == 22) *start = f;
  }
  return !start->empty();
}

std::string Describe(const nlohmann::json& owner) {
  return fmt::format("host {} pid {}", owner.value("host", "?"), owner.value("pid", int64_t{0}));
}

// The owner is a process of this machine: same host name, boot and pid
// namespace (another machine's, container's or boot's pids mean nothing here).
bool SameMachine(const nlohmann::json& owner) {
  return owner.is_object() && owner.value("host", "") == HostName() &&
         !owner.value("boot", "").empty() &&
         owner.value("boot", "") == FirstLine("/proc/sys/kernel/random/boot_id") &&
         owner.value("pidns", "") == PidNamespace();
}

}  // namespace

Status CheckNodeName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return Err(ErrorCode::kInvalidArgument, "--node-name '{}': expected 1 to 64 characters", name);
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return Err(ErrorCode::kInvalidArgument,
                 "--node-name '{}': only letters, digits, '.', '_' and '-' are allowed", name);
    }
  }
  if (name == "collector-withdraw") {
    return Err(ErrorCode::kInvalidArgument, "--node-name '{}': the collector's own consumer name",
               name);
  }
  return OkStatus();
}

std::string NodeToken() {
  char state = '?';
  std::string start;
  ProcessStat(getpid(), &state, &start);
  nlohmann::json t = {{"host", HostName()},
                      {"pid", static_cast<int64_t>(getpid())},
                      {"start", start},
                      {"boot", FirstLine("/proc/sys/kernel/random/boot_id")},
                      {"pidns", PidNamespace()}};
  return t.dump();
}

bool OwnerGone(std::string_view token) {
  auto owner = nlohmann::json::parse(token, nullptr, false);
  if (owner.is_discarded() || !SameMachine(owner)) return false;
  const int64_t pid = owner.value("pid", int64_t{0});
  if (pid <= 0) return false;
  if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return true;
  char state = '?';
  std::string start;
  if (!ProcessStat(pid, &state, &start)) return true;  // gone meanwhile
  if (state == 'Z' || state == 'X') return true;       // dead, not yet reaped
  return start != owner.value("start", "");            // the pid is another process's now
}

Result<NameClaim> ClaimNodeName(RedisClient& redis, const std::string& requested,
                                const std::string& token, bool take_over) {
  const std::string lease = std::to_string(keys::kNodeLeaseMs);
  const std::string host = HostName();
  for (int slot = 1; slot <= kMaxSlots; ++slot) {
    const std::string name = requested.empty() ? fmt::format("{}-{}", host, slot) : requested;
    const std::string key = keys::NodeName(name);
    // SET ... NX GET: nil when it was free (and is ours now), else its owner.
    auto r = redis.Pipeline({{"SET", key, token, "NX", "PX", lease, "GET"}, {"PTTL", key}});
    if (!r) return r.error();
    const RedisReply& set = (*r)[0];
    if (set.is_error()) return Err(ErrorCode::kNetwork, "redis: SET {}: {}", key, set.str());
    NameClaim claim;
    if (set.is_nil()) {
      claim.name = name;
      return claim;
    }
    const std::string owner(set.str());
    if (owner == token) {  // ours already (a claim whose reply was lost)
      claim.name = name;
      return claim;
    }
    auto who = nlohmann::json::parse(owner, nullptr, false);
    if ((take_over || !requested.empty()) && OwnerGone(owner)) {
      auto took = redis.Eval(keys::kTakeNameScript, {key, owner, token, lease});
      if (!took) return took.error();
      if (took->integer() == 1) {
        claim.name = name;
        claim.previous = owner;
        return claim;
      }
      if (requested.empty()) continue;  // another new node was quicker: the next slot
      claim.in_use = fmt::format("node name '{}' was just taken by another node", name);
      return claim;
    }
    if (!requested.empty()) {
      if (SameMachine(who)) {
        claim.in_use = fmt::format("node name '{}' is in use by a live node ({})", name,
                                   Describe(who));
      } else {
        // A key without an expiry (set by hand) is never freed: not waited for.
        const long long ttl = (*r)[1].integer();
        if (ttl >= 0) claim.wait_ms = ttl;
        claim.in_use = fmt::format("node name '{}' is in use by a node on {}{}", name,
                                   who.is_object() ? Describe(who) : owner,
                                   ttl >= 0 ? "" : fmt::format(" (its key {} never expires)", key));
      }
      return claim;
    }
  }
  NameClaim none;
  none.in_use = fmt::format("no free node name {}-1 to {}-{}", host, host, kMaxSlots);
  return none;
}

Result<bool> RenewNodeName(RedisClient& redis, const std::string& name, const std::string& token) {
  auto r = redis.Eval(keys::kRenewNameScript,
                      {keys::NodeName(name), token, std::to_string(keys::kNodeLeaseMs)});
  if (!r) return r.error();
  if (r->is_error()) return Err(ErrorCode::kNetwork, "redis: renewing node name: {}", r->str());
  return r->integer() == 1;
}

void ReleaseNodeName(RedisClient& redis, const std::string& name, const std::string& token) {
  (void)redis.Eval(keys::kReleaseNameScript, {keys::NodeName(name), token});
}

}  // namespace forage::engine
