// SPDX-License-Identifier: Apache-2.0
// NodeImpl: the state and rules behind raft::Node. Split over three files by
// concern: node.cc (inputs, term rules, timers, Ready), node_election.cc
// (pre-vote, votes, roles) and node_replication.cc (AppendEntries, commit).
#pragma once

#include <deque>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "progress.h"
#include "raft/config.h"
#include "raft/membership.h"
#include "raft/node.h"
#include "raft/prng.h"
#include "raft_log.h"

namespace raft::detail {

class NodeImpl {
 public:
  NodeImpl(const Config& config, const LogReader& log, Time now);

  // ---- Inputs (node.cc) ----
  void tick(Time now);
  [[nodiscard]] Time next_deadline() const noexcept;
  Status step(Message&& message);
  Result<Index> propose(Payload&& payload);
  Status campaign();
  void peer_down(NodeId peer);
  Status transfer_leadership(NodeId target);
  Result<Index> propose_membership_change(std::span<const MembershipChange> changes,
                                          MembershipTransition transition);
  Status read_index(std::uint64_t request_id);
  Result<SnapshotMeta> snapshot_meta(Index index) const;
  Status snapshot_taken(Index index);

  // ---- Output (node.cc) ----
  [[nodiscard]] bool has_ready() const noexcept;
  Ready ready();
  void advance(Ready&& ready);

  // ---- Introspection ----
  const Config& config() const noexcept { return config_; }
  NodeId id() const noexcept { return config_.id; }
  Role role() const noexcept { return role_; }
  Term term() const noexcept { return term_; }
  NodeId voted_for() const noexcept { return vote_; }
  NodeId leader() const noexcept { return leader_; }
  Time now() const noexcept { return now_; }
  const RaftLog& log() const noexcept { return log_; }
  const std::vector<Progress>& progress() const noexcept { return progress_; }
  const Status& health() const noexcept { return health_; }
  NodeId transfer_target() const noexcept { return transfer_target_; }
  const NodeMetrics& metrics() const noexcept { return metrics_; }
  /// The membership in effect: the last one committed (thesis §4; applied on
  /// commit, as etcd/raft does, so a truncated suffix never has to undo one).
  const Membership& membership() const noexcept { return membership_; }

 private:
  // Per-voter answer in the current (pre-)election.
  enum class Ballot : std::uint8_t { kNone, kGranted, kDenied };

  // ---- node.cc ----
  void step_term_rules(const Message& message, bool& handled);
  void send(NodeId to, MessageBody body, bool after_persist, Term term);
  void send(NodeId to, MessageBody body, bool after_persist = false) {
    send(to, std::move(body), after_persist, term_);
  }
  template <class Body>
  void emit(Body&& body) {
    ready_.events.push_back(Event{now_, term_, EventBody{std::forward<Body>(body)}});
    count(ready_.events.back().body);
  }
  // Updates metrics_ from an event: every counted fact is also an event.
  void count(const EventBody& event);
  [[nodiscard]] bool is_voter(NodeId id) const noexcept { return membership_.is_voter(id); }
  void fail(Status status);
  // Ok when this node may append a new entry now: healthy, leader, and not
  // handing leadership over.
  [[nodiscard]] Status check_can_append() const;
  Result<Index> try_propose(Payload&& payload);
  void collect_committed(Ready& ready);

  // ---- node_election.cc ----
  void reset_election_timer();
  void start_campaign(RoleChangeReason reason);
  void become_follower(Term term, NodeId leader, RoleChangeReason reason);
  void become_pre_candidate(RoleChangeReason reason);
  void become_candidate(RoleChangeReason reason);
  void become_leader();
  void set_role(Role role, RoleChangeReason reason);
  void set_term(Term term);
  void set_leader(NodeId leader);
  /// Thesis §4.2.3: true while this node believes a live leader exists.
  [[nodiscard]] bool in_leader_lease() const noexcept;
  void request_votes(bool pre_vote);
  void handle_vote_request(const Message& message, const VoteRequest& request);
  // Election priority: having refused a lower candidate, campaign promptly.
  void campaign_outranking();
  void reply_vote(const Message& request, bool pre_vote, VoteDenial denial, Term reply_term);
  void handle_vote_reply(const Message& message, const VoteReply& reply);
  void tally_votes();
  void count_own_vote();
  void check_quorum();

  // ---- node_transfer.cc ----
  void handle_timeout_now(const Message& message);
  void maybe_send_timeout_now(Progress& progress);
  void end_transfer(TransferChanged::Phase phase);
  // Election priority: once per heartbeat, a leader hands over to a caught-up
  // follower of higher priority (thesis §3.10 transfer), with backoff.
  void maybe_hand_over();
  [[nodiscard]] bool may_lead() const noexcept { return config_.priority > 0; }

