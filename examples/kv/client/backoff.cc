// SPDX-License-Identifier: Apache-2.0
#include "backoff.h"

#include <algorithm>

namespace raft::kv_client {

std::chrono::microseconds Backoff::bound() const noexcept {
  const auto base = std::max<std::int64_t>(policy_.base.count(), 1);
  const auto cap = std::max<std::int64_t>(policy_.cap.count(), base);
  // Shifting past 2^40 µs (12 days) is pointless and would overflow; the cap wins long before.
  const unsigned shift = std::min(exponent_, 40U);
  const std::int64_t grown = base << shift;
  return std::chrono::microseconds{std::min(grown, cap)};
}

std::chrono::microseconds Backoff::next() noexcept {
  const auto limit = bound();
  ++exponent_;
  return std::chrono::microseconds{
      static_cast<std::int64_t>(prng_.uniform(static_cast<std::uint64_t>(limit.count())))};
}

}  // namespace raft::kv_client
