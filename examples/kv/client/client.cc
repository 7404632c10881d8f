// SPDX-License-Identifier: Apache-2.0
#include "client.h"

#include <algorithm>
#include <charconv>
#include <thread>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include "client_connection.h"
#include "etcd_gateway.h"

namespace raft::kv_client {
namespace {

namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

/// One logical request: what to send and how to read the answer.
struct Call {
  http::verb method = http::verb::get;
  std::string target;
  std::string body;
  std::string content_type;
  bool write = false;  ///< May change state: a lost answer leaves the outcome unknown.
  bool read = false;   ///< A 404 is an answer ("no such key"), not a failure.
};

/// The fields of raft-kv's JSON error body the client acts on.
struct ErrorBody {
  std::string code;
  std::string message;
  std::string leader_http;
};

ErrorBody parse_error(std::string_view body) {
  ErrorBody out;
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return out;
  const auto text = [&](const char* name) -> std::string {
    const auto it = json.find(name);
    return it != json.end() && it->is_string() ? it->get<std::string>() : std::string{};
  };
  out.code = text("error");
  out.message = text("message");
  out.leader_http = text("leader_http");
  return out;
}

ErrorKind kind_of(unsigned status, std::string_view code) {
  if (status == 503) return ErrorKind::kUnavailable;
  if (status == 504)
    return code == "commit_unknown" ? ErrorKind::kCommitUnknown : ErrorKind::kServerTimeout;
  if (status >= 500) return ErrorKind::kServerError;
  if (status == 410) return ErrorKind::kSessionExpired;
  if (status == 404) return ErrorKind::kNotFound;
  if (status >= 400) return ErrorKind::kBadRequest;
  return ErrorKind::kProtocol;
}

std::uint64_t parse_u64(std::string_view text) {
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

/// The log index of a write's answer: raft-kv's {"index":N}, etcd's {"header":{"revision":"N"}}.
std::uint64_t answer_index(std::string_view body) {
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return 0;
  if (const auto it = json.find("index"); it != json.end() && it->is_number_unsigned()) {
    return it->get<std::uint64_t>();
  }
  if (const auto header = json.find("header"); header != json.end() && header->is_object()) {
    const auto revision = header->find("revision");
    if (revision != header->end() && revision->is_string()) {
      return parse_u64(revision->get<std::string>());
    }
  }
  return 0;
}

/// Beast 1.74 hands out boost::string_view.
std::string_view view(boost::beast::string_view text) { return {text.data(), text.size()}; }

}  // namespace

struct Client::Impl {
  explicit Impl(ClientOptions opts)
      : options(std::move(opts)), backoff(options.backoff, options.seed) {
    RAFT_ASSERT_MSG(!options.endpoints.empty(), "a client needs at least one endpoint");
    if (!options.now) options.now = [] { return Clock::now(); };
    if (!options.sleep)
      options.sleep = [](std::chrono::microseconds d) { std::this_thread::sleep_for(d); };
    if (options.target == Target::kEtcd) options.sessions = false;
    for (const auto& endpoint : options.endpoints) add(endpoint);
  }

  std::size_t add(const Endpoint& endpoint) {
    endpoints.push_back(endpoint);
    connections.push_back(std::make_unique<HttpConnection>(io, endpoint));
    return endpoints.size() - 1;
  }

  std::size_t find_or_add(const Endpoint& endpoint) {
    const auto it = std::find(endpoints.begin(), endpoints.end(), endpoint);
    return it != endpoints.end() ? static_cast<std::size_t>(it - endpoints.begin()) : add(endpoint);
  }

  /// After a failed attempt on `current`: the hinted leader if it has not failed in this round,
  /// else the next endpoint that has not; once every endpoint has failed, a backoff and a new
  /// round. Skipping the endpoints that just failed matters in a failover: a follower that still
  /// names the dead leader would otherwise send the client back to it again and again while the
  /// new leader is never tried.
  void fail_over(std::vector<bool>& failed, Clock::time_point deadline,
                 std::optional<std::size_t> hint = std::nullopt) {
    failed.resize(endpoints.size(), false);
    failed[current] = true;
    if (hint && !failed[*hint]) {
      current = *hint;
      return;
    }
    for (std::size_t k = 1; k < endpoints.size(); ++k) {
      const auto candidate = (current + k) % endpoints.size();
      if (!failed[candidate]) {
        current = candidate;
        return;
      }
    }
    // A whole round failed: wait before the next (the first failures of a leader crash thus
    // cost one round trip each, not a sleep).
    std::fill(failed.begin(), failed.end(), false);
    current = (current + 1) % endpoints.size();
    const auto left =
        std::chrono::duration_cast<std::chrono::microseconds>(deadline - options.now());
    // Always through sleep(), even for 0, so a test sees one wait per failed round.
    options.sleep(std::max(std::min(backoff.next(), left), std::chrono::microseconds{0}));
  }

