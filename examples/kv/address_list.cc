// SPDX-License-Identifier: Apache-2.0
#include "address_list.h"

#include <charconv>

#include <fmt/format.h>

namespace raft::kv {
namespace {

Status invalid(std::string_view what, std::string message) {
  return Status{ErrorCode::kInvalidArgument, fmt::format("{}: {}", what, message)};
}

template <class T>
bool parse_number(std::string_view text, T& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && error == std::errc{} && end == text.data() + text.size();
}

}  // namespace

std::string HostPort::to_string() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

Result<HostPort> parse_host_port(std::string_view text, std::string_view what) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return invalid(what, fmt::format("'{}' is not host:port", text));
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return invalid(what, fmt::format("'{}': write an IPv6 host in brackets, [::1]:port", text));
  }
  if (host.empty()) return invalid(what, fmt::format("'{}' has no host", text));
  HostPort out;
  out.host = std::string{host};
  if (!parse_number(text.substr(colon + 1), out.port)) {
    return invalid(what, fmt::format("'{}': the port must be a number 0..65535", text));
  }
  return out;
}

Result<std::map<NodeId, HostPort>> parse_address_list(std::string_view text,
                                                      std::string_view what) {
  std::map<NodeId, HostPort> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view entry = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (entry.empty()) continue;  // "1=a:1,,2=b:2" or a trailing comma
    const std::size_t equals = entry.find('=');
    std::uint64_t id = 0;
    if (equals == std::string_view::npos || !parse_number(entry.substr(0, equals), id) || id == 0) {
      return invalid(what, fmt::format("'{}' is not id=host:port with an id >= 1", entry));
    }
    Result<HostPort> address = parse_host_port(entry.substr(equals + 1), what);
    if (!address.ok()) return address.status();
    if (!out.emplace(NodeId{id}, std::move(*address)).second) {
      return invalid(what, fmt::format("node {} is listed twice", id));
    }
  }
  if (out.empty()) return invalid(what, "no entries");
  return out;
}

}  // namespace raft::kv
