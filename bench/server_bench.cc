// SPDX-License-Identifier: Apache-2.0
// The server runtime without HTTP: three raft::transport::Servers in one process, on one
// io_context (so one core does all of the Raft work of the three), talking TCP on 127.0.0.1
// with their WALs under $TMPDIR. The commands are 256 bytes; `outstanding` proposals (1, 16, 64
// or 256) are kept in flight (a closed loop, as that many clients would). Reported: throughput
// (items_per_second, in commands) and the median and 99th percentile commit latency.
//
// threads:1 puts each follower on a thread of its own (as separate processes would be) and
// leaves the leader with the clients on the benchmark's thread: NuRaft's raft_bench shape
// (issue 5's reference: 3 nodes on loopback, 256-byte payloads, 64 client threads).
//
// This is the floor under raft-kv's numbers: what the HTTP layer and the process boundaries
// add is measured by raft-kv-bench (bench/README.md).
//
//   build/release/bench/server_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "raft/transport/server.h"

namespace {

namespace asio = boost::asio;
using raft::transport::Server;
using raft::transport::ServerOptions;
using namespace std::chrono_literals;

/// Counts commands; the benchmark is about the log, not the state machine.
class CountingMachine final : public raft::transport::StateMachine {
 public:
  std::string apply(raft::Index, std::span<const std::byte>) override {
    ++applied;
    return {};
  }
  [[nodiscard]] std::vector<std::byte> snapshot() const override { return {}; }
  raft::Status restore(std::span<const std::byte>) override { return {}; }
  std::uint64_t applied = 0;
};

std::uint16_t free_port(asio::io_context& io) {
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

/// Three servers. Shared: all on one io_context, run by the benchmark's thread (one core does
/// all of the Raft work). Otherwise each follower runs on an io_context and a thread of its
/// own, as separate processes would, and only the leader shares the benchmark's thread with the
/// clients (NuRaft's raft_bench shape: client threads inside the leader's process).
struct Cluster {
  Cluster(bool fsync, bool shared) {
    const char* tmp = std::getenv("TMPDIR");
    dir = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") /
          fmt::format("raftsim-server-bench-{}", ::getpid());
    std::filesystem::remove_all(dir);
    std::map<raft::NodeId, raft::transport::PeerAddress> members;
    for (std::uint64_t id = 1; id <= 3; ++id) {
      members.emplace(raft::NodeId{id}, raft::transport::PeerAddress{"127.0.0.1", free_port(io)});
    }
    for (std::uint64_t id = 1; id <= 3; ++id) {
      ServerOptions options;
      options.id = raft::NodeId{id};
      options.members = members;
      options.data_dir = dir / fmt::format("node-{}", id);
      options.fsync = fsync;
      options.snapshot_every = 0;
      options.raft.heartbeat_interval = 50ms;
      options.raft.election_timeout_min = 500ms;
      options.raft.election_timeout_max = 1000ms;
      // Node 1 campaigns first and leads for the whole run.
      if (id != 1) options.raft.priority = 0;
      asio::io_context& home = shared || id == 1 ? io : follower_io[id - 2];
      auto server = Server::open(home, options, machines[id - 1]);
      if (!server.ok()) throw std::runtime_error(server.status().to_string());
      servers.push_back(std::move(*server));
      if (auto started = servers.back()->start(); !started.ok()) {
        throw std::runtime_error(started.to_string());
      }
    }
    if (!shared) {
      for (std::size_t i = 0; i < follower_io.size(); ++i) {
        follower_work.emplace_back(follower_io[i].get_executor());
        follower_threads.emplace_back([this, i] { follower_io[i].run(); });
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (servers[0]->status().role != raft::Role::kLeader) {
      if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("no leader");
      io.run_for(10ms);
    }
  }
  ~Cluster() {
    servers[0]->stop();
    if (follower_threads.empty()) {
      for (auto& server : servers) server->stop();
    } else {
      for (std::size_t i = 1; i < servers.size(); ++i) {
        asio::post(follower_io[i - 1], [server = servers[i].get()] { server->stop(); });
      }
      follower_work.clear();
      for (std::thread& thread : follower_threads) thread.join();
    }
    io.poll();
    servers.clear();
    std::filesystem::remove_all(dir);
  }
  asio::io_context io;
  std::array<asio::io_context, 2> follower_io;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> follower_work;
  std::vector<std::thread> follower_threads;
  std::filesystem::path dir;
  std::array<CountingMachine, 3> machines;
  std::vector<std::unique_ptr<Server>> servers;
};

void BM_ServerCommit(benchmark::State& state) {
  const bool fsync = state.range(0) != 0;
  const auto outstanding = static_cast<std::size_t>(state.range(1));
  const bool shared = state.range(2) == 0;
  Cluster cluster(fsync, shared);
  Server& leader = *cluster.servers[0];
  const raft::Payload command{std::string(256, 'x')};
  std::vector<double> latencies_us;
  std::size_t in_flight = 0;
  std::uint64_t failures = 0;
  std::function<void()> submit = [&] {
    const auto start = std::chrono::steady_clock::now();
    ++in_flight;
    leader.propose(command, [&, start](raft::Result<raft::transport::ProposeResult> result) {
      --in_flight;
      if (!result.ok()) ++failures;
      latencies_us.push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
              .count());
    });
  };
  for (auto _ : state) {
    // One iteration = one committed command; keep `outstanding` in flight.
    while (in_flight < outstanding) submit();
    const std::size_t done = latencies_us.size();
    while (latencies_us.size() == done) cluster.io.run_one();
  }
  // One iteration is one turn that completed at least one command; a turn often completes a
  // whole batch, so the throughput is counted in commands, not iterations.
  const auto completed = latencies_us.size();
  while (in_flight > 0) cluster.io.run_one();
  std::sort(latencies_us.begin(), latencies_us.end());
  const auto at = [&](double q) {
    return latencies_us.empty() ? 0.0
                                : latencies_us[static_cast<std::size_t>(
                                      q * static_cast<double>(latencies_us.size() - 1))];
  };
  state.SetItemsProcessed(static_cast<std::int64_t>(completed));
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
  state.counters["failed"] = static_cast<double>(failures);
  const auto& fsync_latency = leader.metrics().fsync_latency;
  state.counters["fsync_mean_us"] =
      fsync_latency.count == 0
          ? 0.0
          : 1e6 * fsync_latency.sum_seconds / static_cast<double>(fsync_latency.count);
  state.counters["fsyncs_per_op"] =
      static_cast<double>(leader.metrics().fsyncs) / static_cast<double>(latencies_us.size());
}
BENCHMARK(BM_ServerCommit)
    ->ArgNames({"fsync", "outstanding", "threads"})
    ->ArgsProduct({{0, 1}, {1, 16, 64, 256}, {0}})
    ->Args({0, 64, 1})
    ->Args({1, 64, 1})
    ->MinTime(2.0)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
