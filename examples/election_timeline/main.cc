// SPDX-License-Identifier: Apache-2.0
// election_timeline: a 5-node Raft cluster in virtual time. It elects a leader, kills the
// leader's process at t = 3 s, and prints who did what, when, until a new leader is elected.
//
//   election_timeline [--seed N] [--no-fast-failover]
//
// With the default, the survivors' transports see the dead leader's connections reset and
// call Node::peer_down(), so they campaign within milliseconds (Config::fast_failover). With
// --no-fast-failover the machine vanishes silently: nobody is told, and the followers find
// out only when their election timeout (1-2 s, Raft §5.2) passes without a heartbeat.
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string_view>
#include <system_error>
#include <variant>

#include <fmt/format.h>

#include "raft/events.h"
#include "raft/format.h"
#include "raft/types.h"
#include "tiny_cluster.h"

namespace {

using example::NodeId;
using example::Time;
using std::chrono::milliseconds;

constexpr Time kCrashAt = Time{} + milliseconds{3000};
constexpr milliseconds kGiveUpAfter{60'000};  // simulated; no election takes this long

struct Options {
  std::uint64_t seed = 1;
  bool fast_failover = true;
};

std::optional<Options> parse_args(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--no-fast-failover") {
      options.fast_failover = false;
    } else if (arg == "--seed" && i + 1 < argc) {
      const std::string_view value = argv[++i];
      const auto [end, error] =
          std::from_chars(value.data(), value.data() + value.size(), options.seed);
      if (error != std::errc{} || end != value.data() + value.size()) return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  return options;
}

/// When a node became leader, and in which term.
struct Election {
  NodeId node;
  raft::Term term;
  Time time;
};

void print_line(Time time, NodeId node, std::string_view what) {
  fmt::print("{:>9} ms  node {}  {}\n", raft::format_ms(time), node, what);
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Options> options = parse_args(argc, argv);
  if (!options) {
    std::fputs("usage: election_timeline [--seed N] [--no-fast-failover]\n", stderr);
    return 2;
  }

  // Filled in by the observer as events arrive.
  std::optional<Time> crashed_at;
  std::optional<Election> last_election;  // the latest node to become leader
  std::optional<Time> first_campaign_after_crash;

  example::Observer observer;
  observer.event = [&](NodeId node, const raft::Event& event) {
    print_line(event.time, node, raft::describe(event));
    const auto* change = std::get_if<raft::RoleChanged>(&event.body);
    if (change == nullptr) return;
    if (change->to == raft::Role::kLeader) last_election = Election{node, event.term, event.time};
    if (crashed_at && !first_campaign_after_crash && change->from == raft::Role::kFollower) {
      first_campaign_after_crash = event.time;
    }
  };
  observer.peer_down = [](Time time, NodeId node, NodeId peer) {
    print_line(time, node,
               fmt::format("transport: connection to node {} reset -> peer_down({})", peer, peer));
  };

  example::TinyCluster::Options cluster_options;
  cluster_options.seed = options->seed;
  cluster_options.connection_reset_on_crash = options->fast_failover;
  example::TinyCluster cluster(cluster_options, observer);

  fmt::print(
      "5 nodes, heartbeat 100 ms, election timeout [1000, 2000) ms, pre-vote on, "
      "link latency 1-5 ms, seed {}\n",
      options->seed);
  fmt::print("crash at {} ms: {}\n\n", raft::format_ms(kCrashAt),
             options->fast_failover
                 ? "the process dies; survivors see its connections reset (peer_down)"
                 : "the machine vanishes silently (--no-fast-failover: no peer_down)");

  // Phase 1: from a cold start to a leader, and on to the crash time.
  cluster.run_until(kCrashAt);
  if (!cluster.leader()) {
    // Rare (split votes): wait for a leader, then crash it.
    cluster.run_until(kCrashAt + kGiveUpAfter, [&] { return cluster.leader().has_value(); });
  }
  const std::optional<NodeId> old_leader = cluster.leader();
  if (!old_leader || !last_election) {
    fmt::print("no leader was elected\n");
    return 1;
  }
  const Election first = *last_election;

  // Phase 2: kill the leader's process.
  crashed_at = cluster.now();
  print_line(*crashed_at, *old_leader, "*** CRASH ***");
  cluster.crash(*old_leader);

  // Phase 3: run until another node is elected, then one heartbeat interval more so the
  // timeline shows the followers learning about it.
  const auto new_leader_elected = [&] { return last_election->node != first.node; };
  if (!cluster.run_until(*crashed_at + kGiveUpAfter, new_leader_elected)) {
    fmt::print("no new leader within {} ms of the crash\n", kGiveUpAfter.count());
    return 1;
  }
  const Election second = *last_election;
  cluster.run_until(cluster.now() + milliseconds{100});

  fmt::print(
      "\nleader {} elected in term {} at {} ms; crashed at {} ms; node {} elected in "
      "term {} at {} ms (failover {} ms)\n",
      first.node, first.term, raft::format_ms(first.time), raft::format_ms(*crashed_at),
      second.node, second.term, raft::format_ms(second.time),
      raft::format_ms(Time{} + (second.time - *crashed_at)));
  if (first_campaign_after_crash) {
    fmt::print("detection: the first follower campaigned {} ms after the crash\n",
               raft::format_ms(Time{} + (*first_campaign_after_crash - *crashed_at)));
  }
  return 0;
}
