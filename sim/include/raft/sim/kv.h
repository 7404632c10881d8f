// SPDX-License-Identifier: Apache-2.0
// The simulated application: a key-value state machine replicated through the
// Raft log, and the encoding of its commands.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "raft/entry.h"
#include "raft/sim/history.h"

namespace raft::sim {

/// A client command as carried in a log entry.
struct KvCommand {
  std::uint64_t op = 0;  ///< The client operation (attempt) it belongs to.
  OpKind kind = OpKind::kWrite;
  std::string key;
  std::string value;  ///< Writes only.

  [[nodiscard]] Payload encode() const;
  /// No value when the payload is not a command (e.g. a no-op or garbage).
  [[nodiscard]] static std::optional<KvCommand> decode(const Payload& payload);
};

/// The replicated map. Reads go through the log too, so they are linearizable
/// without leases or ReadIndex (which a later issue adds).
class KvStore {
 public:
  /// Applies a command; returns the value a read returns ("" when unset).
  std::string apply(const KvCommand& command);
  [[nodiscard]] std::uint64_t size_bytes() const noexcept { return size_bytes_; }
  [[nodiscard]] const std::map<std::string, std::string>& data() const noexcept { return data_; }
  void clear() {
    data_.clear();
    size_bytes_ = 0;
  }
  /// The whole map, serialized (thesis §5.1: the snapshot of the state
  /// machine). Deterministic: the same map gives the same bytes.
  [[nodiscard]] Payload snapshot() const;
  /// Replaces the map with a snapshot's. False (and the map cleared) when the
  /// bytes are not a snapshot.
  bool restore(const Payload& snapshot);
  /// A hash of the map, to compare states across nodes.
  [[nodiscard]] std::uint64_t state_hash() const;

 private:
  std::map<std::string, std::string> data_;
  std::uint64_t size_bytes_ = 0;
};

}  // namespace raft::sim
