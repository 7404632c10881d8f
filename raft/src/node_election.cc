// SPDX-License-Identifier: Apache-2.0
// Leader election: timers, pre-vote (thesis §9.6), RequestVote (Raft §5.2,
// §5.4.1), vote suppression (thesis §4.2.3), role changes and check-quorum
// (thesis §6.2).
#include <algorithm>

#include "node_impl.h"
#include "quorum.h"

namespace raft::detail {

void NodeImpl::reset_election_timer() {
  if (!is_voter(config_.id) || !may_lead()) {
    // Learners, removed servers and nodes still joining never campaign
    // (thesis §4.2.1): only a voter's timeout starts an election. Neither does
    // a priority-0 voter: it votes and replicates but never leads.
    election_deadline_ = kTimeNever;
    campaign_reason_ = RoleChangeReason::kElectionTimeout;
    return;
  }
  // Raft §5.2: "election timeouts are chosen randomly from a fixed interval"
  // so that one server usually times out alone and wins before others wake.
  const auto spread = static_cast<std::uint64_t>(
      (config_.election_timeout_max - config_.election_timeout_min).count());
  const Duration timeout =
      config_.election_timeout_min + Duration{static_cast<Duration::rep>(prng_.uniform(spread))};
  election_deadline_ = now_ + timeout;
  campaign_reason_ = RoleChangeReason::kElectionTimeout;
}

void NodeImpl::set_role(Role role, RoleChangeReason reason) {
  if (role == role_) return;
  const Role from = role_;
  role_ = role;
  emit(RoleChanged{from, role, reason});
}

void NodeImpl::set_term(Term term) {
  RAFT_ASSERT_MSG(term >= term_, "terms never decrease (Raft §5.1)");
  if (term == term_) return;
  const Term from = term_;
  term_ = term;
  vote_ = NodeId::none();  // A vote is for one term only (§5.2).
  emit(TermChanged{from, term});
}

void NodeImpl::set_leader(NodeId leader) {
  if (leader == leader_) return;
  leader_ = leader;
  if (leader.valid() && leader == handover_target_) {
    // A priority handover of ours succeeded: the next one need not wait long.
    handover_attempts_ = 0;
    handover_target_ = NodeId::none();
  }
  // Reads forwarded to the old leader may never be answered.
  if (!forwarded_reads_.empty()) fail_forwarded_reads();
  emit(LeaderChanged{leader});
}

bool NodeImpl::in_leader_lease() const noexcept {
  if (role_ == Role::kLeader) return true;
  if (now_ < vote_embargo_) return true;
  // Bounded in time, unlike servers that refuse every vote while they still
  // remember a leader: once election_timeout_min has passed without a word
  // from it, the first candidate after a crash can win (thesis §4.2.3).
  return leader_.valid() && now_ < leader_contact_ + config_.election_timeout_min;
}

void NodeImpl::start_campaign(RoleChangeReason reason) {
  RAFT_ASSERT(role_ != Role::kLeader);
  if (config_.pre_vote) {
    become_pre_candidate(reason);
  } else {
    become_candidate(reason);
  }
}

void NodeImpl::become_follower(Term term, NodeId leader, RoleChangeReason reason) {
  if (role_ == Role::kLeader) fail_leader_reads(term_);
  if (transfer_target_.valid()) {
    // A newer term means the target (or someone) took over: the handover
    // happened. Losing the role for any other reason gives it up.
    // So did a removed leader that sent TimeoutNow and steps down (§4.2.2).
    const bool handed_over = reason == RoleChangeReason::kHigherTerm ||
                             (reason == RoleChangeReason::kRemoved && timeout_now_sent_);
    end_transfer(handed_over ? TransferChanged::Phase::kCompleted
                             : TransferChanged::Phase::kAborted);
  }
  transfer_campaign_ = false;
  set_term(term);
  set_role(Role::kFollower, reason);
  set_leader(leader);
  if (leader.valid()) leader_contact_ = now_;
  progress_.clear();
  uncommitted_bytes_ = 0;
  appends_pending_ = false;
  own_vote_pending_ = false;
  heartbeat_deadline_ = kTimeNever;
  quorum_deadline_ = kTimeNever;
  reset_election_timer();
  RAFT_ASSERT(role_ == Role::kFollower);
}

void NodeImpl::become_pre_candidate(RoleChangeReason reason) {
  transfer_campaign_ = false;
  // Thesis §9.6: ask first whether we could win; the term stays put, so a
  // node that cannot win (partitioned, or behind) disrupts nobody.
  set_role(Role::kPreCandidate, reason);
  set_leader(NodeId::none());
  reset_election_timer();
  request_votes(/*pre_vote=*/true);
}

void NodeImpl::become_candidate(RoleChangeReason reason) {
  // Raft §5.2: "a follower increments its current term and transitions to
  // candidate state. It then votes for itself and issues RequestVote RPCs".
  set_term(term_.next());
  vote_ = config_.id;
  transfer_campaign_ = reason == RoleChangeReason::kLeadershipTransfer;
  set_role(Role::kCandidate, reason);
  set_leader(NodeId::none());
  reset_election_timer();
  request_votes(/*pre_vote=*/false);
}

void NodeImpl::request_votes(bool pre_vote) {
  std::ranges::fill(ballots_, Ballot::kNone);
  const Term term = pre_vote ? term_.next() : term_;
  const VoteRequest request{log_.last_index(), log_.last_term(), pre_vote, transfer_campaign_,
                            config_.priority};
  for (const NodeId voter : ballot_voters_) {
    if (voter == config_.id) continue;
    // Requests go out at once, in parallel with persisting our own vote
    // (thesis §10.2.1's reasoning for appends applies): only counting the
    // vote must wait until it is durable, which count_own_vote() does.
    send(voter, request, /*after_persist=*/false, term);
  }
  if (pre_vote) {
    count_own_vote();  // A pre-vote promises nothing, so nothing to persist.
  } else {
    own_vote_pending_ = true;  // Counted in advance(), once durable.
  }
}

void NodeImpl::count_own_vote() {
  const auto self = std::ranges::lower_bound(ballot_voters_, config_.id);
  own_vote_pending_ = false;
  if (self == ballot_voters_.end() || *self != config_.id) return;  // No longer a voter.
  ballots_[static_cast<std::size_t>(self - ballot_voters_.begin())] = Ballot::kGranted;
  tally_votes();  // A single-node cluster wins here.
}

void NodeImpl::become_leader() {
  RAFT_ASSERT(role_ == Role::kCandidate);
  RAFT_ASSERT(vote_ == config_.id);
  RAFT_ASSERT_MSG(may_lead(), "a priority-0 node never campaigns");
  set_role(Role::kLeader, RoleChangeReason::kElectionWon);
  set_leader(config_.id);
  election_deadline_ = kTimeNever;

  progress_.clear();
  sync_progress();
  const Index next = log_.last_index().next();
  Progress& self = progress_of(config_.id);
  self.match = log_.persisted_index();
  self.next = std::max(next, self.match.next());
  self.become_replicate();
  self.match = log_.persisted_index();
  self.recent_active = true;

  heartbeat_deadline_ = now_ + config_.heartbeat_interval;
  quorum_deadline_ = now_ + config_.election_timeout_min;
  lease_forfeited_ = false;
  reset_lease(round_ + 1);
  uncommitted_bytes_ = 0;
  // Raft §8: a leader cannot know which earlier entries are committed until it
  // commits one of its own term, so it appends a no-op at once.
  term_start_ = append_as_leader(EntryType::kNoOp, Payload{});
  maybe_leave_joint();  // A joint configuration left behind by the last leader.
}

void NodeImpl::handle_vote_request(const Message& message, const VoteRequest& request) {
  // Here message.term >= term_ (the term rules replied to anything older).
  const bool pre_vote = request.pre_vote;
  // §5.2: one vote per term, first come first served; re-sending a granted
  // vote is fine. A pre-vote for a future term commits us to nothing.
  const bool can_vote = vote_ == message.from || (!vote_.valid() && !leader_.valid()) ||
                        (pre_vote && message.term > term_);
  // A refused pre-vote carries our term, never the requested one: echoing a
  // future term would make the requester adopt a term nobody campaigned in.
  const Term refusal_term = pre_vote ? term_ : message.term;
  if (!can_vote) {
    // A pre-vote must name a newer term than ours; a vote, an unclaimed one.
    const VoteDenial denial = pre_vote ? VoteDenial::kStaleTerm : VoteDenial::kAlreadyVoted;
    reply_vote(message, pre_vote, denial, refusal_term);
    return;
  }
  // §5.4.1: only vote for a candidate whose log is at least as up to date.
  if (!log_.is_up_to_date(request.last_log_index, request.last_log_term)) {
    reply_vote(message, pre_vote, VoteDenial::kLogBehind, refusal_term);
    return;
  }
  // Election priority (raft-rs `priority`, NuRaft's priority election): of two
  // candidates with equally up-to-date logs, the higher priority should lead,
  // so a voter refuses one whose log is exactly as up to date as its own and
  // whose priority is lower. Liveness: among the most up-to-date reachable
  // voters, the one with the highest priority (> 0) is refused by nobody, so
  // it wins once its own timer fires; a lower one may still win with the votes
  // of lower or less up-to-date voters. A transfer campaign is exempt: the
  // leader chose the target (thesis §3.10), and a lower-priority leader hands
  // over again by itself. Only a voter that could lead itself prefers itself:
  // a removed server (or a learner) that an old configuration still asks
  // must not block the only candidates that can win (thesis §4.2.2).
  if (!request.leadership_transfer && request.priority < config_.priority && is_voter(config_.id) &&
      request.last_log_term == log_.last_term() && request.last_log_index == log_.last_index()) {
    reply_vote(message, pre_vote, VoteDenial::kLowerPriority, refusal_term);
    // Only for an election starting from our own term: a pre-vote for a
    // term we already reached comes while a real election is under way.
    if (pre_vote && message.term == term_.next()) campaign_outranking();
    return;
  }
  if (!pre_vote) {
    RAFT_ASSERT(message.term == term_);
    vote_ = message.from;
    // §5.2: granting a vote resets the election timer, so the voter does not
    // start a rival election while the candidate collects its majority.
    reset_election_timer();
  }
  reply_vote(message, pre_vote, VoteDenial::kNone, message.term);
  if (pre_vote && role_ == Role::kPreCandidate &&
      (request.priority > config_.priority || message.from < config_.id)) {
    // Two pre-candidates at once (typically followers that saw the leader's
    // connection reset together) would both win their pre-votes and split
    // the real vote, costing a whole election timeout. A deterministic
    // tie-break avoids it: the higher priority goes on, and between equals
    // the higher id gives way. Pre-votes promise nothing, so this affects
    // liveness only, never safety.
    const Time deadline = election_deadline_;
    become_follower(term_, NodeId::none(), RoleChangeReason::kYielded);
    election_deadline_ = deadline;
  }
}

void NodeImpl::campaign_outranking() {
  // We just refused the pre-vote of a candidate with a log like ours and a
  // lower priority: an election is starting (the candidate heard no leader,
  // and we are in no leader's lease, or the term rules would have refused it
  // first), and we are the one voters prefer. Waiting for our own timeout
  // would let the lower candidate win with the others' votes and hand over
  // later (two leader changes), so start our own pre-vote now; if both are
  // pre-candidates, the lower gives way (handle_vote_request). Not on a real
  // vote: that candidate already won its pre-vote, and a late campaign of
  // ours could only depose it once it wins (its term bump), so the priority
  // handover takes over from there.
  if (role_ != Role::kFollower || !may_lead() || !is_voter(config_.id)) return;
  start_campaign(RoleChangeReason::kOutranked);
}

void NodeImpl::reply_vote(const Message& request, bool pre_vote, VoteDenial denial,
                          Term reply_term) {
  const bool granted = denial == VoteDenial::kNone;
  emit(VoteCast{request.from, request.term, pre_vote, granted, denial});
  // The reply promises a persisted vote (and term): it waits for the persist.
  send(request.from, VoteReply{granted, pre_vote, denial}, /*after_persist=*/true, reply_term);
}

void NodeImpl::handle_vote_reply(const Message& message, const VoteReply& reply) {
  const bool counts =
      role_ == Role::kPreCandidate
          ? reply.pre_vote && (message.term == term_.next() || message.term == term_)
          : role_ == Role::kCandidate && !reply.pre_vote && message.term == term_;
  if (!counts) return;  // An answer to an earlier election.
  const auto it = std::ranges::lower_bound(ballot_voters_, message.from);
  if (it == ballot_voters_.end() || *it != message.from) return;  // Not a voter: no say.
  const auto slot = static_cast<std::size_t>(it - ballot_voters_.begin());
  if (ballots_[slot] == Ballot::kNone) {
    ballots_[slot] = reply.granted ? Ballot::kGranted : Ballot::kDenied;
  }
  tally_votes();
}

void NodeImpl::tally_votes() {
  if (!is_voter(config_.id)) {
    // A membership that took effect mid-campaign left us out: only voters
    // lead (thesis §4.2.2), whatever the ballots say.
    become_follower(term_, NodeId::none(), RoleChangeReason::kRemoved);
    return;
  }
  // Thesis §4.3: in a joint configuration a candidate needs a majority of
  // both the old and the new voters.
  const VoteOutcome outcome = tally(membership_, [&](NodeId id) {
    const auto slot = static_cast<std::size_t>(std::ranges::lower_bound(ballot_voters_, id) -
                                               ballot_voters_.begin());
    return ballots_[slot] == Ballot::kGranted ? 1 : ballots_[slot] == Ballot::kDenied ? -1 : 0;
  });
  if (outcome == VoteOutcome::kWon) {
    if (role_ == Role::kPreCandidate) {
      become_candidate(RoleChangeReason::kPreVoteWon);
    } else {
      become_leader();
    }
  } else if (outcome == VoteOutcome::kLost) {
    // A majority said no: wait for the next timeout as a follower rather
    // than keep asking (the timer was reset when the campaign began).
    const Time deadline = election_deadline_;
    become_follower(term_, NodeId::none(), RoleChangeReason::kElectionLost);
    election_deadline_ = deadline;
  }
}

void NodeImpl::check_quorum() {
  RAFT_ASSERT(role_ == Role::kLeader);
  const bool reachable = has_quorum(membership_, [&](NodeId id) {
    const Progress* progress = find_progress(id);
    return id == config_.id || (progress != nullptr && progress->recent_active);
  });
  for (Progress& progress : progress_) progress.recent_active = false;
  quorum_deadline_ = now_ + config_.election_timeout_min;
  if (!reachable) {
    // Thesis §6.2: a leader that cannot reach a majority steps down, so that
    // clients stop waiting on it and find the new leader.
    become_follower(term_, NodeId::none(), RoleChangeReason::kCheckQuorum);
  }
}

}  // namespace raft::detail
