// SPDX-License-Identifier: Apache-2.0
// The model every timeline is drawn from (timeline_model.h), built once from a
// trace: lanes of roles per node, the terms each node led, campaigns and votes,
// faults, clients, and the failover's story; and the formatting the renderers
// share. Drawn by timeline_ascii.cc, timeline_chrome.cc and timeline_html.cc.
#include "timeline_model.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "raft/detail/overloaded.h"
#include "raft/events.h"
#include "raft/message.h"
#include "raft/sim/metrics.h"
#include "raft/sim/timeline.h"
#include "raft/sim/trace.h"

namespace raft::sim::timeline {
namespace {

using raft::detail::Overloaded;

LaneState role_state(Role role) noexcept {
  switch (role) {
    case Role::kFollower:
      return LaneState::kFollower;
    case Role::kPreCandidate:
      return LaneState::kPreCandidate;
    case Role::kCandidate:
      return LaneState::kCandidate;
    case Role::kLeader:
      return LaneState::kLeader;
  }
  return LaneState::kFollower;
}

/// Builds the model in one pass over the trace (in time order, as Trace
/// records it). Each node's lane is a run of
/// spans; a span is closed whenever anything it shows changes, with the state
/// as it was, so several events at one instant (a RoleChanged and the
/// TermChanged of a new candidacy, in either order) leave one span carrying
/// the state after all of them (zero-length spans are dropped).
class ModelBuilder {
 public:
  ModelBuilder(const std::vector<TraceEvent>& events, const TimelineOptions& options) {
    model_.start = options.start;
    model_.end = options.end;
    if (options.end <= options.start) {
      // No window given: the whole trace (at least a second, so columns have width).
      Time last = options.start;
      for (const TraceEvent& event : events) last = std::max(last, event.time);
      model_.end = std::max(last, options.start + std::chrono::seconds{1});
    }
    origin_ = model_.start;
    for (const TraceEvent& event : events) origin_ = std::min(origin_, event.time);
    for (std::uint32_t id = 1; id <= options.nodes; ++id) add_node();
  }

  Model build(const std::vector<TraceEvent>& events) && {
    for (const TraceEvent& event : events) {
      if (event.time > model_.end) continue;
      std::visit(Overloaded{
                     [&](const NodeRecord& r) { on_node(event, r); },
                     [&](const MessageRecord&) {},
                     [&](const FaultRecord& r) { on_fault(event, r); },
                     [&](const ClientRecord& r) { on_client(event.time, r); },
                     [&](const ServiceRecord& r) { on_service(event.time, event.node, r); },
                 },
                 event.body);
    }
    finish();
    return std::move(model_);
  }

 private:
  struct NodeState {
    Role role = Role::kFollower;  // Raft §5.2: servers start up as followers.
    Term term;
    bool down = false;
    bool paused = false;
    Time since;
    std::optional<std::size_t> leader_term;  // Index into model_.leaders.
    std::optional<std::size_t> campaign;     // Index into model_.campaigns.
    std::optional<std::size_t> service;      // Index into model_.service.
  };

  void add_node() {
    model_.nodes.push_back(NodeId{model_.nodes.size() + 1});
    model_.lanes.emplace_back();
    NodeState state;
    state.since = origin_;
    states_.push_back(state);
  }

  /// The state index of `node`, growing the lanes if the trace names a node
  /// beyond `options.nodes`; nullopt for "no node" (or an absurd id).
  std::optional<std::size_t> index_of(NodeId node) {
    constexpr std::uint64_t kNodesMax = 1024;
    if (!node.valid() || node.value() > kNodesMax) return std::nullopt;
    while (model_.nodes.size() < node.value()) add_node();
    return static_cast<std::size_t>(node.value() - 1);
  }

  static LaneState lane_state(const NodeState& state) noexcept {
    if (state.down) return LaneState::kDown;
    if (state.paused) return LaneState::kPaused;
    return role_state(state.role);
  }

