// SPDX-License-Identifier: Apache-2.0
// Snapshots (thesis §5.1, Raft §7): the application's state at one log index,
// which lets the log before that index be discarded.
#pragma once

#include <cstdint>

#include "raft/entry.h"
#include "raft/membership.h"
#include "raft/types.h"

namespace raft {

/// What identifies a snapshot and what the log it replaces would have told:
/// the last entry it covers (index and term, so that the consistency check of
/// AppendEntries still works right after it, Raft §7) and the configuration
/// in force at that index (thesis §5.1: "the latest configuration as of the
/// last included index"). `index` 0 means "no snapshot".
struct SnapshotMeta {
  Index index;
  Term term;
  Membership membership;
  friend bool operator==(const SnapshotMeta&, const SnapshotMeta&) = default;
};

/// A piece of a snapshot a follower received (Ready::snapshot_chunks): the
/// driver writes `data` at `offset` of the pending snapshot `index`/`term`.
/// A chunk at offset 0 starts a new pending snapshot, replacing any other.
struct SnapshotChunk {
  Index index;
  Term term;
  std::uint64_t offset = 0;
  Payload data;
  friend bool operator==(const SnapshotChunk&, const SnapshotChunk&) = default;
};

}  // namespace raft
