// SPDX-License-Identifier: Apache-2.0
// The closed-loop load of raft-kv-bench: N clients, each with one keep-alive connection and one
// PUT in flight, on a few io_context threads (Beast, asynchronous). A client sends its next PUT
// as soon as the previous answer arrives, so throughput is what the server sustains at that
// concurrency and latency is the server's (plus loopback), not a queue in the generator.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "client.h"
#include "endpoint.h"

namespace raft::kv_client::bench {

/// One load level.
struct LoadOptions {
  Target target = Target::kRaftKv;
  std::vector<Endpoint> endpoints;  ///< Clients are spread round-robin over these.
  /// Where a client goes when its connection fails (the whole cluster; a follower redirects
  /// it to the new leader). Empty: it reconnects to the same endpoint.
  std::vector<Endpoint> fallback;
  std::size_t clients = 1;
  std::chrono::nanoseconds warmup{std::chrono::seconds{1}};     ///< Run, not measured.
  std::chrono::nanoseconds duration{std::chrono::seconds{10}};  ///< Measured.
  std::size_t value_size = 256;
  /// Each client cycles over its own keys "bench/<client>/<i>", i < keys_per_client, so keys
  /// are distinct across clients and the store stays bounded over a long run.
  std::size_t keys_per_client = 1000;
  unsigned threads = 1;  ///< io_context threads (clients are split between them).
};

/// What one level measured. Requests count when sent inside the measured window.
struct LoadResult {
  std::size_t clients = 0;
  std::uint64_t ops = 0;                    ///< Successful PUTs.
  std::uint64_t errors = 0;                 ///< Non-2xx answers and connection failures.
  std::uint64_t redirects = 0;              ///< 307s followed (to a new leader).
  double seconds = 0;                       ///< Length of the measured window.
  double cpu_seconds = 0;                   ///< The generator's own user+system CPU in the window.
  std::vector<std::uint64_t> latencies_ns;  ///< One per successful PUT.
  std::string first_error;                  ///< The first failure's description, for the report.
};

/// Runs one level: connects the clients, runs warmup + duration, and returns the measurements.
[[nodiscard]] LoadResult run_load(const LoadOptions& options);

}  // namespace raft::kv_client::bench
