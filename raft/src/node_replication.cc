// SPDX-License-Identifier: Apache-2.0
// Log replication (Raft §5.3), commitment (§5.4.2), heartbeats (§5.2) and
// per-follower flow control.
#include <algorithm>

#include "node_impl.h"
#include "quorum.h"

namespace raft::detail {

Progress& NodeImpl::progress_of(NodeId id) {
  Progress* progress = find_progress(id);
  RAFT_ASSERT(progress != nullptr);
  return *progress;
}

Progress* NodeImpl::find_progress(NodeId id) noexcept {
  RAFT_ASSERT(role_ == Role::kLeader);
  const auto it = std::ranges::lower_bound(progress_, id, {}, &Progress::id);
  return it != progress_.end() && it->id == id ? &*it : nullptr;
}

Index NodeImpl::append_as_leader(EntryType type, Payload&& payload) {
  RAFT_ASSERT(role_ == Role::kLeader);
  uncommitted_bytes_ += payload.size() + Entry::kHeaderBytes;
  const Index index = log_.append(Entry{term_, log_.last_index().next(), type, std::move(payload)});
  // Sent at the next ready(): proposals made in between share one message.
  appends_pending_ = true;
  return index;
}

// ---------------------------------------------------------------------------
// Follower side.

void NodeImpl::heard_from_leader(NodeId leader) {
  // A (pre-)candidate that hears from the leader of its term gives up
  // (§5.2: "If the leader's term is at least as large ... returns to follower").
  if (role_ != Role::kFollower) {
    become_follower(term_, leader, RoleChangeReason::kLeaderDiscovered);
  }
  set_leader(leader);
  leader_contact_ = now_;
  reset_election_timer();
}

void NodeImpl::handle_append_request(const Message& message, AppendRequest&& request) {
  heard_from_leader(message.from);
  // §5.3: "Reply false if log doesn't contain an entry at prevLogIndex whose
  // term matches prevLogTerm."
  if (!log_.match_term(request.prev_log_index, request.prev_log_term)) {
    const Index probe = std::min(request.prev_log_index, log_.last_index());
    const auto [hint_index, hint_term] = log_.find_conflict_by_term(probe, request.prev_log_term);
    send(message.from,
         AppendReply{.success = false,
                     .index = request.prev_log_index,
                     .hint_index = hint_index,
                     .hint_term = hint_term,
                     .priority = config_.priority},
         /*after_persist=*/true);
    return;
  }
  const Index leader_commit = request.leader_commit;
  track_config_entries(request.entries);
  const Index last_new = log_.append_after(request.prev_log_index, std::move(request.entries));
  // §5.3: "If leaderCommit > commitIndex, set commitIndex =
  // min(leaderCommit, index of last new entry)" — only what this request
  // proved to match the leader's log.
  const Index commit = std::min(leader_commit, last_new);
  if (commit > log_.committed()) commit_to(commit);
  // Success promises the entries are durable: the reply waits for the persist.
  send(message.from,
       AppendReply{.success = true,
                   .index = last_new,
                   .hint_index = Index{},
                   .hint_term = Term{},
                   .priority = config_.priority},
       /*after_persist=*/true);
}

void NodeImpl::handle_heartbeat(const Message& message, const Heartbeat& heartbeat) {
  heard_from_leader(message.from);
  // The leader caps the commit index at what it knows we hold, so it names an
  // entry that matches the leader's log.
  const Index commit = std::min(heartbeat.commit, log_.last_index());
  if (commit > log_.committed()) commit_to(commit);
  send(message.from, HeartbeatReply{.round = heartbeat.round, .priority = config_.priority});
}

// ---------------------------------------------------------------------------
// Leader side.

void NodeImpl::handle_append_reply(const Message& message, const AppendReply& reply) {
  Progress* progress = &progress_of(message.from);
  progress->recent_active = true;
  progress->priority = reply.priority;
  if (reply.success) {
    const bool was_probing = progress->state == Progress::State::kProbe;
    if (progress->update_match(reply.index)) {
      if (was_probing) progress->become_replicate();
      if (progress->state == Progress::State::kSnapshot &&
          progress->match.next() >= log_.first_index()) {
        // A late acknowledgement shows the follower needs no snapshot after
        // all: give the transfer up (etcd does the same).
        progress->become_probe();
      }
      maybe_commit();
      // The commit may have brought in a membership that removed this peer
      // (its Progress is gone) or this leader (it stepped down).
      if (role_ != Role::kLeader) return;
      progress = find_progress(message.from);
      if (progress == nullptr) return;
    }
    maybe_send_timeout_now(*progress);
    if (progress->next <= log_.last_index() || progress->commit_sent < log_.committed()) {
      appends_pending_ = true;
    }
    return;
  }
  // Use the follower's hint to skip a whole term per round trip: find our
  // last entry at or below hint_index with a term <= hint_term.
  Index next_hint = reply.hint_index.next();
  if (reply.hint_term > Term{}) {
    next_hint = log_.find_conflict_by_term(reply.hint_index, reply.hint_term).first.next();
  }
  if (progress->decrease_next(reply.index, next_hint)) appends_pending_ = true;
}

void NodeImpl::handle_heartbeat_reply(const Message& message, const HeartbeatReply& reply) {
  Progress& progress = progress_of(message.from);
  progress.recent_active = true;
  progress.priority = reply.priority;
  if (reply.round > progress.round_acked) {
    progress.round_acked = reply.round;
    on_round_acked();
  }
  progress.probe_sent = false;
  if (progress.match < log_.last_index()) {
    // The follower may have lost appends; an append from `next` (perhaps
    // empty) makes it reject if so, and the leader falls back to probing.
    if (progress.state == Progress::State::kReplicate && progress.inflights.full()) {
      progress.inflights.free_first();
    }
    progress.send_pending = true;
    appends_pending_ = true;
  }
}

void NodeImpl::broadcast_heartbeat() {
  start_heartbeat_round();
  for (Progress& progress : progress_) {
    if (progress.id == config_.id) continue;
    // Never more than the follower is known to hold (etcd/raft): a commit
    // index past its log would name an entry it may not have.
    send(progress.id, Heartbeat{std::min(progress.match, log_.committed()), round_});
  }
  // A single voter is its own majority: the round is confirmed at once.
  on_round_acked();
}

void NodeImpl::flush_appends() {
  for (Progress& progress : progress_) {
    if (progress.id != config_.id) send_appends_to(progress);
  }
}

void NodeImpl::send_appends_to(Progress& progress) {
  if (progress.state == Progress::State::kSnapshot) {
    send_snapshot_chunks(progress);
    return;
  }
  // In replicate state, pipeline until caught up or the window is full;
  // a probe sends one.
  while (!progress.paused()) {
    const bool has_entries = progress.next <= log_.last_index();
    const bool commit_behind =
        progress.commit_sent < log_.committed() && progress.match >= progress.commit_sent;
    if (!has_entries && !commit_behind && !progress.send_pending) return;
    if (!send_append(progress)) return;
    if (progress.state == Progress::State::kProbe) return;
  }
}

bool NodeImpl::send_append(Progress& progress) {
  if (progress.next < log_.first_index()) {
    // Raft §7: the entries the follower needs next were discarded, so it gets
    // the snapshot instead. The others keep receiving appends meanwhile.
    if (start_snapshot(progress)) send_snapshot_chunks(progress);
    return false;
  }
  const Index prev = progress.next.prev();
  const Result<Term> prev_term = log_.term(prev);
  if (!prev_term.ok()) {
    fail(prev_term.status());
    return false;
  }
  AppendRequest request{prev, *prev_term, log_.committed(), {}};
  const Index last = log_.last_index();
  if (progress.next <= last) {
    if (Status status =
            log_.slice(progress.next, last.next(), config_.message_bytes_max, request.entries);
        !status.ok()) {
      fail(std::move(status));
      return false;
    }
  }
  const bool had_entries = !request.entries.empty();
  const Index sent_last = had_entries ? request.entries.back().index : prev;
  progress.sent(sent_last, had_entries);
  progress.commit_sent = log_.committed();
  progress.send_pending = false;
  send(progress.id, std::move(request));
  return true;
}

void NodeImpl::maybe_commit() {
  RAFT_ASSERT(role_ == Role::kLeader);
  // The highest index replicated on a majority (of both halves while joint,
  // thesis §4.3). Every voter has a Progress while this node leads.
  const Index candidate = quorum_index(
      membership_, [&](NodeId id) { return progress_of(id).match; }, quorum_scratch_);
  if (candidate <= log_.committed()) return;
  // §5.4.2: "only log entries from the leader's current term are committed by
  // counting replicas" — Figure 8 shows why older ones are not.
  const Result<Term> term = log_.term(candidate);
  RAFT_ASSERT(term.ok());
  if (*term != term_) return;
  appends_pending_ = true;  // Followers learn the new commit index.
  commit_to(candidate);
  // The commit may have taken a membership without this leader (§4.2.2).
  if (role_ == Role::kLeader) on_leader_commit();
}

}  // namespace raft::detail
