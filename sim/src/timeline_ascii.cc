// SPDX-License-Identifier: Apache-2.0
// The ASCII timeline (what `raftsim run` prints): the page, the time ruler,
// one lane per node and the serving / clients / faults lanes, and their
// legend. The text sections under the lanes are in timeline_ascii_sections.cc;
// the model every timeline draws is built in timeline_model.cc.
#include "timeline_ascii.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "raft/sim/metrics.h"
#include "raft/sim/timeline.h"
#include "raft/sim/trace.h"
#include "timeline_model.h"

namespace raft::sim {
namespace timeline::ascii {
namespace {

constexpr std::uint32_t kWidthMin = 40;

/// Columns `text` takes on a terminal: UTF-8 continuation bytes take none
/// (notes may hold an em dash; everything we generate is ASCII).
std::size_t columns_of(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
  }));
}

/// The longest prefix of `text` taking at most `columns` columns, not
/// splitting a UTF-8 sequence.
std::size_t prefix_bytes(std::string_view text, std::size_t columns) {
  std::size_t used = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool starts = (static_cast<unsigned char>(text[i]) & 0xC0U) != 0x80U;
    if (starts && used++ == columns) return i;
  }
  return text.size();
}

}  // namespace

void Page::line(std::string text) {
  if (const std::size_t newline = text.find('\n'); newline != std::string::npos) {
    line(text.substr(0, newline));
    line(text.substr(newline + 1));
    return;
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  if (columns_of(text) <= width_) {
    out_ += text;
    out_ += '\n';
    return;
  }
  paragraph(text, leading_spaces(text));
}

void Page::paragraph(std::string_view text, std::size_t hang) {
  hang = std::min(hang, width_ / 2);
  std::string current;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t word_begin = std::min(text.find_first_not_of(' ', pos), text.size());
    std::size_t word_end = text.find(' ', word_begin);
    if (word_end == std::string_view::npos) word_end = text.size();
    std::string_view spaces = text.substr(pos, word_begin - pos);
    std::string_view word = text.substr(word_begin, word_end - word_begin);
    pos = word_end;
    if (word.empty()) break;
    if (!current.empty() && columns_of(current) + spaces.size() + columns_of(word) > width_) {
      emit(current);
      current.assign(hang, ' ');
      spaces = {};
    }
    current += spaces.substr(0, width_ - std::min(width_, columns_of(current)));
    // A word longer than a whole line is cut.
    while (columns_of(current) + columns_of(word) > width_) {
      const std::size_t room = prefix_bytes(word, width_ - columns_of(current));
      current += word.substr(0, room);
      word.remove_prefix(room);
      emit(current);
      current.assign(hang, ' ');
    }
    current += word;
  }
  emit(current);
}

std::size_t Page::leading_spaces(std::string_view text) {
  const std::size_t first = text.find_first_not_of(' ');
  return first == std::string_view::npos ? 0 : first;
}

void Page::emit(std::string& text) {
  while (!text.empty() && text.back() == ' ') text.pop_back();
  out_ += text;
  out_ += '\n';
}

namespace {

/// Maps the window onto `columns` columns of equal duration.
class Columns {
 public:
  Columns(Time start, Time end, std::size_t columns)
      : start_(start), span_(end - start), columns_(columns) {}

  [[nodiscard]] std::size_t count() const noexcept { return columns_; }
  [[nodiscard]] Duration width() const noexcept {
    return span_ / static_cast<Duration::rep>(columns_);
  }
  /// The first instant of column `column` (column `count()` is the end).
  [[nodiscard]] Time begin(std::size_t column) const noexcept {
    return start_ +
           span_ * static_cast<Duration::rep>(column) / static_cast<Duration::rep>(columns_);
  }
  /// The column holding `time`, clamped to the window.
  [[nodiscard]] std::size_t at(Time time) const noexcept {
    if (time <= start_) return 0;
    const auto offset = (time - start_).count();
    const auto column =
        static_cast<std::size_t>(offset * static_cast<Duration::rep>(columns_) / span_.count());
    return std::min(column, columns_ - 1);
  }
  /// Calls `add(column, overlap)` for each column [begin, end) overlaps.
  template <class Add>
  void overlap(Time from, Time to, Add add) const {
    from = std::max(from, start_);
    to = std::min(to, start_ + span_);
    if (to <= from) return;
    for (std::size_t column = at(from); column < columns_; ++column) {
      const Time lo = std::max(from, begin(column));
      const Time hi = std::min(to, begin(column + 1));
      if (lo >= to) break;
      if (hi > lo) add(column, hi - lo);
    }
  }

