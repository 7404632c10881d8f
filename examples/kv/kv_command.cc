// SPDX-License-Identifier: Apache-2.0
#include "kv_command.h"

#include <utility>

#include <fmt/format.h>

#include "byte_io.h"

namespace raft::kv {
namespace {

constexpr std::uint8_t kCommandVersion = 1;
constexpr std::uint8_t kReplyVersion = 1;
constexpr std::uint8_t kReplyExisted = 1U << 0U;
constexpr std::uint8_t kReplyDuplicate = 1U << 1U;
constexpr std::uint8_t kReplyFlagsKnown = kReplyExisted | kReplyDuplicate;

Status corrupt(std::string_view what, std::string_view detail) {
  return Status{ErrorCode::kCorruption, fmt::format("kv {}: {}", what, detail)};
}

bool is_key_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '~' || c == ':' || c == '/' || c == '-';
}

}  // namespace

Status check_key(std::string_view key) {
  if (key.empty()) return Status{ErrorCode::kInvalidArgument, "key is empty"};
  if (key.size() > kMaxKeyBytes) {
    return Status{ErrorCode::kInvalidArgument,
                  fmt::format("key is {} bytes; at most {} allowed", key.size(), kMaxKeyBytes)};
  }
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (!is_key_char(key[i])) {
      return Status{ErrorCode::kInvalidArgument,
                    fmt::format("key byte {} (0x{:02x}) is not one of [A-Za-z0-9._~:/-]", i,
                                static_cast<unsigned char>(key[i]))};
    }
  }
  return {};
}

std::string_view to_string(ReplyCode code) noexcept {
  switch (code) {
    case ReplyCode::kOk:
      return "ok";
    case ReplyCode::kRegistered:
      return "registered";
    case ReplyCode::kKeptAlive:
      return "kept-alive";
    case ReplyCode::kSessionExpired:
      return "session-expired";
    case ReplyCode::kStale:
      return "stale";
    case ReplyCode::kTooManyOutstanding:
      return "too-many-outstanding";
    case ReplyCode::kRejected:
      return "rejected";
  }
  return "unknown";
}

Command Command::put(std::string key, std::string value) {
  Command command;
  command.op = Op::kPut;
  command.key = std::move(key);
  command.value = std::move(value);
  return command;
}

Command Command::erase(std::string key) {
  Command command;
  command.op = Op::kDelete;
  command.key = std::move(key);
  return command;
}

Command Command::in_session(SessionCommand session) {
  Command command;
  command.op = Op::kSession;
  command.session = std::move(session);
  return command;
}

std::vector<std::byte> Command::encode() const {
  std::vector<std::byte> out;
  detail::ByteWriter writer{out};
  writer.put(kCommandVersion, 1);
  writer.put(static_cast<std::uint8_t>(op), 1);
  switch (op) {
    case Op::kPut:
      out.reserve(2 + 8 + key.size() + value.size());
      writer.put_string(key);
      writer.put_string(value);
      break;
    case Op::kDelete:
      writer.put_string(key);
      break;
    case Op::kSession: {
      const std::vector<std::byte> inner = session.encode();
      writer.put(inner.size(), 4);
      writer.put_raw(inner);
      break;
    }
  }
  return out;
}

Result<Command> Command::decode(std::span<const std::byte> bytes) {
  detail::ByteReader reader{bytes};
  std::uint64_t version = 0;
  std::uint64_t op = 0;
  if (!reader.read(version, 1) || !reader.read(op, 1)) {
    return corrupt("command", fmt::format("truncated header ({} bytes)", bytes.size()));
  }
  if (version != kCommandVersion) {
    return corrupt("command", fmt::format("unknown version {} (this build reads {})", version,
                                          kCommandVersion));
  }
  Command command;
  switch (op) {
    case static_cast<std::uint8_t>(Op::kPut):
    case static_cast<std::uint8_t>(Op::kDelete): {
      command.op = static_cast<Op>(op);
      if (!reader.read_string(command.key)) return corrupt("command", "truncated key");
      if (const Status key = check_key(command.key); !key.ok()) {
        return corrupt("command", key.message());
      }
      if (command.op == Op::kPut) {
        if (!reader.read_string(command.value)) return corrupt("command", "truncated value");
        if (command.value.size() > kMaxValueBytes) {
          return corrupt("command", fmt::format("value of {} bytes exceeds {}",
                                                command.value.size(), kMaxValueBytes));
        }
      }
      break;
    }
    case static_cast<std::uint8_t>(Op::kSession): {
      command.op = Op::kSession;
      std::uint64_t size = 0;
      std::span<const std::byte> inner;
      if (!reader.read(size, 4) || !reader.take(size, inner)) {
        return corrupt("command", "truncated session command");
      }
      Result<SessionCommand> session = SessionCommand::decode(inner);
      if (!session.ok()) return corrupt("session command", session.status().message());
      command.session = std::move(*session);
      if (command.session.kind == SessionCommand::Kind::kRequest) {
        // Checked here, not at apply time, so a proposer finds out before the log does.
        Result<Command> wrapped = decode(std::as_bytes(std::span{command.session.command}));
        if (!wrapped.ok()) return corrupt("session request", wrapped.status().message());
        if (wrapped->op == Op::kSession) {
          return corrupt("session request", "wraps another session command");
        }
      }
      break;
    }
    default:
      return corrupt("command", fmt::format("unknown op {}", op));
  }
  if (!reader.done()) {
    return corrupt("command", fmt::format("{} trailing bytes", reader.remaining()));
  }
  return command;
}

std::string Reply::encode() const {
  std::string out;
  out.reserve(1 + 1 + 1 + 8 + 8 + 4 + message.size());
  detail::ByteWriter writer{out};
  writer.put(kReplyVersion, 1);
  writer.put(static_cast<std::uint8_t>(code), 1);
  writer.put((existed ? kReplyExisted : 0U) | (duplicate ? kReplyDuplicate : 0U), 1);
  writer.put(index, 8);
  writer.put(client, 8);
  writer.put_string(message);
  return out;
}

Result<Reply> Reply::decode(std::string_view bytes) {
  detail::ByteReader reader{std::as_bytes(std::span{bytes})};
  std::uint64_t version = 0;
  std::uint64_t code = 0;
  std::uint64_t flags = 0;
  Reply reply;
  if (!reader.read(version, 1) || !reader.read(code, 1) || !reader.read(flags, 1) ||
      !reader.read(reply.index, 8) || !reader.read(reply.client, 8) ||
      !reader.read_string(reply.message)) {
    return corrupt("reply", fmt::format("truncated ({} bytes)", bytes.size()));
  }
  if (version != kReplyVersion) return corrupt("reply", fmt::format("unknown version {}", version));
  if (code > static_cast<std::uint8_t>(ReplyCode::kRejected)) {
    return corrupt("reply", fmt::format("unknown code {}", code));
  }
  if ((flags & ~std::uint64_t{kReplyFlagsKnown}) != 0) {
    return corrupt("reply", fmt::format("unknown flags 0x{:02x}", flags));
  }
  if (!reader.done()) return corrupt("reply", fmt::format("{} trailing bytes", reader.remaining()));
  reply.code = static_cast<ReplyCode>(code);
  reply.existed = (flags & kReplyExisted) != 0;
  reply.duplicate = (flags & kReplyDuplicate) != 0;
  return reply;
}

}  // namespace raft::kv
