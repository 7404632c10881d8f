// SPDX-License-Identifier: Apache-2.0
// raft::Node — the pure Raft core. A deterministic state machine: the same
// inputs (config and seed, messages, times, proposals) give the same outputs.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "raft/config.h"
#include "raft/entry.h"
#include "raft/events.h"
#include "raft/log_reader.h"
#include "raft/membership.h"
#include "raft/message.h"
#include "raft/metrics.h"
#include "raft/ready.h"
#include "raft/snapshot.h"
#include "raft/status.h"
#include "raft/types.h"

namespace raft {

namespace detail {
class NodeImpl;
}

/// What a leader knows of one follower's log (for status pages and tests).
struct PeerProgress {
  NodeId id;
  Index match;               ///< Highest index known to be replicated on the peer.
  Index next;                ///< Next index to send.
  bool replicating = false;  ///< Pipelining appends (else probing, one at a time).
  bool recently_active = false;
  /// Committed entries the peer is not known to hold: the leader's commit
  /// index minus match (0 when caught up).
  std::uint64_t commit_lag = 0;
  bool sending_snapshot = false;  ///< Gets the snapshot (thesis §5.1), not appends.
};

/// One Raft server's protocol state. Not thread-safe and does no I/O: it reads
/// persisted state through a LogReader, takes inputs through the calls below
/// and returns its work as a Ready (see ready.h for the handling contract).
///
/// Driving it:
///   - call tick(now) whenever time has moved: at next_deadline() at the
///     latest, and before step() so that a message is seen at the right time;
///   - call step() for every message received, peer_down() when the transport
///     loses a peer's connection, propose() for commands;
///   - after any of these, while has_ready(): take ready(), handle it, advance().
class Node {
 public:
  /// Creates a node from its configuration and what storage holds (hard state
  /// and log). `log` must outlive the node. Fails with kInvalidConfig when
  /// Config::validate() does, and with storage errors.
  [[nodiscard]] static Result<Node> create(const Config& config, const LogReader& log,
                                           Time now = Time{});

  Node(Node&&) noexcept;
  Node& operator=(Node&&) noexcept;
  ~Node();

  // ---- Inputs ----

  /// Moves the node's clock to `now` (never backwards) and fires whatever is
  /// due: an election timeout, a heartbeat, a check-quorum round.
  void tick(Time now);
  /// The time by which tick() must be called again; kTimeNever if nothing is due.
  [[nodiscard]] Time next_deadline() const noexcept;

  /// Handles a message addressed to this node. Messages may arrive late, twice,
  /// reordered or never; stale ones are ignored. Errors: kUnknownPeer when the
  /// sender is not a member, kInvalidArgument when it is addressed elsewhere.
  Status step(Message message);

  /// Appends a command to the log. Only the leader accepts: elsewhere the result
  /// is kNotLeader with the leader hint. Returns the entry's index; it is
  /// committed once it appears in Ready::committed.
  [[nodiscard]] Result<Index> propose(Payload payload);

  /// Starts an election now (pre-vote first, if enabled), as if the election
  /// timeout had fired. Refused on a leader.
  Status campaign();

  /// Hands leadership to `target` (thesis §3.10): the leader stops accepting
  /// proposals, brings the target's log up to date, then sends it TimeoutNow
  /// so it campaigns at once (voters set their lease aside for it). With no
  /// target, picks the voter whose log is most caught up. Events report
  /// started, then completed (this node stepped down for the target's term) or
  /// aborted (not done within election_timeout_min). Errors: kNotLeader,
  /// kUnknownPeer, kInvalidArgument (a transfer is already in progress, or no
  /// other voter exists).
  Status transfer_leadership(NodeId target = NodeId::none());
  /// The node leadership is being handed to, or none.
  [[nodiscard]] NodeId transfer_target() const noexcept;

