// SPDX-License-Identifier: Apache-2.0
// Unit tests of the core's small parts: Config::validate, Status and Result, the Prng, the
// strong types, MemoryLog, and the executable invariants (check_invariants, check_transition)
// fed with hand-made violations.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "raft/config.h"
#include "raft/entry.h"
#include "raft/events.h"
#include "raft/format.h"
#include "raft/invariants.h"
#include "raft/message.h"
#include "raft/node.h"
#include "raft/prng.h"
#include "raft/ready.h"
#include "raft/status.h"
#include "raft/storage/memory_log.h"
#include "raft/types.h"

namespace raft {
[[maybe_unused]] static void PrintTo(Term term, std::ostream* os) {
  *os << "term " << term.value();
}
[[maybe_unused]] static void PrintTo(Index index, std::ostream* os) {
  *os << "index " << index.value();
}
[[maybe_unused]] static void PrintTo(NodeId id, std::ostream* os) { *os << "node " << id.value(); }
[[maybe_unused]] static void PrintTo(ErrorCode code, std::ostream* os) { *os << to_string(code); }
[[maybe_unused]] static void PrintTo(const Entry& entry, std::ostream* os) {
  *os << fmt::format("{}@{}(\"{}\")", entry.term, entry.index, entry.payload.as_string());
}
}  // namespace raft

namespace raft {
namespace {

using namespace std::chrono_literals;
using storage::MemoryLog;

/// A valid three-node configuration for node 1.
Config valid_config() {
  Config config;
  config.id = NodeId{1};
  config.voters = {NodeId{1}, NodeId{2}, NodeId{3}};
  return config;
}

Entry entry(std::uint64_t term, std::uint64_t index, std::string_view payload = "") {
  return Entry{Term{term}, Index{index}, EntryType::kNormal, Payload{payload}};
}

// =================================================================================================
// Config::validate
// =================================================================================================

TEST(ConfigValidate, DefaultsWithIdAndVotersAreValid) {
  EXPECT_TRUE(valid_config().validate().ok()) << valid_config().validate().to_string();
  Config single;
  single.id = NodeId{7};
  single.voters = {NodeId{7}};
  EXPECT_TRUE(single.validate().ok());
}

TEST(ConfigValidate, RejectsEachBadFieldNamingIt) {
  struct Case {
    std::string name;
    std::function<void(Config&)> spoil;
    std::string field;  // The message must name it.
  };
  const std::vector<Case> cases = {
      {"heartbeat equal to election min",
       [](Config& c) { c.heartbeat_interval = c.election_timeout_min; }, "heartbeat_interval"},
      {"heartbeat above election min",
       [](Config& c) { c.heartbeat_interval = c.election_timeout_min + 1ms; },
       "heartbeat_interval"},
      {"zero heartbeat", [](Config& c) { c.heartbeat_interval = Duration::zero(); },
       "heartbeat_interval"},
      {"election min above max",
       [](Config& c) { c.election_timeout_min = c.election_timeout_max + 1ms; },
       "election_timeout"},
      {"election min equal to max (empty range)",
       [](Config& c) { c.election_timeout_max = c.election_timeout_min; }, "election_timeout"},
      {"learners but no voters",
       [](Config& c) {
         c.voters.clear();
         c.learners = {NodeId{1}};
       },
       "voters"},
      {"learner also a voter", [](Config& c) { c.learners = {NodeId{2}}; }, "learners"},
      {"duplicate learner",
       [](Config& c) {
         c.learners = {NodeId{5}, NodeId{5}};
       },
       "learners"},
      {"duplicate voter", [](Config& c) { c.voters.push_back(NodeId{2}); }, "voters"},
      {"own id not a voter", [](Config& c) { c.id = NodeId{4}; }, "id"},
      {"id zero", [](Config& c) { c.id = NodeId{0}; }, "id"},
      {"voter id zero", [](Config& c) { c.voters.push_back(NodeId{0}); }, "voters"},
      {"zero inflight window", [](Config& c) { c.inflight_messages_max = 0; },
       "inflight_messages_max"},
      {"zero message bytes", [](Config& c) { c.message_bytes_max = 0; }, "message_bytes_max"},
      {"zero committed bytes per ready", [](Config& c) { c.committed_bytes_per_ready_max = 0; },
       "committed_bytes_per_ready_max"},
      {"zero uncommitted bytes", [](Config& c) { c.uncommitted_bytes_max = 0; },
       "uncommitted_bytes_max"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Config config = valid_config();
    c.spoil(config);
    const Status status = config.validate();
    EXPECT_EQ(status.code(), ErrorCode::kInvalidConfig) << status.to_string();
    EXPECT_NE(status.message().find(c.field), std::string::npos)
        << "\"" << status.message() << "\" does not name " << c.field;
  }
}

TEST(ConfigValidate, EmptyMembershipMeansJoining) {
  // Thesis §4.2.1: a new server joins with no configuration and learns it
  // from the leader; it must not campaign meanwhile.
  Config config = valid_config();
  config.voters.clear();
  EXPECT_TRUE(config.validate().ok()) << config.validate().to_string();
  MemoryLog log;
  auto created = Node::create(config, log);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->next_deadline(), kTimeNever) << "a joining node has no election timer";
  EXPECT_EQ(created->campaign().code(), ErrorCode::kInvalidArgument);
}

TEST(ConfigValidate, NodeCreateRefusesAnInvalidConfig) {
  Config config = valid_config();
  config.voters.push_back(NodeId{0});
  MemoryLog log;
  const Result<Node> node = Node::create(config, log);
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.status().code(), ErrorCode::kInvalidConfig);
}

// A zero fast-failover delay is either refused by validate() or works: peer_down must then
// campaign at once rather than draw from an empty range.
TEST(ConfigValidate, ZeroFastFailoverDelayIsRefusedOrHarmless) {
  Config config = valid_config();
  config.id = NodeId{2};
  config.fast_failover = true;
  config.fast_failover_delay_max = Duration::zero();
  const Status status = config.validate();
  if (!status.ok()) {
    EXPECT_NE(status.message().find("fast_failover_delay_max"), std::string::npos)
        << status.to_string();
    return;
  }
  MemoryLog log;
  auto created = Node::create(config, log);
  ASSERT_TRUE(created.ok());
  Node node = std::move(created).value();
  node.tick(Time{} + 100ms);
  ASSERT_TRUE(node.step(Message{NodeId{1}, NodeId{2}, Term{1}, Heartbeat{Index{}}}).ok());
  while (node.has_ready()) {
    Ready ready = node.ready();
    log.persist(ready);
    node.advance(std::move(ready));
  }
  node.peer_down(NodeId{1});
  EXPECT_LE(node.next_deadline(), Time{} + 100ms);
}

// =================================================================================================
// Status and Result
// =================================================================================================

TEST(StatusTest, OkAndErrors) {
  const Status ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.code(), ErrorCode::kOk);
  EXPECT_EQ(ok.to_string(), "ok");

