// SPDX-License-Identifier: Apache-2.0
// Leader election, one test per rule: Raft paper §5.1–5.2 and §5.4.1 (who may vote for whom),
// thesis §4.2.3 (vote suppression), §6.2 (check-quorum), §9.6 (pre-vote), and fast failover on
// Node::peer_down. Each test drives one to five nodes by hand: it builds messages, step()s them
// and inspects what ready() hands out, in three blocks (init, act, check) as etcd's
// raft_paper_test.go does. Time only moves when a test calls tick().

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "paper_test_util.h"
#include "raft/config.h"
#include "raft/entry.h"
#include "raft/events.h"
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

// =================================================================================================
// §5.1 Terms
// =================================================================================================

// Reference: §5.1 "If a candidate or leader discovers that its term is out of date, it
// immediately reverts to follower state." and Figure 2 "If RPC request or response contains term
// T > currentTerm: set currentTerm = T, convert to follower".
TEST(PaperElection, AnyRoleAdoptsHigherTermFromAppendAndBecomesFollower) {
  for (const Role start : {Role::kFollower, Role::kPreCandidate, Role::kCandidate, Role::kLeader}) {
    SCOPED_TRACE(to_string(start));
    // init: node 1 of 3, at term 2, brought into the role under test.
    Config config = config_for(1, 3);
    config.pre_vote = start == Role::kPreCandidate;
    Peer peer(config, log_of({1, 2}), HardState{Term{2}, NodeId{}, Index{}});
    if (start == Role::kLeader) {
      (void)win_election(peer);
    } else if (start != Role::kFollower) {
      ASSERT_TRUE(peer->campaign().ok());
      (void)peer.drain();
    }
    ASSERT_EQ(peer->role(), start);
    const Term before = peer->term();

    // act: an AppendRequest from node 2, leader of term 5.
    const Output out = peer.receive(append_request(2, 1, 5, 2, 2, 0));

    // check: follower of node 2 in term 5, with the new term persisted.
    EXPECT_EQ(peer->role(), Role::kFollower);
    EXPECT_EQ(peer->term(), Term{5});
    EXPECT_EQ(peer->leader(), NodeId{2});
    ASSERT_FALSE(out.hard_states.empty());
    EXPECT_EQ(out.hard_states.back().term, Term{5});
    EXPECT_TRUE(out.must_sync);
    EXPECT_EQ(events_of<TermChanged>(out.events), (std::vector{TermChanged{before, Term{5}}}));
    if (start != Role::kFollower) {
      const auto changes = events_of<RoleChanged>(out.events);
      ASSERT_FALSE(changes.empty());
      EXPECT_EQ(changes.front().from, start);
      EXPECT_EQ(changes.back().to, Role::kFollower);
    }
  }
}

// Reference: §5.1 "If a candidate or leader discovers that its term is out of date, it
// immediately reverts to follower state." Here the newer term arrives in a reply.
TEST(PaperElection, LeaderAndCandidateStepDownOnReplyWithHigherTerm) {
  // init: a leader of term 1 and a candidate of term 1.
  Peer leader(config_for(1, 3));
  (void)win_election(leader);
  Peer candidate(config_for(1, 3));
  ASSERT_TRUE(candidate->campaign().ok());
  (void)candidate.drain();
  ASSERT_EQ(leader->term(), Term{1});
  ASSERT_EQ(candidate->term(), Term{1});

  // act: node 2 answers each from term 4.
  (void)leader.receive(append_reply(2, 1, 4, false, 0));
  (void)candidate.receive(vote_reply(2, 1, 4, false));

  // check: both follow in term 4, without a leader yet.
  for (Peer* peer : {&leader, &candidate}) {
    EXPECT_EQ((*peer)->role(), Role::kFollower);
    EXPECT_EQ((*peer)->term(), Term{4});
    EXPECT_EQ((*peer)->leader(), NodeId::none());
    EXPECT_EQ((*peer)->voted_for(), NodeId::none());
  }
}

// Reference: Figure 2, "Rules for Servers / All Servers": "If RPC request or response contains
// term T > currentTerm: set currentTerm = T". A vote request counts even when the vote is
// refused (§5.4.1).
TEST(PaperElection, VoteRequestWithHigherTermUpdatesTermEvenWhenDenied) {
  // init: node 1, term 2, log (1, 1, 2); it has heard from no leader.
  Peer voter(config_for(1, 3), log_of({1, 1, 2}), HardState{Term{2}, NodeId{}, Index{}});

  // act: node 2 asks for a vote in term 5 with the shorter log (1, 1).
  const Output out = voter.receive(vote_request(2, 1, 5, 2, 1));

  // check: refused for its log, yet the term moved to 5 and was persisted.
  const auto replies = only<VoteReply>(out.all(), 2);
  ASSERT_EQ(replies.size(), 1U);
  EXPECT_FALSE(body<VoteReply>(replies[0]).granted);
  EXPECT_EQ(body<VoteReply>(replies[0]).denial, VoteDenial::kLogBehind);
  EXPECT_EQ(replies[0].term, Term{5});
  EXPECT_EQ(voter->term(), Term{5});
  EXPECT_EQ(voter->voted_for(), NodeId::none());
  ASSERT_FALSE(out.hard_states.empty());
  EXPECT_EQ(out.hard_states.back().term, Term{5});
}

