// SPDX-License-Identifier: Apache-2.0
// The output batch of a node and the contract for handling it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "raft/entry.h"
#include "raft/events.h"
#include "raft/log_reader.h"
#include "raft/message.h"
#include "raft/snapshot.h"
#include "raft/status.h"

namespace raft {

/// The outcome of one or more Node::read_index() requests (thesis §6.4) that
/// share it: the reads one heartbeat round confirmed together, or that failed
/// together. Batching is what makes reads cheap (§6.4: the leader amortises one
/// round over many reads), so the output is batched too: one ReadState per
/// batch rather than per read, with no allocation and no string per read.
///
/// When ok(), every read in `request_ids` is linearizable once the
/// application's state machine has applied every entry up to `index`: serve
/// each then, from local state (on the leader or on the follower that asked).
/// Otherwise (`error` is kNotLeader: this node is not, or stopped being,
/// leader, or the leader refused a forwarded read) none was confirmed: fail
/// their clients at once, or retry elsewhere; `leader_hint` names the leader
/// this node knows of, if any. Every accepted request id appears in exactly
/// one ReadState of exactly one Ready, unless the node crashes first.
///
/// Consecutive reads with the same outcome and index share one ReadState, so a
/// Ready usually holds one per confirmed batch. Request ids appear in the order
/// their reads were confirmed: on the leader, the order read_index() was called.
/// advance() takes the `request_ids` buffers back for reuse (a driver may move
/// one out first to keep it).
struct ReadState {
  /// The Node::read_index() ids, in the order they were confirmed. Never empty.
  std::vector<std::uint64_t> request_ids;
  /// When ok(): the read index, shared by every id here. It is at least the
  /// commit index at each read's arrival, which is all linearizability needs
  /// (§6.4): a batch takes the commit index at its latest read.
  Index index;
  /// kOk, or kNotLeader.
  ErrorCode error = ErrorCode::kOk;
  /// For kNotLeader: the leader this node believes in, or NodeId::none().
  NodeId leader_hint;

  [[nodiscard]] bool ok() const noexcept { return error == ErrorCode::kOk; }
  /// The outcome as a Status (built on demand; costs a string when not ok).
  [[nodiscard]] Status status() const {
    if (ok()) return {};
    if (error == ErrorCode::kNotLeader) return Status::not_leader(leader_hint);
    return {error, std::string{to_string(error)}};
  }
};

/// Everything a node wants done, as one batch. Handle it in this order
/// (etcd/raft's contract, ScyllaDB's order):
///
///  1. Persist, in this order:
///     a. Write each of `snapshot_chunks` at its offset of the pending
///        snapshot it names (a chunk at offset 0 starts a new pending
///        snapshot, replacing any other). Only this chunk is in memory.
///     b. If `snapshot_to_install` is set (a follower, thesis §5.1 Figure 5.3):
///        make the pending snapshot, which now holds all of that snapshot's
///        bytes, the current one with that metadata; discard the whole log
///        (the log now starts after snapshot.index, and term(snapshot.index)
///        is snapshot.term); reset the state machine from the snapshot. Such a
///        Ready carries no `committed` entries.
///     c. Write `hard_state` if set and append `entries`. If the first
///        entry's index is at or below the stored last index, first discard the
///        stored entries from that index on (a follower's conflicting suffix,
///        Raft §5.3).
///     d. If `compact_to` is non-zero, discard the stored entries up to and
///        including it (they are behind the snapshot the application stored
///        before calling Node::snapshot_taken; keep the term of compact_to).
///     Make all this durable (fsync) when `must_sync` is true.
///  2. Send `messages`. They may also be sent before or during step 1.
///  3. Send `messages_after_persist` — only once step 1 is durable: they
///     promise a vote, an append or an installed snapshot that a crash must
///     not take back (§5.2).
///  4. Apply `committed` to the state machine, in order.
///  5. For each of `reads` in order, and each of its `request_ids` in order:
///     fail the read if the ReadState is not ok(); else serve it once the state
///     machine has applied up to the ReadState's index (now, if step 4 got
///     there; otherwise when a later Ready's `committed` does).
///  6. Call Node::advance(std::move(ready)).
///
/// No other call on the node may come between Node::ready() and advance().
struct Ready {
  std::optional<HardState> hard_state;
  std::vector<Entry> entries;
  std::vector<Message> messages;
  std::vector<Message> messages_after_persist;
  std::vector<Entry> committed;
  std::vector<Event> events;
  /// Confirmed (or failed) reads, in the order they were confirmed: one
  /// ReadState per batch that shares an index and an outcome.
  std::vector<ReadState> reads;
  /// Snapshot data received from the leader, to write before anything else.
  std::vector<SnapshotChunk> snapshot_chunks;
  /// The snapshot received completely: install it (step 1b).
  std::optional<SnapshotMeta> snapshot_to_install;
  /// Discard stored entries up to and including this index (0: none).
  Index compact_to;
  /// True when `hard_state` (term or vote) or `entries` must reach stable
  /// storage before step 3. A change to the commit index alone needs no sync.
  bool must_sync = false;

  [[nodiscard]] bool empty() const noexcept {
    return !hard_state && entries.empty() && messages.empty() && messages_after_persist.empty() &&
           committed.empty() && events.empty() && reads.empty() && snapshot_chunks.empty() &&
           !snapshot_to_install && compact_to == Index{};
  }
};

}  // namespace raft
