// SPDX-License-Identifier: Apache-2.0
// Swarm testing in CI: a few hundred seeds of randomized faults with every
// checker on, and proof that the checkers can fail (a mutant that votes twice
// is caught). The full 10,000-seed run is `raftsim check --seeds 10000`.
#include "raft/sim/swarm.h"

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "raft/sim/runner.h"

namespace raft::sim {
namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  return value == nullptr ? fallback : std::stoull(value);
}

// RAFT_SIM_SEED_BEGIN / RAFT_SIM_SEED_COUNT choose the seeds; a failure prints
// the seed and the raftsim command that replays it.
TEST(Swarm, SeedsPassSafetyLinearizabilityAndLiveness) {
  const std::uint64_t begin = env_or("RAFT_SIM_SEED_BEGIN", 1);
  const std::uint64_t count = env_or("RAFT_SIM_SEED_COUNT", 300);
  SwarmOptions options;
  for (std::uint64_t seed = begin; seed < begin + count; ++seed) {
    const SwarmOutcome outcome = run_swarm_seed(seed, options);
    ASSERT_TRUE(outcome.passed) << outcome.report;
  }
}

// Snapshots are among the swarm's random actions (thesis §5.1), compacting
// aggressively enough that nodes back from crashes and partitions need
// InstallSnapshot: the passing seeds above exercise installs, not only compaction.
TEST(Swarm, SnapshotSeedsInstallSnapshots) {
  SwarmOptions options;
  std::uint64_t with_snapshots = 0;
  std::uint64_t installed = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const Scenario scenario = swarm_scenario(seed, options);
    if (scenario.cluster.snapshot_every == 0) continue;
    ++with_snapshots;
    RunOptions run;
    run.check_linearizability = false;
    const RunResult result = run_scenario(scenario, run);
    EXPECT_TRUE(result.violations.empty()) << format_violation_report(result);
    installed += result.node_counters.snapshots_installed;
  }
  EXPECT_GE(with_snapshots, 10U);
  EXPECT_GE(installed, 5U);
}

// Election priority (Config::priority) is in the mix: about a third of the seeds draw
// priorities, and priority-0 nodes always stay a minority so a healed cluster can elect.
TEST(Swarm, AThirdOfTheSeedsDrawPrioritiesWithFewerZerosThanAMajority) {
  SwarmOptions options;
  std::uint64_t with_priorities = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const Scenario scenario = swarm_scenario(seed, options);
    if (scenario.cluster.priorities.empty()) continue;
    ++with_priorities;
    std::uint32_t zeros = 0;
    for (const auto& [id, priority] : scenario.cluster.priorities) zeros += priority == 0 ? 1 : 0;
    EXPECT_LT(2 * zeros, options.nodes) << "seed " << seed;
    EXPECT_NE(describe_swarm(scenario).find("priorities"), std::string::npos);
  }
  EXPECT_GT(with_priorities, 60U);
  EXPECT_LT(with_priorities, 140U);
}

TEST(Swarm, SameSeedSameTrace) {
  SwarmOptions options;
  for (std::uint64_t seed : {7U, 8U, 9U}) {
    EXPECT_EQ(run_swarm_seed(seed, options).trace_hash, run_swarm_seed(seed, options).trace_hash)
        << "seed " << seed;
  }
}

// Issue #3: a deliberately broken protocol (a node that may vote twice in a
// term) must be caught within 1,000 seeds.
TEST(Swarm, DoubleVotingMutantIsCaughtWithinAThousandSeeds) {
  SwarmOptions options;
  options.mutation = Mutation::kDoubleVote;
  std::uint64_t caught_at = 0;
  std::string report;
  for (std::uint64_t seed = 1; seed <= 1000 && caught_at == 0; ++seed) {
    const SwarmOutcome outcome = run_swarm_seed(seed, options);
    if (!outcome.passed) {
      caught_at = seed;
      report = outcome.report;
    }
  }
  ASSERT_NE(caught_at, 0U) << "the checkers missed a node that votes twice";
  EXPECT_NE(report.find("Election Safety"), std::string::npos) << report;
  EXPECT_NE(report.find("--mutation double-vote"), std::string::npos) << report;
}

// Reads join the random mix (thesis §6.4, §6.4.1): some seeds serve them by
// ReadIndex, some by lease, and both paths really answer reads, checked for
// linearizability by the seeds above.
TEST(Swarm, SeedsServeReadsByReadIndexAndByLease) {
  SwarmOptions options;
  std::uint64_t by_read_index = 0;
  std::uint64_t by_lease = 0;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    RunOptions run;
    run.keep_events = false;
    const RunResult result = run_scenario(swarm_scenario(seed, options), run);
    by_read_index += result.node_counters.reads_read_index;
    by_lease += result.node_counters.reads_lease;
  }
  EXPECT_GT(by_read_index, 100U);
  EXPECT_GT(by_lease, 100U);
}

// Membership changes join the random mix (thesis §4): spares are added as
// learners and voters, members removed and replaced, leaders remove
// themselves; the seeds above check those runs for safety and liveness.
TEST(Swarm, SeedsChangeTheirMembership) {
  SwarmOptions options;
  std::uint64_t seeds_with_changes = 0;
  std::uint64_t changes = 0;
  std::uint64_t joint = 0;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    const Scenario scenario = swarm_scenario(seed, options);
    if (scenario.cluster.spares == 0) continue;
    ++seeds_with_changes;
    const RunResult result = run_scenario(scenario);
    EXPECT_TRUE(result.violations.empty()) << "seed " << seed;
    for (const TraceEvent& event : result.events) {
      const auto* node = std::get_if<NodeRecord>(&event.body);
      if (node == nullptr) continue;
      if (const auto* change = std::get_if<MembershipChanged>(&node->event)) {
        ++changes;
        joint += change->membership.joint() ? 1U : 0U;
      }
    }
  }
  EXPECT_GE(seeds_with_changes, 5U);
  EXPECT_GT(changes, 20U) << "memberships that took effect, counted per node";
  EXPECT_GT(joint, 0U) << "replacements go through joint configurations";
}

// Client sessions join the mix (thesis §6.3): on seeds that use them, faults
// make clients retry, the session tables answer retries from saved replies,
// and no replica executes a write twice (the seeds above would fail if one did).
TEST(Swarm, SeedsWriteThroughClientSessions) {
  SwarmOptions options;
  std::uint64_t seeds_with_sessions = 0;
  std::uint64_t deduplicated = 0;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    const Scenario scenario = swarm_scenario(seed, options);
    if (!scenario.clients.front().sessions) continue;
    ++seeds_with_sessions;
    RunOptions run;
    run.keep_events = false;
    const RunResult result = run_scenario(scenario, run);
    EXPECT_EQ(result.duplicate_writes, 0U) << "seed " << seed;
    deduplicated += result.retries_deduplicated;
  }
  EXPECT_GE(seeds_with_sessions, 5U);
  EXPECT_GT(deduplicated, 0U) << "some retry was answered from a saved reply";
}

// A host that answers reads from local state without read_index is caught.
TEST(Swarm, LocalReadMutantIsCaught) {
  SwarmOptions options;
  options.mutation = Mutation::kLocalRead;
  std::uint64_t caught = 0;
  for (std::uint64_t seed = 1; seed <= 300 && caught == 0; ++seed) {
    const SwarmOutcome outcome = run_swarm_seed(seed, options);
    if (!outcome.passed && outcome.failure.find("linearizable") != std::string::npos) {
      caught = seed;
    }
  }
  EXPECT_NE(caught, 0U) << "the linearizability checker missed stale local reads";
}

}  // namespace
}  // namespace raft::sim
