// SPDX-License-Identifier: Apache-2.0
// Trace events as JSON objects, one per line (`raftsim run --trace FILE`), for
// jq, notebooks and other tools.
#include <nlohmann/json.hpp>

#include "raft/detail/overloaded.h"
#include "raft/format.h"
#include "raft/sim/trace.h"

namespace raft::sim {
namespace {

using raft::detail::Overloaded;

nlohmann::json node_event(const NodeRecord& record) {
  nlohmann::json json = {{"kind", "node"}, {"term", record.term.value()}};
  std::visit(Overloaded{
                 [&](const RoleChanged& e) {
                   json["event"] = "role";
                   json["from"] = to_string(e.from);
                   json["to"] = to_string(e.to);
                   json["reason"] = to_string(e.reason);
                 },
                 [&](const TermChanged& e) {
                   json["event"] = "term";
                   json["from"] = e.from.value();
                   json["to"] = e.to.value();
                 },
                 [&](const VoteCast& e) {
                   json["event"] = "vote";
                   json["candidate"] = e.candidate.value();
                   json["vote_term"] = e.term.value();
                   json["pre_vote"] = e.pre_vote;
                   json["granted"] = e.granted;
                   if (!e.granted) json["denial"] = to_string(e.denial);
                 },
                 [&](const LeaderChanged& e) {
                   json["event"] = "leader";
                   json["leader"] = e.leader.value();
                 },
                 [&](const CommitAdvanced& e) {
                   json["event"] = "commit";
                   json["from"] = e.from.value();
                   json["to"] = e.to.value();
                 },
                 [&](const TransferChanged& e) {
                   json["event"] = "transfer";
                   json["target"] = e.target.value();
                   json["phase"] = to_string(e.phase);
                 },
                 [&](const MembershipChanged& e) {
                   auto ids = [](const std::vector<NodeId>& list) {
                     std::vector<std::uint64_t> values;
                     for (const NodeId id : list) values.push_back(id.value());
                     return values;
                   };
                   json["event"] = "membership";
                   json["index"] = e.index.value();
                   json["voters"] = ids(e.membership.voters);
                   if (e.membership.joint()) {
                     json["outgoing_voters"] = ids(e.membership.outgoing_voters);
                   }
                   if (!e.membership.learners.empty())
                     json["learners"] = ids(e.membership.learners);
                 },
                 [&](const SnapshotChanged& e) {
                   json["event"] = "snapshot";
                   json["phase"] = to_string(e.phase);
                   if (e.peer.valid()) json["peer"] = e.peer.value();
                   json["index"] = e.index.value();
                   json["snapshot_term"] = e.term.value();
                 },
             },
             record.event);
  return json;
}

}  // namespace

std::string to_json_line(const TraceEvent& event) {
  nlohmann::json json = std::visit(
      Overloaded{
          [](const NodeRecord& r) { return node_event(r); },
          [](const MessageRecord& r) {
            return nlohmann::json{{"kind", "message"},
                                  {"id", r.id},
                                  {"from", r.from.value()},
                                  {"to", r.to.value()},
                                  {"type", message_type_name(r.type)},
                                  {"term", r.term.value()},
                                  {"entries", r.entries},
                                  {"fate", to_string(r.fate)}};
          },
          [](const FaultRecord& r) {
            nlohmann::json nodes = nlohmann::json::array();
            for (const NodeId node : r.nodes) nodes.push_back(node.value());
            return nlohmann::json{{"kind", "fault"},
                                  {"fault", to_string(r.kind)},
                                  {"nodes", nodes},
                                  {"groups", r.groups},
                                  {"description", r.description}};
          },
          [](const ClientRecord& r) {
            nlohmann::json client = {{"kind", "client"},
                                     {"client", r.client},
                                     {"op", r.op},
                                     {"op_kind", r.kind == OpKind::kRead ? "read" : "write"},
                                     {"phase", to_string(r.phase)},
                                     {"target", r.target.value()},
                                     {"attempt", r.attempt},
                                     {"key", r.key},
                                     {"value", r.value}};
            if (!r.error.empty()) client["error"] = r.error;
            return client;
          },
          [](const ServiceRecord& r) {
            return nlohmann::json{{"kind", "service"}, {"phase", to_string(r.phase)}};
          },
      },
      event.body);
  json["time_ms"] =
      std::chrono::duration<double, std::milli>(event.time.time_since_epoch()).count();
  json["node"] = event.node.value();
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace raft::sim
