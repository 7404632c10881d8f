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

/// A leader's view of one peer (itself included).
///
/// States (etcd/raft's Probe and Replicate): while probing, the leader sends
/// one append per heartbeat interval until the follower's log matches; then it
/// pipelines appends up to the inflight window.
struct Progress {
  enum class State : std::uint8_t { kProbe, kReplicate };

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

  /// True when no append may be sent now (flow control).
  [[nodiscard]] bool paused() const noexcept {
    return state == State::kProbe ? probe_sent : inflights.full();
  }
  void become_probe();
  void become_replicate();
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
