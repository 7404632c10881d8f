// SPDX-License-Identifier: Apache-2.0
// A simulated host's disk: the in-memory log (the default), or the real
// write-ahead log (raft/storage/wal.h) on a MemoryFileSystem that loses or
// tears what was not synced when the host crashes (scenario disk.log: wal).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "raft/log_reader.h"
#include "raft/ready.h"
#include "raft/snapshot.h"
#include "raft/status.h"
#include "raft/storage/memory_file_system.h"
#include "raft/storage/memory_log.h"
#include "raft/storage/wal.h"

namespace raft::sim::detail {

/// The one interface the host drives either log through. With the memory log
/// a Ready is stored at once when its fsync completes (finish); with the WAL it
/// is written to the page cache when handed to the disk (begin) and synced when
/// the fsync completes, so a crash in between loses or tears it as a real disk
/// would (the FoundationDB model of memory_file_system.h).
class HostDisk {
 public:
  HostDisk() = default;

  /// Switches to the write-ahead log on a fresh, empty file system.
  /// Precondition: nothing was written yet.
  [[nodiscard]] Status use_wal();
  [[nodiscard]] bool wal() const noexcept { return fs_ != nullptr; }

  /// What the node starts from and reads. Precondition: open() (no recovery error).
  [[nodiscard]] const LogReader& log() const;
  [[nodiscard]] HardState hard_state() const { return log().hard_state(); }
  [[nodiscard]] SnapshotMeta snapshot_meta() const { return log().snapshot_meta(); }
  [[nodiscard]] Result<Term> term(Index index) const { return log().term(index); }
  [[nodiscard]] Result<Payload> snapshot_data() const;

  /// A Ready is handed to the disk (WAL: written, not yet durable).
  [[nodiscard]] Status begin(const Ready& ready);
  /// Its fsync completed: durable now (memory log: stored now).
  [[nodiscard]] Status finish(const Ready& ready);
  /// The application's own snapshot (durable at return).
  [[nodiscard]] Status save_snapshot(const SnapshotMeta& meta, Payload data);

  /// The machine crashed: the WAL is closed and the file system keeps its
  /// synced state plus what the crash model, drawing from `seed`, keeps of
  /// the rest. No-op for the memory log (only finished Readys reached it).
  void crash(std::uint64_t seed);
  /// Reopens the WAL after a crash (recovery). kCorruption if the durable
  /// state is damaged: the host must not start on it. `notes` receives what
  /// recovery repaired (a torn tail cut off, ...).
  [[nodiscard]] Status reopen(std::vector<std::string>& notes);

 private:
  storage::MemoryLog memory_;
  std::unique_ptr<storage::MemoryFileSystem> fs_;
  std::unique_ptr<storage::Wal> wal_;
};

}  // namespace raft::sim::detail