  // ---- node_membership.cc ----
  void restore_membership();
  // Records the kConfig entries among `entries` (about to be appended) and
  // forgets recorded ones that the append truncates.
  void track_config_entries(const std::vector<Entry>& entries);
  // Advances the commit index; adopts the memberships committed with it.
  void commit_to(Index index);
  void adopt_membership(Index index, Membership membership);
  // Leader: one Progress per member, added or dropped as members change.
  void sync_progress();
  // The voters of both halves, sorted: whose ballots an election counts.
  void sync_ballots();
  void step_down_if_removed();
  void maybe_leave_joint();
  // The membership in force at `index` (at or below the commit index), for
  // a snapshot's metadata (thesis §5.1).
  [[nodiscard]] Result<Membership> membership_at(Index index) const;
  // A follower installed a snapshot: its membership replaces everything.
  void adopt_snapshot_membership(const SnapshotMeta& meta);
  static Result<Membership> decode_config(const Entry& entry);
  // ---- node_read.cc (thesis §6.4, §6.4.1) ----
  // A read a follower forwarded (ReadIndexRequest), at the leader.
  void register_read(NodeId from, std::uint64_t request_id);
  // A read joined open_reads_: record the read index, ask for a round.
  void joined_open_batch();
  // read_index() off the leader's fast path: errors, and followers forwarding.
  Status read_index_slow(std::uint64_t request_id);
  void handle_read_index_request(const Message& message, const ReadIndexRequest& request);
  void handle_read_index_reply(const ReadIndexReply& reply);
  // A heartbeat round left: reads registered before it are confirmed once a
  // majority acknowledges it.
  void start_heartbeat_round();
  void on_round_acked();
  void release_reads(std::uint64_t acked);
  void on_leader_commit();
  void serve_lease_read(NodeId from, std::uint64_t request_id);
  struct ReadBatch;
  // Answers every read of `batch` (its own ids in Ready::reads, forwarded ones
  // by ReadIndexReply in `term`) and leaves the batch empty.
  void finish_batch(ReadBatch& batch, Index index, ErrorCode error, Term term);
  void pop_read_batch();
  // Appends to Ready::reads, extending the last ReadState when it has the same
  // index and outcome.
  void emit_reads(Index index, ErrorCode error, NodeId hint, std::vector<std::uint64_t>&& ids);
  void emit_read(Index index, ErrorCode error, NodeId hint, std::uint64_t id);
  std::vector<std::uint64_t> take_read_ids();
  void recycle_read_ids(std::vector<std::uint64_t>&& ids);
  void fail_leader_reads(Term term);
  void fail_forwarded_reads();
  void reset_lease(std::uint64_t first_round);
  [[nodiscard]] bool committed_in_term() const;
  [[nodiscard]] bool lease_valid() const;
  [[nodiscard]] std::uint64_t quorum_round();
  // ---- node_snapshot.cc (thesis §5) ----
  void handle_install_snapshot(const Message& message, InstallSnapshot&& chunk);
  void handle_install_snapshot_reply(const Message& message, const InstallSnapshotReply& reply);
  /// Begins sending the storage's snapshot to `progress`; false if it cannot yet.
  bool start_snapshot(Progress& progress);
  void send_snapshot_chunks(Progress& progress);
  /// Heartbeat tick: resend the chunks of transfers that made no progress.
  void snapshot_timeouts();

  // ---- node_replication.cc ----
  Progress& progress_of(NodeId id);
  Progress* find_progress(NodeId id) noexcept;
  void heard_from_leader(NodeId leader);
  void handle_append_request(const Message& message, AppendRequest&& request);
  void handle_heartbeat(const Message& message, const Heartbeat& heartbeat);
  void handle_append_reply(const Message& message, const AppendReply& reply);
  void handle_heartbeat_reply(const Message& message, const HeartbeatReply& reply);
  void broadcast_heartbeat();
  void flush_appends();
  void send_appends_to(Progress& progress);
  bool send_append(Progress& progress);
  void maybe_commit();
  Index append_as_leader(EntryType type, Payload&& payload);

  Config config_;
  NodeMetrics metrics_;
  RaftLog log_;
  Prng prng_;
  Time now_;
  Status health_;

  // Persistent state (Raft Figure 2). Changes reach storage through Ready.
  Term term_;
  NodeId vote_;

  // Membership (thesis §4): the committed one in effect, and the kConfig
  // entries in the log beyond the commit index, oldest first.
  Membership membership_;
  Index membership_index_;
  struct PendingConfig {
    Index index;
    Term term;
    Membership membership;
  };
  std::vector<PendingConfig> pending_configs_;
  // Scratch space for quorum_index, kept to avoid allocating per commit.
  std::vector<Index> quorum_scratch_;

