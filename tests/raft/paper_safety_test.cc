// SPDX-License-Identifier: Apache-2.0
// Safety, one test per rule: Raft paper §5.4 (the election restriction, committing entries from
// previous terms with the Figure 8 scenario played out on five hand-driven nodes) and the
// properties of Figure 3 (Election Safety, Leader Append-Only, Log Matching, Leader
// Completeness, State Machine Safety). Each test has init, act and check blocks, as etcd's
// raft_paper_test.go does.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "paper_test_util.h"
#include "raft/config.h"
#include "raft/entry.h"
#include "raft/events.h"
#include "raft/format.h"
#include "raft/message.h"
#include "raft/node.h"
#include "raft/status.h"
#include "raft/types.h"

namespace raft::test {
namespace {

using namespace std::chrono_literals;

/// The leader's view of how far `peer`'s log matches its own.
Index match_of(const Node& leader, std::uint64_t peer) {
  for (const PeerProgress& p : leader.progress()) {
    if (p.id == NodeId{peer}) return p.match;
  }
  ADD_FAILURE() << "no progress for node " << peer;
  return Index{};
}

/// Election Safety (Figure 3): "at most one leader can be elected in a given term". Reads every
/// node's history of role changes.
void expect_election_safety(Net& net) {
  std::map<Term, std::set<std::uint64_t>> leaders;
  for (const std::uint64_t id : net.ids()) {
    for (const Event& event : net[id].history()) {
      const auto* change = std::get_if<RoleChanged>(&event.body);
      if (change != nullptr && change->to == Role::kLeader) leaders[event.term].insert(id);
    }
  }
  for (const auto& [term, ids] : leaders) {
    EXPECT_EQ(ids.size(), 1U) << "several leaders in term " << term.value();
  }
}

/// Log Matching (Figure 3): "if two logs contain an entry with the same index and term, then the
/// logs are identical in all entries up through the given index", and State Machine Safety: no
/// two nodes apply different entries at one index.
void expect_logs_match(Net& net) {
  const std::vector<std::uint64_t> ids = net.ids();
  for (const std::uint64_t a : ids) {
    for (const std::uint64_t b : ids) {
      if (a >= b) continue;
      auto log_a = net[a]->log_entries(Index{1}, net[a]->last_index().next());
      auto log_b = net[b]->log_entries(Index{1}, net[b]->last_index().next());
      ASSERT_TRUE(log_a.ok() && log_b.ok());
      const std::size_t common = std::min(log_a->size(), log_b->size());
      for (std::size_t i = common; i-- > 0;) {
        if ((*log_a)[i].term != (*log_b)[i].term) continue;
        // The first index (from the end) where the terms agree: everything before must too.
        for (std::size_t j = 0; j <= i; ++j) {
          EXPECT_EQ((*log_a)[j], (*log_b)[j]) << "nodes " << a << " and " << b;
        }
        break;
      }
      const auto& applied_a = net[a].applied();
      const auto& applied_b = net[b].applied();
      for (std::size_t i = 0; i < std::min(applied_a.size(), applied_b.size()); ++i) {
        EXPECT_EQ(applied_a[i], applied_b[i]) << "nodes " << a << " and " << b << " applied";
      }
    }
  }
}

// =================================================================================================
// §5.4.2 Committing entries from previous terms (Figure 8)
// =================================================================================================

/// The five nodes of Figure 8 as they stand in (c): S1 leads term 4, with the entry of term 2 at
/// index 2 on S1, S2 and S3 (a majority) and its own no-op of term 4 (index 3) on S1 and S2
/// only. S4 and S5 are cut off. S1 sends one entry per append, and the append that would carry
/// index 3 to S3 is held back (Net::release() lets it go).
Net figure8_c() {
  // Where (b) left them: S1 crashed in term 2 and restarted knowing term 3; S5 led term 3 and
  // wrote index 2 in term 3 on its own log only.
  struct Start {
    std::vector<std::uint64_t> log;
    std::uint64_t term;
    std::uint64_t vote;
  };
  const std::vector<Start> starts = {
      {{1, 2}, 3, 0}, {{1, 2}, 2, 1}, {{1}, 3, 5}, {{1}, 3, 5}, {{1, 3}, 3, 5},
  };
  Net net;
  for (std::uint64_t id = 1; id <= 5; ++id) {
    Config config = config_for(id, 5);
    config.election_timeout_max = 10 * kElectionMin;  // Nobody campaigns unless told to.
    if (id == 1) config.message_bytes_max = 1;        // One entry per append.
    const Start& start = starts[id - 1];
    net.add(std::make_unique<Peer>(config, log_of(start.log),
                                   HardState{Term{start.term}, NodeId{start.vote}, Index{1}}));
  }
  net.isolate(4);
  net.isolate(5);
  // S3 sees S1's first append (and refuses it: it lacks index 2); of the later ones, those that
  // would bring index 3 are held.
  net.hold_if([appends_to_s3 = 0](const Message& m) mutable {
    if (!is<AppendRequest>(m) || m.to != NodeId{3}) return false;
    if (++appends_to_s3 == 1) return false;
    const auto& entries = body<AppendRequest>(m).entries;
    return !entries.empty() && entries.back().index >= Index{3};
  });
  // (c): S1 is elected in term 4 by S1, S2 and S3 and replicates what it can.
  EXPECT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();
  EXPECT_EQ(net[1]->role(), Role::kLeader);
  EXPECT_EQ(net[1]->term(), Term{4});
  EXPECT_EQ(terms_of(net[2].node()), (std::vector<std::uint64_t>{1, 2, 4}));
  EXPECT_EQ(terms_of(net[3].node()), (std::vector<std::uint64_t>{1, 2}));
  return net;
}

/// S1 is gone; S5 returns and campaigns twice (terms 4 and 5), once S2 and S3 no longer hold
/// S1's lease (thesis §4.2.3).
void s1_crashes_and_s5_campaigns(Net& net) {
  net.release();
  net.queue().clear();
  net.heal();
  net.isolate(1);
  for (const std::uint64_t id : {2U, 3U}) {
    (void)net[id].tick(net[id]->now() + kElectionMin + 1ms);
    ASSERT_EQ(net[id]->role(), Role::kFollower) << "node " << id << " campaigned on its own";
  }
  for (int campaign = 0; campaign < 2 && net[5]->role() != Role::kLeader; ++campaign) {
    ASSERT_TRUE(net[5]->campaign().ok());
    net.send(net[5].drain());
    net.stabilize();
  }
}

// Reference: §5.4.2 and Figure 8 "(c) S5 crashes, S1 restarts, is elected leader, and continues
// replication. At this point, the log entry from term 2 has been replicated on a majority of the
// servers, but it is not committed. If S1 crashes as in (d), S5 could be elected leader (with
// votes from S2, S3, and S4) and overwrite the entry with its own entry from term 3."
TEST(PaperSafety, Figure8EntryOfOldTermOnMajorityIsNotCommittedAndMayBeOverwritten) {
  // init: Figure 8 (c).
  Net net = figure8_c();

  // check (c): index 2 is on a majority and S1 knows it, yet S1 has not committed it.
  EXPECT_GE(match_of(net[1].node(), 2), Index{2});
  EXPECT_GE(match_of(net[1].node(), 3), Index{2});
  EXPECT_EQ(net[1]->commit_index(), Index{1});
  for (const std::uint64_t id : net.ids()) EXPECT_EQ(net[id]->commit_index(), Index{1});

  // act (d): S1 crashes; S5 is elected and replicates its log.
  s1_crashes_and_s5_campaigns(net);

  // check (d): S5 leads term 5 and index 2 now holds term 3 everywhere but on S1: the entry of
  // term 2 that sat on a majority is gone, which is why S1 was right not to commit it.
  EXPECT_EQ(net[5]->role(), Role::kLeader);
  EXPECT_EQ(net[5]->term(), Term{5});
  for (const std::uint64_t id : {2U, 3U, 4U, 5U}) {
    EXPECT_EQ(terms_of(net[id].node()), (std::vector<std::uint64_t>{1, 3, 5})) << "node " << id;
  }
  EXPECT_EQ(net[5]->commit_index(), Index{3});
  for (const std::uint64_t id : net.ids()) {
    for (const Entry& e : net[id].applied()) {
      EXPECT_FALSE(e.index == Index{2} && e.term == Term{2}) << "node " << id << " applied 2@2";
    }
  }
  expect_election_safety(net);
  expect_logs_match(net);
}

// Reference: §5.4.2 and Figure 8 "However, if S1 replicates an entry from its current term on a
// majority of the servers before crashing, as in (e), then this entry is committed (S5 cannot
// win an election). At this point all preceding entries in the log are committed as well."
TEST(PaperSafety, Figure8EntryOfCurrentTermOnMajorityCommitsPrecedingEntries) {
  // init: Figure 8 (c).
  Net net = figure8_c();
  ASSERT_EQ(net[1]->commit_index(), Index{1});

  // act (e): the held append reaches S3: the no-op of term 4 is on S1, S2 and S3.
  net.release();
  net.stabilize();

  // check (e): index 3 is committed, and index 2 (term 2) with it.
  EXPECT_EQ(net[1]->commit_index(), Index{3});
  ASSERT_GE(net[1].applied().size(), 2U);
  EXPECT_EQ(net[1].applied()[1], entry(2, 2));

  // act: S1 crashes; S5 returns and campaigns twice.
  s1_crashes_and_s5_campaigns(net);

  // check: S5 cannot win; the committed entries survive on S2 and S3.
  EXPECT_NE(net[5]->role(), Role::kLeader);
  for (const std::uint64_t id : {2U, 3U}) {
    EXPECT_EQ(terms_of(net[id].node()), (std::vector<std::uint64_t>{1, 2, 4})) << "node " << id;
  }
  expect_election_safety(net);
  expect_logs_match(net);
}

// Reference: §5.4.2 "Raft never commits log entries from previous terms by counting replicas.
// Only log entries from the leader's current term are committed by counting replicas; once an
// entry from the current term has been committed in this way, then all prior entries are
// committed indirectly because of the Log Matching Property."
TEST(PaperSafety, CommitCountsReplicasOnlyForEntriesOfCurrentTerm) {
  // init: node 1 of 5 with (1, 2), nothing committed, wins term 4 (no-op at index 3).
  Peer leader(config_for(1, 5), log_of({1, 2}), HardState{Term{3}, NodeId{}, Index{}});
  (void)win_election(leader);
  ASSERT_EQ(leader->term(), Term{4});

  // act: every follower but one reports holding index 2 (of term 2).
  Output out;
  for (const std::uint64_t follower : {2U, 3U, 4U}) {
    out.add(leader.receive(append_reply(follower, 1, 4, true, 2)));
  }

  // check: four of five hold indexes 1 and 2, yet neither is committed.
  EXPECT_EQ(leader->commit_index(), Index{0});
  EXPECT_TRUE(out.committed.empty());

  // act: two followers report the no-op of term 4.
  out.add(leader.receive(append_reply(2, 1, 4, true, 3)));
  EXPECT_EQ(leader->commit_index(), Index{0}) << "index 3 is on two of five";
  out.add(leader.receive(append_reply(3, 1, 4, true, 3)));

  // check: index 3 is committed by counting, 1 and 2 with it.
  EXPECT_EQ(leader->commit_index(), Index{3});
  ASSERT_EQ(out.committed.size(), 3U);
  EXPECT_EQ(out.committed[0], entry(1, 1));
  EXPECT_EQ(out.committed[1], entry(2, 2));
}

// =================================================================================================
// §5.4.1 Election restriction, Leader Completeness
// =================================================================================================

// Reference: §5.4.1 "Raft uses the voting process to prevent a candidate from winning an
// election unless its log contains all committed entries." (Leader Completeness, Figure 3: "If a
// log entry is committed in a given term, then that entry will be present in the logs of the
// leaders for all higher-numbered terms.")
TEST(PaperSafety, NodeMissingCommittedEntryCannotBecomeLeader) {
  // init: three nodes with pre-vote; node 1 leads term 1.
  Net net = Net::of(3, [](Config& config) { config.pre_vote = true; });
  ASSERT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();
  ASSERT_EQ(net.leaders(), (std::vector<std::uint64_t>{1}));

  // act: "x" is committed by nodes 1 and 2 while node 3 is cut off from node 1.
  net.cut(1, 3);
  const Result<Index> x = net[1]->propose(Payload{"x"});
  ASSERT_TRUE(x.ok());
  net.send(net[1].drain());
  net.stabilize();
  ASSERT_EQ(net[1]->commit_index(), *x);
  ASSERT_LT(net[3]->last_index(), *x);

  // act: node 1 crashes for good; nodes 2 and 3 run for 30 s.
  net.heal();
  net.isolate(1);
  net.run_until(at(30s));

  // check: node 2 (which holds "x") leads; node 3 never did, and now holds and applied "x".
  EXPECT_EQ(net[2]->role(), Role::kLeader);
  for (const Event& event : net[3].history()) {
    const auto* change = std::get_if<RoleChanged>(&event.body);
    EXPECT_FALSE(change != nullptr && change->to == Role::kLeader)
        << "node 3 led term " << event.term.value() << " without the committed entry";
  }
  auto at_x = net[3]->log_entries(*x, x->next());
  ASSERT_TRUE(at_x.ok());
  EXPECT_EQ((*at_x)[0].payload.as_string(), "x");
  EXPECT_GE(net[3]->commit_index(), *x);
  expect_election_safety(net);
  expect_logs_match(net);
}

// =================================================================================================
// §5.3 / Figure 3: Leader Append-Only, Log Matching, State Machine Safety
// =================================================================================================

// Reference: Figure 3 "Leader Append-Only: a leader never overwrites or deletes entries in its
// log; it only appends new entries. §5.3"
TEST(PaperSafety, LeaderNeverOverwritesOrDeletesItsOwnEntries) {
  // init: node 1 leads term 2 over (1, 1) plus its no-op.
  Peer leader(config_for(1, 3), log_of({1, 1}), HardState{Term{1}, NodeId{}, Index{}});
  (void)win_election(leader);
  const std::vector<std::uint64_t> before = terms_of(leader.node());
  ASSERT_EQ(before, (std::vector<std::uint64_t>{1, 1, 2}));

  // act: the deposed leader of term 1 sends entries that conflict with index 2 onwards.
  const Output out =
      leader.receive(append_request(2, 1, 1, 1, 1, 0, {entry(1, 2), entry(1, 3), entry(1, 4)}));

  // check: nothing persisted, nothing changed, still leader.
  EXPECT_TRUE(out.entries.empty());
  EXPECT_EQ(terms_of(leader.node()), before);
  EXPECT_EQ(leader->role(), Role::kLeader);

  // act + check: proposals only ever append after the last entry.
  for (int i = 0; i < 5; ++i) {
    const Index last = leader->last_index();
    ASSERT_TRUE(leader->propose(Payload{fmt::format("cmd{}", i)}).ok());
    const Output appended = leader.drain();
    ASSERT_EQ(appended.entries.size(), 1U);
    EXPECT_EQ(appended.entries[0].index, last.next());
  }
}

// Reference: Figure 3 "State Machine Safety: if a server has applied a log entry at a given index
// to its state machine, no other server will ever apply a different log entry for the same
// index. §5.4.3" and "Log Matching ... §5.3". A deposed leader's uncommitted entry is discarded.
TEST(PaperSafety, AllNodesApplyTheSameEntriesAcrossLeaderChanges) {
  // init: three nodes with pre-vote and check-quorum; node 1 leads term 1 and commits a and b.
  Net net = Net::of(3, [](Config& config) {
    config.pre_vote = true;
    config.check_quorum = true;
  });
  ASSERT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();
  for (const char* command : {"a", "b"}) {
    ASSERT_TRUE(net[1]->propose(Payload{command}).ok());
    net.send(net[1].drain());
    net.stabilize();
  }

  // act: node 1 is cut off and accepts "lost", which can never commit; 2 and 3 elect a leader.
  net.isolate(1);
  ASSERT_TRUE(net[1]->propose(Payload{"lost"}).ok());
  net.send(net[1].drain());
  net.run_until(at(20s));
  const std::vector<std::uint64_t> leaders = net.leaders();
  ASSERT_EQ(leaders.size(), 1U);
  const std::uint64_t leader = leaders[0];
  ASSERT_NE(leader, 1U);
  ASSERT_TRUE(net[leader]->propose(Payload{"c"}).ok());
  net.send(net[leader].drain());
  net.run_until(at(22s));

  // act: node 1 returns.
  net.heal();
  net.run_until(at(30s));

  // check: one leader, and every node applied a, b, c (and no "lost"), at the same indexes.
  EXPECT_EQ(net.leaders(), (std::vector<std::uint64_t>{leader}));
  for (const std::uint64_t id : net.ids()) {
    std::vector<std::string> commands;
    for (const Entry& e : net[id].applied()) {
      if (e.type == EntryType::kNormal) commands.emplace_back(e.payload.as_string());
    }
    EXPECT_EQ(commands, (std::vector<std::string>{"a", "b", "c"})) << "node " << id;
  }
  expect_election_safety(net);
  expect_logs_match(net);
}

}  // namespace
}  // namespace raft::test
