// SPDX-License-Identifier: Apache-2.0
// The ASCII timeline (what `raftsim run` prints) and the model every timeline
// is drawn from (timeline_model.h): lanes of roles per node, the terms each
// node led, campaigns and votes, faults, clients, and the failover's story.
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

#include "raft/events.h"
#include "raft/message.h"
#include "raft/sim/metrics.h"
#include "raft/sim/timeline.h"
#include "raft/sim/trace.h"
#include "timeline_model.h"

namespace raft::sim {
namespace timeline {
namespace {

template <class... Handlers>
struct Overloaded : Handlers... {
  using Handlers::operator()...;
};
template <class... Handlers>
Overloaded(Handlers...) -> Overloaded<Handlers...>;

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

  void on_client(Time time, const ClientRecord& record) {
    const auto key = std::make_tuple(record.client, record.op, record.attempt);
    if (record.phase == ClientRecord::Phase::kInvoke) {
      open_attempts_[key] = model_.attempts.size();
      ClientAttempt attempt;
      attempt.client = record.client;
      attempt.op = record.op;
      attempt.attempt = record.attempt;
      attempt.kind = record.kind;
      attempt.target = record.target;
      attempt.key = record.key;
      attempt.value = record.value;
      attempt.invoke = time;
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
      ClientAttempt attempt;
      attempt.client = record.client;
      attempt.op = record.op;
      attempt.attempt = record.attempt;
      attempt.kind = record.kind;
      attempt.target = record.target;
      attempt.key = record.key;
      attempt.invoke = time;
      model_.attempts.push_back(std::move(attempt));
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

// ---- ASCII rendering ----------------------------------------------------------------------

namespace {

constexpr std::uint32_t kWidthMin = 40;
constexpr std::size_t kListMax = 12;  // Longest fault / vote list before "... N more".

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

/// Lines of text no wider than `width`; paragraphs wrap at spaces with a hanging indent.
class Page {
 public:
  explicit Page(std::size_t width) : width_(width) {}

  void line(std::string text = {}) {
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

  /// Wraps `text` to the width at spaces, keeping runs of spaces inside a line
  /// (columns stay aligned); continuation lines start with `hang` spaces.
  void paragraph(std::string_view text, std::size_t hang) {
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

  [[nodiscard]] std::string take() && { return std::move(out_); }

 private:
  static std::size_t leading_spaces(std::string_view text) {
    const std::size_t first = text.find_first_not_of(' ');
    return first == std::string_view::npos ? 0 : first;
  }
  void emit(std::string& text) {
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out_ += text;
    out_ += '\n';
  }

  std::size_t width_;
  std::string out_;
};

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
  }
  return '?';
}

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

bool overlaps(Time begin, Time end, const Model& model) {
  return begin <= model.end && end >= model.start;
}

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
    const std::string offset =
        moment.time == fault ? std::string{} : "+" + format_duration(moment.time - fault);
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

}  // namespace
}  // namespace timeline

std::string render_ascii_timeline(const std::vector<TraceEvent>& events, const RunMetrics& metrics,
                                  const TimelineOptions& options) {
  using namespace timeline;
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
