// SPDX-License-Identifier: Apache-2.0
#include "raft/storage/memory_file_system.h"

#include <algorithm>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "raft/prng.h"

namespace raft::storage {

// One unsynced change to a file: a write of `bytes` at `offset`, or a cut to `offset` bytes.
struct FileOp {
  bool truncate = false;
  std::uint64_t offset = 0;
  std::vector<std::byte> bytes;
};

struct MemoryFileSystem::Inode {
  std::vector<std::byte> data;    // what reads see
  std::vector<std::byte> synced;  // what survives any crash
  std::vector<FileOp> pending;    // the changes from `synced` to `data`, in order
};

struct MemoryFileSystem::DirOp {
  enum class Kind : std::uint8_t { kLink, kUnlink, kRename };
  Kind kind = Kind::kLink;
  std::string name;
  std::string to;
  std::shared_ptr<Inode> inode;
};

namespace {

void apply_op(std::vector<std::byte>& data, const FileOp& op) {
  if (op.truncate) {
    data.resize(op.offset);
    return;
  }
  const auto end = op.offset + op.bytes.size();
  if (data.size() < end) data.resize(end);
  std::copy(op.bytes.begin(), op.bytes.end(),
            data.begin() + static_cast<std::ptrdiff_t>(op.offset));
}

}  // namespace

class MemoryFile final : public File {
 public:
  MemoryFile(MemoryFileSystem& fs, std::shared_ptr<MemoryFileSystem::Inode> inode, std::string name)
      : fs_(fs), inode_(std::move(inode)), name_(std::move(name)), generation_(fs.generation_) {}

  [[nodiscard]] Result<std::uint64_t> size() const override {
    if (Status s = check(); !s.ok()) return s;
    return std::uint64_t{inode_->data.size()};
  }

  [[nodiscard]] Status read(std::uint64_t offset, std::size_t count,
                            std::vector<std::byte>& out) const override {
    if (Status s = check(); !s.ok()) return s;
    const auto& data = inode_->data;
    if (offset >= data.size()) return {};
    const auto n = std::min<std::uint64_t>(count, data.size() - offset);
    const auto first = data.begin() + static_cast<std::ptrdiff_t>(offset);
    out.insert(out.end(), first, first + static_cast<std::ptrdiff_t>(n));
    return {};
  }

  [[nodiscard]] Status append(std::span<const std::byte> bytes) override {
    if (Status s = check(); !s.ok()) return s;
    if (Status s = fs_.mutate(fmt::format("append to {}", name_)); !s.ok()) return s;
    FileOp op{false, inode_->data.size(), {bytes.begin(), bytes.end()}};
    apply_op(inode_->data, op);
    inode_->pending.push_back(std::move(op));
    return {};
  }

  [[nodiscard]] Status truncate(std::uint64_t size) override {
    if (Status s = check(); !s.ok()) return s;
    if (Status s = fs_.mutate(fmt::format("truncate {}", name_)); !s.ok()) return s;
    FileOp op{true, size, {}};
    apply_op(inode_->data, op);
    inode_->pending.push_back(std::move(op));
    return {};
  }

  [[nodiscard]] Status sync() override {
    if (Status s = check(); !s.ok()) return s;
    if (Status s = fs_.mutate(fmt::format("sync {}", name_)); !s.ok()) return s;
    if (fs_.failing_syncs_ > 0) {
      --fs_.failing_syncs_;
      return {ErrorCode::kIo, fmt::format("fsync {}: input/output error (injected)", name_)};
    }
    inode_->synced = inode_->data;
    inode_->pending.clear();
    return {};
  }

 private:
  [[nodiscard]] Status check() const {
    if (generation_ != fs_.generation_) {
      return {ErrorCode::kIo, fmt::format("{}: handle opened before a crash", name_)};
    }
    return {};
  }

