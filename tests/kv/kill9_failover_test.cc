// SPDX-License-Identifier: Apache-2.0
// The seed's real-cluster test, for real (issue 5 item 6): three raft-kv processes on 127.0.0.1,
// a client writing a new key every 20 ms, `kill -9` of the leader, a new leader serving within
// the bound, the killed node restarted and caught up, and every acknowledged write present on
// every node. Timings are etcd's defaults (heartbeat 100 ms, election timeout 1000 ms), so the
// failover must come from the fast path: the followers see the leader's connections reset.
//
// This test checks a bound, not a speed: the RTO it prints is measured properly (medians over
// many kills, beside etcd) by bench/failover_compare.sh.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "client.h"
#include "support/reserved_port.h"

extern char** environ;  // NOLINT: POSIX

namespace raft::kv_client {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kNodes = 3;
/// A new leader must serve within this long after the kill. etcd's election timeout is 1 s;
/// a follower that missed the reset would campaign within 2 s (its timeout is drawn from
/// [1 s, 2 s)), so 3 s bounds even the slow path; the fast path takes tens of milliseconds.
constexpr auto kRecoveryBound = 3s;

/// The three processes and how to (re)start each.
class Cluster {
 public:
  explicit Cluster(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::string peers;
    std::string http_peers;
    for (int id = 1; id <= kNodes; ++id) {
      // Held (bound, not listening) for the whole test: no other test takes them, and each
      // raft-kv binds beside the reservation (SO_REUSEADDR), also after its restart.
      reserved_.push_back(std::make_unique<test_support::ReservedPort>(io_));
      raft_ports_[id] = reserved_.back()->port;
      reserved_.push_back(std::make_unique<test_support::ReservedPort>(io_));
      http_ports_[id] = reserved_.back()->port;
      peers += fmt::format("{}{}=127.0.0.1:{}", id == 1 ? "" : ",", id, raft_ports_[id]);
      http_peers += fmt::format("{}{}=127.0.0.1:{}", id == 1 ? "" : ",", id, http_ports_[id]);
    }
    peers_ = peers;
    http_peers_ = http_peers;
  }
  ~Cluster() {
    for (auto& [id, pid] : pids_) {
      if (pid > 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    }
    std::filesystem::remove_all(dir_);
  }

  void start(int id) {
    const std::vector<std::string> args = {
        RAFT_KV_BINARY,
        fmt::format("--id={}", id),
        "--peers=" + peers_,
        "--http-peers=" + http_peers_,
        fmt::format("--data-dir={}", (dir_ / fmt::format("node-{}", id)).string()),
        fmt::format("--http=127.0.0.1:{}", http_ports_[id]),
        "--cluster-id=kill9-test",
        "--heartbeat-ms=100",
        "--election-ms=1000",
    };
    std::vector<char*> argv;
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));  // NOLINT
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = (dir_ / fmt::format("node-{}.log", id)).string();
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    const int error = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ASSERT_EQ(error, 0) << "cannot start " << RAFT_KV_BINARY << ": " << std::strerror(error);
    pids_[id] = pid;
  }

  void kill9(int id) {
    ASSERT_EQ(::kill(pids_[id], SIGKILL), 0);
    ::waitpid(pids_[id], nullptr, 0);
    pids_[id] = 0;
  }

  [[nodiscard]] Endpoint http(int id) const { return Endpoint{"127.0.0.1", http_ports_.at(id)}; }
  [[nodiscard]] std::vector<Endpoint> endpoints() const {
    std::vector<Endpoint> all;
    for (int id = 1; id <= kNodes; ++id) all.push_back(http(id));
    return all;
  }
  /// The node logs, for a failure message.
  [[nodiscard]] std::string logs() const {
    std::string out;
    for (int id = 1; id <= kNodes; ++id) {
      std::ifstream in(dir_ / fmt::format("node-{}.log", id));
      out +=
          fmt::format("--- node {}\n{}", id, std::string{std::istreambuf_iterator<char>(in), {}});
    }
    return out;
  }

 private:
  boost::asio::io_context io_;
  std::vector<std::unique_ptr<test_support::ReservedPort>> reserved_;
  std::filesystem::path dir_;
  std::string peers_;
  std::string http_peers_;
  std::map<int, std::uint16_t> raft_ports_;
  std::map<int, std::uint16_t> http_ports_;
  std::map<int, pid_t> pids_;
};

