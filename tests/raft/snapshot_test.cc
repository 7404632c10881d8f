// SPDX-License-Identifier: Apache-2.0
// Snapshots and log compaction, one test per rule of thesis §5.1 (Raft §7):
// compaction behind an application snapshot with a trailing window, chunked
// InstallSnapshot to a follower behind the leader's first index (resumed after
// a lost chunk, restarted after a leader change), stale and duplicate chunks,
// restart from snapshot + log, and the errors of bad calls.

#include "raft/snapshot.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "paper_test_util.h"
#include "raft/events.h"
#include "raft/message.h"
#include "raft/node.h"
#include "raft/status.h"

namespace raft::test {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kChunk = 64;

void small_chunks(Config& config) {
  config.snapshot_chunk_bytes = kChunk;
  config.snapshot_chunks_inflight_max = 2;
  config.snapshot_trailing_entries = 0;
}

// Snapshot bytes that depend on the index, so a corrupted or misplaced chunk shows.
Payload snapshot_bytes(Index index, std::size_t size) {
  std::vector<std::byte> bytes(size);
  for (std::size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<std::byte>((i * 31 + index.value() * 7) & 0xff);
  }
  return Payload{std::move(bytes)};
}

// What an application does: store a snapshot of its state at `index`, then tell the core.
void take_snapshot(Peer& peer, Index index, std::size_t size = 1000) {
  const Result<SnapshotMeta> meta = peer->snapshot_meta(index);
  ASSERT_TRUE(meta.ok()) << meta.status().to_string();
  peer.log().save_snapshot(*meta, snapshot_bytes(index, size));
  const Status status = peer->snapshot_taken(index);
  ASSERT_TRUE(status.ok()) << status.to_string();
}

Net elected(std::uint64_t size, void (*adjust)(Config&)) {
  Net net = Net::of(size, adjust);
  EXPECT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();
  EXPECT_EQ(net.leaders(), (std::vector<std::uint64_t>{1}));
  return net;
}

void propose(Net& net, std::uint64_t leader, int count) {
  for (int i = 0; i < count; ++i) {
    ASSERT_TRUE(net[leader]->propose(Payload{std::string_view{"command"}}).ok());
  }
  net.send(net[leader].drain());
  net.stabilize();
}

// Node 1 leads; node 3 is cut off while `entries` commit; then node 1 snapshots at its
// applied index with no trailing window, so node 3 is behind its first index.
Net follower_behind_snapshot(int entries, std::size_t snapshot_size = 1000) {
  Net net = elected(3, small_chunks);
  net.isolate(3);
  propose(net, 1, entries);
  const Index applied = net[1]->applied_index();
  take_snapshot(net[1], applied, snapshot_size);
  net.send(net[1].drain());
  EXPECT_EQ(net[1]->first_index(), applied.next());
  EXPECT_LT(net[3]->last_index().next(), net[1]->first_index());
  return net;
}

std::vector<SnapshotChanged> snapshot_events(Peer& peer, SnapshotChanged::Phase phase) {
  std::vector<SnapshotChanged> out;
  for (const SnapshotChanged& e : events_of<SnapshotChanged>(peer.history())) {
    if (e.phase == phase) out.push_back(e);
  }
  return out;
}

// Thesis §5.1: "each server compacts its committed entries independently"; the core keeps
// a trailing window (Config::snapshot_trailing_entries) so slightly slow followers still
// catch up from the log.
TEST(LogCompaction, KeepsTheTrailingWindowBehindTheSnapshot) {
  Net net = elected(3, [](Config& config) { config.snapshot_trailing_entries = 5; });
  propose(net, 1, 20);
  const Index applied = net[1]->applied_index();
  ASSERT_EQ(applied, Index{21});  // The leader's no-op and 20 commands.

  take_snapshot(net[1], Index{15});
  const Output out = net[1].drain();
  EXPECT_EQ(net[1].log().first_index(), Index{11}) << "entries up to 15 - 5 are discarded";
  EXPECT_EQ(net[1]->first_index(), Index{11});
  EXPECT_EQ(net[1]->last_index(), Index{21});
  EXPECT_EQ(net[1]->log_term(Index{9}).status().code(), ErrorCode::kCompacted)
      << net[1]->log_term(Index{9}).status().to_string();
  EXPECT_TRUE(net[1]->log_term(Index{10}).ok()) << "the term before the first entry is kept";
  EXPECT_EQ(net[1]->metrics().snapshots_taken, 1U);
  EXPECT_EQ(net[1]->metrics().entries_compacted, 10U);
  ASSERT_EQ(snapshot_events(net[1], SnapshotChanged::Phase::kTaken).size(), 1U);

  // A later snapshot compacts further; replication goes on as before.
  take_snapshot(net[1], Index{21});
  (void)net[1].drain();
  EXPECT_EQ(net[1]->first_index(), Index{17});
  propose(net, 1, 3);
  EXPECT_EQ(net[2]->commit_index(), Index{24});
  EXPECT_EQ(net[3]->commit_index(), Index{24});
}

// Raft §7: "the leader must occasionally send snapshots to followers that lag behind ...
// when the leader has already discarded the next log entry that it needs to send".
// Thesis §5.1: the snapshot goes in chunks; the follower discards its whole log and
// resets its state from the snapshot.
TEST(InstallSnapshot, FollowerBehindTheFirstIndexGetsTheSnapshotInChunks) {
  Net net = follower_behind_snapshot(30, 1000);
  const Index snap = net[1].log().snapshot_meta().index;
  net.heal();
  net.run_until(at(300ms));

  EXPECT_EQ(net[3].log().snapshot_meta().index, snap);
  EXPECT_EQ(net[3].log().snapshot_meta().term, net[1].log().snapshot_meta().term);
  EXPECT_EQ(net[3].log().snapshot_data(), net[1].log().snapshot_data())
      << "the follower's snapshot must be the leader's, byte for byte";
  EXPECT_EQ(net[3]->first_index(), snap.next());
  EXPECT_GE(net[3]->commit_index(), snap);
  EXPECT_GE(net[3]->applied_index(), snap);
  EXPECT_EQ(net[3]->metrics().snapshots_installed, 1U);
  EXPECT_EQ(net[3]->metrics().snapshot_chunks_received, (1000 + kChunk - 1) / kChunk);
  EXPECT_EQ(net[1]->metrics().snapshots_sent, 1U);
  EXPECT_EQ(net[1]->metrics().snapshot_chunks_sent, (1000 + kChunk - 1) / kChunk);
  EXPECT_EQ(net[1]->metrics().snapshot_bytes_sent, 1000U);
  // Chunks never exceed the configured size, and at most the window is in flight.
  for (const Message& m : net.delivered()) {
    if (is<InstallSnapshot>(m)) {
      EXPECT_LE(body<InstallSnapshot>(m).data.size(), kChunk);
    }
  }
  ASSERT_EQ(snapshot_events(net[3], SnapshotChanged::Phase::kInstalled).size(), 1U);
  EXPECT_EQ(snapshot_events(net[3], SnapshotChanged::Phase::kInstalled)[0].peer, NodeId{1});

  // After the snapshot the follower takes appends again and its log matches the leader's.
  propose(net, 1, 3);
  EXPECT_EQ(net[3]->last_index(), net[1]->last_index());
  EXPECT_EQ(net[3]->commit_index(), net[1]->commit_index());
  EXPECT_EQ(net[3]->log_entries(snap.next(), net[3]->last_index().next()).value(),
            net[1]->log_entries(snap.next(), net[1]->last_index().next()).value());
  ASSERT_FALSE(net[1]->progress().empty());
  EXPECT_FALSE(net[1]->progress()[2].sending_snapshot);
}

// Thesis §5.1 sends chunks in order; a lost chunk is sent again, when the follower's
// answer to the next chunk asks for it or after a heartbeat interval without progress.
TEST(InstallSnapshot, ALostChunkIsSentAgain) {
  for (const std::uint64_t lost_offset : std::vector<std::uint64_t>{0, 3 * kChunk, 960}) {
    SCOPED_TRACE(lost_offset);
    Net net = follower_behind_snapshot(30, 1000);
    bool dropped = false;
    net.hold_if([&](const Message& m) {
      if (dropped || !is<InstallSnapshot>(m) || body<InstallSnapshot>(m).offset != lost_offset) {
        return false;
      }
      dropped = true;
      return true;
    });
    net.heal();
    net.run_until(at(800ms));
    EXPECT_TRUE(dropped);
    EXPECT_EQ(net[3].log().snapshot_data(), net[1].log().snapshot_data());
    EXPECT_EQ(net[3]->metrics().snapshots_installed, 1U);
    EXPECT_GE(net[1]->metrics().snapshot_chunks_resent, 1U);
    EXPECT_EQ(net[3]->commit_index(), net[1]->commit_index());
  }
}

// The answer that completes the transfer is lost: the leader resends the last chunk after
// a heartbeat interval, and the follower, which installed it already, confirms again.
TEST(InstallSnapshot, ALostFinalAnswerIsRecovered) {
  Net net = follower_behind_snapshot(30, 200);
  bool dropped = false;
  net.hold_if([&](const Message& m) {
    if (dropped || !is<InstallSnapshotReply>(m) || !body<InstallSnapshotReply>(m).done) {
      return false;
    }
    dropped = true;
    return true;
  });
  net.heal();
  net.run_until(at(600ms));
  EXPECT_TRUE(dropped);
  EXPECT_EQ(net[3]->metrics().snapshots_installed, 1U) << "installed once, confirmed twice";
  EXPECT_EQ(net[1]->metrics().snapshots_sent, 1U);
  EXPECT_EQ(net[3]->commit_index(), net[1]->commit_index());
}

// A leader change in the middle of a transfer (thesis §5.1 with §5.2): the new leader's
// chunks belong to another transfer, so the follower starts over with them; what the old
// leader sent is never mixed in.
TEST(InstallSnapshot, ALeaderChangeMidTransferStartsOverWithTheNewLeader) {
  Net net = follower_behind_snapshot(30, 1000);
  // Node 2 snapshots too, with different bytes (a different serializer, say).
  const Index snap = net[1].log().snapshot_meta().index;
  {
    const Result<SnapshotMeta> meta = net[2]->snapshot_meta(snap);
    ASSERT_TRUE(meta.ok()) << meta.status().to_string();
    net[2].log().save_snapshot(*meta, snapshot_bytes(snap.next(), 700));
    ASSERT_TRUE(net[2]->snapshot_taken(snap).ok());
    net.send(net[2].drain());
  }
  // Let node 1 send only its first few chunks, then lose it.
  int chunks = 0;
  net.hold_if([&](const Message& m) {
    return is<InstallSnapshot>(m) && m.from == NodeId{1} && ++chunks > 3;
  });
  net.heal();
  net.run_until(at(150ms));
  EXPECT_EQ(net[3]->metrics().snapshot_chunks_received, 3U);
  EXPECT_EQ(net[3].log().pending_snapshot_size(), 3 * kChunk);
  net.isolate(1);
  // Node 3 heard from node 1 recently and keeps its lease (thesis §4.2.3) for an election
  // timeout; node 2 then wins (node 3's own campaign fails: its log is behind).
  net.run_until(at(1200ms));
  if (net[2]->role() != Role::kLeader) {
    ASSERT_TRUE(net[2]->campaign().ok());
    net.send(net[2].drain());
    net.stabilize();
  }
  ASSERT_EQ(net[2]->role(), Role::kLeader);
  net.run_until(at(1800ms));

  EXPECT_EQ(net[3].log().snapshot_meta().index, snap);
  EXPECT_EQ(net[3].log().snapshot_data(), net[2].log().snapshot_data())
      << "the new leader's snapshot, not a mix of both";
  EXPECT_EQ(net[3]->metrics().snapshots_installed, 1U);
  EXPECT_EQ(net[3]->commit_index(), net[2]->commit_index());
  ASSERT_EQ(snapshot_events(net[3], SnapshotChanged::Phase::kInstalled).size(), 1U);
  EXPECT_EQ(snapshot_events(net[3], SnapshotChanged::Phase::kInstalled)[0].peer, NodeId{2});
}

// Messages may arrive late, twice or out of order: a chunk that is not the one the follower
// waits for is not written; the answer says where to go on from, and only a gap asks for a
// resend.
TEST(InstallSnapshot, StaleDuplicateAndOutOfOrderChunksAreNotWritten) {
  Peer follower{config_for(2, 3)};
  SnapshotMeta meta{Index{10}, Term{1}, Membership{}};
  meta.membership.voters = {NodeId{1}, NodeId{2}, NodeId{3}};
  const Payload data = snapshot_bytes(meta.index, 3 * kChunk);
  const auto chunk = [&](std::uint64_t offset, bool done = false) {
    const auto bytes = data.bytes().subspan(offset, kChunk);
    return Message{NodeId{1}, NodeId{2}, Term{1},
                   InstallSnapshot{meta, offset, Payload{bytes}, done, data.size()}};
  };
  const auto answer = [](const Output& out) {
    const std::vector<Message> replies = only<InstallSnapshotReply>(out.all(), 1);
    EXPECT_EQ(replies.size(), 1U);
    return replies.empty() ? InstallSnapshotReply{} : body<InstallSnapshotReply>(replies[0]);
  };

  // A chunk past the start of a transfer the follower never began: start over.
  InstallSnapshotReply reply = answer(follower.receive(chunk(kChunk)));
  EXPECT_TRUE(reply.rejected);
  EXPECT_EQ(reply.next_offset, 0U);
  EXPECT_EQ(follower.log().pending_snapshot_size(), 0U);

  reply = answer(follower.receive(chunk(0)));
  EXPECT_FALSE(reply.rejected);
  EXPECT_EQ(reply.next_offset, kChunk);
  EXPECT_EQ(follower.log().pending_snapshot_size(), kChunk);

  // Duplicate: nothing written, not a rejection.
  reply = answer(follower.receive(chunk(0)));
  EXPECT_FALSE(reply.rejected);
  EXPECT_EQ(reply.next_offset, kChunk);
  EXPECT_EQ(follower.log().pending_snapshot_size(), kChunk);

  // A gap (chunk 1 lost): nothing written, a rejection naming the offset wanted.
  reply = answer(follower.receive(chunk(2 * kChunk, true)));
  EXPECT_TRUE(reply.rejected);
  EXPECT_EQ(reply.next_offset, kChunk);
  EXPECT_EQ(follower.log().pending_snapshot_size(), kChunk);
  EXPECT_EQ(follower->metrics().snapshots_installed, 0U);

  (void)answer(follower.receive(chunk(kChunk)));
  reply = answer(follower.receive(chunk(2 * kChunk, true)));
  EXPECT_TRUE(reply.done);
  EXPECT_EQ(follower.log().snapshot_data(), data);
  EXPECT_EQ(follower->commit_index(), meta.index);
  EXPECT_EQ(follower->applied_index(), meta.index);
  EXPECT_EQ(follower->first_index(), meta.index.next());
  EXPECT_EQ(follower->last_index(), meta.index);

  // The last chunk again, after the install: acknowledged as done, not installed twice.
  reply = answer(follower.receive(chunk(2 * kChunk, true)));
  EXPECT_TRUE(reply.done);
  EXPECT_EQ(follower->metrics().snapshots_installed, 1U);

  // A chunk from a stale leader (older term) is refused with our term.
  follower.receive(Message{NodeId{3}, NodeId{2}, Term{5}, Heartbeat{Index{}}});
  const Output stale = follower.receive(chunk(0));
  const std::vector<Message> replies = only<InstallSnapshotReply>(stale.all(), 1);
  ASSERT_EQ(replies.size(), 1U);
  EXPECT_EQ(replies[0].term, Term{5});
  EXPECT_FALSE(body<InstallSnapshotReply>(replies[0]).done);
}

// Figure 5.3: "If existing log entry has same index and term as snapshot's last included
// entry, retain log entries following it and reply". A snapshot at or below the commit
// index is acknowledged (the follower holds those entries) but never installed.
TEST(InstallSnapshot, ASnapshotTheFollowerAlreadyCoversIsAcknowledgedNotInstalled) {
  const std::vector<Entry> log = log_of({1, 1, 1, 1, 1, 1});
  Peer follower{config_for(2, 3), log, HardState{Term{1}, NodeId{}, Index{4}}};
  ASSERT_EQ(follower->commit_index(), Index{4});
  const auto install = [&](std::uint64_t index, std::uint64_t term) {
    const SnapshotMeta meta{Index{index}, Term{term}, Membership{}};
    return follower.receive(
        Message{NodeId{1}, NodeId{2}, Term{1},
                InstallSnapshot{meta, 0, Payload{std::string_view{"x"}}, true, 1}});
  };
  // Older than the commit index.
  Output out = install(3, 1);
  std::vector<Message> replies = only<InstallSnapshotReply>(out.all(), 1);
  ASSERT_EQ(replies.size(), 1U);
  EXPECT_TRUE(body<InstallSnapshotReply>(replies[0]).done);
  EXPECT_EQ(body<InstallSnapshotReply>(replies[0]).snapshot_index, Index{3});
  // Past the commit index but matching the log: commit moves, entries after it stay.
  out = install(5, 1);
  replies = only<InstallSnapshotReply>(out.all(), 1);
  ASSERT_EQ(replies.size(), 1U);
  EXPECT_TRUE(body<InstallSnapshotReply>(replies[0]).done);
  EXPECT_EQ(follower->commit_index(), Index{5});
  EXPECT_EQ(follower->last_index(), Index{6});
  EXPECT_EQ(follower->first_index(), Index{1});
  EXPECT_EQ(follower->metrics().snapshots_installed, 0U);
  EXPECT_EQ(follower.log().snapshot_meta().index, Index{});
  EXPECT_EQ(follower.log().pending_snapshot_size(), 0U) << "nothing written";
}

// Raft §7: the leader "keeps replicating" to the others while one follower catches up
// from a snapshot; commitment needs only a majority.
TEST(InstallSnapshot, TheLeaderKeepsReplicatingToOthersDuringATransfer) {
  Net net = follower_behind_snapshot(30, 1000);
  net.hold_if([](const Message& m) { return is<InstallSnapshot>(m); });  // Transfer stalls.
  net.heal();
  net.run_until(at(150ms));
  ASSERT_FALSE(net[1]->progress().empty());
  EXPECT_TRUE(net[1]->progress()[2].sending_snapshot);
  const Index before = net[1]->commit_index();
  propose(net, 1, 5);
  EXPECT_EQ(net[1]->commit_index(), before + 5);
  EXPECT_EQ(net[2]->commit_index(), before + 5);
  EXPECT_EQ(net[3]->metrics().snapshots_installed, 0U);
  // Once chunks flow again the transfer completes and node 3 catches up.
  net.release();
  net.run_until(at(800ms));
  EXPECT_EQ(net[3]->metrics().snapshots_installed, 1U);
  EXPECT_EQ(net[3]->commit_index(), net[1]->commit_index());
}

// Thesis §5.1: a server restarts from its snapshot and the log after it: its state machine
// starts at the snapshot's index, which counts as committed and applied.
TEST(SnapshotRestart, ANodeRestartsFromItsSnapshotAndTheLogAfterIt) {
  Net net = elected(3, [](Config& config) { config.snapshot_trailing_entries = 3; });
  propose(net, 1, 10);
  take_snapshot(net[2], Index{8});
  (void)net[2].drain();
  const storage::MemoryLog disk = net[2].log();  // What node 2's disk kept.
  ASSERT_EQ(disk.first_index(), Index{6});
  ASSERT_EQ(disk.last_index(), Index{11});

  Result<Node> restarted = Node::create(config_for(2, 3), disk, at(10ms));
  ASSERT_TRUE(restarted.ok()) << restarted.status().to_string();
  EXPECT_EQ(restarted->applied_index(), Index{8}) << "the state machine restarts at the snapshot";
  EXPECT_GE(restarted->commit_index(), Index{8});
  EXPECT_EQ(restarted->first_index(), Index{6});
  EXPECT_EQ(restarted->last_index(), Index{11});
  EXPECT_TRUE(check_invariants(*restarted).ok());
  // Only the entries after the snapshot are applied again.
  std::vector<Entry> applied;
  while (restarted->has_ready()) {
    Ready ready = restarted->ready();
    applied.insert(applied.end(), ready.committed.begin(), ready.committed.end());
    restarted->advance(std::move(ready));
  }
  ASSERT_FALSE(applied.empty());
  EXPECT_EQ(applied.front().index, Index{9});
  EXPECT_EQ(applied.back().index, Index{11});

  // A log that starts after its snapshot has lost entries: refused.
  storage::MemoryLog broken = disk;
  broken.compact(Index{11});
  storage::MemoryLog gap;
  gap.append(log_of({1, 1, 1, 1}));
  gap.set_hard_state(HardState{Term{1}, NodeId{}, Index{4}});
  gap.save_snapshot(SnapshotMeta{Index{2}, Term{1}, {}}, Payload{});
  gap.compact(Index{4});
  const Result<Node> refused = Node::create(config_for(2, 3), gap);
  EXPECT_EQ(refused.status().code(), ErrorCode::kCorruption) << refused.status().to_string();
}

// Bad calls get clear errors and change nothing.
TEST(SnapshotApi, BadCallsAreRefusedWithClearErrors) {
  Net net = elected(3, small_chunks);
  propose(net, 1, 5);
  Peer& leader = net[1];
  const auto expect_refused = [](const Status& status, const char* words) {
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << status.to_string();
    EXPECT_NE(status.to_string().find(words), std::string::npos) << status.to_string();
  };
  expect_refused(leader->snapshot_meta(Index{}).status(), "index 0");
  expect_refused(leader->snapshot_meta(leader->applied_index().next()).status(),
                 "past the applied index");
  expect_refused(leader->snapshot_taken(Index{3}), "store the snapshot");
  take_snapshot(leader, Index{4});
  expect_refused(leader->snapshot_meta(Index{3}).status(), "older than the current snapshot");
  expect_refused(leader->snapshot_taken(Index{3}), "not at 3");
  EXPECT_EQ(leader->metrics().snapshots_taken, 1U);

  Config config = config_for(1, 3);
  config.snapshot_chunk_bytes = 0;
  EXPECT_NE(config.validate().to_string().find("snapshot_chunk_bytes"), std::string::npos);
  config = config_for(1, 3);
  config.snapshot_chunks_inflight_max = 0;
  EXPECT_NE(config.validate().to_string().find("snapshot_chunks_inflight_max"), std::string::npos);
}

}  // namespace
}  // namespace raft::test
