// SPDX-License-Identifier: Apache-2.0
// What a leader tracks per follower: how far its log matches, what to send
// next, and how many appends are in flight (flow control).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "raft/types.h"

namespace raft::detail {

/// A bounded FIFO of the last index of each append in flight to one follower.
/// When full, the leader stops sending until acknowledgements free slots.
class Inflights {
 public:
  explicit Inflights(std::size_t capacity) : capacity_(capacity) {}

  [[nodiscard]] bool full() const noexcept { return count_ == capacity_; }
  [[nodiscard]] std::size_t count() const noexcept { return count_; }
  /// Records an append whose last entry is `last`. Precondition: !full(), and
  /// `last` is above every index already recorded.
  void add(Index last);
  /// Frees every append whose last index is <= `index` (they were acknowledged).
  void free_up_to(Index index);
  /// Frees the oldest append (its acknowledgement was probably lost).
  void free_first();
  void reset() noexcept { start_ = count_ = 0; }

 private:
  std::size_t capacity_;
  std::size_t start_ = 0;
  std::size_t count_ = 0;
  std::vector<Index> ring_;  // Grows to capacity_ on demand.
};

/// A snapshot transfer to one follower (thesis §5.1): which snapshot, and a
/// go-back-N window of chunks over its bytes.
struct SnapshotTransfer {
  Index index;  ///< The snapshot being sent.
  Term term;
  std::uint64_t total = 0;     ///< Its size in bytes.
  std::uint64_t acked = 0;     ///< The follower has written every byte before this.
  std::uint64_t sent = 0;      ///< Bytes before this have been sent (since the last rewind).
  std::uint64_t sent_max = 0;  ///< The furthest `sent` ever got: below it a chunk is a resend.
  bool done_sent = false;      ///< The last chunk went out (since the last rewind).
  /// An answer about this transfer since the last heartbeat tick: a transfer
  /// that hears none for `patience` heartbeat intervals resends from `acked`.
  bool progressed = true;
  /// A rewind asked by a rejected chunk is in progress: later rejections of
  /// chunks sent before it are stale and ignored until `acked` moves.
  bool rewound = false;
  /// Heartbeat ticks without progress before the leader resends from
  /// `acked`: 1 at first, doubled after each such resend up to
  /// kSnapshotPatienceMax (the back-off of TCP's retransmission timer, RFC 6298
  /// §5.5). A link slow enough that a chunk takes longer than a heartbeat
  /// interval to cross would otherwise see the window resent behind itself at
  /// every tick, each resend delaying the acknowledgements further, and the
  /// transfer would never finish (bench/snapshot_bench.cc, 10 MB/s).
  std::uint32_t patience = 1;
  std::uint32_t idle_ticks = 0;  ///< Heartbeat ticks in a row without progress.
  static constexpr std::uint32_t kSnapshotPatienceMax = 32;
};

/// A leader's view of one peer (itself included).
///
/// States (etcd/raft's Probe, Replicate and Snapshot): while probing, the
/// leader sends one append per heartbeat interval until the follower's log
/// matches; then it pipelines appends up to the inflight window. A follower
/// that needs entries the leader compacted away gets the snapshot instead
/// (thesis §5.1), and no appends until it confirms it.
struct Progress {
  enum class State : std::uint8_t { kProbe, kReplicate, kSnapshot };

  Progress(NodeId peer, Index next_index, std::size_t inflight_max)
      : id(peer), next(next_index), inflights(inflight_max) {}

  NodeId id;
  // Invariant: match < next.
  Index match;
  Index next;
  State state = State::kProbe;
  /// Probe state: an append went out and no answer has come back yet.
  bool probe_sent = false;
  /// Heard from since the last check-quorum round (thesis §6.2).
  bool recent_active = false;
  /// An append must go out even if it carries no entries: a heartbeat reply
  /// showed the peer behind, or the commit index moved.
  bool send_pending = false;
  /// The commit index last sent to this peer.
  Index commit_sent;
  /// The newest heartbeat round the peer acknowledged (thesis §6.4 reads).
  std::uint64_t round_acked = 0;
  /// The peer's Config::priority as its last reply reported it; unknown until
  /// it replied (the leader never hands over to a node it has not heard).
  std::optional<std::uint32_t> priority;
  Inflights inflights;
  /// Snapshot state: the transfer in progress.
  SnapshotTransfer snapshot;

  /// True when no append may be sent now (flow control).
  [[nodiscard]] bool paused() const noexcept {
    if (state == State::kSnapshot) return true;
    return state == State::kProbe ? probe_sent : inflights.full();
  }
  void become_probe();
  void become_replicate();
  /// Starts sending the snapshot `index`/`term` of `total` bytes.
  void become_snapshot(Index index, Term term, std::uint64_t total);
  /// Records that the peer holds the log up to `index`. Returns false for a
  /// stale acknowledgement that teaches nothing new.
  bool update_match(Index index);
  /// Handles a rejection of the append whose prev_log_index was `rejected`;
  /// `next_hint` is where the hint says to retry. Returns false when the
  /// rejection is stale (the leader already moved on).
  bool decrease_next(Index rejected, Index next_hint);
  /// Records an append of entries ending at `last` (or no entries).
  void sent(Index last, bool had_entries);
};

}  // namespace raft::detail