ClientOptions client_options(std::vector<Endpoint> endpoints) {
  ClientOptions options;
  options.endpoints = std::move(endpoints);
  options.deadline = 1000ms;
  options.connect_timeout = 200ms;
  options.io_timeout = 500ms;
  return options;
}

/// /v1/status of one node, or null when it does not answer.
nlohmann::json status_of(const Endpoint& endpoint) {
  ClientOptions options = client_options({endpoint});
  options.deadline = 300ms;
  Client client(options);
  const Reply reply = client.status();
  if (!reply.outcome.ok) return nullptr;
  return nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
}

TEST(Kill9Failover, ANewLeaderServesWithinTheBoundAndNoAcknowledgedWriteIsLost) {
  Cluster cluster(std::filesystem::temp_directory_path() /
                  fmt::format("raftsim-kill9-{}", ::getpid()));
  for (int id = 1; id <= kNodes; ++id) cluster.start(id);

  Client client(client_options(cluster.endpoints()));
  // Wait for a leader: the first write that succeeds.
  const auto ready_deadline = Clock::now() + 20s;
  while (!client.put("warm-up", "1").outcome.ok) {
    ASSERT_LT(Clock::now(), ready_deadline) << "no leader after 20 s\n" << cluster.logs();
  }

  // The loop: a new key every 20 ms, so that "present everywhere" checks every write.
  std::map<std::string, std::string> acknowledged;
  int failed = 0;
  Clock::time_point killed_at{};
  Clock::time_point recovered_at{};
  int killed = 0;
  const auto loop_start = Clock::now();
  for (int n = 0; Clock::now() - loop_start < 6s; ++n) {
    const auto next = Clock::now() + 20ms;
    if (killed == 0 && Clock::now() - loop_start > 1s) {
      const nlohmann::json status = status_of(cluster.http(1));
      ASSERT_TRUE(status.is_object()) << cluster.logs();
      killed = status.value("leader", 0);
      ASSERT_GE(killed, 1) << status.dump();
      cluster.kill9(killed);
      killed_at = Clock::now();
    }
    const std::string key = fmt::format("loop-{}", n);
    const std::string value = fmt::format("value-{}", n);
    const Reply reply = client.put(key, value);
    if (reply.outcome.ok) {
      acknowledged.emplace(key, value);
      if (killed != 0 && recovered_at == Clock::time_point{}) recovered_at = Clock::now();
    } else {
      ++failed;
    }
    std::this_thread::sleep_until(next);
  }
  ASSERT_NE(killed, 0);
  ASSERT_NE(recovered_at, Clock::time_point{}) << "no write succeeded after the kill\n"
                                               << cluster.logs();
  const auto rto = std::chrono::duration_cast<std::chrono::milliseconds>(recovered_at - killed_at);
  std::printf(
      "killed node %d; first write acknowledged %lld ms later; %d failed requests, %zu "
      "acknowledged\n",
      killed, static_cast<long long>(rto.count()), failed, acknowledged.size());
  EXPECT_LT(rto, kRecoveryBound) << cluster.logs();

  // The killed node comes back, replays its log and catches up from the leader.
  cluster.start(killed);
  nlohmann::json leader_status;
  const auto catch_up_deadline = Clock::now() + 20s;
  bool caught_up = false;
  while (!caught_up && Clock::now() < catch_up_deadline) {
    const nlohmann::json restarted = status_of(cluster.http(killed));
    const int leader = restarted.is_object() ? restarted.value("leader", 0) : 0;
    if (leader != 0 && leader != killed) {
      leader_status = status_of(cluster.http(leader));
      caught_up = leader_status.is_object() &&
                  restarted.value("applied", 0) >= leader_status.value("commit", 1);
    }
    if (!caught_up) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(caught_up) << cluster.logs();

  // Every acknowledged write, on every node, from its own state (a stale read is a local read).
  for (int id = 1; id <= kNodes; ++id) {
    Client local(client_options({cluster.http(id)}));
    for (const auto& [key, value] : acknowledged) {
      const Reply reply = local.get(key, /*stale=*/true);
      ASSERT_TRUE(reply.outcome.ok && reply.found) << "node " << id << " lost acknowledged key "
                                                   << key << ": " << reply.outcome.message << "\n"
                                                   << cluster.logs();
      EXPECT_EQ(reply.body, value) << "node " << id << ", key " << key;
    }
  }
}

}  // namespace
}  // namespace raft::kv_client