// Reference: §5.1 "If a server receives a request with a stale term number, it rejects the
// request." and Figure 2 "Reply false if term < currentTerm (§5.1)".
TEST(PaperElection, RejectsRequestsWithStaleTerm) {
  // init: node 1 in term 3 with log (1, 2, 3), no leader known.
  Peer peer(config_for(1, 3), log_of({1, 2, 3}), HardState{Term{3}, NodeId{}, Index{}});

  // act + check: an AppendRequest from an old leader of term 2 that would overwrite index 3.
  {
    const Output out = peer.receive(append_request(2, 1, 2, 2, 2, 0, {entry(2, 3)}));
    for (const Message& reply : only<AppendReply>(out.all())) {
      EXPECT_FALSE(body<AppendReply>(reply).success) << describe(reply);
    }
    // The stale leader must learn the newer term, so that it steps down.
    const auto to_old_leader = out.all();
    EXPECT_TRUE(std::any_of(to_old_leader.begin(), to_old_leader.end(), [](const Message& m) {
      return m.to == NodeId{2} && m.term == Term{3};
    })) << "no reply carries term 3 back to node 2";
    EXPECT_EQ(terms_of(peer.node()), (std::vector<std::uint64_t>{1, 2, 3}));
    EXPECT_EQ(peer->leader(), NodeId::none());
  }
  // act + check: a heartbeat of term 2 does not make node 2 our leader.
  {
    (void)peer.receive(heartbeat(2, 1, 2, 0));
    EXPECT_EQ(peer->leader(), NodeId::none());
    EXPECT_EQ(peer->term(), Term{3});
  }
  // act + check: a vote request of term 2 (with a longer log) is not granted.
  {
    const Output out = peer.receive(vote_request(2, 1, 2, 9, 2));
    for (const Message& reply : only<VoteReply>(out.all())) {
      EXPECT_FALSE(body<VoteReply>(reply).granted) << describe(reply);
    }
    EXPECT_EQ(peer->term(), Term{3});
    EXPECT_EQ(peer->voted_for(), NodeId::none());
  }
}

// =================================================================================================
// §5.2 Leader election
// =================================================================================================

// Reference: §5.2 "If a follower receives no communication over a period of time called the
// election timeout, then it assumes there is no viable leader and begins an election to choose a
// new leader. To begin an election, a follower increments its current term and transitions to
// candidate state. It then votes for itself and issues RequestVote RPCs in parallel to each of
// the other servers in the cluster." With pre-vote (thesis §9.6) the node first asks, as a
// pre-candidate, without incrementing its term.
TEST(PaperElection, FollowerStartsElectionOnTimeout) {
  for (const bool pre_vote : {false, true}) {
    SCOPED_TRACE(pre_vote ? "pre-vote on" : "pre-vote off");
    // init: node 1 of 3 in term 1 with log (1).
    Config config = config_for(1, 3);
    config.pre_vote = pre_vote;
    Peer peer(config, log_of({1}), HardState{Term{1}, NodeId{}, Index{}});
    const Time deadline = peer->next_deadline();
    ASSERT_NE(deadline, kTimeNever);

    // act + check: just before the timeout nothing happens.
    const Output early = peer.tick(deadline - Duration{1});
    EXPECT_EQ(peer->role(), Role::kFollower);
    EXPECT_TRUE(only<VoteRequest>(early.all()).empty());

    // act: the timeout fires.
    const Output out = peer.tick(deadline);

    // check: the election started, asking both peers.
    const auto requests = only<VoteRequest>(out.all());
    ASSERT_EQ(requests.size(), 2U);
    std::set<NodeId> asked;
    for (const Message& request : requests) {
      asked.insert(request.to);
      EXPECT_EQ(request.term, Term{2});  // The term it (would) campaign in.
      EXPECT_EQ(body<VoteRequest>(request).pre_vote, pre_vote);
      EXPECT_EQ(body<VoteRequest>(request).last_log_index, Index{1});
      EXPECT_EQ(body<VoteRequest>(request).last_log_term, Term{1});
    }
    EXPECT_EQ(asked, (std::set{NodeId{2}, NodeId{3}}));
    const auto changes = events_of<RoleChanged>(out.events);
    ASSERT_EQ(changes.size(), 1U);
    EXPECT_EQ(changes[0].reason, RoleChangeReason::kElectionTimeout);
    if (pre_vote) {
      EXPECT_EQ(peer->role(), Role::kPreCandidate);
      EXPECT_EQ(peer->term(), Term{1});
      EXPECT_EQ(peer->voted_for(), NodeId::none());
      for (const HardState& state : out.hard_states) EXPECT_EQ(state.term, Term{1});
    } else {
      EXPECT_EQ(peer->role(), Role::kCandidate);
      EXPECT_EQ(peer->term(), Term{2});
      EXPECT_EQ(peer->voted_for(), NodeId{1});
      ASSERT_FALSE(out.hard_states.empty());
      EXPECT_EQ(out.hard_states.back().term, Term{2});
      EXPECT_EQ(out.hard_states.back().vote, NodeId{1});
      EXPECT_TRUE(out.must_sync);
    }
  }
}

// Reference: §5.2 "Raft uses randomized election timeouts to ensure that split votes are rare
// ... election timeouts are chosen randomly from a fixed interval (e.g., 150–300ms)."
// Over many seeds, every timeout lies in [min, max), and they spread over the interval.
TEST(PaperElection, ElectionTimeoutIsRandomizedWithinRange) {
  // init: 1000 fresh nodes, one per seed, created at an arbitrary start time.
  const Time start = at(5s);
  std::vector<Duration> timeouts;
  std::size_t differs_by_id = 0;
  for (std::uint64_t seed = 0; seed < 1000; ++seed) {
    Config config = config_for(1, 3);
    config.random_seed = seed;
    // act: read when each would start an election.
    Peer first(config, {}, {}, start);
    Peer again(config, {}, {}, start);
    config.id = NodeId{2};
    Peer other_id(config, {}, {}, start);
    // check: the draw is a function of (seed, id) and stays in range.
    EXPECT_EQ(first->next_deadline(), again->next_deadline()) << "seed " << seed;
    if (first->next_deadline() != other_id->next_deadline()) ++differs_by_id;
    const Duration timeout = first->next_deadline() - start;
    EXPECT_GE(timeout, kElectionMin) << "seed " << seed;
    EXPECT_LT(timeout, kElectionMax) << "seed " << seed;
    timeouts.push_back(timeout);
  }
  std::sort(timeouts.begin(), timeouts.end());
  const auto distinct = std::unique(timeouts.begin(), timeouts.end()) - timeouts.begin();
  EXPECT_GT(distinct, 990) << "timeouts barely vary across seeds";
  // Roughly uniform: each half of the interval gets a fair share (expected 500 ± 16).
  const Duration middle = kElectionMin + (kElectionMax - kElectionMin) / 2;
  const auto below = std::count_if(timeouts.begin(), timeouts.begin() + distinct,
                                   [&](Duration d) { return d < middle; });
  EXPECT_GT(below, 400);
  EXPECT_LT(below, 600);
  // The seed is mixed with the id: one seed for a cluster still desynchronises its nodes.
  EXPECT_GT(differs_by_id, 990U);
}

