// SPDX-License-Identifier: Apache-2.0
// Chrome trace-event JSON ("JSON Object Format": {"traceEvents": [...]}) for
// Perfetto and chrome://tracing. One process per node (a "role" thread of
// complete events, an "events" thread of instants for votes, leader changes,
// commits and dropped messages, a "service" thread when the standby model
// records one), a "cluster" process whose global instants mark faults, a
// "clients" process with one thread per client, and flow arrows for messages.
// Timestamps are microseconds (fractions keep the simulator's nanoseconds).
#include <algorithm>
#include <cstdint>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "raft/events.h"
#include "raft/message.h"
#include "raft/sim/timeline.h"
#include "raft/sim/trace.h"
#include "timeline_model.h"

namespace raft::sim {
namespace {

using nlohmann::json;
using timeline::LaneState;

/// Flow arrows are the bulk of a trace; beyond this many messages the viewer
/// chokes, so the rest are counted, not drawn (the metadata says so). A
/// delivered message is an arrow ("s" at the sender, "f" at the receiver), a
/// dropped one an instant on its sender.
constexpr std::uint64_t kMessagesMax = 20'000;

constexpr int kClusterPid = 0;
constexpr int kRoleTid = 1;
constexpr int kEventsTid = 2;
constexpr int kServiceTid = 3;

double micros(Time time) { return static_cast<double>(time.time_since_epoch().count()) / 1e3; }
double micros(Duration duration) { return static_cast<double>(duration.count()) / 1e3; }

std::uint64_t pid_of(NodeId node) { return node.value(); }

/// Writes one event per line inside the traceEvents array.
class EventWriter {
 public:
  explicit EventWriter(std::ostream& out) : out_(out) {}
  void add(const json& event) { add_raw(event.dump()); }
  /// `text` must be one JSON object.
  void add_raw(const std::string& text) {
    out_ << (first_ ? "\n" : ",\n") << text;
    first_ = false;
  }

 private:
  std::ostream& out_;
  bool first_ = true;
};

json metadata(const char* name, std::uint64_t pid, std::uint64_t tid, json args) {
  return json{{"ph", "M"}, {"name", name}, {"pid", pid}, {"tid", tid}, {"args", std::move(args)}};
}

json complete(std::string name, const char* category, std::uint64_t pid, std::uint64_t tid,
              Time begin, Time end, json args) {
  return json{{"ph", "X"},
              {"name", std::move(name)},
              {"cat", category},
              {"pid", pid},
              {"tid", tid},
              {"ts", micros(begin)},
              {"dur", micros(end - begin)},
              {"args", std::move(args)}};
}

json instant(std::string name, const char* category, std::uint64_t pid, std::uint64_t tid,
             Time time, const char* scope, json args) {
  return json{
      {"ph", "i"},  {"name", std::move(name)}, {"cat", category}, {"pid", pid},
      {"tid", tid}, {"ts", micros(time)},      {"s", scope},      {"args", std::move(args)}};
}

std::string span_name(const timeline::RoleSpan& span) {
  switch (span.state) {
    case LaneState::kDown:
      return "down";
    case LaneState::kPaused:
      return fmt::format("paused ({} t{})", to_string(span.role), span.term.value());
    default:
      return fmt::format("{} t{}", to_string(span.role), span.term.value());
  }
}

json node_list(const std::vector<NodeId>& nodes) {
  json list = json::array();
  for (const NodeId node : nodes) list.push_back(node.value());
  return list;
}

class ChromeWriter {
 public:
  ChromeWriter(const std::vector<TraceEvent>& events, const TimelineOptions& options,
               std::ostream& out)
      : events_(events),
        options_(options),
        out_(out),
        writer_(out),
        model_(timeline::build_model(events, options)) {
    clients_pid_ = model_.nodes.size() + 1;
    for (const TraceEvent& event : events_) {
      const auto* message = std::get_if<MessageRecord>(&event.body);
      if (message != nullptr && message->fate == MessageRecord::Fate::kSent && in_window(event)) {
        ++messages_total_;
      }
    }
  }

  void write() {
    const std::uint64_t shown = std::min(messages_total_, kMessagesMax);
    json other{{"title", options_.title},
               {"nodes", model_.nodes.size()},
               {"start_us", micros(model_.start)},
               {"end_us", micros(model_.end)},
               {"messages", messages_total_},
               {"messages_shown", shown},
               {"messages_truncated", messages_total_ > kMessagesMax},
               {"generator", "raftsim"}};
    if (!options_.notes.empty()) other["notes"] = options_.notes;
    out_ << "{\"displayTimeUnit\":\"ms\",\"otherData\":" << other.dump() << ",\"traceEvents\":[";
    write_metadata();
    write_roles();
    write_service();
    write_clients();
    for (const TraceEvent& event : events_) {
      if (!in_window(event)) continue;
      std::visit([&](const auto& record) { write_record(event, record); }, event.body);
    }
    out_ << "\n]}\n";
  }

