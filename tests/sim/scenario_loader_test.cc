// SPDX-License-Identifier: Apache-2.0
// Scenario files: a full document parses to exactly the structs it describes;
// every bad file gets an error naming its line and field; overrides reuse the
// same parsers; and no mutation of a valid file crashes the loader.
//
// Replay one mutation seed:   RAFT_SEED=123 ./build/dev/tests/sim_scenario_loader_test
// Run more mutation seeds:    RAFT_SEED_COUNT=100000 ./build/dev/tests/sim_scenario_loader_test
#include "raft/sim/scenario_loader.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "raft/prng.h"

namespace raft::sim {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::chrono_literals;

const std::string kTestData = std::string(RAFT_SOURCE_DIR) + "/tests/sim/testdata";

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::optional<std::uint64_t> env_u64(const char* name) {
  const char* text = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read once, one thread
  if (text == nullptr || *text == '\0') return std::nullopt;
  return std::strtoull(text, nullptr, 10);
}

NodeSelector id(std::uint64_t value) { return {NodeSelector::Kind::kId, NodeId{value}}; }
NodeSelector leader() { return {NodeSelector::Kind::kLeader, NodeId{}}; }
NodeSelector follower() { return {NodeSelector::Kind::kFollower, NodeId{}}; }

bool same(const NodeSelector& a, const NodeSelector& b) { return a.kind == b.kind && a.id == b.id; }

bool same(const std::vector<std::vector<NodeSelector>>& a,
          const std::vector<std::vector<NodeSelector>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].size() != b[i].size()) return false;
    for (std::size_t j = 0; j < a[i].size(); ++j) {
      if (!same(a[i][j], b[i][j])) return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// A full document, every field checked.

class ScenarioLoaderFull : public ::testing::Test {
 protected:
  void SetUp() override {
    auto result = load_scenario(kTestData + "/full.yaml");
    ASSERT_TRUE(result.ok()) << result.status().to_string();
    scenario_ = std::move(result).value();
  }
  Scenario scenario_;
};

TEST_F(ScenarioLoaderFull, TopLevel) {
  EXPECT_EQ(scenario_.name, "full-example");
  EXPECT_EQ(scenario_.description, "every field set");
  EXPECT_EQ(scenario_.source, kTestData + "/full.yaml");
  EXPECT_EQ(scenario_.seed, 42U);
  EXPECT_EQ(scenario_.duration, 90s);
  EXPECT_EQ(scenario_.events_max, 1'000'000U);
}

TEST_F(ScenarioLoaderFull, Cluster) {
  const ClusterSpec& cluster = scenario_.cluster;
  EXPECT_EQ(cluster.size, 5U);
  EXPECT_EQ(cluster.heartbeat_interval, 250ms);
  EXPECT_EQ(cluster.election_timeout_min, 3s);
  EXPECT_EQ(cluster.election_timeout_max, 4500ms);
  EXPECT_FALSE(cluster.pre_vote);
  EXPECT_FALSE(cluster.check_quorum);
  EXPECT_TRUE(cluster.fast_failover);
  EXPECT_EQ(cluster.fast_failover_delay_max, 40ms);
  EXPECT_EQ(cluster.inflight_messages_max, 128U);
  EXPECT_EQ(cluster.message_bytes_max, 65536U);
}

TEST_F(ScenarioLoaderFull, NetworkDiskStandby) {
  const NetworkSpec& network = scenario_.network;
  EXPECT_EQ(network.defaults.latency, Distribution::uniform(1ms, 5ms));
  EXPECT_DOUBLE_EQ(network.defaults.loss, 0.01);
  EXPECT_DOUBLE_EQ(network.defaults.duplicate, 0.002);
  ASSERT_EQ(network.links.size(), 2U);
  EXPECT_EQ(network.links[0].from, NodeId{1});
  EXPECT_EQ(network.links[0].to, NodeId{2});
  EXPECT_EQ(network.links[0].link.latency, Distribution::fixed(50ms));
  EXPECT_DOUBLE_EQ(network.links[0].link.loss, 0.1);
  EXPECT_DOUBLE_EQ(network.links[0].link.duplicate, 0.002);  // From the defaults.
  EXPECT_EQ(network.links[1].from, NodeId{2});
  EXPECT_EQ(network.links[1].to, NodeId{1});
  EXPECT_EQ(network.links[1].link.latency, Distribution::uniform(1ms, 5ms));
  EXPECT_DOUBLE_EQ(network.links[1].link.loss, 0.01);
  EXPECT_DOUBLE_EQ(network.links[1].link.duplicate, 0.5);

  EXPECT_EQ(scenario_.disk.fsync, Distribution::log_normal(2ms, 0.5));

  const StandbySpec& standby = scenario_.standby;
  EXPECT_EQ(standby.kind, StandbySpec::Kind::kWarm);
  EXPECT_EQ(standby.load_time, 2s);
  EXPECT_EQ(standby.load_bytes_per_s, 1'000'000U);
  EXPECT_EQ(standby.start_time, 1500ms);
}

TEST_F(ScenarioLoaderFull, Clients) {
  ASSERT_EQ(scenario_.clients.size(), 6U);
  const ClientSpec& loop = scenario_.clients[0];
  EXPECT_EQ(loop.name, "loop");
  EXPECT_EQ(loop.count, 2U);
  EXPECT_EQ(loop.mode, ClientSpec::Mode::kInterval);
  EXPECT_EQ(loop.interval, 1s);
  EXPECT_EQ(loop.timeout, 2s);
  EXPECT_DOUBLE_EQ(loop.read_ratio, 0.5);
  EXPECT_EQ(loop.keys, 10U);
  EXPECT_EQ(loop.retry.policy, RetrySpec::Policy::kFixed);
  EXPECT_EQ(loop.retry.base, 1s);
  EXPECT_EQ(loop.endpoints, (std::vector<NodeId>{NodeId{1}, NodeId{2}, NodeId{3}}));
  EXPECT_FALSE(loop.follow_leader_hint);
  EXPECT_EQ(loop.start, 1s);
  EXPECT_EQ(loop.stop, std::optional<Duration>(50s));

  const ClientSpec& backoff = scenario_.clients[1];
  EXPECT_EQ(backoff.name, "backoff");
  EXPECT_EQ(backoff.count, 1U);  // Defaults where the file says nothing.
  EXPECT_EQ(backoff.mode, ClientSpec::Mode::kClosedLoop);
  EXPECT_EQ(backoff.interval, 100ms);
  EXPECT_EQ(backoff.timeout, 500ms);
  EXPECT_DOUBLE_EQ(backoff.read_ratio, 0.0);
  EXPECT_EQ(backoff.keys, 1U);
  EXPECT_TRUE(backoff.endpoints.empty());
  EXPECT_TRUE(backoff.follow_leader_hint);
  EXPECT_EQ(backoff.start, 0s);
  EXPECT_FALSE(backoff.stop.has_value());
  const RetrySpec& retry = backoff.retry;
  EXPECT_EQ(retry.policy, RetrySpec::Policy::kExponential);
  EXPECT_EQ(retry.base, 100ms);
  EXPECT_DOUBLE_EQ(retry.multiplier, 3.0);
  EXPECT_EQ(retry.cap, 10s);
  EXPECT_EQ(retry.jitter, RetrySpec::Jitter::kDecorrelated);
  EXPECT_DOUBLE_EQ(retry.jitter_fraction, 0.3);
  EXPECT_EQ(retry.additive_max, 2s);
  EXPECT_EQ(retry.attempts_max, 10U);
}

TEST_F(ScenarioLoaderFull, RetryPresets) {
  const RetrySpec& grpc = scenario_.clients[2].retry;
  EXPECT_EQ(grpc.policy, RetrySpec::Policy::kExponential);
  EXPECT_EQ(grpc.base, 1s);
  EXPECT_DOUBLE_EQ(grpc.multiplier, 1.6);
  EXPECT_EQ(grpc.jitter, RetrySpec::Jitter::kProportional);
  EXPECT_DOUBLE_EQ(grpc.jitter_fraction, 0.2);
  EXPECT_EQ(grpc.cap, 120s);

  const RetrySpec& seed = scenario_.clients[3].retry;
  EXPECT_EQ(seed.policy, RetrySpec::Policy::kExponential);
  EXPECT_EQ(seed.base, 1s);
  EXPECT_DOUBLE_EQ(seed.multiplier, 2.0);
  EXPECT_EQ(seed.jitter, RetrySpec::Jitter::kAdditive);
  EXPECT_EQ(seed.additive_max, 1s);

  const RetrySpec& none = scenario_.clients[4].retry;
  EXPECT_EQ(none.policy, RetrySpec::Policy::kNone);
  EXPECT_EQ(none.attempts_max, 1U);

  const RetrySpec& fixed = scenario_.clients[5].retry;
  EXPECT_EQ(fixed.policy, RetrySpec::Policy::kFixed);
  EXPECT_EQ(fixed.base, 3s);
}

TEST_F(ScenarioLoaderFull, Timeline) {
  const std::vector<FaultSpec>& faults = scenario_.faults;
  ASSERT_EQ(faults.size(), 15U);
  // File order is kept (the runner orders by time); each fault keeps its line.
  const int first_line = 42;
  for (std::size_t i = 0; i < faults.size(); ++i) {
    EXPECT_EQ(faults[i].line, first_line + static_cast<int>(i)) << "fault " << i;
  }

  EXPECT_EQ(faults[0].at, 20s);
  EXPECT_EQ(faults[0].kind, FaultKind::kCrash);
  EXPECT_TRUE(same(faults[0].target, leader()));
  EXPECT_EQ(faults[0].duration, std::optional<Duration>(10s));

  EXPECT_EQ(faults[1].kind, FaultKind::kMachineLoss);
  EXPECT_TRUE(same(faults[1].target, id(2)));
  EXPECT_FALSE(faults[1].duration.has_value());

  EXPECT_EQ(faults[2].at, 30s);
  EXPECT_EQ(faults[2].kind, FaultKind::kRestart);
  EXPECT_TRUE(same(faults[2].target, id(2)));

  EXPECT_EQ(faults[3].kind, FaultKind::kPartition);
  EXPECT_TRUE(same(faults[3].groups, {{id(1), id(2)}, {id(3), id(4), id(5)}}));

  EXPECT_EQ(faults[4].kind, FaultKind::kPartitionOneWay);
  EXPECT_TRUE(same(faults[4].groups, {{leader()}, {id(2), id(3)}}));

  EXPECT_EQ(faults[5].kind, FaultKind::kIsolate);
  EXPECT_TRUE(same(faults[5].target, follower()));

  EXPECT_EQ(faults[6].at, 40s);
  EXPECT_EQ(faults[6].kind, FaultKind::kHeal);

  EXPECT_EQ(faults[7].kind, FaultKind::kPause);
  EXPECT_TRUE(same(faults[7].target, id(3)));
  EXPECT_EQ(faults[7].duration, std::optional<Duration>(2s));

  EXPECT_EQ(faults[8].kind, FaultKind::kPause);  // "node 4 for 1.5s"
  EXPECT_TRUE(same(faults[8].target, id(4)));
  EXPECT_EQ(faults[8].duration, std::optional<Duration>(1500ms));

  EXPECT_EQ(faults[9].kind, FaultKind::kResume);
  EXPECT_TRUE(same(faults[9].target, id(4)));

  EXPECT_EQ(faults[10].kind, FaultKind::kSlowDisk);
  EXPECT_TRUE(same(faults[10].target, leader()));
  EXPECT_EQ(faults[10].extra_latency, 500ms);
  EXPECT_EQ(faults[10].duration, std::optional<Duration>(10s));

  EXPECT_EQ(faults[11].kind, FaultKind::kDiskRecovered);
  EXPECT_TRUE(same(faults[11].target, id(1)));

  EXPECT_EQ(faults[12].kind, FaultKind::kClockDrift);
  EXPECT_TRUE(same(faults[12].target, id(2)));
  EXPECT_DOUBLE_EQ(faults[12].clock_rate, 1.05);

  // Network changes apply in time order, each keeping what it does not name:
  // the 45 s change (loss) comes first, then the 50 s one (latency) keeps its loss.
  EXPECT_EQ(faults[14].kind, FaultKind::kNetworkChange);
  ASSERT_TRUE(faults[14].network.has_value());
  EXPECT_EQ(faults[14].network->latency, Distribution::uniform(1ms, 5ms));
  EXPECT_DOUBLE_EQ(faults[14].network->loss, 0.2);
  EXPECT_DOUBLE_EQ(faults[14].network->duplicate, 0.002);
  EXPECT_EQ(faults[13].kind, FaultKind::kNetworkChange);
  ASSERT_TRUE(faults[13].network.has_value());
  EXPECT_EQ(faults[13].network->latency, Distribution::fixed(10ms));
  EXPECT_DOUBLE_EQ(faults[13].network->loss, 0.2);
  EXPECT_DOUBLE_EQ(faults[13].network->duplicate, 0.002);
}

TEST_F(ScenarioLoaderFull, Expect) {
  const ExpectSpec& expect = scenario_.expect;
  EXPECT_EQ(expect.rto_ms_max, std::optional<double>(10000.0));
  EXPECT_EQ(expect.failed_requests_max, std::optional<std::uint64_t>(5));
  EXPECT_EQ(expect.violations, 0U);
  EXPECT_FALSE(expect.linearizable);
  EXPECT_EQ(expect.detection_ms_max, std::optional<double>(4000.0));
  EXPECT_EQ(expect.election_ms_max, std::optional<double>(5000.5));
  EXPECT_EQ(expect.elections_max, std::optional<std::uint64_t>(3));
}

TEST(ScenarioLoader, DefaultsWhenKeysAreMissing) {
  auto result = parse_scenario("seed: 3\n", "");
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  const Scenario defaults;
  EXPECT_EQ(result->seed, 3U);
  EXPECT_EQ(result->name, defaults.name);
  EXPECT_EQ(result->duration, defaults.duration);
  EXPECT_EQ(result->cluster.size, defaults.cluster.size);
  EXPECT_EQ(result->network.defaults.latency, defaults.network.defaults.latency);
  EXPECT_TRUE(result->clients.empty());
  EXPECT_TRUE(result->faults.empty());
}

TEST(ScenarioLoader, NameDefaultsToTheFileName) {
  auto result = parse_scenario("seed: 3\n", "some/dir/etcd-defaults.yaml");
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(result->name, "etcd-defaults");
}

TEST(ScenarioLoader, BundledScenariosLoad) {
  int count = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(RAFT_SOURCE_DIR) + "/sim/scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    ++count;
    const auto result = load_scenario(entry.path().string());
    EXPECT_TRUE(result.ok()) << result.status().to_string();
  }
  EXPECT_GT(count, 0);
}

