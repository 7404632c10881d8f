// SPDX-License-Identifier: Apache-2.0
#include "raft/storage/memory_log.h"

#include <algorithm>

#include <fmt/format.h>

#include "entry_slice.h"
#include "raft/assert.h"

namespace raft::storage {

Result<Term> MemoryLog::term(Index index) const {
  if (index < first_index_.prev()) {
    return Status{ErrorCode::kCompacted, fmt::format("entry {} was compacted; the log starts at {}",
                                                     index.value(), first_index_.value())};
  }
  if (index > last_index()) {
    return Status{ErrorCode::kUnavailable, fmt::format("entry {} is past the last index {}",
                                                       index.value(), last_index().value())};
  }
  if (index == first_index_.prev()) return first_prev_term_;
  return entries_[Index::distance(first_index_, index)].term;
}

Status MemoryLog::entries(Index from, Index to, std::size_t bytes_max,
                          std::vector<Entry>& out) const {
  return detail::slice_entries(entries_, first_index_, from, to, bytes_max, out);
}

void MemoryLog::append(std::span<const Entry> entries) {
  if (entries.empty()) return;
  const Index first_new = entries.front().index;
  RAFT_ASSERT(first_new >= first_index_);
  RAFT_ASSERT(first_new <= last_index().next());
  RAFT_ASSERT(entries.back().index == first_new + (entries.size() - 1));
  // Replacing from first_new on discards a follower's conflicting suffix (Raft §5.3).
  entries_.resize(Index::distance(first_index_, first_new));
  entries_.insert(entries_.end(), entries.begin(), entries.end());
}

void MemoryLog::persist(const Ready& ready) {
  for (const SnapshotChunk& chunk : ready.snapshot_chunks) write_snapshot_chunk(chunk);
  if (ready.snapshot_to_install) install_snapshot(*ready.snapshot_to_install);
  if (ready.hard_state) set_hard_state(*ready.hard_state);
  append(ready.entries);
  if (ready.compact_to > Index{}) compact(ready.compact_to.next());
}

Status MemoryLog::read_snapshot(std::uint64_t offset, std::size_t bytes_max,
                                std::vector<std::byte>& out) const {
  const auto bytes = snapshot_.bytes();
  if (offset > bytes.size()) {
    return {ErrorCode::kUnavailable,
            fmt::format("snapshot offset {} is past its end ({} bytes)", offset, bytes.size())};
  }
  const std::size_t count = std::min<std::uint64_t>(bytes_max, bytes.size() - offset);
  const auto* first = bytes.data() + offset;
  out.insert(out.end(), first, first + count);
  return {};
}

void MemoryLog::save_snapshot(const SnapshotMeta& meta, Payload data) {
  RAFT_ASSERT(meta.index >= snapshot_meta_.index);
  RAFT_ASSERT(meta.index >= first_index_.prev() && meta.index <= last_index());
  RAFT_ASSERT(term(meta.index).ok() && *term(meta.index) == meta.term);
  snapshot_meta_ = meta;
  snapshot_ = std::move(data);
}

void MemoryLog::write_snapshot_chunk(const SnapshotChunk& chunk) {
  if (chunk.offset == 0) {
    pending_.clear();
    pending_index_ = chunk.index;
    pending_term_ = chunk.term;
  }
  RAFT_ASSERT_MSG(chunk.index == pending_index_ && chunk.term == pending_term_ &&
                      chunk.offset == pending_.size(),
                  "snapshot chunks must arrive in order, from offset 0");
  const auto bytes = chunk.data.bytes();
  pending_.insert(pending_.end(), bytes.begin(), bytes.end());
}

void MemoryLog::install_snapshot(const SnapshotMeta& meta) {
  RAFT_ASSERT_MSG(meta.index == pending_index_ && meta.term == pending_term_,
                  "install names a snapshot that was not received");
  snapshot_meta_ = meta;
  snapshot_ = Payload{std::move(pending_)};
  pending_ = {};
  pending_index_ = Index{};
  pending_term_ = Term{};
  // Figure 5.3: discard the entire log; it continues after the snapshot.
  entries_.clear();
  first_index_ = meta.index.next();
  first_prev_term_ = meta.term;
}

void MemoryLog::compact(Index index) {
  RAFT_ASSERT(index >= first_index_);
  RAFT_ASSERT(index <= last_index().next());
  if (index == first_index_) return;
  first_prev_term_ = entries_[Index::distance(first_index_, index.prev())].term;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(
                                                          Index::distance(first_index_, index)));
  first_index_ = index;
}

}  // namespace raft::storage
