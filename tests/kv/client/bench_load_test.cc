// SPDX-License-Identifier: Apache-2.0
// raft-kv-bench's closed loop against fake servers: clients redirected by a follower settle on
// the leader, keys stay in each client's own bounded range, bodies have the requested size, and
// etcd's target sends base64 JSON. Each run lasts about 0.1 s; no speed is asserted.
#include "bench_load.h"

#include <atomic>
#include <chrono>
#include <regex>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "etcd_gateway.h"
#include "fake_server.h"

namespace raft::kv_client::bench {
namespace {

using testing::FakeAction;
using testing::FakeRequest;
using testing::FakeServer;
using namespace std::chrono_literals;

TEST(KvBenchLoad, ClientsFollowTheRedirectAndWriteTheirOwnKeys) {
  FakeServer leader([](const FakeRequest&) { return FakeAction::reply(200, R"({"index":1})"); });
  const auto leader_at = leader.endpoint().to_string();
  FakeServer follower([&](const FakeRequest& request) {
    return FakeAction::reply(
        307, R"({"error":"not_leader"})",
        {{"Location", fmt::format("http://{}{}", leader_at, std::string(request.target()))}});
  });
  LoadOptions options;
  options.endpoints = {follower.endpoint()};
  options.clients = 3;
  options.warmup = 20ms;
  options.duration = 100ms;
  options.value_size = 100;
  options.keys_per_client = 5;
  const auto result = run_load(options);
  EXPECT_GT(result.ops, 0U);
  EXPECT_EQ(result.errors, 0U) << result.first_error;
  EXPECT_EQ(result.redirects, 3U);  // once per client, then they stay on the leader
  EXPECT_EQ(result.latencies_ns.size(), result.ops);
  const std::regex key(R"(/v1/kv/bench/([0-2])/([0-4]))");
  const auto seen = leader.requests();
  ASSERT_FALSE(seen.empty());
  for (const auto& request : seen) {
    EXPECT_TRUE(std::regex_match(std::string(request.target()), key)) << request.target();
    EXPECT_EQ(request.body().size(), 100U);
    EXPECT_EQ(request.method(), boost::beast::http::verb::put);
  }
}

TEST(KvBenchLoad, EtcdTargetPostsBase64Json) {
  FakeServer etcd_server(
      [](const FakeRequest&) { return FakeAction::reply(200, R"({"header":{"revision":"2"}})"); });
  LoadOptions options;
  options.target = Target::kEtcd;
  options.endpoints = {etcd_server.endpoint()};
  options.clients = 2;
  options.warmup = 0ms;
  options.duration = 50ms;
  options.value_size = 10;
  const auto result = run_load(options);
  EXPECT_GT(result.ops, 0U);
  EXPECT_EQ(result.errors, 0U) << result.first_error;
  const auto seen = etcd_server.requests();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen[0].target(), "/v3/kv/put");
  const auto body = nlohmann::json::parse(seen[0].body());
  const auto key = etcd::base64_decode(body["key"].get<std::string>());
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->rfind("bench/", 0), 0U) << *key;
  EXPECT_EQ(etcd::base64_decode(body["value"].get<std::string>())->size(), 10U);
}

TEST(KvBenchLoad, FailedServerCountsErrorsAndFallsBackToTheNextEndpoint) {
  testing::ClosedPort dead;
  FakeServer alive([](const FakeRequest&) { return FakeAction::reply(200, R"({"index":1})"); });
  LoadOptions options;
  options.endpoints = {dead.endpoint()};
  options.fallback = {dead.endpoint(), alive.endpoint()};
  options.clients = 1;
  options.warmup = 0ms;
  options.duration = 100ms;
  const auto result = run_load(options);
  EXPECT_GE(result.errors, 1U);
  EXPECT_GT(result.ops, 0U);
  EXPECT_NE(result.first_error.find("connect"), std::string::npos) << result.first_error;
}

}  // namespace
}  // namespace raft::kv_client::bench
