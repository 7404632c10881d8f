// SPDX-License-Identifier: Apache-2.0
// raftsim — replay, sweep and swarm-check Raft failover scenarios.
//
//   raftsim run SCENARIO.yaml [--seed N] [--nodes N] [--set key=value]... [--json]
//                             [--trace FILE] [--chrome FILE] [--html FILE]
//   raftsim sweep SCENARIO.yaml [--seeds N] [--first-seed N] [--json]
//   raftsim check [--seeds N] [--first-seed N] [--nodes N] [--faults swarm] [--jobs N]
//
// Exit codes: 0 passed, 1 an expectation, safety or linearizability check
// failed, 2 bad input (unreadable or malformed scenario, bad flag).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "raft/format.h"
#include "raft/sim/runner.h"
#include "raft/sim/scenario_loader.h"
#include "raft/sim/swarm.h"
#include "raft/sim/timeline.h"

namespace {

using namespace raft;
using namespace raft::sim;

constexpr int kExitFailed = 1;
constexpr int kExitBadInput = 2;

struct ScenarioArgs {
  std::string file;
  std::optional<std::uint64_t> seed;
  std::optional<std::uint32_t> nodes;
  std::vector<std::string> overrides;
};

void add_scenario_args(CLI::App& command, ScenarioArgs& args) {
  command.add_option("scenario", args.file, "Scenario file (YAML); see sim/scenarios/")->required();
  command.add_option("--seed", args.seed, "Seed of the run (default: the scenario's)");
  command.add_option("--nodes", args.nodes, "Cluster size (overrides cluster.size)");
  command.add_option("--set", args.overrides, "Override a field: --set cluster.heartbeat=50ms")
      ->take_all();
}

// Loads the scenario and applies the command line; prints the error and
// returns nothing on bad input.
std::optional<Scenario> load(const ScenarioArgs& args) {
  Result<Scenario> scenario = load_scenario(args.file);
  if (!scenario.ok()) {
    fmt::print(stderr, "raftsim: {}\n", scenario.status().message());
    return std::nullopt;
  }
  if (args.nodes) {
    if (Status status = apply_override(*scenario, fmt::format("cluster.size={}", *args.nodes));
        !status.ok()) {
      fmt::print(stderr, "raftsim: --nodes: {}\n", status.message());
      return std::nullopt;
    }
  }
  for (const std::string& assignment : args.overrides) {
    if (Status status = apply_override(*scenario, assignment); !status.ok()) {
      fmt::print(stderr, "raftsim: --set {}: {}\n", assignment, status.message());
      return std::nullopt;
    }
  }
  if (args.seed) scenario->seed = *args.seed;
  return std::move(*scenario);
}

std::uint32_t terminal_width() {
  if (const char* columns = std::getenv("COLUMNS"); columns != nullptr) {
    const int value = std::atoi(columns);
    if (value >= 60) return static_cast<std::uint32_t>(std::min(value, 200));
  }
  return 100;
}

TimelineOptions timeline_options(const RunResult& result) {
  TimelineOptions options;
  options.nodes = result.scenario.cluster.hosts();
  options.start = Time{};
  options.end = result.end;
  options.width = terminal_width();
  options.title = fmt::format("{} (seed {})", result.scenario.name, result.scenario.seed);
  if (!result.scenario.description.empty()) options.notes.push_back(result.scenario.description);
  return options;
}

bool write_file(const std::string& path, const std::function<void(std::ostream&)>& writer) {
  std::ofstream out{path};
  if (!out) {
    fmt::print(stderr, "raftsim: cannot write {}\n", path);
    return false;
  }
  writer(out);
  return static_cast<bool>(out);
}

int run_command(const ScenarioArgs& args, bool json, const std::string& trace_file,
                const std::string& chrome_file, const std::string& html_file, bool timeline) {
  const std::optional<Scenario> scenario = load(args);
  if (!scenario) return kExitBadInput;
  const RunResult result = run_scenario(*scenario);
  if (!trace_file.empty() && !write_file(trace_file, [&](std::ostream& out) {
        for (const TraceEvent& event : result.events) out << to_json_line(event) << '\n';
      })) {
    return kExitBadInput;
  }
  const TimelineOptions options = timeline_options(result);
  if (!chrome_file.empty() && !write_file(chrome_file, [&](std::ostream& out) {
        write_chrome_trace(result.events, options, out);
      })) {
    return kExitBadInput;
  }
  if (!html_file.empty() && !write_file(html_file, [&](std::ostream& out) {
        write_html_timeline(result.events, result.metrics, options, out);
      })) {
    return kExitBadInput;
  }
  if (json) {
    fmt::print("{}\n", summary_json(result));
  } else {
    if (timeline) fmt::print("{}\n", render_ascii_timeline(result.events, result.metrics, options));
    fmt::print("{}", format_summary(result));
  }
  if (!result.violations.empty()) fmt::print(stderr, "{}", format_violation_report(result));
  return result.passed() ? 0 : kExitFailed;
}

// `raftsim check --show`: one seed's run as `raftsim run` prints it, to see
// what a failing seed did.
int show_command(std::uint64_t seeds, std::uint64_t first_seed, const SwarmOptions& options) {
  int status = 0;
  for (std::uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
    const Scenario scenario = swarm_scenario(seed, options);
    RunOptions run;
    run.mutation = options.mutation;
    const RunResult result = run_scenario(scenario, run);
    fmt::print("{}\n",
               render_ascii_timeline(result.events, result.metrics, timeline_options(result)));
    fmt::print("faults     {}\n{}", describe_swarm(scenario), format_summary(result));
    if (!result.violations.empty()) fmt::print(stderr, "{}", format_violation_report(result));
    if (!result.passed()) status = kExitFailed;
  }
  return status;
}

// Percentile by nearest rank over a sorted sample.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank =
      static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)];
}

