// SPDX-License-Identifier: Apache-2.0
// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter",
// 2015): the n-th wait is uniform in [0, min(cap, base * 2^n)). Full jitter spreads clients that
// failed together (a leader crash fails them all at once) so they do not retry in lockstep.
#pragma once

#include <chrono>
#include <cstdint>

#include "raft/prng.h"

namespace raft::kv_client {

/// Backoff parameters.
struct BackoffPolicy {
  std::chrono::microseconds base{10'000};  ///< Upper bound of the first wait.
  std::chrono::microseconds cap{500'000};  ///< The bound never grows past this.
};

/// Draws the waits of one request's retries from a seeded generator, so a test (or a replayed
/// run) sees the same waits for the same seed; std::random_device is never used.
class Backoff {
 public:
  /// A generator seeded with `seed`; reset() restarts the exponent, not the generator.
  Backoff(BackoffPolicy policy, std::uint64_t seed) noexcept : policy_(policy), prng_(seed) {}

  /// The wait before the next retry; each call doubles the bound up to the cap.
  [[nodiscard]] std::chrono::microseconds next() noexcept;

  /// The bound the next call draws under (for tests and logs).
  [[nodiscard]] std::chrono::microseconds bound() const noexcept;

  /// Starts again from `base` (a request succeeded or a new request begins).
  void reset() noexcept { exponent_ = 0; }

 private:
  BackoffPolicy policy_;
  Prng prng_;
  unsigned exponent_ = 0;
};

}  // namespace raft::kv_client
