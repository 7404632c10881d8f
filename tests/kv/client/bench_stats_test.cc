// SPDX-License-Identifier: Apache-2.0
// raft-kv-bench's percentiles are exact nearest-rank values over all samples.
#include "bench_stats.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace raft::kv_client::bench {
namespace {

TEST(KvBenchStats, NearestRankPercentiles) {
  std::vector<std::uint64_t> samples;
  for (std::uint64_t i = 1000; i >= 1; --i) samples.push_back(i);  // any order
  const LatencyStats stats(std::move(samples));
  EXPECT_EQ(stats.count(), 1000U);
  EXPECT_EQ(stats.percentile(50), 500U);
  EXPECT_EQ(stats.percentile(99), 990U);
  EXPECT_EQ(stats.percentile(99.9), 999U);
  EXPECT_EQ(stats.percentile(100), 1000U);
  EXPECT_EQ(stats.percentile(0), 1U);
  EXPECT_EQ(stats.max(), 1000U);
  EXPECT_DOUBLE_EQ(stats.mean(), 500.5);
}

TEST(KvBenchStats, SmallAndEmpty) {
  const LatencyStats one({42});
  EXPECT_EQ(one.percentile(50), 42U);
  EXPECT_EQ(one.percentile(99.9), 42U);
  const LatencyStats none({});
  EXPECT_EQ(none.percentile(50), 0U);
  EXPECT_EQ(none.max(), 0U);
  EXPECT_EQ(none.mean(), 0.0);
  // With 3 samples p50 is the 2nd (rank ceil(1.5) = 2), p99 the 3rd.
  const LatencyStats three({30, 10, 20});
  EXPECT_EQ(three.percentile(50), 20U);
  EXPECT_EQ(three.percentile(99), 30U);
}

}  // namespace
}  // namespace raft::kv_client::bench
