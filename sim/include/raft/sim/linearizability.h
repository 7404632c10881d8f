// SPDX-License-Identifier: Apache-2.0
// Linearizability of a key-value history: the Wing–Gong–Lowe search,
// partitioned per key (P-compositionality, as Porcupine does).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "raft/sim/history.h"

namespace raft::sim {

struct LinearizabilityOptions {
  /// Upper bound on search steps per key; past it the verdict is kUnknown.
  /// A step budget rather than wall time keeps the verdict deterministic.
  std::uint64_t steps_max_per_key = 10'000'000;
};

struct LinearizabilityResult {
  enum class Verdict : std::uint8_t { kLinearizable, kNotLinearizable, kUnknown };
  Verdict verdict = Verdict::kLinearizable;
  /// For kNotLinearizable / kUnknown: the first key that failed or ran out.
  std::string key;
  /// A human-readable account: the operations on that key that cannot be
  /// ordered (for kNotLinearizable) or the budget that ran out.
  std::string explanation;
  std::uint64_t steps = 0;  ///< Search steps spent over all keys.
};

/// Checks `history` against a register-per-key model: a read returns the value
/// of the last write before it in the linearization order ("" initially).
/// kFail operations never took effect and are ignored; kUnknown operations may
/// take effect at any point after their invocation, or never.
[[nodiscard]] LinearizabilityResult check_linearizability(
    const History& history, const LinearizabilityOptions& options = {});

[[nodiscard]] const char* to_string(LinearizabilityResult::Verdict verdict) noexcept;

}  // namespace raft::sim
