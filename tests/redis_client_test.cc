// engine/redis_client against a real redis-server (tests/redis_server.h).

#include <doctest/doctest.h>

#include "engine/redis_client.h"
#include "engine/redis_keys.h"
#include "tests/redis_server.h"

namespace forage::testing {
namespace {

using engine::ParseRedisUrl;
using engine::RedisClient;

RedisClient ClientFor(const RedisServer& server) {
  return RedisClient(*ParseRedisUrl(server.url()), 2);
}

}  // namespace

TEST_SUITE("redis.client") {

TEST_CASE("redis URLs: host, port and database, and what is wrong with a bad one") {
  auto a = ParseRedisUrl("redis://127.0.0.1:6380/2");
  REQUIRE(a);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 6380);
  CHECK(a->db == 2);
  auto b = ParseRedisUrl("redis://10.0.0.5");
  REQUIRE(b);
  CHECK(b->port == 6379);
  CHECK(b->db == 0);
  CHECK(!ParseRedisUrl("http://127.0.0.1:6379"));
  CHECK(ParseRedisUrl("redis://127.0.0.1:99999").error().message.find("port") != std::string::npos);
  CHECK(!ParseRedisUrl("redis://:6379"));
}

TEST_CASE("redis URLs with a user and a password: percent-decoded, and never shown") {
  auto a = ParseRedisUrl("redis://forager:p%40ss%3Aw%2Fd@10.0.0.5:6380/2");
  REQUIRE(a);
  CHECK(a->user == "forager");
  CHECK(a->password == "p@ss:w/d");
  CHECK(a->host == "10.0.0.5");
  CHECK(a->port == 6380);
  CHECK(a->db == 2);
  CHECK(a->Display() == "redis://forager:***@10.0.0.5:6380/2");
  auto b = ParseRedisUrl("redis://:pw@127.0.0.1");
  REQUIRE(b);
  CHECK(b->user == "");
  CHECK(b->password == "pw");
  CHECK(b->Display() == "redis://:***@127.0.0.1:6379");
  CHECK(ParseRedisUrl("redis://127.0.0.1")->Display() == "redis://127.0.0.1:6379");
  CHECK(engine::RedactRedisUrl("redis://u:secret@h:1/2") == "redis://u:***@h:1/2");
  CHECK(engine::RedactRedisUrl("redis://h:1") == "redis://h:1");
  CHECK(engine::RedactRedisUrl("redis://secret@h") == "redis://:***@h");
  // Unescaped '/' and '@' in a password: the last '@' ends it.
  CHECK(engine::RedactRedisUrl("redis://u:se/c@ret@h:1/2") == "redis://u:***@h:1/2");
  auto slash = ParseRedisUrl("redis://u:se/c@ret@h:1/2");
  REQUIRE(slash);
  CHECK(slash->password == "se/c@ret");
  CHECK(slash->db == 2);
  auto bad_db = ParseRedisUrl("redis://u:secret@h:1/x");
  REQUIRE(!bad_db);
  CHECK(bad_db.error().message == "--redis 'redis://u:***@h:1/x': database 'x' is not a number");
  for (const char* bad :
       {"redis://u:%zz@h", "redis://u:%4@h", "redis://secret@h", "redis://u:@h"}) {
    CAPTURE(bad);
    auto r = ParseRedisUrl(bad);
    REQUIRE(!r);
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
    CHECK(r.error().message.find("secret") == std::string::npos);
    CHECK(r.error().message.find("%zz") == std::string::npos);
  }
  auto tls = ParseRedisUrl("rediss://u:secret@h:6380");
  REQUIRE(!tls);
  CHECK(tls.error().message.find("TLS to Redis is not supported by this build") !=
        std::string::npos);
  CHECK(tls.error().message.find("secret") == std::string::npos);
}

TEST_CASE("commands and a pipeline against a real redis-server: one round trip for many") {
  RedisServer server("client_basic");
  RedisClient c = ClientFor(server);
  auto set = c.Command({"SET", "k", std::string("a\0b", 3)});
  REQUIRE(set);
  CHECK(set->str() == "OK");
  auto get = c.Command({"GET", "k"});
  REQUIRE(get);
  CHECK(get->str() == std::string("a\0b", 3));  // binary-safe
  const uint64_t before = c.round_trips();
  auto r = c.Pipeline({{"RPUSH", "l", "1", "2", "3"}, {"LRANGE", "l", "0", "-1"}, {"GET", "none"}});
  REQUIRE(r);
  CHECK(c.round_trips() == before + 1);
  CHECK((*r)[0].integer() == 3);
  REQUIRE((*r)[1].size() == 3);
  CHECK((*r)[1].at(2).str() == "3");
  CHECK((*r)[2].is_nil());
  auto bad = c.Command({"INCR", "l"});
  REQUIRE(bad);  // an error reply is a reply
  CHECK(bad->is_error());
}

TEST_CASE("a Redis that stops is an error, and the next call after its restart reconnects") {
  RedisServer server("client_restart");
  RedisClient c = ClientFor(server);
  REQUIRE(c.Command({"SET", "kept", "1"}));
  server.Stop();
  auto down = c.Command({"GET", "kept"});
  REQUIRE(!down);
  CHECK(down.error().code == ErrorCode::kNetwork);
  CHECK(!c.connected());
  server.Start();
  auto up = c.Command({"GET", "kept"});
  REQUIRE(up);
  CHECK(up->str() == "1");  // the append-only file kept it
}

TEST_CASE("the result script acknowledges a lease once: a second answer for it adds nothing") {
  RedisServer server("client_script");
  RedisClient c = ClientFor(server);
  const std::string pages = "forage:{t}:pages", results = "forage:{t}:results",
                    nodes = "forage:{t}:nodes";
  REQUIRE(c.Command({"XGROUP", "CREATE", pages, "nodes", "$", "MKSTREAM"}));
  REQUIRE(c.Command({"XADD", pages, "*", "p", "0", "u", "http://x/", "r", "0"}));
  auto read = c.Command({"XREADGROUP", "GROUP", "nodes", "n1", "COUNT", "10", "STREAMS", pages, ">"});
  REQUIRE(read);
  std::string id(read->at(0).at(1).at(0).at(0).str());
  auto answer = [&] {
    return c.Eval(engine::redis_keys::kResultScript,
                  {pages, results, nodes, "nodes", "n1", id, "done", "frames", "7"});
  };
  auto first = answer();
  REQUIRE(first);
  CHECK(first->integer() == 1);
  auto second = answer();
  REQUIRE(second);
  CHECK(second->integer() == 0);
  CHECK(c.Command({"XLEN", results})->integer() == 1);
  CHECK(c.Command({"XLEN", pages})->integer() == 0);  // acknowledged and deleted
  CHECK(c.Command({"HGET", nodes, "n1:items"})->str() == "7");
  // A restarted Redis forgets its scripts: EVALSHA's NOSCRIPT loads it again.
  REQUIRE(c.Command({"SCRIPT", "FLUSH"}));
  REQUIRE(c.Command({"XADD", pages, "*", "p", "1", "u", "http://x/1", "r", "0"}));
  auto read2 = c.Command({"XREADGROUP", "GROUP", "nodes", "n1", "COUNT", "10", "STREAMS", pages, ">"});
  id = read2->at(0).at(1).at(0).at(0).str();
  auto third = answer();
  REQUIRE(third);
  CHECK(third->integer() == 1);
}

TEST_CASE("the result script answers a batch in one call: one entry for the pages done, one per "
          "page lost, nothing for an entry already answered") {
  RedisServer server("client_script_batch");
  RedisClient c = ClientFor(server);
  const std::string pages = "forage:{t}:pages", results = "forage:{t}:results",
                    nodes = "forage:{t}:nodes";
  REQUIRE(c.Command({"XGROUP", "CREATE", pages, "nodes", "$", "MKSTREAM"}));
  for (const char* p : {"0", "1", "2", "3"}) {
    REQUIRE(c.Command({"XADD", pages, "*", "p", p, "u", "http://x/", "r", "0"}));
  }
  auto read = c.Command({"XREADGROUP", "GROUP", "nodes", "n1", "COUNT", "10", "STREAMS", pages, ">"});
  REQUIRE(read);
  std::vector<std::string> ids;
  for (size_t i = 0; i < 4; ++i) ids.emplace_back(read->at(0).at(1).at(i).at(0).str());
  // The first page is answered alone, then all four together: the first
  // adds nothing the second time.
  auto one = c.Eval(engine::redis_keys::kResultScript,
                    {pages, results, nodes, "nodes", "n1", ids[0], "done", "A", "2"});
  REQUIRE(one);
  CHECK(one->integer() == 1);
  auto batch = c.Eval(engine::redis_keys::kResultScript,
                      {pages, results, nodes, "nodes", "n1", ids[0], "done", "A", "2",  //
                       ids[1], "done", "B", "3", ids[2], "lost", "L", "0", ids[3], "done", "C", "4"});
  REQUIRE(batch);
  CHECK(batch->integer() == 3);
  auto all = c.Command({"XRANGE", results, "-", "+"});
  REQUIRE(all);
  REQUIRE(all->size() == 3);
  auto fields = [&](size_t i) {
    engine::RedisReply f = all->at(i).at(1);
    return std::string(f.at(1).str()) + "|" + std::string(f.at(3).str()) + "|" +
           std::string(f.at(5).str());
  };
  CHECK(fields(0) == "done|A|n1");
  CHECK(fields(1) == "lost|L|n1");
  CHECK(fields(2) == "done|BC|n1");  // the pages done, in order, in one entry
  CHECK(c.Command({"XLEN", pages})->integer() == 0);  // each acknowledged and deleted
  CHECK(c.Command({"XPENDING", pages, "nodes"})->at(0).integer() == 0);
  CHECK(c.Command({"HGET", nodes, "n1:pages"})->str() == "3");
  CHECK(c.Command({"HGET", nodes, "n1:items"})->str() == "9");
}

TEST_CASE("the reclaim script takes back pending leases with their page ids, once") {
  RedisServer server("client_reclaim");
  RedisClient c = ClientFor(server);
  const std::string pages = "forage:{t}:pages";
  REQUIRE(c.Command({"XGROUP", "CREATE", pages, "nodes", "$", "MKSTREAM"}));
  REQUIRE(c.Command({"XADD", pages, "*", "p", "41", "u", "http://x/", "r", "0"}));
  auto read = c.Command({"XREADGROUP", "GROUP", "nodes", "n1", "COUNT", "10", "STREAMS", pages, ">"});
  std::string id(read->at(0).at(1).at(0).at(0).str());
  auto taken = c.Eval(engine::redis_keys::kReclaimScript, {pages, "nodes", id});
  REQUIRE(taken);
  REQUIRE(taken->size() == 2);
  CHECK(taken->at(0).str() == id);
  CHECK(taken->at(1).str() == "41");
  auto again = c.Eval(engine::redis_keys::kReclaimScript, {pages, "nodes", id});
  REQUIRE(again);
  CHECK(again->size() == 0);
}

}  // TEST_SUITE

}  // namespace forage::testing
