// SPDX-License-Identifier: Apache-2.0
#include "raft/sim/kv.h"

#include <cstring>
#include <vector>

namespace raft::sim {
namespace {

// Layout: op (8 bytes, little endian) | kind (1) | client (4) | request (8) |
// key length (4) | key | value.
constexpr std::size_t kHeaderBytes = 8 + 1 + 4 + 8 + 4;

void put_u64(std::vector<std::byte>& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::byte>(value >> (8 * i)));
}

std::uint64_t get_u64(const std::byte* in, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= std::to_integer<std::uint64_t>(in[i]) << (8 * i);
  return value;
}

}  // namespace

Payload KvCommand::encode() const {
  std::vector<std::byte> out;
  out.reserve(kHeaderBytes + key.size() + value.size());
  put_u64(out, op, 8);
  put_u64(out, static_cast<std::uint64_t>(kind), 1);
  put_u64(out, client, 4);
  put_u64(out, request, 8);
  put_u64(out, key.size(), 4);
  for (const char c : key) out.push_back(static_cast<std::byte>(c));
  for (const char c : value) out.push_back(static_cast<std::byte>(c));
  return Payload{std::move(out)};
}

std::optional<KvCommand> KvCommand::decode(const Payload& payload) {
  const auto bytes = payload.bytes();
  if (bytes.size() < kHeaderBytes) return std::nullopt;
  KvCommand command;
  command.op = get_u64(bytes.data(), 8);
  const std::uint64_t kind = get_u64(bytes.data() + 8, 1);
  if (kind > static_cast<std::uint64_t>(OpKind::kWrite)) return std::nullopt;
  command.kind = static_cast<OpKind>(kind);
  command.client = static_cast<std::uint32_t>(get_u64(bytes.data() + 9, 4));
  command.request = get_u64(bytes.data() + 13, 8);
  const std::uint64_t key_size = get_u64(bytes.data() + 21, 4);
  if (key_size > bytes.size() - kHeaderBytes) return std::nullopt;
  const auto* text = reinterpret_cast<const char*>(bytes.data());  // NOLINT: bytes as chars
  command.key.assign(text + kHeaderBytes, key_size);
  command.value.assign(text + kHeaderBytes + key_size, bytes.size() - kHeaderBytes - key_size);
  return command;
}

Payload encode_command_entry(const KvCommand& command) {
  const Payload inner = command.encode();
  std::vector<std::byte> out;
  out.reserve(1 + inner.size());
  out.push_back(static_cast<std::byte>(KvEntryKind::kCommand));
  out.insert(out.end(), inner.bytes().begin(), inner.bytes().end());
  return Payload{std::move(out)};
}

Payload encode_session_entry(const SessionCommand& command) {
  std::vector<std::byte> out = command.encode();
  out.insert(out.begin(), static_cast<std::byte>(KvEntryKind::kSession));
  return Payload{std::move(out)};
}

Result<KvApplied> KvStore::apply_entry(Index index, const Payload& payload) {
  const auto bytes = payload.bytes();
  if (bytes.empty()) return Status{ErrorCode::kCorruption, "kv entry: empty"};
  const auto kind = std::to_integer<std::uint8_t>(bytes[0]);
  KvApplied applied;
  if (kind == static_cast<std::uint8_t>(KvEntryKind::kCommand)) {
    applied.command = KvCommand::decode(Payload{bytes.subspan(1)});
    if (!applied.command) return Status{ErrorCode::kCorruption, "kv entry: malformed command"};
    applied.value = apply(*applied.command);
    applied.executed = true;
    return applied;
  }
  if (kind != static_cast<std::uint8_t>(KvEntryKind::kSession)) {
    return Status{ErrorCode::kCorruption, "kv entry: unknown kind"};
  }
  Result<SessionCommand> session = SessionCommand::decode(bytes.subspan(1));
  if (!session.ok()) return session.status();
  if (session->kind == SessionCommand::Kind::kRequest) {
    applied.command = KvCommand::decode(Payload{std::string_view{session->command}});
    if (!applied.command) return Status{ErrorCode::kCorruption, "kv entry: malformed command"};
  }
  applied.session = sessions_.apply(index, *session, [&](std::string_view) {
    applied.executed = true;
    return apply(*applied.command);
  });
  applied.value = applied.session->reply;
  return applied;
}

// Snapshot layout: count (8) | per key: key length (4) | key | value length (4) | value
// | session table (the rest: SessionTable::encode(), thesis §6.3 — without it a
// replica restored from the snapshot would apply a retried write again).
Payload KvStore::snapshot() const {
  std::vector<std::byte> out;
  out.reserve(8 + data_.size() * 8 + size_bytes_);
  put_u64(out, data_.size(), 8);
  for (const auto& [key, value] : data_) {
    put_u64(out, key.size(), 4);
    for (const char c : key) out.push_back(static_cast<std::byte>(c));
    put_u64(out, value.size(), 4);
    for (const char c : value) out.push_back(static_cast<std::byte>(c));
  }
  const std::vector<std::byte> sessions = sessions_.encode();
  out.insert(out.end(), sessions.begin(), sessions.end());
  return Payload{std::move(out)};
}

bool KvStore::restore(const Payload& snapshot) {
  clear();
  const auto bytes = snapshot.bytes();
  if (bytes.empty()) return true;  // The empty map.
  std::size_t at = 0;
  const auto take = [&](std::size_t count, std::string* text) {
    if (bytes.size() - at < count) return false;
    if (text != nullptr) {
      text->assign(reinterpret_cast<const char*>(bytes.data() + at), count);  // NOLINT
    }
    at += count;
    return true;
  };
  if (bytes.size() < 8) return false;
  const std::uint64_t count = get_u64(bytes.data(), 8);
  at = 8;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string key;
    std::string value;
    if (bytes.size() - at < 4) return false;
    const std::size_t key_size = get_u64(bytes.data() + at, 4);
    at += 4;
    if (!take(key_size, &key) || bytes.size() - at < 4) return false;
    const std::size_t value_size = get_u64(bytes.data() + at, 4);
    at += 4;
    if (!take(value_size, &value)) return false;
    size_bytes_ += key.size() + value.size();
    data_.emplace(std::move(key), std::move(value));
  }
  Result<SessionTable> sessions = SessionTable::decode(bytes.subspan(at), sessions_.config());
  if (!sessions.ok()) return false;
  sessions_ = std::move(*sessions);
  return true;
}

std::uint64_t KvStore::state_hash() const {
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a over the snapshot encoding
  const Payload bytes = snapshot();            // Kept alive: a span of a temporary would dangle.
  for (const std::byte b : bytes.bytes()) {
    hash = (hash ^ std::to_integer<std::uint64_t>(b)) * 0x100000001b3ULL;
  }
  return hash;
}

std::string KvStore::apply(const KvCommand& command) {
  if (command.kind == OpKind::kRead) {
    const auto it = data_.find(command.key);
    return it == data_.end() ? std::string{} : it->second;
  }
  auto [it, inserted] = data_.try_emplace(command.key);
  if (inserted) {
    size_bytes_ += command.key.size();
  } else {
    size_bytes_ -= it->second.size();
  }
  it->second = command.value;
  size_bytes_ += command.value.size();
  return {};
}

}  // namespace raft::sim