  const Status error{ErrorCode::kInvalidArgument, "bad index"};
  EXPECT_FALSE(error.ok());
  EXPECT_EQ(error.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.message(), "bad index");
  EXPECT_EQ(error.to_string(), std::string{to_string(ErrorCode::kInvalidArgument)} + ": bad index");
  EXPECT_EQ(error.leader_hint(), NodeId::none());

  const Status not_leader = Status::not_leader(NodeId{3});
  EXPECT_EQ(not_leader.code(), ErrorCode::kNotLeader);
  EXPECT_EQ(not_leader.leader_hint(), NodeId{3});
  EXPECT_EQ(Status::not_leader(NodeId::none()).leader_hint(), NodeId::none());

  const Status config = Status::invalid_config("voters: empty");
  EXPECT_EQ(config.code(), ErrorCode::kInvalidConfig);
  EXPECT_EQ(config.message(), "voters: empty");
  EXPECT_EQ(fmt::format("{}", config), config.to_string());
}

TEST(StatusTest, ErrorCodeNamesAreShortDistinctAndStable) {
  EXPECT_EQ(to_string(ErrorCode::kNotLeader), "not-leader");
  std::set<std::string_view> names;
  for (int code = 0; code <= static_cast<int>(ErrorCode::kCommitUnknown); ++code) {
    const std::string_view name = to_string(static_cast<ErrorCode>(code));
    EXPECT_FALSE(name.empty()) << code;
    EXPECT_EQ(name.find(' '), std::string_view::npos) << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(ErrorCode::kCommitUnknown) + 1);
}