  /// Closes the node's current span at `time`; the caller then changes the state.
  void close_span(std::size_t index, Time time) {
    NodeState& state = states_[index];
    if (time > state.since) {
      std::vector<RoleSpan>& lane = model_.lanes[index];
      const LaneState shown = lane_state(state);
      if (!lane.empty() && lane.back().end == state.since && lane.back().state == shown &&
          lane.back().role == state.role && lane.back().term == state.term) {
        lane.back().end = time;
      } else {
        lane.push_back(RoleSpan{state.since, time, shown, state.role, state.term});
      }
    }
    state.since = time;
  }

  void end_leader_term(NodeState& state, Time time, std::string reason) {
    if (!state.leader_term) return;
    LeaderTerm& term = model_.leaders[*state.leader_term];
    term.end = time;
    term.open = false;
    term.end_reason = std::move(reason);
    state.leader_term.reset();
  }

  void end_campaign(NodeState& state, Time time, std::string outcome) {
    if (!state.campaign) return;
    Campaign& campaign = model_.campaigns[*state.campaign];
    campaign.end = time;
    campaign.open = false;
    campaign.outcome = std::move(outcome);
    state.campaign.reset();
  }

  void start_campaign(NodeState& state, NodeId node, Time time, bool pre_vote, Term term,
                      RoleChangeReason reason) {
    state.campaign = model_.campaigns.size();
    Campaign campaign;
    campaign.node = node;
    campaign.pre_vote = pre_vote;
    campaign.term = term;
    campaign.begin = time;
    campaign.end = time;
    campaign.reason = std::string{to_string(reason)};
    model_.campaigns.push_back(std::move(campaign));
  }

  void end_service(NodeState& state, Time time) {
    if (!state.service) return;
    model_.service[*state.service].end = time;
    state.service.reset();
  }

  void on_node(const TraceEvent& event, const NodeRecord& record) {
    const std::optional<std::size_t> index = index_of(event.node);
    if (!index) return;
    const EventBody& body = record.event;
    if (const auto* role = std::get_if<RoleChanged>(&body)) {
      // The role first: a step-down closes the old span and campaign with the
      // old term; a new candidacy then takes the record's (new) term below.
      on_role(*index, event.node, event.time, *role);
    } else if (const auto* term = std::get_if<TermChanged>(&body)) {
      raise_term(*index, event.node, event.time, term->to);
    } else if (const auto* vote = std::get_if<VoteCast>(&body)) {
      model_.votes.push_back(VoteMark{event.time, event.node, *vote});
    }
    raise_term(*index, event.node, event.time, record.term);
  }

  /// Terms only grow (§5.1): a record's term below the known one is ignored.
  void raise_term(std::size_t index, NodeId node, Time time, Term term) {
    NodeState& state = states_[index];
    if (term <= state.term) return;
    close_span(index, time);
    state.term = term;
    if (state.campaign) {
      Campaign& campaign = model_.campaigns[*state.campaign];
      if (campaign.begin == time) {
        // The new term of the candidacy that began at this very instant.
        campaign.term = campaign.pre_vote ? term.next() : term;
      } else if (!campaign.pre_vote && state.role == Role::kCandidate) {
        // A candidate whose timer fired again (split vote) campaigns anew;
        // if it saw a higher term instead, a RoleChanged at this instant
        // closes the new campaign at zero length and it is dropped.
        end_campaign(state, time, fmt::format("term moved to {}", term.value()));
        start_campaign(state, node, time, false, term, RoleChangeReason::kElectionTimeout);
      }
    }
    if (state.leader_term && model_.leaders[*state.leader_term].begin == time) {
      model_.leaders[*state.leader_term].term = term;
    }
  }

