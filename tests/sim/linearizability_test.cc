// SPDX-License-Identifier: Apache-2.0
// The linearizability checker on hand-built register histories, and on random
// histories recorded from a simulated register (accepted), then corrupted
// (rejected).
//
// Replay one seed of the randomized tests, or sweep more:
//   RAFT_SEED=17 ./build/release/tests/sim_linearizability_test --gtest_filter=*Random*
//   RAFT_SEED_COUNT=2000 ./build/release/tests/sim_linearizability_test --gtest_filter=*Random*
#include "raft/sim/linearizability.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "raft/prng.h"
#include "raft/sim/history.h"
#include "raft/types.h"

namespace raft::sim {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Verdict = LinearizabilityResult::Verdict;

constexpr OpOutcome kOk = OpOutcome::kOk;
constexpr OpOutcome kFail = OpOutcome::kFail;
constexpr OpOutcome kUnknown = OpOutcome::kUnknown;

Time at_ms(std::int64_t ms) { return Time{std::chrono::milliseconds{ms}}; }

/// Builds a history by hand; ids count from 1 in the order ops are added.
class HistoryBuilder {
 public:
  HistoryBuilder& write(std::uint32_t client, const std::string& key, const std::string& value,
                        std::int64_t invoke_ms, std::int64_t complete_ms, OpOutcome outcome = kOk) {
    return add(client, OpKind::kWrite, key, value, invoke_ms, complete_ms, outcome);
  }
  HistoryBuilder& read(std::uint32_t client, const std::string& key, const std::string& value,
                       std::int64_t invoke_ms, std::int64_t complete_ms, OpOutcome outcome = kOk) {
    return add(client, OpKind::kRead, key, value, invoke_ms, complete_ms, outcome);
  }
  [[nodiscard]] const History& history() const { return history_; }

