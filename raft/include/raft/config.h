// SPDX-License-Identifier: Apache-2.0
// The static configuration of one Raft node. Every limit is a field with a
// default; validate() names the field that is wrong.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "raft/status.h"
#include "raft/types.h"

namespace raft {

struct Config {
  /// This node's id. Must be one of `voters`.
  NodeId id;
  /// The cluster's voting members, this node included. Membership changes
  /// (joint consensus) come with a later issue; until then this is fixed.
  std::vector<NodeId> voters;

  /// How often a leader sends heartbeats (Raft §5.2). Must be below
  /// election_timeout_min, and in practice a fraction of it.
  Duration heartbeat_interval = std::chrono::milliseconds{100};
  /// Election timeouts are drawn uniformly from [min, max) (Raft §5.2, §9.3).
  Duration election_timeout_min = std::chrono::milliseconds{1000};
  Duration election_timeout_max = std::chrono::milliseconds{2000};

  /// Pre-vote (thesis §9.6): a candidate first asks whether it could win, so a
  /// partitioned node does not disrupt the cluster by inflating its term.
  bool pre_vote = true;
  /// Check-quorum (thesis §6.2): a leader that has not heard from a majority
  /// within election_timeout_min steps down.
  bool check_quorum = true;
  /// Fast failover: when the transport reports the leader's connection down
  /// (Node::peer_down), campaign after a short random delay instead of waiting
  /// for the election timeout. Safety never depends on it.
  bool fast_failover = true;
  /// The random delay before such a campaign is drawn from [0, this); it keeps
  /// the followers that all lost the leader at once from splitting the vote.
  Duration fast_failover_delay_max = std::chrono::milliseconds{50};

  /// Seeds the node's own generator (election timeout jitter). Mixed with `id`,
  /// so one seed for a whole cluster still gives each node its own sequence.
  std::uint64_t random_seed = 0;

  /// Appends a leader may have in flight to one follower before waiting for
  /// acknowledgements (flow control, as in etcd/raft's Inflights).
  std::size_t inflight_messages_max = 256;
  /// Upper bound on the entry bytes in one AppendRequest (one entry is always
  /// sent even when larger, or replication could never progress).
  std::size_t message_bytes_max = std::size_t{1} << 20;
  /// Upper bound on the entry bytes handed to the application per Ready.
  std::size_t committed_bytes_per_ready_max = std::size_t{64} << 20;
  /// A leader refuses proposals (kProposalDropped) once its uncommitted entries
  /// exceed this many bytes, so a stalled quorum cannot exhaust memory.
  std::size_t uncommitted_bytes_max = std::size_t{256} << 20;

  /// Log compaction (thesis §5.1): when the application hands in a snapshot at
  /// index i (Node::snapshot_taken), entries up to i - this many are discarded.
  /// Keeping a trailing window lets a follower slightly behind catch up from
  /// the log instead of needing the whole snapshot (etcd's
  /// SnapshotCatchUpEntries). 0 discards everything the snapshot covers.
  std::uint64_t snapshot_trailing_entries = 1024;
  /// Snapshot data per InstallSnapshot message (thesis §5.1: sent in chunks).
  /// Pick it so that one chunk crosses a link well within a heartbeat
  /// interval: a chunk unacknowledged for a heartbeat interval is sent again.
  std::size_t snapshot_chunk_bytes = std::size_t{1} << 20;
  /// Snapshot chunks a leader may have in flight to one follower. The memory a
  /// transfer costs (in messages in flight) is bounded by this many chunks.
  std::size_t snapshot_chunks_inflight_max = 4;

  /// Ok, or kInvalidConfig with a message naming the offending field.
  [[nodiscard]] Status validate() const;
};

}  // namespace raft
