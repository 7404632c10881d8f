// SPDX-License-Identifier: Apache-2.0
// raft::Node's inputs and outputs: construction, the term rules applied to
// every message, timers, and assembling / acknowledging Ready batches.
#include "raft/node.h"

#include <algorithm>

#include <fmt/format.h>

#include "node_impl.h"

namespace raft::detail {
namespace {

// Gives every node of a cluster sharing one seed its own sequence.
std::uint64_t node_seed(const Config& config) {
  std::uint64_t state = config.random_seed ^ (config.id.value() * 0x9e3779b97f4a7c15ULL);
  return splitmix64(state);
}

NodeId sender_leader(const Message& message) {
  const bool from_leader = std::holds_alternative<AppendRequest>(message.body) ||
                           std::holds_alternative<Heartbeat>(message.body) ||
                           std::holds_alternative<InstallSnapshot>(message.body);
  return from_leader ? message.from : NodeId::none();
}

}  // namespace

NodeImpl::NodeImpl(const Config& config, const LogReader& log, Time now)
    : config_(config), log_(log), prng_(node_seed(config)), now_(now) {
  const HardState state = log.hard_state();
  term_ = state.term;
  vote_ = state.vote;
  handed_state_ = HardState{term_, vote_, log_.committed()};
  restore_membership();
  // Lease reads (thesis §6.4.1) count on voters that acknowledged a heartbeat
  // refusing votes for election_timeout_min; a restarted node cannot know
  // whether it just did, so it assumes so.
  if (config_.read_mode == ReadMode::kLease) vote_embargo_ = now + config_.election_timeout_min;
  reset_election_timer();
  RAFT_ASSERT(log_.last_term() <= term_ || term_ == Term{});
}

void NodeImpl::fail(Status status) {
  RAFT_ASSERT(!status.ok());
  // Like etcd/raft: a storage error leaves the node inoperable rather than
  // guessing; the driver sees it through health() and every later step().
  if (health_.ok()) health_ = std::move(status);
}

// ---------------------------------------------------------------------------
// Time.

void NodeImpl::tick(Time now) {
  RAFT_ASSERT(!ready_outstanding_);
  RAFT_ASSERT_MSG(now >= now_, "time must not go backwards");
  now_ = now;
  if (!health_.ok()) return;
  if (role_ == Role::kLeader) {
    if (now_ >= heartbeat_deadline_) {
      // Schedule from now, not from the missed deadline: a late tick should
      // not produce a burst of catch-up heartbeats.
      heartbeat_deadline_ = now_ + config_.heartbeat_interval;
      broadcast_heartbeat();
      snapshot_timeouts();
      // Once per heartbeat, after the last round's replies brought in the
      // followers' progress and priorities.
      maybe_hand_over();
    }
    if (now_ >= transfer_deadline_) {
      end_transfer(TransferChanged::Phase::kAborted);
      if (!is_voter(config_.id)) {
        // Removed, and the handover failed: step down and let the remaining
        // voters elect a leader when their timers fire (thesis §4.2.2).
        become_follower(term_, NodeId::none(), RoleChangeReason::kRemoved);
        return;
      }
    }
    if (config_.check_quorum && now_ >= quorum_deadline_) check_quorum();
    return;
  }
  if (now_ >= election_deadline_) start_campaign(campaign_reason_);
}

Time NodeImpl::next_deadline() const noexcept {
  if (!health_.ok()) return kTimeNever;
  if (role_ == Role::kLeader) {
    const Time deadline = std::min(heartbeat_deadline_, transfer_deadline_);
    return config_.check_quorum ? std::min(deadline, quorum_deadline_) : deadline;
  }
  return election_deadline_;
}

// ---------------------------------------------------------------------------
// Messages.

Status NodeImpl::step(Message&& message) {
  RAFT_ASSERT(!ready_outstanding_);
  if (!health_.ok()) return health_;
  if (message.to != config_.id) {
    return {ErrorCode::kInvalidArgument, fmt::format("message for node {} delivered to node {}",
                                                     message.to.value(), config_.id.value())};
  }
  // Messages from outside our membership are fine: the sender may know a
  // newer one (a leader that added us, a candidate of a later configuration).
  if (!message.from.valid() || message.from == config_.id) {
    return {ErrorCode::kUnknownPeer,
            fmt::format("message from node {}, which is not a peer of node {}",
                        message.from.value(), config_.id.value())};
  }
  bool handled = false;
  step_term_rules(message, handled);
  if (handled) return {};
  RAFT_ASSERT(message.term == term_ || std::holds_alternative<VoteRequest>(message.body) ||
              std::holds_alternative<VoteReply>(message.body));

  return std::visit(
      [&](auto& body) -> Status {
        using Body = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<Body, VoteRequest>) {
          handle_vote_request(message, body);
        } else if constexpr (std::is_same_v<Body, VoteReply>) {
          handle_vote_reply(message, body);
        } else if constexpr (std::is_same_v<Body, AppendRequest> ||
                             std::is_same_v<Body, Heartbeat> ||
                             std::is_same_v<Body, InstallSnapshot>) {
          if (role_ == Role::kLeader) {
            // Two leaders in one term would break Election Safety (§5.2); this
            // can only be a forged or corrupted message. Refuse it.
            return {ErrorCode::kInvalidArgument,
                    fmt::format("node {} claims to lead term {}, which node {} leads",
                                message.from.value(), term_.value(), config_.id.value())};
          }
          if constexpr (std::is_same_v<Body, AppendRequest>) {
            handle_append_request(message, std::move(body));
          } else if constexpr (std::is_same_v<Body, InstallSnapshot>) {
            handle_install_snapshot(message, std::move(body));
          } else {
            handle_heartbeat(message, body);
          }
        } else if constexpr (std::is_same_v<Body, AppendReply>) {
          // A reply from a removed member has no Progress left: ignore it.
          if (role_ == Role::kLeader && find_progress(message.from) != nullptr) {
            handle_append_reply(message, body);
          }
        } else if constexpr (std::is_same_v<Body, HeartbeatReply>) {
          if (role_ == Role::kLeader && find_progress(message.from) != nullptr) {
            handle_heartbeat_reply(message, body);
          }
        } else if constexpr (std::is_same_v<Body, ReadIndexRequest>) {
          handle_read_index_request(message, body);
        } else if constexpr (std::is_same_v<Body, ReadIndexReply>) {
          handle_read_index_reply(body);
        } else if constexpr (std::is_same_v<Body, InstallSnapshotReply>) {
          if (role_ == Role::kLeader && find_progress(message.from) != nullptr) {
            handle_install_snapshot_reply(message, body);
          }
        } else {
          static_assert(std::is_same_v<Body, TimeoutNow>);
          handle_timeout_now(message);
        }
        return {};
      },
      message.body);
}