TEST(ScenarioLoader, ReadmeExampleLoads) {
  // The complete example in sim/scenarios/README.md is the first ```yaml block there.
  const std::string readme = read_file(std::string(RAFT_SOURCE_DIR) + "/sim/scenarios/README.md");
  const std::string open = "```yaml\n";
  const auto begin = readme.find(open);
  ASSERT_NE(begin, std::string::npos);
  const auto end = readme.find("```", begin + open.size());
  ASSERT_NE(end, std::string::npos);
  const auto result =
      parse_scenario(readme.substr(begin + open.size(), end - begin - open.size()), "README.md");
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(result->name, "coordinator-failover");
  EXPECT_EQ(result->faults.size(), 15U);
  EXPECT_EQ(result->clients.size(), 1U);
}

TEST(ScenarioLoader, Distributions) {
  const auto latency = [](const std::string& text) -> Result<Distribution> {
    auto result = parse_scenario("network: {latency: " + text + "}\n", "d.yaml");
    if (!result.ok()) return result.status();
    return result->network.defaults.latency;
  };
  EXPECT_EQ(latency("2ms").value(), Distribution::fixed(2ms));
  EXPECT_EQ(latency("{fixed: 3ms}").value(), Distribution::fixed(3ms));
  EXPECT_EQ(latency("{uniform: [1ms, 5ms]}").value(), Distribution::uniform(1ms, 5ms));
  EXPECT_EQ(latency("{exponential: 2ms}").value(), Distribution::exponential(2ms));
  EXPECT_EQ(latency("{normal: [5ms, 1ms]}").value(), Distribution::normal(5ms, 1ms));
  EXPECT_EQ(latency("{lognormal: [2ms, 0.5]}").value(), Distribution::log_normal(2ms, 0.5));
  EXPECT_THAT(latency("{uniform: [5ms, 1ms]}").status().message(),
              StartsWith("d.yaml:1: network.latency.uniform: max 1ms is below min 5ms"));
  EXPECT_THAT(latency("{uniform: [1ms]}").status().message(),
              StartsWith("d.yaml:1: network.latency.uniform: expected [min, max]"));
  EXPECT_THAT(latency("{lognormal: [2ms, -1]}").status().message(),
              StartsWith("d.yaml:1: network.latency.lognormal[1]: -1 is negative"));
  EXPECT_THAT(latency("{uniform: [1ms, 2ms], fixed: 1ms}").status().message(),
              StartsWith("d.yaml:1: network.latency: expected exactly one of"));
}

