// SPDX-License-Identifier: Apache-2.0
#include "bench_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace raft::kv_client::bench {

LatencyStats::LatencyStats(std::vector<std::uint64_t> samples) : sorted_(std::move(samples)) {
  std::sort(sorted_.begin(), sorted_.end());
}

std::uint64_t LatencyStats::percentile(double p) const noexcept {
  if (sorted_.empty()) return 0;
  const auto n = static_cast<double>(sorted_.size());
  // Nearest rank: ceil(p/100 · n), 1-based; clamped so p=0 reads the minimum. 99.9 is not
  // exact in binary, so 99.9 % of 1000 computes as 999.0000000000001: shave the rounding noise.
  const double exact = p * n / 100.0;
  auto rank = static_cast<std::size_t>(std::ceil(exact - 1e-9 * std::max(1.0, exact)));
  rank = std::clamp<std::size_t>(rank, 1, sorted_.size());
  return sorted_[rank - 1];
}

double LatencyStats::mean() const noexcept {
  if (sorted_.empty()) return 0;
  const long double sum = std::accumulate(sorted_.begin(), sorted_.end(), 0.0L);
  return static_cast<double>(sum / static_cast<long double>(sorted_.size()));
}

}  // namespace raft::kv_client::bench
