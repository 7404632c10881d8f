// SPDX-License-Identifier: Apache-2.0
// CRC-32C (Castagnoli), the checksum of the write-ahead log's records and snapshots.
#pragma once

#include <cstdint>
#include <span>

namespace raft::storage {

/// Extends `crc` (the value returned for the bytes before `data`; 0 to start)
/// over `data`. CRC-32C, reflected polynomial 0x82F63B78, as in iSCSI (RFC
/// 3720), ext4 and LevelDB: crc32c("123456789") == 0xE3069283.
[[nodiscard]] std::uint32_t crc32c_extend(std::uint32_t crc,
                                          std::span<const std::byte> data) noexcept;

namespace detail {
/// crc32c_extend() without the CPU's CRC32 instruction (SSE4.2), which crc32c_extend() uses
/// where it exists. For tests that both agree.
[[nodiscard]] std::uint32_t crc32c_extend_portable(std::uint32_t crc,
                                                   std::span<const std::byte> data) noexcept;
}  // namespace detail

/// CRC-32C of `data`.
[[nodiscard]] inline std::uint32_t crc32c(std::span<const std::byte> data) noexcept {
  return crc32c_extend(0, data);
}

}  // namespace raft::storage