 private:
  Time start_;
  Duration span_;
  std::size_t columns_;
};

/// One node's lane: a column shows leader, candidate, pre-candidate if the
/// node held that role for any time in it (a 2 ms candidacy must not vanish in
/// a 300 ms column), else whichever of down / paused / follower lasted longest.
std::string node_lane(const std::vector<RoleSpan>& spans, const Columns& columns) {
  constexpr std::size_t kStates = 6;
  std::vector<std::array<Duration, kStates>> held(columns.count());
  for (auto& column : held) column.fill(Duration::zero());
  for (const RoleSpan& span : spans) {
    columns.overlap(span.begin, span.end, [&](std::size_t column, Duration overlap) {
      held[column][static_cast<std::size_t>(span.state)] += overlap;
    });
  }
  std::string lane(columns.count(), ' ');
  for (std::size_t column = 0; column < columns.count(); ++column) {
    const auto& time = held[column];
    const auto has = [&](LaneState state) {
      return time[static_cast<std::size_t>(state)] > Duration::zero();
    };
    std::optional<LaneState> shown;
    for (const LaneState state :
         {LaneState::kLeader, LaneState::kCandidate, LaneState::kPreCandidate}) {
      if (!shown && has(state)) shown = state;
    }
    if (!shown) {
      // Ties go to the first: down, then paused, then follower.
      for (const LaneState state : {LaneState::kDown, LaneState::kPaused, LaneState::kFollower}) {
        if (has(state) && (!shown || time[static_cast<std::size_t>(state)] >
                                         time[static_cast<std::size_t>(*shown)])) {
          shown = state;
        }
      }
    }
    if (shown) lane[column] = state_symbol(*shown);
  }
  return lane;
}

/// Clients: '?' a timeout, '!' a refusal, '.' only successes, ' ' nothing
/// completed in the column (attempts are marked when the client learns).
std::string client_lane(const Model& model, const Columns& columns) {
  std::string lane(columns.count(), ' ');
  const auto rank = [](char c) { return c == '?' ? 3 : c == '!' ? 2 : c == '.' ? 1 : 0; };
  for (const ClientAttempt& attempt : model.attempts) {
    if (!attempt.complete || *attempt.complete < model.start || *attempt.complete > model.end) {
      continue;
    }
    char mark = '.';
    if (attempt.outcome == ClientRecord::Phase::kFail) mark = '!';
    if (attempt.outcome == ClientRecord::Phase::kTimeout) mark = '?';
    char& cell = lane[columns.at(*attempt.complete)];
    if (rank(mark) > rank(cell)) cell = mark;
  }
  return lane;
}

char node_digit(NodeId node) {
  return node.value() < 10 ? static_cast<char>('0' + node.value()) : '+';
}

/// Who serves clients: the node's digit while serving, '~' loading, ':'
/// starting; the longest-held wins a column, serving before loading.
std::string service_lane(const Model& model, const Columns& columns) {
  struct Cell {
    Duration serving = Duration::zero();
    NodeId server;
    Duration loading = Duration::zero();
    Duration starting = Duration::zero();
  };
  std::vector<Cell> cells(columns.count());
  for (const ServiceSpan& span : model.service) {
    columns.overlap(span.begin, span.end, [&](std::size_t column, Duration overlap) {
      Cell& cell = cells[column];
      switch (span.phase) {
        case ServiceRecord::Phase::kServing:
          if (overlap > cell.serving) {
            cell.serving = overlap;
            cell.server = span.node;
          }
          break;
        case ServiceRecord::Phase::kLoading:
          cell.loading += overlap;
          break;
        case ServiceRecord::Phase::kStarting:
          cell.starting += overlap;
          break;
        case ServiceRecord::Phase::kStopped:
          break;
      }
    });
  }
  std::string lane(columns.count(), ' ');
  for (std::size_t column = 0; column < cells.size(); ++column) {
    const Cell& cell = cells[column];
    if (cell.serving > Duration::zero()) {
      lane[column] = node_digit(cell.server);
    } else if (cell.loading > Duration::zero()) {
      lane[column] = '~';
    } else if (cell.starting > Duration::zero()) {
      lane[column] = ':';
    }
  }
  // Two nodes serving at once (an old leader paused or cut off still believes
  // it serves): '*' wherever their serving overlaps.
  for (std::size_t i = 0; i < model.service.size(); ++i) {
    const ServiceSpan& a = model.service[i];
    if (a.phase != ServiceRecord::Phase::kServing) continue;
    for (std::size_t j = i + 1; j < model.service.size(); ++j) {
      const ServiceSpan& b = model.service[j];
      if (b.phase != ServiceRecord::Phase::kServing || b.node == a.node) continue;
      columns.overlap(std::max(a.begin, b.begin), std::min(a.end, b.end),
                      [&](std::size_t column, Duration) { lane[column] = '*'; });
    }
  }
  return lane;
}

}  // namespace

