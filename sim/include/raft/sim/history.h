// SPDX-License-Identifier: Apache-2.0
// Client histories: what each client asked, when, and what it was told. The
// input of the linearizability checker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "raft/types.h"

namespace raft::sim {

enum class OpKind : std::uint8_t {
  kRead,   ///< Returns the key's value ("" when never written).
  kWrite,  ///< Sets the key's value.
};

/// How an operation ended, from the client's point of view.
enum class OpOutcome : std::uint8_t {
  kOk,       ///< Acknowledged: it took effect exactly once, between invoke and complete.
  kFail,     ///< Definitely did not take effect (e.g. refused by a non-leader).
  kUnknown,  ///< May or may not have taken effect, at any time after invoke (a timeout).
};

/// One operation of one client. A retried request is a new operation, except
/// a write through a client session (ClientSpec::sessions): the state machine
/// applies it at most once, so it and its retries are one operation, invoked
/// at the first attempt and completed at the last.
struct Operation {
  std::uint64_t id = 0;
  std::uint32_t client = 0;
  OpKind kind = OpKind::kRead;
  std::string key;
  /// Write: the value written. Read with kOk: the value returned.
  std::string value;
  Time invoke;
  /// When the client learned the outcome (for kUnknown: when it gave up).
  Time complete;
  OpOutcome outcome = OpOutcome::kUnknown;
};

using History = std::vector<Operation>;

}  // namespace raft::sim
