// SPDX-License-Identifier: Apache-2.0
#include "raft/storage/posix_file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace raft::storage {
namespace {

Status io_error(std::string_view what, std::string_view path, int error) {
  return {ErrorCode::kIo, fmt::format("{} {}: {}", what, path, std::strerror(error))};
}

Status check_name(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos) {
    return {ErrorCode::kInvalidArgument, fmt::format("bad file name '{}'", name)};
  }
  return {};
}

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path, std::uint64_t size)
      : fd_(fd), path_(std::move(path)), size_(size) {}
  ~PosixFile() override { ::close(fd_); }

  [[nodiscard]] Result<std::uint64_t> size() const override { return size_; }

  [[nodiscard]] Status read(std::uint64_t offset, std::size_t count,
                            std::vector<std::byte>& out) const override {
    if (offset >= size_) return {};
    count = static_cast<std::size_t>(std::min<std::uint64_t>(count, size_ - offset));
    const std::size_t start = out.size();
    out.resize(start + count);
    std::size_t done = 0;
    while (done < count) {
      const ssize_t n =
          ::pread(fd_, out.data() + start + done, count - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        out.resize(start);
        return io_error("read", path_, errno);
      }
      if (n == 0) break;
      done += static_cast<std::size_t>(n);
    }
    out.resize(start + done);
    return {};
  }

  [[nodiscard]] Status append(std::span<const std::byte> data) override {
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n =
          ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(size_ + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return io_error("write", path_, errno);
      done += static_cast<std::size_t>(n);
    }
    size_ += data.size();
    return {};
  }

  [[nodiscard]] Status truncate(std::uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return io_error("truncate", path_, errno);
    size_ = size;
    return {};
  }

  [[nodiscard]] Status sync() override {
    // fdatasync: the data and the size, not the timestamps.
    if (::fdatasync(fd_) != 0) return io_error("fsync", path_, errno);
    return {};
  }

 private:
  int fd_;
  std::string path_;
  std::uint64_t size_;
};

}  // namespace

PosixFileSystem::PosixFileSystem(std::string directory, int dir_fd)
    : directory_(std::move(directory)), dir_fd_(dir_fd) {}

PosixFileSystem::~PosixFileSystem() { ::close(dir_fd_); }

Result<std::unique_ptr<PosixFileSystem>> PosixFileSystem::open_directory(
    const std::string& directory) {
  if (::mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST) {
    return io_error("mkdir", directory, errno);
  }
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open directory", directory, errno);
  return std::unique_ptr<PosixFileSystem>{new PosixFileSystem(directory, fd)};
}

Result<std::unique_ptr<File>> PosixFileSystem::open(std::string_view name, OpenMode mode) {
  if (Status s = check_name(name); !s.ok()) return s;
  const std::string file{name};
  const std::string path = fmt::format("{}/{}", directory_, name);
  int flags = O_CLOEXEC;
  switch (mode) {
    case OpenMode::kRead:
      flags |= O_RDONLY;
      break;
    case OpenMode::kAppend:
      flags |= O_RDWR | O_CREAT;
      break;
    case OpenMode::kTruncate:
      flags |= O_RDWR | O_CREAT | O_TRUNC;
      break;
  }
  const int fd = ::openat(dir_fd_, file.c_str(), flags, 0644);
  if (fd < 0) {
    if (errno == ENOENT)
      return Status{ErrorCode::kUnavailable, fmt::format("{}: no such file", path)};
    return io_error("open", path, errno);
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    ::close(fd);
    return io_error("stat", path, error);
  }
  return std::unique_ptr<File>{
      std::make_unique<PosixFile>(fd, path, static_cast<std::uint64_t>(info.st_size))};
}

Result<std::vector<std::string>> PosixFileSystem::list() const {
  const int fd = ::openat(dir_fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open directory", directory_, errno);
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    const int error = errno;
    ::close(fd);
    return io_error("list", directory_, error);
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name{static_cast<const char*>(entry->d_name)};
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

Status PosixFileSystem::rename(std::string_view from, std::string_view to) {
  if (Status s = check_name(from); !s.ok()) return s;
  if (Status s = check_name(to); !s.ok()) return s;
  const std::string a{from};
  const std::string b{to};
  if (::renameat(dir_fd_, a.c_str(), dir_fd_, b.c_str()) != 0) {
    return io_error("rename", fmt::format("{}/{} to {}", directory_, from, to), errno);
  }
  return {};
}

Status PosixFileSystem::remove(std::string_view name) {
  if (Status s = check_name(name); !s.ok()) return s;
  const std::string file{name};
  if (::unlinkat(dir_fd_, file.c_str(), 0) != 0) {
    if (errno == ENOENT) return {ErrorCode::kUnavailable, fmt::format("{}: no such file", name)};
    return io_error("remove", fmt::format("{}/{}", directory_, name), errno);
  }
  return {};
}

Status PosixFileSystem::sync_dir() {
  if (::fsync(dir_fd_) != 0) return io_error("fsync directory", directory_, errno);
  return {};
}

}  // namespace raft::storage
