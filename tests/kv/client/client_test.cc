// SPDX-License-Identifier: Apache-2.0
// raft::kv_client::Client against fake servers on 127.0.0.1: redirects and leader hints are
// followed, a refused endpoint is skipped, backoff stays within the deadline (and replays from
// its seed), a server that never answers cannot hang a request, writes carry their session and
// reuse the sequence on retry, and a 410 reports the write's outcome as unknown.
//
// Backoff waits go through a fake clock (ClientOptions::now/sleep), so nothing sleeps; the only
// real waits are the socket timeouts of the no-hang test, a few hundred milliseconds.
// Replay one seed:  RAFT_SEED=123 ./build/release/tests/kv_client_test
#include "client.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fake_server.h"

namespace raft::kv_client {
namespace {

using testing::ClosedPort;
using testing::FakeAction;
using testing::FakeRequest;
using testing::FakeServer;
using namespace std::chrono_literals;

std::uint64_t seed() {
  const char* text = std::getenv("RAFT_SEED");
  return text == nullptr ? 1 : std::strtoull(text, nullptr, 10);
}

std::string replay() {
  return fmt::format("seed={} (replay: RAFT_SEED={} tests/kv_client_test)", seed(), seed());
}

std::string header(const FakeRequest& request, const char* name) {
  const auto it = request.find(name);
  return it == request.end() ? std::string{} : std::string(it->value());
}

/// Virtual time for the backoff: sleeping advances it, nothing waits.
struct FakeClock {
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now();
  std::vector<std::chrono::microseconds> sleeps;

