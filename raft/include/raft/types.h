// SPDX-License-Identifier: Apache-2.0
// Strong vocabulary types of the Raft core: node ids, terms, log indexes and
// time. A swapped (term, index) pair is a compile error, not a silent bug.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <limits>

namespace raft {

/// A 64-bit value tagged with what it means. Tags keep ids, terms and indexes
/// from being mixed up; `value()` is the explicit way out.
template <class Tag>
class Tagged {
 public:
  constexpr Tagged() noexcept = default;
  constexpr explicit Tagged(std::uint64_t value) noexcept : value_(value) {}

  [[nodiscard]] constexpr std::uint64_t value() const noexcept { return value_; }
  friend constexpr auto operator<=>(Tagged, Tagged) noexcept = default;

 private:
  std::uint64_t value_ = 0;
};

/// A server's identity in the cluster. Zero means "no node" (no vote, no leader).
class NodeId : public Tagged<NodeId> {
 public:
  using Tagged::Tagged;
  /// True for a real node, false for the "nobody" value.
  [[nodiscard]] constexpr bool valid() const noexcept { return value() != 0; }
  [[nodiscard]] static constexpr NodeId none() noexcept { return NodeId{}; }
};

/// A Raft term (§5.1): a logical clock that only moves forward. Term 0 is the
/// term before any election.
class Term : public Tagged<Term> {
 public:
  using Tagged::Tagged;
  [[nodiscard]] constexpr Term next() const noexcept { return Term{value() + 1}; }
};

/// A position in the replicated log. Entries are numbered from 1; index 0 is
/// the empty prefix (term 0), which makes "the entry before the first" uniform.
class Index : public Tagged<Index> {
 public:
  using Tagged::Tagged;
  [[nodiscard]] constexpr Index next() const noexcept { return Index{value() + 1}; }
  [[nodiscard]] constexpr Index prev() const noexcept { return Index{value() - 1}; }
  friend constexpr Index operator+(Index index, std::uint64_t count) noexcept {
    return Index{index.value() + count};
  }
  friend constexpr Index operator-(Index index, std::uint64_t count) noexcept {
    return Index{index.value() - count};
  }
  /// Number of entries in [from, to). Precondition: from <= to.
  [[nodiscard]] static constexpr std::uint64_t distance(Index from, Index to) noexcept {
    return to.value() - from.value();
  }
};

/// The core's clock type. It has no `now()`: time only enters the core as an
/// argument (`Node::tick(now)`), so a simulator can drive it in virtual time.
struct Clock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::duration<rep, period>;
  using time_point = std::chrono::time_point<Clock>;
  static constexpr bool is_steady = true;
};

using Duration = Clock::duration;
using Time = Clock::time_point;

/// A time later than any the driver will pass in: "no deadline".
inline constexpr Time kTimeNever = Time::max();

}  // namespace raft
