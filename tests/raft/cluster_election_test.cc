// SPDX-License-Identifier: Apache-2.0
// Whole-cluster scenarios on the deterministic harness (tests/support): elections, failover,
// check-quorum, replication and catch-up, each with the SafetyChecker watching every event.
//
// The network has a fixed one-way latency of 1 ms (no jitter) unless a test says otherwise,
// so the protocol's own timing shows exactly: from the moment a node starts campaigning, a
// pre-vote round trip and a vote round trip make it leader exactly 4 ms later.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "raft/format.h"
#include "support/gtest_printers.h"
#include "support/safety_checker.h"
#include "support/test_cluster.h"

namespace raft::test {
namespace {

using namespace std::chrono_literals;

constexpr Duration kLatency = 1ms;
// Config defaults (config.h), repeated so the expected times below read plainly.
constexpr Duration kHeartbeat = 100ms;
constexpr Duration kElectionMin = 1000ms;
constexpr Duration kElectionMax = 2000ms;

ClusterOptions fixed_latency(std::uint64_t seed) {
  ClusterOptions options;
  options.nodes = 5;
  options.seed = seed;
  options.latency_min = kLatency;
  options.latency_max = kLatency;
  return options;
}

Time at(Duration since_start) { return Time{} + since_start; }

/// Every role change into `role` at or after `since`, in order.
std::vector<std::pair<NodeId, Event>> role_changes(const TestCluster& cluster, Role role,
                                                   Time since) {
  std::vector<std::pair<NodeId, Event>> found;
  for (const auto& [id, event] : cluster.events()) {
    const auto* change = std::get_if<RoleChanged>(&event.body);
    if (change != nullptr && change->to == role && event.time >= since)
      found.emplace_back(id, event);
  }
  return found;
}

/// When `leader` reported itself leader of `term`, if it did.
std::optional<Time> elected_at(const TestCluster& cluster, NodeId leader, Term term) {
  for (const auto& [id, event] : cluster.events()) {
    const auto* change = std::get_if<LeaderChanged>(&event.body);
    if (id == leader && change != nullptr && change->leader == leader && event.term == term) {
      return event.time;
    }
  }
  return std::nullopt;
}

bool has_payload(const std::vector<AppliedEntry>& applied, std::string_view text) {
  return std::any_of(applied.begin(), applied.end(),
                     [&](const AppliedEntry& entry) { return entry.payload.as_string() == text; });
}

/// Elects the first leader and lets one heartbeat round settle the followers.
NodeId elect(TestCluster& cluster) {
  EXPECT_TRUE(cluster.run_until([&] { return cluster.leader().valid(); }, at(10s)))
      << cluster.recent_trace();
  cluster.run_for(2 * kHeartbeat);
  return cluster.leader();
}

/// No safety violation during the run, and none in the final pairwise comparison.
void expect_safe(const TestCluster& cluster, const SafetyChecker& checker) {
  EXPECT_TRUE(cluster.failure().ok()) << cluster.failure().to_string() << "\n"
                                      << cluster.recent_trace();
  const Status full = checker.check_full();
  EXPECT_TRUE(full.ok()) << full.to_string();
}

/// A node other than those given (the lowest id).
NodeId other_than(const TestCluster& cluster, std::initializer_list<NodeId> excluded) {
  for (const NodeId id : cluster.ids()) {
    if (std::find(excluded.begin(), excluded.end(), id) == excluded.end()) return id;
  }
  return NodeId::none();
}

// Raft §5.2: a cold cluster elects exactly one leader, one election timeout in.
TEST(ClusterElection, FiveNodesElectExactlyOneLeader) {
  // The expected times in this file assume the default timing.
  ASSERT_EQ(Config{}.heartbeat_interval, kHeartbeat);
  ASSERT_EQ(Config{}.election_timeout_min, kElectionMin);
  ASSERT_EQ(Config{}.election_timeout_max, kElectionMax);
  TestCluster cluster(fixed_latency(1));
  SafetyChecker checker(cluster);

  ASSERT_TRUE(cluster.run_until([&] { return cluster.leader().valid(); }, at(10s)));
  const NodeId leader = cluster.leader();
  EXPECT_EQ(cluster.node(leader).term(), Term{1}) << "pre-vote keeps the term until it wins";

  // The first campaign starts when the earliest election timeout fires, in [min, max).
  const auto campaigns = role_changes(cluster, Role::kPreCandidate, Time{});
  ASSERT_FALSE(campaigns.empty());
  const Time first_campaign = campaigns.front().second.time;
  EXPECT_GE(first_campaign, at(kElectionMin));
  EXPECT_LT(first_campaign, at(kElectionMax));
  const std::optional<Time> elected = elected_at(cluster, leader, Term{1});
  ASSERT_TRUE(elected.has_value());
  if (campaigns.size() == 1 || campaigns[1].second.time > first_campaign + 4 * kLatency) {
    // Alone in the race: pre-vote round trip + vote round trip.
    EXPECT_EQ(campaigns.front().first, leader);
    EXPECT_EQ(*elected, first_campaign + 4 * kLatency) << cluster.recent_trace();
  }

  cluster.run_for(2 * kHeartbeat);
  for (const NodeId id : cluster.ids()) {
    EXPECT_EQ(cluster.node(id).leader(), leader) << "node " << id.value();
    EXPECT_EQ(cluster.node(id).term(), Term{1}) << "node " << id.value();
    EXPECT_EQ(cluster.node(id).role() == Role::kLeader, id == leader) << "node " << id.value();
  }
  EXPECT_EQ(checker.leaders().size(), 1U);
  // Every node applied the new leader's no-op (§8) once a heartbeat carried the commit.
  for (const NodeId id : cluster.ids()) {
    ASSERT_EQ(cluster.applied(id).size(), 1U) << "node " << id.value();
    EXPECT_EQ(cluster.applied(id)[0].type, EntryType::kNoOp);
    EXPECT_EQ(cluster.applied(id)[0].term, Term{1});
  }
  expect_safe(cluster, checker);
}

// The same seed gives the same election, to the nanosecond; another seed another one.
TEST(ClusterElection, ElectionTimelineIsReproducibleFromTheSeed) {
  auto run = [](std::uint64_t seed) {
    TestCluster cluster(fixed_latency(seed));
    EXPECT_TRUE(cluster.run_until([&] { return cluster.leader().valid(); }, at(10s)));
    const NodeId leader = cluster.leader();
    return std::pair{cluster.trace_hash(), elected_at(cluster, leader, Term{1}).value_or(Time{})};
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7).first, run(8).first);
}

// Raft §5.2: after the leader crashes, a follower times out and wins a higher term. With
// bounded vote suppression (thesis §4.2.3) the first candidate wins: one election timeout
// after the last heartbeat, not two or three.
TEST(ClusterElection, NewLeaderAfterCrashInHigherTerm) {
  TestCluster cluster(fixed_latency(2));
  SafetyChecker checker(cluster);
  const NodeId old_leader = elect(cluster);
  ASSERT_TRUE(old_leader.valid());
  const Term old_term = cluster.node(old_leader).term();
  cluster.run_for(1s);

  const Time crash_time = cluster.now();
  cluster.crash(old_leader);
  ASSERT_TRUE(
      cluster.run_until([&] { return cluster.leader().valid(); }, crash_time + kElectionMax + 1s));
  const NodeId new_leader = cluster.leader();
  EXPECT_NE(new_leader, old_leader);
  EXPECT_EQ(cluster.node(new_leader).term(), old_term.next()) << "one election round";

  const std::optional<Time> elected = elected_at(cluster, new_leader, old_term.next());
  ASSERT_TRUE(elected.has_value());
  // Followers heard the last heartbeat at most one interval (plus a latency) before the crash
  // and wait at least election_timeout_min after it; then the timer fires within max.
  EXPECT_GE(*elected - crash_time, kElectionMin - kHeartbeat - kLatency);
  EXPECT_LE(*elected - crash_time, kElectionMax + 4 * kLatency);

  const auto campaigns = role_changes(cluster, Role::kPreCandidate, crash_time);
  ASSERT_FALSE(campaigns.empty());
  if (campaigns.size() == 1 || campaigns[1].second.time > campaigns[0].second.time + 4 * kLatency) {
    EXPECT_EQ(campaigns.front().first, new_leader);
    EXPECT_EQ(*elected, campaigns.front().second.time + 4 * kLatency) << cluster.recent_trace();
  }
  EXPECT_EQ(role_changes(cluster, Role::kCandidate, crash_time).size(), 1U)
      << "a single real candidacy; pre-vote kept the others from splitting the vote";
  expect_safe(cluster, checker);
}

// Fast failover: when the transport reports the leader's connection down, followers campaign
// after at most fast_failover_delay_max instead of a whole election timeout.
TEST(ClusterElection, FastFailoverElectsWellUnderTheElectionTimeout) {
  ClusterOptions options = fixed_latency(3);
  options.peer_down_on_crash = true;
  TestCluster cluster(options);
  SafetyChecker checker(cluster);
  const NodeId old_leader = elect(cluster);
  ASSERT_TRUE(old_leader.valid());
  const Term old_term = cluster.node(old_leader).term();
  cluster.run_for(1s);

  const Time crash_time = cluster.now();
  cluster.crash(old_leader);
  ASSERT_TRUE(cluster.run_until([&] { return cluster.leader().valid(); }, crash_time + 10s));
  const NodeId new_leader = cluster.leader();
  const std::optional<Time> elected =
      elected_at(cluster, new_leader, cluster.node(new_leader).term());
  ASSERT_TRUE(elected.has_value());
  // Notice (1 latency) + campaign delay (< 50 ms) + two round trips, with room for one
  // collision between two followers that drew close delays.
  EXPECT_LT(*elected - crash_time, kElectionMin / 10) << cluster.recent_trace();
  EXPECT_GT(cluster.node(new_leader).term(), old_term);
  EXPECT_LE(cluster.node(new_leader).term(), Term{old_term.value() + 2});

  // The first campaign came from the leader-down report, no earlier than the notice.
  const auto campaigns = role_changes(cluster, Role::kPreCandidate, crash_time);
  ASSERT_FALSE(campaigns.empty());
  EXPECT_GE(campaigns.front().second.time, crash_time + kLatency);
  const auto* change = std::get_if<RoleChanged>(&campaigns.front().second.body);
  ASSERT_NE(change, nullptr);
  EXPECT_EQ(change->reason, RoleChangeReason::kLeaderDown);
  expect_safe(cluster, checker);
}

// A one-sided peer_down (the leader is alive and heard by the others) disrupts nothing:
// the others refuse the pre-vote while their lease on the leader holds (thesis §4.2.3).
TEST(ClusterElection, SpuriousPeerDownDoesNotDisruptTheLeader) {
  TestCluster cluster(fixed_latency(4));
  SafetyChecker checker(cluster);
  const NodeId leader = elect(cluster);
  ASSERT_TRUE(leader.valid());
  const Term term = cluster.node(leader).term();
  const NodeId follower{leader.value() % 5 + 1};
  cluster.peer_down(follower, leader);
  cluster.run_for(5s);
  EXPECT_EQ(cluster.leader(), leader);
  EXPECT_EQ(cluster.node(leader).term(), term);
  EXPECT_EQ(cluster.node(follower).leader(), leader);
  expect_safe(cluster, checker);
}

// Thesis §6.2 (check-quorum): a leader cut off with a minority steps down once it has not
// heard from a majority for an election timeout; the majority elects its own leader in the
// meantime. What the old leader accepted alone never commits and is overwritten (§5.3).
TEST(ClusterElection, PartitionedMinorityLeaderStepsDownByCheckQuorum) {
  TestCluster cluster(fixed_latency(5));
  SafetyChecker checker(cluster);
  const NodeId old_leader = elect(cluster);
  ASSERT_TRUE(old_leader.valid());
  const Term old_term = cluster.node(old_leader).term();
  std::vector<NodeId> minority{old_leader};
  std::vector<NodeId> majority;
  for (const NodeId id : cluster.ids()) {
    if (id == old_leader) continue;
    (minority.size() < 2 ? minority : majority).push_back(id);
  }

  const Time cut = cluster.now();
  cluster.partition({minority, majority});
  ASSERT_TRUE(cluster.propose_on(old_leader, Payload{std::string_view{"lost"}}).ok());

  // The majority elects a leader of a newer term.
  ASSERT_TRUE(cluster.run_until(
      [&] {
        for (const NodeId id : majority) {
          if (cluster.node(id).role() == Role::kLeader) return true;
        }
        return false;
      },
      cut + kElectionMax + 1s))
      << cluster.recent_trace();
  const NodeId new_leader = cluster.leader();
  ASSERT_TRUE(std::find(majority.begin(), majority.end(), new_leader) != majority.end());
  EXPECT_EQ(cluster.node(new_leader).term(), old_term.next());
  ASSERT_TRUE(cluster.propose_on(new_leader, Payload{std::string_view{"majority"}}).ok());

  // The old leader steps down by check-quorum, between one and two election timeouts in.
  ASSERT_TRUE(cluster.run_until([&] { return cluster.node(old_leader).role() != Role::kLeader; },
                                cut + 3 * kElectionMin));
  std::optional<Time> stepped_down;
  for (const auto& [id, event] : cluster.events()) {
    const auto* change = std::get_if<RoleChanged>(&event.body);
    if (id == old_leader && change != nullptr && change->from == Role::kLeader) {
      EXPECT_EQ(change->reason, RoleChangeReason::kCheckQuorum);
      stepped_down = event.time;
    }
  }
  ASSERT_TRUE(stepped_down.has_value());
  EXPECT_GE(*stepped_down - cut, kElectionMin - kHeartbeat - 2 * kLatency);
  EXPECT_LE(*stepped_down - cut, 2 * kElectionMin + 2 * kLatency);
  EXPECT_EQ(cluster.node(old_leader).term(), old_term) << "no term change without a newer term";
  const Result<Index> refused = cluster.propose_on(old_leader, Payload{std::string_view{"x"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kNotLeader);

  // The majority commits alone; after healing everyone agrees and "lost" is gone.
  cluster.run_for(3 * kHeartbeat);
  for (const NodeId id : majority) EXPECT_TRUE(has_payload(cluster.applied(id), "majority"));
  cluster.heal();
  cluster.run_for(kElectionMax);
  ASSERT_TRUE(cluster.leader().valid());
  ASSERT_TRUE(cluster.propose(Payload{std::string_view{"after-heal"}}).ok());
  cluster.run_for(3 * kHeartbeat);
  for (const NodeId id : cluster.ids()) {
    EXPECT_TRUE(has_payload(cluster.applied(id), "majority")) << "node " << id.value();
    EXPECT_TRUE(has_payload(cluster.applied(id), "after-heal")) << "node " << id.value();
    EXPECT_FALSE(has_payload(cluster.applied(id), "lost")) << "node " << id.value();
  }
  expect_safe(cluster, checker);
}

// Thesis §9.6: an isolated follower keeps campaigning with pre-votes that fail, so its term
// does not grow, and it rejoins without deposing the leader.
TEST(ClusterElection, IsolatedFollowerRejoinsWithoutDisruption) {
  TestCluster cluster(fixed_latency(6));
  SafetyChecker checker(cluster);
  const NodeId leader = elect(cluster);
  ASSERT_TRUE(leader.valid());
  const Term term = cluster.node(leader).term();
  const NodeId loner{leader.value() % 5 + 1};
  cluster.isolate(loner);
  cluster.run_for(10 * kElectionMax);
  EXPECT_EQ(cluster.node(loner).term(), term) << "pre-vote keeps the term from inflating";
  EXPECT_NE(cluster.node(loner).role(), Role::kLeader);
  const Time isolated = cluster.now() - 10 * kElectionMax;
  const auto campaigns = role_changes(cluster, Role::kPreCandidate, isolated);
  EXPECT_TRUE(std::any_of(campaigns.begin(), campaigns.end(), [&](const auto& change) {
    return change.first == loner;
  })) << "the loner never tried";

  cluster.heal();
  cluster.run_for(kElectionMax);
  EXPECT_EQ(cluster.leader(), leader);
  EXPECT_EQ(cluster.node(leader).term(), term);
  EXPECT_EQ(cluster.node(loner).leader(), leader);
  expect_safe(cluster, checker);
}

// Raft §5.3: proposals commit on every live node, in the same order; a node that is down
// misses them; a follower refuses proposals and names the leader.
TEST(ClusterReplication, ProposalsCommitOnAllLiveNodes) {
  TestCluster cluster(fixed_latency(7));
  SafetyChecker checker(cluster);
  const NodeId leader = elect(cluster);
  ASSERT_TRUE(leader.valid());
  const NodeId follower{leader.value() % 5 + 1};
  const Result<Index> refused = cluster.propose_on(follower, Payload{std::string_view{"no"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kNotLeader);
  EXPECT_EQ(refused.status().leader_hint(), leader);

  std::vector<std::string> written;
  for (int i = 0; i < 20; ++i) {
    written.push_back("a" + std::to_string(i));
    ASSERT_TRUE(cluster.propose(Payload{std::string_view{written.back()}}).ok());
    cluster.run_for(3ms);
  }
  const NodeId down = other_than(cluster, {leader, follower});
  cluster.crash(down);
  for (int i = 0; i < 20; ++i) {
    written.push_back("b" + std::to_string(i));
    ASSERT_TRUE(cluster.propose(Payload{std::string_view{written.back()}}).ok());
  }
  // Committed one round trip after the proposal: the leader has a quorum of acks by then.
  const Index last = cluster.node(leader).last_index();
  cluster.run_for(2 * kLatency);
  EXPECT_GE(cluster.node(leader).commit_index(), last);
  cluster.run_for(2 * kHeartbeat);

  for (const NodeId id : cluster.ids()) {
    std::vector<std::string> normal;
    for (const AppliedEntry& entry : cluster.applied(id)) {
      if (entry.type == EntryType::kNormal) normal.emplace_back(entry.payload.as_string());
    }
    if (id == down) {
      EXPECT_EQ(normal, std::vector<std::string>(written.begin(), written.begin() + 20));
    } else {
      EXPECT_EQ(normal, written) << "node " << id.value();
    }
  }
  expect_safe(cluster, checker);
}

// A restarted node keeps its term, vote and log (Figure 2, persistent state) and catches up
// with what it missed within a few heartbeats, found with the back-off hint (§5.3).
TEST(ClusterReplication, RestartedNodeCatchesUp) {
  TestCluster cluster(fixed_latency(8));
  SafetyChecker checker(cluster);
  const NodeId leader = elect(cluster);
  ASSERT_TRUE(leader.valid());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(cluster.propose("before-" + std::to_string(i)).ok());
  cluster.run_for(2 * kHeartbeat);

  const NodeId follower{leader.value() % 5 + 1};
  const Term term = cluster.node(follower).term();
  const NodeId vote = cluster.node(follower).voted_for();
  const Index last = cluster.node(follower).last_index();
  cluster.crash(follower);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(cluster.propose("during-" + std::to_string(i)).ok());
    if (i % 20 == 0) cluster.run_for(10ms);
  }
  cluster.run_for(1s);
  cluster.restart(follower);
  EXPECT_EQ(cluster.node(follower).term(), term);
  EXPECT_EQ(cluster.node(follower).voted_for(), vote);
  EXPECT_EQ(cluster.node(follower).last_index(), last);

  const Time restarted = cluster.now();
  const Index target = cluster.node(leader).commit_index();
  ASSERT_TRUE(cluster.run_until([&] { return cluster.applied(follower).size() >= target.value(); },
                                restarted + 1s))
      << cluster.recent_trace();
  EXPECT_LE(cluster.now() - restarted, 3 * kHeartbeat);
  EXPECT_EQ(cluster.leader(), leader) << "the restart did not disturb the leader";
  EXPECT_EQ(cluster.node(leader).term(), term);
  expect_safe(cluster, checker);
}

// The checker itself: nodes that lose their disks (an amnesiac majority) can elect a leader
// that lacks committed entries. Raft forbids that only because state is durable; the checker
// must catch the result even without its restart check.
TEST(SafetyCheckerTest, CatchesAnAmnesiacMajority) {
  TestCluster cluster(fixed_latency(9));
  SafetyChecker checker(cluster);
  checker.set_check_recovery(false);
  const NodeId leader = elect(cluster);
  ASSERT_TRUE(leader.valid());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(cluster.propose("committed-" + std::to_string(i)).ok());
  cluster.run_for(2 * kHeartbeat);
  ASSERT_TRUE(cluster.failure().ok());

  std::vector<NodeId> wiped;
  for (const NodeId id : cluster.ids()) {
    cluster.crash(id);
    if (id != leader && wiped.size() < 3) wiped.push_back(id);
  }
  for (const NodeId id : wiped) {
    cluster.disk(id) = storage::MemoryLog{};
    cluster.restart(id);
  }
  cluster.run_until([&] { return !cluster.failure().ok(); }, cluster.now() + 10s);
  ASSERT_FALSE(cluster.failure().ok()) << "the checker missed a lost committed log";
  const std::string& what = cluster.failure().message();
  EXPECT_TRUE(what.find("Election Safety") != std::string::npos ||
              what.find("Leader Completeness") != std::string::npos ||
              what.find("State Machine Safety") != std::string::npos)
      << what;
}

// The checker catches a node that comes back from a crash without the vote it cast in its
// current term (Figure 2: votedFor is persistent), which could let it vote twice.
TEST(SafetyCheckerTest, CatchesAForgottenVote) {
  TestCluster cluster(fixed_latency(11));
  SafetyChecker checker(cluster);
  const NodeId leader = elect(cluster);
  ASSERT_TRUE(leader.valid());
  const NodeId voter = other_than(cluster, {leader});
  cluster.crash(voter);
  ASSERT_TRUE(cluster.failure().ok());
  HardState state = cluster.disk(voter).hard_state();
  ASSERT_TRUE(state.vote.valid()) << "the first election needs every vote it can get";
  state.vote = NodeId::none();
  cluster.disk(voter).set_hard_state(state);
  cluster.restart(voter);
  ASSERT_FALSE(cluster.failure().ok());
  EXPECT_NE(cluster.failure().message().find("restarted in term"), std::string::npos)
      << cluster.failure().message();
}

// The checker catches a follower whose stored log was altered under a committed entry.
TEST(SafetyCheckerTest, CatchesAnAlteredCommittedEntry) {
  TestCluster cluster(fixed_latency(10));
  SafetyChecker checker(cluster);
  const NodeId leader = elect(cluster);
  ASSERT_TRUE(leader.valid());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(cluster.propose("v" + std::to_string(i)).ok());
  cluster.run_for(2 * kHeartbeat);
  const NodeId follower{leader.value() % 5 + 1};
  cluster.crash(follower);
  storage::MemoryLog& disk = cluster.disk(follower);
  const Index last = disk.last_index();
  ASSERT_GE(last.value(), 4U);
  std::vector<Entry> tail;
  ASSERT_TRUE(
      disk.entries(last - 2, last.next(), std::numeric_limits<std::size_t>::max(), tail).ok());
  tail.front().payload = Payload{std::string_view{"forged"}};
  disk.append(tail);
  cluster.restart(follower);
  cluster.run_for(2 * kHeartbeat);
  const Status full = checker.check_full();
  EXPECT_FALSE(full.ok() && cluster.failure().ok()) << "the checker missed a forged entry";
}

}  // namespace
}  // namespace raft::test
