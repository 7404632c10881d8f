// SPDX-License-Identifier: Apache-2.0
#include "raft/transport/frame.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "raft/storage/crc32c.h"

namespace raft::transport {
namespace {

std::uint32_t load_u32(const std::byte* bytes) noexcept {
  return std::to_integer<std::uint32_t>(bytes[0]) |
         (std::to_integer<std::uint32_t>(bytes[1]) << 8) |
         (std::to_integer<std::uint32_t>(bytes[2]) << 16) |
         (std::to_integer<std::uint32_t>(bytes[3]) << 24);
}

std::uint16_t load_u16(const std::byte* bytes) noexcept {
  return static_cast<std::uint16_t>(std::to_integer<std::uint32_t>(bytes[0]) |
                                    (std::to_integer<std::uint32_t>(bytes[1]) << 8));
}

void store_u32(char* out, std::uint32_t value) noexcept {
  for (int i = 0; i < 4; ++i) {
    out[i] = static_cast<char>(static_cast<unsigned char>(value >> (8 * i)));
  }
}

bool known_kind(std::uint8_t kind) noexcept {
  return kind == static_cast<std::uint8_t>(FrameKind::kHandshake) ||
         kind == static_cast<std::uint8_t>(FrameKind::kMessage);
}

}  // namespace

// The same CRC32C as the write-ahead log's records (raft/storage/crc32c.h).
std::uint32_t crc32c(std::span<const std::byte> bytes) noexcept { return storage::crc32c(bytes); }

Status append_frame(std::string& out, FrameKind kind, std::span<const std::byte> payload,
                    std::size_t max_payload) {
  const std::size_t limit = std::min(max_payload, kMaxFramePayload);
  if (payload.size() > limit) {
    return {ErrorCode::kInvalidArgument,
            fmt::format("frame payload of {} bytes exceeds the maximum of {} bytes", payload.size(),
                        limit)};
  }
  const std::size_t start = out.size();
  out.resize(start + kFrameHeaderBytes);
  char* header = out.data() + start;
  for (std::size_t i = 0; i < kFrameMagic.size(); ++i) {
    header[i] = static_cast<char>(std::to_integer<unsigned char>(kFrameMagic[i]));
  }
  header[4] = static_cast<char>(kFrameVersion);
  header[5] = static_cast<char>(static_cast<std::uint8_t>(kind));
  header[6] = 0;
  header[7] = 0;
  store_u32(header + 8, static_cast<std::uint32_t>(payload.size()));
  store_u32(header + 12, crc32c(payload));
  out.append(reinterpret_cast<const char*>(payload.data()),  // NOLINT: bytes as chars
             payload.size());
  return {};
}

FrameDecoder::FrameDecoder(std::size_t max_payload)
    : max_payload_(std::min(max_payload, kMaxFramePayload)) {}

void FrameDecoder::fail(std::string reason) {
  status_ = Status{ErrorCode::kCorruption,
                   fmt::format("frame at stream offset {}: {}", stream_offset_, reason)};
  // Nothing buffered is of use any more; do not keep a hostile peer's bytes around.
  buffer_.clear();
  buffer_.shrink_to_fit();
  read_ = 0;
}

void FrameDecoder::check_header() {
  const std::size_t available = std::min(buffered(), kFrameHeaderBytes);
  const std::byte* header = buffer_.data() + read_;
  for (std::size_t i = 0; i < std::min(available, kFrameMagic.size()); ++i) {
    if (header[i] != kFrameMagic[i]) {
      fail(fmt::format("bad magic byte {} (0x{:02x}, expected 0x{:02x}): not a raftsim peer", i,
                       std::to_integer<unsigned>(header[i]),
                       std::to_integer<unsigned>(kFrameMagic[i])));
      return;
    }
  }
  if (available > 4) {
    const auto version = std::to_integer<unsigned>(header[4]);
    if (version != kFrameVersion) {
      fail(fmt::format("unsupported frame version {} (this build speaks {})", version,
                       kFrameVersion));
      return;
    }
  }
  if (available > 5) {
    const auto kind = std::to_integer<std::uint8_t>(header[5]);
    if (!known_kind(kind)) {
      fail(fmt::format("unknown frame kind {}", kind));
      return;
    }
  }
  if (available >= 8) {
    const std::uint16_t flags = load_u16(header + 6);
    if (flags != 0) {
      fail(fmt::format("unknown frame flags 0x{:04x}", flags));
      return;
    }
  }
  if (available >= 12) {
    const std::uint32_t length = load_u32(header + 8);
    if (length > max_payload_) {
      fail(fmt::format("payload length {} exceeds the maximum of {} bytes", length, max_payload_));
      return;
    }
  }
}

Status FrameDecoder::feed(std::span<const std::byte> bytes) {
  if (!status_.ok()) return status_;
  // Drop returned frames before growing, so the buffer holds about one frame, not the stream.
  if (read_ > 0 && (read_ == buffer_.size() || read_ >= buffer_.size() / 2)) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_));
    read_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  check_header();
  return status_;
}

Result<std::optional<Frame>> FrameDecoder::next() {
  if (!status_.ok()) return status_;
  check_header();
  if (!status_.ok()) return status_;
  if (buffered() < kFrameHeaderBytes) return std::optional<Frame>{};
  const std::byte* header = buffer_.data() + read_;
  const std::uint32_t length = load_u32(header + 8);
  if (buffered() - kFrameHeaderBytes < length) return std::optional<Frame>{};

  const std::span<const std::byte> payload{header + kFrameHeaderBytes, length};
  const std::uint32_t expected = load_u32(header + 12);
  const std::uint32_t actual = crc32c(payload);
  if (actual != expected) {
    fail(
        fmt::format("payload CRC32C 0x{:08x} does not match the header's 0x{:08x} "
                    "({} payload bytes)",
                    actual, expected, length));
    return status_;
  }
  Frame frame{static_cast<FrameKind>(std::to_integer<std::uint8_t>(header[5])),
              std::vector<std::byte>(payload.begin(), payload.end())};
  read_ += kFrameHeaderBytes + length;
  stream_offset_ += kFrameHeaderBytes + length;
  // The next frame's header may already be here: check it now, not at the next feed().
  check_header();
  return std::optional<Frame>{std::move(frame)};
}

}  // namespace raft::transport