char fault_symbol(FaultKind kind) noexcept {
  switch (kind) {
    case FaultKind::kCrash:
      return '^';
    case FaultKind::kMachineLoss:
      return '*';
    case FaultKind::kRestart:
      return '+';
    case FaultKind::kPause:
      return '=';
    case FaultKind::kResume:
      return '>';
    case FaultKind::kPartition:
      return '#';
    case FaultKind::kPartitionOneWay:
      return '/';
    case FaultKind::kIsolate:
      return '@';
    case FaultKind::kHeal:
      return 'H';
    case FaultKind::kSlowDisk:
      return 'S';
    case FaultKind::kDiskRecovered:
      return 's';
    case FaultKind::kClockDrift:
      return 'c';
    case FaultKind::kNetworkChange:
      return 'n';
    case FaultKind::kTransferLeadership:
      return 'T';
    case FaultKind::kMembershipChange:
      return 'M';
  }
  return '?';
}

namespace {

/// Faults that take something away win a shared column over those that give it back.
int fault_rank(FaultKind kind) noexcept {
  switch (kind) {
    case FaultKind::kCrash:
    case FaultKind::kMachineLoss:
      return 5;
    case FaultKind::kPartition:
    case FaultKind::kPartitionOneWay:
    case FaultKind::kIsolate:
      return 4;
    case FaultKind::kPause:
      return 3;
    case FaultKind::kSlowDisk:
    case FaultKind::kClockDrift:
    case FaultKind::kNetworkChange:
      return 2;
    default:
      return 1;
  }
}

/// The fault lane: each fault's symbol in its column, '-' while a partition
/// or a slow disk lasts (node lanes already show crashes and pauses).
std::string fault_lane(const Model& model, const Columns& columns) {
  std::string lane(columns.count(), ' ');
  for (const FaultExtent& extent : model.extents) {
    if (extent.end < model.start || extent.start.time > model.end) continue;
    for (std::size_t c = columns.at(extent.start.time); c <= columns.at(extent.end); ++c) {
      lane[c] = '-';
    }
  }
  std::vector<int> rank(columns.count(), 0);
  for (const FaultMark& fault : model.faults) {
    if (fault.time < model.start || fault.time > model.end) continue;
    const std::size_t column = columns.at(fault.time);
    if (fault_rank(fault.record.kind) > rank[column]) {
      rank[column] = fault_rank(fault.record.kind);
      lane[column] = fault_symbol(fault.record.kind);
    }
  }
  return lane;
}

/// A step of 1, 2 or 5 times a power of ten (in ns) giving ticks at least
/// `spacing` columns apart.
std::int64_t tick_step(const Columns& columns, std::size_t spacing) {
  const std::int64_t needed =
      std::max<std::int64_t>(1, columns.width().count() * static_cast<std::int64_t>(spacing));
  for (std::int64_t power = 1;; power *= 10) {
    for (const std::int64_t factor : {1, 2, 5}) {
      if (power * factor >= needed) return power * factor;
    }
    if (power > std::int64_t{1} << 58) return power;
  }
}

/// "5s", "2.5s", "500ms", "0.25ms": seconds when the window spans 2 s or more.
std::string tick_label(std::int64_t nanos, std::int64_t step, bool seconds) {
  const double unit = seconds ? 1e9 : 1e6;
  int decimals = 0;
  for (double s = static_cast<double>(step) / unit; s < 1.0 - 1e-9 && decimals < 6; s *= 10) {
    ++decimals;
  }
  return fmt::format("{:.{}f}{}", static_cast<double>(nanos) / unit, decimals,
                     seconds ? "s" : "ms");
}

struct Layout {
  std::size_t label = 0;  // Columns before the lane's opening '|'.
  std::size_t lane = 0;   // Columns of the lane itself.
};

/// Two ruler lines: labels at the major ticks ('|'), minor ticks ('.') between
/// them when there is room, so a reader can count seconds along a lane.
void ruler(Page& page, const Model& model, const Columns& columns, const Layout& layout) {
  const bool seconds = model.end - model.start >= std::chrono::seconds{2};
  const std::int64_t step = tick_step(columns, 10);
  const std::int64_t start = model.start.time_since_epoch().count();
  const std::int64_t end = model.end.time_since_epoch().count();
  const std::int64_t column_ns = std::max<Duration::rep>(1, columns.width().count());
  std::int64_t minor = 0;
  for (const std::int64_t parts : {5, 2}) {
    if (step % parts == 0 && step / parts >= 2 * column_ns) {
      minor = step / parts;
      break;
    }
  }
  std::string labels(layout.label + 1 + layout.lane, ' ');
  std::string ticks = labels;
  labels.replace(0, 4, "time");
  if (minor > 0) {
    for (std::int64_t t = (start + minor - 1) / minor * minor; t <= end; t += minor) {
      ticks[layout.label + 1 + columns.at(Time{Duration{t}})] = '.';
    }
  }
  std::size_t free = layout.label + 1;  // First column a label may use.
  for (std::int64_t t = (start + step - 1) / step * step; t <= end; t += step) {
    const std::size_t position = layout.label + 1 + columns.at(Time{Duration{t}});
    ticks[position] = '|';
    const std::string text = tick_label(t, step, seconds);
    std::size_t from = position;
    if (from + text.size() > labels.size() && position + 1 >= text.size()) {
      from = position + 1 - text.size();  // The last label ends at its tick.
    }
    if (from >= free && from + text.size() <= labels.size()) {
      labels.replace(from, text.size(), text);
      free = from + text.size() + 1;
    }
  }
  page.line(labels);
  page.line(ticks);
}

std::string framed(std::string_view label, const std::string& lane, const Layout& layout) {
  std::string text{label};
  text.resize(layout.label, ' ');
  return text + "|" + lane + "|";
}

void legend(Page& page, const Model& model, bool clients, bool service) {
  page.paragraph(
      "lanes: F follower, p pre-candidate, C candidate, L leader, x down, z paused "
      "(a column shows L, C or p if the role held at all in it)",
      7);
  if (service)
    page.paragraph(
        "serving: digit = that node serves clients, * two nodes at once, ~ loading, : starting", 9);
  if (clients)
    page.paragraph("clients: . ok, ! refused, ? timed out (at the time the client knew)", 9);
  std::vector<FaultKind> used;
  for (const FaultMark& fault : model.faults) {
    if (std::find(used.begin(), used.end(), fault.record.kind) == used.end()) {
      used.push_back(fault.record.kind);
    }
  }
  if (used.empty()) return;
  std::sort(used.begin(), used.end());
  std::string text = "faults:";
  for (std::size_t i = 0; i < used.size(); ++i) {
    text += fmt::format("{} {} {}", i == 0 ? "" : ",", fault_symbol(used[i]), to_string(used[i]));
  }
  if (!model.extents.empty()) text += ", - still in force";
  page.paragraph(text, 8);
}

}  // namespace
}  // namespace timeline::ascii