TEST(ResultTest, HoldsValueOrError) {
  Result<int> value = 42;
  ASSERT_TRUE(value.ok());
  EXPECT_TRUE(static_cast<bool>(value));
  EXPECT_EQ(value.value(), 42);
  EXPECT_EQ(*value, 42);
  EXPECT_TRUE(value.status().ok());
  *value = 7;
  EXPECT_EQ(value.value(), 7);

  Result<std::string> text = std::string{"abc"};
  EXPECT_EQ(text->size(), 3U);
  const std::string moved = std::move(text).value();
  EXPECT_EQ(moved, "abc");

  const Result<int> error = Status{ErrorCode::kUnavailable, "index 9"};
  EXPECT_FALSE(error.ok());
  EXPECT_FALSE(static_cast<bool>(error));
  EXPECT_EQ(error.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(error.status().message(), "index 9");
}

// =================================================================================================
// Prng
// =================================================================================================

TEST(PrngTest, SameSeedSameSequenceDifferentSeedDifferentSequence) {
  Prng a{12345};
  Prng b{12345};
  Prng c{12346};
  std::size_t equal_to_c = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t x = a.next();
    EXPECT_EQ(x, b.next()) << "draw " << i;
    if (x == c.next()) ++equal_to_c;
  }
  EXPECT_EQ(equal_to_c, 0U);
}

// Pinned outputs: a change to the generator or its seeding would silently change every
// simulator trace and make recorded seeds replay differently. The value for seed 0 was computed
// once from the reference xoshiro256** seeded by splitmix64 (Vigna's C code).
TEST(PrngTest, KnownValuesAreStable) {
  Prng prng{0};
  EXPECT_EQ(prng.next(), 0x99ec5f36cb75f2b4ULL);
  EXPECT_EQ(prng.next(), 0xbf6e1f784956452aULL);
  EXPECT_EQ(prng.next(), 0x1a5f849d4933e6e0ULL);
  Prng bounded{0};
  EXPECT_EQ(bounded.uniform(1000), 601U);
  std::uint64_t state = 0;
  EXPECT_EQ(splitmix64(state), 0xe220a8397b1dcdafULL);
}

TEST(PrngTest, UniformStaysInRangeAndCoversIt) {
  Prng prng{99};
  for (const std::uint64_t bound :
       {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{3}, std::uint64_t{7}, std::uint64_t{1000},
        (std::uint64_t{1} << 63) + 1, ~std::uint64_t{0}}) {
    for (int i = 0; i < 10000; ++i) EXPECT_LT(prng.uniform(bound), bound) << "bound " << bound;
  }
  // Every value of a small bound shows up about equally often (expected 10000 each).
  std::vector<int> counts(10, 0);
  for (int i = 0; i < 100000; ++i) ++counts[prng.uniform(10)];
  for (std::size_t v = 0; v < counts.size(); ++v) {
    EXPECT_GT(counts[v], 9500) << v;
    EXPECT_LT(counts[v], 10500) << v;
  }
  for (int i = 0; i < 10000; ++i) {
    const double real = prng.uniform_real();
    EXPECT_GE(real, 0.0);
    EXPECT_LT(real, 1.0);
  }
  EXPECT_FALSE(prng.chance(0.0));
  EXPECT_TRUE(prng.chance(1.0));
}

// =================================================================================================
// Strong types, payloads, entries
// =================================================================================================

TEST(TypesTest, IndexTermAndNodeIdArithmetic) {
  EXPECT_EQ(Index{5}.next(), Index{6});
  EXPECT_EQ(Index{5}.prev(), Index{4});
  EXPECT_EQ(Index{5} + 3, Index{8});
  EXPECT_EQ(Index{5} - 3, Index{2});
  EXPECT_EQ(Index::distance(Index{2}, Index{7}), 5U);
  EXPECT_LT(Index{2}, Index{3});
  EXPECT_EQ(Term{3}.next(), Term{4});
  EXPECT_FALSE(NodeId::none().valid());
  EXPECT_TRUE(NodeId{1}.valid());
  EXPECT_EQ(fmt::format("{} {} {}", NodeId{1}, Term{2}, Index{3}), "1 2 3");
}

