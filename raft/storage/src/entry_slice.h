// SPDX-License-Identifier: Apache-2.0
// LogReader::entries() over an in-memory vector of entries, shared by the
// stores that keep their entries in memory (MemoryLog, and Wal beside its files).
#pragma once

#include <cstddef>
#include <vector>

#include <fmt/format.h>

#include "raft/assert.h"
#include "raft/entry.h"
#include "raft/status.h"

namespace raft::storage::detail {

/// Appends [from, to) of `entries` (whose first element has index `first`)
/// to `out`, within `bytes_max` but always at least one entry, so that a
/// large entry can still be replicated. kCompacted below `first`,
/// kUnavailable past the last entry.
inline Status slice_entries(const std::vector<Entry>& entries, Index first, Index from, Index to,
                            std::size_t bytes_max, std::vector<Entry>& out) {
  RAFT_ASSERT(from <= to);
  const Index last = first + entries.size() - 1;
  if (from < first) {
    return {ErrorCode::kCompacted, fmt::format("entry {} was compacted; the log starts at {}",
                                               from.value(), first.value())};
  }
  if (to > last.next()) {
    return {ErrorCode::kUnavailable, fmt::format("entries up to {} requested; the last is {}",
                                                 to.prev().value(), last.value())};
  }
  std::size_t bytes = 0;
  for (Index index = from; index < to; index = index.next()) {
    const Entry& entry = entries[Index::distance(first, index)];
    bytes += entry.size_bytes();
    if (bytes > bytes_max && index != from) break;
    out.push_back(entry);
  }
  return {};
}

}  // namespace raft::storage::detail
