// SPDX-License-Identifier: Apache-2.0
// NodeImpl: the state and rules behind raft::Node. Split over three files by
// concern: node.cc (inputs, term rules, timers, Ready), node_election.cc
// (pre-vote, votes, roles) and node_replication.cc (AppendEntries, commit).
#pragma once

#include <optional>
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
  // MEMBERSHIP: stand-in until membership changes land.
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
  [[nodiscard]] std::size_t quorum() const noexcept { return config_.voters.size() / 2 + 1; }
  [[nodiscard]] bool is_voter(NodeId id) const noexcept;
  void fail(Status status);
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
  void reply_vote(const Message& request, bool pre_vote, VoteDenial denial, Term reply_term);
  void handle_vote_reply(const Message& message, const VoteReply& reply);
  void tally_votes();
  void count_own_vote();
  void check_quorum();

  // ---- node_transfer.cc ----
  void handle_timeout_now(const Message& message);
  void maybe_send_timeout_now(Progress& progress);
  void end_transfer(TransferChanged::Phase phase);

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
  void heard_from_leader(NodeId leader);
  void handle_append_request(const Message& message, AppendRequest&& request);
  void handle_heartbeat(const Message& message, const Heartbeat& heartbeat);
  void handle_append_reply(const Message& message, const AppendReply& reply);
  void handle_heartbeat_reply(const Message& message);
  void broadcast_heartbeat();
  void flush_appends();
  void send_appends_to(Progress& progress);
  bool send_append(Progress& progress);
  void maybe_commit();
  Index append_as_leader(EntryType type, Payload&& payload);

  Config config_;
  Membership membership_;
  NodeMetrics metrics_;
  RaftLog log_;
  Prng prng_;
  Time now_;
  Status health_;

  // Persistent state (Raft Figure 2). Changes reach storage through Ready.
  Term term_;
  NodeId vote_;

  // Volatile state.
  Role role_ = Role::kFollower;
  NodeId leader_;
  // Follower/candidate: when the election timeout fires.
  Time election_deadline_ = kTimeNever;
  // Why the next campaign starts when election_deadline_ fires.
  RoleChangeReason campaign_reason_ = RoleChangeReason::kElectionTimeout;
  // Last time this node heard from the leader it follows (vote suppression).
  Time leader_contact_;
  // Candidate: one ballot per voter, in config_.voters order.
  std::vector<Ballot> ballots_;
  // Candidate: our vote for ourselves is not durable yet, so it is not counted:
  // a crash before the persist must leave us free to vote for another.
  bool own_vote_pending_ = false;

  // Leader only.
  Time heartbeat_deadline_ = kTimeNever;
  Time quorum_deadline_ = kTimeNever;
  std::vector<Progress> progress_;  // In config_.voters order, self included.
  std::size_t uncommitted_bytes_ = 0;
  bool appends_pending_ = false;  // Something may be sendable: flush at ready().
  // Leadership transfer (thesis §3.10): the target, and when to give up.
  NodeId transfer_target_;
  Time transfer_deadline_ = kTimeNever;
  bool timeout_now_sent_ = false;
  // Candidate: campaigning because the leader sent TimeoutNow.
  bool transfer_campaign_ = false;

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
