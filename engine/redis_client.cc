#include "engine/redis_client.h"

#include <hiredis/hiredis.h>

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

Result<RedisAddress> ParseRedisUrl(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Err(ErrorCode::kInvalidArgument, "--redis '{}': expected redis://HOST[:PORT][/DB]",
               url);
  }
  std::string_view rest = url.substr(kScheme.size());
  RedisAddress a;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && (!ParseInt(db, &a.db) || a.db < 0)) {
      return Err(ErrorCode::kInvalidArgument, "--redis '{}': database '{}' is not a number", url,
                 db);
    }
    rest = rest.substr(0, slash);
  }
  if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    if (!ParseInt(rest.substr(colon + 1), &a.port) || a.port < 1 || a.port > 65535) {
      return Err(ErrorCode::kInvalidArgument, "--redis '{}': port '{}' is not a port", url,
                 rest.substr(colon + 1));
    }
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return Err(ErrorCode::kInvalidArgument, "--redis '{}': no host", url);
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
  if (address_.db != 0) {
    auto r = Command({"SELECT", std::to_string(address_.db)});
    if (!r) return r.error();
    if (r->is_error()) {
      Disconnect();
      return Err(ErrorCode::kNetwork, "redis: SELECT {}: {}", address_.db, r->str());
    }
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