TEST(TypesTest, PayloadIsSharedAndComparedByContent) {
  const Payload empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.size(), 0U);
  const Payload a{"hello"};
  const Payload copy = a;
  EXPECT_EQ(copy.bytes().data(), a.bytes().data()) << "copies share the buffer";
  EXPECT_EQ(a.as_string(), "hello");
  EXPECT_EQ(a, Payload{"hello"});
  EXPECT_FALSE(a == Payload{"hellO"});
  EXPECT_EQ(entry(1, 1, "hello").size_bytes(), 5 + Entry::kHeaderBytes);
}

TEST(TypesTest, NamesForLogsAndTimelines) {
  std::set<std::string_view> roles;
  for (const Role role : {Role::kFollower, Role::kPreCandidate, Role::kCandidate, Role::kLeader}) {
    EXPECT_FALSE(to_string(role).empty());
    roles.insert(to_string(role));
  }
  EXPECT_EQ(roles.size(), 4U);
  EXPECT_FALSE(to_string(VoteDenial::kLeaderLease).empty());
  EXPECT_FALSE(to_string(RoleChangeReason::kCheckQuorum).empty());
  const Message heartbeat{NodeId{1}, NodeId{2}, Term{3}, Heartbeat{Index{4}}};
  EXPECT_EQ(message_type_name(heartbeat), "Heartbeat");
  EXPECT_NE(describe(heartbeat).find("Heartbeat"), std::string::npos) << describe(heartbeat);
  EXPECT_EQ(format_ms(Time{} + 1234500us), "1234.5");
}

// =================================================================================================
// MemoryLog
// =================================================================================================

TEST(MemoryLogTest, EmptyLog) {
  const MemoryLog log;
  EXPECT_EQ(log.first_index(), Index{1});
  EXPECT_EQ(log.last_index(), Index{0});
  EXPECT_EQ(log.hard_state(), HardState{});
  const Result<Term> zero = log.term(Index{0});
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(*zero, Term{0});
  EXPECT_EQ(log.term(Index{1}).status().code(), ErrorCode::kUnavailable);
}

TEST(MemoryLogTest, AppendAndTerm) {
  MemoryLog log;
  log.append(std::vector{entry(1, 1), entry(1, 2), entry(2, 3)});
  EXPECT_EQ(log.last_index(), Index{3});
  EXPECT_EQ(*log.term(Index{1}), Term{1});
  EXPECT_EQ(*log.term(Index{3}), Term{2});
  EXPECT_EQ(log.term(Index{4}).status().code(), ErrorCode::kUnavailable);
  log.append(std::vector{entry(2, 4)});
  EXPECT_EQ(log.last_index(), Index{4});
  log.set_hard_state(HardState{Term{2}, NodeId{1}, Index{3}});
  EXPECT_EQ(log.hard_state(), (HardState{Term{2}, NodeId{1}, Index{3}}));
}

TEST(MemoryLogTest, AppendAtOrBelowLastReplacesTheSuffix) {
  MemoryLog log;
  log.append(std::vector{entry(1, 1), entry(1, 2), entry(1, 3), entry(1, 4)});
  log.append(std::vector{entry(3, 2, "new")});
  EXPECT_EQ(log.last_index(), Index{2});
  EXPECT_EQ(*log.term(Index{2}), Term{3});
  EXPECT_EQ(log.term(Index{3}).status().code(), ErrorCode::kUnavailable);
  std::vector<Entry> out;
  ASSERT_TRUE(log.entries(Index{1}, Index{3}, SIZE_MAX, out).ok());
  EXPECT_EQ(out, (std::vector{entry(1, 1), entry(3, 2, "new")}));
}

