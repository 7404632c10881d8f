// SPDX-License-Identifier: Apache-2.0
// What the two halves of the ASCII timeline share: timeline_ascii.cc (the page,
// the ruler, the lanes and their legend) and timeline_ascii_sections.cc (the
// text sections under the lanes). Private to those two files.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "raft/sim/metrics.h"
#include "raft/sim/trace.h"
#include "timeline_model.h"

namespace raft::sim::timeline::ascii {

/// Lines of text no wider than `width`; paragraphs wrap at spaces with a hanging indent.
class Page {
 public:
  explicit Page(std::size_t width) : width_(width) {}

  /// Adds `text` as one line per '\n' it holds, trailing spaces dropped; a line wider than
  /// the page wraps as a paragraph hanging at its own indent.
  void line(std::string text = {});

  /// Wraps `text` to the width at spaces, keeping runs of spaces inside a line
  /// (columns stay aligned); continuation lines start with `hang` spaces.
  void paragraph(std::string_view text, std::size_t hang);

  [[nodiscard]] std::string take() && { return std::move(out_); }

 private:
  static std::size_t leading_spaces(std::string_view text);
  void emit(std::string& text);

  std::size_t width_;
  std::string out_;
};

/// The one-character mark of a fault kind in the fault lane, the legend and the Faults section.
[[nodiscard]] char fault_symbol(FaultKind kind) noexcept;

// The sections under the lanes (timeline_ascii_sections.cc), in the order the page prints them.

/// "Leaders": the terms each node led within the window, or "nobody led".
void leaders_section(Page& page, const Model& model);
/// "Faults": the faults within the window (at most a dozen, then "... and N more").
void faults_section(Page& page, const Model& model);
/// "Votes": each campaign, the answers it got and how it ended; the failover's first when
/// there are too many.
void votes_section(Page& page, const Model& model, const RunMetrics& metrics);
/// "Key moments" of the failover, each with its offset from the fault.
void moments_section(Page& page, const Story& story);
/// "Where the time goes": each phase's duration, share and bar, and the vote sentence.
void phases_section(Page& page, const Story& story, std::size_t width);

}  // namespace raft::sim::timeline::ascii