  // Volatile state.
  Role role_ = Role::kFollower;
  NodeId leader_;
  // Follower/candidate: when the election timeout fires.
  Time election_deadline_ = kTimeNever;
  // Why the next campaign starts when election_deadline_ fires.
  RoleChangeReason campaign_reason_ = RoleChangeReason::kElectionTimeout;
  // Last time this node heard from the leader it follows (vote suppression).
  Time leader_contact_;
  // Candidate: one ballot per voter of either half, in ballot_voters_ order.
  std::vector<NodeId> ballot_voters_;
  std::vector<Ballot> ballots_;
  // Candidate: our vote for ourselves is not durable yet, so it is not counted:
  // a crash before the persist must leave us free to vote for another.
  bool own_vote_pending_ = false;

  // Leader only.
  Time heartbeat_deadline_ = kTimeNever;
  Time quorum_deadline_ = kTimeNever;
  std::vector<Progress> progress_;  // One per member, sorted by id, self included.
  std::size_t uncommitted_bytes_ = 0;
  bool appends_pending_ = false;  // Something may be sendable: flush at ready().
  // Leadership transfer (thesis §3.10): the target, and when to give up.
  NodeId transfer_target_;
  Time transfer_deadline_ = kTimeNever;
  bool timeout_now_sent_ = false;
  // Candidate: campaigning because the leader sent TimeoutNow.
  bool transfer_campaign_ = false;
  // Priority handovers (kept across terms, so a target that cannot win does
  // not make leadership flap): none before handover_not_before_, set when one
  // ends; each doubles the wait after the next, until this node follows a
  // target it handed over to (set_leader).
  Time handover_not_before_{};
  std::uint32_t handover_attempts_ = 0;
  NodeId handover_target_;
  bool priority_transfer_ = false;  // The transfer in progress is a priority handover.

  // Reads (thesis §6.4). Leader: the reads that arrived since the last
  // heartbeat round (open_reads_), and those waiting for a majority to
  // acknowledge the round sent after them (and, in a new term, for the first
  // commit), one batch per round, oldest first. A round that leaves closes the
  // open batch (§6.4 batching: one round confirms all of its reads).
  struct ForwardedRead {
    NodeId from;  // The follower that forwarded it (ReadIndexRequest).
    std::uint64_t request_id = 0;
  };
  struct ReadBatch {
    std::uint64_t round = 0;         // The heartbeat round sent after its reads (once closed).
    Index index;                     // The read index (valid once index_known).
    bool index_known = false;        // §6.4 step 1 waits for a commit in this term.
    std::vector<std::uint64_t> ids;  // This node's reads, in arrival order.
    std::vector<ForwardedRead> forwarded;  // Followers' reads, in arrival order.
    [[nodiscard]] bool empty() const noexcept { return ids.empty() && forwarded.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return ids.size() + forwarded.size(); }
  };
  ReadBatch open_reads_;
  std::deque<ReadBatch> read_batches_;
  // Emptied request-id buffers handed back by advance(), reused by new batches
  // so that steady-state reads allocate nothing.
  std::vector<std::vector<std::uint64_t>> spare_read_ids_;
  Index term_start_;         // Leader: the index of its term's first entry (the no-op).
  std::uint64_t round_ = 0;  // Last heartbeat round sent (never reset).
  std::uint64_t read_round_in_flight_ = 0;  // Early round awaiting a majority; 0 = none.
  bool read_round_wanted_ = false;          // Reads wait for a round not yet sent.
  // Lease reads (§6.4.1): when each round not yet acknowledged was sent.
  std::deque<std::pair<std::uint64_t, Time>> round_sent_;
  Time lease_expiry_{};                // The lease holds while now_ < this.
  std::uint64_t lease_round_min_ = 0;  // Only rounds from here on may start a lease.
  bool lease_forfeited_ = false;       // TimeoutNow went out this term: no lease.
  // A freshly started node in lease mode refuses votes for election_timeout_min
  // (it may have acknowledged a lease just before a crash).
  Time vote_embargo_{};
  // Follower: reads forwarded to the leader, awaiting its ReadIndexReply.
  std::deque<std::uint64_t> forwarded_reads_;
  // Follower: the snapshot being received (thesis §5.1), identified by its
  // sender, index, term and size; chunks are written in order. Volatile: after
  // a restart the leader is asked to start over.
  struct SnapshotReceipt {
    NodeId from;
    Index index;
    Term term;
    std::uint64_t total = 0;
    std::uint64_t next_offset = 0;
  };
  std::optional<SnapshotReceipt> receiving_;
  // Entries up to here may be discarded (the next Ready's compact_to).
  Index compact_to_;

  // Output being assembled, and what was last handed out.
  Ready ready_;
  HardState handed_state_;
  bool ready_outstanding_ = false;
  Index handed_last_;     // Last entry index in the outstanding Ready (0 if none).
  Index handed_applied_;  // Last committed index in the outstanding Ready.
  bool handed_entries_ = false;
  bool handed_snapshot_ = false;  // The outstanding Ready installs a snapshot.
};

}  // namespace raft::detail