// Reference: §5.2 "each candidate restarts its randomized election timeout at the start of an
// election, and it waits for that timeout to elapse before starting the next election" and
// "(c) a period of time goes by with no winner ... each candidate will time out and start a new
// election by incrementing its term and initiating another round of RequestVote RPCs."
TEST(PaperElection, CandidateWithoutWinnerStartsNewElectionAfterNewRandomTimeout) {
  // init: node 1 of 3 becomes a candidate of term 1 at its timeout.
  Peer peer(config_for(1, 3));
  const Time first = peer->next_deadline();
  (void)peer.tick(first);
  ASSERT_EQ(peer->role(), Role::kCandidate);
  ASSERT_EQ(peer->term(), Term{1});
  std::set<Duration> timeouts;

  for (std::uint64_t round = 2; round <= 6; ++round) {
    // check: a new timeout was drawn at the start of the election.
    const Time started = peer->now();
    const Duration timeout = peer->next_deadline() - started;
    EXPECT_GE(timeout, kElectionMin);
    EXPECT_LT(timeout, kElectionMax);
    timeouts.insert(timeout);
    // act: no votes arrive; the timeout elapses.
    EXPECT_TRUE(only<VoteRequest>(peer.tick(peer->next_deadline() - Duration{1}).all()).empty());
    const Output out = peer.tick_to_deadline();
    // check: a new election in the next term, asking everyone again.
    EXPECT_EQ(peer->role(), Role::kCandidate);
    EXPECT_EQ(peer->term(), Term{round});
    EXPECT_EQ(peer->voted_for(), NodeId{1});
    EXPECT_EQ(only<VoteRequest>(out.all()).size(), 2U);
  }
  EXPECT_GT(timeouts.size(), 1U) << "every election drew the same timeout";
}

// Reference: §5.2 "Each server will vote for at most one candidate in a given term, on a
// first-come-first-served basis" and Figure 2 "If votedFor is null or candidateId, and
// candidate's log is at least as up-to-date as receiver's log, grant vote".
TEST(PaperElection, VotesAtMostOncePerTerm) {
  // init: node 1 of 3, fresh.
  Peer voter(config_for(1, 3));
  auto answer = [&](const Message& request) {
    const Output out = voter.receive(request);
    const auto replies = only<VoteReply>(out.all(), request.from.value());
    EXPECT_EQ(replies.size(), 1U) << describe(request);
    return replies.empty() ? VoteReply{} : body<VoteReply>(replies[0]);
  };

  // act + check: first come, first served within term 1.
  EXPECT_TRUE(answer(vote_request(2, 1, 1, 0, 0)).granted);
  EXPECT_EQ(voter->voted_for(), NodeId{2});
  const VoteReply second = answer(vote_request(3, 1, 1, 0, 0));
  EXPECT_FALSE(second.granted);
  EXPECT_EQ(second.denial, VoteDenial::kAlreadyVoted);
  EXPECT_EQ(voter->voted_for(), NodeId{2});
  // The same candidate asking again (its reply was lost) gets the same answer.
  EXPECT_TRUE(answer(vote_request(2, 1, 1, 0, 0)).granted);
  // A new term is a new vote.
  EXPECT_TRUE(answer(vote_request(3, 1, 2, 0, 0)).granted);
  EXPECT_EQ(voter->voted_for(), NodeId{3});
  EXPECT_EQ(voter->term(), Term{2});
}

// Reference: Figure 2 "Persistent state on all servers: (Updated on stable storage before
// responding to RPCs) currentTerm ... votedFor". The reply leaves only after the persist:
// it is in Ready::messages_after_persist, with the vote in Ready::hard_state and must_sync set.
TEST(PaperElection, VoteIsPersistedBeforeTheReply) {
  // init: node 1 of 3, fresh.
  storage::MemoryLog log;
  auto created = Node::create(config_for(1, 3), log);
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  Node node = std::move(created).value();
  while (node.has_ready()) {
    Ready ready = node.ready();
    log.persist(ready);
    node.advance(std::move(ready));
  }

  // act: node 2 asks for the vote of term 1.
  ASSERT_TRUE(node.step(vote_request(2, 1, 1, 0, 0)).ok());
  ASSERT_TRUE(node.has_ready());
  Ready ready = node.ready();

  // check: one Ready carries the vote to persist and, held back until then, the reply.
  ASSERT_TRUE(ready.hard_state.has_value());
  EXPECT_EQ(ready.hard_state->term, Term{1});
  EXPECT_EQ(ready.hard_state->vote, NodeId{2});
  EXPECT_TRUE(ready.must_sync);
  EXPECT_TRUE(only<VoteReply>(ready.messages).empty()) << "a vote reply may not leave early";
  const auto replies = only<VoteReply>(ready.messages_after_persist, 2);
  ASSERT_EQ(replies.size(), 1U);
  EXPECT_TRUE(body<VoteReply>(replies[0]).granted);
  EXPECT_EQ(replies[0].term, Term{1});
  log.persist(ready);
  node.advance(std::move(ready));
  EXPECT_EQ(log.hard_state().vote, NodeId{2});
}

