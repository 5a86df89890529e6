#include "engine/redis_client.h"

#include <hiredis/hiredis.h>

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <utility>

namespace forage::engine {
namespace {

timeval TimevalOf(double s) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(s);
  tv.tv_usec = static_cast<suseconds_t>((s - std::floor(s)) * 1e6);
  return tv;
}

bool ParseInt(std::string_view text, int* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

namespace {

constexpr std::string_view kUrlForm = "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]";

// %XX escapes of a URL's user or password; false on a bad escape.
bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    int v = 0;
    if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      return false;
    }
    std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16);
    out->push_back(static_cast<char>(v));
    i += 2;
  }
  return true;
}

}  // namespace

std::string RedactRedisUrl(std::string_view url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  // The last '@': a password may hold an unescaped '/' or '@'.
  size_t at = url.rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(url);
  std::string_view userinfo = url.substr(start, at - start);
  size_t colon = userinfo.find(':');
  std::string_view user =
      colon == std::string_view::npos ? std::string_view() : userinfo.substr(0, colon);
  return fmt::format("{}{}:***{}", url.substr(0, start), user, url.substr(at));
}

std::string RedisAddress::Display() const {
  std::string out = "redis://";
  if (!password.empty()) out += user + ":***@";
  out += fmt::format("{}:{}", host, port);
  if (db != 0) out += fmt::format("/{}", db);
  return out;
}

Result<RedisAddress> ParseRedisUrl(std::string_view url) {
  const std::string shown = RedactRedisUrl(url);
  if (url.substr(0, 9) == "rediss://") {
    return Err(ErrorCode::kInvalidArgument,
               "--redis '{}': TLS to Redis is not supported by this build: Debian 12's hiredis "
               "has no SSL (use redis:// on a trusted network, or a TLS tunnel such as stunnel)",
               shown);
  }
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Err(ErrorCode::kInvalidArgument, "--redis '{}': expected {}", shown, kUrlForm);
  }
  std::string_view rest = url.substr(kScheme.size());
  RedisAddress a;
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      return Err(ErrorCode::kInvalidArgument,
                 "--redis '{}': a password is given as :PASSWORD@ (or USER:PASSWORD@): "
                 "expected {}", shown, kUrlForm);
    }
    if (!PercentDecode(userinfo.substr(0, colon), &a.user) ||
        !PercentDecode(userinfo.substr(colon + 1), &a.password)) {
      return Err(ErrorCode::kInvalidArgument,
                 "--redis '{}': a bad %-escape in the user or the password", shown);
    }
    if (a.password.empty()) {
      return Err(ErrorCode::kInvalidArgument, "--redis '{}': an empty password", shown);
    }
    rest = rest.substr(at + 1);
  }
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && (!ParseInt(db, &a.db) || a.db < 0)) {
      return Err(ErrorCode::kInvalidArgument, "--redis '{}': database '{}' is not a number", shown,
                 db);
    }
    rest = rest.substr(0, slash);
  }
  if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    if (!ParseInt(rest.substr(colon + 1), &a.port) || a.port < 1 || a.port > 65535) {
      return Err(ErrorCode::kInvalidArgument, "--redis '{}': port '{}' is not a port", shown,
                 rest.substr(colon + 1));
    }
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return Err(ErrorCode::kInvalidArgument, "--redis '{}': no host", shown);
  a.host = std::string(rest);
  return a;
}

// --- RedisReply

void RedisReply::Free::operator()(redisReply* r) const {
  if (r != nullptr) freeReplyObject(r);
}

RedisReply::RedisReply(redisReply* owned) : owned_(owned, Free{}), r_(owned) {}

RedisReply RedisReply::View(const redisReply* element) {
  RedisReply v;
  v.r_ = element;
  return v;
}

bool RedisReply::is_error() const { return r_ != nullptr && r_->type == REDIS_REPLY_ERROR; }
bool RedisReply::is_nil() const { return r_ == nullptr || r_->type == REDIS_REPLY_NIL; }
bool RedisReply::is_array() const { return r_ != nullptr && r_->type == REDIS_REPLY_ARRAY; }
bool RedisReply::is_int() const { return r_ != nullptr && r_->type == REDIS_REPLY_INTEGER; }
bool RedisReply::is_string() const {
  return r_ != nullptr && (r_->type == REDIS_REPLY_STRING || r_->type == REDIS_REPLY_STATUS);
}
std::string_view RedisReply::str() const {
  if (r_ == nullptr || r_->str == nullptr) return {};
  return {r_->str, r_->len};
}
long long RedisReply::integer() const {
  if (r_ == nullptr) return 0;
  if (r_->type == REDIS_REPLY_INTEGER) return r_->integer;
  long long v = 0;
  if (r_->type == REDIS_REPLY_STRING) std::from_chars(r_->str, r_->str + r_->len, v);
  return v;
}
size_t RedisReply::size() const { return is_array() ? r_->elements : 0; }
RedisReply RedisReply::at(size_t i) const {
  RedisReply v = View(i < size() ? r_->element[i] : nullptr);
  v.owned_ = owned_;  // keeps the whole reply alive
  return v;
}

// --- RedisClient

RedisClient::RedisClient(RedisAddress address, double timeout_s)
    : address_(std::move(address)), timeout_s_(timeout_s) {}

