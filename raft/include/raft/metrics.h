// SPDX-License-Identifier: Apache-2.0
// Counters a node keeps about itself, for a runtime to export (Prometheus,
// status pages) and the simulator to report. Cumulative since the node started.
#pragma once

#include <cstdint>

namespace raft {

struct NodeMetrics {
  std::uint64_t pre_votes_started = 0;  ///< Pre-vote rounds begun (thesis §9.6).
  std::uint64_t pre_votes_won = 0;
  std::uint64_t elections_started = 0;  ///< Real campaigns: the term was incremented.
  std::uint64_t elections_won = 0;
  std::uint64_t elections_lost = 0;           ///< A majority refused (a split vote just times out).
  std::uint64_t leader_changes = 0;           ///< Times this node learned of a new leader.
  std::uint64_t check_quorum_step_downs = 0;  ///< Leaderships ended by check-quorum (§6.2).
  std::uint64_t votes_granted = 0;            ///< Real votes given to candidates.
  std::uint64_t votes_denied = 0;
  std::uint64_t transfers_started = 0;  ///< Leadership transfers (thesis §3.10).
  std::uint64_t transfers_completed = 0;
  std::uint64_t transfers_aborted = 0;
  /// Transfers this node started as leader because a follower of higher
  /// priority had caught up (Config::priority); also counted in transfers_started.
  std::uint64_t priority_handovers = 0;
  std::uint64_t proposals_accepted = 0;
  std::uint64_t proposals_refused = 0;  ///< Not leader, transferring, or over the limit.
  std::uint64_t messages_sent = 0;
  std::uint64_t entries_committed = 0;   ///< How far the commit index advanced here.
  std::uint64_t membership_changes = 0;  ///< Memberships that took effect here (thesis §4).
  /// Reads this node confirmed as leader with a heartbeat round (thesis §6.4),
  /// its own and those followers forwarded.
  std::uint64_t reads_read_index = 0;
  /// Reads this node confirmed as leader under its lease, without a round (§6.4.1).
  std::uint64_t reads_lease = 0;
  /// Reads this node, as a follower, forwarded to its leader.
  std::uint64_t reads_forwarded = 0;
  /// Reads this node reported failed in its Ready (not leader, leader changed).
  std::uint64_t reads_failed = 0;
  /// Heartbeat rounds a leader sent early because reads were waiting.
  std::uint64_t read_heartbeat_rounds = 0;
  // Snapshots and log compaction (thesis §5).
  std::uint64_t snapshots_taken = 0;             ///< Snapshots the application handed in.
  std::uint64_t entries_compacted = 0;           ///< Log entries discarded behind snapshots.
  std::uint64_t snapshot_transfers_started = 0;  ///< Leader: transfers begun (or restarted).
  std::uint64_t snapshots_sent = 0;              ///< Leader: transfers the follower confirmed.
  std::uint64_t snapshot_chunks_sent = 0;        ///< Leader: InstallSnapshot messages, resends too.
  std::uint64_t snapshot_bytes_sent = 0;         ///< Leader: snapshot data in those messages.
  std::uint64_t snapshot_chunks_resent = 0;      ///< Leader: chunks sent again (loss, timeout).
  std::uint64_t snapshot_chunks_received = 0;    ///< Follower: chunks written to storage.
  std::uint64_t snapshots_installed = 0;         ///< Follower: snapshots installed from a leader.

  friend bool operator==(const NodeMetrics&, const NodeMetrics&) = default;
};

}  // namespace raft
