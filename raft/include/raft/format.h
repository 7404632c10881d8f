// SPDX-License-Identifier: Apache-2.0
// fmt formatters for the core's types, for logs, timelines and test output.
#pragma once

#include <string>

#include <fmt/format.h>

#include "raft/entry.h"
#include "raft/events.h"
#include "raft/membership.h"
#include "raft/message.h"
#include "raft/status.h"
#include "raft/types.h"

namespace raft {
/// One line describing a message, e.g. "1->2 AppendRequest term=3 prev=4/2 commit=4 entries=2".
[[nodiscard]] std::string describe(const Message& message);
/// One line describing an event, e.g. "term 3: follower -> pre-candidate (election timeout)".
[[nodiscard]] std::string describe(const Event& event);
/// A membership, e.g. "voters {1,2,4} & {1,2,3} (joint, auto leave), learners {5}".
[[nodiscard]] std::string describe(const Membership& membership);
/// Milliseconds since the zero time point, for timelines: "1234.5".
[[nodiscard]] std::string format_ms(Time time);
}  // namespace raft

template <>
struct fmt::formatter<raft::NodeId> : fmt::formatter<std::uint64_t> {
  auto format(raft::NodeId id, format_context& ctx) const {
    return fmt::formatter<std::uint64_t>::format(id.value(), ctx);
  }
};
template <>
struct fmt::formatter<raft::Term> : fmt::formatter<std::uint64_t> {
  auto format(raft::Term term, format_context& ctx) const {
    return fmt::formatter<std::uint64_t>::format(term.value(), ctx);
  }
};
template <>
struct fmt::formatter<raft::Index> : fmt::formatter<std::uint64_t> {
  auto format(raft::Index index, format_context& ctx) const {
    return fmt::formatter<std::uint64_t>::format(index.value(), ctx);
  }
};
template <>
struct fmt::formatter<raft::Role> : fmt::formatter<std::string_view> {
  auto format(raft::Role role, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(raft::to_string(role), ctx);
  }
};
template <>
struct fmt::formatter<raft::Status> : fmt::formatter<std::string> {
  auto format(const raft::Status& status, format_context& ctx) const {
    return fmt::formatter<std::string>::format(status.to_string(), ctx);
  }
};
