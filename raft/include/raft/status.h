// SPDX-License-Identifier: Apache-2.0
// Expected outcomes as values: Status and Result<T>. No exception crosses the
// core's API; programmer errors are RAFT_ASSERTs instead.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "raft/assert.h"
#include "raft/types.h"

namespace raft {

/// What went wrong, coarse enough to branch on.
enum class ErrorCode : std::uint8_t {
  kOk = 0,
  kNotLeader,               ///< Only the leader accepts this; see Status::leader_hint().
  kProposalDropped,         ///< Accepted by nobody (e.g. a leadership transfer or a full queue).
  kInvalidConfig,           ///< Config::validate() refused the configuration.
  kInvalidArgument,         ///< An argument is outside what the call accepts.
  kUnknownPeer,             ///< A message or call names a node outside the configuration.
  kConfigChangeInProgress,  ///< Another membership change has not finished yet.
  kCompacted,               ///< Storage: the entry was discarded by compaction.
  kUnavailable,             ///< Storage: the entry does not exist (yet).
  kCorruption,              ///< Storage: data failed a check; do not serve it.
  kIo,                      ///< Storage or network I/O failed.
  kTimeout,                 ///< Driver: gave up waiting.
  kStopped,                 ///< Driver: the node was shut down.
  kCommitUnknown,           ///< Driver: the proposal may or may not have committed.
};

/// Short stable name of a code, e.g. "not-leader".
[[nodiscard]] std::string_view to_string(ErrorCode code) noexcept;

/// The outcome of an operation: ok, or a code with a human-readable message.
/// A kNotLeader status also names the leader the node knows of, if any.
class [[nodiscard]] Status {
 public:
  /// The ok status.
  Status() noexcept = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {
    RAFT_ASSERT(code != ErrorCode::kOk);
  }

  [[nodiscard]] static Status not_leader(NodeId leader_hint);
  [[nodiscard]] static Status invalid_config(std::string message) {
    return {ErrorCode::kInvalidConfig, std::move(message)};
  }

  [[nodiscard]] bool ok() const noexcept { return code_ == ErrorCode::kOk; }
  [[nodiscard]] ErrorCode code() const noexcept { return code_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  /// For kNotLeader: the leader this node believes in, or NodeId::none().
  [[nodiscard]] NodeId leader_hint() const noexcept { return leader_hint_; }

  /// "ok", or "<code>: <message>".
  [[nodiscard]] std::string to_string() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  NodeId leader_hint_;
};

/// A value or the Status that explains why there is none (the shape of C++23's
/// std::expected, which C++20 lacks).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : state_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    RAFT_ASSERT_MSG(!std::get<1>(state_).ok(), "a Result needs a value or an error");
  }

  [[nodiscard]] bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  /// Precondition: ok().
  [[nodiscard]] T& value() & {
    RAFT_ASSERT(ok());
    return std::get<0>(state_);
  }
  [[nodiscard]] const T& value() const& {
    RAFT_ASSERT(ok());
    return std::get<0>(state_);
  }
  [[nodiscard]] T&& value() && {
    RAFT_ASSERT(ok());
    return std::get<0>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error, or an ok Status when there is a value.
  [[nodiscard]] Status status() const { return ok() ? Status{} : std::get<1>(state_); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace raft