  /// Proposes a membership change (thesis §4) and returns its entry's index.
  /// One voter change goes straight to the new membership (§4.1); more go
  /// through a joint configuration (§4.3) that the leader leaves by itself
  /// unless `transition` says otherwise (then an empty `changes` list leaves
  /// it). Learners (kAddLearner) receive the log but never vote; promote one
  /// with kAddVoter once progress() shows it caught up. A membership takes
  /// effect when its entry commits (a MembershipChanged event); a leader
  /// that removed itself then hands over and steps down (§4.2.2).
  /// Errors: kNotLeader; kConfigChangeInProgress while another change is
  /// uncommitted, while a joint configuration is being left, or before this
  /// leader has committed an entry of its own term; kProposalDropped during
  /// a leadership transfer; kInvalidArgument for a change that makes no sense
  /// (see next_membership()).
  Result<Index> propose_membership_change(
      std::span<const MembershipChange> changes,
      MembershipTransition transition = MembershipTransition::kAuto);
  /// The membership in effect: the last one committed, or the bootstrap one.
  [[nodiscard]] const Membership& membership() const noexcept;
  /// Asks for a linearizable read (thesis §6.4). The answer comes back in a
  /// later Ready::reads, in the `request_ids` of one ReadState (see ready.h),
  /// with the other reads confirmed by the same round: serve the read from
  /// local state once the state machine applied that ReadState's index.
  ///  - On the leader: the read index is the commit index, once the leader has
  ///    committed an entry of its term (§6.4 step 1; until then the read
  ///    waits); it is confirmed by one heartbeat round acknowledged by a
  ///    majority, shared by every read that arrives before the round is sent,
  ///    or at once while a lease holds (Config::read_mode, §6.4.1). During a
  ///    leadership transfer the lease is given up and reads take rounds.
  ///  - On a follower: forwarded to the leader, which answers with its index.
  /// Pending reads end in a failed ReadState (kNotLeader) when the leader steps
  /// down or the follower's leader changes. Request ids are the caller's;
  /// keep them unique among the reads in flight. Errors (returned at once):
  /// kNotLeader when no leader is known, or the node's storage error.
  Status read_index(std::uint64_t request_id);
  /// The metadata to store with a snapshot of the state machine taken at
  /// `index` (thesis §5.1): index, term and configuration there. Errors
  /// (kInvalidArgument): index 0, past the applied index, older than the
  /// current snapshot, or while a snapshot from the leader is being installed.
  [[nodiscard]] Result<SnapshotMeta> snapshot_meta(Index index) const;
  /// The application stored a snapshot of its state at `index` (applied) with
  /// snapshot_meta(index), so that the LogReader now reports it. The log
  /// behind it is discarded, but for Config::snapshot_trailing_entries
  /// entries: the next Ready's compact_to says up to where. Followers that
  /// need discarded entries get the snapshot (InstallSnapshot). Errors
  /// (kInvalidArgument) as snapshot_meta(), and when storage does not hold
  /// that snapshot.
  Status snapshot_taken(Index index);

  /// The transport lost the connection to `peer` (reset or refused). When that
  /// peer is our leader, stop trusting its lease and campaign soon
  /// (Config::fast_failover). Never needed for safety; harmless if spurious.
  void peer_down(NodeId peer);

  // ---- Output ----

  [[nodiscard]] bool has_ready() const noexcept;
  /// The pending work, to be handled as described in ready.h.
  [[nodiscard]] Ready ready();
  /// Acknowledges a Ready after it was handled; its buffers are reused.
  void advance(Ready&& ready);

  // ---- Introspection (cheap, side-effect free) ----

  [[nodiscard]] NodeId id() const noexcept;
  [[nodiscard]] Role role() const noexcept;
  [[nodiscard]] Term term() const noexcept;
  [[nodiscard]] NodeId voted_for() const noexcept;
  /// The leader this node follows (itself when leader), or NodeId::none().
  [[nodiscard]] NodeId leader() const noexcept;
  [[nodiscard]] Index commit_index() const noexcept;
  [[nodiscard]] Index applied_index() const noexcept;
  [[nodiscard]] Index first_index() const noexcept;
  [[nodiscard]] Index last_index() const noexcept;
  /// Term of the entry at `index` in this node's log (persisted or not).
  [[nodiscard]] Result<Term> log_term(Index index) const;
  /// The entries [from, to) of this node's log (persisted or not).
  [[nodiscard]] Result<std::vector<Entry>> log_entries(Index from, Index to) const;
  [[nodiscard]] Time now() const noexcept;
  [[nodiscard]] const Config& config() const noexcept;
  /// Per-follower replication state; empty unless leader.
  [[nodiscard]] std::vector<PeerProgress> progress() const;
  /// Counters since this node started (elections, votes, transfers, ...).
  [[nodiscard]] const NodeMetrics& metrics() const noexcept;
  /// Ok, or the storage error that made this node stop.
  [[nodiscard]] Status health() const;

 private:
  explicit Node(std::unique_ptr<detail::NodeImpl> impl) noexcept;
  std::unique_ptr<detail::NodeImpl> impl_;
};

}  // namespace raft
