// SPDX-License-Identifier: Apache-2.0
// Log replication, one test per rule: Raft paper §5.3 (AppendEntries, the consistency check,
// conflicting suffixes, commit, the back-off hint) with the Figure 7 follower logs as a table,
// and the limits of Config (inflight window, message and uncommitted bytes). Each test drives a
// leader and/or a follower by hand, in three blocks (init, act, check) as etcd's
// raft_paper_test.go does; acknowledgements of absent followers are built by hand.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "paper_test_util.h"
#include "raft/config.h"
#include "raft/entry.h"
#include "raft/format.h"
#include "raft/message.h"
#include "raft/node.h"
#include "raft/ready.h"
#include "raft/status.h"
#include "raft/storage/memory_log.h"
#include "raft/types.h"

namespace raft::test {
namespace {

using namespace std::chrono_literals;

/// Acknowledges, as followers whose logs match would, every AppendRequest in `pending` addressed
/// to one of `followers`, and then those the acknowledgements cause, until none is left. Returns
/// everything the leader handed out meanwhile; `pending` keeps the messages to other nodes.
Output acknowledge(Peer& leader, std::vector<Message>& pending,
                   const std::set<std::uint64_t>& followers) {
  Output all;
  for (int guard = 0; guard < 10000; ++guard) {
    auto it = std::find_if(pending.begin(), pending.end(), [&](const Message& m) {
      return is<AppendRequest>(m) && followers.count(m.to.value()) != 0;
    });
    if (it == pending.end()) return all;
    const Message request = *it;
    pending.erase(it);
    const Output out = leader.receive(accept(request));
    const auto sent = out.all();
    pending.insert(pending.end(), sent.begin(), sent.end());
    all.add(out);
  }
  ADD_FAILURE() << "the leader kept sending appends";
  return all;
}

/// The leader's view of `peer`.
PeerProgress progress_of(Node& leader, std::uint64_t peer) {
  for (const PeerProgress& p : leader.progress()) {
    if (p.id == NodeId{peer}) return p;
  }
  ADD_FAILURE() << "no progress for node " << peer;
  return {};
}

/// Total Entry::size_bytes() of `entries`.
std::size_t bytes_of(const std::vector<Entry>& entries) {
  std::size_t total = 0;
  for (const Entry& e : entries) total += e.size_bytes();
  return total;
}

/// A node's whole log.
std::vector<Entry> entries_of(const Node& node) {
  auto entries = node.log_entries(node.first_index(), node.last_index().next());
  EXPECT_TRUE(entries.ok()) << entries.status().to_string();
  return entries.ok() ? *entries : std::vector<Entry>{};
}

// =================================================================================================
// §5.3 Log replication: the leader's side
// =================================================================================================

// Reference: §5.3 "The leader appends the command to its log as a new entry, then issues
// AppendEntries RPCs in parallel to each of the other servers to replicate the entry."
TEST(PaperReplication, LeaderAppendsProposalAndSendsItToEveryFollower) {
  // init: node 1 leads term 1; both followers hold its no-op (index 1).
  Peer leader(config_for(1, 3));
  std::vector<Message> pending = win_election(leader).all();
  (void)acknowledge(leader, pending, {2, 3});
  ASSERT_EQ(leader->commit_index(), Index{1});

  // act
  const Result<Index> proposed = leader->propose(Payload{"x"});
  const Output out = leader.drain();

  // check: appended at index 2 in term 1, persisted, and sent to both followers after (1, 1).
  ASSERT_TRUE(proposed.ok()) << proposed.status().to_string();
  EXPECT_EQ(*proposed, Index{2});
  ASSERT_EQ(out.entries.size(), 1U);
  EXPECT_EQ(out.entries[0].index, Index{2});
  EXPECT_EQ(out.entries[0].term, Term{1});
  EXPECT_EQ(out.entries[0].payload.as_string(), "x");
  for (const std::uint64_t follower : {2U, 3U}) {
    const auto appends = only<AppendRequest>(out.all(), follower);
    ASSERT_EQ(appends.size(), 1U) << "follower " << follower;
    const auto& append = body<AppendRequest>(appends[0]);
    EXPECT_EQ(appends[0].term, Term{1});
    EXPECT_EQ(append.prev_log_index, Index{1});
    EXPECT_EQ(append.prev_log_term, Term{1});
    EXPECT_EQ(append.leader_commit, Index{1});
    ASSERT_EQ(append.entries.size(), 1U);
    EXPECT_EQ(append.entries[0], out.entries[0]);
  }
}

// Reference: §5.3 "A log entry is committed once the leader that created the entry has
// replicated it on a majority of the servers ... The leader keeps track of the highest index it
// knows to be committed".
TEST(PaperReplication, EntryIsCommittedOnceReplicatedOnMajority) {
  // init: node 1 leads a five-node cluster; it proposes "x" (index 2, after the no-op).
  Peer leader(config_for(1, 5));
  std::vector<Message> pending = win_election(leader).all();
  ASSERT_TRUE(leader->propose(Payload{"x"}).ok());
  const auto proposed = leader.drain().all();
  pending.insert(pending.end(), proposed.begin(), proposed.end());

  // act + check: with node 2's copy, two of five hold it: not committed.
  Output out = acknowledge(leader, pending, {2});
  EXPECT_EQ(progress_of(leader.node(), 2).match, Index{2});
  EXPECT_EQ(leader->commit_index(), Index{0});
  EXPECT_TRUE(out.committed.empty());

  // act + check: with node 3's, three of five: committed and applied, in log order.
  out = acknowledge(leader, pending, {3});
  EXPECT_EQ(leader->commit_index(), Index{2});
  ASSERT_EQ(out.committed.size(), 2U);
  EXPECT_EQ(out.committed[0].type, EntryType::kNoOp);
  EXPECT_EQ(out.committed[1].payload.as_string(), "x");
  const auto advanced = events_of<CommitAdvanced>(out.events);
  ASSERT_FALSE(advanced.empty());
  EXPECT_EQ(advanced.front().from, Index{0});
  EXPECT_EQ(advanced.back().to, Index{2});
}

// Reference: §5.3 "This also commits all preceding entries in the leader's log, including
// entries created by previous leaders."
TEST(PaperReplication, CommittingAnEntryCommitsAllPrecedingEntries) {
  // init: node 1 holds two uncommitted entries of term 1 and wins term 2 (no-op at index 3).
  Peer leader(config_for(1, 3), log_of({1, 1}), HardState{Term{1}, NodeId{}, Index{}});
  std::vector<Message> pending = win_election(leader).all();

  // act: node 2 acknowledges up to the no-op.
  const Output out = acknowledge(leader, pending, {2});

  // check: all three entries are committed, the old ones first.
  EXPECT_EQ(leader->commit_index(), Index{3});
  ASSERT_EQ(out.committed.size(), 3U);
  EXPECT_EQ(out.committed[0], entry(1, 1));
  EXPECT_EQ(out.committed[1], entry(1, 2));
  EXPECT_EQ(out.committed[2].index, Index{3});
  EXPECT_EQ(out.committed[2].term, Term{2});
}

// Reference: §5.3 "If followers crash or run slowly, or if network packets are lost, the leader
// retries AppendEntries RPCs indefinitely (even after it has responded to the client) until all
// followers eventually store all log entries."
TEST(PaperReplication, LeaderRetriesLostAppendsUntilFollowerHasEverything) {
  // init: node 1 leads term 1 (node 3's vote); node 2 is a real follower, node 3 is absent.
  Net net;
  net.add(std::make_unique<Peer>(config_for(1, 3)));
  net.add(std::make_unique<Peer>(config_for(2, 3)));
  (void)win_election(net[1], {3});  // Its first appends are lost.

  // act: a proposal is lost too, while the link is down; then the link comes back.
  net.cut(1, 2);
  ASSERT_TRUE(net[1]->propose(Payload{"x"}).ok());
  net.send(net[1].drain());
  net.run_until(at(500ms));
  EXPECT_EQ(net[2]->last_index(), Index{0});
  net.heal();
  net.run_until(at(2s));

  // check: node 2 holds the leader's log, and the entry is committed and applied on both.
  EXPECT_EQ(entries_of(net[2].node()), entries_of(net[1].node()));
  EXPECT_EQ(net[1]->commit_index(), Index{2});
  EXPECT_EQ(net[2]->commit_index(), Index{2});
  ASSERT_EQ(net[2].applied().size(), 2U);
  EXPECT_EQ(net[2].applied()[1].payload.as_string(), "x");
}

// Reference: §5.2/§5.3: heartbeats carry the commit index so followers learn it while idle;
// Heartbeat::commit is "capped at what the follower is known to hold" — a follower must never
// be told to commit entries it may not have.
TEST(PaperReplication, HeartbeatCarriesCommitIndexCappedAtFollowerMatch) {
  // init: node 1 leads term 1; node 2 holds the no-op and "x" (both committed); node 3 nothing.
  Peer leader(config_for(1, 3));
  std::vector<Message> pending = win_election(leader).all();
  (void)acknowledge(leader, pending, {2});
  ASSERT_TRUE(leader->propose(Payload{"x"}).ok());
  const auto proposed = leader.drain().all();
  pending.insert(pending.end(), proposed.begin(), proposed.end());
  (void)acknowledge(leader, pending, {2});
  ASSERT_EQ(leader->commit_index(), Index{2});

  // act: the next heartbeat round.
  const Output out = leader.tick(leader->now() + kHeartbeat);

  // check
  const auto to_2 = only<Heartbeat>(out.all(), 2);
  const auto to_3 = only<Heartbeat>(out.all(), 3);
  ASSERT_EQ(to_2.size(), 1U);
  ASSERT_EQ(to_3.size(), 1U);
  EXPECT_EQ(body<Heartbeat>(to_2[0]).commit, Index{2});
  EXPECT_EQ(body<Heartbeat>(to_3[0]).commit, Index{0});
}

// =================================================================================================
// §5.3 Log replication: the follower's side
// =================================================================================================

// Reference: Figure 2, AppendEntries RPC receiver implementation: "If leaderCommit >
// commitIndex, set commitIndex = min(leaderCommit, index of last new entry)" and §5.3 "Once a
// follower learns that a log entry is committed, it applies the entry to its local state machine
// (in log order)." Followers learn the commit index from appends and from heartbeats.
TEST(PaperReplication, FollowerLearnsCommitIndexFromAppendsAndHeartbeats) {
  // init: node 2, fresh.
  Peer follower(config_for(2, 3));

  // act + check: three entries, of which the leader says one is committed.
  Output out =
      follower.receive(append_request(1, 2, 1, 0, 0, 1, {entry(1, 1), entry(1, 2), entry(1, 3)}));
  EXPECT_EQ(follower->commit_index(), Index{1});
  EXPECT_EQ(out.committed, (std::vector{entry(1, 1)}));

  // act + check: an empty append moves the commit index to 2.
  out = follower.receive(append_request(1, 2, 1, 3, 1, 2));
  EXPECT_EQ(follower->commit_index(), Index{2});
  EXPECT_EQ(out.committed, (std::vector{entry(1, 2)}));

  // act + check: a heartbeat moves it to 3.
  out = follower.receive(heartbeat(1, 2, 1, 3));
  EXPECT_EQ(follower->commit_index(), Index{3});
  EXPECT_EQ(out.committed, (std::vector{entry(1, 3)}));
  EXPECT_EQ(follower.applied(), (std::vector{entry(1, 1), entry(1, 2), entry(1, 3)}));
}

// Reference: Figure 2 (as above): "min(leaderCommit, index of last new entry)". Entries past the
// ones the request vouched for may still be overwritten, so they are not committed.
TEST(PaperReplication, FollowerCommitsNoFurtherThanTheLastEntryOfTheRequest) {
  struct Case {
    std::string name;
    std::vector<std::uint64_t> log;
    Message request;
    std::uint64_t commit;
  };
  const std::vector<Case> cases = {
      {"commit past the new entries", {}, append_request(1, 2, 1, 0, 0, 5, {entry(1, 1)}), 1},
      {"unverified suffix", {1, 1, 1, 1}, append_request(1, 2, 1, 1, 1, 4), 1},
      {"verified by the entries",
       {1, 1, 1, 1},
       append_request(1, 2, 1, 1, 1, 4, {entry(1, 2), entry(1, 3)}),
       3},
      {"commit behind", {1, 1, 1}, append_request(1, 2, 1, 3, 1, 2), 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // init
    Peer follower(config_for(2, 3), log_of(c.log), HardState{Term{1}, NodeId{}, Index{}});
    // act
    (void)follower.receive(c.request);
    // check
    EXPECT_EQ(follower->commit_index(), Index{c.commit});
  }
}

// Reference: §5.3 "When sending an AppendEntries RPC, the leader includes the index and term of
// the entry in its log that immediately precedes the new entries. If the follower does not find
// an entry in its log with the same index and term, then it refuses the new entries." A refusal
// carries the rejected index and the back-off hint: the follower's last index at or below it
// whose term is at most the request's prev_log_term.
TEST(PaperReplication, FollowerRefusesEntriesThatFailTheConsistencyCheck) {
  struct Case {
    std::uint64_t prev_index;
    std::uint64_t prev_term;
    bool success;
    std::uint64_t hint_index;  // On refusal.
    std::uint64_t hint_term;
  };
  // The follower's log is (1, 2) in term 2.
  const std::vector<Case> cases = {
      {0, 0, true, 0, 0},  {1, 1, true, 0, 0}, {2, 2, true, 0, 0},
      {2, 1, false, 1, 1},  // Index 2 has term 2: its last entry of term <= 1 is index 1.
      {2, 3, false, 2, 2},  // Index 2 has term 2, not 3.
      {3, 2, false, 2, 2},  // Index 3 is missing.
      {7, 3, false, 2, 2},  // Far beyond the log.
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(fmt::format("prev {}/term {}", c.prev_index, c.prev_term));
    // init
    Peer follower(config_for(2, 3), log_of({1, 2}), HardState{Term{2}, NodeId{}, Index{}});
    // act: the leader of term 2 sends one new entry after (prev_index, prev_term).
    const Output out = follower.receive(
        append_request(1, 2, 2, c.prev_index, c.prev_term, 0, {entry(2, c.prev_index + 1)}));
    // check
    const auto replies = only<AppendReply>(out.all(), 1);
    ASSERT_EQ(replies.size(), 1U);
    const auto& reply = body<AppendReply>(replies[0]);
    EXPECT_EQ(reply.success, c.success);
    if (c.success) {
      EXPECT_EQ(reply.index, Index{c.prev_index + 1});
      EXPECT_EQ(follower->last_index(), Index{c.prev_index + 1});
    } else {
      EXPECT_EQ(reply.index, Index{c.prev_index});
      EXPECT_EQ(reply.hint_index, Index{c.hint_index});
      EXPECT_EQ(reply.hint_term, Term{c.hint_term});
      EXPECT_EQ(entries_of(follower.node()), log_of({1, 2})) << "a refusal changes nothing";
    }
  }
}

// Reference: Figure 2, AppendEntries receiver: "If an existing entry conflicts with a new one
// (same index but different terms), delete the existing entry and all that follow it (§5.3)"
// and "Append any new entries not already in the log". Entries that match are kept, and so is
// what follows them: a delayed, shorter append must not cut the log.
TEST(PaperReplication, FollowerDeletesConflictingSuffixAndKeepsMatchingEntries) {
  struct Case {
    std::string name;
    Message request;
    std::vector<std::uint64_t> log_after;
  };
  // The follower's log is (1, 1, 2, 2, 2); the leader is node 1 in term 3.
  const std::vector<Case> cases = {
      {"conflict at 3", append_request(1, 2, 3, 2, 1, 0, {entry(3, 3)}), {1, 1, 3}},
      {"conflict at 4 among matching entries",
       append_request(1, 2, 3, 0, 0, 0, {entry(1, 1), entry(1, 2), entry(2, 3), entry(3, 4)}),
       {1, 1, 2, 3}},
      {"all entries already present",
       append_request(1, 2, 3, 2, 1, 0, {entry(2, 3), entry(2, 4)}),
       {1, 1, 2, 2, 2}},
      {"empty append", append_request(1, 2, 3, 2, 1, 0), {1, 1, 2, 2, 2}},
      {"new entries at the end",
       append_request(1, 2, 3, 5, 2, 0, {entry(3, 6)}),
       {1, 1, 2, 2, 2, 3}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // init
    Peer follower(config_for(2, 3), log_of({1, 1, 2, 2, 2}), HardState{Term{2}, NodeId{}, Index{}});
    // act
    const Output out = follower.receive(c.request);
    // check: the node's log and the stored log both read as expected, payloads included.
    const auto replies = only<AppendReply>(out.all(), 1);
    ASSERT_EQ(replies.size(), 1U);
    EXPECT_TRUE(body<AppendReply>(replies[0]).success);
    EXPECT_EQ(body<AppendReply>(replies[0]).index,
              body<AppendRequest>(c.request).prev_log_index +
                  body<AppendRequest>(c.request).entries.size());
    EXPECT_EQ(terms_of(follower.node()), c.log_after);
    EXPECT_EQ(entries_of(follower.node()), log_of(c.log_after));
    std::vector<Entry> stored;
    ASSERT_TRUE(follower.log()
                    .entries(Index{1}, follower.log().last_index().next(), SIZE_MAX, stored)
                    .ok());
    EXPECT_EQ(stored, log_of(c.log_after));
  }
}

// Reference: Figure 2 "Persistent state ... (Updated on stable storage before responding to
// RPCs)": a follower acknowledges entries only once they are persisted, so its AppendReply is
// in Ready::messages_after_persist, in the same Ready as the entries, with must_sync set.
TEST(PaperReplication, AppendIsAcknowledgedOnlyAfterPersist) {
  // init: node 2, fresh.
  storage::MemoryLog log;
  auto created = Node::create(config_for(2, 3), log);
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  Node node = std::move(created).value();
  while (node.has_ready()) {
    Ready ready = node.ready();
    log.persist(ready);
    node.advance(std::move(ready));
  }

  // act
  ASSERT_TRUE(node.step(append_request(1, 2, 1, 0, 0, 0, {entry(1, 1), entry(1, 2)})).ok());
  ASSERT_TRUE(node.has_ready());
  Ready ready = node.ready();

  // check
  EXPECT_EQ(ready.entries, (std::vector{entry(1, 1), entry(1, 2)}));
  EXPECT_TRUE(ready.must_sync);
  EXPECT_TRUE(only<AppendReply>(ready.messages).empty()) << "an append reply may not leave early";
  const auto replies = only<AppendReply>(ready.messages_after_persist, 1);
  ASSERT_EQ(replies.size(), 1U);
  EXPECT_TRUE(body<AppendReply>(replies[0]).success);
  EXPECT_EQ(body<AppendReply>(replies[0]).index, Index{2});
  log.persist(ready);
  node.advance(std::move(ready));
}

// =================================================================================================
// Figure 7 and the back-off hint
// =================================================================================================

// Reference: §5.3 and Figure 7 "When the leader at the top comes to power, it is possible that
// any of scenarios (a–f) could occur in follower logs. ... A follower may be missing entries
// (a–b), may have extra uncommitted entries (c–d), or both (e–f)." and "the leader handles
// inconsistencies by forcing the followers' logs to duplicate its own." The leader of term 8
// (log 1 1 1 4 4 5 5 6 6 6, plus its no-op) drives one follower at a time, by hand.
TEST(PaperReplication, Figure7LeaderBringsEveryFollowerToItsLog) {
  struct Case {
    std::string name;
    std::vector<std::uint64_t> log;
    std::uint64_t term;
    std::size_t rejections_max;  // With the hint, at most one round trip per conflicting term.
  };
  const std::vector<std::uint64_t> leader_log = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
  const std::vector<Case> cases = {
      {"(a) missing one entry", {1, 1, 1, 4, 4, 5, 5, 6, 6}, 6, 1},
      {"(b) missing many entries", {1, 1, 1, 4}, 4, 1},
      {"(c) one extra entry", {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6}, 6, 0},
      {"(d) extra entries of a later term", {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7}, 7, 0},
      {"(e) missing and extra", {1, 1, 1, 4, 4, 4, 4}, 4, 1},
      {"(f) missing and extra, older terms", {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3}, 3, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // init: node 1 wins term 8 with node 3's vote; node 2 holds the follower log.
    Net net;
    net.add(std::make_unique<Peer>(config_for(1, 3), log_of(leader_log),
                                   HardState{Term{7}, NodeId{}, Index{}}));
    net.add(std::make_unique<Peer>(config_for(2, 3), log_of(c.log),
                                   HardState{Term{c.term}, NodeId{}, Index{}}));
    const Output won = win_election(net[1], {3});
    ASSERT_EQ(net[1]->term(), Term{8});
    ASSERT_EQ(net[1]->last_index(), Index{11});  // The no-op of term 8.

    // act: leader and follower talk until neither has more to say (node 3 hears nothing).
    net.send(won);
    net.stabilize();

    // check: the follower's log is the leader's, entry for entry.
    EXPECT_EQ(entries_of(net[2].node()), entries_of(net[1].node()));
    EXPECT_EQ(terms_of(net[2].node()),
              (std::vector<std::uint64_t>{1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 8}));
    std::size_t rejections = 0;
    for (const Message& m : net.delivered()) {
      if (is<AppendReply>(m) && !body<AppendReply>(m).success) ++rejections;
    }
    EXPECT_LE(rejections, c.rejections_max);
    EXPECT_EQ(net[1]->commit_index(), Index{11});  // Node 2's copy makes a majority of three.
  }
}

// Reference: §5.3 "If desired, the protocol can be optimized to reduce the number of rejected
// AppendEntries RPCs. For example, when rejecting an AppendEntries request, the follower can
// include the term of the conflicting entry and the first index it stores for that term. With
// this information, the leader can decrement nextIndex to bypass all of the conflicting entries
// in that term; one AppendEntries RPC will be required for each term with conflicting entries,
// rather than one RPC per entry."
TEST(PaperReplication, BackOffHintFindsLaggingFollowerInOneRoundTripPerTerm) {
  // init: the leader's log is 100 entries each of terms 1, 3 and 5; it wins term 6. The
  // follower shares the first 100 and then holds 150 each of terms 2 and 4 (never committed).
  std::vector<std::uint64_t> leader_log(100, 1);
  leader_log.insert(leader_log.end(), 100, 3);
  leader_log.insert(leader_log.end(), 100, 5);
  std::vector<std::uint64_t> follower_log(100, 1);
  follower_log.insert(follower_log.end(), 150, 2);
  follower_log.insert(follower_log.end(), 150, 4);
  Net net;
  net.add(std::make_unique<Peer>(config_for(1, 3), log_of(leader_log),
                                 HardState{Term{5}, NodeId{}, Index{}}));
  net.add(std::make_unique<Peer>(config_for(2, 3), log_of(follower_log),
                                 HardState{Term{4}, NodeId{}, Index{}}));
  const Output won = win_election(net[1], {3});

  // act
  net.send(won);
  net.stabilize();

  // check: the logs agree, after at most one refusal per conflicting term (2 and 4, or 3 and 5),
  // where stepping back one entry at a time would have taken 200.
  EXPECT_EQ(entries_of(net[2].node()), entries_of(net[1].node()));
  std::size_t appends = 0;
  std::size_t rejections = 0;
  for (const Message& m : net.delivered()) {
    if (is<AppendRequest>(m) && m.to == NodeId{2}) ++appends;
    if (is<AppendReply>(m) && !body<AppendReply>(m).success) ++rejections;
  }
  EXPECT_LE(rejections, 3U);
  EXPECT_LE(appends, 6U) << "round trips to bring the follower up to date";
}

// =================================================================================================
// Proposals, flow control and batching
// =================================================================================================

// Reference: §8 "If the client contacts a follower, the follower rejects the request and
// supplies information about the most recent leader it has heard from". Here propose() on a
// non-leader returns kNotLeader with the leader hint and appends nothing.
TEST(PaperReplication, ProposeOnNonLeaderReturnsNotLeaderWithLeaderHint) {
  // A follower that knows its leader.
  {
    Peer follower(config_for(2, 3));
    (void)follower.receive(heartbeat(1, 2, 1, 0));
    const Result<Index> result = follower->propose(Payload{"x"});
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), ErrorCode::kNotLeader);
    EXPECT_EQ(result.status().leader_hint(), NodeId{1});
    EXPECT_EQ(follower->last_index(), Index{0});
    EXPECT_TRUE(follower.drain().entries.empty());
  }
  // A follower that knows none, and a candidate.
  for (const bool campaign : {false, true}) {
    Peer peer(config_for(2, 3));
    if (campaign) {
      ASSERT_TRUE(peer->campaign().ok());
      (void)peer.drain();
    }
    const Result<Index> result = peer->propose(Payload{"x"});
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), ErrorCode::kNotLeader);
    EXPECT_EQ(result.status().leader_hint(), NodeId::none());
  }
}

// Reference: Config::uncommitted_bytes_max "A leader refuses proposals (kProposalDropped) once
// its uncommitted entries exceed this many bytes, so a stalled quorum cannot exhaust memory."
// (etcd/raft's MaxUncommittedEntriesSize.)
TEST(PaperReplication, ProposalsOverUncommittedBytesMaxAreDropped) {
  // init: node 1 leads; no follower answers. Each proposal is 100 + 24 bytes.
  Config config = config_for(1, 3);
  config.uncommitted_bytes_max = 1000;
  Peer leader(config);
  std::vector<Message> pending = win_election(leader).all();
  const Payload payload{std::string(100, 'p')};
  const std::size_t entry_bytes = payload.size() + Entry::kHeaderBytes;

  // act: propose until refused.
  std::size_t accepted = 0;
  Status refusal;
  for (int i = 0; i < 100 && refusal.ok(); ++i) {
    const Result<Index> result = leader->propose(payload);
    if (result.ok()) {
      ++accepted;
    } else {
      refusal = result.status();
    }
  }
  const auto sent = leader.drain().all();
  pending.insert(pending.end(), sent.begin(), sent.end());

  // check: refused as dropped, around the limit (whether an entry counts as its payload or as
  // its size_bytes(), at most one entry over it).
  EXPECT_EQ(refusal.code(), ErrorCode::kProposalDropped) << refusal.to_string();
  EXPECT_LE(accepted * payload.size(), config.uncommitted_bytes_max + entry_bytes);
  EXPECT_GE(accepted * entry_bytes + 2 * entry_bytes, config.uncommitted_bytes_max);
  EXPECT_EQ(leader->last_index(), Index{1 + accepted});

  // act + check: once a follower commits everything, proposals are accepted again.
  (void)acknowledge(leader, pending, {2});
  EXPECT_EQ(leader->commit_index(), leader->last_index());
  EXPECT_TRUE(leader->propose(payload).ok());
}

// Reference: Config::uncommitted_bytes_max (as above): "so a stalled quorum cannot exhaust
// memory". Every entry costs memory, payload or not (Entry::size_bytes() counts a fixed header),
// so proposals with empty payloads must be bounded as well.
TEST(PaperReplication, EmptyProposalsAreBoundedByUncommittedBytesMax) {
  // init: node 1 leads; no follower answers.
  Config config = config_for(1, 3);
  config.uncommitted_bytes_max = 1000;
  Peer leader(config);
  (void)win_election(leader);

  // act: propose empty payloads, far more than 1000 bytes' worth of entries.
  const std::size_t attempts = 10 * config.uncommitted_bytes_max / Entry::kHeaderBytes;
  std::size_t accepted = 0;
  for (std::size_t i = 0; i < attempts; ++i) {
    if (leader->propose(Payload{}).ok()) ++accepted;
  }
  (void)leader.drain();

  // check: the uncommitted log stayed near the limit.
  EXPECT_LE(accepted * Entry::kHeaderBytes, config.uncommitted_bytes_max + Entry::kHeaderBytes)
      << accepted << " empty entries accepted while nothing commits";
}

// Reference: Config::inflight_messages_max "Appends a leader may have in flight to one follower
// before waiting for acknowledgements (flow control, as in etcd/raft's Inflights)." A follower
// whose log matches is pipelined up to that window; each acknowledgement reopens it.
TEST(PaperReplication, InflightWindowStopsAppendsUntilAcknowledged) {
  // init: node 1 leads with a window of 3; both followers hold its no-op.
  Config config = config_for(1, 3);
  config.inflight_messages_max = 3;
  Peer leader(config);
  std::vector<Message> pending = win_election(leader).all();
  EXPECT_FALSE(progress_of(leader.node(), 2).replicating) << "probing until the first answer";
  (void)acknowledge(leader, pending, {2, 3});
  ASSERT_TRUE(pending.empty());
  EXPECT_TRUE(progress_of(leader.node(), 2).replicating);

  // act: six proposals, each handed out on its own (one Ready per proposal).
  std::vector<Message> to_2;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(leader->propose(Payload{fmt::format("cmd{}", i)}).ok());
    const auto sent = only<AppendRequest>(leader.drain().all(), 2);
    to_2.insert(to_2.end(), sent.begin(), sent.end());
  }