  void on_role(std::size_t index, NodeId node, Time time, const RoleChanged& change) {
    NodeState& state = states_[index];
    close_span(index, time);
    if (state.role == Role::kLeader && change.to != Role::kLeader) {
      end_leader_term(state, time, std::string{to_string(change.reason)});
    }
    if (state.campaign) {
      const bool pre_vote = model_.campaigns[*state.campaign].pre_vote;
      std::string outcome = std::string{to_string(change.reason)};
      if (change.to == Role::kLeader) outcome = "elected";
      if (pre_vote && change.to == Role::kCandidate) outcome = "won pre-vote";
      end_campaign(state, time, std::move(outcome));
    }
    state.role = change.to;
    if (change.to == Role::kLeader) {
      state.leader_term = model_.leaders.size();
      model_.leaders.push_back(LeaderTerm{node, state.term, time, time, true, {}});
    } else if (change.to == Role::kPreCandidate) {
      start_campaign(state, node, time, true, state.term.next(), change.reason);
    } else if (change.to == Role::kCandidate) {
      start_campaign(state, node, time, false, state.term, change.reason);
    }
  }

  void on_fault(const TraceEvent& event, const FaultRecord& record) {
    model_.faults.push_back(FaultMark{event.time, event.node, record});
    track_extent(model_.faults.back());
    std::vector<NodeId> targets = record.nodes;
    if (targets.empty() && event.node.valid()) targets.push_back(event.node);
    for (const NodeId node : targets) {
      const std::optional<std::size_t> index = index_of(node);
      if (!index) continue;
      NodeState& state = states_[*index];
      switch (record.kind) {
        case FaultKind::kCrash:
        case FaultKind::kMachineLoss: {
          if (state.down) break;
          close_span(*index, event.time);
          const char* why = record.kind == FaultKind::kCrash ? "crashed" : "machine lost";
          end_leader_term(state, event.time, why);
          end_campaign(state, event.time, why);
          end_service(state, event.time);
          state.down = true;
          state.paused = false;
          // What survives is the disk; the process that restarts is a follower (§5.2).
          state.role = Role::kFollower;
          break;
        }
        case FaultKind::kRestart:
          close_span(*index, event.time);
          state.down = false;
          state.paused = false;
          state.role = Role::kFollower;
          break;
        case FaultKind::kPause:
          if (state.down) break;
          close_span(*index, event.time);
          state.paused = true;
          break;
        case FaultKind::kResume:
          close_span(*index, event.time);
          state.paused = false;
          break;
        default:
          break;
      }
    }
  }

  /// A partition lasts until it is healed or replaced by another; a slow disk
  /// until that node's disk recovers.
  void track_extent(const FaultMark& mark) {
    const FaultKind kind = mark.record.kind;
    const auto close = [&](auto&& ends) {
      for (FaultExtent& extent : model_.extents) {
        if (extent.open && ends(extent.start.record)) {
          extent.end = mark.time;
          extent.open = false;
        }
      }
    };
    if (is_partition_fault(kind) || kind == FaultKind::kHeal) {
      close([](const FaultRecord& started) { return is_partition_fault(started.kind); });
    } else if (kind == FaultKind::kDiskRecovered) {
      close([&](const FaultRecord& started) {
        return started.kind == FaultKind::kSlowDisk &&
               (mark.record.nodes.empty() || started.nodes == mark.record.nodes);
      });
    }
    if (is_partition_fault(kind) || kind == FaultKind::kSlowDisk) {
      model_.extents.push_back(FaultExtent{mark, mark.time, true});
    }
  }

  // An attempt as its first record describes it (value aside).
  static ClientAttempt attempt_of(Time time, const ClientRecord& record) {
    ClientAttempt attempt;
    attempt.client = record.client;
    attempt.op = record.op;
    attempt.attempt = record.attempt;
    attempt.kind = record.kind;
    attempt.target = record.target;
    attempt.key = record.key;
    attempt.invoke = time;
    return attempt;
  }

