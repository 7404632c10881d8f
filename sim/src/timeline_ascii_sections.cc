// SPDX-License-Identifier: Apache-2.0
// The text sections of the ASCII timeline, under its lanes: Leaders, Faults,
// Votes, Key moments and Where the time goes (timeline_ascii.cc draws the
// lanes and calls these in that order).
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "raft/events.h"
#include "raft/message.h"
#include "raft/sim/metrics.h"
#include "raft/sim/trace.h"
#include "timeline_ascii.h"
#include "timeline_model.h"

namespace raft::sim::timeline::ascii {
namespace {

constexpr std::size_t kListMax = 12;  // Longest fault / vote list before "... N more".

bool overlaps(Time begin, Time end, const Model& model) {
  return begin <= model.end && end >= model.start;
}

}  // namespace

void leaders_section(Page& page, const Model& model) {
  page.line("Leaders");
  bool any = false;
  for (const NodeId node : model.nodes) {
    std::string text = fmt::format("  n{:<3}", node.value());
    std::size_t count = 0;
    for (const LeaderTerm& term : model.leaders) {
      if (term.node != node || !overlaps(term.begin, term.end, model)) continue;
      text += count++ == 0 ? " " : ", ";
      if (term.open) {
        text += fmt::format("term {} ({} s-)", term.term.value(), format_seconds(term.begin));
      } else {
        text += fmt::format("term {} ({}-{} s, {})", term.term.value(), format_seconds(term.begin),
                            format_seconds(term.end), term.end_reason);
      }
    }
    if (count == 0) continue;
    any = true;
    page.paragraph(text, 7);
  }
  if (!any) page.line("  nobody led");
}

void faults_section(Page& page, const Model& model) {
  std::vector<const FaultMark*> shown;
  for (const FaultMark& fault : model.faults) {
    if (fault.time >= model.start && fault.time <= model.end) shown.push_back(&fault);
  }
  if (shown.empty()) return;
  page.line();
  page.line("Faults");
  for (std::size_t i = 0; i < shown.size() && i < kListMax; ++i) {
    const FaultMark& fault = *shown[i];
    std::string text =
        with_duration(fmt::format("  {} {:>10} s  {} {}", fault_symbol(fault.record.kind),
                                  format_seconds(fault.time), to_string(fault.record.kind),
                                  fault_targets(fault.record, fault.node)),
                      fault.record);
    if (!fault.record.description.empty()) text += ": " + fault.record.description;
    page.paragraph(text, 17);
  }
  if (shown.size() > kListMax) {
    page.line(fmt::format("  ... and {} more", shown.size() - kListMax));
  }
}

namespace {

std::string campaign_line(const Campaign& campaign) {
  std::string text = fmt::format("  {:>10} s  n{} {} for term {}:", format_seconds(campaign.begin),
                                 campaign.node.value(), campaign.pre_vote ? "pre-vote" : "vote",
                                 campaign.term.value());
  std::vector<std::string> yes;
  std::vector<std::string> no;
  for (const VoteMark& vote : campaign.votes) {
    if (vote.vote.granted) {
      yes.push_back(fmt::format("n{}", vote.voter.value()));
    } else {
      no.push_back(fmt::format("n{} ({})", vote.voter.value(), to_string(vote.vote.denial)));
    }
  }
  const auto join = [](const std::vector<std::string>& items) {
    std::string joined;
    for (const std::string& item : items) joined += (joined.empty() ? "" : ", ") + item;
    return joined;
  };
  if (!yes.empty()) text += " yes " + join(yes);
  if (!no.empty()) text += std::string{yes.empty() ? "" : ";"} + " no " + join(no);
  if (yes.empty() && no.empty()) text += " no answers";
  if (campaign.open) {
    text += " -> still campaigning";
  } else {
    text += fmt::format(" -> {} after {}", campaign.outcome,
                        format_duration(campaign.end - campaign.begin));
  }
  return text;
}

}  // namespace

void votes_section(Page& page, const Model& model, const RunMetrics& metrics) {
  std::vector<const Campaign*> shown;
  for (const Campaign& campaign : model.campaigns) {
    if (overlaps(campaign.begin, campaign.end, model)) shown.push_back(&campaign);
  }
  if (shown.empty()) return;
  std::size_t first = 0;
  if (shown.size() > kListMax && metrics.fault_time) {
    // Too many to list: start with the failover's campaigns.
    while (first < shown.size() && shown[first]->end < *metrics.fault_time) ++first;
    first = std::min(first, shown.size() - std::min(shown.size(), kListMax));
  }
  page.line();
  page.line("Votes (campaigns and the answers they got)");
  if (first > 0) page.line(fmt::format("  ... {} earlier campaigns", first));
  const std::size_t last = std::min(shown.size(), first + kListMax);
  for (std::size_t i = first; i < last; ++i) page.paragraph(campaign_line(*shown[i]), 16);
  if (last < shown.size()) page.line(fmt::format("  ... and {} more", shown.size() - last));
}

void moments_section(Page& page, const Story& story) {
  if (story.moments.empty()) return;
  page.line();
  page.line("Key moments");
  const Time fault = story.moments.front().time;
  for (const Moment& moment : story.moments) {
    const std::string offset = moment.time == fault
                                   ? std::string{}
                                   : fmt::format("+{}", format_duration(moment.time - fault));
    page.paragraph(fmt::format("  {:>10} s  {:<12}  {:<10}  {}", format_seconds(moment.time),
                               moment.name, offset, moment.what),
                   40);
  }
}

void phases_section(Page& page, const Story& story, std::size_t width) {
  if (story.phases.empty()) return;
  const Time from = story.phases.front().begin;
  const Time to = story.phases.back().end;
  const Duration total = to - from;
  page.line();
  page.line(fmt::format("Where the time goes (fault to {}: {})", story.phases.back().until,
                        format_duration(total)));
  // "  clients back    1.000 s   17%  " then the bar, each phase starting
  // where the one before ended (a phase too short for a column is a '|').
  constexpr std::size_t kHead = 2 + 12 + 2 + 9 + 2 + 4 + 2;
  const std::size_t bar = width > kHead + 10 ? width - kHead : 10;
  const auto column = [&](Time time) -> std::size_t {
    if (total <= Duration::zero()) return 0;
    const double share =
        static_cast<double>((time - from).count()) / static_cast<double>(total.count());
    return std::min(bar, static_cast<std::size_t>(share * static_cast<double>(bar) + 0.5));
  };
  for (const Phase& phase : story.phases) {
    std::string cells(bar, ' ');
    // As many '=' as the phase's share of the bar (rounded), from where it
    // began; '|' when that rounds to nothing (the vote is milliseconds).
    const std::size_t lo = std::min(column(phase.begin), bar - 1);
    const std::size_t cells_long = column(from + phase.duration());
    for (std::size_t c = lo; c < std::min(bar, lo + cells_long); ++c) cells[c] = '=';
    if (cells_long == 0 && phase.duration() > Duration::zero()) cells[lo] = '|';
    std::string share = "  -";
    if (total > Duration::zero()) {
      const double percent = 100.0 * static_cast<double>(phase.duration().count()) /
                             static_cast<double>(total.count());
      share = percent > 0 && percent < 0.5 ? std::string{"<1%"} : fmt::format("{:.0f}%", percent);
    }
    page.line(fmt::format("  {:<12}  {:>9}  {:>4}  {}", phase.name,
                          format_duration(phase.duration()), share, cells));
  }
  if (!story.vote_sentence.empty()) page.paragraph("  " + story.vote_sentence, 2);
}

}  // namespace raft::sim::timeline::ascii
