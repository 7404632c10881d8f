// SPDX-License-Identifier: Apache-2.0
// Linearizable reads without a log entry (thesis §6.4): the leader records its
// commit index as the read index, confirms it is still leader with one
// heartbeat round that a majority acknowledges, and the application serves the
// read once it has applied up to that index. Concurrent reads share one round.
// Followers forward reads to their leader. With ReadMode::kLease (§6.4.1) a
// leader whose lease holds skips the round.
#include <algorithm>

#include <fmt/format.h>

#include "node_impl.h"
#include "quorum.h"

namespace raft::detail {

Status NodeImpl::read_index(std::uint64_t request_id) {
  RAFT_ASSERT(!ready_outstanding_);
  if (!health_.ok()) return health_;
  if (role_ == Role::kLeader) {
    register_read(config_.id, request_id);
    return {};
  }
  if (!leader_.valid()) return Status::not_leader(leader_);
  // Thesis §6.4: "followers could also help serve read-only queries": the
  // leader confirms and returns its read index; we wait until we applied it.
  forwarded_reads_.push_back(request_id);
  ++metrics_.reads_forwarded;
  send(leader_, ReadIndexRequest{request_id});
  return {};
}

bool NodeImpl::committed_in_term() const {
  // §6.4 step 1: until the leader commits an entry of its own term (the no-op
  // of §8, at term_start_), it does not know the latest commit index.
  return role_ == Role::kLeader && log_.committed() >= term_start_;
}

bool NodeImpl::lease_valid() const {
  return config_.read_mode == ReadMode::kLease && role_ == Role::kLeader && now_ < lease_expiry_ &&
         !transfer_target_.valid() && !lease_forfeited_ && committed_in_term();
}

void NodeImpl::register_read(NodeId from, std::uint64_t request_id) {
  RAFT_ASSERT(role_ == Role::kLeader);
  if (lease_valid()) {
    // §6.4.1: no other leader can exist before the lease ends, so the commit
    // index is current now. Reads still waiting for a round are confirmed by
    // the same fact; release them first to keep the order.
    while (!reads_.empty()) {
      const PendingRead read = reads_.front();
      reads_.pop_front();
      ++metrics_.reads_lease;
      finish_read(read.from, read.request_id, read.index, {}, term_);
    }
    read_round_wanted_ = false;
    ++metrics_.reads_lease;
    finish_read(from, request_id, log_.committed(), {}, term_);
    return;
  }
  const bool known = committed_in_term();
  reads_.push_back(PendingRead{from, request_id, known ? log_.committed() : Index{}, known, 0});
  // Sent at the next ready() unless a round is already in flight: the reads
  // that arrive meanwhile share the round after it (batching).
  read_round_wanted_ = true;
}

void NodeImpl::handle_read_index_request(const Message& message, const ReadIndexRequest& request) {
  if (role_ != Role::kLeader) {
    send(message.from, ReadIndexReply{request.request_id, Index{}, false});
    return;
  }
  register_read(message.from, request.request_id);
}

void NodeImpl::handle_read_index_reply(const ReadIndexReply& reply) {
  const auto it = std::ranges::find(forwarded_reads_, reply.request_id);
  if (it == forwarded_reads_.end()) return;  // Already failed (leader changed), or a duplicate.
  forwarded_reads_.erase(it);
  if (!reply.success) ++metrics_.reads_failed;
  ready_.reads.push_back(ReadState{reply.request_id, reply.index,
                                   reply.success ? Status{} : Status::not_leader(leader_)});
}

void NodeImpl::start_heartbeat_round() {
  RAFT_ASSERT(role_ == Role::kLeader);
  ++round_;
  progress_of(config_.id).round_acked = round_;
  for (PendingRead& read : reads_) {
    if (read.round == 0) read.round = round_;
  }
  read_round_wanted_ = false;
  if (config_.read_mode == ReadMode::kLease) {
    round_sent_.emplace_back(round_, now_);
    // Bounded anyway by check-quorum (a leader without a majority steps down
    // within two election timeouts); this only guards memory.
    if (round_sent_.size() > 4096) round_sent_.pop_front();
  }
}

std::uint64_t NodeImpl::quorum_round() const {
  std::vector<Index> scratch;
  const Index round = quorum_index(
      membership(),
      [&](NodeId id) {
        const auto it = std::ranges::lower_bound(progress_, id, {}, &Progress::id);
        return it != progress_.end() && it->id == id ? Index{it->round_acked} : Index{};
      },
      scratch);
  return round.value();
}

void NodeImpl::on_round_acked() {
  RAFT_ASSERT(role_ == Role::kLeader);
  const std::uint64_t acked = quorum_round();
  if (read_round_in_flight_ != 0 && acked >= read_round_in_flight_) read_round_in_flight_ = 0;
  if (config_.read_mode == ReadMode::kLease) {
    // §6.4.1: a majority acknowledged the round sent at `sent`: none of them
    // votes for another candidate before sent + election_timeout_min (on
    // their clocks, hence the drift allowance).
    while (!round_sent_.empty() && round_sent_.front().first <= acked) {
      const auto [round, sent] = round_sent_.front();
      round_sent_.pop_front();
      if (round != acked || round < lease_round_min_) continue;
      const Time expiry = sent + config_.election_timeout_min - config_.clock_drift_max;
      lease_expiry_ = std::max(lease_expiry_, expiry);
    }
  }
  release_reads();
}

void NodeImpl::release_reads() {
  std::uint64_t confirmed = 0;  // The highest round known to have a majority.
  ready_.reads.reserve(ready_.reads.size() + reads_.size());
  while (!reads_.empty()) {
    const PendingRead& read = reads_.front();
    if (!read.index_known || read.round == 0) break;
    if (read.round > confirmed) {
      const std::uint64_t round = read.round;
      const bool acked = has_quorum(membership(), [&](NodeId id) {
        const auto it = std::ranges::lower_bound(progress_, id, {}, &Progress::id);
        return it != progress_.end() && it->id == id && it->round_acked >= round;
      });
      if (!acked) break;
      confirmed = round;
    }
    const PendingRead done = read;
    reads_.pop_front();
    ++metrics_.reads_read_index;
    finish_read(done.from, done.request_id, done.index, {}, term_);
  }
  // Reads that arrived after the last round need one of their own.
  if (!reads_.empty() && reads_.back().round == 0) read_round_wanted_ = true;
}

void NodeImpl::on_leader_commit() {
  if (reads_.empty() || !committed_in_term()) return;
  bool assigned = false;
  for (PendingRead& read : reads_) {
    if (read.index_known) continue;
    read.index = log_.committed();
    read.index_known = true;
    assigned = true;
  }
  if (assigned) release_reads();
}

void NodeImpl::finish_read(NodeId from, std::uint64_t request_id, Index index, Status status,
                           Term term) {
  if (from == config_.id) {
    if (!status.ok()) ++metrics_.reads_failed;
    ready_.reads.push_back(ReadState{request_id, index, std::move(status)});
    return;
  }
  // Sent in the term the read was registered in: a follower that moved on to
  // a newer term drops it, and has failed the read itself.
  send(from, ReadIndexReply{request_id, index, status.ok()}, /*after_persist=*/false, term);
}

void NodeImpl::fail_leader_reads(Term term) {
  // A leader that steps down cannot confirm anything: every pending read is
  // failed, never dropped, so the client learns at once.
  while (!reads_.empty()) {
    const PendingRead read = reads_.front();
    reads_.pop_front();
    finish_read(read.from, read.request_id, Index{}, Status::not_leader(NodeId::none()), term);
  }
  read_round_wanted_ = false;
  read_round_in_flight_ = 0;
  round_sent_.clear();
  lease_expiry_ = Time{};
}

void NodeImpl::fail_forwarded_reads() {
  for (const std::uint64_t id : forwarded_reads_) {
    ++metrics_.reads_failed;
    ready_.reads.push_back(ReadState{id, Index{}, Status::not_leader(leader_)});
  }
  forwarded_reads_.clear();
}

void NodeImpl::reset_lease(std::uint64_t first_round) {
  lease_expiry_ = Time{};
  lease_round_min_ = first_round;
  round_sent_.clear();
}

}  // namespace raft::detail
