// SPDX-License-Identifier: Apache-2.0
// Executable invariants of one node, callable after every input (LogCabin's
// checkBasic / checkDelta). Tests and the simulator call them on every step.
#pragma once

#include <vector>

#include "raft/node.h"
#include "raft/status.h"

namespace raft {

/// Properties of a single node's state that hold at all times:
/// commit <= last index, applied <= commit, the leader of its own term is
/// itself, terms in the log never decrease and never exceed the current term,
/// a leader has voted for itself. Returns the first violation.
[[nodiscard]] Status check_invariants(const Node& node);

/// What check_transition() compares between two moments of one node.
struct NodeSnapshot {
  NodeId id;
  Term term;
  NodeId voted_for;
  Index commit;
  /// Terms of the entries [1, commit], to prove the committed prefix never changes.
  std::vector<Term> committed_terms;
};

/// Records what check_transition() needs. Costs O(commit index).
[[nodiscard]] NodeSnapshot capture(const Node& node);

/// Properties of a step from `before` to `after` (the same node, with no
/// restart between): the term never decreases; within a term the vote is set
/// at most once and never changes; the commit index never decreases; the log
/// up to the old commit index never changes.
[[nodiscard]] Status check_transition(const NodeSnapshot& before, const NodeSnapshot& after);

}  // namespace raft
