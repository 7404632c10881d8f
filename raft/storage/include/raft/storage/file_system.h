// SPDX-License-Identifier: Apache-2.0
// The small file interface the write-ahead log does all its I/O through, so that
// the same log runs on a real disk (raft/storage/posix), on an in-memory disk
// that injects torn writes, lost unsynced writes and fsync errors (tests), and
// on the simulator's disk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "raft/status.h"

namespace raft::storage {

/// An open file. Writes only ever extend it (append) or cut it (truncate):
/// the log never overwrites bytes in place, so a torn write can only damage
/// bytes that were never synced.
class File {
 public:
  virtual ~File() = default;
  File() = default;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  /// The current size in bytes (including writes not yet synced).
  [[nodiscard]] virtual Result<std::uint64_t> size() const = 0;
  /// Appends to `out` the bytes [offset, offset + count), fewer at the end of the file.
  [[nodiscard]] virtual Status read(std::uint64_t offset, std::size_t count,
                                    std::vector<std::byte>& out) const = 0;
  /// Writes `data` at the end of the file. Not durable until sync().
  [[nodiscard]] virtual Status append(std::span<const std::byte> data) = 0;
  /// Cuts the file to `size` bytes (size <= size()). Not durable until sync().
  [[nodiscard]] virtual Status truncate(std::uint64_t size) = 0;
  /// Makes every earlier write and truncate of this file durable (fsync). An
  /// error means the file's durable content is unknown: do not retry and trust
  /// it (PostgreSQL's "fsyncgate", 2018); the log stops accepting writes.
  [[nodiscard]] virtual Status sync() = 0;
};

/// How FileSystem::open treats the named file.
enum class OpenMode : std::uint8_t {
  kRead,      ///< The file must exist; open it for reading.
  kAppend,    ///< Open it for reading and appending, creating it empty if missing.
  kTruncate,  ///< Create it, or cut an existing one to 0 bytes; open for appending.
};

/// One flat directory of files, named by plain file names (no '/').
/// Creating, renaming and removing a name is durable only after sync_dir().
class FileSystem {
 public:
  virtual ~FileSystem() = default;
  FileSystem() = default;
  FileSystem(const FileSystem&) = delete;
  FileSystem& operator=(const FileSystem&) = delete;

  /// Opens `name`; kUnavailable if kRead and it does not exist.
  [[nodiscard]] virtual Result<std::unique_ptr<File>> open(std::string_view name,
                                                           OpenMode mode) = 0;
  /// Every name in the directory, sorted.
  [[nodiscard]] virtual Result<std::vector<std::string>> list() const = 0;
  /// Renames `from` to `to` atomically, replacing `to` if it exists.
  [[nodiscard]] virtual Status rename(std::string_view from, std::string_view to) = 0;
  /// Removes `name` (kUnavailable if it does not exist).
  [[nodiscard]] virtual Status remove(std::string_view name) = 0;
  /// Makes earlier creations, renames and removals durable (fsync of the directory).
  [[nodiscard]] virtual Status sync_dir() = 0;
};

}  // namespace raft::storage
