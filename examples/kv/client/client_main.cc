// SPDX-License-Identifier: Apache-2.0
// raft-kv-client: put/get/delete/status against a raft-kv cluster, and `loop`, the seed's
// failover test (one request per interval; detection, RTO and failed requests at the end).
//
//   raft-kv-client --endpoints 127.0.0.1:8001,127.0.0.1:8002,127.0.0.1:8003 put k v
//   raft-kv-client --endpoints ... loop --interval 100ms --duration 30s --timeout 2s --json
//   raft-kv-client --target etcd --endpoints 127.0.0.1:2379,... loop --count 100
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "client.h"
#include "duration.h"
#include "loop.h"
#include "loop_summary.h"
#include "verify.h"

namespace {

using namespace raft::kv_client;

/// Parses a duration flag or exits with the flag's name in the message.
std::chrono::nanoseconds duration_or_exit(const std::string& flag, const std::string& text) {
  auto parsed = parse_duration(text);
  if (!parsed.ok()) {
    fmt::print(stderr, "raft-kv-client: {}: {}\n", flag, parsed.status().message());
    std::exit(2);
  }
  return *parsed;
}

template <class Duration>
Duration as(std::chrono::nanoseconds d) {
  return std::chrono::duration_cast<Duration>(d);
}

/// Prints a single request's result the way a shell user wants it: the value (GET) or the
/// server's JSON on stdout, the failure on stderr; the exit code says which.
int report(const Reply& reply, bool verbose) {
  const auto& o = reply.outcome;
  if (verbose || !o.ok) {
    fmt::print(stderr, "{} status={} attempts={} redirects={} endpoint={} latency={:.2f}ms{}\n",
               o.ok ? "ok" : "FAILED", o.http_status, o.attempts, o.redirects, o.endpoint,
               static_cast<double>(o.latency.count()) / 1e6,
               o.ok ? ""
                    : fmt::format(" error={} ({}){}", to_string(o.error), o.message,
                                  o.outcome_unknown ? " outcome unknown" : ""));
  }
  if (!o.ok) return 1;
  if (o.http_status == 404) {
    fmt::print(stderr, "not found\n");
    return 3;
  }
  std::fwrite(reply.body.data(), 1, reply.body.size(), stdout);
  if (!reply.body.empty() && reply.body.back() != '\n') std::fputc('\n', stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"raft-kv-client: a failover-aware client for raft-kv (and etcd's JSON gateway)"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags (-v, --timeout) may follow the subcommand too
  std::string endpoints_text = "127.0.0.1:8001,127.0.0.1:8002,127.0.0.1:8003";
  std::string target = "raftkv";
  std::string timeout_text = "2s";
  std::string connect_timeout_text = "300ms";
  std::string io_timeout_text = "1s";
  std::string backoff_base_text = "10ms";
  std::string backoff_cap_text = "500ms";
  std::uint64_t seed = 1;
  bool no_session = false;
  bool verbose = false;
  app.add_option("--endpoints", endpoints_text, "Comma-separated host:port list")
      ->capture_default_str();
  app.add_option("--target", target, "Server API: raftkv or etcd (v3.4 JSON gateway)")
      ->check(CLI::IsMember({"raftkv", "etcd"}))
      ->capture_default_str();
  app.add_option("--timeout", timeout_text, "Deadline of one request, retries included")
      ->capture_default_str();
  app.add_option("--connect-timeout", connect_timeout_text, "One TCP connect")
      ->capture_default_str();
  app.add_option("--io-timeout", io_timeout_text, "One attempt's write and read")
      ->capture_default_str();
  app.add_option("--backoff-base", backoff_base_text, "First backoff bound")->capture_default_str();
  app.add_option("--backoff-cap", backoff_cap_text, "Largest backoff bound")->capture_default_str();
  app.add_option("--seed", seed, "Seed of the backoff jitter")->capture_default_str();
  app.add_flag("--no-session", no_session, "Do not register a client session for writes");
  app.add_flag("-v,--verbose", verbose, "Print the outcome record of single requests");

  std::string key;
  std::string value;
  bool stale = false;
  auto* put = app.add_subcommand("put", "PUT a key");
  put->add_option("key", key)->required();
  put->add_option("value", value)->required();
  auto* get = app.add_subcommand("get", "GET a key (linearizable unless --stale)");
  get->add_option("key", key)->required();
  get->add_flag("--stale", stale, "Serve from the endpoint's local state");
  auto* del = app.add_subcommand("delete", "DELETE a key");
  del->add_option("key", key)->required();
  auto* status = app.add_subcommand("status", "GET /v1/status of the first endpoint that answers");

  LoopOptions loop_options;
  std::string interval_text = "1s";
  std::string duration_text = "30s";
  bool json = false;
  auto* loop = app.add_subcommand("loop", "One request per interval; failover summary at the end");
  loop->add_option("--interval", interval_text, "Time between requests")->capture_default_str();
  loop->add_option("--duration", duration_text, "Stop after this long")->capture_default_str();
  loop->add_option("--count", loop_options.count, "Stop after this many requests (0: no limit)");
  loop->add_option("--key", loop_options.key, "Key written (or read)")->capture_default_str();
  loop->add_flag("--read", loop_options.read, "GET the key instead of PUT");
  loop->add_flag("--stale", loop_options.stale, "With --read: stale reads");
  loop->add_flag("--until-recovered", loop_options.until_recovered,
                 "Stop at the first success after a failed or retried request");
  loop->add_flag("--json", json, "Summary as JSON on stdout (request lines go to stderr)");
  bool samples_json = false;
  loop->add_flag("--samples", samples_json, "With --json: list every request (key, value, ok)");
  loop->add_flag("--distinct-keys", loop_options.distinct_keys,
                 "Write <key>-<n> for request n (every acknowledged write stays checkable)");
  // `loop --timeout 2s` reads naturally; it sets the same deadline as the global flag.
  loop->add_option("--timeout", timeout_text, "Deadline of one request (same as the global)");

  std::string verify_file;
  std::string verify_wait_text = "5s";
  auto* verify = app.add_subcommand(
      "verify", "Check that every write a loop acknowledged is on every endpoint (stale reads)");
  verify->add_option("file", verify_file, "Output of loop --json --samples ('-': stdin)")
      ->required();
  verify->add_option("--wait", verify_wait_text, "Keep retrying missing writes this long")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  auto endpoints = parse_endpoints(endpoints_text);
  if (!endpoints.ok()) {
    fmt::print(stderr, "raft-kv-client: --endpoints: {}\n", endpoints.status().message());
    return 2;
  }
  ClientOptions options;
  options.endpoints = std::move(endpoints).value();
  options.target = target == "etcd" ? Target::kEtcd : Target::kRaftKv;
  options.deadline = as<std::chrono::milliseconds>(duration_or_exit("--timeout", timeout_text));
  options.connect_timeout =
      as<std::chrono::milliseconds>(duration_or_exit("--connect-timeout", connect_timeout_text));
  options.io_timeout =
      as<std::chrono::milliseconds>(duration_or_exit("--io-timeout", io_timeout_text));
  options.backoff.base =
      as<std::chrono::microseconds>(duration_or_exit("--backoff-base", backoff_base_text));
  options.backoff.cap =
      as<std::chrono::microseconds>(duration_or_exit("--backoff-cap", backoff_cap_text));
  options.seed = seed;
  options.sessions = !no_session;
  Client client(options);

  if (*put) return report(client.put(key, value), verbose);
  if (*get) return report(client.get(key, stale), verbose);
  if (*del) return report(client.remove(key), verbose);
  if (*status) return report(client.status(), verbose);

  if (*verify) {
    std::stringstream text;
    if (verify_file == "-") {
      text << std::cin.rdbuf();
    } else {
      std::ifstream in(verify_file);
      if (!in) {
        fmt::print(stderr, "raft-kv-client: verify: cannot read {}\n", verify_file);
        return 2;
      }
      text << in.rdbuf();
    }
    const auto writes = acked_writes(text.str());
    if (!writes.ok()) {
      fmt::print(stderr, "raft-kv-client: verify: {}: {}\n", verify_file,
                 writes.status().message());
      return 2;
    }
    const auto problems =
        verify_writes(options.endpoints, *writes, duration_or_exit("--wait", verify_wait_text));
    for (const auto& p : problems) {
      fmt::print("MISSING {} on {}: expected '{}', found {}\n", p.key, p.endpoint, p.expected,
                 p.found);
    }
    fmt::print("verified {} acknowledged writes on {} endpoints: {}\n", writes->size(),
               options.endpoints.size(), problems.empty() ? "all present" : "PROBLEMS");
    return problems.empty() ? 0 : 1;
  }

  loop_options.interval = duration_or_exit("--interval", interval_text);
  loop_options.duration = duration_or_exit("--duration", duration_text);
  auto& lines = json ? std::cerr : std::cout;
  const auto samples = run_loop(client, loop_options, lines);
  const auto summary = summarize(samples);
  if (json) {
    std::cout << to_json(summary, samples, samples_json) << '\n';
  } else {
    std::cout << to_text(summary, samples);
  }
  // Failures are what the loop measures, so they are no error; ending in failure (never
  // recovered) is.
  return samples.empty() || samples.back().ok ? 0 : 1;
}
