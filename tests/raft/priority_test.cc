// SPDX-License-Identifier: Apache-2.0
// Election priority (Config::priority), as NuRaft ("priority-based leader election": a node
// of priority 0 never becomes leader) and raft-rs (`Config::priority`: between equally
// up-to-date logs, a voter of higher priority refuses a lower candidate) offer it, with the
// handover of thesis §3.10: a lower-priority leader transfers leadership to a caught-up
// follower of higher priority, backing off so that it cannot flap.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "paper_test_util.h"
#include "raft/config.h"
#include "raft/events.h"
#include "raft/message.h"
#include "raft/node.h"
#include "raft/prng.h"
#include "raft/status.h"

namespace raft::test {
namespace {

using namespace std::chrono_literals;

// Nodes 1..size with the given priorities (unlisted: 1), the paper's rules plus `adjust`.
template <class Adjust>
Net with_priorities(std::uint64_t size, const std::map<std::uint64_t, std::uint32_t>& priorities,
                    Adjust adjust) {
  return Net::of(size, [&](Config& config) {
    const auto it = priorities.find(config.id.value());
    config.priority = it == priorities.end() ? 1 : it->second;
    adjust(config);
  });
}

Net with_priorities(std::uint64_t size, const std::map<std::uint64_t, std::uint32_t>& priorities) {
  return with_priorities(size, priorities, [](Config&) {});
}

VoteDenial denial_of(const Output& out) {
  const std::vector<Message> replies = only<VoteReply>(out.all());
  EXPECT_EQ(replies.size(), 1U);
  return replies.empty() ? VoteDenial::kNone : body<VoteReply>(replies.front()).denial;
}

Message request_with_priority(std::uint64_t from, std::uint64_t to, std::uint64_t term,
                              std::uint64_t last_index, std::uint64_t last_term,
                              std::uint32_t priority, bool pre_vote = false) {
  Message m = vote_request(from, to, term, last_index, last_term, pre_vote);
  std::get<VoteRequest>(m.body).priority = priority;
  return m;
}

std::vector<TransferChanged> transfers(Peer& peer) {
  return events_of<TransferChanged>(peer.history());
}

// Moves the cluster through `span` of time, `step` at a time.
void run_for(Net& net, Duration span) {
  Time now = Time{};
  for (const std::uint64_t id : net.ids()) now = std::max(now, net[id]->now());
  net.run_until(now + span);
}

// ---- The voting rule ---------------------------------------------------------------------------

// Reference: raft-rs `Raft::step` grants a vote only if the candidate's log is up to date and
// (`m.index > last_index || self.priority <= m.priority`); ours applies the priority only when the
// logs are exactly as up to date (same last term and index), and to pre-votes too (thesis §9.6).
TEST(PriorityVote, EqualLogLowerPriorityCandidateIsRefused) {
  const struct Case {
    const char* name;
    std::uint32_t candidate_priority;
    std::uint64_t last_index;  // The voter's log is [1, 1]: last 2/1.
    std::uint64_t last_term;
    bool pre_vote;
    VoteDenial expected;
  } cases[] = {
      {"equal log, lower priority", 1, 2, 1, false, VoteDenial::kLowerPriority},
      {"equal log, lower priority, pre-vote", 1, 2, 1, true, VoteDenial::kLowerPriority},
      {"equal log, priority 0", 0, 2, 1, false, VoteDenial::kLowerPriority},
      {"equal log, same priority", 3, 2, 1, false, VoteDenial::kNone},
      {"equal log, higher priority", 5, 2, 1, false, VoteDenial::kNone},
      {"longer log, lower priority", 1, 3, 1, false, VoteDenial::kNone},
      {"newer last term, lower priority", 1, 1, 2, false, VoteDenial::kNone},
      {"shorter log, higher priority", 5, 1, 1, false, VoteDenial::kLogBehind},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Config config = config_for(1, 3);
    config.priority = 3;
    Peer voter(config, log_of({1, 1}), HardState{Term{1}, NodeId::none(), Index{}});
    const Output out = voter.receive(request_with_priority(2, 1, 2, c.last_index, c.last_term,
                                                           c.candidate_priority, c.pre_vote));
    EXPECT_EQ(denial_of(out), c.expected) << to_string(denial_of(out));
    if (!c.pre_vote) {
      EXPECT_EQ(voter->voted_for(), c.expected == VoteDenial::kNone ? NodeId{2} : NodeId::none());
    }
  }
}

// Reference: thesis §3.10 — the target of a transfer campaigns because the leader chose it; a
// voter of higher priority does not veto that choice (the new leader hands over by itself).
TEST(PriorityVote, TransferCampaignIsNotRefusedForPriority) {
  Config config = config_for(1, 3);
  config.priority = 3;
  Peer voter(config, log_of({1}), HardState{Term{1}, NodeId::none(), Index{}});
  Message request = request_with_priority(2, 1, 2, 1, 1, 1);
  std::get<VoteRequest>(request.body).leadership_transfer = true;
  EXPECT_EQ(denial_of(voter.receive(request)), VoteDenial::kNone);
}

TEST(PriorityVote, DenialHasAName) {
  EXPECT_EQ(to_string(VoteDenial::kLowerPriority), "lower priority");
}

// ---- Elections ---------------------------------------------------------------------------------

// Reference: NuRaft priority election / raft-rs priority: with equal logs the higher priority
// wins. Node 1 (priority 1) asks first and is refused by both others; node 2 (priority 3) wins.
TEST(PriorityElection, EqualLogsHigherPriorityWins) {
  Net net = with_priorities(3, {{1, 1}, {2, 3}, {3, 2}});
  ASSERT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();
  EXPECT_TRUE(net.leaders().empty()) << "both voters outrank node 1 with the same (empty) log";
  std::uint64_t refused = 0;
  for (const Message& m : net.delivered()) {
    if (is<VoteReply>(m) && m.to == NodeId{1}) {
      EXPECT_EQ(body<VoteReply>(m).denial, VoteDenial::kLowerPriority);
      ++refused;
    }
  }
  EXPECT_EQ(refused, 2U);

  ASSERT_TRUE(net[2]->campaign().ok());
  net.send(net[2].drain());
  net.stabilize();
  EXPECT_EQ(net.leaders(), (std::vector<std::uint64_t>{2}));
}

// Reference: Raft §5.4.1 decides before priority: a strictly more up-to-date candidate is
// granted whatever its priority, or a low-priority node holding the only copy of committed
// entries could never be elected (liveness).
TEST(PriorityElection, MoreUpToDateLowerPriorityCandidateStillWins) {
  Net net;
  for (std::uint64_t id = 1; id <= 3; ++id) {
    Config config = config_for(id, 3);
    config.priority = id == 1 ? 1 : 9;
    const std::vector<Entry> log = id == 1 ? log_of({1, 1}) : log_of({1});
    net.add(std::make_unique<Peer>(config, log, HardState{Term{1}, NodeId::none(), Index{}}));
  }
  ASSERT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();
  EXPECT_EQ(net.leaders(), (std::vector<std::uint64_t>{1}));
}

// Liveness with the highest-priority node down: priorities 3, 2, 1 and node 3 gone. Node 1 is
// refused by node 2, but node 2 wins with node 1's vote (2 > 1): without pre-vote once its own
// timer fires; with pre-vote at once, since refusing node 1's pre-vote tells it an election is
// starting in which it is preferred.
TEST(PriorityElection, SecondHighestWinsWhenTheHighestIsDown) {
  for (const bool pre_vote : {false, true}) {
    SCOPED_TRACE(pre_vote ? "pre-vote" : "no pre-vote");
    Net net =
        with_priorities(3, {{1, 1}, {2, 2}, {3, 3}}, [&](Config& c) { c.pre_vote = pre_vote; });
    net.isolate(3);
    ASSERT_TRUE(net[1]->campaign().ok());
    net.send(net[1].drain());
    net.stabilize();
    if (pre_vote) {
      EXPECT_EQ(net.leaders(), (std::vector<std::uint64_t>{2}));
      const std::vector<RoleChanged> roles = events_of<RoleChanged>(net[2].history());
      ASSERT_FALSE(roles.empty());
      EXPECT_EQ(roles.front().reason, RoleChangeReason::kOutranked);
    } else {
      EXPECT_TRUE(net.leaders().empty());
    }
    run_for(net, 5s);
    EXPECT_EQ(net.leaders(), (std::vector<std::uint64_t>{2}));
    EXPECT_EQ(net[1]->metrics().elections_won, 0U);
  }
}

// Liveness over random priorities, timers and failed nodes: a five-node cluster keeps a
// majority of nodes with priority > 0 (NuRaft's advice for priority-0 members). One node (at
// most two) is down. A leader is elected, and once the logs settle, leadership ends with the
// highest priority among the live nodes (elections and §3.10 handovers).
TEST(PriorityElection, RandomPrioritiesAlwaysElectAndSettleOnTheHighestLive) {
  const std::uint64_t seed_count = 200;
  for (std::uint64_t seed = 1; seed <= seed_count; ++seed) {
    SCOPED_TRACE(testing::Message() << "seed=" << seed << " (replay: this test, this seed)");
    Prng prng{seed};
    std::map<std::uint64_t, std::uint32_t> priorities;
    std::uint32_t zeros = 0;
    for (std::uint64_t id = 1; id <= 5; ++id) {
      std::uint32_t p = static_cast<std::uint32_t>(prng.uniform(4));
      if (p == 0 && ++zeros > 2) p = 1;
      priorities[id] = p;
    }
    const bool pre_vote = prng.chance(0.5);
    const bool check_quorum = prng.chance(0.5);
    Net net = with_priorities(5, priorities, [&](Config& c) {
      c.pre_vote = pre_vote;
      c.check_quorum = check_quorum;
      c.random_seed = seed;
    });
    // Down nodes: never more than leaves a majority of priority > 0 alive.
    std::vector<std::uint64_t> down;
    const std::uint64_t down_count = 1 + prng.uniform(2);
    for (std::uint64_t i = 0; i < down_count; ++i) {
      const std::uint64_t id = 1 + prng.uniform(5);
      std::uint32_t live_leaders = 0;
      for (const auto& [other, p] : priorities) {
        const bool is_down = other == id || std::ranges::find(down, other) != down.end();
        if (!is_down && p > 0) ++live_leaders;
      }
      if (std::ranges::find(down, id) == down.end() && live_leaders > 0) down.push_back(id);
    }
    for (const std::uint64_t id : down) net.isolate(id);
    std::uint32_t best = 0;
    for (const auto& [id, p] : priorities) {
      if (std::ranges::find(down, id) == down.end()) best = std::max(best, p);
    }
    const std::size_t live = 5 - down.size();
    const std::size_t live_may_lead =
        static_cast<std::size_t>(std::ranges::count_if(priorities, [&](const auto& entry) {
          return entry.second > 0 && std::ranges::find(down, entry.first) == down.end();
        }));
    ASSERT_GE(live, 3U);
    ASSERT_GT(live_may_lead, 0U);

    run_for(net, 30s);
    const std::vector<std::uint64_t> leaders = net.leaders();
    std::vector<std::uint64_t> live_leaders;
    for (const std::uint64_t id : leaders) {
      if (std::ranges::find(down, id) == down.end()) live_leaders.push_back(id);
    }
    ASSERT_EQ(live_leaders.size(), 1U) << "no leader among the live nodes";
    EXPECT_GT(priorities[live_leaders.front()], 0U) << "a priority-0 node never leads";
    EXPECT_EQ(priorities[live_leaders.front()], best)
        << "leader " << live_leaders.front() << " has priority " << priorities[live_leaders.front()]
        << "; the highest live is " << best;
  }
}

// ---- Priority 0 --------------------------------------------------------------------------------

// Reference: NuRaft: "priority 0 ... will never be a leader". It has no election deadline
// (like a learner, thesis §4.2.1), refuses campaign(), and ignores TimeoutNow.
TEST(PriorityZero, NeverCampaignsNorTakesOver) {
  Net net = with_priorities(3, {{3, 0}});
  EXPECT_EQ(net[3]->next_deadline(), kTimeNever);
  const Status refused = net[3]->campaign();
  EXPECT_EQ(refused.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("priority 0"), std::string::npos) << refused.to_string();

  // It votes: node 1 wins with node 3's vote alone (node 2 cut off).
  net.isolate(2);
  ASSERT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();
  ASSERT_EQ(net.leaders(), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(net[3]->leader(), NodeId{1});
  EXPECT_EQ(net[3]->next_deadline(), kTimeNever) << "a follower of priority 0 never times out";
  net.heal();

  // TimeoutNow from its leader is ignored.
  const Term term = net[3]->term();
  net[3].receive(Message{NodeId{1}, NodeId{3}, term, TimeoutNow{}});
  EXPECT_EQ(net[3]->role(), Role::kFollower);
  EXPECT_EQ(net[3]->term(), term);

  // Once the leader heard its priority, it refuses it as a target and `auto` skips it.
  run_for(net, 300ms);
  const Status to_zero = net[1]->transfer_leadership(NodeId{3});
  EXPECT_EQ(to_zero.code(), ErrorCode::kInvalidArgument) << to_zero.to_string();
  ASSERT_TRUE(net[1]->transfer_leadership(NodeId::none()).ok());
  EXPECT_EQ(net[1]->transfer_target(), NodeId{2});

  // Killing everyone else's timers: a long silence never makes it campaign.
  net.isolate(3);
  run_for(net, 20s);
  EXPECT_NE(net[3]->role(), Role::kLeader);
  EXPECT_EQ(net[3]->metrics().elections_started, 0U);
  EXPECT_EQ(net[3]->metrics().pre_votes_started, 0U);
}

TEST(PriorityZero, ConfigRefusesItOnTheOnlyVoter) {
  Config config = config_for(1, 1);
  config.priority = 0;
  const Status status = config.validate();
  EXPECT_EQ(status.code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(status.message().find("priority"), std::string::npos) << status.to_string();
  config.priority = 0;
  config.voters = {NodeId{1}, NodeId{2}, NodeId{3}};
  EXPECT_TRUE(config.validate().ok());
}

// ---- Handover (thesis §3.10) -------------------------------------------------------------------

// Reference: thesis §3.10 (transfer) applied as NuRaft does for priorities: node 1 (priority 1)
// leads while node 2 (priority 5) is cut off; when node 2 is back and caught up, node 1 hands
// over to it, with the usual TransferChanged events. Node 2, the highest, keeps leading.
TEST(PriorityHandover, LowerLeaderHandsOverToCaughtUpHigherFollower) {
  Net net = with_priorities(3, {{2, 5}});
  net.isolate(2);
  ASSERT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();
  ASSERT_EQ(net.leaders(), (std::vector<std::uint64_t>{1}));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(net[1]->propose(Payload{"x"}).ok());
  net.send(net[1].drain());
  run_for(net, 2s);
  ASSERT_EQ(net.leaders(), (std::vector<std::uint64_t>{1})) << "no handover to an absent node";
  EXPECT_TRUE(transfers(net[1]).empty());

  net.heal();
  run_for(net, 3s);
  EXPECT_EQ(net.leaders(), (std::vector<std::uint64_t>{2}));
  EXPECT_GE(net[2]->commit_index(), Index{6}) << "the new leader holds every committed entry";
  const std::vector<TransferChanged> seen = transfers(net[1]);
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[0].target, NodeId{2});
  EXPECT_EQ(seen[0].phase, TransferChanged::Phase::kStarted);
  EXPECT_EQ(seen[1].phase, TransferChanged::Phase::kCompleted);
  EXPECT_EQ(net[1]->metrics().priority_handovers, 1U);

  // No flapping: node 2 outranks everyone, node 3 ties with node 1 — no further transfers.
  run_for(net, 20s);
  EXPECT_EQ(net.leaders(), (std::vector<std::uint64_t>{2}));
  EXPECT_TRUE(transfers(net[2]).empty());
  EXPECT_EQ(transfers(net[1]).size(), 2U);
}

// Equal priorities never trigger a handover (only a strictly higher one does).
TEST(PriorityHandover, EqualPrioritiesStayPut) {
  Net net = with_priorities(3, {{1, 4}, {2, 4}, {3, 4}});
  ASSERT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  run_for(net, 10s);
  EXPECT_EQ(net.leaders(), (std::vector<std::uint64_t>{1}));
  EXPECT_TRUE(transfers(net[1]).empty());
}

// No flapping: a higher-priority follower that can never take over (its TimeoutNow is lost
// every time) costs the leader one election timeout of refused writes per attempt, so the
// attempts back off exponentially, and the leader keeps leading and accepting writes between.
TEST(PriorityHandover, TargetThatCannotTakeOverBacksOffExponentially) {
  Net net = with_priorities(3, {{2, 5}});
  net.isolate(2);
  ASSERT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();
  net.heal();
  net.hold_if([](const Message& m) { return is<TimeoutNow>(m); });
  run_for(net, 40s);
  EXPECT_EQ(net.leaders(), (std::vector<std::uint64_t>{1}));

  std::vector<Time> starts;
  std::vector<Time> ends;
  for (const Event& e : net[1].history()) {
    if (const auto* t = std::get_if<TransferChanged>(&e.body)) {
      (t->phase == TransferChanged::Phase::kStarted ? starts : ends).push_back(e.time);
      EXPECT_NE(t->phase, TransferChanged::Phase::kCompleted);
    }
  }
  // 1 s transfers with waits of 1, 2, 4, 8, 16 s between them: 6 attempts by 40 s, where a
  // fixed wait would have made 20.
  ASSERT_GE(starts.size(), 4U);
  EXPECT_LE(starts.size(), 6U);
  ASSERT_GE(ends.size(), starts.size() - 1);
  for (std::size_t i = 0; i + 1 < starts.size(); ++i) {
    const Duration wait = starts[i + 1] - ends[i];
    EXPECT_GE(wait, net[1]->config().election_timeout_min * (1 << i)) << "attempt " << i;
  }
  EXPECT_EQ(net[1]->metrics().priority_handovers, starts.size());
  // Between attempts, writes go through.
  if (net[1]->transfer_target().valid()) run_for(net, 1100ms);
  EXPECT_TRUE(net[1]->propose(Payload{"between"}).ok());
}

}  // namespace
}  // namespace raft::test
