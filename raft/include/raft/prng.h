// SPDX-License-Identifier: Apache-2.0
// A small, fixed pseudo-random generator (xoshiro256**, seeded by splitmix64)
// with our own distributions. std::*_distribution output differs between
// standard libraries, which would break replaying a run from its seed.
#pragma once

#include <array>
#include <cstdint>

#include "raft/assert.h"

namespace raft {

/// splitmix64: used to expand one 64-bit seed into a full generator state.
[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

/// xoshiro256** 1.0 (Blackman and Vigna). Deterministic across platforms.
class Prng {
 public:
  constexpr explicit Prng(std::uint64_t seed) noexcept {
    for (auto& word : state_) word = splitmix64(seed);
  }

  /// The next 64 uniformly distributed bits.
  constexpr std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17U;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Uniform in [0, bound), without modulo bias (Lemire's method).
  /// Precondition: bound > 0.
  constexpr std::uint64_t uniform(std::uint64_t bound) noexcept {
    __extension__ using Wide = unsigned __int128;
    RAFT_ASSERT(bound > 0);
    // Rejection keeps every value equally likely; it loops rarely (< bound / 2^64).
    const std::uint64_t threshold = (0 - bound) % bound;
    while (true) {
      const auto product = static_cast<Wide>(next()) * bound;
      if (static_cast<std::uint64_t>(product) >= threshold) {
        return static_cast<std::uint64_t>(product >> 64U);
      }
    }
  }

  /// Uniform in [0, 1) with 53 bits of precision.
  constexpr double uniform_real() noexcept {
    return static_cast<double>(next() >> 11U) * 0x1.0p-53;
  }

  /// True with the given probability (clamped to [0, 1]).
  constexpr bool chance(double probability) noexcept { return uniform_real() < probability; }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }
  std::array<std::uint64_t, 4> state_{};
};

}  // namespace raft
