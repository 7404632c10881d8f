// SPDX-License-Identifier: Apache-2.0
// raft-kv's replicated state machine: an ordered map from key to value, with client sessions
// (thesis §6.3) so a retried write is applied at most once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kv_command.h"
#include "raft/session.h"
#include "raft/transport/server.h"

namespace raft::kv {

/// The map every replica holds. apply() is deterministic (ordered containers only; the only
/// time it sees is what the leader stamped into session commands), so replicas that apply the
/// same log hold the same bytes.
///
/// The snapshot holds the session table too (thesis §6.3): otherwise a retry reaching a
/// replica restored from a snapshot would be applied a second time.
class KvStateMachine final : public transport::StateMachine {
 public:
  /// `sessions` is part of the replicated state machine's definition: every replica must use
  /// the same one. Precondition: sessions.validate() is ok.
  explicit KvStateMachine(SessionConfig sessions = {});

  /// Applies the command (Command::encode()'s bytes) and returns Reply::encode()'s bytes. An
  /// empty command is a no-op. Bytes that do not decode change nothing and get a kRejected
  /// reply: every replica rejects them alike, so the replicas stay identical.
  std::string apply(Index index, std::span<const std::byte> command) override;
  [[nodiscard]] std::vector<std::byte> snapshot() const override;
  /// kCorruption naming what is wrong; the state is unchanged then.
  Status restore(std::span<const std::byte> data) override;

  /// The value of `key`, or nullptr. Valid until the next apply() or restore().
  [[nodiscard]] const std::string* get(std::string_view key) const;
  /// The index of the last command applied (or restored from a snapshot).
  [[nodiscard]] Index applied() const noexcept { return applied_; }
  [[nodiscard]] std::size_t size() const noexcept { return data_.size(); }
  /// Bytes of keys and values held.
  [[nodiscard]] std::uint64_t data_bytes() const noexcept { return data_bytes_; }
  [[nodiscard]] const SessionTable& sessions() const noexcept { return sessions_; }
  [[nodiscard]] const std::map<std::string, std::string, std::less<>>& data() const noexcept {
    return data_;
  }

  /// Same map, sessions and applied index.
  friend bool operator==(const KvStateMachine& a, const KvStateMachine& b) noexcept {
    return a.applied_ == b.applied_ && a.data_ == b.data_ && a.sessions_ == b.sessions_;
  }

 private:
  Reply apply_write(Index index, const Command& command);
  Reply apply_session(Index index, const SessionCommand& session);

  std::map<std::string, std::string, std::less<>> data_;
  std::uint64_t data_bytes_ = 0;
  SessionTable sessions_;
  Index applied_;
};

}  // namespace raft::kv