TEST(MemoryLogTest, EntriesRespectByteLimitButReturnAtLeastOne) {
  MemoryLog log;
  // Each entry is 10 + 24 = 34 bytes.
  for (std::uint64_t i = 1; i <= 5; ++i) log.append(std::vector{entry(1, i, "0123456789")});
  struct Case {
    std::size_t bytes_max;
    std::size_t count;
  };
  for (const Case c :
       {Case{0, 1}, Case{33, 1}, Case{34, 1}, Case{67, 1}, Case{68, 2}, Case{1000, 4}}) {
    SCOPED_TRACE(c.bytes_max);
    std::vector<Entry> out;
    ASSERT_TRUE(log.entries(Index{2}, Index{6}, c.bytes_max, out).ok());
    ASSERT_EQ(out.size(), c.count);
    EXPECT_EQ(out.front().index, Index{2});
  }
  // entries() appends to what `out` already holds.
  std::vector<Entry> out{entry(9, 9)};
  ASSERT_TRUE(log.entries(Index{1}, Index{3}, SIZE_MAX, out).ok());
  EXPECT_EQ(out.size(), 3U);
}

TEST(MemoryLogTest, CompactDiscardsPrefixAndKeepsTermBeforeIt) {
  MemoryLog log;
  log.append(std::vector{entry(1, 1), entry(1, 2), entry(2, 3), entry(2, 4)});
  log.compact(Index{3});
  EXPECT_EQ(log.first_index(), Index{3});
  EXPECT_EQ(log.last_index(), Index{4});
  EXPECT_EQ(*log.term(Index{2}), Term{1}) << "the term just before the first entry is kept";
  EXPECT_EQ(log.term(Index{1}).status().code(), ErrorCode::kCompacted);
  std::vector<Entry> out;
  EXPECT_EQ(log.entries(Index{1}, Index{4}, SIZE_MAX, out).code(), ErrorCode::kCompacted);
  out.clear();
  ASSERT_TRUE(log.entries(Index{3}, Index{5}, SIZE_MAX, out).ok());
  EXPECT_EQ(out, (std::vector{entry(2, 3), entry(2, 4)}));

  // Compacting everything leaves an empty log that still knows its last term.
  log.compact(Index{5});
  EXPECT_EQ(log.first_index(), Index{5});
  EXPECT_EQ(log.last_index(), Index{4});
  EXPECT_EQ(*log.term(Index{4}), Term{2});
  log.append(std::vector{entry(3, 5)});
  EXPECT_EQ(log.last_index(), Index{5});
}

TEST(MemoryLogTest, PersistWritesHardStateAndEntriesOfAReady) {
  MemoryLog log;
  log.append(std::vector{entry(1, 1), entry(1, 2), entry(1, 3)});
  Ready ready;
  ready.hard_state = HardState{Term{2}, NodeId{2}, Index{1}};
  ready.entries = {entry(2, 3), entry(2, 4)};
  log.persist(ready);
  EXPECT_EQ(log.hard_state(), (HardState{Term{2}, NodeId{2}, Index{1}}));
  EXPECT_EQ(log.last_index(), Index{4});
  EXPECT_EQ(*log.term(Index{3}), Term{2});
  Ready nothing;
  log.persist(nothing);
  EXPECT_EQ(log.hard_state().term, Term{2}) << "a Ready without hard state keeps the old one";
}

// =================================================================================================
// Executable invariants
// =================================================================================================

NodeSnapshot snapshot(std::uint64_t term, std::uint64_t vote, std::vector<std::uint64_t> terms) {
  NodeSnapshot s;
  s.id = NodeId{1};
  s.term = Term{term};
  s.voted_for = NodeId{vote};
  s.commit = Index{terms.size()};
  for (const std::uint64_t t : terms) s.committed_terms.push_back(Term{t});
  return s;
}

TEST(InvariantsTest, CheckTransitionAcceptsLegalSteps) {
  struct Case {
    std::string name;
    NodeSnapshot before;
    NodeSnapshot after;
  };
  const std::vector<Case> cases = {
      {"nothing changed", snapshot(2, 1, {1, 2}), snapshot(2, 1, {1, 2})},
      {"vote cast in the term", snapshot(2, 0, {1}), snapshot(2, 3, {1})},
      {"new term, new vote", snapshot(2, 1, {1}), snapshot(3, 2, {1})},
      {"new term, no vote yet", snapshot(2, 1, {1}), snapshot(4, 0, {1})},
      {"commit advanced", snapshot(2, 1, {1}), snapshot(2, 1, {1, 2, 2})},
  };
  for (const Case& c : cases) {
    const Status status = check_transition(c.before, c.after);
    EXPECT_TRUE(status.ok()) << c.name << ": " << status.to_string();
  }
}

