// SPDX-License-Identifier: Apache-2.0
// After a failover run: is every acknowledged write on every node? Reads each write the loop
// acknowledged (its --json --samples output) from each endpoint's local state (?stale=1), so a
// node that lost an acknowledged entry cannot hide behind the leader's copy.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "endpoint.h"
#include "raft/status.h"

namespace raft::kv_client {

/// One acknowledged write: key and value.
struct AckedWrite {
  std::string key;
  std::string value;
};

/// The acknowledged writes of a loop's JSON (samples with ok == true and a value); the last
/// acknowledged value per key is the one expected.
[[nodiscard]] Result<std::vector<AckedWrite>> acked_writes(std::string_view loop_json);

/// What one endpoint is missing (or holds differently).
struct VerifyProblem {
  std::string endpoint;
  std::string key;
  std::string expected;
  std::string found;  ///< "<missing>" or "<unreachable: ...>" or the value read.
};

/// Reads every write from every endpoint with stale reads, retrying the mismatches until
/// `wait` has passed (a restarted node may still be catching up). Empty result: all present.
[[nodiscard]] std::vector<VerifyProblem> verify_writes(const std::vector<Endpoint>& endpoints,
                                                       const std::vector<AckedWrite>& writes,
                                                       std::chrono::nanoseconds wait);

}  // namespace raft::kv_client
