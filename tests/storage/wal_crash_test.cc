// SPDX-License-Identifier: Apache-2.0
// Crash tests of the write-ahead log in the "destroy unsynced sectors" model
// (FoundationDB's simulator): a workload runs on a MemoryFileSystem that loses
// power after its k-th mutation, for every k; the restart keeps the synced
// bytes and none, all, or a random prefix (the last write maybe torn) of the
// rest. Recovery must succeed, keep every entry and vote acknowledged by a
// sync, invent nothing, and leave a log that takes new writes.
//
// The randomized test draws whole workloads from a seed. By hand:
//   one seed:   RAFT_SEED=123 ./tests/storage_wal_test --gtest_filter='WalCrash.Random*'
//   many seeds: RAFT_SEED_COUNT=5000 ./tests/storage_wal_test --gtest_filter='WalCrash.Random*'

#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "raft/prng.h"
#include "raft/storage/memory_file_system.h"
#include "raft/storage/memory_log.h"
#include "raft/storage/wal.h"
#include "wal_test.h"

namespace raft::storage {
namespace {

using testing::hard_state;
using testing::make_entries;

/// One step of a workload.
struct Op {
  enum class Kind : std::uint8_t {
    kPersist,       ///< Wal::persist(ready): syncs when ready.must_sync
    kWrite,         ///< Wal::write(ready): never syncs
    kSync,          ///< Wal::sync()
    kSaveSnapshot,  ///< Wal::save_snapshot(meta, data)
  };
  Kind kind = Kind::kPersist;
  Ready ready;
  SnapshotMeta meta;
  std::string data;
};

/// What the workload did, as far as it got.
struct Model {
  MemoryLog log;         // every write so far, synced or not
  MemoryLog acked;       // the state at the last sync that returned ok
  Index acked_snapshot;  // the newest snapshot save_snapshot or an install acknowledged
  // Entries written at or below the acknowledged last index since the last
  // acknowledgement: they may replace acknowledged ones (Raft §5.3).
  std::uint64_t overwrite_from = UINT64_MAX;
  std::map<std::uint64_t, std::set<std::pair<std::uint64_t, std::string>>> written;
  std::map<std::uint64_t, std::string> snapshots;  // data by snapshot index
  std::string pending_snapshot;                    // chunks received so far
};

std::string payload_text(const Entry& entry) { return std::string{entry.payload.as_string()}; }

void ack(Model& model) {
  model.acked = model.log;
  model.overwrite_from = UINT64_MAX;
  model.acked_snapshot = std::max(model.acked_snapshot, model.log.snapshot_meta().index);
}

/// Runs `ops` until the first error (the disk went off).
void run(Wal& wal, const std::vector<Op>& ops, Model& model) {
  for (const Op& op : ops) {
    const Ready& ready = op.ready;
    for (const Entry& entry : ready.entries) {
      model.written[entry.index.value()].emplace(entry.term.value(), payload_text(entry));
    }
    if (!ready.entries.empty() && ready.entries.front().index <= model.acked.last_index()) {
      model.overwrite_from = std::min(model.overwrite_from, ready.entries.front().index.value());
    }
    for (const SnapshotChunk& chunk : ready.snapshot_chunks) {
      if (chunk.offset == 0) model.pending_snapshot.clear();
      model.pending_snapshot += chunk.data.as_string();
    }
    if (ready.snapshot_to_install) {
      model.snapshots[ready.snapshot_to_install->index.value()] = model.pending_snapshot;
    }
    Status status;
    switch (op.kind) {
      case Op::Kind::kPersist:
        status = wal.persist(ready);
        break;
      case Op::Kind::kWrite:
        status = wal.write(ready);
        break;
      case Op::Kind::kSync:
        status = wal.sync();
        break;
      case Op::Kind::kSaveSnapshot:
        model.snapshots[op.meta.index.value()] = op.data;
        status = wal.save_snapshot(op.meta, testing::bytes_of(op.data));
        break;
    }
    if (!status.ok()) return;
    switch (op.kind) {
      case Op::Kind::kPersist:
        model.log.persist(ready);
        if (ready.must_sync) ack(model);
        break;
      case Op::Kind::kWrite:
        model.log.persist(ready);
        break;
      case Op::Kind::kSync:
        ack(model);
        break;
      case Op::Kind::kSaveSnapshot:
        model.log.save_snapshot(op.meta, Payload{op.data});
        model.acked_snapshot = std::max(model.acked_snapshot, op.meta.index);
        break;
    }
  }
}

/// Checks what recovery found against what was acknowledged; returns the failures.
std::string check(const Wal& wal, const Model& model) {
  std::string failures;
  const auto fail = [&](const std::string& what) { failures += what + "\n"; };
  const HardState acked = model.acked.hard_state();
  const HardState got = wal.hard_state();
  // A vote (or term) acknowledged may only be superseded by a later term.
  if (got.term < acked.term || (got.term == acked.term && got.vote != acked.vote)) {
    fail(fmt::format("hard state lost: acknowledged term {} vote {}, recovered term {} vote {}",
                     acked.term.value(), acked.vote.value(), got.term.value(), got.vote.value()));
  }
  if (got.commit > wal.last_index()) fail("commit index past the last entry");
  const SnapshotMeta snap = wal.snapshot_meta();
  if (snap.index < model.acked_snapshot) {
    fail(fmt::format("snapshot {} lost; recovered {}", model.acked_snapshot.value(),
                     snap.index.value()));
  }
  if (snap.index > Index{}) {
    const auto it = model.snapshots.find(snap.index.value());
    if (it == model.snapshots.end() || wal.snapshot_data()->as_string() != it->second) {
      fail(fmt::format("snapshot {} holds data never written", snap.index.value()));
    }
  }
  if (wal.first_index().prev() > snap.index) {
    fail(fmt::format("log starts at {} but the snapshot ends at {}", wal.first_index().value(),
                     snap.index.value()));
  }
  // Every acknowledged entry survives (or is covered by the snapshot, or was
  // legitimately replaced by a later conflicting append).
  for (Index i = model.acked.first_index(); i <= model.acked.last_index(); i = i.next()) {
    if (i <= snap.index || i.value() >= model.overwrite_from) continue;
    std::vector<Entry> want;
    std::vector<Entry> have;
    (void)model.acked.entries(i, i.next(), SIZE_MAX, want);
    if (!wal.entries(i, i.next(), SIZE_MAX, have).ok() || have != want) {
      fail(fmt::format("acknowledged entry {} lost or changed", i.value()));
    }
  }
  // Nothing invented.
  std::vector<Entry> all;
  if (Status s = wal.entries(wal.first_index(), wal.last_index().next(), SIZE_MAX, all); !s.ok()) {
    fail("entries(): " + s.to_string());
  }
  for (const Entry& entry : all) {
    const auto it = model.written.find(entry.index.value());
    if (it == model.written.end() ||
        !it->second.contains({entry.term.value(), payload_text(entry)})) {
      fail(fmt::format("entry {} (term {}) was never written", entry.index.value(),
                       entry.term.value()));
    }
  }
  return failures;
}

/// Crashes a run of `ops` after `stop` mutations, restarts, checks; then
/// checks that the recovered log takes a write and keeps it.
/// With `recovery_stop`, the first recovery crashes too, after that many mutations.
void crash_and_check(const std::vector<Op>& ops, const WalOptions& options, std::uint64_t stop,
                     CrashMode mode, std::uint64_t seed, const std::string& context,
                     std::optional<std::uint64_t> recovery_stop = std::nullopt) {
  SCOPED_TRACE(context);
  MemoryFileSystem fs;
  fs.stop_after(stop);
  Model model;
  if (auto wal = Wal::open(fs, options); wal.ok()) run(**wal, ops, model);
  fs.crash(mode, seed);
  if (recovery_stop) {
    // Recovery cuts tails, removes files and starts a segment: a crash in the
    // middle of that must leave a log that recovers just as well.
    fs.stop_after(*recovery_stop);
    (void)Wal::open(fs, options);
    fs.crash(mode, seed + 1);
  }

  auto recovered = Wal::open(fs, options);
  ASSERT_TRUE(recovered.ok()) << recovered.status().to_string();
  const std::string failures = check(**recovered, model);
  ASSERT_TRUE(failures.empty()) << failures << "recovery notes:\n"
                                << ::testing::PrintToString((*recovered)->recovery_notes());

  // The recovered log is usable: a new entry survives a clean restart.
  Wal& wal = **recovered;
  const Index next = wal.last_index().next();
  const std::uint64_t term = std::max<std::uint64_t>(wal.hard_state().term.value(), 1) + 10;
  Ready more;
  more.hard_state = hard_state(term, 0, wal.hard_state().commit.value());
  more.entries = make_entries(term, next.value(), next.value());
  more.must_sync = true;
  ASSERT_TRUE(wal.persist(more).ok());
  recovered = Status{ErrorCode::kStopped, "closed"};
  fs.crash(CrashMode::kLoseUnsynced);
  auto again = Wal::open(fs, options);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ((*again)->last_index(), next);
  EXPECT_EQ((*again)->hard_state().term, Term{term});
}

Op persist(std::optional<HardState> state, std::vector<Entry> entries, bool sync = true) {
  Op op;
  op.kind = sync ? Op::Kind::kPersist : Op::Kind::kWrite;
  op.ready.hard_state = state;
  op.ready.entries = std::move(entries);
  op.ready.must_sync = sync;
  return op;
}

/// A small workload that exercises every record kind and a segment roll or two.
std::vector<Op> scripted_workload() {
  std::vector<Op> ops;
  ops.push_back(persist(hard_state(1, 1, 0), make_entries(1, 1, 3)));
  ops.push_back(persist(std::nullopt, make_entries(1, 4, 8)));
  ops.push_back(persist(hard_state(1, 1, 3), {}, /*sync=*/false));     // commit only
  ops.push_back(persist(hard_state(2, 2, 3), make_entries(2, 6, 9)));  // replaces 6..8
  for (std::uint64_t i = 10; i <= 12; ++i) {                           // group commit
    ops.push_back(persist(std::nullopt, make_entries(2, i, i), /*sync=*/false));
  }
  ops.push_back(Op{Op::Kind::kSync, {}, {}, {}});
  Op save{Op::Kind::kSaveSnapshot, {}, SnapshotMeta{Index{8}, Term{2}, {}}, "snapshot-8"};
  save.meta.membership.voters = {NodeId{1}, NodeId{2}, NodeId{3}};
  ops.push_back(save);
  Op compact;
  compact.ready.compact_to = Index{7};
  compact.ready.must_sync = true;
  ops.push_back(compact);
  ops.push_back(persist(hard_state(3, 3, 9), {}));  // a vote alone
  Op first_chunk;
  first_chunk.ready.snapshot_chunks.push_back(
      {Index{20}, Term{3}, 0, Payload{std::string_view{"snapshot-"}}});
  first_chunk.ready.must_sync = true;
  ops.push_back(first_chunk);
  Op install;
  install.ready.snapshot_chunks.push_back({Index{20}, Term{3}, 9, Payload{std::string_view{"20"}}});
  install.ready.snapshot_to_install = SnapshotMeta{Index{20}, Term{3}, {}};
  install.ready.hard_state = hard_state(3, 3, 20);
  install.ready.must_sync = true;
  ops.push_back(install);
  ops.push_back(persist(hard_state(3, 3, 22), make_entries(3, 21, 25)));
  ops.push_back(persist(hard_state(4, 0, 22), {}));
  ops.push_back(persist(std::nullopt, make_entries(4, 26, 28)));
  return ops;
}

std::uint64_t mutations_of(const std::vector<Op>& ops, const WalOptions& options) {
  MemoryFileSystem fs;
  Model model;
  auto wal = Wal::open(fs, options);
  EXPECT_TRUE(wal.ok());
  if (wal.ok()) run(**wal, ops, model);
  return fs.mutations();
}

TEST(WalCrash, EveryAcknowledgedWriteSurvivesACrashAfterEveryMutation) {
  const WalOptions options{.segment_bytes = 200};
  const auto ops = scripted_workload();
  const std::uint64_t total = mutations_of(ops, options);
  ASSERT_GT(total, 40U);  // the workload really syncs, rolls and renames
  for (std::uint64_t stop = 0; stop <= total; ++stop) {
    crash_and_check(ops, options, stop, CrashMode::kLoseUnsynced, 0,
                    fmt::format("crash after {} of {} mutations, unsynced lost", stop, total));
    crash_and_check(ops, options, stop, CrashMode::kKeepUnsynced, 0,
                    fmt::format("crash after {} of {} mutations, unsynced kept", stop, total));
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
      crash_and_check(
          ops, options, stop, CrashMode::kRandom, seed,
          fmt::format("crash after {} of {} mutations, torn (crash seed {})", stop, total, seed));
    }
    if (::testing::Test::HasFatalFailure()) return;
  }
}

/// A random workload: appends (some replacing a suffix), term and vote
/// changes, commits, group commits, snapshots with compaction, installs.
std::vector<Op> random_workload(Prng& prng) {
  std::vector<Op> ops;
  MemoryLog shadow;  // where the workload is, to keep its requests valid
  std::uint64_t term = 1;
  std::uint64_t commit = 0;
  const int steps = 5 + static_cast<int>(prng.uniform(20));
  for (int step = 0; step < steps; ++step) {
    Op op;
    const std::uint64_t dice = prng.uniform(100);
    if (dice < 10) {
      op.kind = Op::Kind::kSync;
    } else if (dice < 20 && shadow.last_index() > shadow.snapshot_meta().index &&
               shadow.last_index() >= shadow.first_index()) {
      // Snapshot somewhere behind the commit index, then maybe compact behind it.
      const std::uint64_t low =
          std::max(shadow.snapshot_meta().index.value() + 1, shadow.first_index().value());
      if (commit < low) continue;
      const Index at{low + prng.uniform(commit - low + 1)};
      op.kind = Op::Kind::kSaveSnapshot;
      op.meta = SnapshotMeta{at, *shadow.term(at), {}};
      op.data = fmt::format("snapshot at {} #{}", at.value(), step);
      shadow.save_snapshot(op.meta, Payload{op.data});
      ops.push_back(op);
      Op compact;
      compact.ready.compact_to = Index{shadow.first_index().value() +
                                       prng.uniform(at.value() - shadow.first_index().value() + 1)};
      compact.ready.must_sync = prng.chance(0.7);
      compact.kind = compact.ready.must_sync ? Op::Kind::kPersist : Op::Kind::kWrite;
      if (compact.ready.compact_to < shadow.first_index()) continue;
      shadow.persist(compact.ready);
      ops.push_back(compact);
      continue;
    } else if (dice < 25) {
      // Install a snapshot from a leader, past the end of this log.
      const Index at = shadow.last_index() + (1 + prng.uniform(5));
      const std::uint64_t old_term = term;
      term += prng.uniform(2);
      // One vote per term (Raft §5.2): a new term may vote anew, the same term keeps its vote.
      const NodeId vote = term == old_term ? shadow.hard_state().vote : NodeId{1};
      const std::string data = fmt::format("installed {} #{}", at.value(), step);
      const std::size_t half = data.size() / 2;
      op.ready.snapshot_chunks.push_back({at, Term{term}, 0, Payload{data.substr(0, half)}});
      op.ready.snapshot_chunks.push_back({at, Term{term}, half, Payload{data.substr(half)}});
      op.ready.snapshot_to_install = SnapshotMeta{at, Term{term}, {}};
      commit = at.value();
      op.ready.hard_state = HardState{Term{term}, vote, Index{commit}};
      op.ready.must_sync = true;
    } else {
      if (prng.chance(0.3)) {
        term += 1;
        op.ready.hard_state = HardState{Term{term}, NodeId{1 + prng.uniform(3)}, Index{commit}};
      }
      // Append from anywhere after the commit index (a conflicting suffix) to the end.
      const std::uint64_t low = std::max(commit + 1, shadow.first_index().value());
      const std::uint64_t from = low + prng.uniform(shadow.last_index().value() + 2 - low);
      const std::uint64_t count = prng.uniform(6);
      if (count > 0) op.ready.entries = make_entries(term, from, from + count - 1);
      if (prng.chance(0.4) && shadow.last_index().value() > commit && count == 0) {
        commit += 1 + prng.uniform(shadow.last_index().value() - commit);
        op.ready.hard_state = HardState{Term{term}, shadow.hard_state().vote, Index{commit}};
        if (op.ready.hard_state->term == shadow.hard_state().term) {
          op.ready.hard_state->vote = shadow.hard_state().vote;
        }
      }
      if (!op.ready.hard_state && op.ready.entries.empty()) continue;
      op.ready.must_sync = prng.chance(0.7);
      op.kind = op.ready.must_sync ? Op::Kind::kPersist : Op::Kind::kWrite;
    }
    shadow.persist(op.ready);
    ops.push_back(std::move(op));
  }
  return ops;
}

TEST(WalCrash, RandomWorkloadsSurviveRandomCrashes) {
  std::uint64_t first = 1;
  std::uint64_t count = 300;
  if (const char* seed = std::getenv("RAFT_SEED")) {
    first = std::strtoull(seed, nullptr, 10);
    count = 1;
  } else if (const char* seeds = std::getenv("RAFT_SEED_COUNT")) {
    count = std::strtoull(seeds, nullptr, 10);
  }
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    Prng prng{seed};
    const WalOptions options{.segment_bytes = 64 + prng.uniform(400)};
    const auto ops = random_workload(prng);
    const std::uint64_t total = mutations_of(ops, options);
    const std::uint64_t stop = prng.uniform(total + 1);
    const auto mode = static_cast<CrashMode>(prng.uniform(3));
    const std::uint64_t crash_seed = prng.next();
    std::optional<std::uint64_t> recovery_stop;
    if (prng.chance(0.5)) recovery_stop = prng.uniform(8);
    crash_and_check(ops, options, stop, mode, crash_seed,
                    fmt::format("seed={} (replay: RAFT_SEED={} ./tests/storage_wal_test "
                                "--gtest_filter='WalCrash.Random*'): crash after {} of {} "
                                "mutations, mode {}, recovery crashes after {} mutations",
                                seed, seed, stop, total, static_cast<int>(mode),
                                recovery_stop ? std::to_string(*recovery_stop) : "no"),
                    recovery_stop);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace raft::storage
