// SPDX-License-Identifier: Apache-2.0
// Linearizable reads, one test per rule: ReadIndex (thesis §6.4) with its
// first-commit wait, one heartbeat round per batch and follower forwarding;
// leases (§6.4.1) with their expiry, their end at a leadership transfer
// (§3.10) and the configurations that cannot hold one; failures on step-down.

#include <chrono>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "paper_test_util.h"
#include "raft/config.h"
#include "raft/message.h"
#include "raft/node.h"
#include "raft/ready.h"
#include "raft/status.h"

namespace raft::test {
namespace {

using namespace std::chrono_literals;

Config lease_config(Config config) {
  config.read_mode = ReadMode::kLease;
  config.check_quorum = true;
  config.fast_failover = false;
  config.clock_drift_max = 100ms;
  return config;
}

// Lease tests start here: a node in lease mode votes for nobody during its
// first election timeout (LeaseRead.RestartedVoterWaitsBeforeVoting).
constexpr Duration kLeaseStart = 1000ms;

// Three nodes, node 1 elected by a requested campaign and its no-op committed.
Net elected_cluster(bool lease = false) {
  Net net = Net::of(3, [&](Config& config) {
    if (lease) config = lease_config(config);
  });
  if (lease) net.tick_all(at(kLeaseStart));
  EXPECT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();
  EXPECT_EQ(net.leaders(), (std::vector<std::uint64_t>{1}));
  return net;
}

std::vector<std::uint64_t> ids_of(const std::vector<ReadResult>& reads, bool ok) {
  std::vector<std::uint64_t> out;
  for (const ReadResult& read : reads) {
    if (read.ok() == ok) out.push_back(read.request_id);
  }
  return out;
}

// Reference: thesis §6.4 step 1 "If the leader has not yet marked an entry from
// its current term committed, it waits until it has done so."
TEST(ReadIndex, WaitsForTheLeadersFirstCommitInItsTerm) {
  Net net = Net::of(3, [](Config&) {});
  net.hold_if([](const Message& m) { return is<AppendRequest>(m); });
  ASSERT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();
  ASSERT_EQ(net.leaders(), (std::vector<std::uint64_t>{1}));
  ASSERT_EQ(net[1]->commit_index(), Index{}) << "the no-op is held back";

  ASSERT_TRUE(net[1]->read_index(7).ok());
  net.send(net[1].drain());
  net.stabilize();  // The heartbeat round is acknowledged...
  EXPECT_TRUE(net[1].reads().empty()) << "...but the read index is not known yet";

  net.release();
  net.stabilize();
  ASSERT_EQ(net[1].reads().size(), 1U);
  EXPECT_EQ(net[1].reads()[0].request_id, 7U);
  EXPECT_TRUE(net[1].reads()[0].ok());
  EXPECT_EQ(net[1].reads()[0].index, Index{1}) << "the no-op of the leader's term";
}

// Reference: thesis §6.4 step 2 and its batching note: "the leader can ...
// amortize [the heartbeat round] across many read-only queries".
TEST(ReadIndex, OneHeartbeatRoundServesABatchInOrder) {
  Net net = elected_cluster();
  for (std::uint64_t id = 1; id <= 100; ++id) ASSERT_TRUE(net[1]->read_index(id).ok());
  const Output out = net[1].drain();
  EXPECT_EQ(only<Heartbeat>(out.messages).size(), 2U) << "one round: a heartbeat per follower";
  EXPECT_TRUE(out.reads.empty()) << "nothing is served before a majority answers";
  net.send(out);
  net.stabilize();

  std::vector<std::uint64_t> expected;
  for (std::uint64_t id = 1; id <= 100; ++id) expected.push_back(id);
  EXPECT_EQ(ids_of(net[1].reads(), true), expected) << "all served, in order";
  for (const ReadResult& read : net[1].reads()) EXPECT_EQ(read.index, net[1]->commit_index());
  // ready.h: the output is batched as the round was: one ReadState, not 100.
  ASSERT_EQ(net[1].read_states().size(), 1U);
  EXPECT_EQ(net[1].read_states()[0].request_ids.size(), 100U);
  EXPECT_EQ(net[1]->metrics().read_heartbeat_rounds, 1U);
  EXPECT_EQ(net[1]->metrics().reads_read_index, 100U);
}

// Reference: thesis §6.4: a read must be confirmed by a round sent after it
// arrived; reads arriving while a round is in flight share the next one.
TEST(ReadIndex, ReadsArrivingDuringARoundShareTheNextOne) {
  Net net = elected_cluster();
  ASSERT_TRUE(net[1]->read_index(1).ok());
  const Output first = net[1].drain();
  ASSERT_EQ(only<Heartbeat>(first.messages).size(), 2U);
  ASSERT_TRUE(net[1]->read_index(2).ok());
  ASSERT_TRUE(net[1]->read_index(3).ok());
  EXPECT_TRUE(only<Heartbeat>(net[1].drain().messages).empty())
      << "a round is in flight: the new reads wait for it to finish";
  net.send(first);
  net.stabilize();
  EXPECT_EQ(ids_of(net[1].reads(), true), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(net[1]->metrics().read_heartbeat_rounds, 2U);
}

// Reference: thesis §6.4 step 1 "the leader saves its current commit index in
// a local variable readIndex": a read that arrives after a write committed must
// see it. Reads of one batch share one index, the commit index at the latest
// of them, which is at least the commit index at each one's arrival.
TEST(ReadIndex, ABatchSharesTheIndexOfItsLatestRead) {
  Net net = elected_cluster();
  net.hold_if([](const Message& m) { return is<Heartbeat>(m); });
  const Index before = net[1]->commit_index();
  ASSERT_TRUE(net[1]->read_index(1).ok());
  net.send(net[1].drain());  // Round 1 (held) confirms read 1.
  ASSERT_TRUE(net[1]->read_index(2).ok());
  ASSERT_TRUE(net[1]->propose(Payload{}).ok());
  net.send(net[1].drain());
  net.stabilize();  // The write commits; read 2 waits for round 1 to finish.
  const Index written = net[1]->commit_index();
  ASSERT_GT(written, before);
  ASSERT_TRUE(net[1]->read_index(3).ok());  // Joins read 2's batch.
  ASSERT_TRUE(net[1].reads().empty());

  net.release();
  net.stabilize();
  ASSERT_EQ(ids_of(net[1].reads(), true), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(net[1].reads()[0].index, before) << "read 1 came before the write";
  EXPECT_EQ(net[1].reads()[1].index, written) << "read 2's batch has read 3, after the write";
  EXPECT_EQ(net[1].reads()[2].index, written) << "read 3 came after the write: it must see it";
  EXPECT_EQ(net[1]->metrics().read_heartbeat_rounds, 2U);
}

// The node reuses the request-id buffers of advanced Readys (ready.h): many
// rounds in a row still report every id exactly once, in order.
TEST(ReadIndex, ManyRoundsReportEveryIdOnceInOrder) {
  Net net = elected_cluster();
  std::vector<std::uint64_t> expected;
  std::uint64_t id = 0;
  for (int round = 0; round < 50; ++round) {
    for (int k = 0; k <= round % 7; ++k) {
      ASSERT_TRUE(net[1]->read_index(++id).ok());
      expected.push_back(id);
    }
    net.send(net[1].drain());
    if (round % 3 == 0) net.stabilize();  // Otherwise rounds overlap with new reads.
  }
  net.stabilize();
  EXPECT_EQ(ids_of(net[1].reads(), true), expected);
  EXPECT_TRUE(ids_of(net[1].reads(), false).empty());
  EXPECT_EQ(net[1]->metrics().reads_read_index, expected.size());
}

// Reference: thesis §6.4 step 2 "the leader ... waits for a majority of the
// cluster to acknowledge": a leader cut off from the majority answers no read
// with success; it fails the read when check-quorum (§6.2) makes it step down.
TEST(ReadIndex, LeaderThatLostQuorumNeverAnswers) {
  Net net = Net::of(3, [](Config& config) { config.check_quorum = true; });
  ASSERT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();
  net.isolate(1);
  ASSERT_TRUE(net[1]->read_index(9).ok());
  net.send(net[1].drain());
  net.stabilize();
  EXPECT_TRUE(net[1].reads().empty());
  net.run_until(at(5s));
  EXPECT_NE(net[1]->role(), Role::kLeader);
  EXPECT_TRUE(ids_of(net[1].reads(), true).empty()) << "never served without a majority";
  ASSERT_EQ(ids_of(net[1].reads(), false), (std::vector<std::uint64_t>{9}))
      << "failed when it stepped down, not lost";
  EXPECT_EQ(net[1].reads()[0].error, ErrorCode::kNotLeader);
}

// Reference: thesis §6.4 "followers could also help serve read-only queries":
// the follower asks the leader for its read index, then waits until it applied it.
TEST(ReadIndex, FollowerForwardsToTheLeader) {
  Net net = elected_cluster();
  ASSERT_TRUE(net[2]->read_index(42).ok());
  const Output out = net[2].drain();
  ASSERT_EQ(only<ReadIndexRequest>(out.messages, 1).size(), 1U);
  net.send(out);
  net.stabilize();
  ASSERT_EQ(net[2].reads().size(), 1U);
  EXPECT_EQ(net[2].reads()[0].request_id, 42U);
  EXPECT_TRUE(net[2].reads()[0].ok());
  EXPECT_EQ(net[2].reads()[0].index, net[1]->commit_index());
  EXPECT_GE(net[2]->applied_index(), net[2].reads()[0].index) << "the follower can serve it";
  EXPECT_EQ(net[2]->metrics().reads_forwarded, 1U);
  EXPECT_EQ(net[1]->metrics().reads_read_index, 1U);
}

// A node that knows no leader cannot forward: it refuses at once.
TEST(ReadIndex, NodeWithoutLeaderRefusesAtOnce) {
  Net net = Net::of(3, [](Config&) {});
  const Status status = net[2]->read_index(1);
  EXPECT_EQ(status.code(), ErrorCode::kNotLeader);
}

// Reference: thesis §6.4: pending reads cannot be confirmed by a server that
// is no longer leader; they fail (the client retries) instead of hanging.
// Forwarded ones fail too, on the follower, once it sees the leader change.
TEST(ReadIndex, PendingReadsFailWhenTheLeaderStepsDown) {
  Net net = elected_cluster();
  net.hold_if([](const Message& m) { return is<Heartbeat>(m) || is<ReadIndexReply>(m); });
  ASSERT_TRUE(net[1]->read_index(1).ok());
  ASSERT_TRUE(net[2]->read_index(2).ok());
  net.send(net[1].drain());
  net.send(net[2].drain());
  net.stabilize();
  ASSERT_TRUE(net[1].reads().empty());
  // Node 3 reports a newer term (as after an election the leader missed).
  const Term newer = net[1]->term().next();
  net[1].receive(Message{NodeId{3}, NodeId{1}, newer, HeartbeatReply{}});
  EXPECT_NE(net[1]->role(), Role::kLeader);
  EXPECT_EQ(ids_of(net[1].reads(), false), (std::vector<std::uint64_t>{1}));
  EXPECT_GE(net[1]->metrics().reads_failed, 1U);
  // Node 2's forwarded read: failed when its leader changes.
  net[2].receive(Message{NodeId{3}, NodeId{2}, newer, heartbeat(3, 2, newer.value(), 0).body});
  EXPECT_EQ(ids_of(net[2].reads(), false), (std::vector<std::uint64_t>{2}));
  EXPECT_TRUE(ids_of(net[2].reads(), true).empty());
}

// Reference: thesis §6.4.1 "the leader [uses] its lease ... to avoid the
// heartbeat round": served at once while the lease holds, and a round is
// needed again once start + election timeout - drift has passed.
TEST(LeaseRead, ServedWithoutARoundAndExpires) {
  Net net = elected_cluster(/*lease=*/true);
  // A heartbeat round 100 ms after the election, acknowledged: the lease lasts
  // 1 s - 100 ms from then.
  net.tick_all(at(kLeaseStart + 100ms));
  net.isolate(1);

  net[1].tick(at(kLeaseStart + 999ms));
  ASSERT_TRUE(net[1]->read_index(1).ok());
  Output out = net[1].drain();
  EXPECT_TRUE(only<Heartbeat>(out.messages).empty()) << "the lease needs no round";
  ASSERT_EQ(ids_of(out.reads, true), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(net[1]->metrics().reads_lease, 1U);

  net[1].tick(at(kLeaseStart + 1000ms));  // 100 ms + 1 s - 100 ms: the lease has ended.
  ASSERT_EQ(net[1]->role(), Role::kLeader);
  ASSERT_TRUE(net[1]->read_index(2).ok());
  out = net[1].drain();
  EXPECT_TRUE(out.reads.empty()) << "no lease: the read waits for a round";
  EXPECT_EQ(only<Heartbeat>(out.messages).size(), 2U);
}

// Reference: thesis §3.10 and §6.4.1: the transfer target's campaign sets the
// voters' lease aside, so the leader stops serving lease reads when a transfer
// starts and confirms reads with ReadIndex rounds instead.
TEST(LeaseRead, NoLeaseOnceATransferStarts) {
  Net net = elected_cluster(/*lease=*/true);
  net.tick_all(at(kLeaseStart + 100ms));
  net.isolate(2);  // The target never answers: the transfer stays in progress.
  ASSERT_TRUE(net[1]->transfer_leadership(NodeId{2}).ok());
  net.send(net[1].drain());
  net.stabilize();
  ASSERT_TRUE(net[1]->read_index(5).ok());
  const Output out = net[1].drain();
  EXPECT_TRUE(out.reads.empty()) << "no lease read during a transfer";
  EXPECT_EQ(only<Heartbeat>(out.messages).size(), 2U) << "a ReadIndex round instead";
  net.send(out);
  net.stabilize();
  EXPECT_EQ(ids_of(net[1].reads(), true), (std::vector<std::uint64_t>{5}));
  EXPECT_EQ(net[1]->metrics().reads_lease, 0U);
  EXPECT_EQ(net[1]->metrics().reads_read_index, 1U);
}

// Reference: thesis §6.4.1 (the lease relies on vote suppression and
// check-quorum) and Config::read_mode (peer_down votes early).
TEST(LeaseRead, ConfigRefusesLeaseWithoutCheckQuorumOrWithFastFailover) {
  Config config = lease_config(config_for(1, 3));
  EXPECT_TRUE(config.validate().ok()) << config.validate().to_string();

  Config no_check_quorum = config;
  no_check_quorum.check_quorum = false;
  const Status refused = no_check_quorum.validate();
  EXPECT_EQ(refused.code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(refused.message().find("check_quorum"), std::string::npos) << refused.message();

  Config fast_failover = config;
  fast_failover.fast_failover = true;
  const Status refused_too = fast_failover.validate();
  EXPECT_EQ(refused_too.code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(refused_too.message().find("fast_failover"), std::string::npos)
      << refused_too.message();

  Config drift = config;
  drift.clock_drift_max = config.election_timeout_min;
  EXPECT_NE(drift.validate().message().find("clock_drift_max"), std::string::npos);

  // ReadIndex needs neither.
  Config read_index = config_for(1, 3);
  read_index.fast_failover = true;
  EXPECT_TRUE(read_index.validate().ok());
}

// Reference: thesis §6.4.1: a voter that may have acknowledged the lease just
// before it restarted refuses votes for election_timeout_min after starting.
TEST(LeaseRead, RestartedVoterWaitsBeforeVoting) {
  Peer voter(lease_config(config_for(2, 3)));
  Output out = voter.receive(vote_request(3, 2, 1, 0, 0));
  ASSERT_EQ(only<VoteReply>(out.after_persist).size(), 1U);
  EXPECT_FALSE(body<VoteReply>(only<VoteReply>(out.after_persist)[0]).granted);
  voter.tick(at(1000ms));
  out = voter.receive(vote_request(3, 2, 1, 0, 0));
  ASSERT_EQ(only<VoteReply>(out.after_persist).size(), 1U);
  EXPECT_TRUE(body<VoteReply>(only<VoteReply>(out.after_persist)[0]).granted);
}

// A one-node cluster is its own majority: the read needs no message at all.
TEST(ReadIndex, SingleNodeServesAtOnce) {
  Peer node(config_for(1, 1));
  ASSERT_TRUE(node->campaign().ok());
  (void)node.drain();
  ASSERT_EQ(node->role(), Role::kLeader);
  ASSERT_TRUE(node->read_index(3).ok());
  const Output out = node.drain();
  ASSERT_EQ(ids_of(out.reads, true), (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(out.reads[0].index, node->commit_index());
}

}  // namespace
}  // namespace raft::test
