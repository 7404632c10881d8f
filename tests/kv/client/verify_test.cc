// SPDX-License-Identifier: Apache-2.0
// `raft-kv-client verify`: the acknowledged writes are read out of a loop's JSON (the last
// value per key, reads and failures skipped), and a node that lacks one is reported by name.
#include "verify.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fake_server.h"
#include "loop_summary.h"

namespace raft::kv_client {
namespace {

using testing::FakeAction;
using testing::FakeRequest;
using testing::FakeServer;
using namespace std::chrono_literals;

LoopSample write(std::string key, std::string value, bool ok) {
  LoopSample s;
  s.ok = ok;
  s.key = std::move(key);
  s.value = std::move(value);
  return s;
}

TEST(KvVerify, AckedWritesKeepTheLastValuePerKey) {
  const std::vector<LoopSample> samples{write("a", "0", true), write("b", "1", false),
                                        write("a", "2", true), write("c", "", true),
                                        write("d", "4", true)};
  const auto writes = acked_writes(to_json(summarize(samples), samples, true));
  ASSERT_TRUE(writes.ok()) << writes.status().message();
  ASSERT_EQ(writes->size(), 2U);
  EXPECT_EQ((*writes)[0].key, "a");
  EXPECT_EQ((*writes)[0].value, "2");
  EXPECT_EQ((*writes)[1].key, "d");
  EXPECT_FALSE(acked_writes(to_json(summarize(samples), samples, false)).ok());
  EXPECT_FALSE(acked_writes("garbage").ok());
}

TEST(KvVerify, ReportsTheNodeThatLacksAWrite) {
  const auto holds = [](const FakeRequest& request) {
    if (request.target() == "/v1/kv/a?stale=1") return FakeAction::reply(200, "1");
    return FakeAction::reply(404, R"({"error":"not_found"})");
  };
  FakeServer good([](const FakeRequest&) { return FakeAction::reply(200, "1"); });
  FakeServer partial(holds);
  const std::vector<AckedWrite> writes{{"a", "1"}, {"b", "1"}};
  EXPECT_TRUE(verify_writes({good.endpoint()}, writes, 0ms).empty());
  const auto problems = verify_writes({good.endpoint(), partial.endpoint()}, writes, 0ms);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_EQ(problems[0].endpoint, partial.endpoint().to_string());
  EXPECT_EQ(problems[0].key, "b");
  EXPECT_EQ(problems[0].found, "<missing>");
}

}  // namespace
}  // namespace raft::kv_client
