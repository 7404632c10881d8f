// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the write-ahead log's recovery (issue 5, "Security and bad input"):
// whatever a damaged or hostile disk holds, Wal::open returns a log or an error with a message,
// never crashes, hangs, leaks or reads out of bounds (ASan/UBSan are on); and a log it
// accepts is readable everywhere it says it is, takes one more entry and reopens to the same.
//
// Input layout (see wal_fuzz_layout.h, shared with the test that writes the seed corpus):
//   byte 0: flags: bits 0-1 = segment count - 1; bit 2 = a `snapshot` file comes first;
//           bit 3 = also leave a `snapshot.tmp`; bits 4-6 = segment_bytes is 64 << value
//   byte 1: the sequence number of the first segment (the others follow it)
//   then the files in order (snapshot, then segments): each but the last is a u16
//   little-endian length and that many bytes; the last file takes the rest.
// Build and run: see tests/fuzz/README.md.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "raft/storage/memory_file_system.h"
#include "raft/storage/wal.h"
#include "wal_fuzz_layout.h"

namespace {

using raft::Entry;
using raft::EntryType;
using raft::Index;
using raft::Payload;
using raft::Status;
using raft::Term;
using raft::storage::MemoryFileSystem;
using raft::storage::Wal;

// A property broke: say which, and abort so that libFuzzer saves the input.
#define CHECK(condition)                                                  \
  do {                                                                    \
    if (!(condition)) {                                                   \
      std::fprintf(stderr, "wal_fuzz.cc:%d: %s\n", __LINE__, #condition); \
      std::abort();                                                       \
    }                                                                     \
  } while (false)

// Everything a LogReader says about the log, to compare before and after a reopen.
struct Content {
  raft::HardState hard_state;
  Index first;
  Index last;
  Term prev_term;
  std::vector<Entry> entries;
  raft::SnapshotMeta snapshot;
  std::uint64_t snapshot_size = 0;
  friend bool operator==(const Content&, const Content&) = default;
};

// Reads every index the log claims, one by one and all at once; aborts on any failure.
Content read_everything(const Wal& wal, std::size_t input_size) {
  Content content{wal.hard_state(),    wal.first_index(),  wal.last_index(), Term{}, {},
                  wal.snapshot_meta(), wal.snapshot_size()};
  // The log runs from first_index - 1 (its term known) to last_index: never backwards, and
  // never more entries than the input could hold (each record is at least 8 + 18 bytes).
  CHECK(content.first.value() >= 1);
  CHECK(content.last.value() + 1 >= content.first.value());
  const std::uint64_t count = content.last.value() + 1 - content.first.value();
  CHECK(count <= input_size / 26 + 1);
  CHECK(content.hard_state.commit <= content.last);
  const auto prev = wal.term(content.first.prev());
  CHECK(prev.ok());
  content.prev_term = *prev;
  for (Index index = content.first; index <= content.last; index = index.next()) {
    const auto term = wal.term(index);
    CHECK(term.ok());
    std::vector<Entry> one;
    CHECK(wal.entries(index, index.next(), 0, one).ok());
    CHECK(one.size() == 1 && one[0].index == index && one[0].term == *term);
  }
  CHECK(wal.entries(content.first, content.last.next(), SIZE_MAX, content.entries).ok());
  CHECK(content.entries.size() == count);
  // Just outside the log: errors with a message, not crashes.
  if (content.first.value() >= 2) {
    const auto before = wal.term(content.first.prev().prev());
    CHECK(!before.ok() && !before.status().message().empty());
  }
  const auto after = wal.term(content.last.next());
  CHECK(!after.ok() && !after.status().message().empty());
  if (content.snapshot_size > 0) {
    std::vector<std::byte> data;
    CHECK(wal.read_snapshot(0, static_cast<std::size_t>(content.snapshot_size), data).ok());
    CHECK(data.size() == content.snapshot_size);
  }
  return content;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const raft::storage::fuzz::WalLayout layout = raft::storage::fuzz::parse_wal_input(
      std::span<const std::byte>{reinterpret_cast<const std::byte*>(data), size});
  MemoryFileSystem fs;
  for (const auto& [name, bytes] : layout.files) {
    auto file = fs.open(name, raft::storage::OpenMode::kTruncate);
    CHECK(file.ok());
    CHECK((*file)->append(bytes).ok() && (*file)->sync().ok());
  }
  CHECK(fs.sync_dir().ok());

  auto opened = Wal::open(fs, layout.options);
  if (!opened.ok()) {
    CHECK(!opened.status().message().empty());
    return 0;
  }
  Content before = read_everything(**opened, size);

  // Recovery refuses indexes beyond 2^62 (wal.cc, kMaxIndex); do not append up to there.
  if (before.last.value() >= (std::uint64_t{1} << 62U)) return 0;
  // The recovered log takes one more entry, durably, and reopens to exactly that.
  const Entry extra{before.entries.empty() ? before.prev_term : before.entries.back().term,
                    before.last.next(), EntryType::kNormal, Payload{std::string{"fuzz"}}};
  CHECK((*opened)->append(std::span<const Entry>{&extra, 1}).ok());
  CHECK((*opened)->sync().ok());
  opened->reset();
  before.last = before.last.next();
  before.entries.push_back(extra);

  auto reopened = Wal::open(fs, layout.options);
  CHECK(reopened.ok());
  const Content after = read_everything(**reopened, size + 64);
  CHECK(after == before);
  return 0;
}
