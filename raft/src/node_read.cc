// SPDX-License-Identifier: Apache-2.0
// Linearizable reads without a log entry (thesis §6.4): the leader records its
// commit index as the read index, confirms it is still leader with one
// heartbeat round that a majority acknowledges, and the application serves the
// read once it has applied up to that index. Concurrent reads share one round.
// Followers forward reads to their leader. With ReadMode::kLease (§6.4.1) a
// leader whose lease holds skips the round.
//
// Batching is the point of ReadIndex (§6.4: the round's cost is amortised over
// many reads), so reads are kept and handed out in batches: the reads that
// arrive between two rounds form one ReadBatch, confirmed as a whole, and reach
// the application as one ReadState. Adding a read to the open batch is the only
// per-read work: a few checks and one push into a reused buffer.
#include <algorithm>

#include <fmt/format.h>

#include "node_impl.h"
#include "quorum.h"

// Keeps the rarer paths (followers, errors, leases) out of the leader's
// read_index() so that its fast path stays a few instructions without a
// register-saving prologue. GCC and Clang; other compilers may inline freely.
#if defined(__GNUC__) || defined(__clang__)
#define RAFT_READ_NOINLINE [[gnu::noinline]]
#else
#define RAFT_READ_NOINLINE
#endif

namespace raft {

// Defined here rather than with the other forwarders (node_api.cc) so that the
// leader's fast path below inlines into it: a read costs a few nanoseconds, of
// which a call level is a measurable share (bench/README.md).
Status Node::read_index(std::uint64_t request_id) { return impl_->read_index(request_id); }

}  // namespace raft

