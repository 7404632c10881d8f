// SPDX-License-Identifier: Apache-2.0
#include "host_disk.h"

#include <utility>

#include "raft/assert.h"

namespace raft::sim::detail {

Status HostDisk::use_wal() {
  fs_ = std::make_unique<storage::MemoryFileSystem>();
  std::vector<std::string> notes;
  return reopen(notes);
}

const LogReader& HostDisk::log() const {
  if (!wal()) return memory_;
  RAFT_ASSERT_MSG(wal_ != nullptr, "the write-ahead log is not open");
  return *wal_;
}

Result<Payload> HostDisk::snapshot_data() const {
  if (!wal()) return memory_.snapshot_data();
  RAFT_ASSERT_MSG(wal_ != nullptr, "the write-ahead log is not open");
  return wal_->snapshot_data();
}

Status HostDisk::begin(const Ready& ready) {
  if (!wal()) return Status{};
  return wal_->write(ready);
}

Status HostDisk::finish(const Ready& ready) {
  if (!wal()) {
    memory_.persist(ready);
    return Status{};
  }
  // Group commit: one fsync for everything begin() wrote (Readys that need
  // no sync stay in the page cache, where a crash may lose or tear them).
  return ready.must_sync ? wal_->sync() : Status{};
}

Status HostDisk::save_snapshot(const SnapshotMeta& meta, Payload data) {
  if (!wal()) {
    memory_.save_snapshot(meta, std::move(data));
    return Status{};
  }
  return wal_->save_snapshot(meta, data.bytes());
}

void HostDisk::crash(std::uint64_t seed) {
  if (!wal()) return;
  wal_.reset();
  fs_->crash(storage::CrashMode::kRandom, seed);
}

Status HostDisk::reopen(std::vector<std::string>& notes) {
  RAFT_ASSERT(wal());
  wal_.reset();
  Result<std::unique_ptr<storage::Wal>> opened = storage::Wal::open(*fs_);
  if (!opened.ok()) return opened.status();
  wal_ = std::move(*opened);
  notes = wal_->recovery_notes();
  return Status{};
}

}  // namespace raft::sim::detail
