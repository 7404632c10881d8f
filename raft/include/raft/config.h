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

/// How a leader confirms a linearizable read (thesis §6.4).
enum class ReadMode : std::uint8_t {
  /// ReadIndex (thesis §6.4): one heartbeat round acknowledged by a majority
  /// confirms leadership; concurrent reads share the round. Needs no clocks.
  kReadIndex,
  /// Leader lease (thesis §6.4.1): while a majority acknowledged a heartbeat
  /// round sent less than election_timeout_min - clock_drift_max ago, no other
  /// leader can exist, so the leader serves reads without a round. Relies on
  /// bounded clock drift; falls back to ReadIndex rounds when the lease lapsed.
  kLease,
};

struct Config {
  /// This node's id.
  NodeId id;
  /// The configuration a new cluster starts with (its bootstrap membership):
  /// the voting members, and `learners` that receive the log without voting.
  /// `id` must be one of them. Once the log or a snapshot holds a membership
  /// (Node::propose_membership_change), that one is used instead.
  ///
  /// A node joining an existing cluster leaves both empty: it learns the
  /// membership from the leader's log and never campaigns before it does.
  std::vector<NodeId> voters;
  std::vector<NodeId> learners;

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

  /// How reads are confirmed (Node::read_index). kLease needs check_quorum and
  /// refuses fast_failover:
  ///  - the lease rests on vote suppression (thesis §4.2.3, §6.4.1): a voter
  ///    that heard the leader within election_timeout_min votes for nobody, and
  ///    check_quorum (§6.2) is what makes a leader give up when it lost that
  ///    majority, so its lease never outlives its contact with them;
  ///  - fast failover (Node::peer_down) makes a follower that saw its leader's
  ///    connection reset forget the leader and campaign at once, and its peers
  ///    then vote within election_timeout_min of the last heartbeat: a
  ///    connection reset is no proof the old leader stopped serving (a
  ///    one-way cut, a half-open socket), so a new leader could commit writes
  ///    while the old one still serves lease reads — a stale read.
  /// Leadership transfer also sets the lease aside (VoteRequest::
  /// leadership_transfer, §3.10), so a leader gives up its lease when a transfer
  /// starts and falls back to ReadIndex rounds.
  ReadMode read_mode = ReadMode::kReadIndex;
  /// Lease reads only: how much the clocks of two nodes may drift apart over
  /// one election_timeout_min. The lease ends at (send time of the round a
  /// majority acknowledged) + election_timeout_min - clock_drift_max, measured
  /// on the leader's clock (thesis §6.4.1: "the lease ... accounting for clock
  /// drift"). With clock rates within 1 ± r, a safe bound is about
  /// 2r * election_timeout_min. Must be below election_timeout_min.
  Duration clock_drift_max = std::chrono::milliseconds{100};

  /// Election priority (as NuRaft and raft-rs offer). Between candidates whose
  /// logs are equally up to date, voters prefer the higher priority: a voter
  /// refuses a (pre-)vote to a candidate with exactly its own last log term and
  /// index and a lower priority (VoteDenial::kLowerPriority). A strictly more
  /// up-to-date candidate is always granted (Raft §5.4.1 decides first), and a
  /// transfer campaign (TimeoutNow, thesis §3.10) is never refused for it. A
  /// leader that sees a follower of higher priority holding every committed
  /// entry hands leadership over to it (thesis §3.10), backing off after each
  /// attempt so that a target that cannot win does not make it flap.
  ///
  /// 0: never campaigns, never accepts TimeoutNow, never leads, but votes and
  /// replicates like any voter (a witness-like standby). Like a witness it
  /// lowers fault tolerance: after a failure the cluster elects a leader only if
  /// a reachable voter of priority > 0 holds every committed entry.
  /// Priorities are not part of the membership: each node reports its own in
  /// its VoteRequests and its replies to the leader.
  std::uint32_t priority = 1;

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
