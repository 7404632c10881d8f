// SPDX-License-Identifier: Apache-2.0
// The HTTP message types of raft-kv's API and the responses every route shares: JSON bodies
// and JSON errors (`{"error":"<code>","message":"<text>"}`, never an HTML page or an empty
// body, so clients can always branch on "error").
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include "raft/types.h"

namespace raft::kv::http {

namespace beast_http = boost::beast::http;
using Request = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;
/// Answers one request; called exactly once, on the io_context's thread. The connection fills
/// in the HTTP version, keep-alive and Content-Length.
using Responder = std::function<void(Response)>;

/// A response with `body` (a JSON document) as application/json.
[[nodiscard]] Response json_response(beast_http::status status, std::string body);
/// A JSON error: {"error": code, "message": message}.
[[nodiscard]] Response error_response(beast_http::status status, std::string_view code,
                                      std::string_view message);
/// A JSON error naming the leader: {"error": code, "message": ..., "leader": N,
/// "leader_http": "host:port" or null}.
[[nodiscard]] Response leader_error_response(beast_http::status status, std::string_view code,
                                             std::string_view message, NodeId leader,
                                             const std::string* leader_http);
/// 405 method_not_allowed, with the Allow header listing `allowed`.
[[nodiscard]] Response method_not_allowed(std::string_view allowed);

}  // namespace raft::kv::http
