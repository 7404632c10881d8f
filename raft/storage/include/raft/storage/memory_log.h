// SPDX-License-Identifier: Apache-2.0
// An in-memory LogReader the driver writes to: for tests, benchmarks, the
// simulator and applications that keep no log on disk.
#pragma once

#include <span>
#include <vector>

#include "raft/entry.h"
#include "raft/log_reader.h"
#include "raft/ready.h"
#include "raft/status.h"

namespace raft::storage {

/// Entries and hard state in memory. Holds a contiguous run of entries
/// starting at first_index(). Not thread-safe.
class MemoryLog final : public LogReader {
 public:
  MemoryLog() = default;

  [[nodiscard]] HardState hard_state() const override { return hard_state_; }
  [[nodiscard]] Index first_index() const override { return first_index_; }
  [[nodiscard]] Index last_index() const override { return first_index_ + entries_.size() - 1; }
  [[nodiscard]] Result<Term> term(Index index) const override;
  [[nodiscard]] Status entries(Index from, Index to, std::size_t bytes_max,
                               std::vector<Entry>& out) const override;

  void set_hard_state(const HardState& state) { hard_state_ = state; }

  /// Stores entries as Ready::entries asks: anything at or after the first
  /// new index is replaced. Precondition: the entries are contiguous and the
  /// first one is at most last_index() + 1 and at least first_index().
  void append(std::span<const Entry> entries);

  /// Persists what a Ready asks to (hard state and entries). A convenience for
  /// drivers that keep everything in memory.
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
};

}  // namespace raft::storage