  Reply execute(const Call& call, Clock::time_point start, Clock::time_point deadline,
                const Headers& headers) {
    Reply reply;
    Outcome& o = reply.outcome;
    std::string target = call.target;
    std::vector<bool> failed;  // endpoints that failed in this round
    int redirects_in_row = 0;  // a redirect loop is redirects without a failure between them
    bool maybe_applied = false;
    backoff.reset();
    while (true) {
      const auto t = options.now();
      if (t >= deadline) {
        o.error = ErrorKind::kDeadlineExceeded;
        if (o.message.empty()) o.message = "deadline passed before an attempt";
        o.outcome_unknown = call.write && maybe_applied;
        break;
      }
      const auto left = deadline - t;
      HttpRequest request{call.method, target, 11};
      request.set(http::field::host, endpoints[current].to_string());
      for (const auto& [name, value] : headers) request.set(name, value);
      if (!call.body.empty() || call.method == http::verb::put || call.method == http::verb::post) {
        request.body() = call.body;
        if (!call.content_type.empty()) request.set(http::field::content_type, call.content_type);
      }
      ++o.attempts;
      o.endpoint = endpoints[current].to_string();
      auto ex = connections[current]->exchange(
          request, std::min<Clock::duration>(options.connect_timeout, left),
          std::min<Clock::duration>(options.io_timeout, left));
      if (ex.error != ErrorKind::kNone) {
        maybe_applied = maybe_applied || (call.write && ex.request_sent);
        o.last_error = ex.error;
        o.http_status = 0;
        o.message = o.endpoint + ": " + ex.message;
        redirects_in_row = 0;
        fail_over(failed, deadline);
        continue;
      }
      auto& response = ex.response;
      const unsigned status = response.result_int();
      o.http_status = static_cast<int>(status);
      if (status >= 200 && status < 300) {
        o.ok = true;
        reply.found = true;
        if (const auto it = response.find("X-Raft-Index"); it != response.end()) {
          reply.index = parse_u64(view(it->value()));
        } else if (call.write) {
          reply.index = answer_index(response.body());
        }
        reply.duplicate = response.find("X-Raft-Duplicate") != response.end();
        reply.body = std::move(response.body());
        break;
      }
      const auto error = parse_error(response.body());
      if (status == 307 || status == 308) {
        auto next = next_location(response, error, target);
        if (!next.ok()) {
          o.error = o.last_error = ErrorKind::kProtocol;
          o.message = next.status().message();
          break;
        }
        ++o.redirects;
        if (++redirects_in_row > options.max_redirects) {
          o.error = o.last_error = ErrorKind::kRedirectLoop;
          o.message = "more than " + std::to_string(options.max_redirects) + " redirects in a row";
          break;
        }
        const auto leader = find_or_add(next->endpoint);
        target = std::move(next->target);
        failed.resize(endpoints.size(), false);
        if (failed[leader]) {
          // Redirected to a server that just failed (a follower still naming the dead leader):
          // count it as this endpoint's failure and move on, keeping the last error.
          o.message += " (redirected by " + o.endpoint + " to " + next->endpoint.to_string() + ")";
          fail_over(failed, deadline);
          continue;
        }
        current = leader;
        continue;
      }
      if (status == 404 && call.read) {
        o.ok = true;  // "no such key" is an answer
        reply.body = std::move(response.body());
        break;
      }
      const auto kind = kind_of(status, error.code);
      o.last_error = kind;
      o.message = o.endpoint + ": " + std::to_string(status) + " " +
                  (error.code.empty() ? std::string{} : error.code + ": ") + error.message;
      redirects_in_row = 0;
      if (!is_retryable(kind)) {
        o.error = kind;
        o.outcome_unknown = call.write && maybe_applied;
        reply.body = std::move(response.body());
        break;
      }
      maybe_applied = maybe_applied || (call.write && kind == ErrorKind::kCommitUnknown);
      // A server that names the leader is believed: go there next rather than round-robin.
      std::optional<std::size_t> next;
      if (!error.leader_http.empty()) {
        if (auto hint = parse_endpoint(error.leader_http); hint.ok()) next = find_or_add(*hint);
      }
      fail_over(failed, deadline, next);
      continue;
    }
    o.latency = options.now() - start;
    return reply;
  }

  /// Where a 307 sends the request: its Location, else the body's leader_http with the same
  /// target.
  static Result<Location> next_location(const HttpResponse& response, const ErrorBody& error,
                                        const std::string& target) {
    if (const auto it = response.find(http::field::location); it != response.end()) {
      return parse_location(view(it->value()));
    }
    if (!error.leader_http.empty()) {
      auto endpoint = parse_endpoint(error.leader_http);
      if (!endpoint.ok()) return endpoint.status();
      return Location{std::move(endpoint).value(), target};
    }
    return Status{ErrorCode::kInvalidArgument, "redirect without Location or leader_http"};
  }