int sweep_command(const ScenarioArgs& args, std::uint64_t seeds, std::uint64_t first_seed,
                  bool json) {
  std::optional<Scenario> scenario = load(args);
  if (!scenario) return kExitBadInput;
  struct Series {
    const char* name;
    std::vector<double> values;
    std::uint64_t missing = 0;
  };
  Series series[] = {{"detection_ms", {}}, {"election_ms", {}},     {"ready_ms", {}},
                     {"rto_ms", {}},       {"failed_requests", {}}, {"elections", {}}};
  std::uint64_t failed_runs = 0;
  for (std::uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
    scenario->seed = seed;
    RunOptions options;
    options.keep_messages = false;
    const RunResult result = run_scenario(*scenario, options);
    if (!result.passed()) ++failed_runs;
    const RunMetrics& m = result.metrics;
    const std::optional<Duration> durations[] = {m.detection, m.election, m.ready, m.rto};
    for (std::size_t i = 0; i < 4; ++i) {
      if (durations[i]) {
        series[i].values.push_back(
            std::chrono::duration<double, std::milli>(*durations[i]).count());
      } else {
        ++series[i].missing;
      }
    }
    series[4].values.push_back(static_cast<double>(m.failed_requests()));
    series[5].values.push_back(static_cast<double>(m.elections));
  }
  std::string json_text =
      fmt::format("{{\"scenario\":\"{}\",\"seeds\":{},\"first_seed\":{},\"failed_runs\":{}",
                  scenario->name, seeds, first_seed, failed_runs);
  if (!json) {
    fmt::print("{} over {} seeds ({}..{}): {} run(s) missed an expectation\n", scenario->name,
               seeds, first_seed, first_seed + seeds - 1, failed_runs);
    fmt::print("{:<16} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8}\n", "metric", "min", "p50", "p90",
               "p99", "max", "missing");
  }
  for (Series& s : series) {
    std::ranges::sort(s.values);
    const double min = s.values.empty() ? 0 : s.values.front();
    const double max = s.values.empty() ? 0 : s.values.back();
    if (json) {
      json_text += fmt::format(
          ",\"{}\":{{\"min\":{},\"p50\":{},\"p90\":{},\"p99\":{},\"max\":{},\"missing\":{}}}",
          s.name, min, percentile(s.values, 50), percentile(s.values, 90), percentile(s.values, 99),
          max, s.missing);
    } else {
      fmt::print("{:<16} {:>10.1f} {:>10.1f} {:>10.1f} {:>10.1f} {:>10.1f} {:>8}\n", s.name, min,
                 percentile(s.values, 50), percentile(s.values, 90), percentile(s.values, 99), max,
                 s.missing);
    }
  }
  if (json) fmt::print("{}}}\n", json_text);
  return failed_runs == 0 ? 0 : kExitFailed;
}

