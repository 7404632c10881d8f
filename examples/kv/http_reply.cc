// SPDX-License-Identifier: Apache-2.0
#include "http_reply.h"

#include <utility>

#include <boost/beast/http/field.hpp>
#include <nlohmann/json.hpp>

namespace raft::kv::http {

Response json_response(beast_http::status status, std::string body) {
  Response response{status, 11};
  response.set(beast_http::field::content_type, "application/json");
  response.body() = std::move(body);
  return response;
}

Response error_response(beast_http::status status, std::string_view code,
                        std::string_view message) {
  // nlohmann escapes the message, which may quote user input (a bad key, say).
  const nlohmann::json body = {{"error", code}, {"message", message}};
  return json_response(status, body.dump());
}

Response leader_error_response(beast_http::status status, std::string_view code,
                               std::string_view message, NodeId leader,
                               const std::string* leader_http) {
  nlohmann::json body = {{"error", code}, {"message", message}, {"leader", leader.value()}};
  body["leader_http"] = leader_http != nullptr ? nlohmann::json(*leader_http) : nullptr;
  return json_response(status, body.dump());
}

Response method_not_allowed(std::string_view allowed) {
  Response response = error_response(beast_http::status::method_not_allowed, "method_not_allowed",
                                     std::string{"this path accepts "} + std::string{allowed});
  response.set(beast_http::field::allow, std::string{allowed});
  return response;
}

}  // namespace raft::kv::http