TEST(ScenarioLoader, ParseDuration) {
  EXPECT_EQ(parse_duration("100ms"), std::optional<Duration>(100ms));
  EXPECT_EQ(parse_duration("1.5s"), std::optional<Duration>(1500ms));
  EXPECT_EQ(parse_duration("2m"), std::optional<Duration>(120s));
  EXPECT_EQ(parse_duration("1h"), std::optional<Duration>(3600s));
  EXPECT_EQ(parse_duration("250us"), std::optional<Duration>(250us));
  EXPECT_EQ(parse_duration("10ns"), std::optional<Duration>(10ns));
  EXPECT_EQ(parse_duration("0"), std::optional<Duration>(0ns));
  EXPECT_EQ(parse_duration("0.0"), std::optional<Duration>(0ns));
  EXPECT_EQ(parse_duration("0s"), std::optional<Duration>(0ns));
  EXPECT_EQ(parse_duration(" 3 ms "), std::optional<Duration>(3ms));
  EXPECT_EQ(parse_duration(".5s"), std::optional<Duration>(500ms));
  EXPECT_EQ(parse_duration("0.1s"), std::optional<Duration>(100ms));  // Exact, no binary rounding.
  EXPECT_EQ(parse_duration("1.0000000005s"), std::optional<Duration>(1'000'000'001ns));
  EXPECT_EQ(parse_duration("9223372036s"), std::optional<Duration>(9'223'372'036s));
  EXPECT_FALSE(parse_duration("9223372037s"));  // Past INT64_MAX nanoseconds.
  EXPECT_FALSE(parse_duration("100000000000000000000s"));
  for (const char* bad : {"", "100", "1.5", "-5ms", "ms", "5 parsecs", "1e3ms", "abc", "5ms5",
                          "1..2s", "-0.5s", "nan", "inf"}) {
    EXPECT_FALSE(parse_duration(bad)) << bad;
  }
}

// ---------------------------------------------------------------------------
// Bad files: each names its line and field.

struct BadCase {
  const char* file;
  int line;
  const char* field;    // The dotted path, or "malformed YAML" / "(document)".
  const char* message;  // A part of what follows "<field>: ".
};

const BadCase kBadCases[] = {
    {"malformed_yaml", 5, "malformed YAML", "end of sequence flow not found"},
    {"unknown_key", 4, "cluster.sise",
     // The list of valid keys grows with features; its start and the
     // suggestion are what the reader needs.
     "unknown key; valid keys: size, "},
    {"negative_duration", 5, "cluster.heartbeat", "'-5ms' is negative"},
    {"bare_number_duration", 3, "duration", "'60' has no unit; write 60ms or 60s"},
    {"size_zero", 4, "cluster.size", "0 nodes; a cluster needs 1 to 64 nodes"},
    {"size_too_large", 2, "cluster.size", "65 nodes; the simulator supports at most 64"},
    {"node_out_of_range", 5, "timeline[1].crash",
     "node 9 does not exist; the cluster has nodes 1 to 5"},
    {"heartbeat_not_below_election", 4, "cluster.heartbeat",
     "2s must be below the minimum election timeout (1s)"},
    {"election_min_not_below_max", 4, "cluster.election_timeout", "min 2s must be below max 2s"},
    {"probability", 4, "network.loss", "1.5 is not a probability"},
    {"partition_twice", 5, "timeline[0].partition", "node 2 is listed twice"},
    {"wrong_type", 3, "cluster.size", "'three' is not a number"},
    {"empty", 1, "(document)", "the scenario is empty"},
    {"comments_only", 1, "(document)", "the scenario is empty"},
    {"fault_after_end", 4, "timeline[0].at", "70s is after the end of the run (duration: 60s)"},
    {"duration_zero", 2, "duration", "0ms must be more than 0"},
    {"duplicate_key", 3, "seed", "given twice (first on line 2)"},
    {"two_actions", 3, "timeline[0].isolate",
     "one action per timeline entry, and this one already has 'crash'"},
    {"unknown_action", 4, "timeline[1].explode",
     "unknown key; valid keys: at, crash, kill-machine"},
    {"missing_at", 3, "timeline[0]", "missing 'at'"},
    {"misplaced_modifier", 3, "timeline[0].restart_after",
     "'restart_after' does not apply to isolate; it goes with crash, kill-machine"},
    {"bad_distribution", 3, "disk.fsync.gamma", "unknown key; valid keys: fixed, uniform"},
    {"link_out_of_range", 6, "network.links[1].to", "node 7 does not exist"},
    {"endpoint_out_of_range", 5, "clients[0].endpoints[2]", "node 4 does not exist"},
    {"zero_interval", 4, "clients[0].interval", "0ms must be more than 0"},
    {"unknown_retry_policy", 4, "clients[0].retry.policy",
     "'sometimes' is not a retry policy; use one of none, fixed, exponential, grpc"},
    {"two_documents", 2, "(document)",
     "a scenario file holds one YAML document; this is a "
     "second one"},
    // yaml-cpp 0.7's LoadAll loops until memory runs out on this (jbeder/yaml-cpp#1040).
    {"stray_comma", 2, "malformed YAML", "unexpected ',' here"},
    {"not_a_mapping", 1, "(document)", "expected a mapping with keys name, description"},
    {"bad_pause_text", 3, "timeline[0].pause", "is not of the form \"node 3 for 2s\""},
    {"bad_unit", 3, "cluster.heartbeat", "unknown unit 'parsecs'"},
    {"null_value", 3, "cluster.heartbeat", "missing value; expected a duration"},
    {"priority_out_of_range", 6, "cluster.priorities.9", "node 9 does not exist"},
    {"priority_all_zero", 4, "cluster.priorities",
     "every one of nodes 1 to 2 has priority 0: no node could ever lead"},
    {"priority_not_a_number", 3, "cluster.priorities.1", "'high' is not a number"},
};

class ScenarioLoaderBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(ScenarioLoaderBad, NamesLineAndField) {
  const BadCase& bad = GetParam();
  const std::string path = fmt::format("{}/bad/{}.yaml", kTestData, bad.file);
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  const auto result = load_scenario(path);
  ASSERT_FALSE(result.ok()) << path << " loaded without an error";
  EXPECT_EQ(result.status().code(), ErrorCode::kInvalidArgument);
  const std::string message = result.status().message();
  EXPECT_THAT(message, StartsWith(fmt::format("{}:{}: {}: ", path, bad.line, bad.field)));
  EXPECT_THAT(message, HasSubstr(bad.message));
}

INSTANTIATE_TEST_SUITE_P(Files, ScenarioLoaderBad, ::testing::ValuesIn(kBadCases),
                         [](const ::testing::TestParamInfo<BadCase>& param_info) {
                           std::string name = param_info.param.file;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(ScenarioLoader, EveryBadFileHasACase) {
  std::set<std::string> listed;
  for (const BadCase& bad : kBadCases) listed.insert(bad.file);
  for (const auto& entry : std::filesystem::directory_iterator(kTestData + "/bad")) {
    EXPECT_TRUE(listed.contains(entry.path().stem().string()))
        << entry.path() << " has no entry in kBadCases";
  }
}

TEST(ScenarioLoader, MissingFileIsAnIoError) {
  const auto result = load_scenario(kTestData + "/no-such-file.yaml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kIo);
  EXPECT_THAT(result.status().message(), HasSubstr("no-such-file.yaml"));
}

TEST(ScenarioLoader, Sourceless) {
  const auto result = parse_scenario("cluster: {size: 0}\n", "");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), StartsWith("<input>:1: cluster.size: 0 nodes"));
}

// ---------------------------------------------------------------------------
// validate() on scenarios built in code.

TEST(ScenarioValidate, DefaultScenarioIsValid) { EXPECT_TRUE(validate(Scenario{}).ok()); }

TEST(ScenarioValidate, NamesTheFieldAndTheFaultLine) {
  Scenario scenario;
  scenario.source = "built.yaml";
  FaultSpec fault;
  fault.at = 5s;
  fault.kind = FaultKind::kCrash;
  fault.target = id(9);
  fault.line = 12;
  scenario.faults.push_back(fault);
  Status status = validate(scenario);
  EXPECT_EQ(
      status.message(),
      "built.yaml:12: timeline[0].crash: node 9 does not exist; the cluster has nodes 1 to 5");

  scenario.faults.clear();
  scenario.cluster.election_timeout_max = scenario.cluster.election_timeout_min;
  status = validate(scenario);
  EXPECT_THAT(status.message(), StartsWith("built.yaml: cluster.election_timeout: min 1s"));

  Scenario unnamed;
  unnamed.clients.push_back(ClientSpec{});
  unnamed.clients[0].timeout = -1s;
  EXPECT_THAT(validate(unnamed).message(), StartsWith("clients[0].timeout: -1s must be more"));
}

TEST(ScenarioValidate, ImpossibleSettings) {
  const auto message = [](auto&& change) {
    Scenario scenario;
    change(scenario);
    return validate(scenario).message();
  };
  EXPECT_THAT(message([](Scenario& s) { s.cluster.size = 4; }), "");  // Even sizes are fine.
  EXPECT_THAT(message([](Scenario& s) { s.duration = 0s; }), StartsWith("duration: "));
  // Lease reads (thesis §6.4.1) need check-quorum and refuse fast failover.
  EXPECT_THAT(message([](Scenario& s) {
                s.cluster.read_mode = ReadPath::kLease;
                s.cluster.fast_failover = false;
                s.cluster.check_quorum = false;
              }),
              StartsWith("cluster.read_mode: lease reads need cluster.check_quorum: true"));
  EXPECT_THAT(message([](Scenario& s) { s.cluster.read_mode = ReadPath::kLease; }),
              StartsWith("cluster.read_mode: lease reads need cluster.fast_failover: false"));
  EXPECT_THAT(message([](Scenario& s) {
                s.cluster.read_mode = ReadPath::kLease;
                s.cluster.fast_failover = false;
                s.cluster.clock_drift_max = s.cluster.election_timeout_min;
              }),
              StartsWith("cluster.clock_drift_max: "));
  EXPECT_THAT(message([](Scenario& s) {
                s.expect.reads_ok_max = 0;
                s.expect.reads_client = "nobody";
              }),
              StartsWith("expect.reads_client: no client group is named 'nobody'"));
  EXPECT_THAT(message([](Scenario& s) { s.cluster.snapshot_chunk_bytes = 0; }),
              StartsWith("cluster.snapshot_chunk_bytes: 0"));
  EXPECT_THAT(message([](Scenario& s) { s.cluster.snapshot_chunks_inflight = 0; }),
              StartsWith("cluster.snapshot_chunks_inflight: 0"));
  EXPECT_THAT(message([](Scenario& s) { s.network.defaults.duplicate = -0.1; }),
              StartsWith("network.duplicate: -0.1 is not a probability"));
  EXPECT_THAT(message([](Scenario& s) { s.disk.fsync = Distribution::fixed(-1ms); }),
              StartsWith("disk.fsync: "));
  EXPECT_THAT(message([](Scenario& s) {
                s.network.links.push_back({NodeId{2}, NodeId{2}, {}});
              }),
              StartsWith("network.links[0]: a link from node 2 to itself"));
  EXPECT_THAT(message([](Scenario& s) {
                s.clients.emplace_back();
                s.clients[0].retry.policy = RetrySpec::Policy::kExponential;
                s.clients[0].retry.multiplier = 0.5;
              }),
              StartsWith("clients[0].retry.multiplier: 0.5 would shrink the backoff"));
  EXPECT_THAT(message([](Scenario& s) {
                FaultSpec fault;
                fault.kind = FaultKind::kPartition;
                fault.groups = {{leader(), id(1)}, {leader()}};
                s.faults.push_back(fault);
              }),
              StartsWith("timeline[0].partition: leader is listed twice"));
  EXPECT_THAT(message([](Scenario& s) {
                FaultSpec fault;
                fault.kind = FaultKind::kRestart;
                fault.target = leader();
                s.faults.push_back(fault);
              }),
              StartsWith("timeline[0].restart: restart needs a node id"));
  EXPECT_THAT(message([](Scenario& s) {
                FaultSpec fault;
                fault.kind = FaultKind::kClockDrift;
                fault.target = id(1);
                fault.clock_rate = 0.0;
                s.faults.push_back(fault);
              }),
              StartsWith("timeline[0].rate: 0: a clock rate must be more than 0"));
}

// ---------------------------------------------------------------------------
// Overrides.

class ScenarioOverride : public ::testing::Test {
 protected:
  void SetUp() override {
    auto result = load_scenario(kTestData + "/full.yaml");
    ASSERT_TRUE(result.ok()) << result.status().to_string();
    scenario_ = std::move(result).value();
  }
  Status set(const std::string& assignment) { return apply_override(scenario_, assignment); }
  Scenario scenario_;
};

TEST_F(ScenarioOverride, Scalars) {
  ASSERT_TRUE(set("seed=7").ok());
  EXPECT_EQ(scenario_.seed, 7U);
  ASSERT_TRUE(set("duration=2m").ok());
  EXPECT_EQ(scenario_.duration, 120s);
  ASSERT_TRUE(set("events_max=1000").ok());
  EXPECT_EQ(scenario_.events_max, 1000U);
  ASSERT_TRUE(set("name=renamed").ok());
  EXPECT_EQ(scenario_.name, "renamed");
}

TEST_F(ScenarioOverride, Cluster) {
  ASSERT_TRUE(set("cluster.size=7").ok());
  EXPECT_EQ(scenario_.cluster.size, 7U);
  ASSERT_TRUE(set("cluster.heartbeat=100ms").ok());
  EXPECT_EQ(scenario_.cluster.heartbeat_interval, 100ms);
  ASSERT_TRUE(set("cluster.election_timeout=[1s,2s]").ok());
  EXPECT_EQ(scenario_.cluster.election_timeout_min, 1s);
  EXPECT_EQ(scenario_.cluster.election_timeout_max, 2s);
  ASSERT_TRUE(set("cluster.pre_vote=true").ok());
  EXPECT_TRUE(scenario_.cluster.pre_vote);
  ASSERT_TRUE(set("cluster.check_quorum=yes").ok());
  EXPECT_TRUE(scenario_.cluster.check_quorum);
  ASSERT_TRUE(set("cluster.fast_failover=false").ok());
  EXPECT_FALSE(scenario_.cluster.fast_failover);
  ASSERT_TRUE(set("cluster.fast_failover_delay_max=10ms").ok());
  EXPECT_EQ(scenario_.cluster.fast_failover_delay_max, 10ms);
  ASSERT_TRUE(set("cluster.inflight_messages_max=4").ok());
  EXPECT_EQ(scenario_.cluster.inflight_messages_max, 4U);
  ASSERT_TRUE(set("cluster.message_bytes_max=4096").ok());
  EXPECT_EQ(scenario_.cluster.message_bytes_max, 4096U);
}

TEST_F(ScenarioOverride, NetworkDiskStandbyExpect) {
  ASSERT_TRUE(set("network.latency=5ms").ok());
  EXPECT_EQ(scenario_.network.defaults.latency, Distribution::fixed(5ms));
  ASSERT_TRUE(set("network.latency={exponential: 3ms}").ok());
  EXPECT_EQ(scenario_.network.defaults.latency, Distribution::exponential(3ms));
  ASSERT_TRUE(set("network.latency.uniform=[2ms, 4ms]").ok());
  EXPECT_EQ(scenario_.network.defaults.latency, Distribution::uniform(2ms, 4ms));
  ASSERT_TRUE(set("network.loss=0.1").ok());
  EXPECT_DOUBLE_EQ(scenario_.network.defaults.loss, 0.1);
  ASSERT_TRUE(set("network.duplicate=0").ok());
  EXPECT_DOUBLE_EQ(scenario_.network.defaults.duplicate, 0.0);
  ASSERT_EQ(scenario_.network.links.size(), 2U);  // Untouched.
  ASSERT_TRUE(set("disk.fsync={normal: [5ms, 1ms]}").ok());
  EXPECT_EQ(scenario_.disk.fsync, Distribution::normal(5ms, 1ms));
  ASSERT_TRUE(set("standby.kind=cold").ok());
  EXPECT_EQ(scenario_.standby.kind, StandbySpec::Kind::kCold);
  ASSERT_TRUE(set("standby.load_time=5s").ok());
  EXPECT_EQ(scenario_.standby.load_time, 5s);
  ASSERT_TRUE(set("expect.rto_ms_max=2500").ok());
  EXPECT_EQ(scenario_.expect.rto_ms_max, std::optional<double>(2500.0));
  ASSERT_TRUE(set("expect.rto_ms_max=null").ok());
  EXPECT_FALSE(scenario_.expect.rto_ms_max.has_value());
  ASSERT_TRUE(set("expect.linearizable=true").ok());
  EXPECT_TRUE(scenario_.expect.linearizable);
  ASSERT_TRUE(set("expect.violations=1").ok());
  EXPECT_EQ(scenario_.expect.violations, 1U);
}

TEST_F(ScenarioOverride, Clients) {
  ASSERT_TRUE(set("clients.0.interval=500ms").ok());
  EXPECT_EQ(scenario_.clients[0].interval, 500ms);
  ASSERT_TRUE(set("clients[0].timeout=3s").ok());
  EXPECT_EQ(scenario_.clients[0].timeout, 3s);
  ASSERT_TRUE(set("clients.0.count=3").ok());
  EXPECT_EQ(scenario_.clients[0].count, 3U);
  ASSERT_TRUE(set("clients.0.read_ratio=0.9").ok());
  EXPECT_DOUBLE_EQ(scenario_.clients[0].read_ratio, 0.9);
  ASSERT_TRUE(set("clients.1.keys=4").ok());
  EXPECT_EQ(scenario_.clients[1].keys, 4U);
  ASSERT_TRUE(set("clients.0.retry=grpc").ok());
  EXPECT_EQ(scenario_.clients[0].retry.jitter, RetrySpec::Jitter::kProportional);
  ASSERT_TRUE(set("clients.0.retry.base=2s").ok());
  EXPECT_EQ(scenario_.clients[0].retry.base, 2s);
  EXPECT_EQ(scenario_.clients[0].retry.jitter, RetrySpec::Jitter::kProportional);  // Kept.
  ASSERT_TRUE(set("clients.0.stop=null").ok());
  EXPECT_FALSE(scenario_.clients[0].stop.has_value());
  ASSERT_TRUE(set("clients=[{name: only}]").ok());
  ASSERT_EQ(scenario_.clients.size(), 1U);
  EXPECT_EQ(scenario_.clients[0].name, "only");
}

TEST_F(ScenarioOverride, Timeline) {
  ASSERT_TRUE(set("timeline=[{at: 5s, crash: leader}]").ok());
  ASSERT_EQ(scenario_.faults.size(), 1U);
  EXPECT_EQ(scenario_.faults[0].at, 5s);
  EXPECT_EQ(scenario_.faults[0].line, 0);  // No file line for an override.
}

TEST_F(ScenarioOverride, Errors) {
  struct Case {
    const char* assignment;
    const char* message;
  };
  // Messages start with the field; the caller names the assignment ("--set ...: ").
  const Case cases[] = {
      {"cluster.sise=7", "cluster.sise: unknown key; valid keys: size, "},
      {"cluster.sise=7", "(did you mean 'size'?)"},
      {"clustr.size=7", "clustr: unknown key; valid keys: name, description"},
      {"cluster.size=abc", "cluster.size: 'abc' is not a number"},
      {"cluster.size=0", "full.yaml: cluster.size: 0 nodes"},  // From validate().
      {"cluster.size=100", "cluster.size: 100 nodes; the simulator supports at most 64"},
      {"cluster.heartbeat=100", "cluster.heartbeat: '100' has no unit"},
      {"cluster.election_timeout=[1s,", "cluster.election_timeout: malformed value"},
      {"cluster.election_timeout=1s", "cluster.election_timeout: expected [min, max]"},
      {"network.loss=1.5", "network.loss: 1.5 is not a probability"},
      {"clients.9.interval=1s", "clients[9]: there are 6 client groups"},
      {"clients.x.interval=1s", "clients.x.interval: 'x' is not a number"},
      {"clients.0.intervall=1s", "clients[0].intervall: unknown key; valid keys: name, count"},
      {"clients.0.interval=0s", "clients[0].interval: 0ms must be more than 0"},
      {"timeline.0.at=5s", "timeline.0.at: list entries cannot be changed one by one"},
      {"network.links.0.loss=0.5", "list entries cannot be changed one by one"},
      {"seed", "'seed' is not key=value"},
      {"=5", "'' is not a key"},
      {"cluster..size=5", "'cluster..size' is not a key"},
      {"seed=", "seed: no value after '='"},
  };
  const Scenario before = scenario_;
  for (const Case& c : cases) {
    const Status status = set(c.assignment);
    EXPECT_FALSE(status.ok()) << c.assignment;
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << c.assignment;
    EXPECT_THAT(status.message(), HasSubstr(c.message)) << c.assignment;
    EXPECT_THAT(status.message(), ::testing::Not(HasSubstr("--set"))) << c.assignment;
  }
  // A refused override leaves the scenario as it was.
  EXPECT_EQ(scenario_.cluster.size, before.cluster.size);
  EXPECT_EQ(scenario_.cluster.election_timeout_min, before.cluster.election_timeout_min);
  EXPECT_EQ(scenario_.network.defaults.loss, before.network.defaults.loss);
  EXPECT_EQ(scenario_.clients[0].interval, before.clients[0].interval);
}

// Client sessions (thesis §6.3): the per-client switch, the table's settings
// and the duplicate bound, each checked like any other field.
TEST_F(ScenarioOverride, Sessions) {
  EXPECT_FALSE(scenario_.clients[0].sessions);  // Off unless asked for.
  ASSERT_TRUE(set("clients.0.sessions=true").ok());
  EXPECT_TRUE(scenario_.clients[0].sessions);
  ASSERT_TRUE(set("sessions={timeout: 5s, max: 100}").ok());
  EXPECT_EQ(scenario_.sessions.timeout, 5s);
  EXPECT_EQ(scenario_.sessions.sessions_max, 100U);
  ASSERT_TRUE(set("expect.duplicate_writes_max=0").ok());
  EXPECT_EQ(scenario_.expect.duplicate_writes_max, std::optional<std::uint64_t>{0});
  ASSERT_TRUE(set("expect.duplicate_writes_max=null").ok());
  EXPECT_FALSE(scenario_.expect.duplicate_writes_max.has_value());

  const Status zero = set("sessions.timeout=0s");
  ASSERT_FALSE(zero.ok());
  EXPECT_THAT(zero.message(), HasSubstr("sessions.timeout: 0ms must be more than 0"));
  const Status unknown = set("sessions.timout=5s");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.message(), HasSubstr("sessions.timout: unknown key; valid keys: timeout"));
  EXPECT_FALSE(set("clients.0.sessions=maybe").ok());
}

TEST_F(ScenarioOverride, RevalidatesAgainstTheFile) {
  // Shrinking the cluster strands the file's faults on nodes 4 and 5.
  const Status status = set("cluster.size=3");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), StartsWith(kTestData + "/full.yaml:45: timeline[3].partition: "
                                                       "node 4 does not exist"));
  EXPECT_EQ(scenario_.cluster.size, 5U);
}

// ---------------------------------------------------------------------------
// Property: no mutation of a valid file crashes the loader, and every error
// still names a line.

std::string mutate(std::string text, Prng& prng) {
  // Bytes that matter to YAML, so mutations reach past the tokenizer often.
  static constexpr char kInteresting[] = "{}[]:,-#&*!|>'\"%@` \n\t0123456789.smu";
  const std::uint64_t edits = 1 + prng.uniform(8);
  for (std::uint64_t e = 0; e < edits; ++e) {
    const auto byte = [&] {
      return prng.chance(0.5) ? kInteresting[prng.uniform(sizeof(kInteresting) - 1)]
                              : static_cast<char>(prng.uniform(256));
    };
    const std::uint64_t position = text.empty() ? 0 : prng.uniform(text.size());
    switch (prng.uniform(5)) {
      case 0:  // Replace a byte.
        if (!text.empty()) text[position] = byte();
        break;
      case 1:  // Insert a byte.
        text.insert(text.begin() + static_cast<std::ptrdiff_t>(position), byte());
        break;
      case 2:  // Delete a run of bytes.
        if (!text.empty()) text.erase(position, 1 + prng.uniform(16));
        break;
      case 3: {  // Copy a chunk elsewhere (duplicates keys, nests mappings).
        if (text.empty()) break;
        const std::string chunk = text.substr(position, 1 + prng.uniform(40));
        text.insert(prng.uniform(text.size() + 1), chunk);
        break;
      }
      default:  // Cut the document short.
        text.resize(position);
        break;
    }
  }
  return text;
}

TEST(ScenarioLoaderProperty, MutationsNeverCrash) {
  const std::string original = read_file(kTestData + "/full.yaml");
  ASSERT_FALSE(original.empty());
  std::uint64_t begin = env_u64("RAFT_SEED_BEGIN").value_or(1);
  std::uint64_t count = env_u64("RAFT_SEED_COUNT").value_or(3000);
  if (const auto seed = env_u64("RAFT_SEED")) {
    begin = *seed;
    count = 1;
  }
  // A crash cannot be reported per seed, so say up front how to replay the sweep.
  std::fprintf(stderr, "mutation seeds %llu..%llu (replay one with RAFT_SEED=N)\n",
               static_cast<unsigned long long>(begin),
               static_cast<unsigned long long>(begin + count - 1));
  std::uint64_t parsed = 0;
  for (std::uint64_t seed = begin; seed < begin + count; ++seed) {
    Prng prng(seed);
    const std::string text = mutate(original, prng);
    const auto result = parse_scenario(text, "mutant.yaml");
    if (result.ok()) {
      ++parsed;
      ASSERT_TRUE(validate(*result).ok()) << "RAFT_SEED=" << seed;
      Scenario copy = *result;
      static_cast<void>(apply_override(copy, "cluster.size=3"));
      static_cast<void>(apply_override(copy, "clients.0.retry.base=2s"));
      continue;
    }
    const std::string message = result.status().message();
    ASSERT_EQ(result.status().code(), ErrorCode::kInvalidArgument) << "RAFT_SEED=" << seed;
    ASSERT_THAT(message, StartsWith("mutant.yaml:")) << "RAFT_SEED=" << seed;
    const std::size_t digits = message.find_first_not_of("0123456789", 12);
    ASSERT_GT(digits, 12U) << "no line number; RAFT_SEED=" << seed << "\n" << message;
    ASSERT_EQ(message.substr(digits, 2), ": ") << "RAFT_SEED=" << seed << "\n" << message;
    ASSERT_NE(message.find(": ", digits + 2), std::string::npos)
        << "no field; RAFT_SEED=" << seed << "\n"
        << message;
    // Same input, same answer.
    ASSERT_EQ(parse_scenario(text, "mutant.yaml").status().message(), message)
        << "RAFT_SEED=" << seed;
  }
  // Some mutations (in comments, in values) leave a valid file; most break it.
  RecordProperty("parsed", static_cast<int>(parsed));
}

TEST(ScenarioLoaderProperty, HostileInputs) {
  const std::string deep_list(50'000, '[');
  const std::string deep_map = [] {
    std::string text;
    for (int i = 0; i < 5'000; ++i) text += "{a: ";
    return text;
  }();
  const std::string inputs[] = {
      deep_list,
      deep_map,
      "a: &a [*a]\n",
      "cluster: &c {size: *c}\n",
      "timeline: &t [{at: 1s, partition: *t}]\n",
      std::string("seed: 1\0\n", 9),
      "\xff\xfe\x00\x01",
      "name: [\n",
      "? [a, b]\n: 1\n",
      "seed: 99999999999999999999999\n",
      "duration: 99999999999999999h\n",
      "cluster: {size: 4294967296}\n",
      "network: {loss: 1e400}\n",
      "network: {loss: nan}\n",
      "clients: [{retry: {multiplier: -inf}}]\n",
      "timeline: [{at: 1s, pause: \"\"}]\n",
      "timeline: [{at: 1s, pause: \"node\"}]\n",
      "timeline: [{at: 1s, partition: []}]\n",
      "timeline: [{at: 1s, partition: [[]]}]\n",
      "timeline: [{at: 1s, partition-one-way: {from: [1, 2], to: 3}}]\n",
      "timeline: [{at: 1s, network: {}}]\n",
      "timeline: [{at: 1s, heal: false}]\n",
      "timeline: [{at: 1s, crash: 0}]\n",
      "%TAG ! tag:x,2000:\n---\nseed: !x 1\n",
      ",",  // yaml-cpp 0.7: LoadAll never returns on these (jbeder/yaml-cpp#1040).
      "seed: 1\n,\n",
      "- !+(.,.)\n",
  };
  for (const std::string& input : inputs) {
    const auto result = parse_scenario(input, "hostile.yaml");
    if (!result.ok()) {
      EXPECT_THAT(result.status().message(), StartsWith("hostile.yaml:")) << input.substr(0, 60);
    }
  }
}

}  // namespace
}  // namespace raft::sim
