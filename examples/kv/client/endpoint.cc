// SPDX-License-Identifier: Apache-2.0
#include "endpoint.h"

#include <charconv>
#include <string>
#include <system_error>

namespace raft::kv_client {
namespace {

Status invalid(std::string message) { return {ErrorCode::kInvalidArgument, std::move(message)}; }

}  // namespace

std::string Endpoint::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<Endpoint> parse_endpoint(std::string_view text) {
  std::string_view host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return invalid("endpoint '" + std::string(text) + "': expected [v6-address]:port");
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return invalid("endpoint '" + std::string(text) + "': expected host:port");
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  if (host.empty()) return invalid("endpoint '" + std::string(text) + "': empty host");
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    return invalid("endpoint '" + std::string(text) + "': port must be 1..65535");
  }
  return Endpoint{std::string(host), static_cast<std::uint16_t>(port)};
}

Result<std::vector<Endpoint>> parse_endpoints(std::string_view list) {
  std::vector<Endpoint> out;
  while (true) {
    const auto comma = list.find(',');
    auto parsed = parse_endpoint(list.substr(0, comma));
    if (!parsed.ok()) return parsed.status();
    out.push_back(std::move(parsed).value());
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

Result<Location> parse_location(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return invalid("redirect '" + std::string(url) + "': only http:// locations are followed");
  }
  url.remove_prefix(kScheme.size());
  const auto slash = url.find('/');
  auto endpoint = parse_endpoint(url.substr(0, slash));
  if (!endpoint.ok()) return endpoint.status();
  std::string target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  return Location{std::move(endpoint).value(), std::move(target)};
}

}  // namespace raft::kv_client