// Raft §5.1: "If one server's current term is smaller than the other's, then
// it updates its current term to the larger value ... If a server receives a
// request with a stale term number, it rejects the request." With the pre-vote
// and lease exceptions of thesis §9.6 and §4.2.3. Sets `handled` when the
// message needs no further processing.
void NodeImpl::step_term_rules(const Message& message, bool& handled) {
  const auto* vote_request = std::get_if<VoteRequest>(&message.body);
  if (message.term > term_) {
    if (vote_request != nullptr) {
      if (in_leader_lease() && !vote_request->leadership_transfer) {
        // Thesis §4.2.3: a server that hears from a live leader neither
        // grants the vote nor adopts the term, so a disruptive server cannot
        // depose a working leader.
        // A refused pre-vote carries our own term, as any pre-vote refusal
        // does: the request's future term must not reach the requester as news.
        reply_vote(message, vote_request->pre_vote, VoteDenial::kLeaderLease,
                   vote_request->pre_vote ? term_ : message.term);
        handled = true;
        return;
      }
      // A pre-vote changes no term (thesis §9.6); handle_vote_request decides.
      if (!vote_request->pre_vote) {
        // Figure 2 resets a follower's timer only for a current leader's
        // AppendEntries or a granted vote; adopting a candidate's term is
        // neither. Resetting here would let candidates with stale logs keep
        // postponing the followers that could win (seen as a liveness stall).
        const bool was_follower = role_ == Role::kFollower;
        const Time deadline = election_deadline_;
        const RoleChangeReason reason = campaign_reason_;
        become_follower(message.term, NodeId::none(), RoleChangeReason::kHigherTerm);
        if (was_follower) {
          election_deadline_ = deadline;
          campaign_reason_ = reason;
        }
      }
      return;
    }
    if (const auto* reply = std::get_if<VoteReply>(&message.body);
        reply != nullptr && reply->pre_vote && reply->granted) {
      // A granted pre-vote echoes the term we would campaign in: not news.
      return;
    }
    become_follower(message.term, sender_leader(message), RoleChangeReason::kHigherTerm);
    return;
  }
  if (message.term < term_) {
    handled = true;
    if (vote_request != nullptr) {
      // §5.1: reject and tell the sender our term so it catches up.
      reply_vote(message, vote_request->pre_vote, VoteDenial::kStaleTerm, term_);
    } else if (std::holds_alternative<AppendRequest>(message.body)) {
      // A stale leader (e.g. back from a partition) learns our term from the
      // reply and steps down; with check-quorum or pre-vote nothing else would
      // tell it, since our side never campaigns against it.
      send(message.from, AppendReply{.success = false,
                                     .index = std::get<AppendRequest>(message.body).prev_log_index,
                                     .hint_index = Index{},
                                     .hint_term = Term{},
                                     .priority = config_.priority});
    } else if (std::holds_alternative<Heartbeat>(message.body)) {
      send(message.from, HeartbeatReply{.round = 0, .priority = config_.priority});
    } else if (const auto* chunk = std::get_if<InstallSnapshot>(&message.body)) {
      // Like a stale append: the answer carries our term, and the stale
      // leader steps down.
      send(message.from, InstallSnapshotReply{chunk->meta.index, 0, false, false});
    }
    // Stale replies are simply dropped: they answer a question of an old term.
  }
}

