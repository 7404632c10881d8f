// SPDX-License-Identifier: Apache-2.0
// Little-endian integers for the core's small binary encodings (membership
// entries, session commands and tables): written, and read back with bounds
// checks, so malformed bytes are refused rather than read past.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace raft::detail {

/// Appends the low `width` bytes of `value`, least significant first.
inline void put_le(std::vector<std::byte>& out, std::uint64_t value, int width) {
  for (int i = 0; i < width; ++i) out.push_back(static_cast<std::byte>((value >> (8 * i)) & 0xFFU));
}

/// Reads what put_le() wrote; every read fails (false) instead of running off the end.
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
  /// The next `size` bytes, or an empty span (and nothing consumed) if fewer remain.
  std::span<const std::byte> take(std::size_t size) {
    if (remaining() < size) return {};
    const std::span<const std::byte> out = bytes_.subspan(at_, size);
    at_ += size;
    return out;
  }
  [[nodiscard]] std::size_t remaining() const noexcept { return bytes_.size() - at_; }
  [[nodiscard]] bool done() const noexcept { return at_ == bytes_.size(); }

 private:
  std::span<const std::byte> bytes_;
  std::size_t at_ = 0;
};

}  // namespace raft::detail
