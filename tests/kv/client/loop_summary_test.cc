// SPDX-License-Identifier: Apache-2.0
// The loop's failover maths (loop_summary.h) on hand-written outcome lists: the seed's
// 1-request-per-second loop through a leader crash, a client that hides the outage behind
// retries, several outages, and an outage that never ends.
#include "loop_summary.h"

#include <chrono>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace raft::kv_client {
namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

LoopSample ok(nanoseconds start, nanoseconds latency, int attempts = 1) {
  LoopSample s;
  s.start = start;
  s.latency = latency;
  s.ok = true;
  s.attempts = attempts;
  return s;
}

LoopSample failed(nanoseconds start, nanoseconds latency) {
  LoopSample s;
  s.start = start;
  s.latency = latency;
  s.ok = false;
  s.attempts = 3;
  s.error = ErrorKind::kDeadlineExceeded;
  s.last_error = ErrorKind::kConnectRefused;
  return s;
}

TEST(KvLoopSummary, SeedTimelineOneRequestPerSecond) {
  // 0..2 s fine; the leader dies; requests at 3, 4 (2 s timeouts, so 4 is sent at 5) fail; the
  // request sent at 7 s succeeds after 10 ms.
  const std::vector<LoopSample> samples{ok(0s, 1ms),    ok(1s, 1ms),  ok(2s, 1ms), failed(3s, 2s),
                                        failed(5s, 2s), ok(7s, 10ms), ok(8s, 1ms)};
  const auto s = summarize(samples);
  EXPECT_EQ(s.requests, 7U);
  EXPECT_EQ(s.failed, 2U);
  EXPECT_EQ(s.outages, 1U);
  EXPECT_EQ(s.outage_start, nanoseconds{3s});
  EXPECT_EQ(s.detection, nanoseconds{2s});
  EXPECT_EQ(s.rto, nanoseconds{7s + 10ms - 3s});
  EXPECT_EQ(s.disruption_start, nanoseconds{3s});
  EXPECT_EQ(s.disruption, s.rto);
  EXPECT_EQ(s.max_latency, nanoseconds{2s});
  EXPECT_EQ(s.failures, (std::vector<std::size_t>{3, 4}));
  EXPECT_TRUE(recovered(s));
}

TEST(KvLoopSummary, OutageHiddenByRetriesIsADisruptionNotAFailure) {
  const std::vector<LoopSample> samples{ok(0ms, 1ms), ok(100ms, 180ms, 4), ok(300ms, 1ms)};
  const auto s = summarize(samples);
  EXPECT_EQ(s.failed, 0U);
  EXPECT_EQ(s.retried, 1U);
  EXPECT_FALSE(s.outage_start.has_value());
  EXPECT_FALSE(s.rto.has_value());
  EXPECT_EQ(s.disruption_start, nanoseconds{100ms});
  EXPECT_EQ(s.disruption, nanoseconds{180ms});  // it ended when that request succeeded
  EXPECT_TRUE(recovered(s));
}

TEST(KvLoopSummary, CountsSeparateOutagesAndMeasuresTheFirst) {
  const std::vector<LoopSample> samples{failed(0s, 1s), ok(1s, 5ms), failed(2s, 1s), failed(3s, 1s),
                                        ok(4s, 5ms)};
  const auto s = summarize(samples);
  EXPECT_EQ(s.outages, 2U);
  EXPECT_EQ(s.failed, 3U);
  EXPECT_EQ(s.rto, nanoseconds{1s + 5ms});
}

TEST(KvLoopSummary, NoRecoveryLeavesRtoUnset) {
  const std::vector<LoopSample> samples{ok(0s, 1ms), failed(1s, 2s), failed(3s, 2s)};
  const auto s = summarize(samples);
  EXPECT_EQ(s.outage_start, nanoseconds{1s});
  EXPECT_FALSE(s.rto.has_value());
  EXPECT_FALSE(recovered(s));
  const auto json = nlohmann::json::parse(to_json(s, samples));
  EXPECT_TRUE(json["rto_ms"].is_null());
  EXPECT_EQ(json["failed"], 2);
  EXPECT_DOUBLE_EQ(json["outage_start_ms"].get<double>(), 1000.0);
  ASSERT_EQ(json["failures"].size(), 2U);
  EXPECT_EQ(json["failures"][0]["error"], "deadline_exceeded");
  EXPECT_EQ(json["failures"][0]["last_error"], "connect_refused");
}

TEST(KvLoopSummary, EmptyLoop) {
  const auto s = summarize({});
  EXPECT_EQ(s.requests, 0U);
  EXPECT_FALSE(s.outage_start.has_value());
  EXPECT_FALSE(recovered(s));
}

}  // namespace
}  // namespace raft::kv_client
