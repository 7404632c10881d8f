// SPDX-License-Identifier: Apache-2.0
// Leadership transfer (thesis §3.10): the leader stops taking proposals,
// brings the target's log up to date, then sends TimeoutNow so the target
// campaigns at once; it completes when the leader sees the target's newer
// term, or is given up after an election timeout.
#include <fmt/format.h>

#include "node_impl.h"

namespace raft::detail {

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
    // The most caught-up voter needs the shortest catch-up (ties: lowest id).
    const Progress* best = nullptr;
    for (const Progress& progress : progress_) {
      if (progress.id == config_.id || !membership_.is_voter(progress.id)) continue;
      if (best == nullptr || progress.match > best->match) best = &progress;
    }
    if (best == nullptr) return {ErrorCode::kInvalidArgument, "no other voter to hand over to"};
    target = best->id;
  }
  if (!is_voter(target)) {
    return {ErrorCode::kUnknownPeer,
            fmt::format("node {} is not a voter of this cluster", target.value())};
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
  transfer_target_ = NodeId::none();
  transfer_deadline_ = kTimeNever;
  timeout_now_sent_ = false;
  // Aborted before TimeoutNow: only rounds sent from now on may renew the lease.
  reset_lease(round_ + 1);
}

void NodeImpl::handle_timeout_now(const Message& message) {
  // Only a follower of the sender's term acts on it; anything else is stale.
  if (role_ != Role::kFollower || leader_ != message.from) return;
  // The leader vouches that our log is complete: skip pre-vote and campaign
  // now, with the flag that lets voters set their lease aside (§4.2.3).
  become_candidate(RoleChangeReason::kLeadershipTransfer);
}

}  // namespace raft::detail
