// SPDX-License-Identifier: Apache-2.0
// The write-ahead log (raft/storage/wal.h): CRC-32C, round trips, segments,
// compaction, snapshots, recovery of a torn tail, refusal on corruption, fsync
// errors, and the POSIX file system.

#include "raft/storage/wal.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "raft/storage/crc32c.h"
#include "raft/storage/memory_file_system.h"
#include "raft/storage/posix_file_system.h"
#include "wal_test.h"

namespace raft::storage {
namespace {

using testing::bytes_of;
using testing::hard_state;
using testing::make_entries;
using testing::make_entry;

std::unique_ptr<Wal> open_ok(FileSystem& fs, WalOptions options = {}) {
  auto wal = Wal::open(fs, options);
  EXPECT_TRUE(wal.ok()) << wal.status().to_string();
  if (!wal.ok()) return nullptr;
  return std::move(*wal);
}

std::vector<Entry> read_all(const Wal& wal) {
  std::vector<Entry> out;
  const Status status = wal.entries(wal.first_index(), wal.last_index().next(), SIZE_MAX, out);
  EXPECT_TRUE(status.ok()) << status.to_string();
  return out;
}

Ready sync_ready(std::optional<HardState> state, std::vector<Entry> entries) {
  Ready ready;
  ready.hard_state = state;
  ready.entries = std::move(entries);
  ready.must_sync = true;
  return ready;
}

std::vector<std::string> segment_names(const MemoryFileSystem& fs) {
  std::vector<std::string> out;
  const auto names = fs.list();
  for (const std::string& name : *names) {
    if (name.starts_with("wal-")) out.push_back(name);
  }
  return out;
}

bool mentions(const std::vector<std::string>& notes, std::string_view text) {
  for (const std::string& note : notes) {
    if (note.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(Crc32c, MatchesTheStandardCheckValue) {
  const auto data = bytes_of("123456789");
  EXPECT_EQ(crc32c(data), 0xE3069283U);
  EXPECT_EQ(crc32c({}), 0U);
  // Extending piecewise gives the CRC of the whole.
  const std::span<const std::byte> all{data};
  EXPECT_EQ(crc32c_extend(crc32c(all.first(4)), all.subspan(4)), 0xE3069283U);
  // RFC 3720 B.4: 32 bytes of zeros.
  const std::vector<std::byte> zeros(32, std::byte{0});
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAU);
}

TEST(Crc32c, TheHardwareAndThePortablePathsAgreeAtEveryLengthAndAlignment) {
  // crc32c_extend() takes the CPU's CRC32 instruction 8 bytes at a time where it exists; the
  // table is the reference. Lengths 0..64 and every start offset cover the tails and the
  // unaligned loads.
  std::vector<std::byte> data(80);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i * 37 + 11);
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t length = 0; length <= 64; ++length) {
      const std::span<const std::byte> piece{data.data() + offset, length};
      EXPECT_EQ(crc32c_extend(0x1234U, piece), detail::crc32c_extend_portable(0x1234U, piece))
          << "offset " << offset << ", length " << length;
    }
  }
  EXPECT_EQ(detail::crc32c_extend_portable(0, bytes_of("123456789")), 0xE3069283U);
}

TEST(Wal, RoundTripsEntriesAndHardState) {
  MemoryFileSystem fs;
  {
    auto wal = open_ok(fs);
    ASSERT_TRUE(wal->persist(sync_ready(hard_state(3, 2, 1), make_entries(3, 1, 5))).ok());
    EXPECT_EQ(wal->last_index(), Index{5});
  }
  auto wal = open_ok(fs);
  EXPECT_EQ(wal->hard_state(), hard_state(3, 2, 1));
  EXPECT_EQ(wal->first_index(), Index{1});
  EXPECT_EQ(read_all(*wal), make_entries(3, 1, 5));
  EXPECT_EQ(*wal->term(Index{0}), Term{0});
  EXPECT_TRUE(wal->recovery_notes().empty());
}

TEST(Wal, ConflictingSuffixIsReplacedAcrossRestarts) {
  MemoryFileSystem fs;
  {
    auto wal = open_ok(fs);
    ASSERT_TRUE(wal->persist(sync_ready(hard_state(1, 1, 0), make_entries(1, 1, 6))).ok());
    ASSERT_TRUE(wal->persist(sync_ready(hard_state(2, 2, 0), make_entries(2, 4, 5))).ok());
  }
  auto wal = open_ok(fs);
  auto expected = make_entries(1, 1, 3);
  for (const Entry& entry : make_entries(2, 4, 5)) expected.push_back(entry);
  EXPECT_EQ(read_all(*wal), expected);
}

TEST(Wal, RollsSegmentsAtTheConfiguredSize) {
  MemoryFileSystem fs;
  const WalOptions options{.segment_bytes = 256};
  {
    auto wal = open_ok(fs, options);
    for (std::uint64_t i = 1; i <= 40; ++i) {
      ASSERT_TRUE(wal->persist(sync_ready(hard_state(1, 1, i - 1), {make_entry(1, i)})).ok());
    }
    EXPECT_GT(wal->segment_count(), 4U);
  }
  EXPECT_GT(segment_names(fs).size(), 4U);
  for (const std::string& name : segment_names(fs)) {
    // Rolled at the size: no segment grows much past it (one batch at most).
    EXPECT_LT(fs.contents(name)->size(), 256U + 100U) << name;
  }
  auto wal = open_ok(fs, options);
  EXPECT_EQ(read_all(*wal), make_entries(1, 1, 40));
  EXPECT_EQ(wal->hard_state(), hard_state(1, 1, 39));
}

TEST(Wal, CompactionDeletesWholeSegmentsBehindTheSnapshot) {
  MemoryFileSystem fs;
  const WalOptions options{.segment_bytes = 256};
  SnapshotMeta meta{Index{80}, Term{1}, {}};
  meta.membership.voters = {NodeId{1}, NodeId{2}, NodeId{3}};
  {
    auto wal = open_ok(fs, options);
    for (std::uint64_t i = 1; i <= 100; i += 5) {
      ASSERT_TRUE(wal->persist(sync_ready(hard_state(1, 1, 0), make_entries(1, i, i + 4))).ok());
    }
    const std::size_t before = wal->segment_count();
    ASSERT_TRUE(wal->save_snapshot(meta, bytes_of("state at 80")).ok());
    Ready ready;
    ready.compact_to = Index{80};
    ready.must_sync = true;
    ASSERT_TRUE(wal->persist(ready).ok());
    EXPECT_LT(wal->segment_count(), before);
    EXPECT_EQ(segment_names(fs).size(), wal->segment_count());
    EXPECT_EQ(wal->first_index(), Index{81});
  }
  auto wal = open_ok(fs, options);
  EXPECT_EQ(wal->first_index(), Index{81});
  EXPECT_EQ(*wal->term(Index{80}), Term{1});
  EXPECT_EQ(wal->term(Index{79}).status().code(), ErrorCode::kCompacted);
  EXPECT_EQ(read_all(*wal), make_entries(1, 81, 100));
  EXPECT_EQ(wal->snapshot_meta(), meta);
}

TEST(Wal, SavedSnapshotSurvivesARestartWithTheLogAfterIt) {
  MemoryFileSystem fs;
  SnapshotMeta meta{Index{3}, Term{2}, {}};
  meta.membership.voters = {NodeId{1}, NodeId{2}};
  meta.membership.learners = {NodeId{7}};
  const auto data = bytes_of("the state machine at index 3");
  {
    auto wal = open_ok(fs);
    ASSERT_TRUE(wal->persist(sync_ready(hard_state(2, 1, 3), make_entries(2, 1, 5))).ok());
    ASSERT_TRUE(wal->save_snapshot(meta, data).ok());
    const auto names = *fs.list();
    EXPECT_EQ(std::count(names.begin(), names.end(), "snapshot.tmp"), 0);
    EXPECT_EQ(std::count(names.begin(), names.end(), "snapshot"), 1);
  }
  auto wal = open_ok(fs);
  EXPECT_EQ(wal->snapshot_meta(), meta);
  EXPECT_EQ(wal->snapshot_size(), data.size());
  EXPECT_EQ(wal->snapshot_data()->as_string(), "the state machine at index 3");
  std::vector<std::byte> chunk;
  ASSERT_TRUE(wal->read_snapshot(4, 5, chunk).ok());
  EXPECT_EQ(chunk, bytes_of("state"));
  EXPECT_EQ(read_all(*wal), make_entries(2, 1, 5));
}

TEST(Wal, InstalledSnapshotDiscardsTheLog) {
  MemoryFileSystem fs;
  const SnapshotMeta meta{Index{50}, Term{4}, {}};
  {
    auto wal = open_ok(fs);
    ASSERT_TRUE(wal->persist(sync_ready(hard_state(3, 1, 2), make_entries(3, 1, 8))).ok());
    Ready chunks;
    chunks.snapshot_chunks.push_back({Index{50}, Term{4}, 0, Payload{std::string_view{"abc"}}});
    chunks.must_sync = true;
    ASSERT_TRUE(wal->persist(chunks).ok());
    Ready install;
    install.snapshot_chunks.push_back({Index{50}, Term{4}, 3, Payload{std::string_view{"def"}}});
    install.snapshot_to_install = meta;
    install.hard_state = hard_state(4, 0, 50);
    install.must_sync = true;
    ASSERT_TRUE(wal->persist(install).ok());
    EXPECT_EQ(wal->first_index(), Index{51});
    ASSERT_TRUE(wal->persist(sync_ready(std::nullopt, make_entries(4, 51, 52))).ok());
  }
  auto wal = open_ok(fs);
  EXPECT_EQ(wal->snapshot_meta(), meta);
  EXPECT_EQ(wal->snapshot_data()->as_string(), "abcdef");
  EXPECT_EQ(wal->first_index(), Index{51});
  EXPECT_EQ(*wal->term(Index{50}), Term{4});
  EXPECT_EQ(read_all(*wal), make_entries(4, 51, 52));
  EXPECT_EQ(wal->hard_state(), hard_state(4, 0, 50));
}

TEST(Wal, ASnapshotWrittenAsideBecomesCurrentOnlyWhenCommitted) {
  MemoryFileSystem fs;
  const SnapshotMeta meta{Index{3}, Term{2}, {}};
  auto wal = open_ok(fs);
  ASSERT_TRUE(wal->persist(sync_ready(hard_state(2, 1, 3), make_entries(2, 1, 5))).ok());
  ASSERT_TRUE(wal->write_snapshot_aside(meta, bytes_of("state at 3")).ok());
  // Written and synced aside, but not current: a crash now leaves the log as it was.
  EXPECT_EQ(wal->snapshot_meta().index, Index{0});
  const auto names = *fs.list();
  EXPECT_EQ(std::count(names.begin(), names.end(), "snapshot"), 0);
  EXPECT_EQ(std::count(names.begin(), names.end(), "snapshot.tmp"), 1);
  Result<bool> committed = wal->commit_snapshot(meta, bytes_of("state at 3").size());
  ASSERT_TRUE(committed.ok() && *committed);
  EXPECT_EQ(wal->snapshot_meta(), meta);
  EXPECT_EQ(open_ok(fs)->snapshot_data()->as_string(), "state at 3");
}

TEST(Wal, ASnapshotWrittenAsideIsDroppedWhenTheLeadersNewerOneWasInstalledMeanwhile) {
  MemoryFileSystem fs;
  auto wal = open_ok(fs);
  ASSERT_TRUE(wal->persist(sync_ready(hard_state(2, 1, 3), make_entries(2, 1, 5))).ok());
  const SnapshotMeta ours{Index{3}, Term{2}, {}};
  ASSERT_TRUE(wal->write_snapshot_aside(ours, bytes_of("ours at 3")).ok());
  // Meanwhile the leader's snapshot at 50 arrives and is installed.
  Ready install;
  install.snapshot_chunks.push_back({Index{50}, Term{4}, 0, Payload{std::string_view{"leader"}}});
  install.snapshot_to_install = SnapshotMeta{Index{50}, Term{4}, {}};
  install.hard_state = hard_state(4, 0, 50);
  install.must_sync = true;
  ASSERT_TRUE(wal->persist(install).ok());
  Result<bool> committed = wal->commit_snapshot(ours, bytes_of("ours at 3").size());
  ASSERT_TRUE(committed.ok());
  EXPECT_FALSE(*committed);
  EXPECT_EQ(wal->snapshot_meta().index, Index{50});
  EXPECT_EQ(open_ok(fs)->snapshot_data()->as_string(), "leader");
}

TEST(Wal, TornTailIsCutAndReported) {
  MemoryFileSystem fs;
  std::string segment;
  {
    auto wal = open_ok(fs);
    ASSERT_TRUE(wal->persist(sync_ready(hard_state(1, 1, 0), make_entries(1, 1, 3))).ok());
    segment = segment_names(fs).back();
  }
  // Half a record after the last good one, as a crash mid-write leaves it.
  const auto size = fs.contents(segment)->size();
  {
    auto file = std::move(*fs.open(segment, OpenMode::kAppend));
    ASSERT_TRUE(file->append(bytes_of("\x30\x00\x00\x00garbage")).ok());
  }
  auto wal = open_ok(fs);
  EXPECT_EQ(read_all(*wal), make_entries(1, 1, 3));
  EXPECT_TRUE(mentions(wal->recovery_notes(),
                       segment + ": cut a torn record at offset " + std::to_string(size)))
      << ::testing::PrintToString(wal->recovery_notes());
  EXPECT_EQ(fs.contents(segment)->size(), size);
}

TEST(Wal, CorruptionBeforeTheTailRefusesToStartNamingFileAndOffset) {
  MemoryFileSystem fs;
  const WalOptions options{.segment_bytes = 256};
  {
    auto wal = open_ok(fs, options);
    for (std::uint64_t i = 1; i <= 30; ++i) {
      ASSERT_TRUE(wal->persist(sync_ready(hard_state(1, 1, 0), {make_entry(1, i)})).ok());
    }
  }
  const auto names = segment_names(fs);
  ASSERT_GE(names.size(), 3U);
  // A bit flipped in the payload of a record in the middle of an older segment.
  fs.corrupt(names[1], 60, std::byte{0x10});
  auto wal = Wal::open(fs, options);
  ASSERT_FALSE(wal.ok());
  EXPECT_EQ(wal.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(wal.status().message().find(names[1] + ": corrupt record at offset "),
            std::string::npos)
      << wal.status().message();
}

TEST(Wal, CorruptionInTheLastSegmentFollowedByGoodRecordsRefuses) {
  MemoryFileSystem fs;
  {
    auto wal = open_ok(fs);
    for (std::uint64_t i = 1; i <= 5; ++i) {
      ASSERT_TRUE(wal->persist(sync_ready(std::nullopt, {make_entry(1, i)})).ok());
    }
  }
  const auto names = segment_names(fs);
  ASSERT_EQ(names.size(), 1U);
  // The checkpoint is 49 bytes, each entry record 31: the second entry starts at 80.
  fs.corrupt(names[0], 80 + 20, std::byte{0x01});
  auto wal = Wal::open(fs);
  ASSERT_FALSE(wal.ok());
  EXPECT_EQ(wal.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(wal.status().message().find(names[0] + ": corrupt record at offset 80"),
            std::string::npos)
      << wal.status().message();
}

TEST(Wal, FsyncErrorSurfacesAsIoAndStopsTheLog) {
  MemoryFileSystem fs;
  auto wal = open_ok(fs);
  ASSERT_TRUE(wal->persist(sync_ready(hard_state(1, 1, 0), make_entries(1, 1, 2))).ok());
  fs.fail_syncs(1);
  const Status failed = wal->persist(sync_ready(hard_state(2, 2, 0), make_entries(2, 3, 3)));
  EXPECT_EQ(failed.code(), ErrorCode::kIo) << failed.to_string();
  // fsyncgate: never trust the same file again without recovery.
  EXPECT_EQ(wal->persist(sync_ready(std::nullopt, make_entries(2, 4, 4))).code(), ErrorCode::kIo);
  EXPECT_EQ(wal->sync().code(), ErrorCode::kIo);
  wal.reset();
  fs.crash(CrashMode::kLoseUnsynced);
  auto reopened = open_ok(fs);
  EXPECT_EQ(read_all(*reopened), make_entries(1, 1, 2));
  EXPECT_EQ(reopened->hard_state(), hard_state(1, 1, 0));
}

TEST(Wal, GroupCommitSyncsOncePerBatch) {
  MemoryFileSystem fs;
  auto wal = open_ok(fs);
  const auto before = fs.mutations();
  for (std::uint64_t i = 1; i <= 10; ++i) {
    Ready ready = sync_ready(std::nullopt, {make_entry(1, i)});
    ASSERT_TRUE(wal->write(ready).ok());
  }
  ASSERT_TRUE(wal->sync().ok());
  // Ten appends and one fsync.
  EXPECT_EQ(fs.mutations() - before, 11U);
  fs.crash(CrashMode::kLoseUnsynced);
  wal.reset();
  EXPECT_EQ(read_all(*open_ok(fs)), make_entries(1, 1, 10));
}

TEST(MemoryFileSystem, CrashKeepsSyncedDataAndWhatTheModeSays) {
  for (const CrashMode mode : {CrashMode::kLoseUnsynced, CrashMode::kKeepUnsynced}) {
    MemoryFileSystem fs;
    auto file = std::move(*fs.open("a", OpenMode::kAppend));
    ASSERT_TRUE(file->append(bytes_of("synced")).ok());
    ASSERT_TRUE(file->sync().ok());
    ASSERT_TRUE(fs.sync_dir().ok());
    ASSERT_TRUE(file->append(bytes_of("+later")).ok());
    auto other = std::move(*fs.open("b", OpenMode::kAppend));  // its name never synced
    ASSERT_TRUE(other->append(bytes_of("b")).ok());
    ASSERT_TRUE(other->sync().ok());
    fs.crash(mode);
    const bool keep = mode == CrashMode::kKeepUnsynced;
    EXPECT_EQ(*fs.contents("a"), bytes_of(keep ? "synced+later" : "synced"));
    EXPECT_EQ(fs.contents("b").ok(), keep);
    // Handles from before the crash are dead.
    EXPECT_EQ(file->append(bytes_of("x")).code(), ErrorCode::kIo);
  }
}

TEST(MemoryFileSystem, RandomCrashTearsOnlyUnsyncedSectors) {
  bool saw_torn = false;
  for (std::uint64_t seed = 1; seed <= 64; ++seed) {
    MemoryFileSystem fs;
    auto file = std::move(*fs.open("a", OpenMode::kAppend));
    ASSERT_TRUE(fs.sync_dir().ok());
    const std::vector<std::byte> synced(700, std::byte{1});
    const std::vector<std::byte> later(2000, std::byte{2});
    ASSERT_TRUE(file->append(synced).ok());
    ASSERT_TRUE(file->sync().ok());
    ASSERT_TRUE(file->append(later).ok());
    fs.crash(CrashMode::kRandom, seed);
    const auto data = *fs.contents("a");
    ASSERT_GE(data.size(), synced.size()) << "seed " << seed;
    ASSERT_LE(data.size(), synced.size() + later.size()) << "seed " << seed;
    EXPECT_TRUE(std::equal(synced.begin(), synced.end(), data.begin())) << "seed " << seed;
    // A torn write ends on a sector boundary (or the write's own end).
    if (data.size() != synced.size() && data.size() != synced.size() + later.size()) {
      EXPECT_EQ(data.size() % MemoryFileSystem::kSectorBytes, 0U) << "seed " << seed;
      saw_torn = true;
    }
  }
  EXPECT_TRUE(saw_torn);
}

TEST(MemoryFileSystem, StopAfterRefusesEveryLaterMutation) {
  MemoryFileSystem fs;
  auto file = std::move(*fs.open("a", OpenMode::kAppend));  // 1 mutation: the creation
  fs.stop_after(1);
  EXPECT_TRUE(file->append(bytes_of("one")).ok());
  EXPECT_EQ(file->sync().code(), ErrorCode::kIo);
  EXPECT_EQ(fs.sync_dir().code(), ErrorCode::kIo);
  fs.crash(CrashMode::kLoseUnsynced);
  EXPECT_FALSE(fs.contents("a").ok());  // the creation was never made durable
  // After the restart the disk works again.
  auto again = std::move(*fs.open("a", OpenMode::kAppend));
  EXPECT_TRUE(again->sync().ok());
}

TEST(PosixFileSystem, RunsTheLogOnARealDirectory) {
  std::string pattern = ::testing::TempDir() + "raft-wal-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const std::string dir = pattern + "/wal";
  {
    auto fs = PosixFileSystem::open_directory(dir);
    ASSERT_TRUE(fs.ok()) << fs.status().to_string();
    auto wal = open_ok(**fs, {.segment_bytes = 200});
    ASSERT_TRUE(wal->persist(sync_ready(hard_state(1, 1, 0), make_entries(1, 1, 20))).ok());
    ASSERT_TRUE(wal->persist(sync_ready(hard_state(1, 1, 5), make_entries(1, 21, 30))).ok());
    const SnapshotMeta meta{Index{10}, Term{1}, {}};
    ASSERT_TRUE(wal->save_snapshot(meta, bytes_of("ten")).ok());
  }
  {
    auto fs = PosixFileSystem::open_directory(dir);
    ASSERT_TRUE(fs.ok());
    auto wal = open_ok(**fs, {.segment_bytes = 200});
    EXPECT_EQ(read_all(*wal), make_entries(1, 1, 30));
    EXPECT_EQ(wal->hard_state(), hard_state(1, 1, 5));
    EXPECT_EQ(wal->snapshot_data()->as_string(), "ten");
    const auto names = (*fs)->list();
    for (const std::string& name : *names) ASSERT_TRUE((*fs)->remove(name).ok());
  }
  ::rmdir(dir.c_str());
  ::rmdir(pattern.c_str());
}

}  // namespace
}  // namespace raft::storage
