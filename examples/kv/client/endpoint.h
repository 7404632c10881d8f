// SPDX-License-Identifier: Apache-2.0
// Where a raft-kv (or etcd) HTTP server listens: "host:port", and the parsing of the lists the
// CLI takes and of the Location header of a leader redirect.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "raft/status.h"

namespace raft::kv_client {

/// One HTTP server address. Hosts are kept as text: 127.0.0.1, ::1 (written [::1]:port) or a
/// name the resolver knows.
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;

  /// "host:port" ("[::1]:port" for IPv6 literals), the form the CLI and the server use.
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

/// Parses "host:port" (or "[v6]:port"). The port must be 1..65535.
[[nodiscard]] Result<Endpoint> parse_endpoint(std::string_view text);

/// Parses a comma-separated list of endpoints; empty items are refused, at least one required.
[[nodiscard]] Result<std::vector<Endpoint>> parse_endpoints(std::string_view list);

/// A redirect target: the endpoint and the request target (path and query) to ask there.
struct Location {
  Endpoint endpoint;
  std::string target;
};

/// Parses an absolute http:// URL as sent in a 307's Location header. Only http is accepted:
/// raft-kv never redirects elsewhere, and following https would silently drop TLS.
[[nodiscard]] Result<Location> parse_location(std::string_view url);

}  // namespace raft::kv_client