  MemoryFileSystem& fs_;
  std::shared_ptr<MemoryFileSystem::Inode> inode_;
  std::string name_;
  std::uint64_t generation_;
};

MemoryFileSystem::MemoryFileSystem() = default;
MemoryFileSystem::~MemoryFileSystem() = default;

Status MemoryFileSystem::mutate(std::string_view what) {
  ++mutations_;
  if (mutations_ > stop_at_) {
    return {ErrorCode::kIo, fmt::format("{}: the disk is off (simulated crash)", what)};
  }
  return {};
}

Result<std::unique_ptr<File>> MemoryFileSystem::open(std::string_view name, OpenMode mode) {
  auto it = names_.find(name);
  if (it == names_.end()) {
    if (mode == OpenMode::kRead) {
      return Status{ErrorCode::kUnavailable, fmt::format("{}: no such file", name)};
    }
    if (Status s = mutate(fmt::format("create {}", name)); !s.ok()) return s;
    auto inode = std::make_shared<Inode>();
    it = names_.emplace(std::string{name}, inode).first;
    dir_ops_.push_back({DirOp::Kind::kLink, std::string{name}, {}, inode});
  }
  auto file = std::make_unique<MemoryFile>(*this, it->second, std::string{name});
  if (mode == OpenMode::kTruncate && !it->second->data.empty()) {
    if (Status s = file->truncate(0); !s.ok()) return s;
  }
  return std::unique_ptr<File>{std::move(file)};
}

Result<std::vector<std::string>> MemoryFileSystem::list() const {
  std::vector<std::string> names;
  for (const auto& [name, inode] : names_) names.push_back(name);
  return names;
}

Status MemoryFileSystem::rename(std::string_view from, std::string_view to) {
  auto it = names_.find(from);
  if (it == names_.end()) {
    return {ErrorCode::kUnavailable, fmt::format("rename {}: no such file", from)};
  }
  if (Status s = mutate(fmt::format("rename {} to {}", from, to)); !s.ok()) return s;
  auto inode = it->second;
  names_.erase(it);
  names_.insert_or_assign(std::string{to}, inode);
  dir_ops_.push_back({DirOp::Kind::kRename, std::string{from}, std::string{to}, inode});
  return {};
}

Status MemoryFileSystem::remove(std::string_view name) {
  auto it = names_.find(name);
  if (it == names_.end()) {
    return {ErrorCode::kUnavailable, fmt::format("remove {}: no such file", name)};
  }
  if (Status s = mutate(fmt::format("remove {}", name)); !s.ok()) return s;
  names_.erase(it);
  dir_ops_.push_back({DirOp::Kind::kUnlink, std::string{name}, {}, {}});
  return {};
}

Status MemoryFileSystem::sync_dir() {
  if (Status s = mutate("sync the directory"); !s.ok()) return s;
  if (failing_syncs_ > 0) {
    --failing_syncs_;
    return {ErrorCode::kIo, "fsync of the directory: input/output error (injected)"};
  }
  synced_names_ = names_;
  dir_ops_.clear();
  return {};
}

void MemoryFileSystem::crash(CrashMode mode, std::uint64_t seed) {
  Prng prng{seed};
  const auto keep = [&](std::size_t count) -> std::size_t {
    switch (mode) {
      case CrashMode::kLoseUnsynced:
        return 0;
      case CrashMode::kKeepUnsynced:
        return count;
      case CrashMode::kRandom:
        return static_cast<std::size_t>(prng.uniform(count + 1));
    }
    return 0;
  };

  // The directory: its synced state plus a prefix of the later creations, renames, removals.
  auto names = synced_names_;
  const std::size_t dir_kept = keep(dir_ops_.size());
  for (std::size_t i = 0; i < dir_kept; ++i) {
    const DirOp& op = dir_ops_[i];
    switch (op.kind) {
      case DirOp::Kind::kLink:
        names.insert_or_assign(op.name, op.inode);
        break;
      case DirOp::Kind::kUnlink:
        names.erase(op.name);
        break;
      case DirOp::Kind::kRename:
        if (auto it = names.find(op.name); it != names.end()) {
          auto inode = it->second;
          names.erase(it);
          names.insert_or_assign(op.to, inode);
        }
        break;
    }
  }

  // Each file: its synced bytes plus a prefix of its later writes, the next one maybe torn.
  std::set<Inode*> done;
  for (const auto& [name, inode] : names) {
    if (!done.insert(inode.get()).second) continue;
    std::vector<std::byte> data = inode->synced;
    const std::size_t kept = keep(inode->pending.size());
    for (std::size_t i = 0; i < kept; ++i) apply_op(data, inode->pending[i]);
    if (mode == CrashMode::kRandom && kept < inode->pending.size() && prng.chance(0.5)) {
      const FileOp& torn = inode->pending[kept];
      if (!torn.truncate && !torn.bytes.empty()) {
        // The sectors a write covers reach the disk in order; the power fails
        // during one of them, which holds garbage (or zeros) afterwards.
        const std::uint64_t first_sector = torn.offset / kSectorBytes;
        const std::uint64_t last_sector = (torn.offset + torn.bytes.size() - 1) / kSectorBytes;
        const std::uint64_t sectors = prng.uniform(last_sector - first_sector + 1) + 1;
        const std::uint64_t end = std::min<std::uint64_t>((first_sector + sectors) * kSectorBytes,
                                                          torn.offset + torn.bytes.size());
        FileOp partial{false, torn.offset, {}};
        partial.bytes.assign(torn.bytes.begin(),
                             torn.bytes.begin() + static_cast<std::ptrdiff_t>(end - torn.offset));
        const std::uint64_t bad_from =
            std::max(torn.offset, (first_sector + sectors - 1) * kSectorBytes) - torn.offset;
        const bool zeros = prng.chance(0.5);
        for (std::uint64_t i = bad_from; i < partial.bytes.size(); ++i) {
          partial.bytes[i] = zeros ? std::byte{0} : static_cast<std::byte>(prng.next() & 0xFFU);
        }
        apply_op(data, partial);
      }
    }
    inode->data = data;
    inode->synced = std::move(data);
    inode->pending.clear();
  }

  names_ = names;
  synced_names_ = std::move(names);
  dir_ops_.clear();
  ++generation_;
  stop_at_ = UINT64_MAX;
  failing_syncs_ = 0;
}

Result<std::vector<std::byte>> MemoryFileSystem::contents(std::string_view name) const {
  auto it = names_.find(name);
  if (it == names_.end()) {
    return Status{ErrorCode::kUnavailable, fmt::format("{}: no such file", name)};
  }
  return it->second->data;
}

void MemoryFileSystem::corrupt(std::string_view name, std::uint64_t offset, std::byte mask) {
  auto it = names_.find(name);
  RAFT_ASSERT(it != names_.end());
  RAFT_ASSERT(offset < it->second->data.size());
  it->second->data[offset] ^= mask;
  if (offset < it->second->synced.size()) it->second->synced[offset] ^= mask;
}

}  // namespace raft::storage