namespace raft::detail {

Status NodeImpl::read_index(std::uint64_t request_id) {
  RAFT_ASSERT(!ready_outstanding_);
  if (role_ != Role::kLeader || !health_.ok()) return read_index_slow(request_id);
  if (config_.read_mode == ReadMode::kLease && lease_valid()) {
    serve_lease_read(config_.id, request_id);
  } else {
    open_reads_.ids.push_back(request_id);
    joined_open_batch();
  }
  return {};
}

RAFT_READ_NOINLINE Status NodeImpl::read_index_slow(std::uint64_t request_id) {
  if (!health_.ok()) return health_;
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
  RAFT_ASSERT(role_ == Role::kLeader && from != config_.id);
  if (config_.read_mode == ReadMode::kLease && lease_valid()) {
    serve_lease_read(from, request_id);
    return;
  }
  open_reads_.forwarded.push_back(ForwardedRead{from, request_id});
  joined_open_batch();
}

void NodeImpl::joined_open_batch() {
  if (committed_in_term()) {
    // One index for the whole batch: the commit index at its latest read.
    // Linearizable for the earlier reads too: it is at least the commit index
    // at their arrival, it was committed before the round that confirms them
    // was sent, and that round confirms leadership after all of them arrived
    // (the reads take effect at the round's start, within each one's interval).
    open_reads_.index = log_.committed();
    open_reads_.index_known = true;
  }
  // Sent at the next ready() unless a round is already in flight: the reads
  // that arrive meanwhile share the round after it (batching).
  read_round_wanted_ = true;
}

RAFT_READ_NOINLINE void NodeImpl::serve_lease_read(NodeId from, std::uint64_t request_id) {
  // §6.4.1: no other leader can exist before the lease ends, so the commit
  // index is current now. Reads still waiting for a round are confirmed by
  // the same fact; release them first to keep the order.
  while (!read_batches_.empty()) {
    ReadBatch& batch = read_batches_.front();
    metrics_.reads_lease += batch.size();
    finish_batch(batch, batch.index_known ? batch.index : log_.committed(), ErrorCode::kOk, term_);
    pop_read_batch();
  }
  metrics_.reads_lease += open_reads_.size();
  finish_batch(open_reads_, log_.committed(), ErrorCode::kOk, term_);
  open_reads_.index_known = false;
  read_round_wanted_ = false;
  ++metrics_.reads_lease;
  if (from == config_.id) {
    emit_read(log_.committed(), ErrorCode::kOk, NodeId::none(), request_id);
  } else {
    send(from, ReadIndexReply{request_id, log_.committed(), true});
  }
}

void NodeImpl::handle_read_index_request(const Message& message, const ReadIndexRequest& request) {
  if (role_ != Role::kLeader) {
    send(message.from, ReadIndexReply{request.request_id, Index{}, false});
    return;
  }
  register_read(message.from, request.request_id);
}

void NodeImpl::handle_read_index_reply(const ReadIndexReply& reply) {
  // Replies come in the order the reads were forwarded, so this is the front
  // but after a lost or refused one.
  const auto it = std::ranges::find(forwarded_reads_, reply.request_id);
  if (it == forwarded_reads_.end()) return;  // Already failed (leader changed), or a duplicate.
  forwarded_reads_.erase(it);
  if (reply.success) {
    emit_read(reply.index, ErrorCode::kOk, NodeId::none(), reply.request_id);
  } else {
    ++metrics_.reads_failed;
    emit_read(Index{}, ErrorCode::kNotLeader, leader_, reply.request_id);
  }
}

void NodeImpl::start_heartbeat_round() {
  RAFT_ASSERT(role_ == Role::kLeader);
  ++round_;
  progress_of(config_.id).round_acked = round_;
  if (!open_reads_.empty()) {
    // The open batch closes: this round, sent after all its reads, confirms it.
    open_reads_.round = round_;
    read_batches_.push_back(std::move(open_reads_));
    open_reads_ = ReadBatch{};
    open_reads_.ids = take_read_ids();
  }
  read_round_wanted_ = false;
  if (config_.read_mode == ReadMode::kLease) {
    round_sent_.emplace_back(round_, now_);
    // Bounded anyway by check-quorum (a leader without a majority steps down
    // within two election timeouts); this only guards memory.
    if (round_sent_.size() > 4096) round_sent_.pop_front();
  }
}

std::uint64_t NodeImpl::quorum_round() {
  const Index round = quorum_index(
      membership(),
      [&](NodeId id) {
        const auto it = std::ranges::lower_bound(progress_, id, {}, &Progress::id);
        return it != progress_.end() && it->id == id ? Index{it->round_acked} : Index{};
      },
      quorum_scratch_);
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
  release_reads(acked);
}

void NodeImpl::release_reads(std::uint64_t acked) {
  // `acked` is the highest round a majority (of each half, when joint)
  // acknowledged: a batch whose round is at or below it is confirmed.
  while (!read_batches_.empty()) {
    ReadBatch& batch = read_batches_.front();
    if (!batch.index_known || batch.round > acked) break;
    metrics_.reads_read_index += batch.size();
    finish_batch(batch, batch.index, ErrorCode::kOk, term_);
    pop_read_batch();
  }
  // Reads that arrived after the last round need one of their own.
  if (!open_reads_.empty()) read_round_wanted_ = true;
}

void NodeImpl::on_leader_commit() {
  if (!committed_in_term()) return;
  // Reads that waited for the term's first commit (§6.4 step 1) learn their
  // index; later ones got it on arrival.
  if (!open_reads_.empty() && !open_reads_.index_known) {
    open_reads_.index = log_.committed();
    open_reads_.index_known = true;
  }
  bool assigned = false;
  for (ReadBatch& batch : read_batches_) {
    if (batch.index_known) continue;
    batch.index = log_.committed();
    batch.index_known = true;
    assigned = true;
  }
  if (assigned) release_reads(quorum_round());
}

void NodeImpl::finish_batch(ReadBatch& batch, Index index, ErrorCode error, Term term) {
  // Sent in the term the reads were registered in: a follower that moved on
  // to a newer term drops the reply, and has failed the read itself.
  for (const ForwardedRead& read : batch.forwarded) {
    send(read.from, ReadIndexReply{read.request_id, index, error == ErrorCode::kOk},
         /*after_persist=*/false, term);
  }
  batch.forwarded.clear();
  if (batch.ids.empty()) return;
  if (error != ErrorCode::kOk) metrics_.reads_failed += batch.ids.size();
  emit_reads(index, error, NodeId::none(), std::move(batch.ids));
  batch.ids = take_read_ids();
}

void NodeImpl::pop_read_batch() {
  recycle_read_ids(std::move(read_batches_.front().ids));
  read_batches_.pop_front();
}

void NodeImpl::emit_reads(Index index, ErrorCode error, NodeId hint,
                          std::vector<std::uint64_t>&& ids) {
  if (!ready_.reads.empty()) {
    ReadState& last = ready_.reads.back();
    if (last.index == index && last.error == error && last.leader_hint == hint) {
      last.request_ids.insert(last.request_ids.end(), ids.begin(), ids.end());
      recycle_read_ids(std::move(ids));
      return;
    }
  }
  ready_.reads.push_back(ReadState{std::move(ids), index, error, hint});
}

void NodeImpl::emit_read(Index index, ErrorCode error, NodeId hint, std::uint64_t id) {
  if (!ready_.reads.empty()) {
    ReadState& last = ready_.reads.back();
    if (last.index == index && last.error == error && last.leader_hint == hint) {
      last.request_ids.push_back(id);
      return;
    }
  }
  std::vector<std::uint64_t> ids = take_read_ids();
  ids.push_back(id);
  ready_.reads.push_back(ReadState{std::move(ids), index, error, hint});
}

std::vector<std::uint64_t> NodeImpl::take_read_ids() {
  if (spare_read_ids_.empty()) return {};
  std::vector<std::uint64_t> ids = std::move(spare_read_ids_.back());
  spare_read_ids_.pop_back();
  return ids;
}

void NodeImpl::recycle_read_ids(std::vector<std::uint64_t>&& ids) {
  // A few buffers cover the batches alive at once (open, sent, handed out);
  // an outsized one (a burst) is freed rather than kept forever.
  constexpr std::size_t kSpareBuffers = 8;
  constexpr std::size_t kSpareCapacityMax = std::size_t{1} << 16;
  if (ids.capacity() == 0 || ids.capacity() > kSpareCapacityMax ||
      spare_read_ids_.size() >= kSpareBuffers) {
    return;
  }
  ids.clear();
  spare_read_ids_.push_back(std::move(ids));
}

void NodeImpl::fail_leader_reads(Term term) {
  // A leader that steps down cannot confirm anything: every pending read is
  // failed, never dropped, so the client learns at once.
  while (!read_batches_.empty()) {
    finish_batch(read_batches_.front(), Index{}, ErrorCode::kNotLeader, term);
    pop_read_batch();
  }
  finish_batch(open_reads_, Index{}, ErrorCode::kNotLeader, term);
  open_reads_.index_known = false;
  read_round_wanted_ = false;
  read_round_in_flight_ = 0;
  round_sent_.clear();
  lease_expiry_ = Time{};
}

void NodeImpl::fail_forwarded_reads() {
  for (const std::uint64_t id : forwarded_reads_) {
    ++metrics_.reads_failed;
    emit_read(Index{}, ErrorCode::kNotLeader, leader_, id);
  }
  forwarded_reads_.clear();
}

void NodeImpl::reset_lease(std::uint64_t first_round) {
  lease_expiry_ = Time{};
  lease_round_min_ = first_round;
  round_sent_.clear();
}

}  // namespace raft::detail
