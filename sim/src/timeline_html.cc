// SPDX-License-Identifier: Apache-2.0
// A self-contained HTML page of a run, for teaching: the summary, where the
// failover's time went (detect / elect / load / clients back), and the lanes
// of the ASCII timeline drawn in SVG with a hover tooltip on every shape.
// Nothing is fetched: inline CSS, inline SVG, a few lines of inline script
// (without it the same details show as the browser's own tooltips).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "raft/events.h"
#include "raft/sim/metrics.h"
#include "raft/sim/timeline.h"
#include "raft/sim/trace.h"
#include "timeline_model.h"

namespace raft::sim {
namespace {

using timeline::LaneState;

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// Durations and times for people: the ASCII forms with a real micro sign.
std::string duration_text(Duration duration) {
  std::string text = timeline::format_duration(duration);
  if (text.size() > 3 && text.compare(text.size() - 3, 3, " us") == 0) {
    text.replace(text.size() - 2, 2, "\u00b5s");
  }
  return text;
}
std::string time_text(Time time) { return timeline::format_time(time); }

// ---- Geometry (SVG user units; the SVG scales to the page's width) ------------------------

constexpr double kWidth = 1400;
constexpr double kLeft = 130;  // Lane labels.
constexpr double kRight = 24;
constexpr double kPlot = kWidth - kLeft - kRight;
constexpr double kLane = 34;    // Height of a lane.
constexpr double kGap = 12;     // Between lanes.
constexpr double kMinMark = 3;  // Thinnest visible span (a 2 ms candidacy).

const char* state_class(LaneState state) {
  switch (state) {
    case LaneState::kFollower:
      return "st-f";
    case LaneState::kPreCandidate:
      return "st-p";
    case LaneState::kCandidate:
      return "st-c";
    case LaneState::kLeader:
      return "st-l";
    case LaneState::kPaused:
      return "st-z";
    case LaneState::kDown:
      return "st-x";
  }
  return "st-f";
}

const char* phase_class(std::string_view phase) {
  if (phase == "detect") return "ph-detect";
  if (phase == "elect") return "ph-elect";
  if (phase == "load") return "ph-load";
  return "ph-back";
}

constexpr std::string_view kStyle = R"css(
:root { --ink:#1d232b; --muted:#5b6675; --line:#d5dae1; --paper:#ffffff; --soft:#f4f6f8;
  --follower:#c3c9d1; --precandidate:#ffe08a; --candidate:#f2a516; --leader:#2f9e55;
  --paused:#3f7fd6; --down:#d64545; --ok:#2f9e55; --fail:#d64545; --timeout:#8e44ad;
  --detect:#7d8ba1; --elect:#f2a516; --load:#3f7fd6; --back:#8e44ad; }
* { box-sizing:border-box; }
body { margin:0; padding:28px 36px 48px; font:20px/1.45 system-ui, -apple-system, "Segoe UI",
  Roboto, "Helvetica Neue", Arial, sans-serif; color:var(--ink); background:var(--paper); }
h1 { font-size:34px; margin:0 0 4px; }
h2 { font-size:25px; margin:34px 0 10px; }
.sub { color:var(--muted); margin:0 0 18px; }
.summary { display:flex; flex-wrap:wrap; gap:18px 40px; background:var(--soft);
  border:1px solid var(--line); border-radius:10px; padding:16px 22px; }
.summary pre { margin:0; font:17px/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas,
  monospace; white-space:pre-wrap; flex:1 1 520px; }
.metrics { border-collapse:collapse; flex:0 1 auto; }
.metrics th { text-align:left; font-weight:600; padding:2px 18px 2px 0; color:var(--muted); }
.metrics td { padding:2px 0; font-variant-numeric:tabular-nums; }
svg { display:block; width:100%; height:auto; }
svg text { font-family:system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  fill:var(--ink); }
.lane-label { font-size:20px; font-weight:600; }
.axis text { font-size:16px; fill:var(--muted); }
.axis line { stroke:var(--line); stroke-width:1; }
.st-f { fill:var(--follower); } .st-p { fill:var(--precandidate); }
.st-c { fill:var(--candidate); } .st-l { fill:var(--leader); }
.st-z { fill:var(--paused); } .st-x { fill:url(#hatch-down); }
.term-label { font-size:15px; font-weight:600; fill:#ffffff; pointer-events:none; }
.term-label.dark { fill:var(--ink); }
.vote-yes { fill:#ffffff; stroke:var(--ok); stroke-width:2.5; }
.vote-no { fill:#ffffff; stroke:var(--fail); stroke-width:2.5; }
.cut { fill:#1d232b; opacity:.13; pointer-events:none; }
.cut-bar { fill:#1d232b; opacity:.55; }
.slow { fill:#8a5a00; }
.vote-label { font-size:15px; font-weight:600; pointer-events:none; }
.fault-line { stroke:var(--down); stroke-width:2; stroke-dasharray:6 4; }
.fault-label { font-size:15px; font-weight:600; fill:var(--down); }
.ok { fill:var(--ok); } .fail { fill:var(--fail); } .timeout { fill:var(--timeout); }
.wait { fill:#d9dde3; }
.serving { fill:var(--leader); opacity:.85; } .loading { fill:url(#hatch-load); }
.starting { fill:#c3c9d1; }
.ph-detect { fill:var(--detect); } .ph-elect { fill:var(--elect); }
.ph-load { fill:var(--load); } .ph-back { fill:var(--back); }
.sw { display:inline-block; width:18px; height:18px; border-radius:3px; margin-right:10px;
  vertical-align:-3px; }
.sw.ph-detect { background:var(--detect); } .sw.ph-elect { background:var(--elect); }
.sw.ph-load { background:var(--load); } .sw.ph-back { background:var(--back); }
.phase-label { font-size:17px; font-weight:600; fill:#ffffff; pointer-events:none; }
.phase-note { font-size:16px; fill:var(--ink); }
.moment-line { stroke:var(--ink); stroke-width:1; stroke-dasharray:2 4; opacity:.55; }
.legend { display:flex; flex-wrap:wrap; gap:6px 22px; margin:12px 0 0; font-size:18px; }
.legend span { display:inline-flex; align-items:center; gap:8px; }
.legend i { display:inline-block; width:26px; height:16px; border-radius:3px; }
.sentence { font-size:22px; margin:12px 0 0; max-width:70em; }
table.list { border-collapse:collapse; font-variant-numeric:tabular-nums; }
table.list th { text-align:left; color:var(--muted); font-weight:600; padding:4px 22px 4px 0;
  border-bottom:2px solid var(--line); }
table.list td { padding:4px 22px 4px 0; border-bottom:1px solid var(--line); vertical-align:top; }
td.num { text-align:right; white-space:nowrap; }
#tip { position:fixed; display:none; max-width:560px; padding:8px 12px; background:#1d232b;
  color:#ffffff; border-radius:6px; font-size:17px; pointer-events:none; z-index:10;
  box-shadow:0 4px 14px rgba(0,0,0,.25); white-space:pre-line; }
)css";

// Moves each SVG <title> into a data-tip attribute and shows it in a large
// tooltip (readable on a projector) instead of the browser's small one.
constexpr std::string_view kScript = R"js(
(function () {
  var tip = document.getElementById('tip');
  document.querySelectorAll('svg title').forEach(function (t) {
    var p = t.parentNode;
    p.setAttribute('data-tip', t.textContent);
    p.removeChild(t);
  });
  document.addEventListener('mousemove', function (e) {
    var el = e.target.closest ? e.target.closest('[data-tip]') : null;
    if (!el) { tip.style.display = 'none'; return; }
    tip.textContent = el.getAttribute('data-tip');
    tip.style.display = 'block';
    var x = Math.min(e.clientX + 16, window.innerWidth - tip.offsetWidth - 8);
    var y = e.clientY + 18;
    if (y + tip.offsetHeight > window.innerHeight) y = e.clientY - tip.offsetHeight - 12;
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  });
})();
)js";

/// A tick step of 1, 2 or 5 times a power of ten giving at most ~14 ticks.
std::int64_t axis_step(Duration span) {
  const std::int64_t needed = std::max<std::int64_t>(1, span.count() / 14);
  for (std::int64_t power = 1;; power *= 10) {
    for (const std::int64_t factor : {1, 2, 5}) {
      if (power * factor >= needed) return power * factor;
    }
    if (power > std::int64_t{1} << 58) return power;
  }
}

/// Seconds, with as many decimals as the step needs ("13.0005 s" when zoomed in).
std::string axis_label(std::int64_t nanos, std::int64_t step) {
  int decimals = 0;
  for (double s = static_cast<double>(step) / 1e9; s < 1.0 - 1e-9 && decimals < 9; s *= 10) {
    ++decimals;
  }
  return fmt::format("{:.{}f} s", static_cast<double>(nanos) / 1e9, decimals);
}

/// "1 pre-vote", "2 pre-votes".
std::string count(std::uint64_t n, std::string_view noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

class HtmlWriter {
 public:
  HtmlWriter(const std::vector<TraceEvent>& events, const RunMetrics& metrics,
             const TimelineOptions& options, std::ostream& out)
      : metrics_(metrics),
        options_(options),
        out_(out),
        model_(timeline::build_model(events, options)),
        story_(timeline::build_story(model_, metrics)),
        view_start_(model_.start),
        view_end_(model_.end) {}

  void write() {
    const std::string title = options_.title.empty() ? "raftsim timeline" : options_.title;
    out_ << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         << "<title>" << escape(title) << "</title>\n<style>" << kStyle << "</style>\n"
         << "</head>\n<body>\n";
    out_ << "<h1>" << escape(title) << "</h1>\n";
    out_ << "<p class=\"sub\">"
         << escape(fmt::format("{} nodes \u00b7 {} to {}", model_.nodes.size(),
                               time_text(model_.start), time_text(model_.end)))
         << "</p>\n";
    summary();
    phases();
    lanes();
    moments();
    campaigns();
    faults();
    out_ << "<div id=\"tip\"></div>\n<script>" << kScript << "</script>\n</body>\n</html>\n";
  }

 private:
  [[nodiscard]] double x(Time time) const {
    const Time clamped = std::clamp(time, view_start_, view_end_);
    return kLeft + kPlot * static_cast<double>((clamped - view_start_).count()) /
                       static_cast<double>((view_end_ - view_start_).count());
  }

  void metric_row(std::string_view name, const std::string& value) {
    out_ << "<tr><th>" << escape(name) << "</th><td>" << escape(value) << "</td></tr>\n";
  }

  void summary() {
    out_ << "<section class=\"summary\">\n";
    if (!options_.notes.empty()) {
      out_ << "<pre>";
      for (const std::string& note : options_.notes) out_ << escape(note) << '\n';
      out_ << "</pre>\n";
    }
    out_ << "<table class=\"metrics\">\n";
    const auto since_fault = [&](const std::optional<Duration>& d) {
      return d ? duration_text(*d) : std::string{"\u2014"};
    };
    if (metrics_.fault_time) {
      std::string fault = time_text(*metrics_.fault_time);
      if (metrics_.fault_node.valid()) fault += fmt::format(" (n{})", metrics_.fault_node.value());
      metric_row("fault", fault);
      metric_row("detection", since_fault(metrics_.detection));
      metric_row("election", since_fault(metrics_.election));
      metric_row("ready", since_fault(metrics_.ready));
      metric_row("RTO", since_fault(metrics_.rto));
      if (metrics_.new_leader.valid()) {
        metric_row("new leader", fmt::format("n{}", metrics_.new_leader.value()));
      }
    }
    metric_row("requests", fmt::format("{} ({} ok, {} refused, {} timed out)", metrics_.requests,
                                       metrics_.requests_ok, metrics_.requests_failed,
                                       metrics_.requests_timed_out));
    metric_row(
        "campaigns",
        fmt::format("{}, {}, {}; last term {}", count(metrics_.elections, "election"),
                    count(metrics_.pre_votes, "pre-vote"),
                    count(metrics_.leader_changes, "leader change"), metrics_.term_max.value()));
    metric_row("messages", fmt::format("{} sent, {} dropped", metrics_.messages_sent,
                                       metrics_.messages_dropped));
    out_ << "</table>\n</section>\n";
  }

  void phases() {
    if (story_.phases.empty()) return;
    const Time from = story_.phases.front().begin;
    const Duration total = story_.phases.back().end - from;
    out_ << "<h2>Where the time goes: "
         << escape(fmt::format("{} from the fault to {}", duration_text(total),
                               story_.phases.back().until))
         << "</h2>\n";
    // One bar, each phase as wide as the time it took; a phase too narrow for
    // its label gets it below, on its own row.
    constexpr double kBarHeight = 56;
    std::ostringstream bar;
    std::ostringstream notes;
    int note_rows = 0;         // Rows of notes below the bar.
    int note_row = 0;          // The row of the last note.
    double note_right = -1e9;  // Where the last note's words end.
    for (const timeline::Phase& phase : story_.phases) {
      if (phase.duration() <= Duration::zero()) continue;  // In the table below, not drawn.
      const double share = total > Duration::zero()
                               ? static_cast<double>((phase.begin - from).count()) /
                                     static_cast<double>(total.count())
                               : 0.0;
      const double width = total > Duration::zero()
                               ? static_cast<double>(phase.duration().count()) /
                                     static_cast<double>(total.count()) * kPlot
                               : 0.0;
      const double left = kLeft + share * kPlot;
      const double shown = std::max(width, kMinMark);
      const std::string label = fmt::format("{} {}", phase.name, duration_text(phase.duration()));
      bar << fmt::format(
          "<rect class=\"{}\" x=\"{:.2f}\" y=\"0\" width=\"{:.2f}\" height=\"{}\">"
          "<title>{}: {} \u2192 {} ({})</title></rect>\n",
          phase_class(phase.name), left, shown, kBarHeight, escape(phase.name),
          escape(time_text(phase.begin)), escape(time_text(phase.end)),
          escape(duration_text(phase.duration())));
      const double label_width = 9.5 * static_cast<double>(label.size()) + 16;
      if (width >= label_width) {
        bar << fmt::format(
            "<text class=\"phase-label\" x=\"{:.2f}\" y=\"{:.1f}\" text-anchor=\"middle\">"
            "{}</text>\n",
            left + width / 2, kBarHeight / 2 + 6, escape(label));
      } else {
        // Near the right edge the words end at the mark instead of starting
        // there; words that would overlap the previous ones go a row lower.
        const double at = left + shown / 2;
        const bool flip = at + label_width > kWidth;
        const double text_left = flip ? at - label_width : at;
        const int row = text_left < note_right ? note_row + 1 : 0;
        note_row = row;
        note_rows = std::max(note_rows, row + 1);
        const double y = kBarHeight + 26 + 24 * row;
        notes << fmt::format(
            "<line class=\"moment-line\" x1=\"{0:.2f}\" x2=\"{0:.2f}\" y1=\"{1}\" y2=\"{2:.1f}\"/>"
            "<text class=\"phase-note\" x=\"{0:.2f}\" y=\"{3:.1f}\" text-anchor=\"{5}\">{4}"
            "</text>\n",
            at, kBarHeight, y - 16, y, escape(label), flip ? "end" : "start");
        note_right = text_left + label_width;
      }
    }
    const double height = kBarHeight + 10 + 24 * note_rows + (note_rows > 0 ? 12 : 0);
    out_ << fmt::format("<svg viewBox=\"0 0 {} {:.0f}\" role=\"img\" aria-label=\"phases\">\n",
                        kWidth, height);
    out_ << fmt::format("<text class=\"lane-label\" x=\"0\" y=\"{:.1f}\">phases</text>\n",
                        kBarHeight / 2 + 7);
    out_ << bar.str() << notes.str() << "</svg>\n";
    out_ << "<table class=\"list\"><tr><th>phase</th><th>from</th><th>to</th><th>took</th>"
            "<th>share</th></tr>\n";
    for (const timeline::Phase& phase : story_.phases) {
      const double percent = total > Duration::zero()
                                 ? 100.0 * static_cast<double>(phase.duration().count()) /
                                       static_cast<double>(total.count())
                                 : 0.0;
      out_ << fmt::format(
          "<tr><td><i class=\"sw {}\"></i>{}</td><td class=\"num\">{}</td>"
          "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
          phase_class(phase.name), escape(phase.name), escape(time_text(phase.begin)),
          escape(time_text(phase.end)), escape(duration_text(phase.duration())),
          percent > 0 && percent < 0.5 ? std::string{"&lt;1%"} : fmt::format("{:.0f}%", percent));
    }
    out_ << "</table>\n";
    if (!story_.vote_sentence.empty()) {
      out_ << "<p class=\"sentence\">" << escape(story_.vote_sentence) << "</p>\n";
    }
  }

  // ---- The lanes --------------------------------------------------------------------------

  void axis(std::ostream& svg, double top, double bottom) const {
    const Duration span = view_end_ - view_start_;
    const std::int64_t first = view_start_.time_since_epoch().count();
    const std::int64_t last = view_end_.time_since_epoch().count();
    // Widen the step until the labels (about 8.5 units a character) have room.
    std::int64_t step = axis_step(span);
    const auto spacing = [&](std::int64_t candidate) {
      return kPlot * static_cast<double>(candidate) / static_cast<double>(span.count());
    };
    while (spacing(step) < 8.5 * static_cast<double>(axis_label(last, step).size()) + 28) {
      step = axis_step(Duration{(step + 1) * 14});  // The next 1-2-5 step.
    }
    svg << "<g class=\"axis\">\n";
    for (std::int64_t t = (first + step - 1) / step * step; t <= last; t += step) {
      const double at = x(Time{Duration{t}});
      const std::string label = escape(axis_label(t, step));
      const double half = 4.25 * static_cast<double>(label.size());
      const char* anchor = at + half > kWidth ? "end" : "middle";
      svg << fmt::format(
          "<line x1=\"{0:.2f}\" x2=\"{0:.2f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\"/>"
          "<text x=\"{0:.2f}\" y=\"{3:.1f}\" text-anchor=\"{6}\">{4}</text>"
          "<text x=\"{0:.2f}\" y=\"{5:.1f}\" text-anchor=\"{6}\">{4}</text>\n",
          at, top, bottom, top - 8, label, bottom + 20, anchor);
    }
    svg << "</g>\n";
  }

  void lane_label(std::ostream& svg, double y, std::string_view label) const {
    svg << fmt::format("<text class=\"lane-label\" x=\"8\" y=\"{:.1f}\">{}</text>\n",
                       y + kLane / 2 + 7, escape(label));
  }

  void role_rect(std::ostream& svg, NodeId node, const timeline::RoleSpan& span, double y) const {
    if (span.end <= view_start_ || span.begin >= view_end_) return;
    const double left = x(span.begin);
    double width = x(span.end) - left;
    if (span.state != LaneState::kFollower) width = std::max(width, kMinMark);
    std::string what = timeline::state_name(span.state);
    if (span.state == LaneState::kPaused) {
      what += fmt::format(" (still a {} of term {})", to_string(span.role), span.term.value());
    } else if (span.state != LaneState::kDown) {
      what += fmt::format(", term {}", span.term.value());
    }
    svg << fmt::format(
        "<rect class=\"{}\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{}\">"
        "<title>n{} {}\n{} \u2192 {} ({})</title></rect>\n",
        state_class(span.state), left, y, width, kLane, node.value(), escape(what),
        escape(time_text(span.begin)), escape(time_text(span.end)),
        escape(duration_text(span.end - span.begin)));
    const double label = 9.0 * static_cast<double>(state_label(span).size()) + 16;
    if (width > label && span.state != LaneState::kFollower && span.state != LaneState::kDown) {
      svg << fmt::format("<text class=\"{}\" x=\"{:.2f}\" y=\"{:.1f}\">{}</text>\n",
                         span.state == LaneState::kPreCandidate ? "term-label dark" : "term-label",
                         left + 8, y + kLane / 2 + 6, escape(state_label(span)));
    }
  }

  /// The words inside a wide span: "term 2", "candidate, term 2", "paused".
  static std::string state_label(const timeline::RoleSpan& span) {
    switch (span.state) {
      case LaneState::kLeader:
        return fmt::format("term {}", span.term.value());
      case LaneState::kCandidate:
        return fmt::format("candidate, term {}", span.term.value());
      case LaneState::kPreCandidate:
        return "pre-candidate";
      case LaneState::kPaused:
        return "paused";
      default:
        return {};
    }
  }

  void node_lane(std::ostream& svg, std::size_t index, double y) const {
    const NodeId node = model_.nodes[index];
    lane_label(svg, y, fmt::format("n{}", node.value()));
    // Two passes: (pre-)candidacies last, on top, so a 2 ms campaign stays
    // visible next to the leader span that follows it.
    for (const bool brief_pass : {false, true}) {
      for (const timeline::RoleSpan& span : model_.lanes[index]) {
        const bool brief =
            span.state == LaneState::kCandidate || span.state == LaneState::kPreCandidate;
        if (brief != brief_pass) continue;
        role_rect(svg, node, span, y);
      }
    }
    for (const timeline::VoteMark& vote : model_.votes) {
      if (vote.voter != node || vote.time < view_start_ || vote.time > view_end_) continue;
      svg << fmt::format(
          "<circle class=\"{}\" cx=\"{:.2f}\" cy=\"{:.1f}\" r=\"{}\"><title>n{} {} n{} {} "
          "term {}{}\n{}</title></circle>\n",
          vote.vote.granted ? "vote-yes" : "vote-no", x(vote.time), y + kLane / 2,
          vote.vote.pre_vote ? 4.5 : 6.5, node.value(), vote.vote.granted ? "grants" : "refuses",
          vote.vote.candidate.value(), vote.vote.pre_vote ? "a pre-vote for" : "its vote in",
          vote.vote.term.value(),
          vote.vote.granted ? std::string{}
                            : escape(fmt::format(" ({})", to_string(vote.vote.denial))),
          escape(time_text(vote.time)));
      if (zoomed_) {
        svg << fmt::format(
            "<text class=\"vote-label\" x=\"{:.2f}\" y=\"{:.1f}\">{} n{}: {}</text>\n",
            x(vote.time) + 11, y + kLane / 2 + 5, vote.vote.pre_vote ? "pre-vote" : "vote",
            vote.vote.candidate.value(), vote.vote.granted ? "yes" : "no");
      }
    }
  }

  void service_lane(std::ostream& svg, double y) const {
    lane_label(svg, y, "serving");
    // Spans of different nodes may overlap (a paused old leader still believes
    // it serves): each goes on the first track free when it begins.
    std::vector<std::size_t> track(model_.service.size(), 0);
    std::vector<Time> track_end;
    for (std::size_t i = 0; i < model_.service.size(); ++i) {
      const timeline::ServiceSpan& span = model_.service[i];
      std::size_t t = 0;
      while (t < track_end.size() && track_end[t] > span.begin) ++t;
      if (t == track_end.size()) track_end.push_back(span.end);
      track_end[t] = span.end;
      track[i] = t;
    }
    const double height = kLane / static_cast<double>(std::max<std::size_t>(1, track_end.size()));
    for (std::size_t i = 0; i < model_.service.size(); ++i) {
      const timeline::ServiceSpan& span = model_.service[i];
      if (span.end <= view_start_ || span.begin >= view_end_) continue;
      const char* cls = span.phase == ServiceRecord::Phase::kServing   ? "serving"
                        : span.phase == ServiceRecord::Phase::kLoading ? "loading"
                                                                       : "starting";
      const double left = x(span.begin);
      const double width = std::max(x(span.end) - left, kMinMark);
      const double top = y + height * static_cast<double>(track[i]);
      svg << fmt::format(
          "<rect class=\"{}\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\">"
          "<title>n{} {}\n{} \u2192 {} ({})</title></rect>\n",
          cls, left, top, width, height - (track_end.size() > 1 ? 1 : 0), span.node.value(), cls,
          escape(time_text(span.begin)), escape(time_text(span.end)),
          escape(duration_text(span.end - span.begin)));
      if (width > 110 && height >= 16) {
        // Dark words on a white plate: the loading stripes would swallow white ones.
        const bool loading = span.phase == ServiceRecord::Phase::kLoading;
        if (loading) {
          svg << fmt::format(
              "<rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" rx=\"3\" "
              "fill=\"#ffffff\" opacity=\".9\"/>",
              left + 4, top + height / 2 - std::min(11.0, height / 2 - 1),
              9.0 * (4.0 + static_cast<double>(std::string_view{cls}.size())) + 4,
              std::min(22.0, height - 2));
        }
        svg << fmt::format("<text class=\"{}\" x=\"{:.2f}\" y=\"{:.1f}\">n{} {}</text>\n",
                           loading ? "term-label dark" : "term-label", left + 8,
                           top + height / 2 + 5, span.node.value(), cls);
      }
    }
  }

  void client_lane(std::ostream& svg, double y) const {
    lane_label(svg, y, "clients");
    for (const timeline::ClientAttempt& attempt : model_.attempts) {
      const Time end = attempt.complete.value_or(view_end_);
      if (end < view_start_ || attempt.invoke > view_end_) continue;
      const char* cls = attempt.outcome == ClientRecord::Phase::kOk        ? "ok"
                        : attempt.outcome == ClientRecord::Phase::kFail    ? "fail"
                        : attempt.outcome == ClientRecord::Phase::kTimeout ? "timeout"
                                                                           : "wait";
      std::string what = fmt::format("client {} {} {}: {}", attempt.client,
                                     attempt.kind == OpKind::kRead ? "read" : "write", attempt.key,
                                     timeline::outcome_name(attempt.outcome));
      if (!attempt.error.empty()) what += " (" + attempt.error + ")";
      what += fmt::format(
          "\nsent {}{}", time_text(attempt.invoke),
          attempt.target.valid() ? fmt::format(" to n{}", attempt.target.value()) : std::string{});
      if (attempt.attempt > 0) what += fmt::format(", retry {}", attempt.attempt);
      if (attempt.complete) {
        what += fmt::format("\nanswered {} after {}", time_text(*attempt.complete),
                            duration_text(*attempt.complete - attempt.invoke));
      }
      // The wait as a thin bar, the outcome as a tick when the client learned it.
      const double left = x(attempt.invoke);
      svg << fmt::format(
          "<g><title>{}</title><rect class=\"wait\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" "
          "height=\"6\"/>",
          escape(what), left, y + kLane / 2 - 3, std::max(x(end) - left, 1.0));
      if (attempt.complete) {
        svg << fmt::format(
            "<rect class=\"{}\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"4\" height=\"{}\"/>", cls,
            x(end) - 2, y + 3, kLane - 6);
      }
      svg << "</g>\n";
    }
  }

  void phase_lane(std::ostream& svg, double y) const {
    lane_label(svg, y, "phases");
    for (const timeline::Phase& phase : story_.phases) {
      if (phase.duration() <= Duration::zero()) continue;
      const double left = x(phase.begin);
      const double width = std::max(x(phase.end) - left, kMinMark);
      svg << fmt::format(
          "<rect class=\"{}\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{}\">"
          "<title>{}: {}\n{} \u2192 {}</title></rect>\n",
          phase_class(phase.name), left, y, width, kLane, escape(phase.name),
          escape(duration_text(phase.duration())), escape(time_text(phase.begin)),
          escape(time_text(phase.end)));
      if (width > 9.0 * static_cast<double>(std::string_view{phase.name}.size()) + 16) {
        svg << fmt::format(
            "<text class=\"phase-label\" x=\"{:.2f}\" y=\"{:.1f}\" text-anchor=\"middle\">"
            "{}</text>\n",
            left + width / 2, y + kLane / 2 + 6, escape(phase.name));
      }
    }
  }

  /// Fault markers: a dashed line through every lane and a label above,
  /// staggered over three rows so neighbouring faults stay readable.
  void fault_marks(std::ostream& svg, double top, double bottom) const {
    std::vector<double> row_end(3, -1e9);
    for (const timeline::FaultMark& fault : model_.faults) {
      if (fault.time < view_start_ || fault.time > view_end_) continue;
      const double at = x(fault.time);
      std::string label = fmt::format("{} {}", to_string(fault.record.kind),
                                      timeline::fault_targets(fault.record, fault.node));
      std::size_t row = 0;
      while (row + 1 < row_end.size() && row_end[row] > at) ++row;
      row_end[row] = at + 8.5 * static_cast<double>(label.size()) + 14;
      std::string what =
          timeline::with_duration(label, fault.record) + "\n" + time_text(fault.time);
      if (!fault.record.description.empty()) what += "\n" + fault.record.description;
      const double label_y = top + 18 + 20 * static_cast<double>(row);
      const bool flip = at + 8.5 * static_cast<double>(label.size()) > kWidth - kRight;
      svg << fmt::format(
          "<g><title>{0}</title><line class=\"fault-line\" x1=\"{1:.2f}\" x2=\"{1:.2f}\" "
          "y1=\"{2:.1f}\" y2=\"{3:.1f}\"/><text class=\"fault-label\" x=\"{4:.2f}\" y=\"{5:.1f}\" "
          "text-anchor=\"{6}\">{7}</text></g>\n",
          escape(what), at, label_y + 4, bottom, flip ? at - 5 : at + 5, label_y,
          flip ? "end" : "start", escape(label));
    }
  }

  /// Faults in force for a while: a partition shades every node lane until it
  /// heals (with a bar above the lanes to hover); a slow disk underlines its node.
  void extents(std::ostream& svg, double lanes_top) const {
    const double lanes_height = static_cast<double>(model_.nodes.size()) * (kLane + kGap) - kGap;
    for (const timeline::FaultExtent& extent : model_.extents) {
      if (extent.end <= view_start_ || extent.start.time >= view_end_) continue;
      const double left = x(extent.start.time);
      const double width = std::max(x(extent.end) - left, kMinMark);
      const timeline::FaultMark& start = extent.start;
      std::string what =
          fmt::format("{} {}\n{} \u2192 {}", to_string(start.record.kind),
                      timeline::fault_targets(start.record, start.node), time_text(start.time),
                      extent.open ? std::string{"(still in force)"} : time_text(extent.end));
      if (!start.record.description.empty()) what += "\n" + start.record.description;
      if (timeline::is_partition_fault(start.record.kind)) {
        svg << fmt::format(
            "<rect class=\"cut\" x=\"{0:.2f}\" y=\"{1:.1f}\" width=\"{2:.2f}\" "
            "height=\"{3:.1f}\"/><rect class=\"cut-bar\" x=\"{0:.2f}\" y=\"{4:.1f}\" "
            "width=\"{2:.2f}\" height=\"5\"><title>{5}</title></rect>\n",
            left, lanes_top, width, lanes_height, lanes_top - 8, escape(what));
        continue;
      }
      for (const NodeId node : start.record.nodes) {
        if (!node.valid() || node.value() > model_.nodes.size()) continue;
        const double y = lanes_top + static_cast<double>(node.value() - 1) * (kLane + kGap);
        svg << fmt::format(
            "<rect class=\"slow\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"6\">"
            "<title>{}</title></rect>\n",
            left, y + kLane - 6, width, escape(what));
      }
    }
  }

  void moment_marks(std::ostream& svg, double top, double bottom) const {
    for (const timeline::Moment& moment : story_.moments) {
      if (moment.time < view_start_ || moment.time > view_end_) continue;
      svg << fmt::format(
          "<g><title>{0}: {1}\n{2}</title><line class=\"moment-line\" x1=\"{3:.2f}\" "
          "x2=\"{3:.2f}\" y1=\"{4:.1f}\" y2=\"{5:.1f}\"/></g>\n",
          escape(moment.name), escape(time_text(moment.time)), escape(moment.what), x(moment.time),
          top, bottom);
    }
  }

  void lanes() {
    out_ << "<h2>Timeline</h2>\n";
    timeline_svg(true);
    legend();
    zoom();
  }

  /// The election is milliseconds in a window of seconds: when it is that
  /// small, draw it again on its own, with the votes.
  void zoom() {
    if (!story_.vote) return;
    const timeline::VoteTiming& vote = *story_.vote;
    const Time from = vote.pre_vote_begin.value_or(vote.candidate_begin);
    const Time to = vote.leader_begin;
    const Duration span = to - from;
    if (span * 20 > model_.end - model_.start) return;
    const Duration margin = std::max<Duration>(span / 4, std::chrono::microseconds{200});
    view_start_ = std::max(model_.start, from - margin);
    view_end_ = std::min(model_.end, to + margin);
    if (view_end_ <= view_start_) return;
    out_ << "<h2>"
         << escape(fmt::format("Zoom on the election: {} to {} ({})", time_text(from),
                               time_text(to), duration_text(span)))
         << "</h2>\n";
    zoomed_ = true;
    timeline_svg(false);
    zoomed_ = false;
    view_start_ = model_.start;
    view_end_ = model_.end;
  }

  /// One SVG of lanes over the current view: the nodes, and in the full view
  /// also who serves, the clients, the phases and the faults.
  void timeline_svg(bool full) {
    std::size_t fault_count = 0;
    for (const timeline::FaultMark& fault : model_.faults) {
      if (full && fault.time >= view_start_ && fault.time <= view_end_) ++fault_count;
    }
    const double fault_rows = static_cast<double>(std::min<std::size_t>(fault_count, 3));
    const double axis_top = 26;
    const double lanes_top = axis_top + 10 + 20 * fault_rows + (fault_rows > 0 ? 8 : 0);
    double y = lanes_top;
    std::ostringstream body;
    for (std::size_t i = 0; i < model_.nodes.size(); ++i) {
      node_lane(body, i, y);
      y += kLane + kGap;
    }
    if (full && model_.has_service()) {
      service_lane(body, y);
      y += kLane + kGap;
    }
    if (full && !model_.attempts.empty()) {
      client_lane(body, y);
      y += kLane + kGap;
    }
    if (full && !story_.phases.empty()) {
      phase_lane(body, y);
      y += kLane + kGap;
    }
    const double bottom = y - kGap + 6;
    out_ << fmt::format("<svg viewBox=\"0 0 {} {:.0f}\" role=\"img\" aria-label=\"{}\">\n", kWidth,
                        bottom + 30,
                        full ? "timeline of roles per node" : "the election, zoomed in");
    // Diagonal stripes: red for a crashed node, blue for a leader loading its state.
    out_ << "<defs><pattern id=\"hatch-down\" width=\"10\" height=\"10\" "
            "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
            "<rect width=\"10\" height=\"10\" fill=\"#f6d5d5\"/>"
            "<rect width=\"4\" height=\"10\" fill=\"#d64545\"/></pattern>"
            "<pattern id=\"hatch-load\" width=\"10\" height=\"10\" "
            "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
            "<rect width=\"10\" height=\"10\" fill=\"#dbe7f8\"/>"
            "<rect width=\"4\" height=\"10\" fill=\"#3f7fd6\"/></pattern></defs>\n";
    axis(out_, axis_top, bottom);
    out_ << body.str();
    if (full) extents(out_, lanes_top);
    moment_marks(out_, lanes_top, bottom);
    if (full) fault_marks(out_, axis_top, bottom);
    out_ << "</svg>\n";
  }

  void legend() {
    struct Swatch {
      const char* style;
      const char* text;
    };
    static constexpr Swatch kSwatches[] = {
        {"background:var(--follower)", "follower"},
        {"background:var(--precandidate)", "pre-candidate"},
        {"background:var(--candidate)", "candidate"},
        {"background:var(--leader)", "leader"},
        {"background:repeating-linear-gradient(45deg,#d64545 0 4px,#f6d5d5 4px 10px)",
         "down (crashed)"},
        {"background:var(--paused)", "paused"},
        {"border:2.5px solid var(--ok);border-radius:50%;width:16px", "vote granted"},
        {"border:2.5px solid var(--fail);border-radius:50%;width:16px", "vote refused"},
        {"background:var(--ok);width:6px", "request ok"},
        {"background:var(--fail);width:6px", "refused"},
        {"background:var(--timeout);width:6px", "timed out"},
    };
    out_ << "<div class=\"legend\">";
    for (const Swatch& swatch : kSwatches) {
      out_ << "<span><i style=\"" << swatch.style << "\"></i>" << swatch.text << "</span>";
    }
    out_ << "</div>\n";
  }

  // ---- Lists ------------------------------------------------------------------------------

  void moments() {
    if (story_.moments.empty()) return;
    const Time fault = story_.moments.front().time;
    out_ << "<h2>Key moments</h2>\n<table class=\"list\"><tr><th>time</th><th>since fault</th>"
            "<th>moment</th><th>what happened</th></tr>\n";
    for (const timeline::Moment& moment : story_.moments) {
      out_ << fmt::format(
          "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>\n",
          escape(time_text(moment.time)),
          moment.time == fault ? std::string{}
                               : escape(fmt::format("+{}", duration_text(moment.time - fault))),
          escape(moment.name), escape(moment.what));
    }
    out_ << "</table>\n";
  }

  void campaigns() {
    std::vector<const timeline::Campaign*> shown;
    for (const timeline::Campaign& campaign : model_.campaigns) {
      if (campaign.begin <= model_.end && campaign.end >= model_.start) shown.push_back(&campaign);
    }
    if (shown.empty()) return;
    constexpr std::size_t kRowsMax = 40;
    out_ << "<h2>Votes</h2>\n<table class=\"list\"><tr><th>time</th><th>who</th><th>asks</th>"
            "<th>granted by</th><th>refused by</th><th>outcome</th></tr>\n";
    for (std::size_t i = 0; i < shown.size() && i < kRowsMax; ++i) {
      const timeline::Campaign& campaign = *shown[i];
      std::string yes;
      std::string no;
      for (const timeline::VoteMark& vote : campaign.votes) {
        std::string& list = vote.vote.granted ? yes : no;
        if (!list.empty()) list += ", ";
        list += fmt::format("n{}", vote.voter.value());
        if (!vote.vote.granted) list += fmt::format(" ({})", to_string(vote.vote.denial));
      }
      const std::string outcome = campaign.open
                                      ? std::string{"still campaigning"}
                                      : fmt::format("{} after {}", campaign.outcome,
                                                    duration_text(campaign.end - campaign.begin));
      out_ << fmt::format(
          "<tr><td class=\"num\">{}</td><td>n{}</td><td>{} for term {}</td><td>{}</td>"
          "<td>{}</td><td>{}</td></tr>\n",
          escape(time_text(campaign.begin)), campaign.node.value(),
          campaign.pre_vote ? "pre-vote" : "vote", campaign.term.value(), escape(yes), escape(no),
          escape(outcome));
    }
    out_ << "</table>\n";
    if (shown.size() > kRowsMax) {
      out_ << "<p>" << escape(fmt::format("\u2026 and {} more campaigns", shown.size() - kRowsMax))
           << "</p>\n";
    }
  }

  void faults() {
    bool any = false;
    for (const timeline::FaultMark& fault : model_.faults) {
      if (fault.time < model_.start || fault.time > model_.end) continue;
      if (!any) {
        out_ << "<h2>Faults</h2>\n<table class=\"list\"><tr><th>time</th><th>fault</th>"
                "<th>nodes</th><th>description</th></tr>\n";
        any = true;
      }
      const std::string kind = timeline::with_duration(to_string(fault.record.kind), fault.record);
      out_ << fmt::format("<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                          escape(time_text(fault.time)), escape(kind),
                          escape(timeline::fault_targets(fault.record, fault.node)),
                          escape(fault.record.description));
    }
    if (any) out_ << "</table>\n";
  }

  const RunMetrics& metrics_;
  const TimelineOptions& options_;
  std::ostream& out_;
  timeline::Model model_;
  timeline::Story story_;
  // The stretch of time the SVG being drawn shows: the whole window, or the
  // election zoomed in.
  Time view_start_;
  Time view_end_;
  bool zoomed_ = false;  // Votes get words beside them.
};

}  // namespace

void write_html_timeline(const std::vector<TraceEvent>& events, const RunMetrics& metrics,
                         const TimelineOptions& options, std::ostream& out) {
  HtmlWriter{events, metrics, options, out}.write();
}

}  // namespace raft::sim