 private:
  HistoryBuilder& add(std::uint32_t client, OpKind kind, const std::string& key,
                      const std::string& value, std::int64_t invoke_ms, std::int64_t complete_ms,
                      OpOutcome outcome) {
    history_.push_back(Operation{.id = history_.size() + 1,
                                 .client = client,
                                 .kind = kind,
                                 .key = key,
                                 .value = value,
                                 .invoke = at_ms(invoke_ms),
                                 .complete = at_ms(complete_ms),
                                 .outcome = outcome});
    return *this;
  }
  History history_;
};

Verdict verdict_of(const History& history, const LinearizabilityOptions& options = {}) {
  return check_linearizability(history, options).verdict;
}

// ---------------------------------------------------------------------------
// Hand-built histories.

TEST(Linearizability, EmptyHistoryIsLinearizable) {
  const LinearizabilityResult result = check_linearizability({});
  EXPECT_EQ(result.verdict, Verdict::kLinearizable);
  EXPECT_EQ(result.key, "");
  EXPECT_EQ(result.explanation, "");
  EXPECT_EQ(result.steps, 0U);
}

TEST(Linearizability, ReadOfUnwrittenKeyReturnsEmptyValue) {
  EXPECT_EQ(verdict_of(HistoryBuilder{}.read(1, "x", "", 0, 10).history()), Verdict::kLinearizable);
}

TEST(Linearizability, SequentialWriteThenReadIsLinearizable) {
  HistoryBuilder builder;
  builder.write(1, "x", "a", 0, 10).read(2, "x", "a", 20, 30).write(1, "x", "b", 40, 50);
  builder.read(2, "x", "b", 60, 70);
  const LinearizabilityResult result = check_linearizability(builder.history());
  EXPECT_EQ(result.verdict, Verdict::kLinearizable) << result.explanation;
  EXPECT_GT(result.steps, 0U);
}

TEST(Linearizability, StaleReadAfterAcknowledgedWriteIsNotLinearizable) {
  HistoryBuilder builder;
  builder.write(1, "x", "a", 0, 10).write(1, "x", "b", 20, 30).read(2, "x", "a", 40, 50);
  const LinearizabilityResult result = check_linearizability(builder.history());
  ASSERT_EQ(result.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(result.key, "x");
  // The explanation names the key and every op of the contradiction, one a
  // line, with client, kind, value, times in ms and outcome.
  EXPECT_THAT(result.explanation, HasSubstr("key \"x\""));
  EXPECT_THAT(result.explanation,
              HasSubstr("op 1: client 1 write \"a\", invoke 0.0 ms, complete 10.0 ms, ok\n"));
  EXPECT_THAT(result.explanation,
              HasSubstr("op 2: client 1 write \"b\", invoke 20.0 ms, complete 30.0 ms, ok\n"));
  EXPECT_THAT(result.explanation,
              HasSubstr("op 3: client 2 read -> \"a\", invoke 40.0 ms, complete 50.0 ms, ok\n"));
}

TEST(Linearizability, ConcurrentWriteAndReadMaySeeEitherValue) {
  for (const std::string seen : {"", "a"}) {
    SCOPED_TRACE("read returns \"" + seen + "\"");
    HistoryBuilder builder;
    builder.write(1, "x", "a", 0, 100).read(2, "x", seen, 10, 20);
    EXPECT_EQ(verdict_of(builder.history()), Verdict::kLinearizable);
  }
}

TEST(Linearizability, ConcurrentWritesMayLandInEitherOrder) {
  for (const std::string last : {"a", "b"}) {
    SCOPED_TRACE("last value " + last);
    HistoryBuilder builder;
    builder.write(1, "x", "a", 0, 100).write(2, "x", "b", 10, 90).read(3, "x", last, 200, 210);
    EXPECT_EQ(verdict_of(builder.history()), Verdict::kLinearizable);
  }
}

TEST(Linearizability, OpsTouchingAtOneInstantCountAsConcurrent) {
  // The write completes at the very instant the read is invoked: either order
  // is allowed, so the checker never blames equal timestamps.
  HistoryBuilder builder;
  builder.write(1, "x", "a", 0, 10).read(2, "x", "", 10, 20);
  EXPECT_EQ(verdict_of(builder.history()), Verdict::kLinearizable);
}

TEST(Linearizability, ReadOfValueNeverWrittenIsNotLinearizable) {
  HistoryBuilder builder;
  builder.write(1, "x", "a", 0, 10).read(2, "x", "zzz", 20, 30);
  const LinearizabilityResult result = check_linearizability(builder.history());
  ASSERT_EQ(result.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(result.key, "x");
  EXPECT_THAT(result.explanation,
              HasSubstr("op 2 returned \"zzz\", which no write on the key set"));
  // The window is the read alone: the write has nothing to do with it.
  EXPECT_THAT(result.explanation, Not(HasSubstr("op 1:")));
}

TEST(Linearizability, UnknownWriteMayHaveTakenEffect) {
  HistoryBuilder seen;
  seen.write(1, "x", "a", 0, 10, kUnknown).read(2, "x", "a", 20, 30);
  EXPECT_EQ(verdict_of(seen.history()), Verdict::kLinearizable);

  HistoryBuilder not_seen;
  not_seen.write(1, "x", "a", 0, 10, kUnknown).read(2, "x", "", 20, 30);
  EXPECT_EQ(verdict_of(not_seen.history()), Verdict::kLinearizable);
}

TEST(Linearizability, UnknownWriteMayTakeEffectAfterTheClientGaveUp) {
  // The client gave up at 10 ms, yet the write lands between the two reads.
  HistoryBuilder builder;
  builder.write(1, "x", "a", 0, 10, kUnknown).read(2, "x", "", 20, 30).read(2, "x", "a", 40, 50);
  EXPECT_EQ(verdict_of(builder.history()), Verdict::kLinearizable);
}

TEST(Linearizability, UnknownWriteCannotTakeEffectBeforeItsInvocation) {
  HistoryBuilder builder;
  builder.read(2, "x", "a", 0, 10).write(1, "x", "a", 20, 30, kUnknown);
  const LinearizabilityResult result = check_linearizability(builder.history());
  ASSERT_EQ(result.verdict, Verdict::kNotLinearizable);
  EXPECT_THAT(result.explanation,
              HasSubstr("every write of it was invoked after the read completed"));
}

TEST(Linearizability, UnknownWriteTakesEffectAtMostOnce) {
  // a, then b, then a again would need the unknown write of a to happen twice.
  HistoryBuilder builder;
  builder.write(1, "x", "a", 0, 10, kUnknown).read(2, "x", "a", 20, 30);
  builder.write(3, "x", "b", 40, 50).read(2, "x", "a", 60, 70);
  EXPECT_EQ(verdict_of(builder.history()), Verdict::kNotLinearizable);
}

TEST(Linearizability, UnknownWritesOfARepeatedValueMayEachBeSkipped) {
  // Two unknown writes of "a" (the general path: neither is forced to apply).
  // "a" is read before and after "b": one write of "a" lands before 18 ms,
  // the other after "b" was read, long after its client gave up.
  HistoryBuilder builder;
  builder.write(1, "x", "a", 0, 10, kUnknown).write(2, "x", "a", 0, 10, kUnknown);
  builder.read(4, "x", "a", 12, 18);
  builder.write(3, "x", "b", 20, 30).read(4, "x", "b", 40, 50).read(4, "x", "a", 60, 70);
  EXPECT_EQ(verdict_of(builder.history()), Verdict::kLinearizable);
  // "a" read again after "c" would need a third write of it.
  builder.write(3, "x", "c", 80, 90).read(4, "x", "c", 100, 110).read(4, "x", "a", 120, 130);
  EXPECT_EQ(verdict_of(builder.history()), Verdict::kNotLinearizable);
}

TEST(Linearizability, UnknownReadConstrainsNothing) {
  HistoryBuilder builder;
  builder.write(1, "x", "a", 0, 10).read(2, "x", "garbage", 20, 30, kUnknown);
  builder.read(2, "x", "garbage", 40, 50, kFail);
  EXPECT_EQ(verdict_of(builder.history()), Verdict::kLinearizable);
}

TEST(Linearizability, FailedWriteNeverTookEffect) {
  HistoryBuilder builder;
  builder.write(1, "x", "a", 0, 10, kFail).read(2, "x", "a", 20, 30);
  const LinearizabilityResult result = check_linearizability(builder.history());
  ASSERT_EQ(result.verdict, Verdict::kNotLinearizable);
  EXPECT_THAT(result.explanation, HasSubstr("1 failed write(s) of it never took effect"));

  HistoryBuilder not_seen;
  not_seen.write(1, "x", "a", 0, 10, kFail).read(2, "x", "", 20, 30);
  EXPECT_EQ(verdict_of(not_seen.history()), Verdict::kLinearizable);
}

TEST(Linearizability, KeysAreIndependent) {
  // Per key the history is fine; as one register it would not be.
  HistoryBuilder builder;
  builder.write(1, "x", "a", 0, 10).write(2, "y", "b", 5, 15).read(3, "x", "a", 20, 30);
  builder.read(3, "y", "b", 25, 35).read(1, "z", "", 40, 50);
  EXPECT_EQ(verdict_of(builder.history()), Verdict::kLinearizable);

  // A violation on "y" is reported under "y" and does not mention "x".
  builder.write(1, "y", "c", 60, 70).read(2, "y", "b", 80, 90);
  const LinearizabilityResult result = check_linearizability(builder.history());
  ASSERT_EQ(result.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(result.key, "y");
  EXPECT_THAT(result.explanation, HasSubstr("key \"y\""));
  EXPECT_THAT(result.explanation, Not(HasSubstr("key \"x\"")));
}

TEST(Linearizability, ReadSeesNewValueThenLaterReadSeesOldValue) {
  // The write of b is slow and concurrent with both reads, but once a read
  // has seen b, a later read may not see a again.
  HistoryBuilder builder;
  builder.write(1, "x", "a", 0, 10).write(1, "x", "b", 20, 100);
  builder.read(2, "x", "b", 30, 40).read(3, "x", "a", 50, 60);
  const LinearizabilityResult result = check_linearizability(builder.history());
  ASSERT_EQ(result.verdict, Verdict::kNotLinearizable);
  EXPECT_THAT(result.explanation, HasSubstr("op 3: client 2 read -> \"b\""));
  EXPECT_THAT(result.explanation, HasSubstr("op 4: client 3 read -> \"a\""));

  // With the reads the other way round it is fine.
  HistoryBuilder swapped;
  swapped.write(1, "x", "a", 0, 10).write(1, "x", "b", 20, 100);
  swapped.read(2, "x", "a", 30, 40).read(3, "x", "b", 50, 60);
  EXPECT_EQ(verdict_of(swapped.history()), Verdict::kLinearizable);
}

TEST(Linearizability, ExplanationNarrowsToTheContradiction) {
  // 300 sequential ops, one stale read in the middle: the explanation shows
  // the 4 ops of the contradiction (an earlier read of v49, the write and a
  // read of v50, the stale read of v49), not the other 296.
  HistoryBuilder builder;
  std::int64_t t = 0;
  for (int i = 0; i < 100; ++i) {
    const std::string value = fmt::format("v{}", i);
    builder.write(1, "x", value, t, t + 5).read(2, "x", value, t + 10, t + 15);
    builder.read(3, "x", i == 50 ? "v49" : value, t + 20, t + 25);
    t += 30;
  }
  const LinearizabilityResult result = check_linearizability(builder.history());
  ASSERT_EQ(result.verdict, Verdict::kNotLinearizable);
  EXPECT_THAT(result.explanation, HasSubstr("the first 153 of its 300 operations"));
  EXPECT_THAT(result.explanation, HasSubstr("These 4 cannot be linearized together"));
  EXPECT_THAT(result.explanation, HasSubstr("op 150: client 3 read -> \"v49\""));
  EXPECT_THAT(result.explanation, HasSubstr("op 151: client 1 write \"v50\""));
  EXPECT_THAT(result.explanation, HasSubstr("op 152: client 2 read -> \"v50\""));
  EXPECT_THAT(result.explanation, HasSubstr("op 153: client 3 read -> \"v49\""));
  EXPECT_THAT(result.explanation, Not(HasSubstr("op 149:")));
}

/// n writes of distinct values, all concurrent, then a read of "" after all of
/// them: not linearizable, but the search must try every subset of the writes
/// (about n * 2^n configurations) before it can say so.
History hard_history(int writes) {
  HistoryBuilder builder;
  for (int i = 0; i < writes; ++i) {
    builder.write(static_cast<std::uint32_t>(i), "hard", fmt::format("v{}", i), i, 1000 + i);
  }
  builder.read(99, "hard", "", 2000, 2010);
  return builder.history();
}

TEST(Linearizability, StepBudgetExhaustionGivesUnknown) {
  const LinearizabilityResult result =
      check_linearizability(hard_history(20), LinearizabilityOptions{.steps_max_per_key = 1000});
  EXPECT_EQ(result.verdict, Verdict::kUnknown);
  EXPECT_EQ(result.key, "hard");
  EXPECT_EQ(result.steps, 1000U);
  EXPECT_THAT(result.explanation, HasSubstr("key \"hard\""));
  EXPECT_THAT(result.explanation, HasSubstr("steps_max_per_key = 1000"));

  // With enough budget a smaller instance is decided.
  EXPECT_EQ(verdict_of(hard_history(10)), Verdict::kNotLinearizable);
}

TEST(Linearizability, ViolationOutranksAnEarlierUnknownKey) {
  History history = hard_history(20);  // key "hard" sorts before "x"
  HistoryBuilder builder;
  builder.write(1, "x", "a", 0, 10).read(2, "x", "b", 20, 30);
  history.insert(history.end(), builder.history().begin(), builder.history().end());
  const LinearizabilityResult result =
      check_linearizability(history, LinearizabilityOptions{.steps_max_per_key = 1000});
  EXPECT_EQ(result.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(result.key, "x");
}

TEST(Linearizability, VerdictNames) {
  EXPECT_STREQ(to_string(Verdict::kLinearizable), "linearizable");
  EXPECT_STREQ(to_string(Verdict::kNotLinearizable), "not linearizable");
  EXPECT_STREQ(to_string(Verdict::kUnknown), "unknown");
}

// ---------------------------------------------------------------------------
// Randomized: histories recorded from a real register.

struct GeneratorOptions {
  std::uint32_t clients = 5;
  std::size_t ops = 300;
  std::uint32_t keys = 3;
  double read_ratio = 0.5;
  double fail_ratio = 0.05;
  double unknown_ratio = 0.05;
  /// 0: every write has a value of its own; otherwise values come from this many.
  std::uint32_t values = 0;
};

/// The moment an op took effect on the simulated register, if it did.
struct Recorded {
  Operation op;
  std::optional<std::int64_t> effect_us;
};

/// Each client runs ops back to back on random keys; each op takes effect at a
/// random instant of its interval (an unknown op at any instant after its
/// invocation, or never; a failed op never). Replaying the effects in time
/// order on one register per key gives the reads' values, so the history is
/// linearizable by construction.
History generate(std::uint64_t seed, const GeneratorOptions& options) {
  Prng prng(seed);
  std::vector<Recorded> recorded;
  std::vector<std::int64_t> clock_us(options.clients, 0);
  for (std::size_t i = 0; i < options.ops; ++i) {
    // The client that is free first goes next, so the clients overlap.
    const auto client = static_cast<std::uint32_t>(
        std::min_element(clock_us.begin(), clock_us.end()) - clock_us.begin());
    const auto invoke = clock_us[client] + static_cast<std::int64_t>(prng.uniform(50));
    const auto complete = invoke + 1 + static_cast<std::int64_t>(prng.uniform(400));
    clock_us[client] = complete;
    Recorded r;
    r.op.id = i + 1;
    r.op.client = client;
    r.op.kind = prng.chance(options.read_ratio) ? OpKind::kRead : OpKind::kWrite;
    r.op.key = fmt::format("k{}", prng.uniform(options.keys));
    r.op.invoke = Time{std::chrono::microseconds{invoke}};
    r.op.complete = Time{std::chrono::microseconds{complete}};
    const double outcome = prng.uniform_real();
    r.op.outcome = outcome < options.fail_ratio                           ? kFail
                   : outcome < options.fail_ratio + options.unknown_ratio ? kUnknown
                                                                          : kOk;
    if (r.op.kind == OpKind::kWrite) {
      r.op.value = options.values == 0 ? fmt::format("w{}", i)
                                       : fmt::format("w{}", prng.uniform(options.values));
    }
    const auto span = static_cast<std::uint64_t>(complete - invoke + 1);
    if (r.op.outcome == kOk) {
      r.effect_us = invoke + static_cast<std::int64_t>(prng.uniform(span));
    } else if (r.op.outcome == kUnknown && prng.chance(0.5)) {
      r.effect_us = invoke + static_cast<std::int64_t>(prng.uniform(3 * span));
    }
    recorded.push_back(std::move(r));
  }
  std::vector<Recorded*> effects;
  for (Recorded& r : recorded) {
    if (r.effect_us) effects.push_back(&r);
  }
  std::stable_sort(effects.begin(), effects.end(), [](const Recorded* a, const Recorded* b) {
    return *a->effect_us < *b->effect_us;
  });
  std::map<std::string, std::string> registers;
  for (Recorded* r : effects) {
    if (r->op.kind == OpKind::kWrite) {
      registers[r->op.key] = r->op.value;
    } else if (r->op.outcome == kOk) {
      r->op.value = registers[r->op.key];
    }
  }
  History history;
  for (Recorded& r : recorded) {
    // Reads that did not succeed carry junk the checker must ignore.
    if (r.op.kind == OpKind::kRead && r.op.outcome != kOk) r.op.value = "junk";
    history.push_back(std::move(r.op));
  }
  return history;
}

/// Makes one acknowledged read return a value that is written only after the
/// read completed (values are unique): no linearization can exist. Returns the
/// id of the corrupted read, or nothing when the history has no such pair.
std::optional<std::uint64_t> corrupt_with_future_value(History& history) {
  for (Operation& read : history) {
    if (read.kind != OpKind::kRead || read.outcome != kOk) continue;
    for (const Operation& write : history) {
      if (write.kind == OpKind::kWrite && write.outcome != kFail && write.key == read.key &&
          write.invoke > read.complete && write.value != read.value) {
        read.value = write.value;
        return read.id;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::uint64_t> env_u64(const char* name) {
  const char* text = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read once, single thread
  if (text == nullptr || *text == '\0') return std::nullopt;
  char* end = nullptr;
  const std::uint64_t value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0') {
    ADD_FAILURE() << name << "='" << text << "' is not a number";
    return std::nullopt;
  }
  return value;
}

std::vector<std::uint64_t> seeds(std::uint64_t count_default) {
  std::uint64_t begin = env_u64("RAFT_SEED_BEGIN").value_or(1);
  std::uint64_t count = env_u64("RAFT_SEED_COUNT").value_or(count_default);
  if (const auto seed = env_u64("RAFT_SEED")) {
    begin = *seed;
    count = 1;
  }
  std::vector<std::uint64_t> out;
  for (std::uint64_t seed = begin; seed < begin + count; ++seed) out.push_back(seed);
  return out;
}

std::string replay(std::uint64_t seed) {
  return fmt::format(
      "seed={0} (replay: RAFT_SEED={0} ./build/release/tests/sim_linearizability_test "
      "--gtest_filter=LinearizabilityRandom.*)",
      seed);
}

TEST(LinearizabilityRandom, RecordedHistoriesAreAcceptedAndCorruptionsRejected) {
  for (const std::uint64_t seed : seeds(200)) {
    SCOPED_TRACE(replay(seed));
    History history = generate(seed, GeneratorOptions{});
    const LinearizabilityResult accepted = check_linearizability(history);
    ASSERT_EQ(accepted.verdict, Verdict::kLinearizable) << accepted.explanation;

    const std::optional<std::uint64_t> corrupted = corrupt_with_future_value(history);
    ASSERT_TRUE(corrupted.has_value());
    const LinearizabilityResult rejected = check_linearizability(history);
    ASSERT_EQ(rejected.verdict, Verdict::kNotLinearizable);
    EXPECT_THAT(rejected.explanation, HasSubstr(fmt::format("op {}:", *corrupted)));
    // Deterministic: the same history gives the same answer and step count.
    const LinearizabilityResult again = check_linearizability(history);
    EXPECT_EQ(again.steps, rejected.steps);
    EXPECT_EQ(again.explanation, rejected.explanation);
  }
}

TEST(LinearizabilityRandom, RepeatedValuesAndManyUnknownsAreAccepted) {
  // Few distinct values: unknown writes cannot be pinned down by their value,
  // so the search really has to decide whether each took effect.
  for (const std::uint64_t seed : seeds(200)) {
    SCOPED_TRACE(replay(seed));
    const History history =
        generate(seed, GeneratorOptions{.ops = 200, .keys = 2, .unknown_ratio = 0.15, .values = 3});
    const LinearizabilityResult result = check_linearizability(history);
    ASSERT_EQ(result.verdict, Verdict::kLinearizable) << result.explanation;
  }
}

/// The definition, by brute force, for a single-key history of a few ops: is
/// there an order of all acknowledged ops and some unknown writes, extending
/// real time (a before b when a completed before b was invoked; an unknown
/// write never completes), in which every read returns the latest write?
bool linearizable_by_brute_force(const History& history) {
  std::vector<const Operation*> ops;
  for (const Operation& op : history) {
    if (op.outcome == kFail) continue;
    if (op.kind == OpKind::kRead && op.outcome != kOk) continue;
    ops.push_back(&op);
  }
  std::vector<bool> placed(ops.size(), false);
  const auto search = [&](const auto& self, const std::string& value) -> bool {
    bool done = true;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (!placed[i] && ops[i]->outcome == kOk) done = false;
    }
    if (done) return true;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (placed[i]) continue;
      bool blocked = false;
      for (std::size_t j = 0; j < ops.size(); ++j) {
        if (!placed[j] && ops[j]->outcome == kOk && ops[j]->complete < ops[i]->invoke) {
          blocked = true;
        }
      }
      if (blocked) continue;
      if (ops[i]->kind == OpKind::kRead && ops[i]->value != value) continue;
      placed[i] = true;
      const bool found = self(self, ops[i]->kind == OpKind::kWrite ? ops[i]->value : value);
      placed[i] = false;
      if (found) return true;
    }
    return false;
  };
  return search(search, std::string{});
}

TEST(LinearizabilityRandom, SmallHistoriesAgreeWithBruteForce) {
  // Tiny histories with few values and coarse times (many ties and overlaps),
  // so both verdicts come up often.
  std::uint64_t linearizable = 0;
  std::uint64_t not_linearizable = 0;
  for (const std::uint64_t seed : seeds(3000)) {
    SCOPED_TRACE(replay(seed));
    Prng prng(seed);
    History history;
    const std::uint64_t count = 1 + prng.uniform(7);
    for (std::uint64_t i = 0; i < count; ++i) {
      const auto invoke = static_cast<std::int64_t>(prng.uniform(20));
      const auto complete = invoke + static_cast<std::int64_t>(prng.uniform(8));
      const std::uint64_t outcome = prng.uniform(10);
      const bool write = prng.chance(0.5);
      history.push_back(Operation{.id = i + 1,
                                  .client = static_cast<std::uint32_t>(i),
                                  .kind = write ? OpKind::kWrite : OpKind::kRead,
                                  .key = "x",
                                  .value = std::string(1, "ab"[prng.uniform(2)]),
                                  .invoke = at_ms(invoke),
                                  .complete = at_ms(complete),
                                  .outcome = outcome < 6   ? kOk
                                             : outcome < 9 ? kUnknown
                                                           : kFail});
      if (!write && prng.chance(0.25)) history.back().value.clear();
    }
    const bool expected = linearizable_by_brute_force(history);
    const LinearizabilityResult result = check_linearizability(history);
    ASSERT_EQ(result.verdict, expected ? Verdict::kLinearizable : Verdict::kNotLinearizable)
        << result.explanation;
    ++(expected ? linearizable : not_linearizable);
  }
  RecordProperty("linearizable", std::to_string(linearizable));
  RecordProperty("not_linearizable", std::to_string(not_linearizable));
}

TEST(LinearizabilityRandom, LongSingleKeyHistory) {
  // 2,000 ops on one key, 5 clients overlapping; informal performance check
  // (gtest prints the time; nothing here reads a clock).
  for (const std::uint64_t seed : seeds(3)) {
    SCOPED_TRACE(replay(seed));
    History history = generate(seed, GeneratorOptions{.ops = 2000, .keys = 1});
    const LinearizabilityResult accepted = check_linearizability(history);
    ASSERT_EQ(accepted.verdict, Verdict::kLinearizable) << accepted.explanation;
    ASSERT_TRUE(corrupt_with_future_value(history).has_value());
    const LinearizabilityResult rejected = check_linearizability(history);
    ASSERT_EQ(rejected.verdict, Verdict::kNotLinearizable);
    RecordProperty(fmt::format("steps_accept_seed_{}", seed), std::to_string(accepted.steps));
    RecordProperty(fmt::format("steps_reject_seed_{}", seed), std::to_string(rejected.steps));
  }
}

}  // namespace
}  // namespace raft::sim
