// SPDX-License-Identifier: Apache-2.0
// Durations on the command line: "250ms", "1s", "1.5s", "2m", "100us" (a bare number is
// seconds, as etcd's and wrk's flags read them).
#pragma once

#include <chrono>
#include <string_view>

#include "raft/status.h"

namespace raft::kv_client {

/// Parses a non-negative duration with unit ns, us, ms, s or m.
[[nodiscard]] Result<std::chrono::nanoseconds> parse_duration(std::string_view text);

}  // namespace raft::kv_client