  void install(ClientOptions& options) {
    options.now = [this] { return now; };
    options.sleep = [this](std::chrono::microseconds d) {
      sleeps.push_back(d);
      now += d;
    };
  }
};

ClientOptions options_for(std::vector<Endpoint> endpoints) {
  ClientOptions options;
  options.endpoints = std::move(endpoints);
  options.seed = seed();
  options.deadline = 5s;
  return options;
}

/// A raft-kv leader: sessions numbered from 42, writes answered with increasing indexes.
FakeAction leader(const FakeRequest& request) {
  static std::atomic<int> index{0};
  if (request.target() == "/v1/session") return FakeAction::reply(200, R"({"client":42})");
  return FakeAction::reply(200, fmt::format(R"({{"index":{},"term":3}})", ++index));
}

TEST(KvClient, FollowsRedirectToTheLeaderAndStaysThere) {
  SCOPED_TRACE(replay());
  FakeServer leader_server(leader);
  const auto leader_at = leader_server.endpoint().to_string();
  FakeServer follower([&](const FakeRequest& request) {
    return FakeAction::reply(
        307, fmt::format(R"({{"error":"not_leader","leader":2,"leader_http":"{}"}})", leader_at),
        {{"Location", fmt::format("http://{}{}", leader_at, std::string(request.target()))}});
  });
  Client client(options_for({follower.endpoint(), leader_server.endpoint()}));

  const auto first = client.put("k", "v1");
  ASSERT_TRUE(first.outcome.ok) << first.outcome.message;
  EXPECT_EQ(first.outcome.endpoint, leader_at);
  EXPECT_GT(first.index, 0U);
  EXPECT_EQ(client.current(), leader_server.endpoint());
  // The follower redirected the session registration; the PUT then went to the leader.
  ASSERT_EQ(follower.requests().size(), 1U);
  EXPECT_EQ(follower.requests()[0].target(), "/v1/session");

  const auto asked = follower.requests().size();
  const auto second = client.put("k", "v2");
  ASSERT_TRUE(second.outcome.ok) << second.outcome.message;
  EXPECT_EQ(second.outcome.redirects, 0);
  EXPECT_EQ(second.outcome.attempts, 1);
  EXPECT_EQ(follower.requests().size(), asked);
  // One keep-alive connection served everything on the leader.
  EXPECT_EQ(leader_server.connections(), 1);
  const auto seen = leader_server.requests();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().target(), "/v1/kv/k");
  EXPECT_EQ(seen.back().body(), "v2");
}

TEST(KvClient, FollowsTheLeaderHttpHintWithoutLocation) {
  SCOPED_TRACE(replay());
  FakeServer leader_server(leader);
  const auto leader_at = leader_server.endpoint().to_string();
  FakeServer follower([&](const FakeRequest&) {
    return FakeAction::reply(
        307, fmt::format(R"({{"error":"not_leader","leader":2,"leader_http":"{}"}})", leader_at));
  });
  auto options = options_for({follower.endpoint()});
  options.sessions = false;
  Client client(options);
  const auto reply = client.remove("gone");
  ASSERT_TRUE(reply.outcome.ok) << reply.outcome.message;
  EXPECT_EQ(reply.outcome.endpoint, leader_at);
  // The learned leader joins the endpoint list.
  EXPECT_EQ(client.endpoints().size(), 2U);
  ASSERT_EQ(leader_server.requests().size(), 1U);
  EXPECT_EQ(leader_server.requests()[0].method(), boost::beast::http::verb::delete_);
}

TEST(KvClient, RedirectLoopEndsTheRequest) {
  SCOPED_TRACE(replay());
  std::string self;
  FakeServer confused([&](const FakeRequest& request) {
    return FakeAction::reply(307, R"({"error":"not_leader"})",
                             {{"Location", "http://" + self + std::string(request.target())}});
  });
  self = confused.endpoint().to_string();
  auto options = options_for({confused.endpoint()});
  options.sessions = false;
  options.max_redirects = 3;
  Client client(options);
  const auto reply = client.put("k", "v");
  EXPECT_FALSE(reply.outcome.ok);
  EXPECT_EQ(reply.outcome.error, ErrorKind::kRedirectLoop);
  EXPECT_EQ(reply.outcome.attempts, 4);
}

TEST(KvClient, MovesToTheNextEndpointWhenRefused) {
  SCOPED_TRACE(replay());
  ClosedPort dead;
  FakeServer alive(leader);
  Client client(options_for({dead.endpoint(), alive.endpoint()}));
  const auto reply = client.get("k");
  ASSERT_TRUE(reply.outcome.ok) << reply.outcome.message;
  EXPECT_EQ(reply.outcome.attempts, 2);
  EXPECT_EQ(reply.outcome.last_error, ErrorKind::kConnectRefused);
  EXPECT_EQ(reply.outcome.endpoint, alive.endpoint().to_string());
}

TEST(KvClient, FollowerNamingTheDeadLeaderDoesNotTrapTheClient) {
  SCOPED_TRACE(replay());
  // Just after a leader crash a follower may still redirect to it: the client must not bounce
  // between that follower and the dead leader, but try the other endpoint (the new leader).
  ClosedPort dead_leader;
  const auto dead_at = dead_leader.endpoint().to_string();
  FakeServer stale_follower([&](const FakeRequest& request) {
    return FakeAction::reply(
        307, fmt::format(R"({{"error":"not_leader","leader":1,"leader_http":"{}"}})", dead_at),
        {{"Location", fmt::format("http://{}{}", dead_at, std::string(request.target()))}});
  });
  FakeServer new_leader(leader);
  FakeClock clock;
  auto options = options_for({stale_follower.endpoint(), new_leader.endpoint()});
  options.sessions = false;
  clock.install(options);
  Client client(options);
  const auto reply = client.put("k", "v");
  ASSERT_TRUE(reply.outcome.ok) << reply.outcome.message;
  EXPECT_EQ(reply.outcome.endpoint, new_leader.endpoint().to_string());
  EXPECT_TRUE(clock.sleeps.empty());  // found within the first round
  EXPECT_LE(stale_follower.requests().size(), 2U);
}

TEST(KvClient, MovesOnWhenTheConnectionIsClosedMidRequest) {
  SCOPED_TRACE(replay());
  FakeServer crashing([](const FakeRequest&) { return FakeAction::close(); });
  FakeServer alive(leader);
  auto options = options_for({crashing.endpoint(), alive.endpoint()});
  options.sessions = false;
  Client client(options);
  const auto reply = client.put("k", "v");
  ASSERT_TRUE(reply.outcome.ok) << reply.outcome.message;
  EXPECT_EQ(reply.outcome.last_error, ErrorKind::kConnectionReset);
  EXPECT_EQ(reply.outcome.endpoint, alive.endpoint().to_string());
}

TEST(KvClient, BacksOffWithinTheDeadlineAndReplaysFromTheSeed) {
  SCOPED_TRACE(replay());
  const auto no_leader = [](const FakeRequest&) {
    return FakeAction::reply(503, R"({"error":"no_leader","message":"election"})",
                             {{"Retry-After", "1"}});
  };
  FakeServer a(no_leader);
  FakeServer b(no_leader);
  const auto run = [&] {
    FakeClock clock;
    auto options = options_for({a.endpoint(), b.endpoint()});
    options.deadline = 1s;
    options.backoff = {10ms, 200ms};
    clock.install(options);
    Client client(options);
    const auto reply = client.get("k");
    EXPECT_FALSE(reply.outcome.ok);
    EXPECT_EQ(reply.outcome.error, ErrorKind::kDeadlineExceeded);
    EXPECT_EQ(reply.outcome.last_error, ErrorKind::kUnavailable);
    EXPECT_EQ(reply.outcome.http_status, 503);
    // A backoff only after both endpoints failed: one sleep per two attempts.
    EXPECT_EQ(clock.sleeps.size(), static_cast<std::size_t>(reply.outcome.attempts) / 2);
    std::chrono::microseconds total{};
    std::chrono::microseconds bound = 10ms;
    for (const auto s : clock.sleeps) {
      EXPECT_LT(s, bound);
      bound = std::min<std::chrono::microseconds>(bound * 2, 200ms);
      total += s;
    }
    EXPECT_LE(total, 1s);  // the last wait is cut at the deadline
    EXPECT_GE(total, 1s);  // and the request ran until it
    return clock.sleeps;
  };
  const auto first = run();
  EXPECT_GT(first.size(), 3U);
  EXPECT_EQ(run(), first);  // same seed, same waits
}

TEST(KvClient, ServerThatNeverAnswersCannotHangARequest) {
  SCOPED_TRACE(replay());
  FakeServer silent([](const FakeRequest&) { return FakeAction::hang(); });
  auto options = options_for({silent.endpoint()});
  options.sessions = false;
  options.deadline = 300ms;
  options.io_timeout = 5s;  // the deadline must cut the attempt's own timeout short
  Client client(options);
  const auto started = std::chrono::steady_clock::now();
  const auto reply = client.get("k");
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_FALSE(reply.outcome.ok);
  EXPECT_EQ(reply.outcome.error, ErrorKind::kDeadlineExceeded);
  EXPECT_EQ(reply.outcome.last_error, ErrorKind::kTimeout);
  EXPECT_LT(took, 3s);  // generous: only "it did not wait for io_timeout" is asserted
}

TEST(KvClient, WritesCarryTheSessionAndRetriesReuseTheSequence) {
  SCOPED_TRACE(replay());
  std::atomic<int> puts{0};
  FakeServer server([&](const FakeRequest& request) {
    if (request.target() == "/v1/session") return FakeAction::reply(200, R"({"client":42})");
    // The first PUT may have committed but the leader lost track: the client must retry it
    // under the same sequence number so the session table can dedup it.
    if (++puts == 1) return FakeAction::reply(504, R"({"error":"commit_unknown"})");
    return FakeAction::reply(200, R"({"index":7,"term":2})", {{"X-Raft-Duplicate", "1"}});
  });
  FakeClock clock;
  auto options = options_for({server.endpoint()});
  clock.install(options);
  Client client(options);
  const auto first = client.put("a", "1");
  ASSERT_TRUE(first.outcome.ok) << first.outcome.message;
  EXPECT_EQ(first.outcome.attempts, 2);  // the PUT and its retry
  EXPECT_EQ(first.outcome.last_error, ErrorKind::kCommitUnknown);
  EXPECT_TRUE(first.duplicate);
  EXPECT_EQ(first.index, 7U);
  ASSERT_TRUE(client.put("b", "2").outcome.ok);

  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 4U);
  EXPECT_EQ(seen[0].target(), "/v1/session");
  EXPECT_EQ(seen[0].method(), boost::beast::http::verb::post);
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(header(seen[i], "X-Raft-Client"), "42") << i;
  }
  EXPECT_EQ(header(seen[1], "X-Raft-Sequence"), "1");
  EXPECT_EQ(header(seen[2], "X-Raft-Sequence"), "1");  // the retry
  EXPECT_EQ(header(seen[3], "X-Raft-Sequence"), "2");
  EXPECT_EQ(header(seen[3], "X-Raft-Ack"), "2");
  EXPECT_EQ(client.last_sequence(), 2U);
}