void NodeImpl::count(const EventBody& event) {
  NodeMetrics& m = metrics_;
  if (const auto* role = std::get_if<RoleChanged>(&event)) {
    if (role->to == Role::kPreCandidate) ++m.pre_votes_started;
    if (role->to == Role::kCandidate) ++m.elections_started;
    if (role->reason == RoleChangeReason::kPreVoteWon) ++m.pre_votes_won;
    if (role->to == Role::kLeader) ++m.elections_won;
    if (role->reason == RoleChangeReason::kElectionLost && role->from == Role::kCandidate) {
      ++m.elections_lost;
    }
    if (role->reason == RoleChangeReason::kCheckQuorum) ++m.check_quorum_step_downs;
  } else if (const auto* vote = std::get_if<VoteCast>(&event); vote != nullptr && !vote->pre_vote) {
    ++(vote->granted ? m.votes_granted : m.votes_denied);
  } else if (const auto* leader = std::get_if<LeaderChanged>(&event)) {
    if (leader->leader.valid()) ++m.leader_changes;
  } else if (const auto* commit = std::get_if<CommitAdvanced>(&event)) {
    m.entries_committed += Index::distance(commit->from, commit->to);
  } else if (const auto* transfer = std::get_if<TransferChanged>(&event)) {
    switch (transfer->phase) {
      case TransferChanged::Phase::kStarted:
        ++m.transfers_started;
        break;
      case TransferChanged::Phase::kCompleted:
        ++m.transfers_completed;
        break;
      case TransferChanged::Phase::kAborted:
        ++m.transfers_aborted;
        break;
    }
  } else if (const auto* snapshot = std::get_if<SnapshotChanged>(&event)) {
    switch (snapshot->phase) {
      case SnapshotChanged::Phase::kTaken:
        ++m.snapshots_taken;
        break;
      case SnapshotChanged::Phase::kSending:
        ++m.snapshot_transfers_started;
        break;
      case SnapshotChanged::Phase::kSent:
        ++m.snapshots_sent;
        break;
      case SnapshotChanged::Phase::kInstalled:
        ++m.snapshots_installed;
        break;
    }
  }
}