 private:
  [[nodiscard]] bool in_window(const TraceEvent& event) const {
    return event.time >= model_.start && event.time <= model_.end;
  }

  void write_metadata() {
    writer_.add(metadata("process_name", kClusterPid, 0, {{"name", "cluster"}}));
    writer_.add(metadata("process_sort_index", kClusterPid, 0, {{"sort_index", 0}}));
    if (messages_total_ > kMessagesMax) {
      writer_.add(metadata("process_labels", kClusterPid, 0,
                           {{"labels", fmt::format("messages: first {} of {} drawn", kMessagesMax,
                                                   messages_total_)}}));
    }
    std::set<std::uint64_t> serving;
    for (const timeline::ServiceSpan& span : model_.service) serving.insert(span.node.value());
    for (const NodeId node : model_.nodes) {
      const std::uint64_t pid = pid_of(node);
      writer_.add(metadata("process_name", pid, 0, {{"name", fmt::format("n{}", node.value())}}));
      writer_.add(metadata("process_sort_index", pid, 0, {{"sort_index", pid}}));
      writer_.add(metadata("thread_name", pid, kRoleTid, {{"name", "role"}}));
      writer_.add(metadata("thread_name", pid, kEventsTid, {{"name", "events"}}));
      if (serving.count(node.value()) > 0) {
        writer_.add(metadata("thread_name", pid, kServiceTid, {{"name", "service"}}));
      }
    }
    if (model_.attempts.empty()) return;
    writer_.add(metadata("process_name", clients_pid_, 0, {{"name", "clients"}}));
    writer_.add(metadata("process_sort_index", clients_pid_, 0, {{"sort_index", clients_pid_}}));
    std::set<std::uint32_t> clients;
    for (const timeline::ClientAttempt& attempt : model_.attempts) clients.insert(attempt.client);
    for (const std::uint32_t client : clients) {
      writer_.add(metadata("thread_name", clients_pid_, client_tid(client),
                           {{"name", fmt::format("client {}", client)}}));
    }
  }

  static std::uint64_t client_tid(std::uint32_t client) { return std::uint64_t{client} + 1; }

  /// Clips [begin, end) to the window; false when nothing is left.
  bool clip(Time& begin, Time& end) const {
    begin = std::max(begin, model_.start);
    end = std::min(end, model_.end);
    return end > begin;
  }

  void write_roles() {
    for (std::size_t i = 0; i < model_.nodes.size(); ++i) {
      for (const timeline::RoleSpan& span : model_.lanes[i]) {
        Time begin = span.begin;
        Time end = span.end;
        if (!clip(begin, end)) continue;
        writer_.add(complete(span_name(span), "role", pid_of(model_.nodes[i]), kRoleTid, begin, end,
                             {{"state", timeline::state_name(span.state)},
                              {"role", std::string{to_string(span.role)}},
                              {"term", span.term.value()}}));
      }
    }
  }

  void write_service() {
    for (const timeline::ServiceSpan& span : model_.service) {
      Time begin = span.begin;
      Time end = span.end;
      if (!clip(begin, end)) continue;
      writer_.add(complete(to_string(span.phase), "service", pid_of(span.node), kServiceTid, begin,
                           end, json::object()));
    }
  }

  void write_clients() {
    for (const timeline::ClientAttempt& attempt : model_.attempts) {
      Time begin = attempt.invoke;
      Time end = attempt.complete.value_or(model_.end);
      if (end == begin && begin >= model_.start && begin <= model_.end) {
        end = begin + Duration{1};  // An outcome without its invocation: a sliver.
      }
      if (!clip(begin, end)) continue;
      json args{{"outcome", timeline::outcome_name(attempt.outcome)},
                {"op", attempt.op},
                {"attempt", attempt.attempt},
                {"key", attempt.key}};
      if (attempt.target.valid()) args["target"] = fmt::format("n{}", attempt.target.value());
      if (!attempt.value.empty()) args["value"] = attempt.value;
      if (!attempt.error.empty()) args["error"] = attempt.error;
      const char* kind = attempt.kind == OpKind::kRead ? "read" : "write";
      writer_.add(complete(fmt::format("{} {}", kind, attempt.key), "client", clients_pid_,
                           client_tid(attempt.client), begin, end, std::move(args)));
    }
  }

