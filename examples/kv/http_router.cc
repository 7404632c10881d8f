// SPDX-License-Identifier: Apache-2.0
#include "http_router.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>
#include <vector>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "metrics_text.h"
#include "raft/entry.h"
#include "raft/session.h"

namespace raft::kv::http {
namespace {

using beast_http::status;
using beast_http::verb;

constexpr std::string_view kKvPrefix = "/v1/kv/";

/// Beast 1.74 has its own string_view (boost::string_view).
std::string_view view(boost::beast::string_view text) { return {text.data(), text.size()}; }

/// The value of `name` in a query string ("a=1&b=2"), or nothing.
std::optional<std::string_view> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t end = query.find('&');
    const std::string_view pair = query.substr(0, end);
    const std::size_t equals = pair.find('=');
    if (pair.substr(0, equals) == name) {
      return equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1);
    }
    if (end == std::string_view::npos) break;
    query.remove_prefix(end + 1);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

bool is_true(std::optional<std::string_view> flag) {
  return flag && (flag->empty() || *flag == "1" || *flag == "true");
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kLeader:
      return "leader";
    case Role::kCandidate:
      return "candidate";
    case Role::kPreCandidate:
      return "precandidate";
    case Role::kFollower:
      return "follower";
  }
  return "follower";
}

/// The session a write names through X-Raft-Client / X-Raft-Sequence / X-Raft-Ack (client 0:
/// none), or a message saying which header is wrong.
struct SessionHeaders {
  std::uint64_t client = 0;
  std::uint64_t sequence = 0;
  std::uint64_t ack = 0;
};

std::optional<std::string> parse_session_headers(const Request& request, SessionHeaders& out) {
  const auto client = request.find("X-Raft-Client");
  const auto sequence = request.find("X-Raft-Sequence");
  const auto ack = request.find("X-Raft-Ack");
  if (client == request.end()) {
    if (sequence != request.end() || ack != request.end()) {
      return "X-Raft-Sequence and X-Raft-Ack need X-Raft-Client";
    }
    return std::nullopt;
  }
  const auto id = parse_u64(view(client->value()));
  if (!id || *id == 0) return "X-Raft-Client must be a session id (POST /v1/session)";
  if (sequence == request.end()) return "X-Raft-Client needs X-Raft-Sequence";
  const auto number = parse_u64(view(sequence->value()));
  if (!number || *number == 0) return "X-Raft-Sequence must be an integer >= 1";
  out.client = *id;
  out.sequence = *number;
  if (ack != request.end()) {
    const auto first_outstanding = parse_u64(view(ack->value()));
    if (!first_outstanding || *first_outstanding > *number) {
      return "X-Raft-Ack must be an integer <= X-Raft-Sequence";
    }
    out.ack = *first_outstanding;
  }
  return std::nullopt;
}

Time system_now() {
  return Time{
      std::chrono::duration_cast<Duration>(std::chrono::system_clock::now().time_since_epoch())};
}

/// The answer to a committed write or session command, from the state machine's reply.
Response write_response(const Reply& reply, Term term, bool is_delete) {
  switch (reply.code) {
    case ReplyCode::kOk: {
      // Written by hand: the hot path of every PUT, and only numbers go in.
      Response response = json_response(
          status::ok, is_delete
                          ? fmt::format(R"({{"index":{},"term":{},"deleted":{}}})", reply.index,
                                        term.value(), reply.existed)
                          : fmt::format(R"({{"index":{},"term":{}}})", reply.index, term.value()));
      if (reply.duplicate) response.set("X-Raft-Duplicate", "1");
      return response;
    }
    case ReplyCode::kRegistered:
      return json_response(status::ok, fmt::format(R"({{"client":{}}})", reply.client));
    case ReplyCode::kKeptAlive:
      return json_response(status::ok, fmt::format(R"({{"client":{}}})", reply.client));
    case ReplyCode::kSessionExpired:
      return error_response(status::gone, "session_expired",
                            fmt::format("session {} expired or never existed; register again "
                                        "(POST /v1/session): this write's outcome is unknown",
                                        reply.client));
    case ReplyCode::kStale:
      return error_response(status::conflict, "stale_sequence",
                            "this sequence number was already acknowledged (X-Raft-Ack)");
    case ReplyCode::kTooManyOutstanding:
      return error_response(status::too_many_requests, "too_many_outstanding",
                            "the session holds too many unacknowledged replies; send X-Raft-Ack");
    case ReplyCode::kRejected:
      return error_response(status::bad_request, "rejected", reply.message);
  }
  return error_response(status::internal_server_error, "internal", "unknown reply code");
}

}  // namespace

