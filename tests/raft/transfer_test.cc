// SPDX-License-Identifier: Apache-2.0
// Leadership transfer, one test per rule of thesis §3.10: catch the target up,
// then TimeoutNow; refuse proposals meanwhile; complete or abort within an
// election timeout; with no target, pick the most caught-up voter.

#include <chrono>
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

// Init shared by the tests: three nodes, node 1 elected by a requested campaign.
Net elected_cluster() {
  Net net = Net::of(3, [](Config&) {});
  EXPECT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();
  EXPECT_EQ(net.leaders(), (std::vector<std::uint64_t>{1}));
  return net;
}

std::vector<TransferChanged> transfers(Peer& peer) {
  return events_of<TransferChanged>(peer.history());
}

// Reference: thesis §3.10 "the prior leader sends a TimeoutNow request to the
// target server ... the target server starts a new election", and §4.2.3: the
// target's RequestVote is not disregarded for the leader's lease.
TEST(LeadershipTransfer, UpToDateTargetTakesOverInTheNextTerm) {
  Net net = elected_cluster();
  const Term before = net[1]->term();

  ASSERT_TRUE(net[1]->transfer_leadership(NodeId{2}).ok());
  EXPECT_EQ(net[1]->transfer_target(), NodeId{2});
  const Output out = net[1].drain();
  ASSERT_EQ(only<TimeoutNow>(out.all(), 2).size(), 1U)
      << "a caught-up target gets TimeoutNow at once";
  net.send(out);
  net.stabilize();

  EXPECT_EQ(net.leaders(), (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(net[2]->term(), before.next());
  EXPECT_EQ(net[1]->leader(), NodeId{2});
  EXPECT_FALSE(net[1]->transfer_target().valid());
  const std::vector<TransferChanged> seen = transfers(net[1]);
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[0].phase, TransferChanged::Phase::kStarted);
  EXPECT_EQ(seen[1].phase, TransferChanged::Phase::kCompleted);
  // The target skipped pre-vote and flagged its requests.
  bool flagged = false;
  for (const Message& m : net.delivered()) {
    if (is<VoteRequest>(m) && m.from == NodeId{2}) {
      EXPECT_FALSE(body<VoteRequest>(m).pre_vote);
      flagged = flagged || body<VoteRequest>(m).leadership_transfer;
    }
  }
  EXPECT_TRUE(flagged);
}

// Reference: thesis §3.10 "the prior leader ... stops accepting new client requests".
TEST(LeadershipTransfer, ProposalsAreRefusedDuringTheTransfer) {
  Net net = elected_cluster();
  net.isolate(2);  // The transfer cannot finish while 2 is unreachable.
  ASSERT_TRUE(net[1]->transfer_leadership(NodeId{2}).ok());
  const Result<Index> refused = net[1]->propose(Payload{"x"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kProposalDropped);
}

// Reference: thesis §3.10 "the prior leader sends its log entries to the target
// server ... until it is caught up", and only then TimeoutNow.
TEST(LeadershipTransfer, LaggingTargetIsCaughtUpBeforeTimeoutNow) {
  Net net = elected_cluster();
  net.cut(1, 2);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(net[1]->propose(Payload{"x"}).ok());
  net.send(net[1].drain());
  net.stabilize();
  ASSERT_LT(net[2]->last_index(), net[1]->last_index());
  net.heal();

  ASSERT_TRUE(net[1]->transfer_leadership(NodeId{2}).ok());
  const Output out = net[1].drain();
  EXPECT_TRUE(only<TimeoutNow>(out.all()).empty()) << "TimeoutNow before the target caught up";
  EXPECT_FALSE(only<AppendRequest>(out.all(), 2).empty());
  net.send(out);
  net.stabilize();

  EXPECT_EQ(net.leaders(), (std::vector<std::uint64_t>{2}));
  EXPECT_GE(net[2]->commit_index(), Index{6}) << "the new leader holds every committed entry";
}

// Reference: thesis §3.10 "if the transfer does not complete after about an
// election timeout, the prior leader aborts the transfer and resumes accepting
// client requests".
TEST(LeadershipTransfer, UnreachableTargetAbortsAfterAnElectionTimeout) {
  Net net = elected_cluster();
  net.isolate(2);
  ASSERT_TRUE(net[1]->transfer_leadership(NodeId{2}).ok());
  const Time started = net[1]->now();
  net.send(net[1].drain());
  net.run_until(started + net[1]->config().election_timeout_min + 50ms);

  EXPECT_EQ(net.leaders(), (std::vector<std::uint64_t>{1}));
  EXPECT_FALSE(net[1]->transfer_target().valid());
  const std::vector<TransferChanged> seen = transfers(net[1]);
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[1].phase, TransferChanged::Phase::kAborted);
  EXPECT_TRUE(net[1]->propose(Payload{"after"}).ok()) << "proposals resume after an abort";
}

TEST(LeadershipTransfer, WithoutATargetPicksTheMostCaughtUpVoter) {
  Net net = elected_cluster();
  net.cut(1, 3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(net[1]->propose(Payload{"x"}).ok());
  net.send(net[1].drain());
  net.stabilize();
  ASSERT_TRUE(net[1]->transfer_leadership().ok());
  EXPECT_EQ(net[1]->transfer_target(), NodeId{2});
}

TEST(LeadershipTransfer, RefusalsNameTheProblem) {
  Net net = elected_cluster();
  const Status follower = net[2]->transfer_leadership(NodeId{3});
  EXPECT_EQ(follower.code(), ErrorCode::kNotLeader);
  EXPECT_EQ(follower.leader_hint(), NodeId{1});
  EXPECT_EQ(net[1]->transfer_leadership(NodeId{9}).code(), ErrorCode::kUnknownPeer);
  EXPECT_TRUE(net[1]->transfer_leadership(NodeId{1}).ok()) << "handing over to itself is a no-op";
  EXPECT_FALSE(net[1]->transfer_target().valid());
  net.isolate(3);
  ASSERT_TRUE(net[1]->transfer_leadership(NodeId{3}).ok());
  EXPECT_EQ(net[1]->transfer_leadership(NodeId{2}).code(), ErrorCode::kInvalidArgument);
}

// A TimeoutNow from anyone but our leader is stale or forged: ignored.
TEST(LeadershipTransfer, TimeoutNowFromANonLeaderIsIgnored) {
  Net net = elected_cluster();
  const Output out = net[3].receive(Message{NodeId{2}, NodeId{3}, net[3]->term(), TimeoutNow{}});
  EXPECT_EQ(net[3]->role(), Role::kFollower);
  EXPECT_TRUE(only<VoteRequest>(out.all()).empty());
}

}  // namespace
}  // namespace raft::test