TEST(InvariantsTest, CheckTransitionCatchesViolations) {
  struct Case {
    std::string name;
    NodeSnapshot before;
    NodeSnapshot after;
  };
  NodeSnapshot rewritten = snapshot(3, 1, {1, 3});
  const std::vector<Case> cases = {
      {"term decreased", snapshot(3, 1, {1}), snapshot(2, 1, {1})},
      {"vote changed within a term", snapshot(2, 1, {1}), snapshot(2, 3, {1})},
      {"vote withdrawn within a term", snapshot(2, 1, {1}), snapshot(2, 0, {1})},
      {"commit decreased", snapshot(2, 1, {1, 2}), snapshot(2, 1, {1})},
      {"committed prefix changed", snapshot(3, 1, {1, 2}), rewritten},
      {"committed prefix changed below a larger commit", snapshot(3, 1, {1, 2}),
       snapshot(3, 1, {2, 2, 3})},
  };
  for (const Case& c : cases) {
    const Status status = check_transition(c.before, c.after);
    EXPECT_FALSE(status.ok()) << c.name << " went unnoticed";
    EXPECT_FALSE(status.message().empty()) << c.name;
  }
}

TEST(InvariantsTest, HoldForFreshNodeAndCaptureReadsIt) {
  MemoryLog log;
  log.append(std::vector{entry(1, 1), entry(2, 2)});
  log.set_hard_state(HardState{Term{2}, NodeId{1}, Index{2}});
  auto created = Node::create(valid_config(), log);
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  const Node node = std::move(created).value();
  EXPECT_TRUE(check_invariants(node).ok()) << check_invariants(node).to_string();
  EXPECT_EQ(node.term(), Term{2});
  EXPECT_EQ(node.voted_for(), NodeId{1});
  EXPECT_EQ(node.last_index(), Index{2});
  const NodeSnapshot s = capture(node);
  EXPECT_EQ(s.id, NodeId{1});
  EXPECT_EQ(s.term, Term{2});
  EXPECT_EQ(s.voted_for, NodeId{1});
  EXPECT_EQ(s.commit, node.commit_index());
  EXPECT_EQ(s.committed_terms.size(), node.commit_index().value());
}

// =================================================================================================
// Node input validation
// =================================================================================================

TEST(NodeInputTest, StepRefusesInvalidSenderAndWrongAddressee) {
  MemoryLog log;
  auto created = Node::create(valid_config(), log);
  ASSERT_TRUE(created.ok());
  Node node = std::move(created).value();
  // A sender outside our membership is accepted (it may know a newer one,
  // thesis §4); node 0 and ourselves are not senders.
  EXPECT_EQ(node.step(Message{NodeId{0}, NodeId{1}, Term{1}, Heartbeat{}}).code(),
            ErrorCode::kUnknownPeer);
  EXPECT_EQ(node.step(Message{NodeId{1}, NodeId{1}, Term{1}, Heartbeat{}}).code(),
            ErrorCode::kUnknownPeer);
  EXPECT_EQ(node.step(Message{NodeId{2}, NodeId{3}, Term{1}, Heartbeat{}}).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(node.term(), Term{0}) << "a refused message changes nothing";
}

TEST(NodeInputTest, CampaignIsRefusedOnLeader) {
  Config config;
  config.id = NodeId{1};
  config.voters = {NodeId{1}};
  config.pre_vote = false;
  MemoryLog log;
  auto created = Node::create(config, log);
  ASSERT_TRUE(created.ok());
  Node node = std::move(created).value();
  ASSERT_TRUE(node.campaign().ok());
  while (node.has_ready()) {  // Its own vote counts once persisted.
    Ready ready = node.ready();
    log.persist(ready);
    node.advance(std::move(ready));
  }
  EXPECT_EQ(node.role(), Role::kLeader) << "a single voter elects itself";
  EXPECT_FALSE(node.campaign().ok());
}

}  // namespace
}  // namespace raft