void NodeImpl::send(NodeId to, MessageBody body, bool after_persist, Term term) {
  RAFT_ASSERT(to != config_.id);
  ++metrics_.messages_sent;
  auto& queue = after_persist ? ready_.messages_after_persist : ready_.messages;
  queue.push_back(Message{config_.id, to, term, std::move(body)});
}

// ---------------------------------------------------------------------------
// Application inputs.

Result<Index> NodeImpl::propose(Payload&& payload) {
  Result<Index> result = try_propose(std::move(payload));
  ++(result.ok() ? metrics_.proposals_accepted : metrics_.proposals_refused);
  return result;
}

Status NodeImpl::check_can_append() const {
  RAFT_ASSERT(!ready_outstanding_);
  if (!health_.ok()) return health_;
  if (role_ != Role::kLeader) return Status::not_leader(leader_);
  if (transfer_target_.valid()) {
    // §3.10: new entries would only delay the target's catch-up.
    return Status{
        ErrorCode::kProposalDropped,
        fmt::format("leadership is being transferred to node {}", transfer_target_.value())};
  }
  return {};
}

Result<Index> NodeImpl::try_propose(Payload&& payload) {
  if (Status status = check_can_append(); !status.ok()) return status;
  // Entries count with their header (Entry::size_bytes), so even empty
  // proposals are bounded.
  if (uncommitted_bytes_ + payload.size() + Entry::kHeaderBytes > config_.uncommitted_bytes_max &&
      uncommitted_bytes_ > 0) {
    return Status{ErrorCode::kProposalDropped,
                  fmt::format("{} bytes are uncommitted; uncommitted_bytes_max is {}",
                              uncommitted_bytes_, config_.uncommitted_bytes_max)};
  }
  return append_as_leader(EntryType::kNormal, std::move(payload));
}

Status NodeImpl::campaign() {
  RAFT_ASSERT(!ready_outstanding_);
  if (!health_.ok()) return health_;
  if (role_ == Role::kLeader) {
    return {ErrorCode::kInvalidArgument, "campaign() called on the leader"};
  }
  if (!is_voter(config_.id)) {
    return {ErrorCode::kInvalidArgument,
            fmt::format("node {} is not a voter of the current membership", config_.id.value())};
  }
  if (!may_lead()) {
    return {ErrorCode::kInvalidArgument,
            fmt::format("node {} has priority 0: it votes and replicates but never campaigns",
                        config_.id.value())};
  }
  start_campaign(RoleChangeReason::kCampaignRequested);
  return {};
}

void NodeImpl::peer_down(NodeId peer) {
  RAFT_ASSERT(!ready_outstanding_);
  if (!config_.fast_failover || role_ != Role::kFollower || peer != leader_ || !peer.valid()) {
    return;
  }
  // Forget the leader: its lease no longer stops us (or, once they see the
  // same, our peers) from voting. Campaign after a short random delay, so that
  // the followers that all lost the leader at once do not split the vote.
  set_leader(NodeId::none());
  // A priority-0 voter (or a learner) votes at once but never campaigns.
  if (!may_lead() || !is_voter(config_.id)) return;
  const auto spread = static_cast<std::uint64_t>(config_.fast_failover_delay_max.count());
  const Time deadline = now_ + Duration{static_cast<Duration::rep>(prng_.uniform(spread))};
  if (deadline < election_deadline_) {
    election_deadline_ = deadline;
    campaign_reason_ = RoleChangeReason::kLeaderDown;
  }
}

// ---------------------------------------------------------------------------
// Output.

bool NodeImpl::has_ready() const noexcept {
  const bool read_round_due =
      role_ == Role::kLeader && read_round_wanted_ && read_round_in_flight_ == 0;
  return appends_pending_ || read_round_due || !ready_.reads.empty() || log_.has_unstable() ||
         !ready_.messages.empty() || !ready_.messages_after_persist.empty() ||
         !ready_.events.empty() || log_.committed() > log_.applied() ||
         log_.pending_snapshot().has_value() || compact_to_ > Index{} ||
         !ready_.snapshot_chunks.empty() ||
         handed_state_ != HardState{term_, vote_, log_.committed()};
}

