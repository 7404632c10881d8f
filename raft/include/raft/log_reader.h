// SPDX-License-Identifier: Apache-2.0
// The core's read-only view of stable storage. The driver writes to storage
// (from Ready) and the core reads back through this interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "raft/entry.h"
#include "raft/snapshot.h"
#include "raft/status.h"
#include "raft/types.h"

namespace raft {

/// What must survive a crash besides the log (Raft Figure 2, "persistent state
/// on all servers"). `commit` is kept too, as an optimisation for restarts.
struct HardState {
  Term term;
  NodeId vote;
  Index commit;
  friend bool operator==(const HardState&, const HardState&) = default;
};

/// Read access to persisted entries and hard state.
///
/// Contract: a node reads only what the driver has persisted from earlier
/// Readys. If a method returns an error the node stops making progress and
/// surfaces it (as etcd/raft does); storage errors are never ignored.
class LogReader {
 public:
  virtual ~LogReader() = default;

  /// The persisted hard state (zero values for a new node).
  [[nodiscard]] virtual HardState hard_state() const = 0;
  /// Index of the first entry still held (1 until compaction discards some;
  /// after it, at most snapshot_meta().index + 1).
  [[nodiscard]] virtual Index first_index() const = 0;
  /// Index of the last persisted entry; first_index() - 1 when empty.
  [[nodiscard]] virtual Index last_index() const = 0;
  /// Term of the entry at `index`, for first_index() - 1 <= index <= last_index().
  /// Index 0 has term 0. kCompacted below that range, kUnavailable above it.
  [[nodiscard]] virtual Result<Term> term(Index index) const = 0;
  /// Appends the entries [from, to) to `out`, stopping early once their
  /// size_bytes() would exceed `bytes_max` (but always at least one entry).
  [[nodiscard]] virtual Status entries(Index from, Index to, std::size_t bytes_max,
                                       std::vector<Entry>& out) const = 0;

  // ---- Snapshot (thesis §5.1). A storage that never holds one keeps the defaults. ----

  /// The metadata of the current (durable) snapshot; index 0 when there is none.
  /// When a snapshot exists, term(snapshot_meta().index) is its term and
  /// first_index() <= snapshot_meta().index + 1 (the log continues it).
  [[nodiscard]] virtual SnapshotMeta snapshot_meta() const { return {}; }
  /// Size in bytes of the current snapshot's data.
  [[nodiscard]] virtual std::uint64_t snapshot_size() const { return 0; }
  /// Appends up to `bytes_max` bytes of the current snapshot's data from
  /// `offset` to `out` (fewer at its end). The leader reads one chunk at a time
  /// so that the core never holds a whole snapshot.
  [[nodiscard]] virtual Status read_snapshot(std::uint64_t offset, std::size_t bytes_max,
                                             std::vector<std::byte>& out) const {
    (void)offset;
    (void)bytes_max;
    (void)out;
    return {ErrorCode::kUnavailable, "this storage holds no snapshot"};
  }
};

}  // namespace raft
