// SPDX-License-Identifier: Apache-2.0
// raft-kv-bench: closed-loop PUT load against raft-kv (or etcd 3.4's JSON gateway), one level
// per --clients value: throughput, exact p50/p99/p999 latency, errors, and the generator's own
// CPU (so a saturated generator is visible rather than mistaken for a slow server).
//
//   raft-kv-bench --endpoints 127.0.0.1:8001,127.0.0.1:8002,127.0.0.1:8003
//                 --clients 1,16,256 --duration 10s --value-size 256 [--json]
//   raft-kv-bench --target etcd --endpoints 127.0.0.1:2379,... --clients 1,16,256
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench_load.h"
#include "bench_stats.h"
#include "client.h"
#include "duration.h"

namespace {

using namespace raft::kv_client;
using Clock = std::chrono::steady_clock;

std::optional<std::string> json_string(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

/// raft-kv: ask /v1/status until some endpoint names the leader (an election may be running).
std::optional<Endpoint> find_raftkv_leader(const std::vector<Endpoint>& endpoints,
                                           std::chrono::seconds patience) {
  const auto give_up = Clock::now() + patience;
  while (Clock::now() < give_up) {
    for (const auto& endpoint : endpoints) {
      ClientOptions options;
      options.endpoints = {endpoint};
      options.deadline = std::chrono::milliseconds{500};
      Client client(options);
      const auto reply = client.status();
      if (!reply.outcome.ok) continue;
      const auto json = nlohmann::json::parse(reply.body, nullptr, false);
      if (json_string(json, "role") == std::optional<std::string>{"leader"}) return endpoint;
      if (const auto hint = json_string(json, "leader_http")) {
        if (auto parsed = parse_endpoint(*hint); parsed.ok()) return *parsed;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  return std::nullopt;
}

/// etcd: the member whose /v3/maintenance/status says leader == its own member_id.
std::optional<Endpoint> find_etcd_leader(const std::vector<Endpoint>& endpoints) {
  for (const auto& endpoint : endpoints) {
    ClientOptions options;
    options.endpoints = {endpoint};
    options.target = Target::kEtcd;
    options.deadline = std::chrono::milliseconds{1000};
    Client client(options);
    const auto reply = client.status();
    if (!reply.outcome.ok) continue;
    const auto json = nlohmann::json::parse(reply.body, nullptr, false);
    if (!json.is_object()) continue;
    const auto header = json.find("header");
    if (header == json.end()) continue;
    const auto member = json_string(*header, "member_id");
    if (member && json_string(json, "leader") == member) return endpoint;
  }
  return std::nullopt;
}

std::vector<std::size_t> parse_levels(const std::string& text) {
  std::vector<std::size_t> levels;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    const auto value = std::stoul(item, &used);
    if (used != item.size() || value == 0) throw std::invalid_argument(item);
    levels.push_back(value);
  }
  return levels;
}

std::chrono::nanoseconds duration_or_exit(const char* flag, const std::string& text) {
  auto parsed = parse_duration(text);
  if (!parsed.ok()) {
    fmt::print(stderr, "raft-kv-bench: {}: {}\n", flag, parsed.status().message());
    std::exit(2);
  }
  return *parsed;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"raft-kv-bench: closed-loop PUT load, throughput and latency percentiles"};
  std::string endpoints_text = "127.0.0.1:8001,127.0.0.1:8002,127.0.0.1:8003";
  std::string target = "raftkv";
  std::string clients_text = "1,16,256";
  std::string duration_text = "10s";
  std::string warmup_text = "1s";
  bench::LoadOptions load;
  bool json = false;
  bool all_endpoints = false;
  app.add_option("--endpoints", endpoints_text, "Comma-separated host:port list")
      ->capture_default_str();
  app.add_option("--target", target, "raftkv or etcd (v3.4 JSON gateway)")
      ->check(CLI::IsMember({"raftkv", "etcd"}))
      ->capture_default_str();
  app.add_option("--clients", clients_text, "Concurrency levels, comma-separated")
      ->capture_default_str();
  app.add_option("--duration", duration_text, "Measured time per level")->capture_default_str();
  app.add_option("--warmup", warmup_text, "Unmeasured time before each level")
      ->capture_default_str();
  app.add_option("--value-size", load.value_size, "PUT body bytes")->capture_default_str();
  app.add_option("--keys-per-client", load.keys_per_client, "Distinct keys each client cycles")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--threads", load.threads, "io_context threads of the generator")
      ->capture_default_str()
      ->check(CLI::Range(1U, 64U));
  app.add_flag("--all-endpoints", all_endpoints,
               "Spread clients over every endpoint instead of the leader only (etcd followers "
               "forward; raft-kv followers redirect once)");
  app.add_flag("--json", json, "Print the results as JSON");
  CLI11_PARSE(app, argc, argv);

  auto endpoints = parse_endpoints(endpoints_text);
  if (!endpoints.ok()) {
    fmt::print(stderr, "raft-kv-bench: --endpoints: {}\n", endpoints.status().message());
    return 2;
  }
  std::vector<std::size_t> levels;
  try {
    levels = parse_levels(clients_text);
  } catch (const std::exception&) {
    fmt::print(stderr, "raft-kv-bench: --clients '{}': expected e.g. 1,16,256\n", clients_text);
    return 2;
  }
  load.target = target == "etcd" ? Target::kEtcd : Target::kRaftKv;
  load.duration = duration_or_exit("--duration", duration_text);
  load.warmup = duration_or_exit("--warmup", warmup_text);
  load.fallback = *endpoints;
  if (all_endpoints) {
    load.endpoints = *endpoints;
  } else {
    const auto leader = load.target == Target::kEtcd
                            ? find_etcd_leader(*endpoints)
                            : find_raftkv_leader(*endpoints, std::chrono::seconds{10});
    if (!leader) {
      fmt::print(stderr, "raft-kv-bench: no leader found among {}\n", endpoints_text);
      return 1;
    }
    load.endpoints = {*leader};
  }

  nlohmann::json report{{"target", target},
                        {"endpoints", nlohmann::json::array()},
                        {"value_size", load.value_size},
                        {"duration_s", std::chrono::duration<double>(load.duration).count()},
                        {"warmup_s", std::chrono::duration<double>(load.warmup).count()},
                        {"threads", load.threads},
                        {"levels", nlohmann::json::array()}};
  for (const auto& e : load.endpoints) report["endpoints"].push_back(e.to_string());
  if (!json) {
    fmt::print("target {}  endpoints {}  value {} B  duration {}  warmup {}  threads {}\n", target,
               report["endpoints"].dump(), load.value_size, duration_text, warmup_text,
               load.threads);
    fmt::print("{:>8} {:>11} {:>9} {:>9} {:>9} {:>9} {:>8} {:>9} {:>10}\n", "clients", "ops/s",
               "p50_us", "p99_us", "p999_us", "max_us", "errors", "gen_cpu%", "gen_us/op");
  }
  int status = 0;
  for (const auto clients : levels) {
    load.clients = clients;
    auto result = bench::run_load(load);
    const bench::LatencyStats stats(std::move(result.latencies_ns));
    const double ops_per_s = static_cast<double>(result.ops) / result.seconds;
    const auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e3; };
    const double cpu_percent = 100.0 * result.cpu_seconds / result.seconds;
    const double cpu_us_per_op =
        result.ops == 0 ? 0.0 : result.cpu_seconds * 1e6 / static_cast<double>(result.ops);
    report["levels"].push_back({{"clients", clients},
                                {"ops", result.ops},
                                {"ops_per_s", ops_per_s},
                                {"p50_us", us(stats.percentile(50))},
                                {"p99_us", us(stats.percentile(99))},
                                {"p999_us", us(stats.percentile(99.9))},
                                {"max_us", us(stats.max())},
                                {"mean_us", stats.mean() / 1e3},
                                {"errors", result.errors},
                                {"redirects", result.redirects},
                                {"generator_cpu_percent", cpu_percent},
                                {"generator_cpu_us_per_op", cpu_us_per_op},
                                {"first_error", result.first_error}});
    if (!json) {
      fmt::print("{:>8} {:>11.0f} {:>9.0f} {:>9.0f} {:>9.0f} {:>9.0f} {:>8} {:>9.1f} {:>10.2f}\n",
                 clients, ops_per_s, us(stats.percentile(50)), us(stats.percentile(99)),
                 us(stats.percentile(99.9)), us(stats.max()), result.errors, cpu_percent,
                 cpu_us_per_op);
      if (!result.first_error.empty()) fmt::print("         first error: {}\n", result.first_error);
      std::fflush(stdout);
    }
    if (result.ops == 0) status = 1;
  }
  if (json) std::cout << report.dump(2) << '\n';
  return status;
}