Router::Router(transport::Server& server, const KvStateMachine& machine, HttpApiOptions options)
    : server_(server), machine_(machine), options_(std::move(options)) {
  if (!options_.clock) options_.clock = system_now;
}

void Router::dispatch(Request&& request, Responder respond) {
  if (stopped_) {
    return respond(error_response(status::service_unavailable, "stopped", "the server stopped"));
  }
  const std::string_view target = view(request.target());
  const std::size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
  const verb method = request.method();

  if (path.starts_with(kKvPrefix)) {
    return kv(std::move(request), path.substr(kKvPrefix.size()),
              is_true(query_param(query, "stale")), std::move(respond));
  }
  if (path == "/v1/status") {
    return respond(method == verb::get ? status_page() : method_not_allowed("GET"));
  }
  if (path == "/healthz") {
    return respond(method == verb::get ? healthz() : method_not_allowed("GET"));
  }
  if (path == "/metrics") {
    return respond(method == verb::get ? metrics_page() : method_not_allowed("GET"));
  }
  if (path == "/v1/session") {
    if (method != verb::post) return respond(method_not_allowed("POST"));
    return register_session(std::string{target}, std::move(respond));
  }
  if (path == "/v1/session/keepalive") {
    if (method != verb::post) return respond(method_not_allowed("POST"));
    return keep_alive(request, std::string{target}, std::move(respond));
  }
  if (path == "/v1/leader/transfer") {
    if (method != verb::post) return respond(method_not_allowed("POST"));
    return transfer(query, std::string{target}, std::move(respond));
  }
  respond(error_response(status::not_found, "not_found",
                         fmt::format("no route for {}", std::string_view{path})));
}

void Router::kv(Request&& request, std::string_view key, bool stale, Responder respond) {
  const verb method = request.method();
  if (method != verb::get && method != verb::put && method != verb::delete_) {
    return respond(method_not_allowed("GET, PUT, DELETE"));
  }
  if (const Status valid = check_key(key); !valid.ok()) {
    return respond(error_response(status::bad_request, "bad_key", valid.message()));
  }
  if (method == verb::get) {
    return get(std::string{key}, stale, std::string{request.target()}, std::move(respond));
  }
  write(std::move(request), std::string{key}, std::move(respond));
}

void Router::get(const std::string& key, bool stale, std::string target, Responder respond) {
  auto answer = [self = shared_from_this(), key](const Responder& reply) {
    const std::string* value = self->machine_.get(key);
    if (value == nullptr) {
      Response response = error_response(status::not_found, "not_found", "no such key");
      response.set("X-Raft-Index", std::to_string(self->machine_.applied().value()));
      return reply(std::move(response));
    }
    Response response{status::ok, 11};
    response.set(beast_http::field::content_type, "application/octet-stream");
    response.set("X-Raft-Index", std::to_string(self->machine_.applied().value()));
    response.body() = *value;
    reply(std::move(response));
  };
  // ?stale=1: this replica's state at once, possibly behind the leader's (no Raft round).
  if (stale) return answer(respond);
  server_.read([self = shared_from_this(), answer = std::move(answer), respond = std::move(respond),
                target = std::move(target)](Status result) {
    if (!result.ok()) return respond(self->failure(result, target));
    answer(respond);
  });
}

void Router::write(Request&& request, std::string key, Responder respond) {
  const bool is_delete = request.method() == verb::delete_;
  SessionHeaders session;
  if (const auto problem = parse_session_headers(request, session)) {
    return respond(error_response(status::bad_request, "bad_request", *problem));
  }
  const Command write = is_delete ? Command::erase(std::move(key))
                                  : Command::put(std::move(key), std::move(request.body()));
  std::vector<std::byte> bytes;
  if (session.client != 0) {
    // Thesis §6.3: the leader stamps its time into the command; every replica expires
    // sessions by these stamps, never by its own clock.
    SessionCommand command;
    command.kind = SessionCommand::Kind::kRequest;
    command.client = session.client;
    command.sequence = session.sequence;
    command.first_outstanding = session.ack;
    command.timestamp = options_.clock();
    const std::vector<std::byte> inner = write.encode();
    command.command.assign(reinterpret_cast<const char*>(inner.data()),  // NOLINT: bytes as chars
                           inner.size());
    bytes = Command::in_session(std::move(command)).encode();
  } else {
    bytes = write.encode();
  }
  server_.propose(
      Payload{std::move(bytes)},
      [self = shared_from_this(), respond = std::move(respond),
       target = std::string{request.target()}, is_delete](Result<transport::ProposeResult> result) {
        if (!result.ok()) return respond(self->failure(result.status(), target));
        const Result<Reply> reply = Reply::decode(result->reply);
        if (!reply.ok()) {
          return respond(
              error_response(status::internal_server_error, "internal", reply.status().message()));
        }
        respond(write_response(*reply, result->term, is_delete));
      });
}