// Reference: §5.4.1 "Raft determines which of two logs is more up-to-date by comparing the index
// and term of the last entries in the logs. If the logs have last entries with different terms,
// then the log with the later term is more up-to-date. If the logs end with the same term, then
// whichever log is longer is more up-to-date." and "the voter denies its vote if its own log is
// more up-to-date than that of the candidate."
TEST(PaperElection, GrantsVoteOnlyToCandidateWithUpToDateLog) {
  struct Case {
    std::uint64_t last_index;
    std::uint64_t last_term;
    bool granted;
  };
  // The voter's log is (1, 1, 2): last entry index 3, term 2.
  const std::vector<Case> cases = {
      {0, 0, false},   // empty log
      {3, 1, false},   // same length, older last term
      {10, 1, false},  // longer, but older last term
      {2, 2, false},   // same last term, shorter
      {3, 2, true},    // identical
      {4, 2, true},    // same last term, longer
      {1, 3, true},    // newer last term, shorter
      {3, 3, true},    // newer last term, same length
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(fmt::format("candidate log ends at {}/term {}", c.last_index, c.last_term));
    // init
    Peer voter(config_for(1, 3), log_of({1, 1, 2}), HardState{Term{2}, NodeId{}, Index{}});
    // act
    const Output out = voter.receive(vote_request(2, 1, 3, c.last_index, c.last_term));
    // check
    const auto replies = only<VoteReply>(out.all(), 2);
    ASSERT_EQ(replies.size(), 1U);
    EXPECT_EQ(body<VoteReply>(replies[0]).granted, c.granted);
    EXPECT_EQ(body<VoteReply>(replies[0]).denial,
              c.granted ? VoteDenial::kNone : VoteDenial::kLogBehind);
    EXPECT_EQ(voter->voted_for(), c.granted ? NodeId{2} : NodeId::none());
  }
}

// Reference: §5.2 "A candidate wins an election if it receives votes from a majority of the
// servers in the full cluster for the same term." and "a candidate continues in this state until
// one of three things happens: (a) it wins the election, (b) another server establishes itself
// as leader, or (c) a period of time goes by with no winner." A majority of refusals ends the
// election early (the node returns to follower and waits for its timeout).
TEST(PaperElection, CandidateWinsOnlyWithMajority) {
  struct Case {
    std::uint64_t size;
    std::map<std::uint64_t, bool> votes;  // Who answers, and how.
    Role role;
  };
  const std::vector<Case> cases = {
      {1, {}, Role::kLeader},
      {3, {{2, true}, {3, true}}, Role::kLeader},
      {3, {{2, true}}, Role::kLeader},
      {5, {{2, true}, {3, true}, {4, true}, {5, true}}, Role::kLeader},
      {5, {{2, true}, {3, true}, {4, true}}, Role::kLeader},
      {5, {{2, true}, {3, true}}, Role::kLeader},
      // A majority refused: lost.
      {3, {{2, false}, {3, false}}, Role::kFollower},
      {5, {{2, false}, {3, false}, {4, false}, {5, false}}, Role::kFollower},
      {5, {{2, true}, {3, false}, {4, false}, {5, false}}, Role::kFollower},
      // Neither: still waiting.
      {3, {}, Role::kCandidate},
      {5, {{2, true}}, Role::kCandidate},
      {5, {{2, false}, {3, false}}, Role::kCandidate},
      {5, {{2, true}, {3, false}, {4, false}}, Role::kCandidate},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(fmt::format("case {}: {} nodes", i, c.size));
    // init: node 1 times out and campaigns in term 1.
    Peer peer(config_for(1, c.size));
    Output out = peer.tick_to_deadline();
    if (c.size > 1) {
      ASSERT_EQ(peer->role(), Role::kCandidate);
    }
    // act: the votes arrive.
    for (const auto& [voter, granted] : c.votes) {
      out.add(peer.receive(vote_reply(voter, 1, 1, granted)));
    }
    // check
    EXPECT_EQ(peer->role(), c.role);
    EXPECT_EQ(peer->term(), Term{1});
    if (c.role == Role::kLeader) {
      EXPECT_EQ(peer->leader(), NodeId{1});
      const auto won = events_of<RoleChanged>(out.events);
      ASSERT_FALSE(won.empty());
      EXPECT_EQ(won.back().reason, RoleChangeReason::kElectionWon);
      EXPECT_EQ(events_of<LeaderChanged>(out.events).back(), LeaderChanged{NodeId{1}});
    }
    if (c.role == Role::kFollower) {
      const auto lost = events_of<RoleChanged>(out.events);
      ASSERT_FALSE(lost.empty());
      EXPECT_EQ(lost.back().reason, RoleChangeReason::kElectionLost);
    }
  }
}

