// SPDX-License-Identifier: Apache-2.0
// An in-memory LogReader the driver writes to: for tests, benchmarks, the
// simulator and applications that keep no log on disk.
#pragma once

#include <span>
#include <vector>

#include "raft/entry.h"
#include "raft/log_reader.h"
#include "raft/ready.h"
#include "raft/snapshot.h"
#include "raft/status.h"

namespace raft::storage {

/// Entries, hard state and one snapshot in memory. Holds a contiguous run of
/// entries starting at first_index(), after the snapshot (if any). Not
/// thread-safe.
class MemoryLog final : public LogReader {
 public:
  MemoryLog() = default;

  [[nodiscard]] HardState hard_state() const override { return hard_state_; }
  [[nodiscard]] Index first_index() const override { return first_index_; }
  [[nodiscard]] Index last_index() const override { return first_index_ + entries_.size() - 1; }
  [[nodiscard]] Result<Term> term(Index index) const override;
  [[nodiscard]] Status entries(Index from, Index to, std::size_t bytes_max,
                               std::vector<Entry>& out) const override;

  [[nodiscard]] SnapshotMeta snapshot_meta() const override { return snapshot_meta_; }
  [[nodiscard]] std::uint64_t snapshot_size() const override { return snapshot_.size(); }
  [[nodiscard]] Status read_snapshot(std::uint64_t offset, std::size_t bytes_max,
                                     std::vector<std::byte>& out) const override;

  void set_hard_state(const HardState& state) { hard_state_ = state; }

  /// The current snapshot's data (the application restores from it).
  [[nodiscard]] const Payload& snapshot_data() const { return snapshot_; }
  /// Stores the application's own snapshot (from Node::snapshot_meta) as the
  /// current one. Entries are kept: compaction comes through Ready::compact_to.
  /// Precondition: meta.index is at least the current snapshot's and at most
  /// last_index(), and the log holds its term.
  void save_snapshot(const SnapshotMeta& meta, Payload data);
  /// Writes one received chunk to the pending snapshot (Ready step 1a).
  void write_snapshot_chunk(const SnapshotChunk& chunk);
  /// Makes the pending snapshot current and discards the whole log (step 1b).
  /// Precondition: the pending snapshot is `meta`'s and complete.
  void install_snapshot(const SnapshotMeta& meta);
  /// Bytes of the pending (partly received) snapshot, for memory accounting.
  [[nodiscard]] std::uint64_t pending_snapshot_size() const { return pending_.size(); }

  /// Stores entries as Ready::entries asks: anything at or after the first
  /// new index is replaced. Precondition: the entries are contiguous and the
  /// first one is at most last_index() + 1 and at least first_index().
  void append(std::span<const Entry> entries);

  /// Persists what a Ready asks to (snapshot chunks, a snapshot to install,
  /// hard state, entries, compaction), in the order ready.h gives. A
  /// convenience for drivers that keep everything in memory; the driver still
  /// resets its state machine from snapshot_data() after an install.
  void persist(const Ready& ready);

  /// Discards the entries before `index` (log compaction), keeping the term of
  /// the entry just before it. Precondition: first_index() <= index <= last_index() + 1.
  void compact(Index index);

 private:
  HardState hard_state_;
  Index first_index_{1};
  // Term of the entry at first_index_ - 1 (0 for an uncompacted log).
  Term first_prev_term_;
  std::vector<Entry> entries_;
  SnapshotMeta snapshot_meta_;
  Payload snapshot_;
  // The snapshot being received: which one, and its bytes so far.
  Index pending_index_;
  Term pending_term_;
  std::vector<std::byte> pending_;
};

}  // namespace raft::storage