TEST(KvClient, SessionExpiredReportsUnknownOutcomeAndRegistersAgain) {
  SCOPED_TRACE(replay());
  std::atomic<int> sessions{0};
  std::atomic<int> puts{0};
  FakeServer server([&](const FakeRequest& request) {
    if (request.target() == "/v1/session") {
      return FakeAction::reply(200, fmt::format(R"({{"client":{}}})", 100 + ++sessions));
    }
    if (++puts == 1) return FakeAction::reply(410, R"({"error":"session_expired"})");
    return FakeAction::reply(200, R"({"index":9,"term":2})");
  });
  Client client(options_for({server.endpoint()}));
  const auto expired = client.put("a", "1");
  EXPECT_FALSE(expired.outcome.ok);
  EXPECT_EQ(expired.outcome.error, ErrorKind::kSessionExpired);
  EXPECT_TRUE(expired.outcome.outcome_unknown);
  EXPECT_EQ(expired.outcome.attempts, 1);  // not retried
  EXPECT_FALSE(client.session().has_value());

  const auto next = client.put("a", "2");
  ASSERT_TRUE(next.outcome.ok) << next.outcome.message;
  EXPECT_EQ(client.session(), std::optional<std::uint64_t>{102});
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 4U);
  EXPECT_EQ(seen[2].target(), "/v1/session");
  EXPECT_EQ(header(seen[3], "X-Raft-Client"), "102");
  EXPECT_EQ(header(seen[3], "X-Raft-Sequence"), "1");
}

