#pragma once
// RedisClient: one blocking connection to Redis (hiredis's redisContext),
// with a timeout on connect and on every reply, so a Redis that went away
// costs the caller at most that long, and a reconnect on the next call after
// any connection error. Lua scripts go by EVALSHA, loaded once per
// connection (a restarted Redis forgets them: NOSCRIPT reloads).
//
// Used from one loop thread; the round trips are short (loopback or LAN),
// and every call is bounded by the timeout. docs/distributed.md says why the
// distributed mode talks to Redis this way. Connect by IP (hiredis resolves
// names synchronously).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

struct redisContext;
struct redisReply;

namespace forage::engine {

// Every Redis call (connect, AUTH, each reply) of the collector, the nodes
// and `forage status` may wait this long before Redis counts as gone.
inline constexpr double kRedisTimeoutS = 2;

struct RedisAddress {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string user;      // ACL user (AUTH USER PASSWORD); empty: the default user
  std::string password;  // empty: no AUTH
  // redis://[USER:***@]HOST:PORT[/DB]: the address for messages, reports and
  // status, never with the password.
  std::string Display() const;
};

// redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] (HOST an IP address or a name;
// USER and PASSWORD percent-decoded). rediss:// is refused: Debian 12's
// hiredis 0.14 has no SSL. Errors (kInvalidArgument) show the URL redacted.
Result<RedisAddress> ParseRedisUrl(std::string_view url);
// `url` with its password (if any) replaced by ***, for any message.
std::string RedactRedisUrl(std::string_view url);

// A reply, owned (freeReplyObject), or a view of one of its elements.
class RedisReply {
 public:
  RedisReply() = default;
  explicit RedisReply(redisReply* owned);  // takes ownership
  static RedisReply View(const redisReply* element);

  bool is_error() const;
  bool is_nil() const;
  bool is_array() const;
  bool is_int() const;
  bool is_string() const;  // string or status
  std::string_view str() const;  // string, status or error text
  long long integer() const;
  size_t size() const;  // elements of an array
  RedisReply at(size_t i) const;  // a view; valid while this reply lives

 private:
  struct Free {
    void operator()(redisReply* r) const;
  };
  std::shared_ptr<redisReply> owned_;
  const redisReply* r_ = nullptr;
};

struct RedisScript {
  std::string source;
  int keys = 0;
};

class RedisClient {
 public:
  RedisClient(RedisAddress address, double timeout_s);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Connects unless connected, then AUTH (with a password) and SELECT (a
  // database other than 0) on the new connection. Errors are kNetwork; an
  // AUTH that Redis refused (or a server that needs one) also sets
  // auth_failed() until the next connection that succeeds.
  Status Connect();
  bool auth_failed() const { return auth_failed_; }
  bool connected() const { return ctx_ != nullptr; }
  void Disconnect();

  // One command. A connection error (kNetwork) drops the connection; an
  // error reply is a reply (is_error()), not an error.
  Result<RedisReply> Command(const std::vector<std::string>& args);
  // Several commands in one round trip; the replies in order.
  Result<std::vector<RedisReply>> Pipeline(const std::vector<std::vector<std::string>>& commands);
  // EVALSHA of `script` (loaded on first use on this connection).
  Result<RedisReply> Eval(const RedisScript& script, const std::vector<std::string>& keys_and_args);

  // The script's SHA1 on this connection (SCRIPT LOAD on first use), for
  // EVALSHA in a pipeline; after a NOSCRIPT reply, ForgetScripts().
  Result<std::string> ScriptSha(const RedisScript& script);
  void ForgetScripts() { shas_.clear(); }

  // Round trips made (a pipeline is one), for the benchmark.
  uint64_t round_trips() const { return round_trips_; }
  const RedisAddress& address() const { return address_; }

 private:
  RedisAddress address_;
  double timeout_s_;
  redisContext* ctx_ = nullptr;
  std::vector<std::pair<const RedisScript*, std::string>> shas_;  // this connection's
  uint64_t round_trips_ = 0;
  bool auth_failed_ = false;
};

}  // namespace forage::engine
