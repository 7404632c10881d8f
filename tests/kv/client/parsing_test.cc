// SPDX-License-Identifier: Apache-2.0
// The client's small pure parts: endpoint lists, redirect locations, durations, base64 for
// etcd's gateway, and the full-jitter backoff.
// Replay one seed:  RAFT_SEED=123 ./build/release/tests/kv_client_test
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "backoff.h"
#include "duration.h"
#include "endpoint.h"
#include "etcd_gateway.h"
#include "raft/prng.h"

namespace raft::kv_client {
namespace {

using namespace std::chrono_literals;

std::uint64_t seed() {
  const char* text = std::getenv("RAFT_SEED");
  return text == nullptr ? 1 : std::strtoull(text, nullptr, 10);
}

TEST(KvClientParsing, EndpointLists) {
  const auto list = parse_endpoints("127.0.0.1:8001,localhost:8002,[::1]:8003");
  ASSERT_TRUE(list.ok()) << list.status().message();
  ASSERT_EQ(list->size(), 3U);
  EXPECT_EQ((*list)[0], (Endpoint{"127.0.0.1", 8001}));
  EXPECT_EQ((*list)[1], (Endpoint{"localhost", 8002}));
  EXPECT_EQ((*list)[2], (Endpoint{"::1", 8003}));
  EXPECT_EQ((*list)[2].to_string(), "[::1]:8003");
  for (const char* bad :
       {"", "127.0.0.1", "127.0.0.1:", ":80", "h:0", "h:65536", "h:8x", "a:1,,b:2", "[::1]8003"}) {
    const auto parsed = parse_endpoints(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_NE(parsed.status().message().find("endpoint"), std::string::npos);
    }
  }
}

TEST(KvClientParsing, RedirectLocations) {
  const auto loc = parse_location("http://127.0.0.1:8002/v1/kv/a/b?stale=1");
  ASSERT_TRUE(loc.ok()) << loc.status().message();
  EXPECT_EQ(loc->endpoint, (Endpoint{"127.0.0.1", 8002}));
  EXPECT_EQ(loc->target, "/v1/kv/a/b?stale=1");
  const auto bare = parse_location("http://h:1");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->target, "/");
  EXPECT_FALSE(parse_location("https://h:1/x").ok());
  EXPECT_FALSE(parse_location("/v1/kv/a").ok());
  EXPECT_FALSE(parse_location("http://h/x").ok());
}

TEST(KvClientParsing, Durations) {
  EXPECT_EQ(*parse_duration("250ms"), 250ms);
  EXPECT_EQ(*parse_duration("1s"), 1s);
  EXPECT_EQ(*parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(*parse_duration("2"), 2s);
  EXPECT_EQ(*parse_duration("2m"), 120s);
  EXPECT_EQ(*parse_duration("100us"), 100us);
  for (const char* bad : {"", "s", "1h", "1.2.3s", "-1s", "ms"}) {
    EXPECT_FALSE(parse_duration(bad).ok()) << bad;
  }
}

TEST(KvClientParsing, Base64RoundTripsAndMatchesRfc4648) {
  // RFC 4648 §10 test vectors.
  EXPECT_EQ(etcd::base64_encode(""), "");
  EXPECT_EQ(etcd::base64_encode("f"), "Zg==");
  EXPECT_EQ(etcd::base64_encode("fo"), "Zm8=");
  EXPECT_EQ(etcd::base64_encode("foo"), "Zm9v");
  EXPECT_EQ(etcd::base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(etcd::base64_decode("Zm9vYg=="), "foob");
  EXPECT_FALSE(etcd::base64_decode("Zm9v!").has_value());
  Prng prng(seed());
  for (int round = 0; round < 200; ++round) {
    std::string bytes(prng.uniform(64), '\0');
    for (auto& c : bytes) c = static_cast<char>(prng.uniform(256));
    EXPECT_EQ(etcd::base64_decode(etcd::base64_encode(bytes)), bytes)
        << "seed=" << seed() << " round=" << round;
  }
}

TEST(KvClientParsing, EtcdRangeResponses) {
  std::string error;
  EXPECT_EQ(etcd::range_value(R"({"kvs":[{"key":"aw==","value":"dg=="}]})", &error), "v");
  EXPECT_FALSE(etcd::range_value(R"({"header":{}})", &error).has_value());
  EXPECT_TRUE(error.empty());
  EXPECT_FALSE(etcd::range_value("not json", &error).has_value());
  EXPECT_FALSE(error.empty());
}

TEST(KvClientBackoff, FullJitterUnderADoublingCappedBound) {
  SCOPED_TRACE(fmt::format("seed={} (replay: RAFT_SEED={})", seed(), seed()));
  Backoff backoff({10ms, 80ms}, seed());
  const std::chrono::microseconds bounds[] = {10ms, 20ms, 40ms, 80ms, 80ms, 80ms};
  for (const auto bound : bounds) {
    EXPECT_EQ(backoff.bound(), bound);
    const auto wait = backoff.next();
    EXPECT_GE(wait.count(), 0);
    EXPECT_LT(wait, bound);
  }
  backoff.reset();
  EXPECT_EQ(backoff.bound(), 10ms);
  // Same seed, same waits; another seed, other waits.
  Backoff a({10ms, 1s}, seed());
  Backoff b({10ms, 1s}, seed());
  Backoff c({10ms, 1s}, seed() + 1);
  bool differs = false;
  for (int i = 0; i < 8; ++i) {
    const auto wa = a.next();
    EXPECT_EQ(wa, b.next());
    differs = differs || wa != c.next();
  }
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace raft::kv_client
