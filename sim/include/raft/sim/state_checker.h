// SPDX-License-Identifier: Apache-2.0
// Cluster-wide safety properties (Raft Figure 3), checked incrementally on
// every event so a violation stops the run at the step that caused it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "raft/entry.h"
#include "raft/events.h"
#include "raft/log_reader.h"
#include "raft/node.h"
#include "raft/types.h"

namespace raft::sim {

/// A broken safety property.
struct Violation {
  std::string property;  ///< E.g. "Election Safety".
  std::string detail;
  Time time;
  NodeId node;
};

/// Checks, as events arrive:
///  - Election Safety: at most one leader per term (§5.2).
///  - Log Matching: entries with the same index and term have the same payload
///    and the same predecessor term, so (by induction) identical prefixes (§5.3).
///  - Leader Completeness: the leader of term T holds every entry committed in
///    a term before T (§5.4.1; a slow candidate may still win an old term).
///  - State Machine Safety: no two nodes commit or apply different entries at
///    one index (§5.4.3).
///  - Per node: term and commit never decrease; at most one vote per term,
///    across restarts (the vote is persisted).
///  - No acknowledged write lost: an acknowledged write is committed at the
///    index and term it was acknowledged with.
///  - Exactly once (thesis §6.3): no replica executes a write that went
///    through a client session twice (once per incarnation: a restarted node
///    rebuilds its state by applying the log again). Writes without a session
///    that execute twice are counted (duplicate_writes()), not a violation:
///    that is what a retrying client without sessions gets.
class StateChecker {
 public:
  /// Entries a node persists (Ready::entries); `first_prev_term` is the term
  /// of the entry just before the first of them in that node's log.
  /// Membership Agreement (thesis §4): a node that committed past a
  /// membership uses it. Call once a Ready's events are all seen (a commit
  /// and the membership it brings in come in the same Ready).
  void check_membership(Time now, const Node& node);
  void on_persist(Time now, NodeId node, Term first_prev_term, const std::vector<Entry>& entries);
  /// A node's event; `node_state` is the node after it.
  void on_event(Time now, const Node& node_state, const Event& event);
  /// A node applied `entry`.
  void on_apply(Time now, NodeId node, const Entry& entry);
  /// A client was told its write at (index, term) succeeded.
  void on_acknowledged(Time now, NodeId node, Index index, Term term, std::uint64_t op);
  /// A node's state machine executed the write `request` of `client` (not a
  /// duplicate the session table answered from its saved reply).
  void on_write_executed(Time now, NodeId node, std::uint32_t client, std::uint64_t request,
                         bool through_session);
  /// A node's hard state reached its disk (the fsync completed).
  void on_durable(Time now, NodeId node, const HardState& state);
  /// A node's state machine holds `state_hash` at `index`: it took a snapshot
  /// there, installed one, or restarted from one. State Machine Safety
  /// (§5.4.3) across snapshots: every node's state at one index is the same,
  /// so a follower that installs a snapshot ends where applying the entries
  /// would have taken it.
  void on_state(Time now, NodeId node, Index index, std::uint64_t state_hash, const char* how);
  /// A node restarted from `durable` (what its disk kept): what it did but
  /// never persisted before the crash is forgotten, as the node forgot it.
  void on_restart(NodeId node, const HardState& durable);

  [[nodiscard]] bool ok() const noexcept { return violations_.empty(); }
  /// Logical writes (client, request) that some replica executed more than once.
  [[nodiscard]] std::uint64_t duplicate_writes() const noexcept { return duplicated_.size(); }
  [[nodiscard]] const std::vector<Violation>& violations() const noexcept { return violations_; }

 private:
  struct PerNode {
    Term term;
    Index commit;
    std::map<Term, NodeId> votes;          // Granted in this incarnation.
    std::map<Term, NodeId> durable_votes;  // Ever persisted, across restarts.
    std::set<std::pair<std::uint32_t, std::uint64_t>> executed_writes;  // This incarnation.
  };
  struct EntryFacts {
    Term prev_term;
    std::uint64_t payload_hash = 0;
    EntryType type = EntryType::kNormal;
  };
  void fail(Time now, NodeId node, std::string property, std::string detail);
  void check_commit(Time now, const Node& node, Term term, Index from, Index to);
  void check_leader_completeness(Time now, const Node& node);
  PerNode& per_node(NodeId node);

  std::map<Term, NodeId> leaders_;
  // The membership that took effect at each index, as the first node to adopt it saw it.
  std::map<Index, Membership> memberships_;
  std::vector<Term> committed_terms_;  // committed_terms_[i - 1]: term of committed entry i.
  // committed_in_[i - 1]: the term in which entry i was first committed (the
  // term of the node that first reported it committed).
  std::vector<Term> committed_in_;
  struct EntryKey {
    std::uint64_t index;
    std::uint64_t term;
    friend bool operator==(const EntryKey&, const EntryKey&) = default;
  };
  struct EntryKeyHash {
    std::size_t operator()(const EntryKey& key) const noexcept {
      return static_cast<std::size_t>((key.index * 0x9e3779b97f4a7c15ULL) ^ key.term);
    }
  };
  // Never iterated, so its order cannot leak into a trace.
  std::unordered_map<EntryKey, EntryFacts, EntryKeyHash> entries_;
  std::vector<PerNode> nodes_;             // By node id - 1.
  std::map<Index, std::uint64_t> states_;  // State hash at an index, from the first to report it.
  std::vector<Violation> violations_;
  std::set<std::pair<std::uint32_t, std::uint64_t>> duplicated_;
};

}  // namespace raft::sim
