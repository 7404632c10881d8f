// SPDX-License-Identifier: Apache-2.0
// Exact latency percentiles for raft-kv-bench: every latency is kept (a closed-loop run of
// 10 s at 100k ops/s is 8 MB of samples), sorted once, read by nearest rank.
#pragma once

#include <cstdint>
#include <vector>

namespace raft::kv_client::bench {

/// Latencies of one load level, in nanoseconds.
class LatencyStats {
 public:
  /// Takes the samples (any order) and sorts them.
  explicit LatencyStats(std::vector<std::uint64_t> samples);

  /// Number of samples.
  [[nodiscard]] std::size_t count() const noexcept { return sorted_.size(); }

  /// The nearest-rank percentile (0 < p <= 100): the smallest sample with at least p % of the
  /// samples at or below it. 0 when there are no samples.
  [[nodiscard]] std::uint64_t percentile(double p) const noexcept;

  /// Arithmetic mean (0 when empty).
  [[nodiscard]] double mean() const noexcept;

  /// Largest sample (0 when empty).
  [[nodiscard]] std::uint64_t max() const noexcept { return sorted_.empty() ? 0 : sorted_.back(); }

 private:
  std::vector<std::uint64_t> sorted_;
};

}  // namespace raft::kv_client::bench