std::string render_ascii_timeline(const std::vector<TraceEvent>& events, const RunMetrics& metrics,
                                  const TimelineOptions& options) {
  using namespace timeline;
  using namespace timeline::ascii;
  const std::size_t width = std::max(options.width, kWidthMin);
  const Model model = build_model(events, options);
  const Story story = build_story(model, metrics);
  Page page{width};

  const bool clients = !model.attempts.empty();
  const bool service = model.has_service();
  Layout layout;
  layout.label = std::string_view{"clients "}.size();
  for (const NodeId node : model.nodes) {
    layout.label = std::max(layout.label, fmt::format("n{} ", node.value()).size());
  }
  layout.lane = width - layout.label - 2;
  const Columns columns{model.start, model.end, layout.lane};

  if (!options.title.empty()) page.paragraph(options.title, 0);
  page.line(fmt::format("{} nodes, {} to {}, one column = {}", model.nodes.size(),
                        format_time(model.start), format_time(model.end),
                        format_duration(columns.width())));
  page.line();
  ruler(page, model, columns, layout);
  for (std::size_t i = 0; i < model.nodes.size(); ++i) {
    page.line(framed(fmt::format("n{}", model.nodes[i].value()), node_lane(model.lanes[i], columns),
                     layout));
  }
  if (service) page.line(framed("serving", service_lane(model, columns), layout));
  if (clients) page.line(framed("clients", client_lane(model, columns), layout));
  if (!model.faults.empty()) page.line(framed("faults", fault_lane(model, columns), layout));
  page.line();
  legend(page, model, clients, service);
  page.line();
  leaders_section(page, model);
  faults_section(page, model);
  votes_section(page, model, metrics);
  moments_section(page, story);
  phases_section(page, story, width);
  if (!options.notes.empty()) {
    page.line();
    for (const std::string& note : options.notes) page.line(note);
  }
  return std::move(page).take();
}

}  // namespace raft::sim
