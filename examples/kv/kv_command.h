// SPDX-License-Identifier: Apache-2.0
// raft-kv's replicated commands and their replies, as bytes.
//
// Every replica decodes the same committed bytes, so the encoding is part of the state
// machine's definition: versioned (a future raft-kv can read an old log), little-endian and
// length-prefixed, and decoded with every field checked. A log written by a buggy or hostile
// proposer must make the replica refuse the command, never read past the end or guess.
//
//   command  = u8 version (1) | u8 op | fields
//     op 1 put:     u32 key length | key | u32 value length | value
//     op 2 delete:  u32 key length | key
//     op 3 session: u32 length | raft::SessionCommand::encode() (thesis §6.3); a kRequest's
//                   `command` is itself an encoded put or delete
//   reply    = u8 version (1) | u8 code | u8 flags | u64 index | u64 client
//              | u32 message length | message
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "raft/session.h"
#include "raft/status.h"

namespace raft::kv {

/// Longest key, in bytes (the HTTP API's limit too).
inline constexpr std::size_t kMaxKeyBytes = 512;
/// Largest value, in bytes: 1 MiB, the HTTP body limit.
inline constexpr std::size_t kMaxValueBytes = std::size_t{1} << 20U;

/// Ok when `key` is 1..kMaxKeyBytes bytes of [A-Za-z0-9._~:/-]; otherwise kInvalidArgument
/// saying what is wrong. The alphabet is URL-safe, so a key is its own path segment and needs
/// no percent-decoding.
[[nodiscard]] Status check_key(std::string_view key);

/// What a command does.
enum class Op : std::uint8_t {
  kPut = 1,
  kDelete = 2,
  kSession = 3,  ///< A raft::SessionCommand: register, request (wrapping a put/delete), keep-alive.
};

/// One replicated command.
struct Command {
  Op op = Op::kPut;
  std::string key;         ///< kPut, kDelete.
  std::string value;       ///< kPut.
  SessionCommand session;  ///< kSession.

  [[nodiscard]] static Command put(std::string key, std::string value);
  [[nodiscard]] static Command erase(std::string key);
  /// A session command; for a kRequest, `session.command` must hold a put's or delete's encode().
  [[nodiscard]] static Command in_session(SessionCommand session);

  [[nodiscard]] std::vector<std::byte> encode() const;
  /// The inverse of encode(). kCorruption naming what is wrong: truncated, trailing bytes,
  /// unknown version or op, a bad key, a value over kMaxValueBytes, a bad session command, or a
  /// session request whose inner command is not a put or delete.
  [[nodiscard]] static Result<Command> decode(std::span<const std::byte> bytes);

  friend bool operator==(const Command&, const Command&) = default;
};

/// What applying a command came to.
enum class ReplyCode : std::uint8_t {
  kOk = 0,                  ///< A put or delete was applied (or was a duplicate).
  kRegistered = 1,          ///< A session was opened; `client` is its id.
  kKeptAlive = 2,           ///< A session keep-alive.
  kSessionExpired = 3,      ///< No such session: not applied (thesis §6.3).
  kStale = 4,               ///< The sequence was already acknowledged: not applied.
  kTooManyOutstanding = 5,  ///< The session holds too many unacknowledged replies.
  kRejected = 6,            ///< The command could not be decoded: not applied.
};
[[nodiscard]] std::string_view to_string(ReplyCode code) noexcept;

/// The reply apply() returns to the proposer (and the session table saves for retries).
struct Reply {
  ReplyCode code = ReplyCode::kOk;
  /// kOk: the key existed before (a delete removed something; a put replaced a value).
  bool existed = false;
  /// kOk: a retry of a request already applied; this is the first application's reply.
  bool duplicate = false;
  /// kOk: the log index at which the write took effect (for a duplicate: the first one).
  std::uint64_t index = 0;
  /// The session the command named, or the new one (kRegistered).
  std::uint64_t client = 0;
  /// kRejected: why.
  std::string message;

  [[nodiscard]] std::string encode() const;
  /// kCorruption naming what is wrong.
  [[nodiscard]] static Result<Reply> decode(std::string_view bytes);

  friend bool operator==(const Reply&, const Reply&) = default;
};

}  // namespace raft::kv
