// SPDX-License-Identifier: Apache-2.0
// Timelines people can read: ASCII lanes for the terminal, Chrome trace-event
// JSON (opens in Perfetto / chrome://tracing) and a self-contained HTML page.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "raft/sim/metrics.h"
#include "raft/sim/trace.h"

namespace raft::sim {

struct TimelineOptions {
  std::uint32_t nodes = 5;  ///< Node ids are 1..nodes.
  Time start{};
  Time end{};
  std::uint32_t width = 100;  ///< Total columns of the ASCII rendering.
  std::string title;
  /// Extra lines shown under the timeline (the run's summary).
  std::vector<std::string> notes;
};

/// One lane per node, roles over time (F follower, p pre-candidate, C
/// candidate, L leader, x crashed/down, z paused), a lane for clients (. ok,
/// ! failed, ? timed out), the faults marked on a ruler, then a list of the key
/// moments (fault, detection, election, serving, clients back) with times and
/// how long each phase took.
[[nodiscard]] std::string render_ascii_timeline(const std::vector<TraceEvent>& events,
                                                const RunMetrics& metrics,
                                                const TimelineOptions& options);

/// Chrome trace-event format: one "process" per node with role spans, instant
/// events for votes and faults, flow arrows for messages, a client track.
void write_chrome_trace(const std::vector<TraceEvent>& events, const TimelineOptions& options,
                        std::ostream& out);

/// A single HTML file with inline SVG and CSS (no network), showing the same
/// lanes as the ASCII timeline with hover details, the phases of the failover
/// and the summary; for teaching.
void write_html_timeline(const std::vector<TraceEvent>& events, const RunMetrics& metrics,
                         const TimelineOptions& options, std::ostream& out);

}  // namespace raft::sim
