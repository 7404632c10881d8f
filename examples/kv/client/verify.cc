// SPDX-License-Identifier: Apache-2.0
#include "verify.h"

#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "client.h"

namespace raft::kv_client {

Result<std::vector<AckedWrite>> acked_writes(std::string_view loop_json) {
  const auto json = nlohmann::json::parse(loop_json, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object() || !json.contains("samples") ||
      !json["samples"].is_array()) {
    return Status{ErrorCode::kInvalidArgument,
                  "not a loop summary with samples (run loop with --json --samples)"};
  }
  // Later writes of the same key supersede earlier ones: keep the last acknowledged value.
  std::map<std::string, std::string> last;
  std::vector<std::string> order;
  for (const auto& sample : json["samples"]) {
    if (!sample.is_object() || sample.value("ok", false) != true) continue;
    const auto key = sample.value("key", std::string{});
    const auto value = sample.value("value", std::string{});
    if (key.empty() || value.empty()) continue;  // a read, not a write
    if (last.find(key) == last.end()) order.push_back(key);
    last[key] = value;
  }
  std::vector<AckedWrite> out;
  out.reserve(order.size());
  for (const auto& key : order) out.push_back({key, last[key]});
  return out;
}

std::vector<VerifyProblem> verify_writes(const std::vector<Endpoint>& endpoints,
                                         const std::vector<AckedWrite>& writes,
                                         std::chrono::nanoseconds wait) {
  const auto give_up = std::chrono::steady_clock::now() + wait;
  std::vector<VerifyProblem> problems;
  for (const auto& endpoint : endpoints) {
    ClientOptions options;
    options.endpoints = {endpoint};  // this node only: no failover to a node that has it
    options.deadline = std::chrono::milliseconds{1000};
    Client client(options);
    std::vector<AckedWrite> pending = writes;
    while (true) {
      std::vector<AckedWrite> still;
      std::vector<VerifyProblem> found;
      for (const auto& write : pending) {
        const auto reply = client.get(write.key, /*stale=*/true);
        if (reply.outcome.ok && reply.found && reply.body == write.value) continue;
        still.push_back(write);
        found.push_back({endpoint.to_string(), write.key, write.value,
                         !reply.outcome.ok ? "<unreachable: " + reply.outcome.message + ">"
                         : !reply.found    ? std::string("<missing>")
                                           : reply.body});
      }
      if (still.empty() || std::chrono::steady_clock::now() >= give_up) {
        problems.insert(problems.end(), found.begin(), found.end());
        break;
      }
      pending = std::move(still);
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
  }
  return problems;
}

}  // namespace raft::kv_client