void Router::register_session(const std::string& target, Responder respond) {
  SessionCommand command;
  command.kind = SessionCommand::Kind::kRegister;
  command.timestamp = options_.clock();
  propose_session(std::move(command), target, std::move(respond));
}

void Router::propose_session(SessionCommand command, const std::string& target, Responder respond) {
  server_.propose(Payload{Command::in_session(std::move(command)).encode()},
                  [self = shared_from_this(), respond = std::move(respond),
                   target](Result<transport::ProposeResult> result) {
                    if (!result.ok()) return respond(self->failure(result.status(), target));
                    const Result<Reply> reply = Reply::decode(result->reply);
                    if (!reply.ok()) {
                      return respond(error_response(status::internal_server_error, "internal",
                                                    reply.status().message()));
                    }
                    respond(write_response(*reply, result->term, false));
                  });
}

void Router::keep_alive(const Request& request, const std::string& target, Responder respond) {
  SessionCommand command;
  command.kind = SessionCommand::Kind::kKeepAlive;
  const auto client = request.find("X-Raft-Client");
  const auto id = client == request.end() ? std::nullopt : parse_u64(view(client->value()));
  if (!id || *id == 0) {
    return respond(error_response(status::bad_request, "bad_request",
                                  "X-Raft-Client must name the session (POST /v1/session)"));
  }
  command.client = *id;
  if (const auto ack = request.find("X-Raft-Ack"); ack != request.end()) {
    const auto first_outstanding = parse_u64(view(ack->value()));
    if (!first_outstanding) {
      return respond(
          error_response(status::bad_request, "bad_request", "X-Raft-Ack must be an integer"));
    }
    command.first_outstanding = *first_outstanding;
  }
  command.timestamp = options_.clock();
  propose_session(std::move(command), target, std::move(respond));
}

void Router::transfer(std::string_view query, const std::string& target, Responder respond) {
  const transport::ServerStatus now = server_.status();
  if (now.role != Role::kLeader) return respond(not_leader(now.leader, target));
  NodeId to;
  if (const auto param = query_param(query, "to")) {
    const auto id = parse_u64(*param);
    if (!id || *id == 0) {
      return respond(error_response(status::bad_request, "bad_request",
                                    "?to= must name a member by its id (>= 1)"));
    }
    to = NodeId{*id};
  } else {
    // Thesis §3.10: the most caught-up voter takes over soonest. Chosen here, not by the
    // server, so the response can name it.
    Index best;
    for (const PeerProgress& peer : now.progress) {
      const bool voter =
          std::find(now.voters.begin(), now.voters.end(), peer.id) != now.voters.end();
      if (peer.id != now.id && voter && (!to.valid() || peer.match > best)) {
        to = peer.id;
        best = peer.match;
      }
    }
    if (!to.valid()) {
      return respond(
          error_response(status::conflict, "no_target", "no other voter to transfer to"));
    }
  }
  const Status started = server_.transfer_leadership(to);
  if (started.ok()) {
    return respond(json_response(status::accepted, fmt::format(R"({{"target":{}}})", to.value())));
  }
  if (started.code() == ErrorCode::kInvalidArgument || started.code() == ErrorCode::kUnknownPeer) {
    return respond(error_response(status::bad_request, "bad_target", started.message()));
  }
  respond(failure(started, target));
}

