// SPDX-License-Identifier: Apache-2.0
// The seed corpus of the WAL fuzz target (tests/fuzz/wal_fuzz.cc): small logs written by the
// real Wal on a MemoryFileSystem, packed in the fuzz target's input layout. Also checks that
// the layout round-trips, so a change to it fails here rather than silently in the fuzzer.
// Run by hand: RAFT_CORPUS_DIR=tests/fuzz/corpus/wal tests/storage_wal_test
//                --gtest_also_run_disabled_tests --gtest_filter='*WriteFuzzCorpus*'

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../fuzz/wal_fuzz_layout.h"
#include "raft/storage/crc32c.h"
#include "raft/storage/memory_file_system.h"
#include "raft/storage/wal.h"
#include "wal_test.h"

namespace raft::storage {
namespace {

using testing::bytes_of;
using testing::hard_state;
using testing::make_entries;

Ready sync_ready(std::uint64_t term, std::uint64_t commit, std::vector<Entry> entries) {
  Ready ready;
  ready.hard_state = hard_state(term, 1, commit);
  ready.entries = std::move(entries);
  ready.must_sync = true;
  return ready;
}

// The directory `fs` holds, packed as one fuzz input (at most 4 consecutive segments).
std::vector<std::byte> pack(const MemoryFileSystem& fs, unsigned segment_bytes_shift) {
  std::vector<std::byte> snapshot;
  std::vector<std::vector<std::byte>> segments;
  std::string first_name;
  const auto names = fs.list();
  for (const std::string& name : *names) {
    if (name == "snapshot") {
      snapshot = *fs.contents(name);
    } else if (name.starts_with("wal-")) {
      if (first_name.empty()) first_name = name;
      segments.push_back(*fs.contents(name));
    }
  }
  EXPECT_GE(segments.size(), 1U);
  EXPECT_LE(segments.size(), 4U);
  const auto first_seq = std::stoul(first_name.substr(4, 16), nullptr, 16);
  EXPECT_LT(first_seq, 256U);
  return fuzz::encode_wal_input(snapshot, segments, static_cast<std::uint8_t>(first_seq),
                                segment_bytes_shift);
}

// Named logs, each written by `write` with segments of 64 << shift bytes.
struct Case {
  std::string name;
  unsigned shift;
  std::function<void(Wal&)> write;
};

std::vector<Case> cases() {
  return {
      {"one-segment", 6,
       [](Wal& wal) { ASSERT_TRUE(wal.persist(sync_ready(1, 2, make_entries(1, 1, 3))).ok()); }},
      {"conflict-two-segments", 1,
       [](Wal& wal) {
         ASSERT_TRUE(wal.persist(sync_ready(1, 1, make_entries(1, 1, 3))).ok());
         ASSERT_TRUE(wal.persist(sync_ready(2, 2, make_entries(2, 2, 3))).ok());
       }},
      {"snapshot-compacted", 2,
       [](Wal& wal) {
         for (std::uint64_t i = 1; i <= 6; i += 2) {
           ASSERT_TRUE(wal.persist(sync_ready(1, i, make_entries(1, i, i + 1))).ok());
         }
         SnapshotMeta meta{Index{4}, Term{1}, {}};
         meta.membership.voters = {NodeId{1}, NodeId{2}, NodeId{3}};
         ASSERT_TRUE(wal.save_snapshot(meta, bytes_of("state at 4")).ok());
         Ready ready;
         ready.compact_to = Index{4};
         ready.must_sync = true;
         ASSERT_TRUE(wal.persist(ready).ok());
       }},
  };
}

TEST(WalFuzzCorpus, LayoutRoundTrips) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    MemoryFileSystem fs;
    {
      auto wal = Wal::open(fs, WalOptions{std::uint64_t{64} << c.shift});
      ASSERT_TRUE(wal.ok()) << wal.status().to_string();
      c.write(**wal);
    }
    const std::vector<std::byte> input = pack(fs, c.shift);
    const fuzz::WalLayout layout = fuzz::parse_wal_input(input);
    EXPECT_EQ(layout.options.segment_bytes, std::uint64_t{64} << c.shift);
    std::size_t compared = 0;
    for (const auto& [name, bytes] : layout.files) {
      const auto original = fs.contents(name);
      ASSERT_TRUE(original.ok()) << name;
      EXPECT_EQ(*original, bytes) << name;
      ++compared;
    }
    const auto names = fs.list();
    EXPECT_EQ(compared, names->size());
  }
}