  /// POST /v1/session within the write's deadline. Returns the failed reply, or nullopt when a
  /// session is in place (or the server has none: 404/405 turn sessions off).
  std::optional<Reply> ensure_session(Clock::time_point start, Clock::time_point deadline) {
    if (!options.sessions || session) return std::nullopt;
    Call call{http::verb::post, "/v1/session", "", "", false, false};
    auto reply = execute(call, start, deadline, {});
    if (!reply.outcome.ok) {
      const int status = reply.outcome.http_status;
      if (reply.outcome.error == ErrorKind::kNotFound || status == 405) {
        options.sessions = false;  // a server without sessions: plain writes
        return std::nullopt;
      }
      reply.outcome.message = "session registration: " + reply.outcome.message;
      return reply;
    }
    const auto json = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
    const auto it = json.is_object() ? json.find("client") : json.end();
    if (json.is_discarded() || !json.is_object() || it == json.end() || !it->is_number_unsigned()) {
      reply.outcome.ok = false;
      reply.outcome.error = reply.outcome.last_error = ErrorKind::kProtocol;
      reply.outcome.message = "session registration: no \"client\" id in " + reply.body;
      return reply;
    }
    session = it->get<std::uint64_t>();
    sequence = 0;
    return std::nullopt;
  }

  Reply write(const Call& call) {
    const auto start = options.now();
    const auto deadline = start + options.deadline;
    // A registration's attempts are not the write's: a write that went out once is not
    // "retried" because the session was registered first (the loop counts retried requests).
    if (auto failed = ensure_session(start, deadline)) {
      failed->outcome.latency = options.now() - start;
      return std::move(*failed);
    }
    Headers headers;
    if (session) {
      // Retries inside execute() reuse this sequence number: that is what lets the server
      // recognise them. All earlier writes have returned, so the first outstanding is this one.
      ++sequence;
      headers = {{"X-Raft-Client", std::to_string(*session)},
                 {"X-Raft-Sequence", std::to_string(sequence)},
                 {"X-Raft-Ack", std::to_string(sequence)}};
    }
    auto reply = execute(call, start, deadline, headers);
    if (reply.outcome.error == ErrorKind::kSessionExpired) {
      // Earlier attempts of this write may have applied before the session expired, and the
      // server no longer remembers: the outcome is unknown. The next write registers again.
      session.reset();
      reply.outcome.outcome_unknown = true;
    }
    return reply;
  }

  Reply read(const Call& call) {
    const auto start = options.now();
    return execute(call, start, start + options.deadline, {});
  }

  ClientOptions options;
  boost::asio::io_context io;
  std::vector<Endpoint> endpoints;
  std::vector<std::unique_ptr<HttpConnection>> connections;
  std::size_t current = 0;
  Backoff backoff;
  std::optional<std::uint64_t> session;
  std::uint64_t sequence = 0;
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;

Reply Client::put(std::string_view key, std::string_view value) {
  if (impl_->options.target == Target::kEtcd) {
    return impl_->write({http::verb::post, "/v3/kv/put", etcd::put_body(key, value),
                         "application/json", true, false});
  }
  return impl_->write({http::verb::put, "/v1/kv/" + std::string(key), std::string(value),
                       "application/octet-stream", true, false});
}

Reply Client::get(std::string_view key, bool stale) {
  if (impl_->options.target == Target::kEtcd) {
    auto reply = impl_->read({http::verb::post, "/v3/kv/range", etcd::range_body(key, stale),
                              "application/json", false, true});
    if (reply.outcome.ok) {
      std::string error;
      auto value = etcd::range_value(reply.body, &error);
      if (!error.empty()) {
        reply.outcome.ok = false;
        reply.outcome.error = reply.outcome.last_error = ErrorKind::kProtocol;
        reply.outcome.message = error;
      }
      reply.found = value.has_value();
      reply.body = value.value_or(std::string{});
    }
    return reply;
  }
  return impl_->read({http::verb::get, "/v1/kv/" + std::string(key) + (stale ? "?stale=1" : ""), "",
                      "", false, true});
}

Reply Client::remove(std::string_view key) {
  if (impl_->options.target == Target::kEtcd) {
    return impl_->write({http::verb::post, "/v3/kv/deleterange", etcd::delete_body(key),
                         "application/json", true, false});
  }
  return impl_->write({http::verb::delete_, "/v1/kv/" + std::string(key), "", "", true, false});
}

Reply Client::status() {
  if (impl_->options.target == Target::kEtcd) {
    return impl_->read(
        {http::verb::post, "/v3/maintenance/status", "{}", "application/json", false, false});
  }
  return impl_->read({http::verb::get, "/v1/status", "", "", false, false});
}

std::optional<std::uint64_t> Client::session() const noexcept { return impl_->session; }
std::uint64_t Client::last_sequence() const noexcept { return impl_->sequence; }
const std::vector<Endpoint>& Client::endpoints() const noexcept { return impl_->endpoints; }
const Endpoint& Client::current() const noexcept { return impl_->endpoints[impl_->current]; }

}  // namespace raft::kv_client