int check_command(std::uint64_t seeds, std::uint64_t first_seed, const SwarmOptions& options,
                  unsigned jobs) {
  const bool tty = isatty(STDERR_FILENO) != 0;
  std::atomic<std::uint64_t> next{0};
  std::atomic<std::uint64_t> done{0};
  std::mutex lock;
  std::vector<SwarmOutcome> failures;
  const auto started = std::chrono::steady_clock::now();
  const auto worker = [&] {
    while (true) {
      const std::uint64_t i = next.fetch_add(1);
      if (i >= seeds) return;
      SwarmOutcome outcome = run_swarm_seed(first_seed + i, options);
      const std::uint64_t finished = done.fetch_add(1) + 1;
      const std::lock_guard guard{lock};
      if (!outcome.passed) failures.push_back(std::move(outcome));
      if (tty && (finished % 10 == 0 || finished == seeds)) {
        fmt::print(stderr, "\r{}/{} seeds, {} failed", finished, seeds, failures.size());
      }
    }
  };
  std::vector<std::thread> threads;
  jobs = std::max(1U, std::min<unsigned>(jobs, static_cast<unsigned>(seeds)));
  for (unsigned j = 0; j < jobs; ++j) threads.emplace_back(worker);
  for (std::thread& thread : threads) thread.join();
  if (tty) fmt::print(stderr, "\n");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  // Report failures in seed order, whatever order the workers finished in.
  std::ranges::sort(failures, {}, &SwarmOutcome::seed);
  for (const SwarmOutcome& failure : failures) fmt::print("{}\n", failure.report);
  fmt::print(
      "raftsim check: {} seeds ({}..{}), {} nodes, {} s simulated each: {} passed, {} failed"
      " ({:.1f} s wall, {} jobs)\n",
      seeds, first_seed, first_seed + seeds - 1, options.nodes,
      std::chrono::duration<double>(options.duration).count(), seeds - failures.size(),
      failures.size(), seconds, jobs);
  return failures.empty() ? 0 : kExitFailed;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"raftsim — deterministic Raft failover simulator"};
  app.require_subcommand(1);

  ScenarioArgs run_args;
  bool json = false;
  bool no_timeline = false;
  std::string trace_file;
  std::string chrome_file;
  std::string html_file;
  CLI::App* run = app.add_subcommand("run", "Replay one scenario: timeline and summary");
  add_scenario_args(*run, run_args);
  run->add_flag("--json", json, "Print the summary as one JSON object");
  run->add_flag("--no-timeline", no_timeline, "Print only the summary");
  run->add_option("--trace", trace_file, "Write every event to FILE as JSON lines");
  run->add_option("--chrome", chrome_file, "Write a Chrome trace-event JSON file (Perfetto)");
  run->add_option("--html", html_file, "Write a self-contained HTML timeline");

  ScenarioArgs sweep_args;
  std::uint64_t sweep_seeds = 100;
  std::uint64_t sweep_first = 1;
  bool sweep_json = false;
  CLI::App* sweep = app.add_subcommand("sweep", "Run a scenario over many seeds: percentiles");
  add_scenario_args(*sweep, sweep_args);
  sweep->add_option("--seeds", sweep_seeds, "How many seeds")->check(CLI::Range(1, 1'000'000));
  sweep->add_option("--first-seed", sweep_first, "First seed");
  sweep->add_flag("--json", sweep_json, "Print one JSON object");

  std::uint64_t check_seeds = 100;
  std::uint64_t check_first = 1;
  std::string faults = "swarm";
  std::string mutation = "none";
  std::string duration = "60s";
  unsigned jobs = std::max(1U, std::thread::hardware_concurrency());
  SwarmOptions swarm;
  CLI::App* check = app.add_subcommand("check", "Randomized fault schedules (swarm testing)");
  check->add_option("--seeds", check_seeds, "How many seeds")->check(CLI::Range(1, 100'000'000));
  check->add_option("--first-seed", check_first, "First seed");
  check->add_option("--nodes", swarm.nodes, "Cluster size")->check(CLI::Range(1, 64));
  check->add_option("--faults", faults, "Fault mode (swarm: each seed draws its own mix)")
      ->check(CLI::IsMember({"swarm"}));
  check->add_option("--duration", duration, "Simulated time per seed (e.g. 60s)");
  check->add_option("--jobs", jobs, "Worker threads (seeds are independent)")
      ->check(CLI::Range(1, 256));
  check->add_option("--mutation", mutation, "Test the checker with a broken protocol")
      ->check(CLI::IsMember({"none", "double-vote"}));
  bool show = false;
  check->add_flag("--show", show,
                  "Print each seed's timeline and summary, as `run` does (for a few seeds)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : kExitBadInput;
  }

  if (run->parsed()) {
    return run_command(run_args, json, trace_file, chrome_file, html_file, !no_timeline);
  }
  if (sweep->parsed()) return sweep_command(sweep_args, sweep_seeds, sweep_first, sweep_json);
  const std::optional<Duration> parsed = parse_duration(duration);
  if (!parsed || *parsed <= swarm.healed) {
    fmt::print(stderr, "raftsim: --duration: '{}' must be a duration above {} s (e.g. 60s)\n",
               duration, std::chrono::duration<double>(swarm.healed).count());
    return kExitBadInput;
  }
  swarm.duration = *parsed;
  swarm.mutation = mutation == "double-vote" ? Mutation::kDoubleVote : Mutation::kNone;
  if (show) return show_command(check_seeds, check_first, swarm);
  return check_command(check_seeds, check_first, swarm, jobs);
}
