// SPDX-License-Identifier: Apache-2.0
// Frames: how encoded messages travel over a byte stream (TCP). Every frame is a fixed 16-byte
// header and a payload:
//
//   offset  size  field
//        0     4  magic "RAFT" (0x52 0x41 0x46 0x54): a stray client (HTTP, TLS) is refused at
//                 the first bytes instead of being read as a length
//        4     1  frame format version (kFrameVersion)
//        5     1  kind (FrameKind)
//        6     2  flags, little-endian; must be 0 (reserved for compression and the like)
//        8     4  payload length, little-endian; at most the decoder's maximum
//       12     4  CRC32C (Castagnoli) of the payload, little-endian
//
// The CRC is not there for the network (TCP has a checksum, if a weak one) but for everything
// between our encoder and our decoder: buffers reused too early, a proxy, a bug. A corrupt
// frame closes the connection; Raft tolerates the lost messages.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "raft/status.h"

namespace raft::transport {

inline constexpr std::array<std::byte, 4> kFrameMagic{std::byte{0x52}, std::byte{0x41},
                                                      std::byte{0x46}, std::byte{0x54}};
inline constexpr std::uint8_t kFrameVersion = 1;
inline constexpr std::size_t kFrameHeaderBytes = 16;
/// The default cap on a frame's payload: sixteen times Config::message_bytes_max and
/// Config::snapshot_chunk_bytes (1 MiB each), so that a single entry larger than the batching
/// limit (which the core still sends, alone) fits.
inline constexpr std::size_t kDefaultMaxFramePayload = std::size_t{16} << 20;
/// The length field's own limit.
inline constexpr std::size_t kMaxFramePayload = 0xffffffffU;

/// What a frame's payload holds.
enum class FrameKind : std::uint8_t {
  kHandshake = 1,  ///< An encoded Handshake (codec.h); the first frame of a connection.
  kMessage = 2,    ///< An encoded raft::Message (codec.h).
};

/// One complete frame.
struct Frame {
  FrameKind kind = FrameKind::kMessage;
  std::vector<std::byte> payload;
  friend bool operator==(const Frame&, const Frame&) = default;
};

/// Appends one frame carrying `payload` to `out` (several frames may share one write: batching).
/// kInvalidArgument when the payload exceeds `max_payload`; `out` is then unchanged.
[[nodiscard]] Status append_frame(std::string& out, FrameKind kind,
                                  std::span<const std::byte> payload,
                                  std::size_t max_payload = kDefaultMaxFramePayload);

/// CRC32C (Castagnoli, reflected, as iSCSI and ext4) of `bytes`.
[[nodiscard]] std::uint32_t crc32c(std::span<const std::byte> bytes) noexcept;

/// Cuts a byte stream into frames. Bytes go in as they arrive, in pieces of any size (one byte
/// at a time works); complete frames come out in order. A header is checked as soon as its
/// bytes are there, so a bad magic, version, kind or an oversize length is refused before any
/// payload is buffered. Errors are kCorruption, name what was wrong and where (the stream
/// offset of the frame), and are final: after one, the decoder refuses everything and the
/// connection must be closed.
class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_payload = kDefaultMaxFramePayload);

  /// Appends `bytes` to the stream. Returns the decoder's status: an error if these (or
  /// earlier) bytes broke the stream.
  Status feed(std::span<const std::byte> bytes);

  /// The next complete frame; std::nullopt when more bytes are needed; the error if the
  /// stream is broken (including a payload that fails its CRC).
  [[nodiscard]] Result<std::optional<Frame>> next();

  /// Ok, or the error that broke the stream.
  [[nodiscard]] const Status& status() const noexcept { return status_; }
  /// Bytes received but not yet returned as frames.
  [[nodiscard]] std::size_t buffered() const noexcept { return buffer_.size() - read_; }
  [[nodiscard]] std::size_t max_payload() const noexcept { return max_payload_; }

 private:
  /// Checks as much of the header at read_ as has arrived; sets status_ on an error.
  void check_header();
  void fail(std::string reason);

  std::size_t max_payload_;
  std::vector<std::byte> buffer_;
  std::size_t read_ = 0;             ///< Start of the first unreturned frame in buffer_.
  std::uint64_t stream_offset_ = 0;  ///< Stream offset of buffer_[read_], for error messages.
  Status status_;
};

}  // namespace raft::transport