void NodeImpl::collect_committed(Ready& ready) {
  const Index from = log_.applied().next();
  const Index to = log_.committed().next();
  if (from >= to) return;
  if (Status status = log_.slice(from, to, config_.committed_bytes_per_ready_max, ready.committed);
      !status.ok()) {
    fail(std::move(status));
    return;
  }
  if (role_ == Role::kLeader) {
    std::size_t bytes = 0;
    for (const Entry& entry : ready.committed) bytes += entry.size_bytes();
    uncommitted_bytes_ -= std::min(uncommitted_bytes_, bytes);
  }
}

Ready NodeImpl::ready() {
  RAFT_ASSERT(!ready_outstanding_);
  if (role_ == Role::kLeader && appends_pending_) flush_appends();
  appends_pending_ = false;
  if (role_ == Role::kLeader && read_round_wanted_ && read_round_in_flight_ == 0) {
    // Thesis §6.4 step 2: one round for every read that arrived since the
    // last one; reads arriving while it is in flight wait for the next.
    ++metrics_.read_heartbeat_rounds;
    broadcast_heartbeat();
    read_round_in_flight_ = round_;
  }

  Ready ready = std::move(ready_);
  ready_ = Ready{};
  handed_snapshot_ = log_.pending_snapshot().has_value();
  if (handed_snapshot_) {
    // Figure 5.3: the state machine is reset from the snapshot; entries
    // committed after it are applied in the next Ready, on top of it.
    ready.snapshot_to_install = *log_.pending_snapshot();
    ready.must_sync = true;
  } else {
    collect_committed(ready);
  }
  if (compact_to_ > Index{}) {
    RAFT_ASSERT(!handed_snapshot_);
    ready.compact_to = compact_to_;
    metrics_.entries_compacted += Index::distance(log_.first_index().prev(), compact_to_);
    compact_to_ = Index{};
  }
  handed_applied_ = ready.committed.empty() ? log_.applied() : ready.committed.back().index;

  const HardState state{term_, vote_, log_.committed()};
  if (state != handed_state_) {
    ready.hard_state = state;
    ready.must_sync = state.term != handed_state_.term || state.vote != handed_state_.vote;
    handed_state_ = state;
  }
  log_.copy_unstable(ready.entries);
  handed_last_ = ready.entries.empty() ? Index{} : ready.entries.back().index;
  if (!ready.entries.empty()) ready.must_sync = true;
  ready_outstanding_ = true;
  return ready;
}

void NodeImpl::advance(Ready&& ready) {
  RAFT_ASSERT_MSG(ready_outstanding_, "advance() without a ready()");
  ready_outstanding_ = false;
  if (handed_snapshot_) log_.mark_snapshot_stable();
  handed_snapshot_ = false;
  log_.applied_to(handed_applied_);
  if (handed_last_ > Index{}) log_.mark_stable(handed_last_);
  // The Ready's hard state is durable now: a candidate may count its own vote.
  if (own_vote_pending_ && role_ == Role::kCandidate && handed_state_.vote == config_.id &&
      handed_state_.term == term_) {
    count_own_vote();
  }
  if (role_ == Role::kLeader && handed_last_ > Index{}) {
    // Thesis §10.2.1: the leader counts its own log towards a majority only
    // once its entries are durable, though it sent them in parallel.
    progress_of(config_.id).update_match(handed_last_);
    maybe_commit();
  }
  handed_last_ = Index{};
  if (role_ == Role::kLeader && transfer_target_.valid()) {
    // What was just applied may be what a removed leader waited for.
    if (Progress* target = find_progress(transfer_target_)) maybe_send_timeout_now(*target);
  }

  // Hand the buffers back so that the next Ready reuses their capacity.
  auto recycle = [](auto& into, auto& from) {
    if (into.empty() && from.capacity() > into.capacity()) {
      from.clear();
      into.swap(from);
    }
  };
  recycle(ready_.messages, ready.messages);
  recycle(ready_.messages_after_persist, ready.messages_after_persist);
  recycle(ready_.events, ready.events);
  // The reads' id buffers go back to the pool that new read batches draw from.
  for (ReadState& read : ready.reads) recycle_read_ids(std::move(read.request_ids));
  recycle(ready_.reads, ready.reads);
}

}  // namespace raft::detail
