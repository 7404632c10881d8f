// SPDX-License-Identifier: Apache-2.0
// Snapshots and log compaction (thesis §5.1, Raft §7): the application hands
// in a snapshot and the log behind it is discarded; a follower that needs
// entries the leader discarded receives the snapshot in chunks.
//
// Memory stays bounded on both sides: the leader reads one chunk at a time
// from storage (LogReader::read_snapshot) and keeps at most
// snapshot_chunks_inflight_max of them in flight; the follower hands each
// chunk to the driver to write (Ready::snapshot_chunks) and keeps only an offset.
#include <algorithm>

#include <fmt/format.h>

#include "node_impl.h"

namespace raft::detail {

// ---------------------------------------------------------------------------
// The application's side: taking snapshots, compacting the log.

Result<SnapshotMeta> NodeImpl::snapshot_meta(Index index) const {
  if (!health_.ok()) return health_;
  if (index == Index{}) {
    return Status{ErrorCode::kInvalidArgument, "a snapshot at index 0 covers nothing"};
  }
  // Thesis §5.1: a snapshot captures the state machine, so only applied
  // entries can be in it.
  if (index > log_.applied()) {
    return Status{ErrorCode::kInvalidArgument,
                  fmt::format("a snapshot at {} is past the applied index {}", index.value(),
                              log_.applied().value())};
  }
  if (log_.pending_snapshot()) {
    return Status{ErrorCode::kInvalidArgument,
                  fmt::format("a snapshot from the leader (at {}) is being installed",
                              log_.pending_snapshot()->index.value())};
  }
  const SnapshotMeta current = log_.stable_snapshot();
  if (index < current.index) {
    return Status{ErrorCode::kInvalidArgument,
                  fmt::format("a snapshot at {} is older than the current snapshot at {}",
                              index.value(), current.index.value())};
  }
  Result<Term> term = index == current.index ? Result<Term>{current.term} : log_.term(index);
  if (!term.ok()) return term.status();
  // Thesis §5.1 keeps "the latest configuration as of the last included index".
  Result<Membership> membership = membership_at(index);
  if (!membership.ok()) return membership.status();
  return SnapshotMeta{index, *term, std::move(*membership)};
}

Status NodeImpl::snapshot_taken(Index index) {
  RAFT_ASSERT(!ready_outstanding_);
  const SnapshotMeta stored = log_.stable_snapshot();
  if (stored.index != index) {
    return Status{ErrorCode::kInvalidArgument,
                  fmt::format("storage holds the snapshot at {}, not at {}: store the snapshot "
                              "before calling snapshot_taken",
                              stored.index.value(), index.value())};
  }
  Result<SnapshotMeta> expected = snapshot_meta(index);
  if (!expected.ok()) return expected.status();
  if (stored.term != expected->term) {
    return Status{ErrorCode::kInvalidArgument,
                  fmt::format("the stored snapshot at {} has term {}, but the log's entry there "
                              "has term {}",
                              index.value(), stored.term.value(), expected->term.value())};
  }
  // Keep a trailing window of entries (etcd's SnapshotCatchUpEntries): a
  // follower a little behind then catches up from the log, not the snapshot.
  const std::uint64_t trailing = config_.snapshot_trailing_entries;
  if (index.value() > trailing) {
    const Index target = index - trailing;
    const Index floor = std::max(compact_to_, log_.first_index().prev());
    // index <= applied <= persisted: nothing discarded is still unstable.
    RAFT_ASSERT(target <= log_.persisted_index());
    if (target > floor) compact_to_ = target;
  }
  emit(SnapshotChanged{SnapshotChanged::Phase::kTaken, NodeId::none(), index, stored.term});
  return {};
}

// ---------------------------------------------------------------------------
// Follower side: receiving and installing (thesis §5.1, Figure 5.3).

void NodeImpl::handle_install_snapshot(const Message& message, InstallSnapshot&& chunk) {
  heard_from_leader(message.from);
  const SnapshotMeta& meta = chunk.meta;
  const std::uint64_t chunk_end = chunk.offset + chunk.data.size();
  // Every answer waits for the persist: "done" promises that the state up to
  // meta.index is durable here, and the leader counts it toward commitment.
  const auto reply = [&](std::uint64_t next_offset, bool done, bool rejected) {
    send(message.from, InstallSnapshotReply{meta.index, next_offset, done, rejected},
         /*after_persist=*/true);
  };

  // Figure 5.3: "If existing log entry has same index and term as snapshot's
  // last included entry, retain log entries following it and reply." A log
  // matching there (Log Matching, §5.3) or a commit index at or past it
  // (State Machine Safety, §5.4.3) already holds everything the snapshot
  // covers: a stale, duplicate or unneeded snapshot is acknowledged, not
  // installed, and the commit index moves up to it (it is committed).
  if (meta.index <= log_.committed() || log_.match_term(meta.index, meta.term)) {
    if (receiving_ && receiving_->index <= meta.index) receiving_.reset();
    // Through commit_to, so that memberships committed with it take effect.
    if (meta.index > log_.committed()) commit_to(meta.index);
    reply(chunk_end, /*done=*/true, /*rejected=*/false);
    return;
  }

  // A transfer is identified by its sender and snapshot: chunks of another
  // one (a new leader's, or a newer snapshot) start over at offset 0. The same
  // leader re-elected resumes where it left off.
  const bool same = receiving_ && receiving_->from == message.from &&
                    receiving_->index == meta.index && receiving_->term == meta.term &&
                    receiving_->total == chunk.total_bytes;
  if (!same) {
    if (chunk.offset != 0) {
      reply(0, /*done=*/false, /*rejected=*/true);
      return;
    }
    receiving_ = SnapshotReceipt{message.from, meta.index, meta.term, chunk.total_bytes, 0};
  }
  if (chunk.offset != receiving_->next_offset) {
    // A duplicate (below) or a chunk after a lost one (above): write nothing
    // and say where to go on from. Only a gap asks for a resend.
    reply(receiving_->next_offset, /*done=*/false,
          /*rejected=*/chunk.offset > receiving_->next_offset);
    return;
  }
  if (chunk_end > receiving_->total || (chunk.done && chunk_end != receiving_->total)) {
    // A leader's storage that changed under the transfer: start over.
    receiving_.reset();
    reply(0, /*done=*/false, /*rejected=*/true);
    return;
  }
  ready_.snapshot_chunks.push_back(
      SnapshotChunk{meta.index, meta.term, chunk.offset, std::move(chunk.data)});
  ++metrics_.snapshot_chunks_received;
  receiving_->next_offset = chunk_end;
  if (!chunk.done) {
    reply(chunk_end, /*done=*/false, /*rejected=*/false);
    return;
  }
  receiving_.reset();
  // Figure 5.3: "Discard the entire log; reset state machine using snapshot
  // contents." The snapshot's entries are committed (a leader snapshots only
  // applied state).
  const Index old_commit = log_.committed();
  log_.restore(meta);
  adopt_snapshot_membership(meta);
  compact_to_ = Index{};  // The install discards more than any compaction.
  emit(CommitAdvanced{old_commit, meta.index});
  emit(SnapshotChanged{SnapshotChanged::Phase::kInstalled, message.from, meta.index, meta.term});
  reply(chunk_end, /*done=*/true, /*rejected=*/false);
}

// ---------------------------------------------------------------------------
// Leader side: sending in chunks.

bool NodeImpl::start_snapshot(Progress& progress) {
  const SnapshotMeta meta = log_.stable_snapshot();
  if (meta.index == Index{} || meta.index.next() < log_.first_index()) {
    // A snapshot being installed here is not in storage yet; otherwise the
    // storage discarded entries no snapshot covers.
    if (!log_.pending_snapshot()) {
      fail(Status{
          ErrorCode::kCompacted,
          fmt::format("node {} needs entry {}, which was compacted, and no snapshot "
                      "covers it (the log starts at {})",
                      progress.id.value(), progress.next.value(), log_.first_index().value())});
    }
    return false;
  }
  progress.become_snapshot(meta.index, meta.term, log_.stable().snapshot_size());
  emit(SnapshotChanged{SnapshotChanged::Phase::kSending, progress.id, meta.index, meta.term});
  return true;
}

void NodeImpl::send_snapshot_chunks(Progress& progress) {
  RAFT_ASSERT(progress.state == Progress::State::kSnapshot);
  {
    const SnapshotMeta stored = log_.stable_snapshot();
    if (stored.index != progress.snapshot.index || stored.term != progress.snapshot.term) {
      // Storage keeps one snapshot and the application replaced it: send the
      // new one (the follower starts over at offset 0).
      if (!start_snapshot(progress)) return;
    }
  }
  SnapshotTransfer& transfer = progress.snapshot;
  const std::uint64_t window =
      std::uint64_t{config_.snapshot_chunks_inflight_max} * config_.snapshot_chunk_bytes;
  std::optional<SnapshotMeta> meta;
  while (!transfer.done_sent && transfer.sent - transfer.acked < window) {
    if (!meta) meta = log_.stable_snapshot();
    std::vector<std::byte> data;
    if (transfer.sent < transfer.total) {
      data.reserve(
          std::min<std::uint64_t>(config_.snapshot_chunk_bytes, transfer.total - transfer.sent));
      if (Status status =
              log_.stable().read_snapshot(transfer.sent, config_.snapshot_chunk_bytes, data);
          !status.ok()) {
        fail(std::move(status));
        return;
      }
      if (data.empty() || data.size() > config_.snapshot_chunk_bytes) {
        fail(Status{ErrorCode::kCorruption,
                    fmt::format("storage returned {} bytes of the snapshot at offset {} of {}",
                                data.size(), transfer.sent, transfer.total)});
        return;
      }
    }
    const std::uint64_t offset = transfer.sent;
    const std::uint64_t size = data.size();
    const bool done = offset + size >= transfer.total;
    ++metrics_.snapshot_chunks_sent;
    metrics_.snapshot_bytes_sent += size;
    if (offset < transfer.sent_max) ++metrics_.snapshot_chunks_resent;
    transfer.sent = offset + size;
    transfer.sent_max = std::max(transfer.sent_max, transfer.sent);
    transfer.done_sent = done;
    send(progress.id,
         InstallSnapshot{*meta, offset, Payload{std::move(data)}, done, transfer.total});
  }
}

void NodeImpl::handle_install_snapshot_reply(const Message& message,
                                             const InstallSnapshotReply& reply) {
  Progress& progress = progress_of(message.from);
  progress.recent_active = true;
  const bool current = progress.state == Progress::State::kSnapshot &&
                       reply.snapshot_index == progress.snapshot.index;
  if (reply.done) {
    // The follower holds the state up to snapshot_index (installed, or its
    // log matched there): it counts toward commitment like an append.
    if (current) {
      emit(SnapshotChanged{SnapshotChanged::Phase::kSent, progress.id, progress.snapshot.index,
                           progress.snapshot.term});
    }
    const bool updated = progress.update_match(reply.snapshot_index);
    if (progress.state == Progress::State::kSnapshot &&
        progress.match.next() >= log_.first_index()) {
      // Back to appends from the entry after the snapshot (etcd: Snapshot ->
      // Probe): the first that matches moves the follower to Replicate.
      progress.become_probe();
    }
    if (updated) maybe_commit();
    appends_pending_ = true;
    return;
  }
  if (!current) return;  // About a transfer given up since.
  SnapshotTransfer& transfer = progress.snapshot;
  // Any answer about this transfer shows the follower and the link alive: the
  // resend timer (snapshot_timeouts) waits for silence, not for slow progress
  // (answers to duplicates queued behind a slow link move nothing).
  transfer.progressed = true;
  if (reply.next_offset > transfer.acked) {
    // Chunks written: slide the window (or resume further on, when the
    // follower already held part of the snapshot from this leader).
    transfer.acked = std::min(reply.next_offset, transfer.total);
    transfer.rewound = false;
    if (transfer.sent < transfer.acked) {
      transfer.sent = transfer.acked;
      transfer.done_sent = false;
    }
    appends_pending_ = true;
  } else if (reply.rejected && !transfer.rewound && reply.next_offset < transfer.sent) {
    // A lost chunk (go-back-N), or a follower that lost its partial snapshot
    // (restart: next_offset 0): resend from where it asks. Rejections of the
    // other chunks already in flight are stale until the window moves.
    transfer.acked = reply.next_offset;
    transfer.sent = reply.next_offset;
    transfer.done_sent = false;
    transfer.rewound = true;
    appends_pending_ = true;
  }
}

void NodeImpl::snapshot_timeouts() {
  for (Progress& progress : progress_) {
    if (progress.state != Progress::State::kSnapshot) continue;
    SnapshotTransfer& transfer = progress.snapshot;
    const bool outstanding = transfer.sent > transfer.acked || transfer.done_sent;
    if (transfer.progressed || !outstanding) {
      transfer.progressed = false;
      transfer.idle_ticks = 0;
      continue;
    }
    if (++transfer.idle_ticks < transfer.patience) continue;
    // No answer for `patience` heartbeat intervals: a chunk or its answer was
    // lost, or the link is slower than the patience allows (then the next
    // wait is twice as long). Resend from the last acknowledged byte.
    transfer.sent = transfer.acked;
    transfer.done_sent = false;
    transfer.rewound = false;
    transfer.progressed = true;
    transfer.idle_ticks = 0;
    transfer.patience = std::min(transfer.patience * 2, SnapshotTransfer::kSnapshotPatienceMax);
    appends_pending_ = true;
  }
}

}  // namespace raft::detail
