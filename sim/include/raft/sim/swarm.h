// SPDX-License-Identifier: Apache-2.0
// Swarm testing (as TigerBeetle's VOPR does): every seed draws its own mix and
// intensity of faults, runs them against the cluster with every checker on,
// then heals everything and demands that the cluster elects and commits again.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "raft/sim/cluster.h"
#include "raft/sim/runner.h"
#include "raft/sim/scenario.h"

namespace raft::sim {

struct SwarmOptions {
  std::uint32_t nodes = 5;
  Duration duration = 60s;
  /// The final stretch in which every fault is healed; the cluster must elect
  /// a leader and complete client writes in it.
  Duration healed = 15s;
  /// Test-only: run against a deliberately broken protocol to show the
  /// checkers can fail (Cluster::Options::mutation).
  Mutation mutation = Mutation::kNone;
  /// Each host's disk, set after the draws (which it does not change): kWal
  /// runs the real write-ahead log, whose crashes lose or tear unsynced writes.
  DiskSpec::Log disk_log = DiskSpec::Log::kMemory;
};

/// The scenario a seed draws: its faults, network, disk and clients.
[[nodiscard]] Scenario swarm_scenario(std::uint64_t seed, const SwarmOptions& options);

struct SwarmOutcome {
  std::uint64_t seed = 0;
  bool passed = true;
  std::string failure;  ///< What broke: a safety property, linearizability or liveness.
  std::uint64_t trace_hash = 0;
  std::uint64_t events = 0;
  DiskStats disk;      ///< Write-ahead log recoveries (disk_log kWal).
  std::string report;  ///< For failures: the violation report and replay command.
};

/// Runs one seed (safety, then the healed liveness phase).
[[nodiscard]] SwarmOutcome run_swarm_seed(std::uint64_t seed, const SwarmOptions& options);

/// Describes the fault mix a seed drew, e.g. "loss 3%, dup 1%, crash+partition, 12 faults".
[[nodiscard]] std::string describe_swarm(const Scenario& scenario);

}  // namespace raft::sim
