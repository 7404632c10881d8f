// SPDX-License-Identifier: Apache-2.0
// Membership changes (thesis §4): single-server changes (§4.1), joint
// consensus (§4.3) with automatic leave, learners (§4.2.1) and removing the
// leader (§4.2.2).
//
// A membership takes effect when its entry commits, as in etcd/raft, rather
// than when it is appended (the thesis's choice): a committed entry is never
// truncated, so no change ever has to be undone. The price is the rule that
// a leader starts no change while another is uncommitted, and none before it
// has committed an entry of its own term — without that rule a single-server
// change can lose a committed one after a leader change (Ongaro, raft-dev,
// "bug in single-server membership changes", 2015).
#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "node_impl.h"

namespace raft::detail {
namespace {

// The membership a new cluster starts with (Config::voters and learners).
Membership bootstrap_membership(const Config& config) {
  Membership membership{config.voters, {}, config.learners, false};
  std::ranges::sort(membership.voters);
  std::ranges::sort(membership.learners);
  return membership;
}

}  // namespace

void NodeImpl::restore_membership() {
  membership_ = bootstrap_membership(config_);
  membership_index_ = Index{};
  pending_configs_.clear();
  // A snapshot carries the membership as of its last entry (thesis §5.1).
  if (const SnapshotMeta snapshot = log_.stable_snapshot(); snapshot.index > Index{}) {
    membership_ = snapshot.membership;
    membership_index_ = snapshot.index;
  }
  // The log after the last snapshot may hold newer configurations; replay
  // them: those within the commit index take effect, the rest wait.
  constexpr std::size_t kScanBytes = std::size_t{1} << 20;
  std::vector<Entry> batch;
  for (Index from = log_.first_index(); from <= log_.last_index();) {
    batch.clear();
    if (Status status = log_.slice(from, log_.last_index().next(), kScanBytes, batch);
        !status.ok()) {
      fail(std::move(status));
      return;
    }
    RAFT_ASSERT(!batch.empty());
    for (const Entry& entry : batch) {
      if (entry.type != EntryType::kConfig) continue;
      Result<Membership> membership = decode_config(entry);
      if (!membership.ok()) return fail(membership.status());
      if (entry.index <= log_.committed()) {
        membership_ = std::move(*membership);
        membership_index_ = entry.index;
      } else {
        pending_configs_.push_back(PendingConfig{entry.index, entry.term, std::move(*membership)});
      }
    }
    from = batch.back().index.next();
  }
  sync_ballots();
}

Result<Membership> NodeImpl::decode_config(const Entry& entry) {
  RAFT_ASSERT(entry.type == EntryType::kConfig);
  Result<Membership> membership = decode_membership(entry.payload);
  if (!membership.ok()) {
    return Status{ErrorCode::kCorruption, fmt::format("log entry {}: {}", entry.index.value(),
                                                      membership.status().message())};
  }
  return membership;
}

Result<Membership> NodeImpl::membership_at(Index index) const {
  RAFT_ASSERT(index <= log_.committed());
  if (membership_index_ <= index) return membership_;
  // A newer membership committed since `index`: the one in force there is
  // the last kConfig entry at or before it, or else the snapshot's.
  const SnapshotMeta snapshot = log_.stable_snapshot();
  std::optional<Membership> found;
  constexpr std::size_t kScanBytes = std::size_t{1} << 20;
  std::vector<Entry> batch;
  for (Index from = std::max(log_.first_index(), snapshot.index.next()); from <= index;) {
    batch.clear();
    if (Status status = log_.slice(from, index.next(), kScanBytes, batch); !status.ok()) {
      return status;
    }
    RAFT_ASSERT(!batch.empty());
    for (const Entry& entry : batch) {
      if (entry.type != EntryType::kConfig) continue;
      Result<Membership> membership = decode_config(entry);
      if (!membership.ok()) return membership.status();
      found = std::move(*membership);
    }
    from = batch.back().index.next();
  }
  if (found) return *found;
  if (snapshot.index > Index{}) return snapshot.membership;
  return bootstrap_membership(config_);
}

void NodeImpl::adopt_snapshot_membership(const SnapshotMeta& meta) {
  // The install discarded the whole log, and with it any configuration
  // entries not yet committed.
  pending_configs_.clear();
  if (meta.membership == membership_) {
    membership_index_ = meta.index;
    return;
  }
  adopt_membership(meta.index, meta.membership);
}

void NodeImpl::track_config_entries(const std::vector<Entry>& entries) {
  // §5.3: "If an existing entry conflicts with a new one (same index but
  // different terms), delete the existing entry and all that follow it" —
  // and with them the configurations they carried. Without a conflict
  // nothing is truncated (a duplicate or reordered append), so nothing is
  // forgotten either.
  for (const Entry& entry : entries) {
    if (entry.index > log_.last_index()) break;
    const Result<Term> existing = log_.term(entry.index);
    if (existing.ok() && *existing != entry.term) {
      std::erase_if(pending_configs_,
                    [&](const PendingConfig& pending) { return pending.index >= entry.index; });
      break;
    }
  }
  for (const Entry& entry : entries) {
    if (entry.type != EntryType::kConfig || entry.index <= log_.committed()) continue;
    if (!pending_configs_.empty() && pending_configs_.back().index >= entry.index) continue;
    Result<Membership> membership = decode_config(entry);
    if (!membership.ok()) return fail(membership.status());
    pending_configs_.push_back(PendingConfig{entry.index, entry.term, std::move(*membership)});
  }
}

void NodeImpl::commit_to(Index index) {
  RAFT_ASSERT(index > log_.committed());
  emit(CommitAdvanced{log_.committed(), index});
  log_.commit_to(index);
  while (!pending_configs_.empty() && pending_configs_.front().index <= index) {
    PendingConfig pending = std::move(pending_configs_.front());
    pending_configs_.erase(pending_configs_.begin());
    adopt_membership(pending.index, std::move(pending.membership));
  }
}

void NodeImpl::adopt_membership(Index index, Membership membership) {
  const bool was_voter = is_voter(config_.id);
  membership_ = std::move(membership);
  membership_index_ = index;
  ++metrics_.membership_changes;
  emit(MembershipChanged{index, membership_});
  sync_ballots();
  if (role_ != Role::kLeader) {
    // A learner just promoted starts its election timer; a voter just
    // removed stops it (reset_election_timer checks which).
    if (was_voter != is_voter(config_.id)) reset_election_timer();
    return;
  }
  sync_progress();
  // A smaller majority may already have acknowledged the heartbeat round that
  // pending reads wait for (down to a single voter: no reply will ever come).
  on_round_acked();
  if (transfer_target_.valid() && !membership_.is_voter(transfer_target_)) {
    end_transfer(TransferChanged::Phase::kAborted);
  }
  maybe_leave_joint();
  step_down_if_removed();
}

void NodeImpl::maybe_leave_joint() {
  if (role_ != Role::kLeader || !membership_.joint() || !membership_.auto_leave ||
      !pending_configs_.empty()) {
    return;
  }
  // Thesis §4.3: once C_old,new is committed the leader moves on to C_new.
  // A new leader that finds the joint configuration committed does the same.
  Result<Membership> leave = next_membership(membership_, {}, MembershipTransition::kAuto);
  RAFT_ASSERT(leave.ok());
  const Index index = append_as_leader(EntryType::kConfig, encode_membership(*leave));
  pending_configs_.push_back(PendingConfig{index, term_, std::move(*leave)});
}

void NodeImpl::step_down_if_removed() {
  if (role_ != Role::kLeader || is_voter(config_.id)) return;
  // Thesis §4.2.2: a leader that is not part of the committed configuration
  // steps down. Rather than leave the cluster to wait for an election
  // timeout, it first hands over to the most caught-up remaining voter
  // (§3.10): it keeps leading — without taking proposals — only until that
  // voter holds its log and campaigns. If the handover does not happen
  // within election_timeout_min, tick() steps down anyway.
  if (!transfer_target_.valid()) (void)transfer_leadership(NodeId::none());
}

void NodeImpl::sync_progress() {
  RAFT_ASSERT(role_ == Role::kLeader || progress_.empty());
  const std::vector<NodeId> members = membership_.members();
  std::erase_if(progress_, [&](const Progress& progress) {
    if (progress.id == config_.id || std::ranges::binary_search(members, progress.id)) {
      return false;
    }
    // A last word to a removed member: the commit index, so that if it holds
    // the entry that removed it, it learns it is out and stops campaigning.
    // Best effort; pre-vote and the leader lease (thesis §4.2.3) cover the rest.
    send(progress.id, Heartbeat{std::min(progress.match, log_.committed())});
    return true;
  });
  const Index next = log_.last_index().next();
  for (const NodeId id : members) {
    const auto at = std::ranges::lower_bound(progress_, id, {}, &Progress::id);
    if (at != progress_.end() && at->id == id) continue;
    // A new member starts in probe state at our log's end and backs off
    // from there (§5.3), like every follower of a new leader.
    progress_.emplace(at, id, next, config_.inflight_messages_max);
    appends_pending_ = true;
  }
  if (!std::ranges::binary_search(members, config_.id) && role_ == Role::kLeader) {
    RAFT_ASSERT(find_progress(config_.id) != nullptr);  // Kept until it steps down.
  }
}

void NodeImpl::sync_ballots() {
  std::vector<NodeId> voters = membership_.voters;
  for (const NodeId id : membership_.outgoing_voters) {
    const auto at = std::ranges::lower_bound(voters, id);
    if (at == voters.end() || *at != id) voters.insert(at, id);
  }
  // Keep the answers already received from voters that remain.
  std::vector<Ballot> ballots(voters.size(), Ballot::kNone);
  for (std::size_t i = 0; i < voters.size(); ++i) {
    const auto old = std::ranges::lower_bound(ballot_voters_, voters[i]);
    if (old != ballot_voters_.end() && *old == voters[i]) {
      ballots[i] = ballots_[static_cast<std::size_t>(old - ballot_voters_.begin())];
    }
  }
  ballot_voters_ = std::move(voters);
  ballots_ = std::move(ballots);
}

Result<Index> NodeImpl::propose_membership_change(std::span<const MembershipChange> changes,
                                                  MembershipTransition transition) {
  if (Status status = check_can_append(); !status.ok()) return status;
  if (!pending_configs_.empty()) {
    return Status{ErrorCode::kConfigChangeInProgress,
                  fmt::format("the membership change at index {} has not committed yet",
                              pending_configs_.back().index.value())};
  }
  if (membership_.joint() && membership_.auto_leave) {
    return Status{ErrorCode::kConfigChangeInProgress,
                  "the joint configuration is being left automatically"};
  }
  const Result<Term> commit_term = log_.term(log_.committed());
  if (!commit_term.ok() || *commit_term != term_) {
    // See the file comment: a change before the leader's first commit could
    // overlap an uncommitted change of an earlier leader.
    return Status{ErrorCode::kConfigChangeInProgress,
                  "this leader has not committed an entry of its term yet; retry shortly"};
  }
  Result<Membership> next = next_membership(membership_, changes, transition);
  if (!next.ok()) return next.status();
  const Index index = append_as_leader(EntryType::kConfig, encode_membership(*next));
  pending_configs_.push_back(PendingConfig{index, term_, std::move(*next)});
  return index;
}

}  // namespace raft::detail
