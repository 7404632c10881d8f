// SPDX-License-Identifier: Apache-2.0
#include "raft/sim/swarm.h"

#include <algorithm>

#include <fmt/format.h>

namespace raft::sim {
namespace {

Duration between(Prng& prng, Duration min, Duration max) {
  if (max <= min) return min;
  return min + Duration{static_cast<Duration::rep>(
                   prng.uniform(static_cast<std::uint64_t>((max - min).count())))};
}

// The fault kinds a seed may draw from; each seed enables its own subset.
constexpr FaultKind kSwarmKinds[] = {
    FaultKind::kCrash,         FaultKind::kMachineLoss,        FaultKind::kPause,
    FaultKind::kPartition,     FaultKind::kPartitionOneWay,    FaultKind::kIsolate,
    FaultKind::kHeal,          FaultKind::kSlowDisk,           FaultKind::kClockDrift,
    FaultKind::kNetworkChange, FaultKind::kTransferLeadership,
};

NodeSelector pick_node(Prng& prng, std::uint32_t nodes) {
  // Half the time aim at the leader: that is where the interesting bugs are.
  if (prng.chance(0.5)) return {NodeSelector::Kind::kLeader, {}};
  return {NodeSelector::Kind::kId, NodeId{1 + prng.uniform(nodes)}};
}

LinkSpec draw_link(Prng& prng, bool faulty) {
  LinkSpec link;
  const Duration max = between(prng, 2ms, 30ms);
  link.latency = Distribution::uniform(1ms, max);
  if (faulty) {
    link.loss = prng.chance(0.6) ? prng.uniform_real() * 0.25 : 0.0;
    link.duplicate = prng.chance(0.4) ? prng.uniform_real() * 0.1 : 0.0;
  }
  return link;
}

FaultSpec draw_fault(Prng& prng, FaultKind kind, Duration at, std::uint32_t nodes) {
  FaultSpec fault;
  fault.at = at;
  fault.kind = kind;
  fault.target = pick_node(prng, nodes);
  switch (kind) {
    case FaultKind::kCrash:
    case FaultKind::kMachineLoss:
      if (prng.chance(0.8)) fault.duration = between(prng, 100ms, 8s);
      break;
    case FaultKind::kPause:
      fault.duration = between(prng, 50ms, 5s);
      break;
    case FaultKind::kPartition: {
      // A random split into two or three groups; the leader often alone.
      const std::uint32_t group_count = prng.chance(0.7) ? 2 : 3;
      fault.groups.resize(group_count);
      if (prng.chance(0.5)) fault.groups[0].push_back({NodeSelector::Kind::kLeader, {}});
      for (std::uint32_t id = 1; id <= nodes; ++id) {
        fault.groups[prng.uniform(group_count)].push_back({NodeSelector::Kind::kId, NodeId{id}});
      }
      break;
    }
    case FaultKind::kPartitionOneWay: {
      fault.groups.resize(2);
      fault.groups[0].push_back(fault.target);
      for (std::uint32_t id = 1; id <= nodes; ++id) {
        if (prng.chance(0.6)) fault.groups[1].push_back({NodeSelector::Kind::kId, NodeId{id}});
      }
      break;
    }
    case FaultKind::kSlowDisk:
      fault.extra_latency = between(prng, 10ms, 2s);
      fault.duration = between(prng, 1s, 10s);
      break;
    case FaultKind::kClockDrift:
      fault.clock_rate = 0.9 + prng.uniform_real() * 0.2;
      break;
    case FaultKind::kNetworkChange:
      fault.network = draw_link(prng, /*faulty=*/true);
      break;
    case FaultKind::kTransferLeadership:
      // Half the time let the leader choose; otherwise any node (itself: a no-op).
      fault.target = prng.chance(0.5)
                         ? NodeSelector{NodeSelector::Kind::kAuto, {}}
                         : NodeSelector{NodeSelector::Kind::kId, NodeId{1 + prng.uniform(nodes)}};
      break;
    default:
      break;
  }
  return fault;
}

// Membership changes (thesis §4) among the faults: learners, voters and
// spares coming and going, replacements, the leader removing itself.
void draw_membership_changes(Prng& prng, Duration faulty, Scenario& scenario) {
  ClusterSpec& cluster = scenario.cluster;
  cluster.spares = static_cast<std::uint32_t>(1 + prng.uniform(2));
  const auto any_node = [&] { return NodeId{1 + prng.uniform(cluster.hosts())}; };
  const auto spare = [&] { return NodeId{cluster.size + 1 + prng.uniform(cluster.spares)}; };
  const std::uint64_t count = 1 + prng.uniform(4);
  for (std::uint64_t i = 0; i < count; ++i) {
    FaultSpec fault;
    fault.kind = FaultKind::kMembershipChange;
    fault.at = between(prng, 500ms, faulty);
    switch (prng.uniform(4)) {
      case 0:
        fault.changes.push_back({MembershipChange::Kind::kAddLearner, any_node()});
        break;
      case 1:
        fault.changes.push_back({MembershipChange::Kind::kAddVoter, any_node()});
        break;
      case 2:
        if (prng.chance(0.3)) {
          fault.target = {NodeSelector::Kind::kLeader, {}};
        } else {
          fault.changes.push_back({MembershipChange::Kind::kRemove, any_node()});
        }
        break;
      default:
        fault.target = prng.chance(0.3) ? NodeSelector{NodeSelector::Kind::kLeader, {}}
                                        : NodeSelector{NodeSelector::Kind::kFollower, {}};
        fault.await_caught_up = spare();
        fault.changes.push_back({MembershipChange::Kind::kAddVoter, fault.await_caught_up});
        break;
    }
    scenario.faults.push_back(std::move(fault));
  }
}

std::string describe_mix(const Scenario& scenario) {
  std::string kinds;
  std::vector<FaultKind> seen;
  for (const FaultSpec& fault : scenario.faults) {
    if (std::ranges::find(seen, fault.kind) != seen.end()) continue;
    seen.push_back(fault.kind);
    if (!kinds.empty()) kinds += "+";
    kinds += to_string(fault.kind);
  }
  const char* reads = scenario.cluster.read_mode == ReadPath::kLease       ? ", lease reads"
                      : scenario.cluster.read_mode == ReadPath::kReadIndex ? ", ReadIndex reads"
                                                                           : "";
  std::string extras =
      scenario.cluster.spares > 0 ? fmt::format(", {} spares", scenario.cluster.spares) : "";
  if (!scenario.clients.empty() && scenario.clients.front().sessions) extras += ", sessions";
  std::string priorities;
  for (const auto& [id, priority] : scenario.cluster.priorities) {
    priorities +=
        fmt::format("{}{}:{}", priorities.empty() ? ", priorities " : ",", id.value(), priority);
  }
  return fmt::format(
      "loss {:.0f}%, dup {:.0f}%, latency {}, {} faults ({}){}{}{}{}{}{}",
      scenario.network.defaults.loss * 100, scenario.network.defaults.duplicate * 100,
      scenario.network.defaults.latency.to_string(), scenario.faults.size(), kinds,
      scenario.cluster.pre_vote ? "" : ", no pre-vote",
      scenario.cluster.check_quorum ? "" : ", no check-quorum",
      scenario.cluster.fast_failover ? "" : ", no fast failover", reads, extras, priorities);
}

}  // namespace

Scenario swarm_scenario(std::uint64_t seed, const SwarmOptions& options) {
  RAFT_ASSERT(options.duration > options.healed);
  Prng prng{seed ^ 0x5eed5eed5eed5eedULL};
  Scenario scenario;
  scenario.name = "swarm";
  scenario.seed = seed;
  scenario.duration = options.duration;
  scenario.cluster.size = options.nodes;
  scenario.cluster.pre_vote = prng.chance(0.8);
  scenario.cluster.check_quorum = prng.chance(0.8);
  scenario.cluster.fast_failover = prng.chance(0.7);
  scenario.cluster.inflight_messages_max = prng.chance(0.3) ? 1 + prng.uniform(4) : 256;
  scenario.network.defaults = draw_link(prng, /*faulty=*/prng.chance(0.7));
  if (prng.chance(0.5)) {
    scenario.disk.fsync = Distribution::exponential(between(prng, 100us, 5ms));
  }
  // How reads are served: through the log, ReadIndex (thesis §6.4) or leases
  // (§6.4.1). Drawn from a generator of its own so that the rest of a seed's
  // scenario stays what it was before reads joined the mix.
  Prng read_prng{seed ^ 0x4ead4ead4ead4eadULL};
  const std::uint64_t read_draw = read_prng.uniform(3);
  if (read_draw == 1) scenario.cluster.read_mode = ReadPath::kReadIndex;
  if (read_draw == 2) {
    scenario.cluster.read_mode = ReadPath::kLease;
    scenario.cluster.check_quorum = true;  // Config refuses a lease otherwise.
    scenario.cluster.fast_failover = false;
    // Clock-drift faults draw rates in [0.9, 1.1): two clocks may part by up
    // to 1 - 0.9/1.1 = 18 % of an election timeout.
    scenario.cluster.clock_drift_max = scenario.cluster.election_timeout_min / 5;
  }

  // Election priorities (Config::priority) in a third of the seeds, from a
  // generator of their own for the same reason. Priority-0 nodes stay a
  // minority, so the others can always elect a leader among themselves once
  // healed (a witness may hold entries no leader-capable node has).
  Prng priority_prng{seed ^ 0x9a10a10a9a10a10aULL};
  if (priority_prng.chance(1.0 / 3.0)) {
    std::uint32_t zeros = 0;
    for (std::uint32_t id = 1; id <= options.nodes; ++id) {
      auto priority = static_cast<std::uint32_t>(priority_prng.uniform(4));
      if (priority == 0 && 2 * (zeros + 1) >= options.nodes) priority = 1;
      if (priority == 0) ++zeros;
      scenario.cluster.priorities[NodeId{id}] = priority;
    }
  }

  ClientSpec clients;
  clients.count = 2;
  clients.interval = 200ms;
  clients.timeout = 1s;
  clients.read_ratio = 0.5;
  clients.keys = 3;
  clients.retry.policy = RetrySpec::Policy::kFixed;
  clients.retry.base = 100ms;
  // Half the seeds write through client sessions (thesis §6.3); the state
  // checker then fails any write a replica executes twice. Own generator too.
  Prng session_prng{seed ^ 0x5e55104e5e55104eULL};
  clients.sessions = session_prng.chance(0.5);
  scenario.clients.push_back(clients);

  // Each seed enables its own subset of fault kinds (swarm testing).
  std::vector<FaultKind> enabled;
  for (const FaultKind kind : kSwarmKinds) {
    if (prng.chance(0.5)) enabled.push_back(kind);
  }
  if (enabled.empty()) enabled.push_back(FaultKind::kCrash);
  const Duration faulty = options.duration - options.healed;
  const std::uint64_t fault_count = 1 + prng.uniform(30);
  for (std::uint64_t i = 0; i < fault_count; ++i) {
    const FaultKind kind = enabled[prng.uniform(enabled.size())];
    scenario.faults.push_back(draw_fault(prng, kind, between(prng, 500ms, faulty), options.nodes));
  }
  // From a generator of its own, like reads: the rest of the seed stays put.
  Prng membership_prng{seed ^ 0x3e3b3e3b3e3b3e3bULL};
  if (membership_prng.chance(0.4)) draw_membership_changes(membership_prng, faulty, scenario);
  if (scenario.cluster.spares > 0) {
    // Removals can leave priority-0 nodes a majority of the voters, which
    // Config::priority's documentation rules out (entries only they hold
    // would block every election): no witnesses in seeds that change members.
    for (auto& [id, priority] : scenario.cluster.priorities) priority = std::max(priority, 1U);
  }
  std::ranges::stable_sort(scenario.faults, {}, &FaultSpec::at);
  scenario.description = describe_mix(scenario);

  // Snapshots and compaction (thesis §5.1) on half the seeds, aggressive so that
  // installs happen: a node that missed a few entries needs the snapshot. Drawn
  // from a generator of their own, so the draws above stay what they were.
  Prng snapshots{seed ^ 0x5a95a95a95a95a95ULL};
  if (snapshots.chance(0.5)) {
    scenario.cluster.snapshot_every = 5 + snapshots.uniform(40);
    scenario.cluster.snapshot_trailing = snapshots.uniform(10);
    scenario.cluster.snapshot_chunk_bytes = 8 + snapshots.uniform(64);
    scenario.cluster.snapshot_chunks_inflight = 1 + snapshots.uniform(4);
    scenario.description += fmt::format(
        ", snapshot every {} (trailing {}, {}-byte chunks)", scenario.cluster.snapshot_every,
        scenario.cluster.snapshot_trailing, scenario.cluster.snapshot_chunk_bytes);
  }

  // The healed phase: everything back to normal, then liveness is required.
  const auto heal_all = [&](FaultKind kind, NodeId node) {
    FaultSpec fault;
    fault.at = faulty;
    fault.kind = kind;
    fault.target = {NodeSelector::Kind::kId, node};
    if (kind == FaultKind::kNetworkChange) fault.network = draw_link(prng, /*faulty=*/false);
    scenario.faults.push_back(fault);
  };
  heal_all(FaultKind::kHeal, NodeId{});
  heal_all(FaultKind::kNetworkChange, NodeId{});
  for (std::uint32_t id = 1; id <= scenario.cluster.hosts(); ++id) {
    heal_all(FaultKind::kRestart, NodeId{id});
    heal_all(FaultKind::kResume, NodeId{id});
    heal_all(FaultKind::kDiskRecovered, NodeId{id});
  }
  return scenario;
}

std::string describe_swarm(const Scenario& scenario) { return scenario.description; }

SwarmOutcome run_swarm_seed(std::uint64_t seed, const SwarmOptions& options) {
  Scenario scenario = swarm_scenario(seed, options);
  scenario.disk.log = options.disk_log;
  RunOptions run;
  run.keep_events = false;
  run.mutation = options.mutation;
  const RunResult result = run_scenario(scenario, run);
  SwarmOutcome outcome;
  outcome.seed = seed;
  outcome.trace_hash = result.trace_hash;
  outcome.events = result.events_processed;
  outcome.disk = result.disk;
  const auto fail = [&](std::string what) {
    outcome.passed = false;
    outcome.failure = std::move(what);
  };
  if (!result.violations.empty()) {
    fail(fmt::format("{}: {}", result.violations.front().property,
                     result.violations.front().detail));
  } else if (result.stop == StopReason::kEventsMax || result.stop == StopReason::kStorageError) {
    fail(fmt::format("run stopped early: {}{}{}", to_string(result.stop),
                     result.disk.error.empty() ? "" : ": ", result.disk.error));
  } else if (result.linearizability.verdict == LinearizabilityResult::Verdict::kNotLinearizable) {
    fail(fmt::format("history not linearizable (key {})", result.linearizability.key));
  } else {
    // Liveness: once healed, the cluster must elect a leader and commit writes.
    const Time healed = Time{} + (options.duration - options.healed);
    const bool wrote = std::ranges::any_of(result.history, [&](const Operation& op) {
      return op.invoke >= healed && op.outcome == OpOutcome::kOk && op.kind == OpKind::kWrite;
    });
    if (!wrote) fail("liveness: no write succeeded in the healed phase");
  }
  if (!outcome.passed) {
    const std::string replay =
        fmt::format("raftsim check --first-seed {} --seeds 1 --nodes {}{}", seed, options.nodes,
                    options.mutation == Mutation::kDoubleVote ? " --mutation double-vote" : "");
    // The raftsim command runs the memory log; say so when the seed ran the WAL.
    const char* disk = options.disk_log == DiskSpec::Log::kWal ? " (with disk.log: wal)" : "";
    outcome.report = fmt::format("seed {} FAILED: {}\n  faults: {}\n", seed, outcome.failure,
                                 describe_swarm(scenario));
    outcome.report += result.violations.empty() ? fmt::format("replay: {}{}\n", replay, disk)
                                                : format_violation_report(result, replay);
  }
  return outcome;
}

}  // namespace raft::sim