// Reference: §5.2 "If the leader's term (included in its RPC) is at least as large as the
// candidate's current term, then the candidate recognizes the leader as legitimate and returns
// to follower state. If the term in the RPC is smaller than the candidate's current term, then
// the candidate rejects the RPC and continues in candidate state."
TEST(PaperElection, CandidateStepsDownOnlyForLeaderOfItsTermOrNewer) {
  struct Case {
    std::string name;
    Message message;
    Role role;
    std::uint64_t leader;
  };
  // The candidate is node 1 in term 2 with log (1).
  const std::vector<Case> cases = {
      {"append, same term", append_request(2, 1, 2, 1, 1, 0), Role::kFollower, 2},
      {"heartbeat, same term", heartbeat(3, 1, 2, 0), Role::kFollower, 3},
      {"append, newer term", append_request(2, 1, 3, 1, 1, 0), Role::kFollower, 2},
      {"append, older term", append_request(2, 1, 1, 1, 1, 0), Role::kCandidate, 0},
      {"heartbeat, older term", heartbeat(2, 1, 1, 0), Role::kCandidate, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // init
    Peer peer(config_for(1, 3), log_of({1}), HardState{Term{1}, NodeId{}, Index{}});
    ASSERT_TRUE(peer->campaign().ok());
    (void)peer.drain();
    ASSERT_EQ(peer->role(), Role::kCandidate);
    ASSERT_EQ(peer->term(), Term{2});
    // act
    const Output out = peer.receive(c.message);
    // check
    EXPECT_EQ(peer->role(), c.role);
    EXPECT_EQ(peer->leader(), NodeId{c.leader});
    if (c.role == Role::kFollower && c.message.term == Term{2}) {
      const auto changes = events_of<RoleChanged>(out.events);
      ASSERT_EQ(changes.size(), 1U);
      EXPECT_EQ(changes[0], (RoleChanged{Role::kCandidate, Role::kFollower,
                                         RoleChangeReason::kLeaderDiscovered}));
    }
  }
}

// Reference: §5.2 "Leaders send periodic heartbeats (AppendEntries RPCs that carry no log
// entries) to all followers in order to maintain their authority." Here heartbeats are their
// own message, sent every Config::heartbeat_interval.
TEST(PaperElection, LeaderSendsHeartbeatEveryInterval) {
  // init: node 1 wins the election of term 1 at time 0.
  Peer leader(config_for(1, 3));
  (void)win_election(leader);
  const Time elected = leader->now();

  for (int k = 1; k <= 10; ++k) {
    const Time due = elected + k * kHeartbeat;
    // check: the node asks to be woken by the next heartbeat at the latest.
    EXPECT_LE(leader->next_deadline(), due);
    // act + check: half an interval early, no heartbeat.
    EXPECT_TRUE(only<Heartbeat>(leader.tick(due - kHeartbeat / 2).all()).empty()) << "k=" << k;
    // act + check: on time, one heartbeat to each follower, in the leader's term.
    const Output out = leader.tick(due);
    for (const std::uint64_t follower : {2U, 3U}) {
      const auto beats = only<Heartbeat>(out.all(), follower);
      ASSERT_EQ(beats.size(), 1U) << "k=" << k << " follower " << follower;
      EXPECT_EQ(beats[0].term, Term{1});
      EXPECT_EQ(beats[0].from, NodeId{1});
    }
  }
  EXPECT_EQ(leader->role(), Role::kLeader);
}

// Reference: §5.2 "A server remains in follower state as long as it receives valid RPCs from a
// leader or candidate." and Figure 2 "If election timeout elapses without receiving AppendEntries
// RPC from current leader or granting vote to candidate: convert to candidate".
TEST(PaperElection, LeaderContactAndGrantedVotesPostponeElection) {
  // init: node 2 of 3, fresh.
  Peer follower(config_for(2, 3));

  // act + check: a heartbeat every 900 ms (less than the minimum timeout) for 20 s.
  for (Time now = at(900ms); now < at(20s); now += 900ms) {
    (void)follower.tick(now);
    (void)follower.receive(heartbeat(1, 2, 1, 0));
    EXPECT_EQ(follower->role(), Role::kFollower);
    EXPECT_GE(follower->next_deadline(), now + kElectionMin);
  }
  EXPECT_EQ(follower->leader(), NodeId{1});

  // act + check: granting a vote restarts the timer as well (after the leader's lease ran out).
  const Time vote_time = follower->now() + kElectionMin + 1ms;
  ASSERT_LT(vote_time, follower->next_deadline()) << "pick another random_seed";
  (void)follower.tick(vote_time);
  const Output out = follower.receive(vote_request(3, 2, 2, 0, 0));
  ASSERT_EQ(only<VoteReply>(out.all(), 3).size(), 1U);
  ASSERT_TRUE(body<VoteReply>(only<VoteReply>(out.all(), 3)[0]).granted);
  EXPECT_GE(follower->next_deadline(), vote_time + kElectionMin);
}

// Reference: §8 "Raft handles this by having each leader commit a blank no-op entry into the log
// at the start of its term." (also §5.4.2: a leader can only commit entries of its own term).
TEST(PaperElection, NewLeaderAppendsNoOpOfItsTerm) {
  // init: node 1 of 3 with log (1, 2), last in term 2.
  Peer peer(config_for(1, 3), log_of({1, 2}), HardState{Term{2}, NodeId{}, Index{}});

  // act: it wins the election of term 3.
  const Output won = win_election(peer);

  // check: the no-op of term 3 follows the old log, is persisted, and goes to both followers.
  ASSERT_EQ(peer->term(), Term{3});
  ASSERT_EQ(peer->last_index(), Index{3});
  auto last = peer->log_entries(Index{3}, Index{4});
  ASSERT_TRUE(last.ok());
  EXPECT_EQ((*last)[0].type, EntryType::kNoOp);
  EXPECT_EQ((*last)[0].term, Term{3});
  ASSERT_FALSE(won.entries.empty());
  EXPECT_EQ(won.entries.back().index, Index{3});
  EXPECT_EQ(peer.log().last_index(), Index{3});
  for (const std::uint64_t follower : {2U, 3U}) {
    const auto appends = only<AppendRequest>(won.all(), follower);
    ASSERT_EQ(appends.size(), 1U) << "follower " << follower;
    const auto& append = body<AppendRequest>(appends[0]);
    EXPECT_EQ(append.prev_log_index, Index{2});
    EXPECT_EQ(append.prev_log_term, Term{2});
    ASSERT_EQ(append.entries.size(), 1U);
    EXPECT_EQ(append.entries[0].type, EntryType::kNoOp);
    EXPECT_EQ(append.entries[0].index, Index{3});
  }
}

// =================================================================================================
// Thesis §9.6 Pre-vote
// =================================================================================================

// Reference: thesis §9.6 "the candidate would first ask other servers whether its log was
// up-to-date enough to get their vote. Only if the candidate believed it could get votes from a
// majority of the cluster would it increment its term and start a normal election."
TEST(PaperPreVote, PreCandidateBumpsTermOnlyAfterMajorityOfPreVotes) {
  for (const bool win : {true, false}) {
    SCOPED_TRACE(win ? "pre-vote granted" : "pre-vote refused");
    // init: node 1 of 3 at term 1 times out and asks for pre-votes of term 2.
    Config config = config_for(1, 3);
    config.pre_vote = true;
    Peer peer(config, log_of({1}), HardState{Term{1}, NodeId{}, Index{}});
    (void)peer.tick_to_deadline();
    ASSERT_EQ(peer->role(), Role::kPreCandidate);
    ASSERT_EQ(peer->term(), Term{1});

    // act: node 3 refuses from its term 1; node 2 grants (echoing the pre-vote term 2) or
    // refuses too.
    Output out = peer.receive(vote_reply(3, 1, 1, false, true));
    out.add(peer.receive(vote_reply(2, 1, win ? 2 : 1, win, true)));

    // check
    if (win) {
      EXPECT_EQ(peer->role(), Role::kCandidate);
      EXPECT_EQ(peer->term(), Term{2});
      EXPECT_EQ(peer->voted_for(), NodeId{1});
      const auto requests = only<VoteRequest>(out.all());
      ASSERT_EQ(requests.size(), 2U);
      for (const Message& request : requests) {
        EXPECT_FALSE(body<VoteRequest>(request).pre_vote);
        EXPECT_EQ(request.term, Term{2});
      }
      EXPECT_EQ(events_of<RoleChanged>(out.events).back().reason, RoleChangeReason::kPreVoteWon);
    } else {
      EXPECT_EQ(peer->role(), Role::kFollower);
      EXPECT_EQ(peer->term(), Term{1});
      EXPECT_EQ(peer->voted_for(), NodeId::none());
      EXPECT_TRUE(only<VoteRequest>(out.all()).empty());
    }
  }
}

// Reference: thesis §9.6 "A server would only grant a pre-vote if the candidate's log was at
// least as up to date as its own" — and granting one changes nothing: the voter keeps its term
// and its vote, and the reply echoes the term the pre-candidate would campaign in.
TEST(PaperPreVote, VoterGrantsPreVoteWithoutChangingItsState) {
  // init: node 1 of 3 at term 1 with log (1, 1); no leader heard.
  Config config = config_for(1, 3);
  config.pre_vote = true;
  Peer voter(config, log_of({1, 1}), HardState{Term{1}, NodeId{}, Index{}});

  // act + check: a behind pre-candidate is refused.
  {
    const Output out = voter.receive(vote_request(3, 1, 2, 1, 1, true));
    const auto replies = only<VoteReply>(out.all(), 3);
    ASSERT_EQ(replies.size(), 1U);
    EXPECT_FALSE(body<VoteReply>(replies[0]).granted);
    EXPECT_EQ(body<VoteReply>(replies[0]).denial, VoteDenial::kLogBehind);
  }
  // act + check: an up-to-date pre-candidate gets the pre-vote, and nothing is persisted.
  {
    const Output out = voter.receive(vote_request(2, 1, 2, 2, 1, true));
    const auto replies = only<VoteReply>(out.all(), 2);
    ASSERT_EQ(replies.size(), 1U);
    EXPECT_TRUE(body<VoteReply>(replies[0]).granted);
    EXPECT_TRUE(body<VoteReply>(replies[0]).pre_vote);
    EXPECT_EQ(replies[0].term, Term{2});
    EXPECT_EQ(voter->term(), Term{1});
    EXPECT_EQ(voter->voted_for(), NodeId::none());
    for (const HardState& state : out.hard_states) {
      EXPECT_EQ(state.term, Term{1});
      EXPECT_EQ(state.vote, NodeId::none());
    }
  }
  // act + check: the pre-vote was no promise: the real vote of term 2 may go to node 3.
  {
    const Output out = voter.receive(vote_request(3, 1, 2, 2, 1));
    const auto replies = only<VoteReply>(out.all(), 3);
    ASSERT_EQ(replies.size(), 1U);
    EXPECT_TRUE(body<VoteReply>(replies[0]).granted);
    EXPECT_EQ(voter->voted_for(), NodeId{3});
  }
}

// Reference: thesis §9.6 "the Pre-Vote algorithm ... prevents a server that has been partitioned
// from the cluster from disrupting the cluster when it rejoins": its term stays put while it is
// cut off, and on rejoining it neither wins pre-votes nor unseats the leader.
TEST(PaperPreVote, PartitionedNodeDoesNotDisruptStableLeaderOnRejoin) {
  // init: three nodes with pre-vote; node 1 leads term 1.
  Net net = Net::of(3, [](Config& config) { config.pre_vote = true; });
  ASSERT_TRUE(net[1]->campaign().ok());
  net.send(net[1].drain());
  net.stabilize();
  ASSERT_EQ(net.leaders(), (std::vector<std::uint64_t>{1}));
  const Term term = net[1]->term();

  // act: node 3 is cut off for 20 s while the others commit entries it misses.
  net.isolate(3);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(net[1]->propose(Payload{fmt::format("cmd{}", i)}).ok());
    net.send(net[1].drain());
    net.run_until(net[1]->now() + 1s);
  }
  net.run_until(at(20s));
  const auto pre_candidate = events_of<RoleChanged>(net[3].history());
  EXPECT_TRUE(std::any_of(pre_candidate.begin(), pre_candidate.end(), [](const RoleChanged& c) {
    return c.to == Role::kPreCandidate;
  })) << "the partitioned node never tried to campaign";
  EXPECT_EQ(net[3]->term(), term) << "pre-vote must keep a partitioned node's term";

  // act: the partition heals.
  net.heal();
  net.run_until(at(30s));

  // check: the leader never changed, nobody's term moved, node 3 caught up.
  EXPECT_EQ(net.leaders(), (std::vector<std::uint64_t>{1}));
  for (const std::uint64_t id : {1U, 2U, 3U}) {
    EXPECT_EQ(net[id]->term(), term) << "node " << id;
    EXPECT_LE(events_of<TermChanged>(net[id].history()).size(), 1U) << "node " << id;
  }
  EXPECT_TRUE(events_of<RoleChanged>(net[1].history()).back().to == Role::kLeader);
  EXPECT_EQ(net[3]->leader(), NodeId{1});
  EXPECT_EQ(net[3]->last_index(), net[1]->last_index());
  EXPECT_EQ(net[3]->commit_index(), net[1]->commit_index());
}

