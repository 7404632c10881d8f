// SPDX-License-Identifier: Apache-2.0
#include "raft_log.h"

#include <algorithm>

#include <fmt/format.h>

#include "raft/assert.h"

namespace raft::detail {

RaftLog::RaftLog(const LogReader& stable)
    : stable_(&stable),
      unstable_offset_(stable.last_index().next()),
      committed_(stable.hard_state().commit),
      applied_(std::max(stable.first_index().prev(), stable.snapshot_meta().index)) {
  // A commit index beyond the log would mean storage lost entries it had
  // acknowledged; trust the log, not the hint (commit is re-learned from the leader).
  if (committed_ > stable.last_index()) committed_ = stable.last_index();
  // Entries below the first index were compacted into a snapshot the
  // application already holds, and the state machine restarts from the
  // snapshot (thesis §5.1): nothing up to it needs applying. With a trailing
  // window (Config::snapshot_trailing_entries) the log starts before it.
  if (committed_ < applied_) committed_ = applied_;
  RAFT_ASSERT(applied_ <= committed_);
}

Term RaftLog::last_term() const {
  if (!unstable_.empty()) return unstable_.back().term;
  if (pending_snapshot_) return pending_snapshot_->term;
  const Result<Term> term = stable_->term(stable_->last_index());
  RAFT_ASSERT_MSG(term.ok(), "storage must know the term of its last entry");
  return *term;
}

Result<Term> RaftLog::term(Index index) const {
  if (index >= unstable_offset_) {
    const std::uint64_t offset = Index::distance(unstable_offset_, index);
    if (offset < unstable_.size()) return unstable_[offset].term;
    return Status{ErrorCode::kUnavailable, fmt::format("entry {} is past the last index {}",
                                                       index.value(), last_index().value())};
  }
  if (pending_snapshot_) {
    if (index == pending_snapshot_->index) return pending_snapshot_->term;
    if (index < pending_snapshot_->index) {
      return Status{ErrorCode::kCompacted,
                    fmt::format("entry {} is covered by the snapshot at {}", index.value(),
                                pending_snapshot_->index.value())};
    }
    return Status{ErrorCode::kUnavailable, fmt::format("entry {} is past the last index {}",
                                                       index.value(), last_index().value())};
  }
  return stable_->term(index);
}

bool RaftLog::match_term(Index index, Term term) const {
  // Past the end is the common miss (a follower receiving new entries): answer
  // it before term() builds an error message nobody reads.
  if (index > last_index()) return false;
  const Result<Term> ours = this->term(index);
  return ours.ok() && *ours == term;
}

bool RaftLog::is_up_to_date(Index last_index, Term last_term) const {
  const Term our_last_term = this->last_term();
  return last_term > our_last_term ||
         (last_term == our_last_term && last_index >= this->last_index());
}

void RaftLog::commit_to(Index to) {
  RAFT_ASSERT(to <= last_index());
  if (to > committed_) committed_ = to;
}

void RaftLog::applied_to(Index to) {
  RAFT_ASSERT(to >= applied_);
  RAFT_ASSERT(to <= committed_);
  applied_ = to;
}

Index RaftLog::append(Entry entry) {
  RAFT_ASSERT(entry.index == last_index().next());
  if (unstable_.empty()) unstable_offset_ = entry.index;
  unstable_.push_back(std::move(entry));
  return unstable_.back().index;
}

Index RaftLog::append_after(Index prev_index, std::vector<Entry>&& entries) {
  const Index last_new = prev_index + entries.size();
  // Skip the prefix we already hold with matching terms: a duplicated or
  // reordered request must not truncate entries that a later one appended
  // (Raft §5.3: "if an existing entry conflicts ... delete it", only then).
  std::size_t first_new = 0;
  while (first_new < entries.size() &&
         match_term(entries[first_new].index, entries[first_new].term)) {
    ++first_new;
  }
  if (first_new == entries.size()) return last_new;

  const Index conflict = entries[first_new].index;
  RAFT_ASSERT_MSG(conflict > committed_, "a leader tried to overwrite a committed entry");
  RAFT_ASSERT(conflict <= last_index().next());
  if (conflict >= unstable_offset_) {
    unstable_.resize(Index::distance(unstable_offset_, conflict));
  } else {
    // The conflict reaches into persisted entries: the next persist replaces
    // storage from `conflict` on (Ready contract).
    unstable_.clear();
    unstable_offset_ = conflict;
  }
  if (unstable_.empty()) unstable_offset_ = conflict;
  for (std::size_t i = first_new; i < entries.size(); ++i) {
    RAFT_ASSERT(entries[i].index == unstable_offset_ + unstable_.size());
    unstable_.push_back(std::move(entries[i]));
  }
  return last_new;
}

std::pair<Index, Term> RaftLog::find_conflict_by_term(Index index, Term term) const {
  // Walk back over entries of newer terms: the leader cannot match any of
  // them, so one round trip skips them all.
  while (true) {
    const Result<Term> ours = this->term(index);
    if (!ours.ok()) return {index, Term{}};  // Compacted: let the leader decide.
    if (*ours <= term || index == Index{}) return {index, *ours};
    index = index.prev();
  }
}

Status RaftLog::slice(Index from, Index to, std::size_t bytes_max, std::vector<Entry>& out) const {
  RAFT_ASSERT(from <= to);
  RAFT_ASSERT(to <= last_index().next());
  if (from == to) return {};
  const std::size_t size_before = out.size();
  if (from < unstable_offset_) {
    RAFT_ASSERT_MSG(!pending_snapshot_, "entries below a snapshot being installed");
    const Index stable_end = std::min(to, unstable_offset_);
    if (Status status = stable_->entries(from, stable_end, bytes_max, out); !status.ok()) {
      return status;
    }
    if (out.size() - size_before < Index::distance(from, stable_end)) return {};  // Hit bytes_max.
    from = stable_end;
  }
  std::size_t bytes = 0;
  for (std::size_t i = size_before; i < out.size(); ++i) bytes += out[i].size_bytes();
  for (Index index = from; index < to; index = index.next()) {
    const Entry& entry = unstable_[Index::distance(unstable_offset_, index)];
    bytes += entry.size_bytes();
    if (bytes > bytes_max && out.size() > size_before) break;
    out.push_back(entry);
  }
  return {};
}

void RaftLog::copy_unstable(std::vector<Entry>& out) const {
  RAFT_ASSERT(out.empty());
  out.assign(unstable_.begin(), unstable_.end());
}

void RaftLog::mark_stable(Index last) {
  RAFT_ASSERT_MSG(!unstable_.empty() && unstable_.back().index == last,
                  "entries were appended between ready() and advance()");
  RAFT_DASSERT(stable_->last_index() == last);
  unstable_.clear();
  unstable_offset_ = last.next();
}

void RaftLog::restore(const SnapshotMeta& meta) {
  RAFT_ASSERT(meta.index > committed_);
  pending_snapshot_ = meta;
  // Figure 5.3: "discard the entire log" — persisted or not.
  unstable_.clear();
  unstable_offset_ = meta.index.next();
  committed_ = meta.index;
  applied_ = meta.index;
}

void RaftLog::mark_snapshot_stable() {
  RAFT_ASSERT(pending_snapshot_.has_value());
  RAFT_DASSERT(stable_->snapshot_meta().index == pending_snapshot_->index);
  RAFT_DASSERT(stable_->first_index() == pending_snapshot_->index.next());
  pending_snapshot_.reset();
}

}  // namespace raft::detail
