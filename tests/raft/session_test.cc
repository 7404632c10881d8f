// SPDX-License-Identifier: Apache-2.0
// Client sessions (thesis §6.3): the session table applies each (client,
// sequence) at most once, answers retries with the saved reply, forgets what
// the client acknowledged, expires sessions by log time, and survives a
// snapshot round trip byte for byte.
#include "raft/session.h"

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "raft/prng.h"

namespace raft {
namespace {

using namespace std::chrono_literals;

Time at(Duration since_start) { return Time{} + since_start; }

SessionCommand register_at(Time time) {
  SessionCommand command;
  command.kind = SessionCommand::Kind::kRegister;
  command.timestamp = time;
  return command;
}

SessionCommand request(std::uint64_t client, std::uint64_t sequence,
                       std::uint64_t first_outstanding, Time time, std::string body) {
  return SessionCommand{
      SessionCommand::Kind::kRequest, client, sequence, first_outstanding, time, std::move(body)};
}

SessionCommand keep_alive(std::uint64_t client, std::uint64_t first_outstanding, Time time) {
  return SessionCommand{SessionCommand::Kind::kKeepAlive, client, 0, first_outstanding, time, {}};
}

/// A tiny state machine: appends each command to a log and replies with the
/// log's length, so applying a command twice gives a different reply.
struct Counter {
  std::vector<std::string> applied;
  std::string operator()(std::string_view command) {
    applied.emplace_back(command);
    return fmt::format("{}:{}", command, applied.size());
  }
};

SessionConfig config_with_timeout(Duration timeout) {
  SessionConfig config;
  config.timeout = timeout;
  return config;
}

// ---- Registration and at-most-once.

TEST(SessionTable, RegistrationUsesTheEntryIndexAsTheClientId) {
  // Thesis §6.3: RegisterClient's reply is the session id, the index of its
  // entry, unique cluster-wide and never reused.
  SessionTable table;
  Counter sm;
  const SessionResult first = table.apply(Index{7}, register_at(at(1s)), std::ref(sm));
  EXPECT_EQ(first.outcome, SessionOutcome::kRegistered);
  EXPECT_EQ(first.client, 7U);
  EXPECT_TRUE(first.ok());
  EXPECT_TRUE(table.contains(7));
  EXPECT_TRUE(sm.applied.empty()) << "registering applies nothing";
}

TEST(SessionTable, DuplicateReturnsTheSavedReplyWithoutApplyingAgain) {
  // Thesis §6.3: "If it receives a command whose serial number has already
  // been executed, it responds immediately without re-executing the request."
  SessionTable table;
  Counter sm;
  (void)table.apply(Index{1}, register_at(at(0s)), std::ref(sm));
  const SessionResult fresh = table.apply(Index{2}, request(1, 1, 1, at(1s), "x"), std::ref(sm));
  ASSERT_EQ(fresh.outcome, SessionOutcome::kApplied);
  EXPECT_EQ(fresh.reply, "x:1");
  // The retry (say, after the leader died before answering) commits again.
  const SessionResult retry = table.apply(Index{3}, request(1, 1, 1, at(2s), "x"), std::ref(sm));
  EXPECT_EQ(retry.outcome, SessionOutcome::kDuplicate);
  EXPECT_EQ(retry.reply, "x:1") << "the saved reply, not a new one";
  EXPECT_EQ(sm.applied.size(), 1U);
  EXPECT_EQ(table.saved_replies(), 1U);
}

TEST(SessionTable, OutOfOrderSequencesApplyOnceEach) {
  // Sequences are identities, not a strict counter: a pipelining client may
  // have 2 and 3 committed before 1 (e.g. 1's first copy was lost).
  SessionTable table;
  Counter sm;
  (void)table.apply(Index{1}, register_at(at(0s)), std::ref(sm));
  EXPECT_EQ(table.apply(Index{2}, request(1, 3, 1, at(1s), "c"), std::ref(sm)).outcome,
            SessionOutcome::kApplied);
  EXPECT_EQ(table.apply(Index{3}, request(1, 2, 1, at(1s), "b"), std::ref(sm)).outcome,
            SessionOutcome::kApplied);
  EXPECT_EQ(table.apply(Index{4}, request(1, 1, 1, at(1s), "a"), std::ref(sm)).outcome,
            SessionOutcome::kApplied);
  EXPECT_EQ(table.apply(Index{5}, request(1, 3, 1, at(1s), "c"), std::ref(sm)).reply, "c:1");
  EXPECT_EQ(sm.applied, (std::vector<std::string>{"c", "b", "a"}));
}

TEST(SessionTable, AcknowledgedRepliesAreDiscardedAndTheirSequencesRefused) {
  // Thesis §6.3: the client says which replies it no longer needs (its lowest
  // sequence without a response), so the table's memory stays bounded.
  SessionTable table;
  Counter sm;
  (void)table.apply(Index{1}, register_at(at(0s)), std::ref(sm));
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    (void)table.apply(Index{1 + seq}, request(1, seq, 1, at(1s), fmt::format("w{}", seq)),
                      std::ref(sm));
  }
  EXPECT_EQ(table.saved_replies(), 3U);
  // Request 4 tells the table that 1..3 were answered.
  (void)table.apply(Index{5}, request(1, 4, 4, at(2s), "w4"), std::ref(sm));
  EXPECT_EQ(table.saved_replies(), 1U);
  // A late copy of request 2 (an old retry still in the network) is refused:
  // its reply is gone and it must not run again.
  const SessionResult late = table.apply(Index{6}, request(1, 2, 1, at(2s), "w2"), std::ref(sm));
  EXPECT_EQ(late.outcome, SessionOutcome::kStale);
  EXPECT_FALSE(late.ok());
  EXPECT_EQ(sm.applied.size(), 4U);
  // A keep-alive acknowledges too.
  (void)table.apply(Index{7}, keep_alive(1, 5, at(3s)), std::ref(sm));
  EXPECT_EQ(table.saved_replies(), 0U);
}

TEST(SessionTable, RepliesPerSessionAreBounded) {
  SessionConfig config;
  config.replies_max = 2;
  SessionTable table{config};
  Counter sm;
  (void)table.apply(Index{1}, register_at(at(0s)), std::ref(sm));
  (void)table.apply(Index{2}, request(1, 1, 1, at(0s), "a"), std::ref(sm));
  (void)table.apply(Index{3}, request(1, 2, 1, at(0s), "b"), std::ref(sm));
  EXPECT_EQ(table.apply(Index{4}, request(1, 3, 1, at(0s), "c"), std::ref(sm)).outcome,
            SessionOutcome::kTooManyOutstanding);
  EXPECT_EQ(sm.applied.size(), 2U);
  // A retry of a saved one is still answered.
  EXPECT_EQ(table.apply(Index{5}, request(1, 2, 1, at(0s), "b"), std::ref(sm)).outcome,
            SessionOutcome::kDuplicate);
  // Acknowledging makes room.
  EXPECT_EQ(table.apply(Index{6}, request(1, 3, 3, at(0s), "c"), std::ref(sm)).outcome,
            SessionOutcome::kApplied);
}

// ---- Expiry by log time.

TEST(SessionTable, SessionExpiresWhenLogTimePassesItsTimeout) {
  // Thesis §6.3: expiry is decided from the leader's timestamps in the log,
  // so every replica expires the session at the same entry.
  SessionTable table{config_with_timeout(10s)};
  Counter sm;
  (void)table.apply(Index{1}, register_at(at(0s)), std::ref(sm));
  // Exactly at the timeout the session is still alive, and the request renews it.
  EXPECT_EQ(table.apply(Index{2}, request(1, 1, 1, at(10s), "a"), std::ref(sm)).outcome,
            SessionOutcome::kApplied);
  // Another client's entry moves log time past 10 s + 10 s: client 1 expires.
  (void)table.apply(Index{3}, register_at(at(20s) + 1ns), std::ref(sm));
  EXPECT_FALSE(table.contains(1));
  EXPECT_TRUE(table.contains(3));
}

TEST(SessionTable, ExpiredSessionsWriteIsRefusedNotApplied) {
  // Thesis §6.3: a client whose session expired must not have its command
  // applied: the session may have applied it already and its reply is gone.
  SessionTable table{config_with_timeout(5s)};
  Counter sm;
  (void)table.apply(Index{1}, register_at(at(0s)), std::ref(sm));
  ASSERT_EQ(table.apply(Index{2}, request(1, 1, 1, at(1s), "a"), std::ref(sm)).outcome,
            SessionOutcome::kApplied);
  // The client's retry of 1 commits long after (it was partitioned away).
  const SessionResult retry = table.apply(Index{3}, request(1, 1, 1, at(30s), "a"), std::ref(sm));
  EXPECT_EQ(retry.outcome, SessionOutcome::kSessionExpired);
  EXPECT_FALSE(retry.ok());
  EXPECT_EQ(sm.applied.size(), 1U) << "applied once, never twice";
  // Never-registered ids are refused the same way.
  EXPECT_EQ(table.apply(Index{4}, request(99, 1, 1, at(30s), "z"), std::ref(sm)).outcome,
            SessionOutcome::kSessionExpired);
  EXPECT_EQ(table.apply(Index{5}, keep_alive(1, 2, at(30s)), std::ref(sm)).outcome,
            SessionOutcome::kSessionExpired);
}

TEST(SessionTable, KeepAlivesKeepAnIdleSessionAlive) {
  SessionTable table{config_with_timeout(5s)};
  Counter sm;
  (void)table.apply(Index{1}, register_at(at(0s)), std::ref(sm));
  for (std::uint64_t i = 1; i <= 10; ++i) {
    EXPECT_EQ(table.apply(Index{1 + i}, keep_alive(1, 1, at(i * 4s)), std::ref(sm)).outcome,
              SessionOutcome::kKeptAlive);
  }
  EXPECT_TRUE(table.contains(1));
}

TEST(SessionTable, LogTimeNeverGoesBackAfterALeaderChange) {
  // A new leader whose clock is behind its predecessor's stamps an earlier
  // time; log time stays at the maximum, so nothing un-expires and the
  // decision depends on the log prefix alone.
  SessionTable table{config_with_timeout(5s)};
  Counter sm;
  (void)table.apply(Index{1}, register_at(at(0s)), std::ref(sm));
  (void)table.apply(Index{2}, register_at(at(20s)), std::ref(sm));  // Client 1 expires.
  EXPECT_EQ(table.now(), at(20s));
  // The slow-clocked leader stamps 2 s: still 20 s, client 1 stays expired,
  // and client 2's session is refreshed at 20 s, not at 2 s.
  EXPECT_EQ(table.apply(Index{3}, request(1, 1, 1, at(2s), "a"), std::ref(sm)).outcome,
            SessionOutcome::kSessionExpired);
  EXPECT_EQ(table.apply(Index{4}, request(2, 1, 1, at(2s), "b"), std::ref(sm)).outcome,
            SessionOutcome::kApplied);
  EXPECT_EQ(table.now(), at(20s));
  (void)table.apply(Index{5}, register_at(at(25s)), std::ref(sm));
  EXPECT_TRUE(table.contains(2)) << "refreshed at log time 20 s, so alive at 25 s";
}

TEST(SessionTable, SameLogGivesTheSameExpiryOnEveryReplica) {
  // Two replicas apply one log, at different (wall-clock) moments: the table
  // has no clock of its own, so their tables are byte-identical throughout.
  std::vector<std::pair<Index, SessionCommand>> log;
  log.emplace_back(Index{1}, register_at(at(0s)));
  log.emplace_back(Index{2}, register_at(at(3s)));
  log.emplace_back(Index{3}, request(2, 1, 1, at(7s), "a"));
  log.emplace_back(Index{4}, request(1, 1, 1, at(12s), "b"));  // Expired by then.
  log.emplace_back(Index{5}, request(2, 2, 2, at(13s), "c"));
  SessionTable first{config_with_timeout(6s)};
  SessionTable second{config_with_timeout(6s)};
  Counter sm1;
  Counter sm2;
  for (const auto& [index, command] : log) {
    EXPECT_EQ(first.apply(index, command, std::ref(sm1)).outcome,
              second.apply(index, command, std::ref(sm2)).outcome);
    EXPECT_EQ(first.encode(), second.encode());
  }
  EXPECT_FALSE(first.contains(1));
  EXPECT_EQ(sm1.applied, (std::vector<std::string>{"a", "c"}));
}

TEST(SessionTable, SessionsMaxEvictsTheLeastRecentlyActive) {
  SessionConfig config;
  config.sessions_max = 2;
  SessionTable table{config};
  Counter sm;
  (void)table.apply(Index{1}, register_at(at(0s)), std::ref(sm));
  (void)table.apply(Index{2}, register_at(at(1s)), std::ref(sm));
  (void)table.apply(Index{3}, keep_alive(1, 1, at(2s)), std::ref(sm));  // 2 is now the oldest.
  (void)table.apply(Index{4}, register_at(at(3s)), std::ref(sm));
  EXPECT_TRUE(table.contains(1));
  EXPECT_FALSE(table.contains(2));
  EXPECT_TRUE(table.contains(4));
}

// ---- Encoding.

TEST(SessionCommand, EncodeDecodeRoundTrip) {
  for (const SessionCommand& command :
       {register_at(at(5s)), request(9, 4, 2, at(123ms), std::string("a\0b", 3)),
        keep_alive(9, 5, at(1h))}) {
    const Result<SessionCommand> decoded = SessionCommand::decode(command.encode());
    ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
    EXPECT_EQ(*decoded, command);
  }
}

TEST(SessionCommand, MalformedBytesAreRejectedAsCorruption) {
  const std::vector<std::byte> good = request(9, 4, 2, at(1s), "abc").encode();
  const auto expect_corrupt = [](std::vector<std::byte> bytes, std::string_view what) {
    const Result<SessionCommand> decoded = SessionCommand::decode(bytes);
    ASSERT_FALSE(decoded.ok()) << what;
    EXPECT_EQ(decoded.status().code(), ErrorCode::kCorruption) << what;
    EXPECT_NE(decoded.status().message().find("session command"), std::string::npos) << what;
  };
  expect_corrupt({}, "empty");
  for (std::size_t size = 1; size < good.size(); ++size) {
    expect_corrupt({good.begin(), good.begin() + static_cast<std::ptrdiff_t>(size)}, "truncated");
  }
  std::vector<std::byte> bytes = good;
  bytes.push_back(std::byte{0});
  expect_corrupt(bytes, "trailing");
  bytes = good;
  bytes[0] = std::byte{2};
  expect_corrupt(bytes, "version");
  bytes = good;
  bytes[1] = std::byte{0};
  expect_corrupt(bytes, "kind 0");
  bytes[1] = std::byte{4};
  expect_corrupt(bytes, "kind 4");
  expect_corrupt(request(0, 1, 1, at(0s), "x").encode(), "client 0");
  expect_corrupt(request(1, 0, 0, at(0s), "x").encode(), "sequence 0");
  expect_corrupt(request(1, 3, 4, at(0s), "x").encode(), "first outstanding above sequence");
  SessionCommand bad_register = register_at(at(0s));
  bad_register.client = 3;
  expect_corrupt(bad_register.encode(), "register with a client");
  SessionCommand bad_keep_alive = keep_alive(1, 1, at(0s));
  bad_keep_alive.command = "x";
  expect_corrupt(bad_keep_alive.encode(), "keep-alive with a command");
}

TEST(SessionTable, SnapshotRoundTripKeepsSessionsRepliesAndLogTime) {
  SessionTable table{config_with_timeout(10s)};
  Counter sm;
  (void)table.apply(Index{1}, register_at(at(0s)), std::ref(sm));
  (void)table.apply(Index{2}, register_at(at(1s)), std::ref(sm));
  (void)table.apply(Index{3}, request(1, 1, 1, at(2s), "a"), std::ref(sm));
  (void)table.apply(Index{4}, request(2, 5, 3, at(3s), "b"), std::ref(sm));
  const std::vector<std::byte> bytes = table.encode();
  Result<SessionTable> restored = SessionTable::decode(bytes, config_with_timeout(10s));
  ASSERT_TRUE(restored.ok()) << restored.status().to_string();
  EXPECT_EQ(*restored, table);
  EXPECT_EQ(restored->encode(), bytes);
  EXPECT_EQ(restored->now(), at(3s));
  // The restored replica answers a retry from the saved reply, as the others do.
  Counter other;
  const SessionResult retry =
      restored->apply(Index{5}, request(1, 1, 1, at(4s), "a"), std::ref(other));
  EXPECT_EQ(retry.outcome, SessionOutcome::kDuplicate);
  EXPECT_EQ(retry.reply, "a:1");
  EXPECT_TRUE(other.applied.empty());
  // And expires on the same schedule (client 2 last active at 3 s).
  (void)restored->apply(Index{6}, keep_alive(1, 1, at(13s) + 1ns), std::ref(other));
  EXPECT_FALSE(restored->contains(2));
}

TEST(SessionTable, MalformedSnapshotIsRejectedAsCorruption) {
  SessionTable table;
  Counter sm;
  (void)table.apply(Index{1}, register_at(at(0s)), std::ref(sm));
  (void)table.apply(Index{2}, request(1, 1, 1, at(2s), "a"), std::ref(sm));
  const std::vector<std::byte> good = table.encode();
  for (std::size_t size = 0; size < good.size(); ++size) {
    const Result<SessionTable> decoded = SessionTable::decode({good.data(), size});
    ASSERT_FALSE(decoded.ok()) << "truncated to " << size;
    EXPECT_EQ(decoded.status().code(), ErrorCode::kCorruption);
  }
  std::vector<std::byte> bytes = good;
  bytes.push_back(std::byte{0});
  EXPECT_EQ(SessionTable::decode(bytes).status().code(), ErrorCode::kCorruption);
  bytes = good;
  bytes[0] = std::byte{9};
  EXPECT_NE(SessionTable::decode(bytes).status().message().find("version 9"), std::string::npos);
  // A session count far beyond what the bytes can hold is refused before
  // anything is allocated for it.
  bytes = good;
  bytes[9] = bytes[10] = bytes[11] = bytes[12] = std::byte{0xFF};
  EXPECT_EQ(SessionTable::decode(bytes).status().code(), ErrorCode::kCorruption);
}

// ---- Property: any retry pattern applies each command exactly once.

std::uint64_t seed_count() {
  const char* env = std::getenv("RAFT_SEED_COUNT");  // NOLINT: test configuration
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 300;
}

/// One client with up to `window` commands outstanding; each step proposes
/// a copy of an outstanding command (a first try or a retry, carrying the
/// first_outstanding the client had when it sent it), delivers an old copy
/// late, or lets the log commit a batch. Replies that reach the client
/// complete the command. Returns "" or what went wrong. `bypass` applies
/// every committed copy straight to the state machine (no session table), to
/// show that the check catches double applies.
std::string run_retry_pattern(std::uint64_t seed, bool bypass = false) {
  Prng prng{seed};
  SessionTable table{config_with_timeout(1h)};
  SessionTable replica{config_with_timeout(1h)};
  Counter sm;
  Counter replica_sm;
  std::uint64_t index = 0;
  Time time{};
  std::vector<std::pair<Index, SessionCommand>> log;
  const auto commit = [&](SessionCommand command) {
    ++index;
    time += Duration{static_cast<Duration::rep>(prng.uniform(1'000'000'000))};
    command.timestamp = time;
    log.emplace_back(Index{index}, command);
    if (bypass && command.kind == SessionCommand::Kind::kRequest) {
      return SessionResult{SessionOutcome::kApplied, command.client, sm(command.command)};
    }
    return table.apply(Index{index}, command, std::ref(sm));
  };
  const std::uint64_t client = commit(register_at(time)).client;
  const std::uint64_t commands = 1 + prng.uniform(40);
  const std::uint64_t window = 1 + prng.uniform(4);
  std::map<std::uint64_t, std::string> answered;  // sequence -> reply the client took
  std::vector<SessionCommand> in_flight;          // copies the network still holds
  std::uint64_t next = 1;
  for (int step = 0; step < 10'000 && answered.size() < commands; ++step) {
    std::uint64_t first_outstanding = next;
    for (std::uint64_t s = 1; s < next; ++s) {
      if (!answered.contains(s)) {
        first_outstanding = s;
        break;
      }
    }
    const std::uint64_t roll = prng.uniform(10);
    if (roll < 4 && next <= commands && next - first_outstanding < window) {
      in_flight.push_back(request(client, next, first_outstanding, {}, fmt::format("c{}", next)));
      ++next;
    } else if (roll < 7 && first_outstanding < next) {
      // A retry of an unanswered command, with the same sequence.
      std::uint64_t s = first_outstanding + prng.uniform(next - first_outstanding);
      while (answered.contains(s)) ++s;
      if (s < next) {
        in_flight.push_back(request(client, s, first_outstanding, {}, fmt::format("c{}", s)));
      }
    } else if (!in_flight.empty()) {
      // Some copy commits (any of them: the network reorders), or is lost.
      const std::size_t pick = prng.uniform(in_flight.size());
      const SessionCommand copy = in_flight[pick];
      in_flight.erase(in_flight.begin() + static_cast<std::ptrdiff_t>(pick));
      if (prng.chance(0.2)) continue;  // Lost before the leader.
      const SessionResult result = commit(copy);
      if (result.outcome == SessionOutcome::kStale) continue;  // Nobody waits for it.
      if (!result.ok())
        return fmt::format("sequence {} refused: {}", copy.sequence, to_string(result.outcome));
      if (prng.chance(0.3)) continue;  // The reply is lost: the client will retry.
      const auto [it, inserted] = answered.emplace(copy.sequence, result.reply);
      if (!inserted && it->second != result.reply) {
        return fmt::format("sequence {} answered '{}' then '{}'", copy.sequence, it->second,
                           result.reply);
      }
    }
  }
  if (answered.size() != commands) return "the client never finished (test bug)";
  std::map<std::string, int> times;
  for (const std::string& command : sm.applied) ++times[command];
  for (std::uint64_t s = 1; s <= commands; ++s) {
    const int n = times[fmt::format("c{}", s)];
    if (n != 1) return fmt::format("sequence {} applied {} times", s, n);
  }
  // A second replica replaying the log, through a snapshot half-way, ends
  // byte-identical.
  for (std::size_t i = 0; i < log.size(); ++i) {
    if (i == log.size() / 2) {
      Result<SessionTable> restored = SessionTable::decode(replica.encode(), replica.config());
      if (!restored.ok()) return restored.status().to_string();
      replica = std::move(*restored);
    }
    (void)replica.apply(log[i].first, log[i].second, std::ref(replica_sm));
  }
  if (replica.encode() != table.encode()) return "a replica replaying the log diverged";
  return {};
}

TEST(SessionProperty, AnyRetryPatternAppliesEachCommandExactlyOnce) {
  const char* one = std::getenv("RAFT_SEED");  // NOLINT: test configuration
  const std::uint64_t first = one != nullptr ? std::strtoull(one, nullptr, 10) : 1;
  const std::uint64_t count = one != nullptr ? 1 : seed_count();
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    const std::string failure = run_retry_pattern(seed);
    ASSERT_TRUE(failure.empty()) << "seed=" << seed << ": " << failure
                                 << "\nreplay: RAFT_SEED=" << seed
                                 << " ./tests/raft_session_test "
                                    "--gtest_filter=SessionProperty.*";
  }
}

// The property can fail: without the table, the same retry patterns apply
// some command twice (or answer one retry differently from another).
TEST(SessionProperty, WithoutTheTableSomeRetryPatternAppliesTwice) {
  std::uint64_t failing = 0;
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    if (!run_retry_pattern(seed, /*bypass=*/true).empty()) ++failing;
  }
  EXPECT_GT(failing, 25U);
}

}  // namespace
}  // namespace raft
