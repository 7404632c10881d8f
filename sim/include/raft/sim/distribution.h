// SPDX-License-Identifier: Apache-2.0
// Random durations for latencies and fsyncs: our own distributions over the
// fixed raft::Prng, so a trace replays byte for byte on any standard library.
#pragma once

#include <string>

#include "raft/prng.h"
#include "raft/types.h"

namespace raft::sim {

/// A distribution of non-negative durations.
struct Distribution {
  enum class Kind : std::uint8_t {
    kFixed,        ///< Always `a`.
    kUniform,      ///< Uniform in [a, b).
    kExponential,  ///< Exponential with mean `a`.
    kNormal,       ///< Normal with mean `a` and standard deviation `b`, clamped at 0.
    kLogNormal,    ///< Log-normal with median `a` and shape sigma `shape`.
  };
  Kind kind = Kind::kFixed;
  Duration a{};
  Duration b{};
  double shape = 0.0;

  [[nodiscard]] static Distribution fixed(Duration value) { return {Kind::kFixed, value, {}, 0}; }
  [[nodiscard]] static Distribution uniform(Duration min, Duration max) {
    return {Kind::kUniform, min, max, 0};
  }
  [[nodiscard]] static Distribution exponential(Duration mean) {
    return {Kind::kExponential, mean, {}, 0};
  }
  [[nodiscard]] static Distribution normal(Duration mean, Duration stddev) {
    return {Kind::kNormal, mean, stddev, 0};
  }
  [[nodiscard]] static Distribution log_normal(Duration median, double sigma) {
    return {Kind::kLogNormal, median, {}, sigma};
  }

  /// Draws one value. Deterministic for a given generator state.
  [[nodiscard]] Duration sample(Prng& prng) const;
  /// The distribution's mean (for reports).
  [[nodiscard]] Duration mean() const;
  /// E.g. "uniform(1ms, 5ms)".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const Distribution&, const Distribution&) = default;
};

/// A standard normal variate (Box–Muller on the generator; no std::normal_distribution).
[[nodiscard]] double standard_normal(Prng& prng);

}  // namespace raft::sim
