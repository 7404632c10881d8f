// SPDX-License-Identifier: Apache-2.0
#include "raft/session.h"

#include <fmt/format.h>

#include "byte_codec.h"

namespace raft {

Status SessionConfig::validate() const {
  if (timeout <= Duration::zero()) {
    return Status::invalid_config("session timeout must be positive");
  }
  return {};
}

std::string_view to_string(SessionOutcome outcome) noexcept {
  switch (outcome) {
    case SessionOutcome::kApplied:
      return "applied";
    case SessionOutcome::kDuplicate:
      return "duplicate";
    case SessionOutcome::kRegistered:
      return "registered";
    case SessionOutcome::kKeptAlive:
      return "kept-alive";
    case SessionOutcome::kSessionExpired:
      return "session-expired";
    case SessionOutcome::kStale:
      return "stale";
    case SessionOutcome::kTooManyOutstanding:
      return "too-many-outstanding";
  }
  return "unknown";
}

// ---- Encoding helpers: little-endian integers, u32-length-prefixed strings.

namespace {

constexpr std::uint8_t kCommandVersion = 1;
constexpr std::uint8_t kTableVersion = 1;

using detail::ByteReader;

void put(std::vector<std::byte>& out, std::uint64_t value, int width) {
  detail::put_le(out, value, width);
}

void put_time(std::vector<std::byte>& out, Time time) {
  put(out, static_cast<std::uint64_t>(time.time_since_epoch().count()), 8);
}

void put_string(std::vector<std::byte>& out, std::string_view text) {
  put(out, text.size(), 4);
  for (const char c : text) out.push_back(static_cast<std::byte>(c));
}

class Reader : public ByteReader {
 public:
  using ByteReader::ByteReader;
  bool read_time(Time& time) {
    std::uint64_t raw = 0;
    if (!read(raw, 8)) return false;
    time = Time{Duration{static_cast<Duration::rep>(raw)}};
    return true;
  }
  bool read_string(std::string& text) {
    std::uint64_t size = 0;
    if (!read(size, 4) || size > remaining()) return false;
    const std::span<const std::byte> bytes = take(size);
    text.resize(size);
    for (std::size_t i = 0; i < size; ++i) text[i] = std::to_integer<char>(bytes[i]);
    return true;
  }
};

Status corrupt(std::string_view what, std::string detail) {
  return Status{ErrorCode::kCorruption, fmt::format("{}: {}", what, detail)};
}

}  // namespace

// ---- SessionCommand: version (1) | kind (1) | client (8) | sequence (8) |
// first_outstanding (8) | timestamp (8, ns) | command (u32 length + bytes).

std::vector<std::byte> SessionCommand::encode() const {
  std::vector<std::byte> out;
  out.reserve(2 + 8 * 4 + 4 + command.size());
  put(out, kCommandVersion, 1);
  put(out, static_cast<std::uint64_t>(kind), 1);
  put(out, client, 8);
  put(out, sequence, 8);
  put(out, first_outstanding, 8);
  put_time(out, timestamp);
  put_string(out, command);
  return out;
}

Result<SessionCommand> SessionCommand::decode(std::span<const std::byte> bytes) {
  constexpr std::string_view kWhat = "session command";
  Reader reader{bytes};
  std::uint64_t version = 0;
  if (!reader.read(version, 1)) return corrupt(kWhat, "empty");
  if (version != kCommandVersion) {
    return corrupt(kWhat, fmt::format("unknown encoding version {}", version));
  }
  std::uint64_t kind = 0;
  SessionCommand command;
  if (!reader.read(kind, 1) || !reader.read(command.client, 8) ||
      !reader.read(command.sequence, 8) || !reader.read(command.first_outstanding, 8) ||
      !reader.read_time(command.timestamp) || !reader.read_string(command.command)) {
    return corrupt(kWhat, "truncated");
  }
  if (!reader.done()) {
    return corrupt(kWhat, fmt::format("{} trailing bytes", reader.remaining()));
  }
  if (kind < static_cast<std::uint64_t>(Kind::kRegister) ||
      kind > static_cast<std::uint64_t>(Kind::kKeepAlive)) {
    return corrupt(kWhat, fmt::format("unknown kind {}", kind));
  }
  command.kind = static_cast<Kind>(kind);
  switch (command.kind) {
    case Kind::kRegister:
      if (command.client != 0 || command.sequence != 0 || command.first_outstanding != 0) {
        return corrupt(kWhat, "a registration names no client, sequence or first outstanding");
      }
      break;
    case Kind::kRequest:
      if (command.client == 0) return corrupt(kWhat, "a request needs a client id (not 0)");
      if (command.sequence == 0) return corrupt(kWhat, "a request needs a sequence (from 1)");
      if (command.first_outstanding > command.sequence) {
        return corrupt(kWhat, fmt::format("first outstanding {} is above the sequence {}: the "
                                          "client cannot have acknowledged this request",
                                          command.first_outstanding, command.sequence));
      }
      break;
    case Kind::kKeepAlive:
      if (command.client == 0) return corrupt(kWhat, "a keep-alive needs a client id (not 0)");
      if (command.sequence != 0 || !command.command.empty()) {
        return corrupt(kWhat, "a keep-alive carries no sequence and no command");
      }
      break;
  }
  return command;
}

// ---- SessionTable.

SessionTable::SessionTable(SessionConfig config) : config_(config) {
  RAFT_ASSERT_MSG(config_.validate().ok(), "invalid session configuration");
}

std::size_t SessionTable::saved_replies() const noexcept {
  std::size_t total = 0;
  for (const auto& [id, session] : sessions_) total += session.replies.size();
  return total;
}

void SessionTable::advance(Time log_time) {
  now_ = std::max(now_, log_time);
  expire();
}

void SessionTable::expire() {
  // Thesis §6.3: expiry must be a deterministic function of the log, so it
  // is decided here, from log time, in (last activity, id) order.
  while (!by_activity_.empty()) {
    const auto [last_active, client] = *by_activity_.begin();
    if (now_ - last_active <= config_.timeout) break;
    by_activity_.erase(by_activity_.begin());
    sessions_.erase(client);
  }
}

void SessionTable::touch(std::uint64_t client, Session& session) {
  by_activity_.erase({session.last_active, client});
  session.last_active = now_;
  by_activity_.emplace(now_, client);
}

SessionResult SessionTable::admit(Index index, const SessionCommand& command) {
  advance(command.timestamp);
  SessionResult result;
  result.client = command.client;
  if (command.kind == SessionCommand::Kind::kRegister) {
    // The id is the entry's index: unique, the same on every replica, and
    // never reused, so an unknown id can only mean an expired session.
    RAFT_ASSERT_MSG(!sessions_.contains(index.value()), "a log index registers one session");
    if (config_.sessions_max != 0 && sessions_.size() >= config_.sessions_max) {
      const auto oldest = by_activity_.begin();
      sessions_.erase(oldest->second);
      by_activity_.erase(oldest);
    }
    sessions_.emplace(index.value(), Session{now_, 0, {}});
    by_activity_.emplace(now_, index.value());
    result.outcome = SessionOutcome::kRegistered;
    result.client = index.value();
    return result;
  }

  const auto it = sessions_.find(command.client);
  if (it == sessions_.end()) {
    result.outcome = SessionOutcome::kSessionExpired;
    return result;
  }
  Session& session = it->second;
  touch(command.client, session);
  // Discard what the client acknowledged: it will never ask for it again.
  if (command.first_outstanding > session.acknowledged_below) {
    session.acknowledged_below = command.first_outstanding;
    session.replies.erase(session.replies.begin(),
                          session.replies.lower_bound(session.acknowledged_below));
  }
  if (command.kind == SessionCommand::Kind::kKeepAlive) {
    result.outcome = SessionOutcome::kKeptAlive;
    return result;
  }

  if (const auto saved = session.replies.find(command.sequence); saved != session.replies.end()) {
    result.outcome = SessionOutcome::kDuplicate;
    result.reply = saved->second;
    return result;
  }
  if (command.sequence < session.acknowledged_below) {
    // Applied or not, the client has moved on; its reply is gone, so
    // applying now could apply it a second time.
    result.outcome = SessionOutcome::kStale;
    return result;
  }
  if (config_.replies_max != 0 && session.replies.size() >= config_.replies_max) {
    result.outcome = SessionOutcome::kTooManyOutstanding;
    return result;
  }
  result.outcome = SessionOutcome::kApplied;
  return result;
}

void SessionTable::save(const SessionCommand& command, const std::string& reply) {
  sessions_.at(command.client).replies.emplace(command.sequence, reply);
}

// ---- Table encoding: version (1) | log time (8) | session count (4), then per
// session in id order: id (8) | last active (8) | acknowledged below (8) |
// reply count (4), then per reply in sequence order: sequence (8) | reply
// (u32 length + bytes).

std::vector<std::byte> SessionTable::encode() const {
  std::vector<std::byte> out;
  put(out, kTableVersion, 1);
  put_time(out, now_);
  put(out, sessions_.size(), 4);
  for (const auto& [id, session] : sessions_) {
    put(out, id, 8);
    put_time(out, session.last_active);
    put(out, session.acknowledged_below, 8);
    put(out, session.replies.size(), 4);
    for (const auto& [sequence, reply] : session.replies) {
      put(out, sequence, 8);
      put_string(out, reply);
    }
  }
  return out;
}

Result<SessionTable> SessionTable::decode(std::span<const std::byte> bytes, SessionConfig config) {
  constexpr std::string_view kWhat = "session table";
  if (Status status = config.validate(); !status.ok()) return status;
  Reader reader{bytes};
  std::uint64_t version = 0;
  if (!reader.read(version, 1)) return corrupt(kWhat, "empty");
  if (version != kTableVersion) {
    return corrupt(kWhat, fmt::format("unknown encoding version {}", version));
  }
  SessionTable table{config};
  std::uint64_t count = 0;
  if (!reader.read_time(table.now_) || !reader.read(count, 4)) return corrupt(kWhat, "truncated");
  // Each session takes at least 28 bytes: a count beyond that is a lie.
  if (count > reader.remaining() / 28) {
    return corrupt(kWhat,
                   fmt::format("{} sessions cannot fit in {} bytes", count, reader.remaining()));
  }
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t id = 0;
    std::uint64_t replies = 0;
    Session session;
    if (!reader.read(id, 8) || !reader.read_time(session.last_active) ||
        !reader.read(session.acknowledged_below, 8) || !reader.read(replies, 4)) {
      return corrupt(kWhat, "truncated");
    }
    if (id == 0 || (!table.sessions_.empty() && id <= table.sessions_.rbegin()->first)) {
      return corrupt(kWhat, fmt::format("session id {} is 0 or out of order", id));
    }
    if (session.last_active > table.now_) {
      return corrupt(kWhat, fmt::format("session {} was active after the table's log time", id));
    }
    if (replies > reader.remaining() / 12) {
      return corrupt(kWhat, fmt::format("session {}: {} replies cannot fit", id, replies));
    }
    for (std::uint64_t r = 0; r < replies; ++r) {
      std::uint64_t sequence = 0;
      std::string reply;
      if (!reader.read(sequence, 8) || !reader.read_string(reply)) {
        return corrupt(kWhat, "truncated");
      }
      if (sequence < session.acknowledged_below ||
          (!session.replies.empty() && sequence <= session.replies.rbegin()->first)) {
        return corrupt(kWhat, fmt::format("session {}: reply {} is acknowledged or out of order",
                                          id, sequence));
      }
      session.replies.emplace_hint(session.replies.end(), sequence, std::move(reply));
    }
    table.by_activity_.emplace(session.last_active, id);
    table.sessions_.emplace_hint(table.sessions_.end(), id, std::move(session));
  }
  if (!reader.done()) {
    return corrupt(kWhat, fmt::format("{} trailing bytes", reader.remaining()));
  }
  return table;
}

}  // namespace raft
