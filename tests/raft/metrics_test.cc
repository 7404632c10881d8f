// SPDX-License-Identifier: Apache-2.0
// The node's counters (raft/metrics.h) follow what it did: campaigns, votes,
// leader changes, transfers, proposals, messages; and the leader's view of
// each follower's commit lag.

#include "raft/metrics.h"

#include <vector>

#include <gtest/gtest.h>

#include "paper_test_util.h"
#include "raft/node.h"

namespace raft::test {
namespace {

TEST(NodeMetrics, CountElectionsVotesProposalsAndTransfers) {
  Net net = Net::of(3, [](Config& config) { config.pre_vote = true; });
  ASSERT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();

  const NodeMetrics& leader = net[1]->metrics();
  EXPECT_EQ(leader.pre_votes_started, 1U);
  EXPECT_EQ(leader.pre_votes_won, 1U);
  EXPECT_EQ(leader.elections_started, 1U);
  EXPECT_EQ(leader.elections_won, 1U);
  EXPECT_EQ(leader.elections_lost, 0U);
  EXPECT_EQ(leader.leader_changes, 1U);
  EXPECT_GT(leader.messages_sent, 0U);
  EXPECT_EQ(net[2]->metrics().votes_granted, 1U);
  EXPECT_EQ(net[2]->metrics().leader_changes, 1U);

  ASSERT_TRUE(net[1]->propose(Payload{"x"}).ok());
  EXPECT_FALSE(net[2]->propose(Payload{"y"}).ok());
  EXPECT_EQ(net[1]->metrics().proposals_accepted, 1U);
  EXPECT_EQ(net[2]->metrics().proposals_refused, 1U);
  net.send(net[1].drain());
  net.stabilize();
  EXPECT_EQ(net[1]->metrics().entries_committed, 2U) << "the no-op and x";

  ASSERT_TRUE(net[1]->transfer_leadership(NodeId{2}).ok());
  net.send(net[1].drain());
  net.stabilize();
  EXPECT_EQ(net[1]->metrics().transfers_started, 1U);
  EXPECT_EQ(net[1]->metrics().transfers_completed, 1U);
  EXPECT_EQ(net[1]->metrics().transfers_aborted, 0U);
  EXPECT_EQ(net[2]->metrics().elections_won, 1U);
}

TEST(NodeMetrics, LeaderReportsEachFollowersCommitLag) {
  Net net = Net::of(3, [](Config&) {});
  ASSERT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();
  net.cut(1, 3);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(net[1]->propose(Payload{"x"}).ok());
  net.send(net[1].drain());
  net.stabilize();
  for (const PeerProgress& peer : net[1]->progress()) {
    if (peer.id == NodeId{2}) {
      EXPECT_EQ(peer.commit_lag, 0U);
    } else if (peer.id == NodeId{3}) {
      EXPECT_EQ(peer.commit_lag, 4U) << "3 missed four committed entries";
    }
  }
}

}  // namespace
}  // namespace raft::test
