// SPDX-License-Identifier: Apache-2.0
// SafetyChecker — the Raft safety properties (Raft paper §5.2–5.4, Figure 3), checked on a
// TestCluster after every event, plus each node's own invariants (raft/invariants.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "raft/entry.h"
#include "raft/invariants.h"
#include "raft/status.h"
#include "raft/types.h"
#include "support/test_cluster.h"

namespace raft::test {

/// Observes a TestCluster and fails the run at the first violation of:
///  - Election Safety (§5.2): at most one leader per term over the whole run, crashed
///    nodes included;
///  - Log Matching (§5.3): two logs holding an entry with the same index and term are
///    identical up to it. Checked incrementally: every entry ever written is recorded by
///    (index, term) with its payload and the term before it; a second write of the same
///    (index, term) must agree on both, which by induction makes the prefixes equal;
///  - Leader Completeness (§5.4): an entry seen committed by a node in term t is in the log
///    of every leader of a term >= t (it was committed in some term <= t);
///  - State Machine Safety (§5.4.3): no two nodes apply different entries at one index;
///  - durability: a restarted node comes back with its term, its vote in that term and its
///    committed entries (Figure 2, persistent state);
///  - per node: raft::check_invariants and raft::check_transition between two inputs of the
///    same incarnation (a restart starts a new sequence); the O(log) parts of both run on
///    every kFullCheckEvery-th input of a node, their O(1) parts and incremental equivalents
///    on every input.
/// Only nodes that handled an input since the last event are re-examined.
class SafetyChecker final : public ClusterObserver {
 public:
  /// Registers itself as `cluster`'s observer; the cluster must outlive it.
  explicit SafetyChecker(TestCluster& cluster);
  ~SafetyChecker() override;
  SafetyChecker(const SafetyChecker&) = delete;
  SafetyChecker& operator=(const SafetyChecker&) = delete;

  void on_persisted(NodeId id, const Ready& ready) override;
  void on_crash(NodeId id) override;
  void on_restart(NodeId id) override;
  Status after_event() override;

  /// Slower whole-cluster check for the end of a run: Log Matching pairwise over the live
  /// nodes' stored logs (O(nodes² · log)), and every pair of applied sequences agreeing.
  [[nodiscard]] Status check_full() const;

  /// Turns the check of what a restarted node recovered on or off (on by default); tests of
  /// the cluster-wide properties switch it off to let a storage fault play out.
  void set_check_recovery(bool enabled) noexcept { check_recovery_ = enabled; }

  /// Which node led which term, over the whole run.
  [[nodiscard]] const std::map<Term, NodeId>& leaders() const noexcept { return leaders_; }
  /// Highest index seen committed anywhere.
  [[nodiscard]] Index committed_max() const noexcept { return Index{committed_.size()}; }

 private:
  // The first copy of an entry written with a given (index, term).
  struct WrittenEntry {
    NodeId writer;
    Term prev_term;
    EntryType type;
    Payload payload;
  };
  struct CommittedEntry {
    Term term;
    // Lowest current term of a node that saw it committed: it was committed in a term <= this.
    Term bound;
    NodeId first_seen_by;
  };
  struct View {
    std::uint64_t version = 0;
    std::uint64_t incarnation = 0;
    std::optional<NodeSnapshot> snapshot;
    std::optional<NodeSnapshot> before_crash;  // the last snapshot of the previous life
    Index commit_seen;
    Term leader_term;      // the term leader_checked refers to
    Index leader_checked;  // committed entries verified present in its log as leader
    std::size_t applied_checked = 0;
    std::size_t cheap_checks = 0;  // cheap checks since the last full one
  };

  // check_invariants() and capture() read the whole log (O(log)), which would dominate long
  // runs. They run on every 16th input of a node (and the first after a start); in between,
  // the O(1) invariants are checked, the snapshot is extended with the newly committed terms
  // only, and on_persisted() checks every written entry's term order and that nothing under
  // the commit index changes.
  static constexpr std::size_t kFullCheckEvery = 16;

  Status check_node(NodeId id);
  static Status check_invariants_cheaply(const Node& node);
  /// `before` extended to the node's present state without re-reading the committed prefix.
  Status capture_incrementally(NodeId id, const NodeSnapshot& before, NodeSnapshot& now) const;
  /// What a restarted node recovered against what it had before the crash.
  Status check_recovery(NodeId id, const NodeSnapshot& before) const;
  Status record_commits(NodeId id);
  Status check_leader_completeness(NodeId id);
  Status check_applied(NodeId id);
  void fail(Status status);

  TestCluster& cluster_;
  std::vector<View> views_;  // views_[id - 1]
  std::map<Term, NodeId> leaders_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, WrittenEntry> written_;  // (index, term)
  std::vector<CommittedEntry> committed_;                 // committed_[index - 1]
  std::vector<std::pair<NodeId, AppliedEntry>> applied_;  // applied_[index - 1], first applier
  Status failure_;
  bool check_recovery_ = true;
};

}  // namespace raft::test
