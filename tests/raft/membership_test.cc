// SPDX-License-Identifier: Apache-2.0
// Membership changes (thesis §4): the transition table of next_membership(),
// the kConfig encoding, and clusters that add, promote, replace and remove
// members — single-server changes (§4.1), joint consensus (§4.3), learners
// (§4.2.1), removing the leader (§4.2.2), and the rules that keep changes
// from overlapping.

#include "raft/membership.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "paper_test_util.h"
#include "raft/node.h"
#include "raft/status.h"

namespace raft::test {
namespace {

using namespace std::chrono_literals;
using Kind = MembershipChange::Kind;

std::vector<NodeId> ids(std::initializer_list<std::uint64_t> values) {
  std::vector<NodeId> out;
  for (const std::uint64_t v : values) out.emplace_back(v);
  return out;
}

MembershipChange add_voter(std::uint64_t id) { return {Kind::kAddVoter, NodeId{id}}; }
MembershipChange add_learner(std::uint64_t id) { return {Kind::kAddLearner, NodeId{id}}; }
MembershipChange remove(std::uint64_t id) { return {Kind::kRemove, NodeId{id}}; }

Membership simple(std::initializer_list<std::uint64_t> voters,
                  std::initializer_list<std::uint64_t> learners = {}) {
  return Membership{ids(voters), {}, ids(learners), false};
}

// =================================================================================================
// The transition table
// =================================================================================================

struct TransitionCase {
  const char* name;
  Membership from;
  std::vector<MembershipChange> changes;
  MembershipTransition transition;
  Membership to;
};

TEST(MembershipTransitions, TableOfValidChanges) {
  const Membership joint_123_to_145{ids({1, 4, 5}), ids({1, 2, 3}), {}, true};
  const TransitionCase cases[] = {
      // §4.1: one voter at a time needs no joint configuration.
      {"add one voter",
       simple({1, 2, 3}),
       {add_voter(4)},
       MembershipTransition::kAuto,
       simple({1, 2, 3, 4})},
      {"remove one voter",
       simple({1, 2, 3}),
       {remove(3)},
       MembershipTransition::kAuto,
       simple({1, 2})},
      {"even-sized result",
       simple({1, 2, 3, 4, 5}),
       {remove(5)},
       MembershipTransition::kAuto,
       simple({1, 2, 3, 4})},
      // §4.2.1: learners never count, so adding one changes no majority.
      {"add a learner",
       simple({1, 2, 3}),
       {add_learner(4)},
       MembershipTransition::kAuto,
       simple({1, 2, 3}, {4})},
      {"promote a learner",
       simple({1, 2, 3}, {4}),
       {add_voter(4)},
       MembershipTransition::kAuto,
       simple({1, 2, 3, 4})},
      {"demote a voter",
       simple({1, 2, 3}),
       {add_learner(3)},
       MembershipTransition::kAuto,
       simple({1, 2}, {3})},
      {"remove a learner",
       simple({1, 2, 3}, {4}),
       {remove(4)},
       MembershipTransition::kAuto,
       simple({1, 2, 3})},
      // §4.3: two or more voter changes go through C_old,new.
      {"replace two voters",
       simple({1, 2, 3}),
       {add_voter(4), add_voter(5), remove(2), remove(3)},
       MembershipTransition::kAuto,
       joint_123_to_145},
      {"swap one voter",
       simple({1, 2, 3}),
       {add_voter(4), remove(3)},
       MembershipTransition::kAuto,
       Membership{ids({1, 2, 4}), ids({1, 2, 3}), {}, true}},
      {"forced joint, explicit leave",
       simple({1, 2, 3}),
       {add_voter(4)},
       MembershipTransition::kJointExplicitLeave,
       Membership{ids({1, 2, 3, 4}), ids({1, 2, 3}), {}, false}},
      {"leave a joint configuration",
       joint_123_to_145,
       {},
       MembershipTransition::kAuto,
       simple({1, 4, 5})},
  };
  for (const TransitionCase& c : cases) {
    SCOPED_TRACE(c.name);
    const Result<Membership> next = next_membership(c.from, c.changes, c.transition);
    ASSERT_TRUE(next.ok()) << next.status().to_string();
    EXPECT_EQ(*next, c.to) << describe(*next);
    EXPECT_TRUE(next->validate().ok()) << next->validate().to_string();
  }
}

TEST(MembershipTransitions, TableOfRefusedChanges) {
  const Membership joint{ids({1, 2, 4}), ids({1, 2, 3}), {}, true};
  struct Refused {
    const char* name;
    Membership from;
    std::vector<MembershipChange> changes;
    const char* says;
  };
  const Refused cases[] = {
      {"change while joint", joint, {add_voter(5)}, "leave it"},
      {"nothing to do", simple({1, 2, 3}), {}, "no changes"},
      {"node zero", simple({1, 2, 3}), {add_voter(0)}, "node id 0"},
      {"node named twice", simple({1, 2, 3}), {add_voter(4), remove(4)}, "named twice"},
      {"remove a stranger", simple({1, 2, 3}), {remove(9)}, "not a member"},
      {"remove every voter", simple({1}), {remove(1)}, "no voters"},
  };
  for (const Refused& c : cases) {
    SCOPED_TRACE(c.name);
    const Result<Membership> next = next_membership(c.from, c.changes, MembershipTransition::kAuto);
    ASSERT_FALSE(next.ok());
    EXPECT_EQ(next.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(next.status().message().find(c.says), std::string::npos) << next.status().message();
  }
}

TEST(MembershipEncoding, RoundTripsAndRejectsMalformedBytes) {
  const Membership joint{ids({1, 4, 5}), ids({1, 2, 3}), ids({6}), true};
  const Result<Membership> decoded = decode_membership(encode_membership(joint));
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, joint);

  const Payload encoded = encode_membership(joint);  // Kept alive: bytes() is a view.
  const std::vector<std::byte> whole(encoded.bytes().begin(), encoded.bytes().end());
  for (std::size_t cut = 0; cut < whole.size(); ++cut) {
    const Result<Membership> truncated =
        decode_membership(Payload{std::span<const std::byte>{whole.data(), cut}});
    ASSERT_FALSE(truncated.ok()) << "a prefix of " << cut << " bytes was accepted";
    EXPECT_EQ(truncated.status().code(), ErrorCode::kCorruption);
  }
  std::vector<std::byte> bad_version = whole;
  bad_version[0] = std::byte{9};
  EXPECT_EQ(decode_membership(Payload{std::move(bad_version)}).status().code(),
            ErrorCode::kCorruption);
  // Unsorted voters decode but fail validation: still corruption, named.
  const Membership unsorted{ids({3, 1}), {}, {}, false};
  const Result<Membership> refused = decode_membership(encode_membership(unsorted));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("sorted"), std::string::npos);
}

// =================================================================================================
// Clusters changing their membership
// =================================================================================================

Net elected(std::uint64_t size) {
  Net net = Net::of(size, [](Config&) {});
  EXPECT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();
  EXPECT_EQ(net.leaders(), (std::vector<std::uint64_t>{1}));
  return net;
}

// A node that starts with no membership and learns it from the leader.
void add_joiner(
    Net& net, std::uint64_t id, void (*adjust)(Config&) = [](Config&) {}) {
  Config config = config_for(id, 1);
  config.voters.clear();
  adjust(config);
  net.add(std::make_unique<Peer>(config));
}

Result<Index> change(Net& net, std::uint64_t leader, std::vector<MembershipChange> changes,
                     MembershipTransition transition = MembershipTransition::kAuto) {
  Result<Index> index = net[leader]->propose_membership_change(changes, transition);
  net.send(net[leader].drain());
  net.stabilize();
  return index;
}

Index propose(Net& net, std::uint64_t leader, const char* text) {
  Result<Index> index = net[leader]->propose(Payload{std::string_view{text}});
  EXPECT_TRUE(index.ok()) << index.status().to_string();
  net.send(net[leader].drain());
  net.stabilize();
  return index.ok() ? *index : Index{};
}

// Thesis §4.1: a single-server change takes effect (here: on commit) and the
// new server catches up through ordinary replication.
TEST(MembershipCluster, AddsAVoterThatJoinsWithNoConfiguration) {
  Net net = elected(3);
  add_joiner(net, 4);
  EXPECT_EQ(net[4]->next_deadline(), kTimeNever) << "a joining node waits for the leader";

  const Result<Index> index = change(net, 1, {add_voter(4)});
  ASSERT_TRUE(index.ok()) << index.status().to_string();
  net.run_until(at(500ms));  // Heartbeats carry the commit index to everyone.

  for (const std::uint64_t id : {1U, 2U, 3U, 4U}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(net[id]->membership(), simple({1, 2, 3, 4}));
    EXPECT_GE(net[id]->commit_index(), *index);
  }
  EXPECT_NE(net[4]->next_deadline(), kTimeNever) << "a voter now, it has an election timer";
  const auto changes = events_of<MembershipChanged>(net[1].history());
  ASSERT_EQ(changes.size(), 1U);
  EXPECT_EQ(changes[0].index, *index);

  // Four voters need three for a majority: with 3 and 4 cut off, nothing commits.
  net.isolate(3);
  net.isolate(4);
  const Index stuck = propose(net, 1, "needs three of four");
  net.run_until(at(900ms));
  EXPECT_LT(net[1]->commit_index(), stuck);
  net.heal();
  net.run_until(at(1100ms));
  EXPECT_GE(net[1]->commit_index(), stuck);
}

// Thesis §4.2.1: a learner receives the log but is never counted and never
// campaigns; promoted, it becomes a voter like any other.
TEST(MembershipCluster, LearnerReplicatesWithoutVotingUntilPromoted) {
  Net net = elected(3);
  add_joiner(net, 4);
  ASSERT_TRUE(change(net, 1, {add_learner(4)}).ok());
  net.run_until(at(300ms));
  EXPECT_EQ(net[1]->membership(), simple({1, 2, 3}, {4}));
  EXPECT_EQ(net[4]->membership(), simple({1, 2, 3}, {4}));
  EXPECT_EQ(net[4]->next_deadline(), kTimeNever) << "learners never campaign";
  EXPECT_EQ(net[4]->campaign().code(), ErrorCode::kInvalidArgument);

  // The learner holds every entry, yet a majority of voters is still needed.
  net.isolate(3);
  net.isolate(2);
  const Index lonely = propose(net, 1, "learner and leader only");
  net.run_until(at(600ms));
  EXPECT_EQ(net[4]->last_index(), lonely) << "the learner got the entry";
  EXPECT_LT(net[1]->commit_index(), lonely) << "but a learner's copy counts for nothing";
  net.heal();
  net.run_until(at(800ms));
  ASSERT_GE(net[1]->commit_index(), lonely);

  ASSERT_TRUE(change(net, 1, {add_voter(4)}).ok());
  net.run_until(at(1000ms));
  EXPECT_EQ(net[4]->membership(), simple({1, 2, 3, 4}));
  EXPECT_NE(net[4]->next_deadline(), kTimeNever);
}

// Thesis §4.3: in C_old,new an entry commits only with a majority of both.
TEST(MembershipCluster, JointConfigurationNeedsBothMajorities) {
  Net net = elected(3);
  add_joiner(net, 4);
  add_joiner(net, 5);
  ASSERT_TRUE(change(net, 1, {add_voter(4), add_voter(5), remove(2), remove(3)},
                     MembershipTransition::kJointExplicitLeave)
                  .ok());
  net.run_until(at(300ms));
  const Membership joint{ids({1, 4, 5}), ids({1, 2, 3}), {}, false};
  ASSERT_EQ(net[1]->membership(), joint);

  // Old majority {1,2,3} without the new one {1,4,5}: no commit.
  net.isolate(4);
  net.isolate(5);
  const Index first = propose(net, 1, "needs C_new too");
  net.run_until(at(600ms));
  EXPECT_LT(net[1]->commit_index(), first);
  // New majority without the old one: still no commit.
  net.heal();
  net.isolate(2);
  net.isolate(3);
  const Index second = propose(net, 1, "needs C_old too");
  net.run_until(at(900ms));
  EXPECT_LT(net[1]->commit_index(), second);
  net.heal();
  net.run_until(at(1100ms));
  EXPECT_GE(net[1]->commit_index(), second);

  // A second change is refused until the joint configuration is left.
  EXPECT_EQ(net[1]->propose_membership_change(std::vector{add_voter(6)}).status().code(),
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(change(net, 1, {}).ok()) << "an empty change list leaves the joint configuration";
  net.run_until(at(1300ms));
  for (const std::uint64_t id : {1U, 4U, 5U}) EXPECT_EQ(net[id]->membership(), simple({1, 4, 5}));
}

// Thesis §4.3 with etcd's auto leave: the leader proposes C_new by itself.
TEST(MembershipCluster, ReplacingTheMajorityLeavesTheJointConfigurationAutomatically) {
  Net net = elected(3);
  add_joiner(net, 4);
  add_joiner(net, 5);
  ASSERT_TRUE(change(net, 1, {add_voter(4), add_voter(5), remove(2), remove(3)}).ok());
  net.run_until(at(500ms));
  const auto seen = events_of<MembershipChanged>(net[1].history());
  ASSERT_EQ(seen.size(), 2U) << "C_old,new then C_new";
  EXPECT_TRUE(seen[0].membership.joint());
  EXPECT_EQ(seen[1].membership, simple({1, 4, 5}));
  EXPECT_EQ(net[1]->role(), Role::kLeader);
  EXPECT_EQ(net[2]->next_deadline(), kTimeNever) << "a removed server never campaigns";
}

// Refusing overlapping changes keeps majorities overlapping (thesis §4.1).
TEST(MembershipCluster, RefusesAChangeWhileAnotherIsUncommitted) {
  Net net = Net::of(3, [](Config&) {});
  ASSERT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.hold_if([](const Message& m) { return is<AppendRequest>(m); });
  net.stabilize();
  ASSERT_EQ(net.leaders(), (std::vector<std::uint64_t>{1}));
  // Before the new leader commits an entry of its own term (the 2015 fix).
  const Result<Index> early = net[1]->propose_membership_change(std::vector{add_learner(4)});
  EXPECT_EQ(early.status().code(), ErrorCode::kConfigChangeInProgress) << early.status().message();
  net.release();
  net.stabilize();

  const Result<Index> first = net[1]->propose_membership_change(std::vector{add_learner(4)});
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  const Result<Index> second = net[1]->propose_membership_change(std::vector{add_learner(5)});
  EXPECT_EQ(second.status().code(), ErrorCode::kConfigChangeInProgress);
  EXPECT_NE(second.status().message().find(std::to_string(first->value())), std::string::npos)
      << "names the pending change: " << second.status().message();
  EXPECT_EQ(net[2]->propose_membership_change(std::vector{add_learner(5)}).status().code(),
            ErrorCode::kNotLeader);
}

// Thesis §4.2.2: the leader steps down once a membership without it commits;
// it hands over first, so the cluster does not wait for an election timeout.
TEST(MembershipCluster, RemovedLeaderHandsOverAndStepsDown) {
  Net net = elected(3);
  ASSERT_TRUE(change(net, 1, {remove(1)}).ok());
  // No clock moved: the new leader was elected through TimeoutNow alone.
  const auto leaders = net.leaders();
  ASSERT_EQ(leaders.size(), 1U);
  EXPECT_NE(leaders[0], 1U);
  const auto handover = events_of<TransferChanged>(net[1].history());
  ASSERT_EQ(handover.size(), 2U);
  EXPECT_EQ(handover[0].phase, TransferChanged::Phase::kStarted);
  EXPECT_EQ(handover[1].phase, TransferChanged::Phase::kCompleted);
  EXPECT_EQ(net[1]->next_deadline(), kTimeNever) << "a removed server never campaigns";
  EXPECT_EQ(net[leaders[0]]->membership(), simple({2, 3}));
  propose(net, leaders[0], "the smaller cluster commits");
  EXPECT_EQ(net[leaders[0]]->commit_index(), net[leaders[0]]->last_index());
}

// Thesis §4.2.2: when the handover cannot happen (the remaining voters are
// unreachable), the removed leader still steps down, an election timeout later.
TEST(MembershipCluster, RemovedLeaderStepsDownWhenItCannotHandOver) {
  Net net = elected(3);
  ASSERT_TRUE(net[1]->propose_membership_change(std::vector{remove(1)}).ok());
  net.send(net[1].drain());
  // An entry after the change that never reaches anyone: no voter can catch
  // up, so no TimeoutNow can go out.
  const Result<Index> extra = net[1]->propose(Payload{std::string_view{"x"}});
  ASSERT_TRUE(extra.ok());
  net.hold_if([&](const Message& m) {
    return is<AppendRequest>(m) && !body<AppendRequest>(m).entries.empty() &&
           body<AppendRequest>(m).entries.back().index >= *extra;
  });
  net.send(net[1].drain());
  net.stabilize();
  ASSERT_FALSE(net[1]->membership().is_voter(NodeId{1})) << "the removal committed";
  ASSERT_EQ(net[1]->role(), Role::kLeader) << "it leads on while it tries to hand over";
  EXPECT_TRUE(net[1]->transfer_target().valid());
  EXPECT_EQ(net[1]->propose(Payload{std::string_view{"y"}}).status().code(),
            ErrorCode::kProposalDropped);
  (void)net[1].run_until(at(kElectionMin + 10ms));  // Nothing it sends arrives.
  EXPECT_EQ(net[1]->role(), Role::kFollower);
  const auto roles = events_of<RoleChanged>(net[1].history());
  ASSERT_FALSE(roles.empty());
  EXPECT_EQ(roles.back().reason, RoleChangeReason::kRemoved);
  const auto handover = events_of<TransferChanged>(net[1].history());
  ASSERT_FALSE(handover.empty());
  EXPECT_EQ(handover.back().phase, TransferChanged::Phase::kAborted);
  EXPECT_EQ(net[1]->next_deadline(), kTimeNever);
}

// A TimeoutNow that crosses the change removing its target must not make a
// removed server campaign (thesis §4.2.2: only voters lead).
TEST(MembershipCluster, RemovedServerIgnoresALateTimeoutNow) {
  // Node 3's log holds, committed, the membership that removed it.
  std::vector<Entry> log = log_of({1});
  log.push_back(Entry{Term{1}, Index{2}, EntryType::kConfig, encode_membership(simple({1, 2}))});
  Peer removed(config_for(3, 3), log, HardState{Term{1}, NodeId{}, Index{2}});
  ASSERT_FALSE(removed->membership().is_voter(NodeId{3}));
  removed.receive(heartbeat(1, 3, 1, 2));
  ASSERT_EQ(removed->leader(), NodeId{1});
  removed.receive(Message{NodeId{1}, NodeId{3}, Term{1}, TimeoutNow{}});
  EXPECT_EQ(removed->role(), Role::kFollower);
  EXPECT_EQ(removed->term(), Term{1}) << "no campaign, so no new term";
}

// Thesis §6.4 under §4: a read waiting for a heartbeat round must not wait
// for members a change removed. Down to a single voter, the leader is its own
// majority and answers at once (a 3-node swarm seed hung here).
TEST(MembershipCluster, ReadsWorkOnceTheClusterShrinksToOneVoter) {
  Net net = Net::of(3, [](Config& config) { config.read_mode = ReadMode::kReadIndex; });
  ASSERT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();
  ASSERT_TRUE(change(net, 1, {remove(2), remove(3)}).ok());
  net.run_until(at(300ms));
  ASSERT_EQ(net[1]->membership(), simple({1}));
  net.isolate(2);
  net.isolate(3);
  ASSERT_TRUE(net[1]->read_index(42).ok());
  net.send(net[1].drain());
  net.stabilize();
  net[1].run_until(at(400ms));
  ASSERT_FALSE(net[1].reads().empty());
  EXPECT_EQ(net[1].reads().back().request_id, 42U);
  EXPECT_TRUE(net[1].reads().back().ok());
}

// A change can commit and still leave the cluster without a working majority
// (the added server is down): the new membership is what counts from then on.
TEST(MembershipCluster, AddingAnUnreachableVoterCanLoseQuorum) {
  Net net = elected(3);
  net.isolate(3);
  const Result<Index> index = change(net, 1, {add_voter(4)});  // Node 4 does not exist yet.
  ASSERT_TRUE(index.ok());
  net.run_until(at(300ms));
  ASSERT_GE(net[1]->commit_index(), *index) << "{1,2} is a majority of {1,2,3}";
  const Index after = propose(net, 1, "needs 3 of {1,2,3,4}");
  net.run_until(at(600ms));
  EXPECT_LT(net[1]->commit_index(), after);
  add_joiner(net, 4);
  net.run_until(at(900ms));
  EXPECT_GE(net[1]->commit_index(), after) << "node 4 arrives and completes the majority";
}

// A node restarts with the membership its log holds: committed entries take
// effect, uncommitted ones wait (and may still be truncated).
TEST(MembershipRestart, RestoresTheCommittedMembershipFromTheLog) {
  const Membership bigger = simple({1, 2, 3, 4});
  std::vector<Entry> log = log_of({1, 1});
  log.push_back(Entry{Term{1}, Index{3}, EntryType::kConfig, encode_membership(bigger)});
  {
    Peer committed(config_for(2, 3), log, HardState{Term{1}, NodeId{}, Index{3}});
    EXPECT_EQ(committed->membership(), bigger);
  }
  Peer pending(config_for(2, 3), log, HardState{Term{1}, NodeId{}, Index{2}});
  EXPECT_EQ(pending->membership(), simple({1, 2, 3}));
  // The leader of term 2 replaces index 3: the configuration there is gone.
  pending.receive(append_request(1, 2, 2, 2, 1, 3, {entry(2, 3)}));
  EXPECT_EQ(pending->membership(), simple({1, 2, 3}));
  EXPECT_EQ(pending->commit_index(), Index{3});
}

// §5.3 truncates only on a conflict: a duplicate of an earlier append (the
// network may deliver one late) must not make a follower forget the
// configuration entry after it, or it would never adopt it on commit.
TEST(MembershipRestart, ADuplicateAppendKeepsAPendingConfiguration) {
  const Membership bigger = simple({1, 2, 3, 4});
  Peer follower(config_for(2, 3));
  const Entry config{Term{1}, Index{3}, EntryType::kConfig, encode_membership(bigger)};
  follower.receive(append_request(1, 2, 1, 0, 0, 0, {entry(1, 1), entry(1, 2), config}));
  ASSERT_EQ(follower->last_index(), Index{3});
  follower.receive(append_request(1, 2, 1, 0, 0, 0, {entry(1, 1)}));  // Late duplicate.
  EXPECT_EQ(follower->last_index(), Index{3}) << "nothing conflicted, nothing was truncated";
  follower.receive(heartbeat(1, 2, 1, 3));
  EXPECT_EQ(follower->commit_index(), Index{3});
  EXPECT_EQ(follower->membership(), bigger);
}

TEST(MembershipRestart, CorruptConfigEntryStopsTheNode) {
  std::vector<Entry> log = log_of({1});
  log.push_back(Entry{Term{1}, Index{2}, EntryType::kConfig, Payload{std::string_view{"junk"}}});
  Peer peer(config_for(2, 3), log, HardState{Term{1}, NodeId{}, Index{2}});
  EXPECT_EQ(peer->health().code(), ErrorCode::kCorruption);
  EXPECT_NE(peer->health().message().find("log entry 2"), std::string::npos)
      << peer->health().message();
}

// Thesis §5.1: a snapshot keeps "the latest configuration as of the last
// included index", so a member that gets the snapshot instead of the log
// still learns the membership, and an older snapshot keeps the older one.
TEST(MembershipSnapshot, AJoinerLearnsTheMembershipFromTheLeadersSnapshot) {
  constexpr auto compact_all = [](Config& config) {
    config.snapshot_trailing_entries = 0;
    config.snapshot_chunk_bytes = 64;
  };
  Net net = Net::of(3, compact_all);
  ASSERT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();
  add_joiner(net, 4, compact_all);
  net.isolate(4);
  const Index before = net[1]->commit_index();
  ASSERT_TRUE(change(net, 1, {add_voter(4)}).ok());
  propose(net, 1, "after the change");
  net.run_until(at(300ms));
  const Index applied = net[1]->applied_index();
  ASSERT_GT(applied, before);

  const Result<SnapshotMeta> old_meta = net[1]->snapshot_meta(before);
  ASSERT_TRUE(old_meta.ok()) << old_meta.status().to_string();
  EXPECT_EQ(old_meta->membership, simple({1, 2, 3}));
  const Result<SnapshotMeta> meta = net[1]->snapshot_meta(applied);
  ASSERT_TRUE(meta.ok()) << meta.status().to_string();
  EXPECT_EQ(meta->membership, simple({1, 2, 3, 4}));
  net[1].log().save_snapshot(*meta, Payload{std::string_view{"the state machine"}});
  ASSERT_TRUE(net[1]->snapshot_taken(applied).ok());
  net.send(net[1].drain());
  ASSERT_GT(net[1]->first_index(), before) << "the change's entry is compacted away";

  net.heal();
  net.run_until(at(800ms));
  EXPECT_EQ(net[4]->metrics().snapshots_installed, 1U);
  EXPECT_EQ(net[4]->membership(), simple({1, 2, 3, 4}));
  EXPECT_NE(net[4]->next_deadline(), kTimeNever) << "a voter, it has an election timer";
  EXPECT_EQ(events_of<MembershipChanged>(net[4].history()).size(), 1U);
}

// Thesis §4.3: a candidate in C_old,new needs a majority of each half.
TEST(MembershipElection, JointCandidateNeedsBothMajorities) {
  const Membership joint{ids({1, 4, 5}), ids({1, 2, 3}), {}, false};
  std::vector<Entry> log = log_of({1});
  log.push_back(Entry{Term{1}, Index{2}, EntryType::kConfig, encode_membership(joint)});
  Peer peer(config_for(1, 3), log, HardState{Term{1}, NodeId{}, Index{2}});
  ASSERT_EQ(peer->membership(), joint);
  ASSERT_TRUE(peer->campaign().ok());
  const Output out = peer.drain();
  EXPECT_EQ(only<VoteRequest>(out.all()).size(), 4U) << "asks 2, 3, 4 and 5";
  const Term term = peer->term();
  peer.receive(vote_reply(2, 1, term.value(), true));
  peer.receive(vote_reply(3, 1, term.value(), true));
  EXPECT_EQ(peer->role(), Role::kCandidate) << "C_old alone is not enough";
  peer.receive(vote_reply(4, 1, term.value(), true));
  EXPECT_EQ(peer->role(), Role::kLeader);
}

}  // namespace
}  // namespace raft::test