// =================================================================================================
// Thesis §4.2.3 Vote suppression (bounded in time)
// =================================================================================================

// Reference: thesis §4.2.3 "if a server receives a RequestVote request within the minimum
// election timeout of hearing from a current leader, it does not update its term or grant its
// vote." This applies to pre-votes as well.
TEST(PaperVoteSuppression, RefusesVotesWithinMinimumTimeoutOfHearingLeader) {
  for (const bool pre_vote : {false, true}) {
    SCOPED_TRACE(pre_vote ? "pre-vote" : "vote");
    // init: node 2 follows node 1 (term 1), last heard at 100 ms.
    Config config = config_for(2, 3);
    config.pre_vote = pre_vote;
    Peer follower(config);
    (void)follower.tick(at(100ms));
    (void)follower.receive(heartbeat(1, 2, 1, 0));
    ASSERT_EQ(follower->leader(), NodeId{1});

    // act: node 3 (with an up-to-date log) asks just before the minimum timeout is over.
    (void)follower.tick(at(100ms) + kElectionMin - 1ms);
    const Output out = follower.receive(vote_request(3, 2, 2, 0, 0, pre_vote));

    // check: refused for the lease; the term and the leader stay.
    const auto replies = only<VoteReply>(out.all(), 3);
    ASSERT_EQ(replies.size(), 1U);
    EXPECT_FALSE(body<VoteReply>(replies[0]).granted);
    EXPECT_EQ(body<VoteReply>(replies[0]).denial, VoteDenial::kLeaderLease);
    EXPECT_EQ(follower->term(), Term{1});
    EXPECT_EQ(follower->voted_for(), NodeId::none());
    EXPECT_EQ(follower->leader(), NodeId{1});
    const auto cast = events_of<VoteCast>(out.events);
    ASSERT_EQ(cast.size(), 1U);
    EXPECT_EQ(cast[0].denial, VoteDenial::kLeaderLease);
    EXPECT_EQ(cast[0].pre_vote, pre_vote);
  }
}