  void on_client(Time time, const ClientRecord& record) {
    const auto key = std::make_tuple(record.client, record.op, record.attempt);
    if (record.phase == ClientRecord::Phase::kInvoke) {
      open_attempts_[key] = model_.attempts.size();
      ClientAttempt attempt = attempt_of(time, record);
      attempt.value = record.value;
      model_.attempts.push_back(std::move(attempt));
      return;
    }
    std::size_t index = model_.attempts.size();
    if (const auto found = open_attempts_.find(key); found != open_attempts_.end()) {
      index = found->second;
      open_attempts_.erase(found);
    } else {
      // An outcome whose invocation the trace does not hold (it began before
      // the trace, or was not kept): show the outcome alone.
      model_.attempts.push_back(attempt_of(time, record));
    }
    ClientAttempt& attempt = model_.attempts[index];
    attempt.complete = time;
    attempt.outcome = record.phase;
    attempt.error = record.error;
    if (!record.value.empty()) attempt.value = record.value;
  }

  void on_service(Time time, NodeId node, const ServiceRecord& record) {
    const std::optional<std::size_t> index = index_of(node);
    if (!index) return;
    NodeState& state = states_[*index];
    end_service(state, time);
    if (record.phase == ServiceRecord::Phase::kStopped) return;
    state.service = model_.service.size();
    model_.service.push_back(ServiceSpan{node, time, time, record.phase});
  }

  void finish() {
    for (std::size_t index = 0; index < states_.size(); ++index) {
      NodeState& state = states_[index];
      close_span(index, model_.end);
      if (state.leader_term) model_.leaders[*state.leader_term].end = model_.end;
      if (state.campaign) model_.campaigns[*state.campaign].end = model_.end;
      if (state.service) model_.service[*state.service].end = model_.end;
    }
    for (FaultExtent& extent : model_.extents) {
      if (extent.open) extent.end = model_.end;
    }
    // Drop the zero-length campaigns a same-instant step-down left behind.
    std::erase_if(model_.campaigns, [](const Campaign& campaign) {
      return !campaign.open && campaign.begin == campaign.end;
    });
    // Each vote goes to the latest campaign of its candidate, kind and term
    // that began before it.
    std::map<std::tuple<std::uint64_t, bool, std::uint64_t>, std::vector<std::size_t>> index;
    for (std::size_t i = 0; i < model_.campaigns.size(); ++i) {
      const Campaign& campaign = model_.campaigns[i];
      index[{campaign.node.value(), campaign.pre_vote, campaign.term.value()}].push_back(i);
    }
    for (const VoteMark& vote : model_.votes) {
      const auto found =
          index.find({vote.vote.candidate.value(), vote.vote.pre_vote, vote.vote.term.value()});
      if (found == index.end()) continue;
      std::optional<std::size_t> best;
      for (const std::size_t i : found->second) {
        if (model_.campaigns[i].begin <= vote.time) best = i;
      }
      if (best) model_.campaigns[*best].votes.push_back(vote);
    }
  }

