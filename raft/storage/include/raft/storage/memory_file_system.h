// SPDX-License-Identifier: Apache-2.0
// An in-memory FileSystem that models what a crash does to data that was not
// synced, for crash tests of the write-ahead log (and, later, the simulator's disk).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "raft/storage/file_system.h"

namespace raft::storage {

/// What a crash keeps of the writes that were not synced.
enum class CrashMode : std::uint8_t {
  kLoseUnsynced,  ///< Nothing: every file is back to its last synced content.
  kKeepUnsynced,  ///< Everything, as if the page cache had been flushed.
  /// The "destroy unsynced sectors" model (FoundationDB's simulator): per file,
  /// an arbitrary prefix of the unsynced writes survives, and the write just
  /// after it may survive torn — a prefix of its sectors, the last of them
  /// garbage or zeros. Per directory, an arbitrary prefix of the unsynced
  /// creations, renames and removals survives.
  kRandom,
};

/// Files as byte vectors, with the synced and the unsynced state of each file
/// and of the directory kept apart. Faults: fail_syncs() makes syncs fail;
/// stop_after() makes the disk refuse every mutation from some point on (the
/// moment of a crash); crash() then keeps what the CrashMode says. File
/// handles opened before a crash fail with kIo afterwards. Not thread-safe.
class MemoryFileSystem final : public FileSystem {
 public:
  /// The unit a torn write damages.
  static constexpr std::uint64_t kSectorBytes = 512;

  MemoryFileSystem();
  ~MemoryFileSystem() override;

  [[nodiscard]] Result<std::unique_ptr<File>> open(std::string_view name, OpenMode mode) override;
  [[nodiscard]] Result<std::vector<std::string>> list() const override;
  [[nodiscard]] Status rename(std::string_view from, std::string_view to) override;
  [[nodiscard]] Status remove(std::string_view name) override;
  [[nodiscard]] Status sync_dir() override;

  // ---- Faults ----

  /// The next `count` syncs (file or directory) fail with kIo and make nothing durable.
  void fail_syncs(int count) { failing_syncs_ = count; }
  /// After `count` more mutations (append, truncate, sync, create, rename,
  /// remove, sync_dir), every mutation fails with kIo: the power is off.
  void stop_after(std::uint64_t count) { stop_at_ = mutations_ + count; }
  /// Mutations so far (successful or not), for enumerating crash points.
  [[nodiscard]] std::uint64_t mutations() const noexcept { return mutations_; }
  /// The machine restarts: every file and the directory keep their synced
  /// state plus what `mode` (drawing from `seed` for kRandom) keeps of the rest.
  /// Ends stop_after() and fail_syncs(); earlier handles stop working.
  void crash(CrashMode mode, std::uint64_t seed = 0);

  // ---- Inspection, for tests ----

  /// The current bytes of `name` (kUnavailable if missing).
  [[nodiscard]] Result<std::vector<std::byte>> contents(std::string_view name) const;
  /// Flips the bits `mask` of byte `offset` of `name`, durably (bit rot).
  /// Precondition: the file exists and is longer than offset.
  void corrupt(std::string_view name, std::uint64_t offset, std::byte mask);

  struct Inode;

 private:
  friend class MemoryFile;
  struct DirOp;
  // Counts a mutation; kIo once the power is off.
  [[nodiscard]] Status mutate(std::string_view what);

  std::map<std::string, std::shared_ptr<Inode>, std::less<>> names_;
  std::map<std::string, std::shared_ptr<Inode>, std::less<>> synced_names_;
  std::vector<DirOp> dir_ops_;
  std::uint64_t mutations_ = 0;
  std::uint64_t stop_at_ = UINT64_MAX;
  int failing_syncs_ = 0;
  std::uint64_t generation_ = 0;
};

}  // namespace raft::storage
