// SPDX-License-Identifier: Apache-2.0
#include "loop.h"

#include <thread>

#include <fmt/format.h>

namespace raft::kv_client {

std::string format_line(std::size_t index, const LoopSample& sample) {
  const double start_s = static_cast<double>(sample.start.count()) / 1e9;
  const double latency_ms = static_cast<double>(sample.latency.count()) / 1e6;
  std::string line =
      fmt::format("{:5} {:9.3f}s {:4} {:9.2f}ms {} attempts={}", index, start_s,
                  sample.ok ? "OK" : "FAIL", latency_ms, sample.endpoint, sample.attempts);
  if (!sample.ok) {
    line += fmt::format(" {}: {}", to_string(sample.error), sample.message);
  } else if (sample.attempts > 1) {
    line += fmt::format(" (after {}: {})", to_string(sample.last_error), sample.message);
  }
  return line;
}

std::vector<LoopSample> run_loop(Client& client, const LoopOptions& options, std::ostream& lines) {
  using Clock = std::chrono::steady_clock;
  std::vector<LoopSample> samples;
  const auto begin = Clock::now();
  auto next = begin;
  for (std::size_t i = 0;; ++i) {
    if (options.count != 0 && i >= options.count) break;
    const auto now = Clock::now();
    if (now - begin >= options.duration) break;
    const std::string key =
        options.distinct_keys ? options.key + "-" + std::to_string(i) : options.key;
    const auto reply =
        options.read ? client.get(key, options.stale) : client.put(key, std::to_string(i));
    LoopSample sample;
    sample.start = now - begin;
    sample.latency = reply.outcome.latency;
    sample.ok = reply.outcome.ok;
    sample.attempts = reply.outcome.attempts;
    sample.error = reply.outcome.error;
    sample.last_error = reply.outcome.last_error;
    sample.endpoint = reply.outcome.endpoint;
    sample.message = reply.outcome.message;
    sample.key = key;
    sample.value = options.read ? std::string{} : std::to_string(i);
    sample.outcome_unknown = reply.outcome.outcome_unknown;
    lines << format_line(i, sample) << '\n' << std::flush;
    samples.push_back(std::move(sample));
    if (options.until_recovered && recovered(summarize(samples))) break;
    // Fixed schedule: the next request goes one interval after the previous one's planned time,
    // or at once if that has passed (no burst of catch-up requests after a slow one).
    next += std::chrono::duration_cast<Clock::duration>(options.interval);
    const auto after = Clock::now();
    if (next > after) {
      std::this_thread::sleep_until(next);
    } else {
      next = after;
    }
  }
  return samples;
}

}  // namespace raft::kv_client