RedisClient::~RedisClient() { Disconnect(); }

void RedisClient::Disconnect() {
  if (ctx_ != nullptr) redisFree(ctx_);
  ctx_ = nullptr;
  shas_.clear();
}

Status RedisClient::Connect() {
  if (ctx_ != nullptr) return OkStatus();
  redisContext* c =
      redisConnectWithTimeout(address_.host.c_str(), address_.port, TimevalOf(timeout_s_));
  if (c == nullptr) return Err(ErrorCode::kNetwork, "redis: out of memory");
  if (c->err != 0) {
    std::string why = c->errstr;
    redisFree(c);
    return Err(ErrorCode::kNetwork, "redis {}:{}: {}", address_.host, address_.port, why);
  }
  redisSetTimeout(c, TimevalOf(timeout_s_));
  redisEnableKeepAlive(c);
  ctx_ = c;
  // One round trip per connection: AUTH (or a PING that tells whether the
  // server wants one) and SELECT.
  std::vector<std::vector<std::string>> hello;
  if (!address_.password.empty()) {
    hello.push_back(address_.user.empty()
                        ? std::vector<std::string>{"AUTH", address_.password}
                        : std::vector<std::string>{"AUTH", address_.user, address_.password});
  } else {
    hello.push_back({"PING"});
  }
  if (address_.db != 0) hello.push_back({"SELECT", std::to_string(address_.db)});
  auto r = Pipeline(hello);
  if (!r) return r.error();
  const RedisReply& auth = r->front();
  if (auth.is_error()) {
    // WRONGPASS / NOAUTH / ERR ...: Redis's words never hold the password.
    std::string why(auth.str());
    Disconnect();
    // A server still loading its data (a restart) or busy with a script is
    // not a refusal: the caller waits and connects again.
    const bool refused = address_.password.empty() ? why.rfind("NOAUTH", 0) == 0
                                                   : why.rfind("LOADING", 0) != 0 &&
                                                         why.rfind("BUSY", 0) != 0 &&
                                                         why.rfind("TRYAGAIN", 0) != 0 &&
                                                         why.rfind("MASTERDOWN", 0) != 0;
    if (!refused) {
      return Err(ErrorCode::kNetwork, "redis {}: {}", address_.Display(), why);
    }
    auth_failed_ = true;
    const std::string who =
        address_.user.empty() ? std::string() : fmt::format(" as user '{}'", address_.user);
    if (address_.password.empty()) {
      return Err(ErrorCode::kNetwork,
                 "redis {}: authentication failed: the server requires a password ({}); give it "
                 "as redis://[USER]:PASSWORD@HOST",
                 address_.Display(), why);
    }
    return Err(ErrorCode::kNetwork, "redis {}: authentication failed{}: {}", address_.Display(),
               who, why);
  }
  auth_failed_ = false;
  if (address_.db != 0 && (*r)[1].is_error()) {
    std::string why((*r)[1].str());
    Disconnect();
    return Err(ErrorCode::kNetwork, "redis {}: SELECT {}: {}", address_.Display(), address_.db,
               why);
  }
  return OkStatus();
}

Result<std::vector<RedisReply>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (auto st = Connect(); !st) return st.error();
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& cmd : commands) {
    argv.clear();
    lens.clear();
    for (const auto& a : cmd) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK) {
      std::string why = ctx_->errstr;
      Disconnect();
      return Err(ErrorCode::kNetwork, "redis: {}", why);
    }
  }
  ++round_trips_;
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* reply = nullptr;
    if (redisGetReply(ctx_, &reply) != REDIS_OK || reply == nullptr) {
      std::string why = ctx_->err != 0 ? ctx_->errstr : "no reply";
      Disconnect();
      return Err(ErrorCode::kNetwork, "redis {}:{}: {}", address_.host, address_.port, why);
    }
    replies.emplace_back(static_cast<redisReply*>(reply));
  }
  return replies;
}

Result<RedisReply> RedisClient::Command(const std::vector<std::string>& args) {
  auto r = Pipeline({args});
  if (!r) return r.error();
  return std::move(r->front());
}

Result<std::string> RedisClient::ScriptSha(const RedisScript& script) {
  for (const auto& [s, sha] : shas_) {
    if (s == &script) return sha;
  }
  auto r = Command({"SCRIPT", "LOAD", script.source});
  if (!r) return r.error();
  if (r->is_error()) return Err(ErrorCode::kInternal, "redis: SCRIPT LOAD: {}", r->str());
  shas_.emplace_back(&script, std::string(r->str()));
  return shas_.back().second;
}

Result<RedisReply> RedisClient::Eval(const RedisScript& script,
                                     const std::vector<std::string>& keys_and_args) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto sha = ScriptSha(script);
    if (!sha) return sha.error();
    std::vector<std::string> cmd = {"EVALSHA", *sha, std::to_string(script.keys)};
    cmd.insert(cmd.end(), keys_and_args.begin(), keys_and_args.end());
    auto r = Command(cmd);
    if (!r) return r.error();
    if (r->is_error() && r->str().substr(0, 8) == "NOSCRIPT") {
      shas_.clear();  // a restarted Redis: load it again
      continue;
    }
    return r;
  }
  return Err(ErrorCode::kInternal, "redis: the script could not be loaded");
}

}  // namespace forage::engine
