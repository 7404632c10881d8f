// SPDX-License-Identifier: Apache-2.0
// Group commit of the write-ahead log on a real disk (PosixFileSystem in a fresh
// directory under $TMPDIR or /tmp): appends per second with one fsync per batch.
// Read the wall-clock Time column and items_per_second: the cost is the fsync.

#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "raft/ready.h"
#include "raft/storage/posix_file_system.h"
#include "raft/storage/wal.h"

namespace {

using raft::Entry;
using raft::EntryType;
using raft::Index;
using raft::Payload;
using raft::Ready;
using raft::Term;
using raft::storage::PosixFileSystem;
using raft::storage::Wal;

constexpr std::size_t kPayloadBytes = 256;
constexpr std::uint64_t kEntriesPerLog = 200'000;  // then start over, to bound disk use

/// A fresh directory with a Wal in it; removes both at the end.
class Fixture {
 public:
  Fixture() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string{tmp != nullptr ? tmp : "/tmp"} + "/raft-wal-bench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    dir_ = pattern;
    reset();
  }
  ~Fixture() {
    wal_.reset();
    clear();
    fs_.reset();
    ::rmdir(dir_.c_str());
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  void reset() {
    wal_.reset();
    if (fs_) clear();
    auto fs = PosixFileSystem::open_directory(dir_);
    if (!fs.ok()) std::abort();
    fs_ = std::move(*fs);
    auto wal = Wal::open(*fs_);
    if (!wal.ok()) std::abort();
    wal_ = std::move(*wal);
  }
  Wal& wal() { return *wal_; }

 private:
  void clear() {
    const auto names = fs_->list();
    for (const std::string& name : *names) (void)fs_->remove(name);
  }
  std::string dir_;
  std::unique_ptr<PosixFileSystem> fs_;
  std::unique_ptr<Wal> wal_;
};

Ready batch_of(Index first, std::int64_t count, const Payload& payload) {
  Ready ready;
  for (std::int64_t i = 0; i < count; ++i) {
    ready.entries.push_back(
        Entry{Term{1}, first + static_cast<std::uint64_t>(i), EntryType::kNormal, payload});
  }
  ready.must_sync = true;
  return ready;
}

/// One Ready of `batch` 256-byte entries, persisted with one fsync.
void BM_WalGroupCommit(benchmark::State& state) {
  Fixture fixture;
  const Payload payload{std::vector<std::byte>(kPayloadBytes, std::byte{0x5a})};
  const std::int64_t batch = state.range(0);
  for (auto _ : state) {
    if (fixture.wal().last_index().value() >= kEntriesPerLog) {
      state.PauseTiming();
      fixture.reset();
      state.ResumeTiming();
    }
    const Ready ready = batch_of(fixture.wal().last_index().next(), batch, payload);
    if (!fixture.wal().persist(ready).ok()) {
      state.SkipWithError("persist failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["fsyncs_per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_WalGroupCommit)->Arg(1)->Arg(16)->Arg(256)->UseRealTime();

/// The same batches without any fsync: the log's own CPU cost (encoding, CRC, write()).
void BM_WalAppendNoSync(benchmark::State& state) {
  Fixture fixture;
  const Payload payload{std::vector<std::byte>(kPayloadBytes, std::byte{0x5a})};
  const std::int64_t batch = state.range(0);
  for (auto _ : state) {
    if (fixture.wal().last_index().value() >= kEntriesPerLog) {
      state.PauseTiming();
      fixture.reset();
      state.ResumeTiming();
    }
    Ready ready = batch_of(fixture.wal().last_index().next(), batch, payload);
    ready.must_sync = false;
    if (!fixture.wal().persist(ready).ok()) {
      state.SkipWithError("write failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_WalAppendNoSync)->Arg(1)->Arg(256)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
