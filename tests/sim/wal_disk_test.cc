// SPDX-License-Identifier: Apache-2.0
// The simulator on the real durable log (scenario disk.log: wal): scenarios
// and swarm seeds whose crashes lose or tear unsynced writes, so every
// restart runs the write-ahead log's recovery under the safety checkers.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "raft/sim/runner.h"
#include "raft/sim/scenario_loader.h"
#include "raft/sim/swarm.h"

namespace raft::sim {
namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  return value == nullptr ? fallback : std::stoull(value);
}

Scenario on_wal(const std::string& name) {
  Result<Scenario> scenario =
      load_scenario(std::string{RAFT_SOURCE_DIR} + "/sim/scenarios/" + name);
  EXPECT_TRUE(scenario.ok()) << scenario.status().to_string();
  const Status status = apply_override(*scenario, "disk.log=wal");
  EXPECT_TRUE(status.ok()) << status.to_string();
  return *scenario;
}

std::string describe(const RunResult& result) {
  std::string text = to_string(result.stop);
  for (const Violation& violation : result.violations) {
    text += "\n  " + violation.property + ": " + violation.detail;
  }
  for (const std::string& failed : result.failed_expectations) text += "\n  " + failed;
  if (!result.disk.error.empty()) text += "\n  " + result.disk.error;
  return text;
}

TEST(WalDisk, ScenariosPassOnTheWriteAheadLog) {
  for (const char* name : {"etcd-defaults.yaml", "coordinator-failover.yaml"}) {
    const Scenario scenario = on_wal(name);
    ASSERT_EQ(scenario.disk.log, DiskSpec::Log::kWal);
    const RunResult result = run_scenario(scenario);
    EXPECT_TRUE(result.passed()) << name << ": " << describe(result);
    EXPECT_TRUE(result.violations.empty()) << name;
    // etcd-defaults crashes and restarts its leader: the restart is a WAL recovery.
    if (std::string{name} == "etcd-defaults.yaml") {
      EXPECT_GT(result.disk.recoveries, 0U);
    }
  }
}

TEST(WalDisk, SameSeedSameTrace) {
  // The crash model draws from the cluster's PRNG, so a run replays.
  const Scenario scenario = on_wal("coordinator-failover.yaml");
  RunOptions options;
  options.keep_events = false;
  EXPECT_EQ(run_scenario(scenario, options).trace_hash, run_scenario(scenario, options).trace_hash);
}

TEST(WalDisk, LoaderNamesTheBadValue) {
  const Result<Scenario> bad =
      parse_scenario("seed: 1\nduration: 1s\ncluster: {size: 3}\ndisk:\n  log: tape\n", "bad.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().to_string().find("bad.yaml:5"), std::string::npos)
      << bad.status().to_string();
  EXPECT_NE(bad.status().to_string().find("disk.log"), std::string::npos)
      << bad.status().to_string();
  const Result<Scenario> good =
      parse_scenario("seed: 1\nduration: 1s\ncluster: {size: 3}\ndisk: {log: wal}\n", "good.yaml");
  ASSERT_TRUE(good.ok()) << good.status().to_string();
  EXPECT_EQ(good->disk.log, DiskSpec::Log::kWal);
}

// RAFT_SIM_SEED_BEGIN / RAFT_SIM_SEED_COUNT choose the seeds (the swarm's own
// draws; only the disk differs). A failure prints the seed and its report.
TEST(WalDisk, SwarmSeedsPassWithTornUnsyncedWrites) {
  const std::uint64_t begin = env_or("RAFT_SIM_SEED_BEGIN", 1);
  const std::uint64_t count = env_or("RAFT_SIM_SEED_COUNT", 100);
  SwarmOptions options;
  options.disk_log = DiskSpec::Log::kWal;
  std::uint64_t recoveries = 0;
  std::uint64_t repairs = 0;
  for (std::uint64_t seed = begin; seed < begin + count; ++seed) {
    const SwarmOutcome outcome = run_swarm_seed(seed, options);
    ASSERT_TRUE(outcome.passed) << "seed " << seed << " (disk.log: wal)\n" << outcome.report;
    recoveries += outcome.disk.recoveries;
    repairs += outcome.disk.repairs;
  }
  // The seeds must exercise recovery, torn tails included, or they prove nothing.
  if (count >= 100) {
    EXPECT_GT(recoveries, 0U);
    EXPECT_GT(repairs, 0U);
  }
  std::printf("wal swarm: %llu seeds, %llu recoveries, %llu repaired a torn tail\n",
              static_cast<unsigned long long>(count), static_cast<unsigned long long>(recoveries),
              static_cast<unsigned long long>(repairs));
}

}  // namespace
}  // namespace raft::sim