  void write_record(const TraceEvent& event, const NodeRecord& record) {
    const std::uint64_t pid = pid_of(event.node);
    if (const auto* vote = std::get_if<VoteCast>(&record.event)) {
      std::string name =
          fmt::format("{} n{} t{}: {}", vote->pre_vote ? "pre-vote" : "vote",
                      vote->candidate.value(), vote->term.value(), vote->granted ? "yes" : "no");
      writer_.add(instant(std::move(name), "vote", pid, kEventsTid, event.time, "t",
                          {{"candidate", vote->candidate.value()},
                           {"term", vote->term.value()},
                           {"pre_vote", vote->pre_vote},
                           {"granted", vote->granted},
                           {"denial", std::string{to_string(vote->denial)}}}));
    } else if (const auto* leader = std::get_if<LeaderChanged>(&record.event)) {
      std::string name = leader->leader.valid() ? fmt::format("leader: n{}", leader->leader.value())
                                                : std::string{"leader: none"};
      writer_.add(instant(std::move(name), "leader", pid, kEventsTid, event.time, "t",
                          {{"leader", leader->leader.value()}}));
    } else if (const auto* commit = std::get_if<CommitAdvanced>(&record.event)) {
      // At most one commit marker per node per millisecond: a busy leader
      // commits thousands of times a second and the markers would hide the rest.
      const std::int64_t millisecond = event.time.time_since_epoch().count() / 1'000'000;
      const auto [it, fresh] = commit_ms_.try_emplace(event.node.value(), millisecond);
      if (!fresh && it->second == millisecond) return;
      it->second = millisecond;
      writer_.add(instant(fmt::format("commit {}", commit->to.value()), "commit", pid, kEventsTid,
                          event.time, "t",
                          {{"from", commit->from.value()}, {"to", commit->to.value()}}));
    }
  }

  void write_record(const TraceEvent& event, const FaultRecord& record) {
    json args{{"kind", to_string(record.kind)}, {"nodes", node_list(record.nodes)}};
    if (!record.groups.empty()) args["groups"] = record.groups;
    if (record.duration > Duration::zero()) args["duration_ms"] = micros(record.duration) / 1e3;
    if (!record.description.empty()) args["description"] = record.description;
    writer_.add(instant(
        fmt::format("{} {}", to_string(record.kind), timeline::fault_targets(record, event.node)),
        "fault", kClusterPid, 0, event.time, "g", std::move(args)));
  }

  void write_record(const TraceEvent& event, const MessageRecord& record) {
    const std::string name{message_type_name(record.type)};
    if (record.fate == MessageRecord::Fate::kSent) {
      if (messages_drawn_ >= kMessagesMax) return;
      ++messages_drawn_;
      in_flight_.emplace(record.id, event.time);
      return;
    }
    // The first fate of a drawn message ends it (a duplicate is not redrawn).
    const auto sent = in_flight_.find(record.id);
    if (sent == in_flight_.end()) return;
    const Time sent_at = sent->second;
    in_flight_.erase(sent);
    if (record.fate == MessageRecord::Fate::kDelivered) {
      // The arrow's two ends are written together, so no arrow dangles.
      // Flows are most of a trace's events and hold only numbers and a type
      // name (an identifier), so they are formatted directly: building a json
      // object for each costs ten times more.
      writer_.add_raw(fmt::format(
          R"({{"args":{{"entries":{},"term":{},"to":{}}},"cat":"message","id":{},"name":"{}",)"
          R"("ph":"s","pid":{},"tid":{},"ts":{}}})",
          record.entries, record.term.value(), record.to.value(), record.id, name,
          pid_of(record.from), kRoleTid, json(micros(sent_at)).dump()));
      writer_.add_raw(fmt::format(
          R"({{"bp":"e","cat":"message","id":{},"name":"{}","ph":"f","pid":{},"tid":{},"ts":{}}})",
          record.id, name, pid_of(record.to), kRoleTid, json(micros(event.time)).dump()));
      return;
    }
    // A dropped message has no receiving end: mark the drop on the sender.
    writer_.add(
        instant(fmt::format("{} to n{} {}", name, record.to.value(), to_string(record.fate)),
                "message", pid_of(record.from), kEventsTid, event.time, "t",
                {{"id", record.id},
                 {"to", record.to.value()},
                 {"term", record.term.value()},
                 {"fate", to_string(record.fate)}}));
  }

  void write_record(const TraceEvent&, const ClientRecord&) {}   // Drawn as spans.
  void write_record(const TraceEvent&, const ServiceRecord&) {}  // Drawn as spans.

  const std::vector<TraceEvent>& events_;
  const TimelineOptions& options_;
  std::ostream& out_;
  EventWriter writer_;
  timeline::Model model_;
  std::uint64_t clients_pid_ = 0;
  std::uint64_t messages_total_ = 0;
  std::uint64_t messages_drawn_ = 0;
  std::map<std::uint64_t, Time> in_flight_;  // Drawn messages sent, by id: when.
  std::map<std::uint64_t, std::int64_t> commit_ms_;
};

}  // namespace

void write_chrome_trace(const std::vector<TraceEvent>& events, const TimelineOptions& options,
                        std::ostream& out) {
  ChromeWriter{events, options, out}.write();
}

}  // namespace raft::sim
