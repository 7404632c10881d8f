// SPDX-License-Identifier: Apache-2.0
// The loop command's runner against a fake server: one sample and one line per request, and
// --until-recovered stops once a disrupted request has been followed by a success.
#include "loop.h"

#include <atomic>
#include <chrono>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_server.h"

namespace raft::kv_client {
namespace {

using testing::FakeAction;
using testing::FakeRequest;
using testing::FakeServer;
using namespace std::chrono_literals;

ClientOptions options_for(const FakeServer& server) {
  ClientOptions options;
  options.endpoints = {server.endpoint()};
  options.sessions = false;
  // Backoff waits are skipped (the loop's own interval is real but 1 ms).
  options.sleep = [](std::chrono::microseconds) {};
  return options;
}

TEST(KvLoop, OneSampleAndOneLinePerRequest) {
  FakeServer server([](const FakeRequest&) { return FakeAction::reply(200, R"({"index":1})"); });
  Client client(options_for(server));
  LoopOptions options;
  options.interval = 1ms;
  options.count = 3;
  options.key = "loop-key";
  std::ostringstream lines;
  const auto samples = run_loop(client, options, lines);
  ASSERT_EQ(samples.size(), 3U);
  for (const auto& s : samples) {
    EXPECT_TRUE(s.ok);
    EXPECT_EQ(s.endpoint, server.endpoint().to_string());
  }
  EXPECT_LE(samples[0].start, samples[1].start);
  const auto text = lines.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  EXPECT_NE(text.find(" OK "), std::string::npos) << text;
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen[2].target(), "/v1/kv/loop-key");
  EXPECT_EQ(seen[2].body(), "2");  // the value is the request's number
}

TEST(KvLoop, DistinctKeysMakeEveryWriteCheckable) {
  FakeServer server([](const FakeRequest&) { return FakeAction::reply(200, R"({"index":1})"); });
  Client client(options_for(server));
  LoopOptions options;
  options.interval = 1ms;
  options.count = 2;
  options.key = "k";
  options.distinct_keys = true;
  std::ostringstream lines;
  const auto samples = run_loop(client, options, lines);
  ASSERT_EQ(samples.size(), 2U);
  EXPECT_EQ(samples[1].key, "k-1");
  EXPECT_EQ(samples[1].value, "1");
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[0].target(), "/v1/kv/k-0");
  const auto json = nlohmann::json::parse(to_json(summarize(samples), samples, true));
  ASSERT_EQ(json["samples"].size(), 2U);
  EXPECT_EQ(json["samples"][1]["key"], "k-1");
  EXPECT_EQ(json["samples"][1]["ok"], true);
}

TEST(KvLoop, UntilRecoveredStopsAfterTheDisruptionEnds) {
  std::atomic<int> calls{0};
  FakeServer server([&](const FakeRequest&) {
    // Requests 2 and 3 (an election) see 503; the loop's second request retries through it.
    const int n = ++calls;
    if (n == 2 || n == 3) return FakeAction::reply(503, R"({"error":"no_leader"})");
    return FakeAction::reply(200, R"({"index":1})");
  });
  Client client(options_for(server));
  LoopOptions options;
  options.interval = 1ms;
  options.count = 100;
  options.until_recovered = true;
  std::ostringstream lines;
  const auto samples = run_loop(client, options, lines);
  ASSERT_EQ(samples.size(), 2U) << lines.str();
  EXPECT_TRUE(samples[1].ok);
  EXPECT_EQ(samples[1].attempts, 3);
  EXPECT_NE(lines.str().find("after unavailable"), std::string::npos) << lines.str();
}

}  // namespace
}  // namespace raft::kv_client
