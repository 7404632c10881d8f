// SPDX-License-Identifier: Apache-2.0
// Leadership transfer (thesis §3.10): the leader stops taking proposals,
// brings the target's log up to date, then sends TimeoutNow so the target
// campaigns at once; it completes when the leader sees the target's newer
// term, or is given up after an election timeout.
#include <algorithm>

#include <fmt/format.h>

#include "node_impl.h"

namespace raft::detail {
namespace {

// A priority handover that did not stick doubles the wait before the next, up
// to 2^this election timeouts.
constexpr std::uint32_t kHandoverDoublingsMax = 6;

}  // namespace

Status NodeImpl::transfer_leadership(NodeId target) {
  RAFT_ASSERT(!ready_outstanding_);
  if (!health_.ok()) return health_;
  if (role_ != Role::kLeader) return Status::not_leader(leader_);
  if (transfer_target_.valid()) {
    return {
        ErrorCode::kInvalidArgument,
        fmt::format("a leadership transfer to node {} is in progress", transfer_target_.value())};
  }
  if (target == config_.id) return {};  // Already leads.
  if (!target.valid()) {
    // The most caught-up voter needs the shortest catch-up (ties: the higher
    // priority, then the lowest id). A priority-0 voter would never campaign.
    const auto rank = [](const Progress& progress) { return progress.priority.value_or(1); };
    const Progress* best = nullptr;
    for (const Progress& progress : progress_) {
      if (progress.id == config_.id || !membership_.is_voter(progress.id)) continue;
      if (rank(progress) == 0) continue;
      if (best == nullptr || progress.match > best->match ||
          (progress.match == best->match && rank(progress) > rank(*best))) {
        best = &progress;
      }
    }
    if (best == nullptr) return {ErrorCode::kInvalidArgument, "no other voter to hand over to"};
    target = best->id;
  }
  if (!is_voter(target)) {
    return {ErrorCode::kUnknownPeer,
            fmt::format("node {} is not a voter of this cluster", target.value())};
  }
  if (const Progress* progress = find_progress(target);
      progress != nullptr && progress->priority == std::uint32_t{0}) {
    return {ErrorCode::kInvalidArgument,
            fmt::format("node {} has priority 0: it never campaigns, so it cannot take over",
                        target.value())};
  }
  transfer_target_ = target;
  transfer_deadline_ = now_ + config_.election_timeout_min;
  // Thesis §3.10 / §6.4.1: the target's campaign sets the voters' lease aside
  // (VoteRequest::leadership_transfer), so ours ends here; reads take
  // ReadIndex rounds until the transfer ends.
  reset_lease(~std::uint64_t{0});
  timeout_now_sent_ = false;
  emit(TransferChanged{target, TransferChanged::Phase::kStarted});
  Progress& progress = progress_of(target);
  maybe_send_timeout_now(progress);
  if (!timeout_now_sent_) {
    progress.send_pending = true;  // Catch the target up first.
    appends_pending_ = true;
  }
  return {};
}

void NodeImpl::maybe_send_timeout_now(Progress& progress) {
  RAFT_ASSERT(role_ == Role::kLeader);
  if (progress.id != transfer_target_ || timeout_now_sent_) return;
  // §3.10: only once the target's log matches ours can it win with
  // everything we committed.
  if (progress.match != log_.last_index()) return;
  // A removed leader will not hear how its entries end once it is gone, so
  // it hands over only when all of them are applied here: its clients get
  // their answers (thesis §4.2.2).
  if (!is_voter(config_.id) && log_.applied() < log_.last_index()) return;
  timeout_now_sent_ = true;
  // The target may win votes that ignore our lease at any time from now on
  // (its VoteRequests can be delayed): no lease for the rest of this term.
  lease_forfeited_ = true;
  send(progress.id, TimeoutNow{});
  if (!is_voter(config_.id)) {
    // A removed leader (thesis §4.2.2) will not hear the target's new term:
    // the target campaigns among the new voters only. Its job is done.
    become_follower(term_, NodeId::none(), RoleChangeReason::kRemoved);
  }
}

void NodeImpl::end_transfer(TransferChanged::Phase phase) {
  if (!transfer_target_.valid()) return;
  RAFT_ASSERT(phase != TransferChanged::Phase::kStarted);
  emit(TransferChanged{transfer_target_, phase});
  if (priority_transfer_) {
    // A target that takes over ends the matter (set_leader). One that cannot
    // win (it hears us, the voters do not hear it) would have leadership
    // bounce back and forth, each attempt refusing writes for up to an
    // election timeout: wait election_timeout_min before the next attempt,
    // doubling with each attempt that did not stick.
    priority_transfer_ = false;
    const std::uint32_t doublings = std::min(handover_attempts_, kHandoverDoublingsMax);
    handover_not_before_ = now_ + config_.election_timeout_min * (Duration::rep{1} << doublings);
    handover_attempts_ = std::min(handover_attempts_ + 1, kHandoverDoublingsMax);
  }
  transfer_target_ = NodeId::none();
  transfer_deadline_ = kTimeNever;
  timeout_now_sent_ = false;
  // Aborted before TimeoutNow: only rounds sent from now on may renew the lease.
  reset_lease(round_ + 1);
}

void NodeImpl::handle_timeout_now(const Message& message) {
  // Only a follower of the sender's term acts on it; anything else is stale.
  if (role_ != Role::kFollower || leader_ != message.from) return;
  // A priority-0 node never leads; the leader's transfer aborts on its deadline.
  if (!may_lead()) return;
  // Nor does a node the membership no longer counts as a voter: the request
  // may have crossed the change that removed it (thesis §4.2.2).
  if (!is_voter(config_.id)) return;
  // The leader vouches that our log is complete: skip pre-vote and campaign
  // now, with the flag that lets voters set their lease aside (§4.2.3).
  become_candidate(RoleChangeReason::kLeadershipTransfer);
}

}  // namespace raft::detail

namespace raft::detail {

void NodeImpl::maybe_hand_over() {
  RAFT_ASSERT(role_ == Role::kLeader);
  if (transfer_target_.valid() || now_ < handover_not_before_) return;
  // A leader being removed hands over by its own rule (thesis §4.2.2).
  if (!is_voter(config_.id)) return;
  // Until this term committed an entry, "every committed entry" is not known
  // here (Raft §8), and a fresh leader first serves what waited for it.
  if (!committed_in_term()) return;
  const Progress* best = nullptr;
  for (const Progress& progress : progress_) {
    if (progress.id == config_.id || !is_voter(progress.id)) continue;
    const std::uint32_t priority = progress.priority.value_or(0);
    if (priority <= config_.priority) continue;
    // Alive: it acknowledged one of the last two heartbeat rounds. A crashed
    // target would cost an election timeout without writes.
    if (progress.round_acked + 1 < round_) continue;
    // Caught up: it holds every committed entry and replicates normally. The
    // transfer brings it to our last index before TimeoutNow (thesis §3.10).
    if (progress.state != Progress::State::kReplicate) continue;
    if (progress.match < log_.committed()) continue;
    if (best == nullptr || priority > best->priority.value_or(0)) best = &progress;
  }
  if (best == nullptr) return;
  const NodeId target = best->id;
  RAFT_ASSERT(target != config_.id);
  const Status started = transfer_leadership(target);
  RAFT_ASSERT_MSG(started.ok(), "a caught-up voter of higher priority is a valid target");
  ++metrics_.priority_handovers;
  handover_target_ = target;
  priority_transfer_ = true;
}

}  // namespace raft::detail
