// SPDX-License-Identifier: Apache-2.0
// RaftLog: a node's whole log, seen as one sequence — entries already
// persisted (read through LogReader) followed by entries not yet persisted.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "raft/entry.h"
#include "raft/log_reader.h"
#include "raft/status.h"

namespace raft::detail {

/// The log of one node plus its commit and apply positions.
///
/// Invariants:
///   - unstable_offset_ <= stable last index + 1: the unstable entries start at
///     or below the end of what storage holds; if below, storage still holds a
///     suffix that the next persist replaces (a follower's truncation).
///   - applied_ <= committed_ <= last_index().
class RaftLog {
 public:
  explicit RaftLog(const LogReader& stable);

  [[nodiscard]] Index first_index() const {
    return pending_snapshot_ ? pending_snapshot_->index.next() : stable_->first_index();
  }
  [[nodiscard]] Index last_index() const {
    if (!unstable_.empty()) return unstable_.back().index;
    return pending_snapshot_ ? pending_snapshot_->index : stable_->last_index();
  }
  [[nodiscard]] Term last_term() const;
  /// Term at `index`; storage errors (compacted, unavailable) pass through.
  [[nodiscard]] Result<Term> term(Index index) const;
  /// Term at `index`, or no value when the log does not hold it.
  [[nodiscard]] bool match_term(Index index, Term term) const;

  /// Raft §5.4.1: a log ending in (last_index, last_term) is at least as up to
  /// date as ours if its last term is newer, or equal with an index as long.
  [[nodiscard]] bool is_up_to_date(Index last_index, Term last_term) const;

  [[nodiscard]] Index committed() const { return committed_; }
  [[nodiscard]] Index applied() const { return applied_; }
  /// Advances the commit index. Precondition: to <= last_index().
  void commit_to(Index to);
  /// Records what the application applied. Precondition: applied_ <= to <= committed_.
  void applied_to(Index to);

  /// Appends one entry at last_index() + 1 (leader). Returns its index.
  Index append(Entry entry);

  /// Follower side of AppendEntries (Raft §5.3), after the consistency check
  /// passed at prev_index: skips entries already present with the same term,
  /// truncates at the first conflict and appends the rest. Returns the index
  /// of the last entry of the request. Asserts that nothing committed changes.
  Index append_after(Index prev_index, std::vector<Entry>&& entries);

  /// The back-off hint of a rejected append: the last index <= `index` whose
  /// term is <= `term`, and its term (etcd's findConflictByTerm).
  [[nodiscard]] std::pair<Index, Term> find_conflict_by_term(Index index, Term term) const;

  /// Appends the entries [from, to) to `out`, up to bytes_max (at least one).
  [[nodiscard]] Status slice(Index from, Index to, std::size_t bytes_max,
                             std::vector<Entry>& out) const;

  [[nodiscard]] bool has_unstable() const { return !unstable_.empty(); }
  /// Copies the unpersisted entries to `out` (cheap: payloads are shared).
  /// They stay readable here until mark_stable(), so the log reads right even
  /// between Node::ready() and Node::advance().
  void copy_unstable(std::vector<Entry>& out) const;
  /// The driver persisted every entry up to `last` (the end of the unstable
  /// entries it was handed); from now on storage serves them.
  void mark_stable(Index last);
  /// Index of the last entry known to be persisted.
  [[nodiscard]] Index persisted_index() const { return unstable_offset_.prev(); }

  // ---- Snapshots (thesis §5.1) ----

  /// The storage's current snapshot (what a leader sends).
  [[nodiscard]] SnapshotMeta stable_snapshot() const { return stable_->snapshot_meta(); }
  [[nodiscard]] const LogReader& stable() const { return *stable_; }
  /// Replaces the whole log with a snapshot received from the leader (Figure
  /// 5.3, "discard the entire log"): the log now ends at meta.index, which is
  /// committed and applied (the state machine is reset from the snapshot).
  /// Until mark_snapshot_stable() the storage still holds the old log; this
  /// view answers as if it did not. Precondition: meta.index > committed().
  void restore(const SnapshotMeta& meta);
  /// The snapshot restore() set, not yet handed to the driver or installed.
  [[nodiscard]] const std::optional<SnapshotMeta>& pending_snapshot() const {
    return pending_snapshot_;
  }
  /// The driver installed the pending snapshot: storage serves it from now on.
  void mark_snapshot_stable();

 private:
  const LogReader* stable_;
  // A snapshot to install that storage does not reflect yet (etcd's
  // unstable.snapshot): while set, the log seen here starts after it.
  std::optional<SnapshotMeta> pending_snapshot_;
  // Entries not yet handed to the driver; unstable_[i] has index unstable_offset_ + i.
  std::vector<Entry> unstable_;
  Index unstable_offset_;
  Index committed_;
  Index applied_;
};

}  // namespace raft::detail