TEST(KvClient, GetReadsValueOrNotFoundAndAsksStaleWhenTold) {
  SCOPED_TRACE(replay());
  FakeServer server([](const FakeRequest& request) {
    if (request.target() == "/v1/kv/missing")
      return FakeAction::reply(404, R"({"error":"not_found"})");
    return FakeAction::reply(200, "value-bytes", {{"X-Raft-Index", "12"}});
  });
  Client client(options_for({server.endpoint()}));
  const auto hit = client.get("k", /*stale=*/true);
  ASSERT_TRUE(hit.outcome.ok);
  EXPECT_TRUE(hit.found);
  EXPECT_EQ(hit.body, "value-bytes");
  EXPECT_EQ(hit.index, 12U);
  const auto miss = client.get("missing");
  EXPECT_TRUE(miss.outcome.ok);
  EXPECT_FALSE(miss.found);
  EXPECT_EQ(miss.outcome.http_status, 404);
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[0].target(), "/v1/kv/k?stale=1");
  EXPECT_EQ(seen[1].target(), "/v1/kv/missing");
}

TEST(KvClient, BadRequestIsNotRetried) {
  SCOPED_TRACE(replay());
  FakeServer server([](const FakeRequest&) {
    return FakeAction::reply(400, R"({"error":"bad_key","message":"bad"})");
  });
  FakeServer other(leader);
  auto options = options_for({server.endpoint(), other.endpoint()});
  options.sessions = false;
  Client client(options);
  const auto reply = client.put("k", "v");
  EXPECT_FALSE(reply.outcome.ok);
  EXPECT_EQ(reply.outcome.error, ErrorKind::kBadRequest);
  EXPECT_EQ(reply.outcome.attempts, 1);
  EXPECT_TRUE(other.requests().empty());
}

TEST(KvClient, EtcdTargetSpeaksTheJsonGateway) {
  SCOPED_TRACE(replay());
  FakeServer etcd_server([](const FakeRequest& request) {
    if (request.target() == "/v3/kv/range") {
      return FakeAction::reply(
          200,
          R"({"header":{"revision":"5"},"kvs":[{"key":"aw==","value":"dmFsdWU="}],"count":"1"})");
    }
    return FakeAction::reply(200, R"({"header":{"revision":"5"}})");
  });
  ClosedPort dead;
  auto options = options_for({dead.endpoint(), etcd_server.endpoint()});
  options.target = Target::kEtcd;
  Client client(options);
  const auto put = client.put("k", "value");
  ASSERT_TRUE(put.outcome.ok) << put.outcome.message;
  EXPECT_EQ(put.index, 5U);
  const auto got = client.get("k");
  ASSERT_TRUE(got.outcome.ok) << got.outcome.message;
  EXPECT_EQ(got.body, "value");
  const auto seen = etcd_server.requests();
  ASSERT_EQ(seen.size(), 2U);  // no session registration against etcd
  EXPECT_EQ(seen[0].target(), "/v3/kv/put");
  EXPECT_EQ(seen[0].body(), R"({"key":"aw==","value":"dmFsdWU="})");
}

}  // namespace
}  // namespace raft::kv_client