  // check: three appends went out; the rest waits.
  ASSERT_EQ(to_2.size(), 3U);
  const auto& last_sent = body<AppendRequest>(to_2.back());
  const Index sent_up_to = last_sent.prev_log_index + last_sent.entries.size();
  EXPECT_LT(sent_up_to, leader->last_index());

  // act + check: one acknowledgement frees a slot and the waiting entries go out.
  Output out = leader.receive(accept(to_2.front()));
  auto resumed = only<AppendRequest>(out.all(), 2);
  ASSERT_FALSE(resumed.empty()) << "no append after the window reopened";
  EXPECT_LE(resumed.size(), 3U);

  // act + check: acknowledging everything brings node 2 level with the leader.
  std::vector<Message> rest(to_2.begin() + 1, to_2.end());
  rest.insert(rest.end(), resumed.begin(), resumed.end());
  (void)acknowledge(leader, rest, {2});
  EXPECT_EQ(progress_of(leader.node(), 2).match, leader->last_index());
}

// Reference: Config::message_bytes_max "Upper bound on the entry bytes in one AppendRequest (one
// entry is always sent even when larger, or replication could never progress)."
TEST(PaperReplication, AppendsRespectMessageBytesMax) {
  // init: node 1 leads; appends hold at most three 100-byte entries (124 bytes each).
  Config config = config_for(1, 3);
  const Payload payload{std::string(100, 'p')};
  config.message_bytes_max = 3 * (payload.size() + Entry::kHeaderBytes);
  Peer leader(config);
  std::vector<Message> pending = win_election(leader).all();
  (void)acknowledge(leader, pending, {2, 3});

  // act: ten proposals in one batch.
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(leader->propose(payload).ok());
  const Output out = leader.drain();

  // check: four appends to node 2 (3 + 3 + 3 + 1 entries), contiguous, each within the limit.
  const auto appends = only<AppendRequest>(out.all(), 2);
  ASSERT_EQ(appends.size(), 4U);
  Index next{2};
  for (const Message& m : appends) {
    const auto& append = body<AppendRequest>(m);
    ASSERT_FALSE(append.entries.empty());
    EXPECT_LE(bytes_of(append.entries), config.message_bytes_max);
    EXPECT_EQ(append.prev_log_index.next(), next);
    EXPECT_EQ(append.entries.front().index, next);
    next = append.entries.back().index.next();
  }
  EXPECT_EQ(next, Index{12});

  // act + check: an entry larger than the limit still goes, alone.
  ASSERT_TRUE(leader->propose(Payload{std::string(1000, 'b')}).ok());
  const auto big = only<AppendRequest>(leader.drain().all(), 2);
  ASSERT_EQ(big.size(), 1U);
  ASSERT_EQ(body<AppendRequest>(big[0]).entries.size(), 1U);
  EXPECT_EQ(body<AppendRequest>(big[0]).entries[0].index, Index{12});
}

}  // namespace
}  // namespace raft::test
