// SPDX-License-Identifier: Apache-2.0
#include "loop_summary.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace raft::kv_client {
namespace {

using std::chrono::nanoseconds;

double to_ms(nanoseconds d) { return static_cast<double>(d.count()) / 1e6; }

nlohmann::json ms_or_null(const std::optional<nanoseconds>& d) {
  return d ? nlohmann::json(to_ms(*d)) : nlohmann::json(nullptr);
}

std::string text_ms(const std::optional<nanoseconds>& d) {
  return d ? fmt::format("{:.1f} ms", to_ms(*d)) : std::string("-");
}

/// End of the first successful request at or after index `from`, as an offset.
std::optional<nanoseconds> first_success_end(std::span<const LoopSample> samples,
                                             std::size_t from) {
  for (std::size_t i = from; i < samples.size(); ++i) {
    if (samples[i].ok) return samples[i].start + samples[i].latency;
  }
  return std::nullopt;
}

}  // namespace

LoopSummary summarize(std::span<const LoopSample> samples) {
  LoopSummary s;
  s.requests = samples.size();
  std::optional<std::size_t> first_failure;
  std::optional<std::size_t> first_disruption;
  bool in_outage = false;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const auto& sample = samples[i];
    s.max_latency = std::max(s.max_latency, sample.latency);
    if (sample.ok && sample.attempts > 1) ++s.retried;
    if (!sample.ok) {
      ++s.failed;
      s.failures.push_back(i);
      if (!in_outage) ++s.outages;
      if (!first_failure) first_failure = i;
    }
    in_outage = !sample.ok;
    if ((!sample.ok || sample.attempts > 1) && !first_disruption) first_disruption = i;
  }
  if (first_failure) {
    const auto& f = samples[*first_failure];
    s.outage_start = f.start;
    s.detection = f.latency;
    if (const auto end = first_success_end(samples, *first_failure + 1)) {
      s.rto = *end - f.start;
    }
  }
  if (first_disruption) {
    const auto& d = samples[*first_disruption];
    s.disruption_start = d.start;
    if (const auto end = first_success_end(samples, *first_disruption)) {
      s.disruption = *end - d.start;
    }
  }
  return s;
}

bool recovered(const LoopSummary& summary) noexcept { return summary.disruption.has_value(); }

std::string to_json(const LoopSummary& summary, std::span<const LoopSample> samples,
                    bool with_samples) {
  nlohmann::json failures = nlohmann::json::array();
  for (const auto i : summary.failures) {
    const auto& f = samples[i];
    failures.push_back({{"index", i},
                        {"start_ms", to_ms(f.start)},
                        {"latency_ms", to_ms(f.latency)},
                        {"attempts", f.attempts},
                        {"error", to_string(f.error)},
                        {"last_error", to_string(f.last_error)},
                        {"endpoint", f.endpoint},
                        {"message", f.message}});
  }
  nlohmann::json out{{"requests", summary.requests},
                     {"failed", summary.failed},
                     {"retried", summary.retried},
                     {"outages", summary.outages},
                     {"outage_start_ms", ms_or_null(summary.outage_start)},
                     {"detection_ms", ms_or_null(summary.detection)},
                     {"rto_ms", ms_or_null(summary.rto)},
                     {"disruption_start_ms", ms_or_null(summary.disruption_start)},
                     {"disruption_ms", ms_or_null(summary.disruption)},
                     {"max_latency_ms", to_ms(summary.max_latency)},
                     {"recovered", recovered(summary)},
                     {"failures", failures}};
  if (with_samples) {
    auto& all = out["samples"] = nlohmann::json::array();
    for (const auto& sample : samples) {
      all.push_back({{"start_ms", to_ms(sample.start)},
                     {"latency_ms", to_ms(sample.latency)},
                     {"ok", sample.ok},
                     {"attempts", sample.attempts},
                     {"endpoint", sample.endpoint},
                     {"error", to_string(sample.error)},
                     {"key", sample.key},
                     {"value", sample.value},
                     {"outcome_unknown", sample.outcome_unknown}});
    }
  }
  return out.dump();
}

std::string to_text(const LoopSummary& summary, std::span<const LoopSample> samples) {
  std::string out = fmt::format(
      "requests {}  failed {}  retried {}  outages {}\n"
      "outage start {}  detection {}  RTO {}\n"
      "disruption start {}  disruption {}  max latency {:.1f} ms\n",
      summary.requests, summary.failed, summary.retried, summary.outages,
      text_ms(summary.outage_start), text_ms(summary.detection), text_ms(summary.rto),
      text_ms(summary.disruption_start), text_ms(summary.disruption), to_ms(summary.max_latency));
  for (const auto i : summary.failures) {
    const auto& f = samples[i];
    out += fmt::format("failed #{} at {:.3f}s: {} ({})\n", i, to_ms(f.start) / 1e3,
                       to_string(f.error), f.message);
  }
  return out;
}

}  // namespace raft::kv_client
