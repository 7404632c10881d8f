// SPDX-License-Identifier: Apache-2.0
#include "kv_state_machine.h"

#include <utility>

#include <fmt/format.h>

#include "byte_io.h"

namespace raft::kv {
namespace {

// Snapshot layout: u8 version (1) | u64 applied index | u64 key count
//   | per key, in key order: u32 key length | key | u32 value length | value
//   | u32 session table length | SessionTable::encode()
constexpr std::uint8_t kSnapshotVersion = 1;

Status corrupt(std::string detail) {
  return Status{ErrorCode::kCorruption, fmt::format("kv snapshot: {}", detail)};
}

}  // namespace

KvStateMachine::KvStateMachine(SessionConfig sessions) : sessions_(sessions) {}

std::string KvStateMachine::apply(Index index, std::span<const std::byte> command) {
  applied_ = index;
  // The leader's no-op of a new term, should the server hand it over, carries no command.
  if (command.empty()) return {};
  Result<Command> decoded = Command::decode(command);
  if (!decoded.ok()) {
    Reply reply;
    reply.code = ReplyCode::kRejected;
    reply.message = decoded.status().message();
    return reply.encode();
  }
  if (decoded->op == Op::kSession) return apply_session(index, decoded->session).encode();
  return apply_write(index, *decoded).encode();
}

Reply KvStateMachine::apply_write(Index index, const Command& command) {
  Reply reply;
  reply.index = index.value();
  if (command.op == Op::kDelete) {
    const auto it = data_.find(command.key);
    reply.existed = it != data_.end();
    if (reply.existed) {
      data_bytes_ -= it->first.size() + it->second.size();
      data_.erase(it);
    }
    return reply;
  }
  auto [it, inserted] = data_.try_emplace(command.key);
  reply.existed = !inserted;
  if (inserted) {
    data_bytes_ += command.key.size();
  } else {
    data_bytes_ -= it->second.size();
  }
  it->second = command.value;
  data_bytes_ += command.value.size();
  return reply;
}

Reply KvStateMachine::apply_session(Index index, const SessionCommand& session) {
  const SessionResult result = sessions_.apply(index, session, [&](std::string_view inner) {
    // Command::decode already checked that a request wraps a put or delete; checked again
    // rather than trusted, since this runs on every replica.
    Result<Command> write = Command::decode(std::as_bytes(std::span{inner}));
    if (!write.ok() || write->op == Op::kSession) {
      Reply rejected;
      rejected.code = ReplyCode::kRejected;
      rejected.message = write.ok() ? "nested session command" : write.status().message();
      return rejected.encode();
    }
    return apply_write(index, *write).encode();
  });
  Reply reply;
  reply.client = result.client;
  switch (result.outcome) {
    case SessionOutcome::kApplied:
    case SessionOutcome::kDuplicate: {
      // The saved reply is the first application's: a retry gets its index back.
      Result<Reply> saved = Reply::decode(result.reply);
      if (saved.ok()) reply = std::move(*saved);
      reply.client = result.client;
      reply.duplicate = result.outcome == SessionOutcome::kDuplicate;
      break;
    }
    case SessionOutcome::kRegistered:
      reply.code = ReplyCode::kRegistered;
      reply.index = index.value();
      break;
    case SessionOutcome::kKeptAlive:
      reply.code = ReplyCode::kKeptAlive;
      break;
    case SessionOutcome::kSessionExpired:
      reply.code = ReplyCode::kSessionExpired;
      break;
    case SessionOutcome::kStale:
      reply.code = ReplyCode::kStale;
      break;
    case SessionOutcome::kTooManyOutstanding:
      reply.code = ReplyCode::kTooManyOutstanding;
      break;
  }
  return reply;
}

std::vector<std::byte> KvStateMachine::snapshot() const {
  std::vector<std::byte> out;
  out.reserve(1 + 8 + 8 + data_.size() * 8 + data_bytes_);
  detail::ByteWriter writer{out};
  writer.put(kSnapshotVersion, 1);
  writer.put(applied_.value(), 8);
  writer.put(data_.size(), 8);
  for (const auto& [key, value] : data_) {
    writer.put_string(key);
    writer.put_string(value);
  }
  const std::vector<std::byte> sessions = sessions_.encode();
  writer.put(sessions.size(), 4);
  writer.put_raw(sessions);
  return out;
}

Status KvStateMachine::restore(std::span<const std::byte> data) {
  detail::ByteReader reader{data};
  std::uint64_t version = 0;
  std::uint64_t applied = 0;
  std::uint64_t count = 0;
  if (!reader.read(version, 1) || !reader.read(applied, 8) || !reader.read(count, 8)) {
    return corrupt(fmt::format("truncated header ({} bytes)", data.size()));
  }
  if (version != kSnapshotVersion) {
    return corrupt(
        fmt::format("unknown version {} (this build reads {})", version, kSnapshotVersion));
  }
  // Each key takes at least 8 bytes: a count beyond that is a lie, caught before looping.
  if (count > reader.remaining() / 8) {
    return corrupt(fmt::format("{} keys cannot fit in {} bytes", count, reader.remaining()));
  }
  std::map<std::string, std::string, std::less<>> data_map;
  std::uint64_t bytes = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string key;
    std::string value;
    const std::size_t at = reader.offset();
    if (!reader.read_string(key) || !reader.read_string(value)) {
      return corrupt(fmt::format("key {} of {} truncated at offset {}", i, count, at));
    }
    if (const Status valid = check_key(key); !valid.ok()) {
      return corrupt(fmt::format("key {} at offset {}: {}", i, at, valid.message()));
    }
    if (value.size() > kMaxValueBytes) {
      return corrupt(fmt::format("value of key {} at offset {} is {} bytes", i, at, value.size()));
    }
    // snapshot() writes keys in order; anything else was not written by it.
    if (!data_map.empty() && data_map.rbegin()->first >= key) {
      return corrupt(fmt::format("key {} at offset {} is out of order or repeated", i, at));
    }
    bytes += key.size() + value.size();
    data_map.emplace_hint(data_map.end(), std::move(key), std::move(value));
  }
  std::uint64_t sessions_size = 0;
  std::span<const std::byte> sessions_bytes;
  if (!reader.read(sessions_size, 4) || !reader.take(sessions_size, sessions_bytes)) {
    return corrupt("truncated session table");
  }
  if (!reader.done()) return corrupt(fmt::format("{} trailing bytes", reader.remaining()));
  Result<SessionTable> sessions = SessionTable::decode(sessions_bytes, sessions_.config());
  if (!sessions.ok()) return corrupt(sessions.status().message());

  data_ = std::move(data_map);
  data_bytes_ = bytes;
  sessions_ = std::move(*sessions);
  applied_ = Index{applied};
  return {};
}

const std::string* KvStateMachine::get(std::string_view key) const {
  const auto it = data_.find(key);
  return it == data_.end() ? nullptr : &it->second;
}

}  // namespace raft::kv