  Model model_;
  Time origin_;
  std::vector<NodeState> states_;
  std::map<std::tuple<std::uint32_t, std::uint64_t, std::uint32_t>, std::size_t> open_attempts_;
};

}  // namespace

// ---- Shared formatting --------------------------------------------------------------------

std::string format_duration(Duration duration) {
  if (duration < Duration::zero()) return "-" + format_duration(-duration);
  const auto nanos = duration.count();
  const double value = static_cast<double>(nanos);
  if (nanos == 0) return "0 ms";
  if (nanos < 1'000) return fmt::format("{} ns", nanos);
  if (nanos < 1'000'000) return fmt::format("{:.1f} us", value / 1e3);
  if (nanos < 1'000'000'000) return fmt::format("{:.1f} ms", value / 1e6);
  if (nanos < 100'000'000'000) return fmt::format("{:.3f} s", value / 1e9);
  return fmt::format("{:.1f} s", value / 1e9);
}

std::string format_seconds(Time time) {
  return fmt::format("{:.3f}", static_cast<double>(time.time_since_epoch().count()) / 1e9);
}

std::string format_time(Time time) { return format_seconds(time) + " s"; }

char state_symbol(LaneState state) noexcept {
  switch (state) {
    case LaneState::kFollower:
      return 'F';
    case LaneState::kPreCandidate:
      return 'p';
    case LaneState::kCandidate:
      return 'C';
    case LaneState::kLeader:
      return 'L';
    case LaneState::kPaused:
      return 'z';
    case LaneState::kDown:
      return 'x';
  }
  return '?';
}

const char* state_name(LaneState state) noexcept {
  switch (state) {
    case LaneState::kFollower:
      return "follower";
    case LaneState::kPreCandidate:
      return "pre-candidate";
    case LaneState::kCandidate:
      return "candidate";
    case LaneState::kLeader:
      return "leader";
    case LaneState::kPaused:
      return "paused";
    case LaneState::kDown:
      return "down";
  }
  return "?";
}

std::string fault_targets(const FaultRecord& record, NodeId node) {
  const auto name = [](NodeId id) { return fmt::format("n{}", id.value()); };
  if (record.nodes.empty()) {
    if (node.valid()) return name(node);
    switch (record.kind) {
      case FaultKind::kHeal:
      case FaultKind::kNetworkChange:
      case FaultKind::kPartition:
        return "all";
      default:
        return "(no node)";  // A target that matched nothing, e.g. "leader" with none.
    }
  }
  std::string text;
  std::size_t group = 0;
  std::uint32_t left = record.groups.empty() ? 0 : record.groups[0];
  for (std::size_t i = 0; i < record.nodes.size(); ++i) {
    if (i > 0) {
      if (!record.groups.empty() && left == 0) {
        text += " | ";
        ++group;
        left = group < record.groups.size() ? record.groups[group] : 0;
      } else {
        text += ",";
      }
    }
    text += name(record.nodes[i]);
    if (left > 0) --left;
  }
  return text;
}

std::string with_duration(std::string text, const FaultRecord& record) {
  if (record.duration <= Duration::zero()) return text;
  const std::string duration = format_duration(record.duration);
  switch (record.kind) {
    case FaultKind::kCrash:
    case FaultKind::kMachineLoss:
      return text + ", restart after " + duration;
    case FaultKind::kSlowDisk:
      return text + ", +" + duration + " per fsync";
    case FaultKind::kPause:
    case FaultKind::kPartition:
    case FaultKind::kPartitionOneWay:
    case FaultKind::kIsolate:
      return text + " for " + duration;
    default:
      return text + " (" + duration + ")";
  }
}

bool is_partition_fault(FaultKind kind) noexcept {
  return kind == FaultKind::kPartition || kind == FaultKind::kPartitionOneWay ||
         kind == FaultKind::kIsolate;
}

bool is_down_fault(FaultKind kind) noexcept {
  return kind == FaultKind::kCrash || kind == FaultKind::kMachineLoss;
}

const char* outcome_name(ClientRecord::Phase outcome) noexcept {
  switch (outcome) {
    case ClientRecord::Phase::kInvoke:
      return "pending";
    case ClientRecord::Phase::kOk:
      return "ok";
    case ClientRecord::Phase::kFail:
      return "failed";
    case ClientRecord::Phase::kTimeout:
      return "timed out";
  }
  return "?";
}

// ---- Model and story ----------------------------------------------------------------------

Model build_model(const std::vector<TraceEvent>& events, const TimelineOptions& options) {
  return ModelBuilder{events, options}.build(events);
}

namespace {

/// The term `node` led at `time`, if it led one then.
std::optional<Term> term_led(const Model& model, NodeId node, Time time) {
  for (const LeaderTerm& term : model.leaders) {
    if (term.node == node && term.begin <= time && (term.open || time <= term.end)) {
      return term.term;
    }
  }
  return std::nullopt;
}

std::string describe_fault_moment(const Model& model, const RunMetrics& metrics, Time time) {
  // The fault the metrics measure from: the one at that instant, preferably
  // the one that hit the old leader.
  const FaultMark* mark = nullptr;
  for (const FaultMark& fault : model.faults) {
    if (fault.time != time) continue;
    const bool hits_leader = std::find(fault.record.nodes.begin(), fault.record.nodes.end(),
                                       metrics.old_leader) != fault.record.nodes.end();
    if (mark == nullptr || hits_leader) mark = &fault;
    if (hits_leader) break;
  }
  std::string what = mark == nullptr ? std::string{"the fault"}
                                     : fmt::format("{} {}", to_string(mark->record.kind),
                                                   fault_targets(mark->record, mark->node));
  if (metrics.old_leader.valid()) {
    const std::optional<Term> term = term_led(model, metrics.old_leader, time);
    const bool hit =
        mark != nullptr && std::find(mark->record.nodes.begin(), mark->record.nodes.end(),
                                     metrics.old_leader) != mark->record.nodes.end();
    const std::string term_text = term ? fmt::format(", term {}", term->value()) : "";
    what += hit ? fmt::format(" (the leader{})", term_text)
                : fmt::format(" (leader: n{}{})", metrics.old_leader.value(), term_text);
  }
  return what;
}

std::string describe_detection(const Model& model, Time fault, Time time) {
  const Campaign* first = nullptr;
  for (const Campaign& campaign : model.campaigns) {
    if (campaign.begin == time) {
      first = &campaign;
      break;
    }
    if (first == nullptr && campaign.begin >= fault) first = &campaign;
  }
  if (first == nullptr) return "a follower's election timer fired";
  return fmt::format("n{} {} term {} ({})", first->node.value(),
                     first->pre_vote ? "asks for pre-votes for" : "stands for election in",
                     first->term.value(), first->reason);
}

/// The first term led after the fault, by the new leader when the metrics name it.
const LeaderTerm* winning_term(const Model& model, const RunMetrics& metrics, Time fault) {
  for (const LeaderTerm& term : model.leaders) {
    if (term.begin < fault) continue;
    if (metrics.new_leader.valid() && term.node != metrics.new_leader) continue;
    return &term;
  }
  return nullptr;
}

std::optional<VoteTiming> vote_timing(const Model& model, const LeaderTerm& won) {
  std::optional<Time> candidate;
  for (const Campaign& campaign : model.campaigns) {
    if (!campaign.pre_vote && campaign.term == won.term && campaign.begin <= won.begin) {
      if (!candidate || campaign.begin < *candidate) candidate = campaign.begin;
    }
  }
  if (!candidate) return std::nullopt;
  VoteTiming timing{won.node, won.term, std::nullopt, *candidate, won.begin};
  for (const Campaign& campaign : model.campaigns) {
    if (campaign.pre_vote && campaign.node == won.node && campaign.term == won.term &&
        campaign.begin <= *candidate) {
      timing.pre_vote_begin = campaign.begin;
    }
  }
  return timing;
}

std::string describe_serving(const Model& model, const RunMetrics& metrics, Time time) {
  const NodeId leader = metrics.new_leader;
  if (!leader.valid()) return "the new leader serves clients";
  for (const ServiceSpan& span : model.service) {
    if (span.node == leader && span.end == time && span.phase == ServiceRecord::Phase::kLoading) {
      return fmt::format("n{} has loaded its state ({}) and serves clients", leader.value(),
                         format_duration(span.end - span.begin));
    }
  }
  return fmt::format("n{} serves clients", leader.value());
}

std::string describe_clients_back(const Model& model, Time time) {
  for (const ClientAttempt& attempt : model.attempts) {
    if (attempt.outcome == ClientRecord::Phase::kOk && attempt.complete == time) {
      return fmt::format(
          "client {}'s {} {} succeeded{}{}", attempt.client,
          attempt.kind == OpKind::kRead ? "read" : "write", attempt.key,
          attempt.target.valid() ? fmt::format(" at n{}", attempt.target.value()) : std::string{},
          attempt.attempt > 0 ? fmt::format(" (retry {})", attempt.attempt) : std::string{});
    }
  }
  return "the first request after the fault succeeded";
}

}  // namespace

Story build_story(const Model& model, const RunMetrics& metrics) {
  Story story;
  if (!metrics.fault_time) return story;
  const Time fault = *metrics.fault_time;
  story.moments.push_back({"fault", fault, describe_fault_moment(model, metrics, fault)});
  const LeaderTerm* won = winning_term(model, metrics, fault);
  if (metrics.detection) {
    const Time time = fault + *metrics.detection;
    story.moments.push_back({"detection", time, describe_detection(model, fault, time)});
  }
  if (metrics.election) {
    const Time time = fault + *metrics.election;
    std::string what = "a new leader, known to a majority";
    if (won != nullptr) {
      what = fmt::format("n{} leads term {}", won->node.value(), won->term.value());
      if (won->begin < time) what += fmt::format(" (since {})", format_time(won->begin));
      what += ", known to a majority";
    }
    story.moments.push_back({"election", time, std::move(what)});
  }
  if (metrics.ready) {
    const Time time = fault + *metrics.ready;
    story.moments.push_back({"serving", time, describe_serving(model, metrics, time)});
  }
  if (metrics.rto) {
    const Time time = fault + *metrics.rto;
    story.moments.push_back({"clients back", time, describe_clients_back(model, time)});
  }

  // Each phase is named after what ends it and runs from the previous moment.
  static constexpr std::array<std::pair<std::string_view, const char*>, 4> kPhaseOf{{
      {"detection", "detect"},
      {"election", "elect"},
      {"serving", "load"},
      {"clients back", "clients back"},
  }};
  Time previous = fault;
  for (const Moment& moment : story.moments) {
    for (const auto& [name, phase] : kPhaseOf) {
      if (name != moment.name) continue;
      const Time end = std::max(previous, moment.time);
      story.phases.push_back({phase, moment.name, previous, end});
      previous = end;
    }
  }

  std::stable_sort(story.moments.begin(), story.moments.end(),
                   [](const Moment& a, const Moment& b) { return a.time < b.time; });

  if (won != nullptr) story.vote = vote_timing(model, *won);
  if (story.vote) {
    const VoteTiming& vote = *story.vote;
    std::string sentence = fmt::format("The vote itself took {}", format_duration(vote.vote()));
    for (const Phase& phase : story.phases) {
      if (std::string_view{phase.name} == "elect") {
        sentence += fmt::format(" of the {} elect phase", format_duration(phase.duration()));
      }
    }
    if (vote.pre_vote_begin) {
      sentence += fmt::format(" (the pre-vote before it: {})",
                              format_duration(vote.candidate_begin - *vote.pre_vote_begin));
    }
    if (metrics.detection && vote.leader_begin > fault) {
      // What the detect phase waited for: a timer, or the transport's report
      // that the leader's connection reset (the fast-failover path).
      std::string_view waiting = "waiting for an election timeout to fire";
      for (const Campaign& campaign : model.campaigns) {
        if (campaign.begin == fault + *metrics.detection &&
            campaign.reason == to_string(RoleChangeReason::kLeaderDown)) {
          waiting = "waiting for the leader's connection to be reported down";
        }
      }
      sentence +=
          fmt::format("; {} of the {} from the fault to n{} leading was {}",
                      format_duration(*metrics.detection),
                      format_duration(vote.leader_begin - fault), vote.winner.value(), waiting);
    }
    story.vote_sentence = sentence + ".";
  }
  return story;
}

}  // namespace raft::sim::timeline