// Reference: thesis §4.2.3 (as above), bounded: "within the minimum election timeout". Once that
// has passed without word from the leader, the server votes normally. (Followers that reject
// votes for as long as they remember a leader make the first candidate after a crash lose.)
TEST(PaperVoteSuppression, VotesNormallyOnceMinimumTimeoutHasPassed) {
  for (const bool pre_vote : {false, true}) {
    SCOPED_TRACE(pre_vote ? "pre-vote" : "vote");
    // init: node 2 follows node 1 (term 1), last heard at 100 ms.
    Config config = config_for(2, 3);
    config.pre_vote = pre_vote;
    config.election_timeout_max = 10 * kElectionMin;  // Keep its own timeout out of the way.
    Peer follower(config);
    (void)follower.tick(at(100ms));
    (void)follower.receive(heartbeat(1, 2, 1, 0));
    const Time ask = at(100ms) + kElectionMin + 1ms;
    ASSERT_LT(ask, follower->next_deadline()) << "pick another random_seed";

    // act: node 3 asks once the minimum timeout is over.
    (void)follower.tick(ask);
    const Output out = follower.receive(vote_request(3, 2, 2, 0, 0, pre_vote));

    // check: granted; a real vote also moves the term.
    const auto replies = only<VoteReply>(out.all(), 3);
    ASSERT_EQ(replies.size(), 1U);
    EXPECT_TRUE(body<VoteReply>(replies[0]).granted);
    EXPECT_EQ(replies[0].term, Term{2});
    EXPECT_EQ(follower->term(), pre_vote ? Term{1} : Term{2});
    EXPECT_EQ(follower->voted_for(), pre_vote ? NodeId::none() : NodeId{3});
  }
}

// =================================================================================================
// Thesis §6.2 Check-quorum
// =================================================================================================

// Reference: thesis §6.2 "a leader in Raft steps down if an election timeout elapses without a
// successful round of heartbeats to a majority of its cluster; this allows clients to retry
// their requests with another server."
TEST(PaperCheckQuorum, LeaderStepsDownWithoutHearingFromMajority) {
  // init: node 1 of 3 with check-quorum wins term 1 at time 0, then hears nothing.
  Config config = config_for(1, 3);
  config.check_quorum = true;
  Peer leader(config);
  (void)win_election(leader);
  const Time elected = leader->now();

  // act + check: still leader just before the minimum election timeout.
  (void)leader.run_until(elected + kElectionMin - 1ms);
  EXPECT_EQ(leader->role(), Role::kLeader);

  // act: time passes up to two minimum timeouts.
  const Output out = leader.run_until(elected + 2 * kElectionMin);

  // check: it stepped down for check-quorum, keeping its term, and refuses proposals.
  EXPECT_EQ(leader->role(), Role::kFollower);
  EXPECT_EQ(leader->term(), Term{1});
  const auto changes = events_of<RoleChanged>(out.events);
  ASSERT_EQ(changes.size(), 1U);
  EXPECT_EQ(changes[0],
            (RoleChanged{Role::kLeader, Role::kFollower, RoleChangeReason::kCheckQuorum}));
  EXPECT_EQ(leader->propose(Payload{"x"}).status().code(), ErrorCode::kNotLeader);
}