// One framed record (u32 length | u32 CRC-32C of length and body | body), as wal.cc writes.
void put_record(std::vector<std::byte>& out, std::uint8_t type,
                const std::vector<std::uint64_t>& fields) {
  std::vector<std::byte> body{static_cast<std::byte>(type)};
  for (const std::uint64_t field : fields) {
    for (unsigned i = 0; i < 8; ++i) body.push_back(static_cast<std::byte>(field >> (8U * i)));
  }
  std::vector<std::byte> length;
  for (unsigned i = 0; i < 4; ++i)
    length.push_back(static_cast<std::byte>(body.size() >> (8U * i)));
  const std::uint32_t crc = crc32c_extend(crc32c(length), body);
  out.insert(out.end(), length.begin(), length.end());
  for (unsigned i = 0; i < 4; ++i) out.push_back(static_cast<std::byte>(crc >> (8U * i)));
  out.insert(out.end(), body.begin(), body.end());
}

// Found by wal_fuzz: a checkpoint (type 1) saying the log starts at index 0 was accepted, and
// the log then claimed first_index 0 and last_index 2^64 - 1. Indexes 0 and beyond 2^62 in
// checkpoints and compactions (type 4) are corruption now.
TEST(WalFuzzRegression, RefusesImpossibleFirstIndex) {
  for (const std::uint64_t first : {std::uint64_t{0}, (std::uint64_t{1} << 62U) + 1, UINT64_MAX}) {
    for (const bool by_compaction : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "first " << first << " compaction " << by_compaction);
      std::vector<std::byte> segment;
      put_record(segment, 1, {1, 1, 0, by_compaction ? 1 : first, 0});
      if (by_compaction) put_record(segment, 4, {first, 0});
      MemoryFileSystem fs;
      auto file = fs.open(fuzz::wal_fuzz_segment_name(1), OpenMode::kTruncate);
      ASSERT_TRUE(file.ok());
      ASSERT_TRUE((*file)->append(segment).ok());
      const auto wal = Wal::open(fs);
      ASSERT_FALSE(wal.ok());
      EXPECT_EQ(wal.status().code(), ErrorCode::kCorruption);
      EXPECT_NE(wal.status().message().find("good checksum but a malformed"), std::string::npos)
          << wal.status().to_string();
    }
  }
}

TEST(WalFuzzCorpus, DISABLED_WriteFuzzCorpus) {
  const char* dir = std::getenv("RAFT_CORPUS_DIR");
  ASSERT_NE(dir, nullptr) << "set RAFT_CORPUS_DIR";
  const auto write = [&](const std::string& name, const std::vector<std::byte>& input) {
    std::ofstream out{std::filesystem::path{dir} / name, std::ios::binary};
    out.write(reinterpret_cast<const char*>(input.data()),
              static_cast<std::streamsize>(input.size()));
  };
  for (const Case& c : cases()) {
    MemoryFileSystem fs;
    {
      auto wal = Wal::open(fs, WalOptions{std::uint64_t{64} << c.shift});
      ASSERT_TRUE(wal.ok()) << wal.status().to_string();
      c.write(**wal);
    }
    std::vector<std::byte> input = pack(fs, c.shift);
    write(c.name, input);
    // The same log with a torn tail: half a record after the last one.
    input.insert(input.end(), input.end() - 12, input.end());
    write(c.name + "-torn", input);
  }
}

}  // namespace
}  // namespace raft::storage
