// SPDX-License-Identifier: Apache-2.0
// Little-endian integers and length-prefixed strings for raft-kv's commands, replies and
// snapshots: written, and read back with bounds checks, so malformed bytes are refused rather
// than read past. (The core has the same helpers in raft/src/byte_codec.h, which is private to
// the core library.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace raft::kv::detail {

/// Appends bytes to a std::vector<std::byte> or a std::string.
template <class Out>
class ByteWriter {
 public:
  explicit ByteWriter(Out& out) : out_(out) {}
  /// The low `width` bytes of `value`, least significant first.
  void put(std::uint64_t value, int width) {
    for (int i = 0; i < width; ++i) {
      out_.push_back(static_cast<typename Out::value_type>((value >> (8 * i)) & 0xFFU));
    }
  }
  /// A u32 length, then the bytes.
  void put_string(std::string_view text) {
    put(text.size(), 4);
    put_raw(std::as_bytes(std::span{text}));
  }
  void put_raw(std::span<const std::byte> bytes) {
    for (const std::byte b : bytes) out_.push_back(static_cast<typename Out::value_type>(b));
  }

 private:
  Out& out_;
};

/// Reads what ByteWriter wrote; every read fails (false) instead of running off the end.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> bytes) : bytes_(bytes) {}
  bool read(std::uint64_t& value, int width) {
    if (remaining() < static_cast<std::size_t>(width)) return false;
    value = 0;
    for (int i = 0; i < width; ++i) {
      value |= std::to_integer<std::uint64_t>(bytes_[at_++]) << (8 * i);
    }
    return true;
  }
  /// A u32 length and that many bytes; false (nothing promised about `text`) when truncated.
  bool read_string(std::string& text) {
    std::uint64_t size = 0;
    if (!read(size, 4) || size > remaining()) return false;
    const std::span<const std::byte> bytes = bytes_.subspan(at_, size);
    at_ += size;
    text.assign(reinterpret_cast<const char*>(bytes.data()),
                bytes.size());  // NOLINT: bytes as chars
    return true;
  }
  /// The next `size` bytes, or false (nothing consumed) if fewer remain.
  bool take(std::size_t size, std::span<const std::byte>& out) {
    if (remaining() < size) return false;
    out = bytes_.subspan(at_, size);
    at_ += size;
    return true;
  }
  [[nodiscard]] std::size_t remaining() const noexcept { return bytes_.size() - at_; }
  [[nodiscard]] std::size_t offset() const noexcept { return at_; }
  [[nodiscard]] bool done() const noexcept { return at_ == bytes_.size(); }

 private:
  std::span<const std::byte> bytes_;
  std::size_t at_ = 0;
};

}  // namespace raft::kv::detail