// Reference: thesis §6.2 (as above): a leader that does hear from a majority stays leader.
TEST(PaperCheckQuorum, LeaderHearingFromMajorityStays) {
  // init: node 1 of 3 with check-quorum wins term 1.
  Config config = config_for(1, 3);
  config.check_quorum = true;
  Peer leader(config);
  (void)win_election(leader);

  // act: for ten maximum timeouts, node 2 answers every heartbeat; node 3 is silent.
  const Time end = leader->now() + 10 * kElectionMax;
  while (leader->now() < end) {
    const Output out = leader.tick_to_deadline();
    for (const Message& beat : only<Heartbeat>(out.all(), 2)) {
      (void)leader.receive(heartbeat_reply(2, 1, beat.term.value()));
    }
    ASSERT_EQ(leader->role(), Role::kLeader) << "at " << format_ms(leader->now()) << " ms";
  }

  // check
  EXPECT_EQ(leader->role(), Role::kLeader);
  EXPECT_EQ(leader->term(), Term{1});
}

// =================================================================================================
// Fast failover (Node::peer_down)
// =================================================================================================

// Reference: Config::fast_failover "when the transport reports the leader's connection down
// (Node::peer_down), campaign after a short random delay instead of waiting for the election
// timeout", the delay drawn from [0, fast_failover_delay_max).
TEST(PaperFastFailover, PeerDownOfLeaderStartsCampaignWithinDelay) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    // init: node 2 follows node 1 (term 1).
    Config config = config_for(2, 3);
    config.pre_vote = true;
    config.fast_failover = true;
    config.random_seed = seed;
    Peer follower(config);
    (void)follower.tick(at(100ms));
    (void)follower.receive(heartbeat(1, 2, 1, 0));

    // act: the leader's connection drops at 200 ms.
    (void)follower.tick(at(200ms));
    follower->peer_down(NodeId{1});
    (void)follower.drain();

    // check: it asks for pre-votes within the delay, citing the lost leader.
    ASSERT_GE(follower->next_deadline(), at(200ms));
    ASSERT_LT(follower->next_deadline(), at(200ms) + config.fast_failover_delay_max);
    const Output out = follower.tick_to_deadline();
    EXPECT_EQ(follower->role(), Role::kPreCandidate);
    EXPECT_EQ(only<VoteRequest>(out.all()).size(), 2U);
    const auto changes = events_of<RoleChanged>(out.events);
    ASSERT_EQ(changes.size(), 1U);
    EXPECT_EQ(changes[0].reason, RoleChangeReason::kLeaderDown);
  }
}

// Reference: Config::fast_failover; Node::peer_down is "never needed for safety; harmless if
// spurious": it is ignored when the peer is not our leader, or when fast failover is off.
TEST(PaperFastFailover, PeerDownIsIgnoredForNonLeaderOrWhenDisabled) {
  for (const bool enabled : {true, false}) {
    SCOPED_TRACE(enabled ? "peer 3 down" : "fast failover off");
    // init: node 2 follows node 1 (term 1).
    Config config = config_for(2, 3);
    config.pre_vote = true;
    config.fast_failover = enabled;
    Peer follower(config);
    (void)follower.tick(at(100ms));
    (void)follower.receive(heartbeat(1, 2, 1, 0));
    const Time deadline = follower->next_deadline();

    // act
    follower->peer_down(NodeId{enabled ? 3U : 1U});
    (void)follower.drain();

    // check: the election timer is untouched.
    EXPECT_EQ(follower->next_deadline(), deadline);
    if (enabled) {
      EXPECT_EQ(follower->leader(), NodeId{1});
    }
  }
}

// Reference: issue #2 on fast failover: "the other followers grant it only if they too lost the
// leader or their own lease ran out, so a one-sided blip disrupts nothing" (thesis §4.2.3).
TEST(PaperFastFailover, PeerThatStillHearsLeaderRefusesUntilItLosesItToo) {
  // init: node 3 follows node 1 (term 1), last heard at 100 ms.
  Config config = config_for(3, 3);
  config.pre_vote = true;
  config.fast_failover = true;
  Peer peer(config);
  (void)peer.tick(at(100ms));
  (void)peer.receive(heartbeat(1, 3, 1, 0));
  // Node 2 lost the leader and asks for the pre-vote of term 2.
  const Message request = vote_request(2, 3, 2, 0, 0, true);

  // act + check: node 3 still holds the leader's lease: refused.
  (void)peer.tick(at(250ms));
  {
    const auto replies = only<VoteReply>(peer.receive(request).all(), 2);
    ASSERT_EQ(replies.size(), 1U);
    EXPECT_FALSE(body<VoteReply>(replies[0]).granted);
    EXPECT_EQ(body<VoteReply>(replies[0]).denial, VoteDenial::kLeaderLease);
  }

  // act + check: once node 3 lost the leader as well, it grants.
  (void)peer.tick(at(260ms));
  peer->peer_down(NodeId{1});
  (void)peer.drain();
  {
    const auto replies = only<VoteReply>(peer.receive(request).all(), 2);
    ASSERT_EQ(replies.size(), 1U);
    EXPECT_TRUE(body<VoteReply>(replies[0]).granted);
    EXPECT_EQ(peer->term(), Term{1});
  }
}

}  // namespace
}  // namespace raft::test
