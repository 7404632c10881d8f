// SPDX-License-Identifier: Apache-2.0
// raft-kv's address flags: "host:port" and "1=host:port,2=host:port,...".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "raft/status.h"
#include "raft/types.h"

namespace raft::kv {

/// A "host:port" pair. `host` may be a name; resolve it before giving it to the transport.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  /// "host:port", with an IPv6 host in brackets.
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const HostPort&, const HostPort&) = default;
};

/// Parses "host:port" (IPv6: "[::1]:port"); kInvalidArgument naming what is wrong. `what` names
/// the flag in the message.
[[nodiscard]] Result<HostPort> parse_host_port(std::string_view text, std::string_view what);

/// Parses "1=host:port,2=host:port": ids >= 1, each once. kInvalidArgument naming the entry.
[[nodiscard]] Result<std::map<NodeId, HostPort>> parse_address_list(std::string_view text,
                                                                    std::string_view what);

}  // namespace raft::kv
