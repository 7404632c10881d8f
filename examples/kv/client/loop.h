// SPDX-License-Identifier: Apache-2.0
// The seed's failover test as a command: one request per interval, one line per request, the
// samples kept for loop_summary.h.
#pragma once

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "client.h"
#include "loop_summary.h"

namespace raft::kv_client {

/// What the loop does and when it stops (whichever comes first).
struct LoopOptions {
  std::chrono::nanoseconds interval{std::chrono::seconds{1}};
  std::chrono::nanoseconds duration{std::chrono::seconds{30}};
  std::size_t count = 0;         ///< Stop after this many requests (0: no limit).
  bool until_recovered = false;  ///< Stop at the first success after a disruption.
  bool read = false;             ///< GET instead of PUT.
  bool stale = false;            ///< With read: ?stale=1.
  std::string key = "loop";
  /// Write "<key>-<n>" for request n instead of overwriting one key, so that every
  /// acknowledged write can be checked afterwards (the kill -9 test: none may be lost).
  bool distinct_keys = false;
};

/// One printed line: "  1.000s OK      0.84ms 127.0.0.1:8001 attempts=1".
[[nodiscard]] std::string format_line(std::size_t index, const LoopSample& sample);

/// Runs the loop, writing a line per request to `lines`, and returns the samples. A request
/// that takes longer than the interval delays the next one (never two in flight), as in the
/// seed's single-threaded loop.
std::vector<LoopSample> run_loop(Client& client, const LoopOptions& options, std::ostream& lines);

}  // namespace raft::kv_client
