// SPDX-License-Identifier: Apache-2.0
// The simulated application: a key-value state machine replicated through the
// Raft log, and the encoding of its commands.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "raft/entry.h"
#include "raft/session.h"
#include "raft/sim/history.h"

namespace raft::sim {

/// A client command as carried in a log entry.
struct KvCommand {
  std::uint64_t op = 0;  ///< The client operation (attempt) it belongs to.
  OpKind kind = OpKind::kWrite;
  std::uint32_t client = 0;   ///< The simulated client that sent it.
  std::uint64_t request = 0;  ///< The client's logical operation; every retry keeps it.
  std::string key;
  std::string value;  ///< Writes only.

  [[nodiscard]] Payload encode() const;
  /// No value when the payload is not a command (e.g. a no-op or garbage).
  [[nodiscard]] static std::optional<KvCommand> decode(const Payload& payload);
};

/// What an entry of the store's log holds: its first byte says which.
enum class KvEntryKind : std::uint8_t {
  kCommand = 1,  ///< A KvCommand, applied every time it commits.
  kSession = 2,  ///< A raft::SessionCommand whose command (if any) is a KvCommand.
};

/// A log entry holding `command` as is.
[[nodiscard]] Payload encode_command_entry(const KvCommand& command);
/// A log entry holding a session command (thesis §6.3).
[[nodiscard]] Payload encode_session_entry(const SessionCommand& command);

/// What applying one entry did.
struct KvApplied {
  /// The command in the entry (none for a session registration or keep-alive).
  std::optional<KvCommand> command;
  /// The command ran against the map now (false for a duplicate, a refusal).
  bool executed = false;
  /// The reply: a read's value; a duplicate's saved reply.
  std::string value;
  /// Through a session: what the session table did.
  std::optional<SessionResult> session;
};

/// The replicated map. Reads go through the log too, so they are linearizable
/// without leases or ReadIndex (which a later issue adds). Writes may go
/// through the session table, which applies each at most once.
///
/// Its snapshot holds the session table too, or a replica restored from it
/// would apply a retry again.
class KvStore {
 public:
  explicit KvStore(SessionConfig sessions = {}) : sessions_(sessions) {}

  /// Applies the committed entry at `index`; its payload must be one that
  /// encode_command_entry() or encode_session_entry() made (kCorruption
  /// otherwise).
  Result<KvApplied> apply_entry(Index index, const Payload& payload);
  /// Applies a command; returns the value a read returns ("" when unset).
  std::string apply(const KvCommand& command);
  [[nodiscard]] std::uint64_t size_bytes() const noexcept { return size_bytes_; }
  [[nodiscard]] const std::map<std::string, std::string>& data() const noexcept { return data_; }
  [[nodiscard]] const SessionTable& sessions() const noexcept { return sessions_; }
  void clear() {
    data_.clear();
    size_bytes_ = 0;
    sessions_ = SessionTable{sessions_.config()};
  }
  /// The whole map and the session table, serialized (thesis §5.1: the snapshot of the state
  /// machine). Deterministic: the same map gives the same bytes.
  [[nodiscard]] Payload snapshot() const;
  /// Replaces the map with a snapshot's. False (and the map cleared) when the
  /// bytes are not a snapshot.
  bool restore(const Payload& snapshot);
  /// A hash of the map, to compare states across nodes.
  [[nodiscard]] std::uint64_t state_hash() const;

 private:
  std::map<std::string, std::string> data_;
  SessionTable sessions_;
  std::uint64_t size_bytes_ = 0;
};

}  // namespace raft::sim