Response Router::status_page() const {
  const transport::ServerStatus now = server_.status();
  nlohmann::json body;
  body["id"] = now.id.value();
  body["role"] = role_name(now.role);
  body["term"] = now.term.value();
  body["leader"] = now.leader.value();
  const std::string* leader_http = http_of(now.leader);
  body["leader_http"] = leader_http != nullptr ? nlohmann::json(*leader_http) : nullptr;
  body["commit"] = now.commit.value();
  body["applied"] = now.applied.value();
  body["first_index"] = now.first_index.value();
  body["last_index"] = now.last_index.value();
  body["snapshot_index"] = now.snapshot_index.value();
  nlohmann::json voters = nlohmann::json::array();
  for (const NodeId voter : now.voters) voters.push_back(voter.value());
  body["voters"] = voters;
  nlohmann::json learners = nlohmann::json::array();
  for (const NodeId learner : now.learners) learners.push_back(learner.value());
  body["learners"] = learners;
  // Every other member; a leader adds what it knows of their logs.
  nlohmann::json peers = nlohmann::json::array();
  const auto add_peer = [&](NodeId id) {
    if (id == now.id) return;
    nlohmann::json peer = {{"id", id.value()}};
    if (const auto queued = now.send_queue.find(id); queued != now.send_queue.end()) {
      peer["send_queue"] = queued->second;
    }
    for (const PeerProgress& progress : now.progress) {
      if (progress.id != id) continue;
      peer["match"] = progress.match.value();
      peer["next"] = progress.next.value();
      peer["replicating"] = progress.replicating;
      peer["recently_active"] = progress.recently_active;
      peer["commit_lag"] = progress.commit_lag;
      peer["sending_snapshot"] = progress.sending_snapshot;
    }
    peers.push_back(std::move(peer));
  };
  for (const NodeId voter : now.voters) add_peer(voter);
  for (const NodeId learner : now.learners) add_peer(learner);
  body["peers"] = peers;
  body["pending_proposals"] = now.pending_proposals;
  body["pending_reads"] = now.pending_reads;
  body["health"] = now.health.ok() ? "ok" : now.health.to_string();
  return json_response(status::ok, body.dump());
}

Response Router::metrics_page() const {
  Response response{status::ok, 11};
  response.set(beast_http::field::content_type, kMetricsContentType);
  response.body() = render_metrics(
      {server_.status(), server_.metrics(), server_.node_metrics(), server_.transport_counters()});
  return response;
}

Response Router::healthz() const {
  const Status health = server_.status().health;
  if (!health.ok()) {
    return error_response(status::service_unavailable, "stopped", health.to_string());
  }
  Response response{status::ok, 11};
  response.set(beast_http::field::content_type, "text/plain");
  response.body() = "ok\n";
  return response;
}

Response Router::failure(const Status& result, std::string_view target) const {
  switch (result.code()) {
    case ErrorCode::kNotLeader:
      return not_leader(result.leader_hint(), target);
    case ErrorCode::kProposalDropped: {
      Response response = error_response(status::service_unavailable, "dropped", result.message());
      response.set(beast_http::field::retry_after, "1");
      return response;
    }
    case ErrorCode::kTimeout:
      return error_response(status::gateway_timeout, "timeout", result.message());
    case ErrorCode::kCommitUnknown:
      return error_response(status::gateway_timeout, "commit_unknown", result.message());
    case ErrorCode::kStopped:
      return error_response(status::service_unavailable, "stopped", result.message());
    case ErrorCode::kIo:
      return error_response(status::internal_server_error, "io", result.message());
    default:
      return error_response(status::internal_server_error, "internal", result.to_string());
  }
}

Response Router::not_leader(NodeId leader, std::string_view target) const {
  const std::string* address = http_of(leader);
  if (!leader.valid()) {
    Response response =
        error_response(status::service_unavailable, "no_leader", "no leader is known right now");
    response.set(beast_http::field::retry_after, "1");
    return response;
  }
  if (address == nullptr) {
    // The leader is known but not where it serves HTTP (missing from --http-peers).
    Response response = leader_error_response(status::service_unavailable, "not_leader",
                                              "not the leader", leader, nullptr);
    response.set(beast_http::field::retry_after, "1");
    return response;
  }
  Response response = leader_error_response(status::temporary_redirect, "not_leader",
                                            "not the leader", leader, address);
  response.set(beast_http::field::location, fmt::format("http://{}{}", *address, target));
  return response;
}

const std::string* Router::http_of(NodeId node) const {
  const auto it = options_.http_peers.find(node);
  return it == options_.http_peers.end() ? nullptr : &it->second;
}

}  // namespace raft::kv::http
