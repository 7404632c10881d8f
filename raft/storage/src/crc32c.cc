// SPDX-License-Identifier: Apache-2.0
#include "raft/storage/crc32c.h"

#include <array>
#include <cstring>

// The compiler's builtins, not <nmmintrin.h>: raft/ includes only the standard library and fmt.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define RAFT_CRC32C_SSE42 1
#endif

namespace raft::storage {
namespace {

// Castagnoli's polynomial, bit-reflected: chosen over CRC-32 (IEEE) for its
// better error detection on the record sizes a log writes (Castagnoli et al.,
// 1993) and because hardware (SSE4.2, ARMv8) computes it.
constexpr std::uint32_t kPolynomial = 0x82F63B78U;

// The classic byte-at-a-time table (Sarwate, 1988): small and portable; the
// fallback where the CPU has no CRC32 instruction.
constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t byte = 0; byte < 256; ++byte) {
    std::uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1U) != 0 ? (crc >> 1U) ^ kPolynomial : crc >> 1U;
    table[byte] = crc;
  }
  return table;
}

constexpr std::array<std::uint32_t, 256> kTable = make_table();

std::uint32_t crc32c_table(std::uint32_t crc, std::span<const std::byte> data) noexcept {
  for (const std::byte byte : data) {
    crc = kTable[(crc ^ static_cast<std::uint32_t>(byte)) & 0xFFU] ^ (crc >> 8U);
  }
  return crc;
}

#ifdef RAFT_CRC32C_SSE42
// SSE4.2's CRC32 instruction computes exactly this polynomial, 8 bytes per instruction. Every
// message frame and log record is checksummed, so on the write path this was half of the
// server's CPU with the table (bench/server_bench). The attribute compiles only this function
// for SSE4.2; it runs only after the CPU said it has it.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(
    std::uint32_t crc, std::span<const std::byte> data) noexcept {
  const std::byte* p = data.data();
  std::size_t n = data.size();
  std::uint64_t crc64 = crc;
  while (n >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);  // Unaligned, little-endian: what the instruction wants.
    crc64 = __builtin_ia32_crc32di(crc64, word);
    p += 8;
    n -= 8;
  }
  auto crc32 = static_cast<std::uint32_t>(crc64);
  for (; n > 0; --n, ++p) crc32 = __builtin_ia32_crc32qi(crc32, static_cast<std::uint8_t>(*p));
  return crc32;
}

bool cpu_has_sse42() noexcept {
  static const bool has = __builtin_cpu_supports("sse4.2") != 0;
  return has;
}
#endif

}  // namespace

std::uint32_t detail::crc32c_extend_portable(std::uint32_t crc,
                                             std::span<const std::byte> data) noexcept {
  return ~crc32c_table(~crc, data);
}

std::uint32_t crc32c_extend(std::uint32_t crc, std::span<const std::byte> data) noexcept {
  crc = ~crc;
#ifdef RAFT_CRC32C_SSE42
  if (cpu_has_sse42()) return ~crc32c_sse42(crc, data);
#endif
  return ~crc32c_table(crc, data);
}

}  // namespace raft::storage
