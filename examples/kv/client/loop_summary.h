// SPDX-License-Identifier: Apache-2.0
// The seed's client-loop measurements (one request per interval while a leader is killed),
// computed from the list of outcomes alone: a pure function, testable without sockets.
//
// Definitions (times are offsets from the loop's start):
//  - outage start: the send time of the first failed request;
//  - detection: from the outage start until the client saw that request fail (its latency);
//  - RTO: from the outage start until the first successful request after it completed;
//  - failed: requests that failed (in all; `failures` lists them).
// A failover-aware client often turns an outage into slow requests that succeed after retries,
// so the same is reported for "disruption": the first request that failed or needed more than
// one attempt, until the first success at or after it completed.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "outcome.h"

namespace raft::kv_client {

/// One request of the loop.
struct LoopSample {
  std::chrono::nanoseconds start{};    ///< Send time, from the loop's start.
  std::chrono::nanoseconds latency{};  ///< Until the client returned.
  bool ok = false;
  int attempts = 1;
  ErrorKind error = ErrorKind::kNone;
  ErrorKind last_error = ErrorKind::kNone;
  std::string endpoint;
  std::string message;
  std::string key;               ///< The key read or written.
  std::string value;             ///< The value written (empty for reads).
  bool outcome_unknown = false;  ///< A failed write that may have applied.
};

/// What the loop reports at the end.
struct LoopSummary {
  std::size_t requests = 0;
  std::size_t failed = 0;
  std::size_t retried = 0;  ///< Succeeded, but needed more than one attempt.
  std::size_t outages = 0;  ///< Runs of consecutive failed requests.
  std::optional<std::chrono::nanoseconds> outage_start;
  std::optional<std::chrono::nanoseconds> detection;
  std::optional<std::chrono::nanoseconds> rto;  ///< Unset when no success followed.
  std::optional<std::chrono::nanoseconds> disruption_start;
  std::optional<std::chrono::nanoseconds> disruption;  ///< Unset when no success followed.
  std::chrono::nanoseconds max_latency{};
  std::vector<std::size_t> failures;  ///< Indexes of the failed requests, in order.
};

/// Computes the summary; samples must be in send order.
[[nodiscard]] LoopSummary summarize(std::span<const LoopSample> samples);

/// True once a disruption has been followed by a success (what --until-recovered waits for).
[[nodiscard]] bool recovered(const LoopSummary& summary) noexcept;

/// The summary as a JSON object (milliseconds as numbers, null when unset), with the failed
/// requests listed (index, start, error, message) from `samples`; with `with_samples` every
/// request too (key, value, ok, outcome_unknown...), for checks that no acknowledged write is
/// lost.
[[nodiscard]] std::string to_json(const LoopSummary& summary, std::span<const LoopSample> samples,
                                  bool with_samples = false);

/// The summary as the human-readable lines the loop prints at the end.
[[nodiscard]] std::string to_text(const LoopSummary& summary, std::span<const LoopSample> samples);

}  // namespace raft::kv_client
