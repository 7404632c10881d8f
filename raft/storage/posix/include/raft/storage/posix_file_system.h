// SPDX-License-Identifier: Apache-2.0
// The FileSystem of a real directory, through POSIX calls (open, pwrite,
// fsync, rename, fsync of the directory). The only part of raft/ that touches
// the operating system; a separate library (raft::storage_posix) so that the
// core and raft::storage stay pure.
#pragma once

#include <memory>
#include <string>

#include "raft/storage/file_system.h"

namespace raft::storage {

/// A FileSystem over one directory of the local file system.
class PosixFileSystem final : public FileSystem {
 public:
  /// Opens `directory`, creating it (not its parents) if missing.
  [[nodiscard]] static Result<std::unique_ptr<PosixFileSystem>> open_directory(
      const std::string& directory);
  ~PosixFileSystem() override;

  [[nodiscard]] Result<std::unique_ptr<File>> open(std::string_view name, OpenMode mode) override;
  [[nodiscard]] Result<std::vector<std::string>> list() const override;
  [[nodiscard]] Status rename(std::string_view from, std::string_view to) override;
  [[nodiscard]] Status remove(std::string_view name) override;
  [[nodiscard]] Status sync_dir() override;

 private:
  PosixFileSystem(std::string directory, int dir_fd);
  std::string directory_;
  int dir_fd_;
};

}  // namespace raft::storage
