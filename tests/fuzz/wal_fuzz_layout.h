// SPDX-License-Identifier: Apache-2.0
// How wal_fuzz turns one fuzzer input into the files of a WAL directory, and back: the
// fuzz target parses, the test that writes the seed corpus (tests/storage/wal_fuzz_corpus_test.cc)
// encodes. Layout:
//   byte 0: bits 0-1 = segment count - 1; bit 2 = a `snapshot` file comes first;
//           bit 3 = also leave an empty `snapshot.tmp`; bits 4-6 = segment_bytes is 64 << value;
//           bit 7 = rewrite the CRC of every record of the segments that the length fields
//           delimit, so the fuzzer reaches the record parser without forging CRC-32Cs
//   byte 1: the sequence number of the first segment (the others follow it)
//   then the files in order (snapshot, then segments): each but the last is a u16
//   little-endian length and that many bytes (fewer if the input ends); the last takes the rest.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "raft/storage/crc32c.h"
#include "raft/storage/wal.h"

namespace raft::storage::fuzz {

/// The files (name, contents) and options one input stands for.
struct WalLayout {
  std::vector<std::pair<std::string, std::vector<std::byte>>> files;
  WalOptions options;
};

inline std::string wal_fuzz_segment_name(std::uint64_t seq) {
  return fmt::format("wal-{:016x}.log", seq);
}

/// Rewrites the CRC of each record (u32 length | u32 crc | body) that fits in `data`.
inline void fix_record_crcs(std::vector<std::byte>& data) {
  std::size_t pos = 0;
  while (data.size() - pos >= 8) {
    std::uint32_t length = 0;
    for (unsigned i = 0; i < 4; ++i) {
      length |= static_cast<std::uint32_t>(data[pos + i]) << (8U * i);
    }
    if (length > data.size() - pos - 8) return;
    const std::span<const std::byte> all{data};
    const std::uint32_t crc =
        crc32c_extend(crc32c(all.subspan(pos, 4)), all.subspan(pos + 8, length));
    for (unsigned i = 0; i < 4; ++i) {
      data[pos + 4 + i] = static_cast<std::byte>((crc >> (8U * i)) & 0xffU);
    }
    pos += 8 + length;
  }
}

/// Parses any input (never fails: missing bytes make empty files).
inline WalLayout parse_wal_input(std::span<const std::byte> input) {
  WalLayout layout;
  const auto flags = input.empty() ? 0U : static_cast<unsigned>(input[0]);
  const std::uint64_t first_seq = input.size() < 2 ? 0U : static_cast<std::uint64_t>(input[1]);
  std::size_t pos = std::min<std::size_t>(input.size(), 2);
  layout.options.segment_bytes = std::uint64_t{64} << ((flags >> 4U) & 7U);
  std::vector<std::string> names;
  if ((flags & 4U) != 0) names.emplace_back("snapshot");
  const unsigned segments = (flags & 3U) + 1;
  for (unsigned i = 0; i < segments; ++i) names.push_back(wal_fuzz_segment_name(first_seq + i));
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::size_t length = input.size() - pos;
    if (i + 1 < names.size()) {
      length = 0;
      if (input.size() - pos >= 2) {
        length =
            static_cast<std::size_t>(input[pos]) | (static_cast<std::size_t>(input[pos + 1]) << 8U);
        pos += 2;
      } else {
        pos = input.size();
      }
      length = std::min(length, input.size() - pos);
    }
    const auto bytes = input.subspan(pos, length);
    layout.files.emplace_back(names[i], std::vector<std::byte>{bytes.begin(), bytes.end()});
    if ((flags & 0x80U) != 0 && names[i] != "snapshot") fix_record_crcs(layout.files.back().second);
    pos += length;
  }
  if ((flags & 8U) != 0) layout.files.emplace_back("snapshot.tmp", std::vector<std::byte>{});
  return layout;
}

/// The input that parse_wal_input turns into `snapshot` (if non-empty) and `segments`
/// (1 to 4, sequence numbers first_seq, first_seq + 1, ...).
inline std::vector<std::byte> encode_wal_input(const std::vector<std::byte>& snapshot,
                                               const std::vector<std::vector<std::byte>>& segments,
                                               std::uint8_t first_seq,
                                               unsigned segment_bytes_shift) {
  std::vector<std::byte> out;
  const auto flags = static_cast<unsigned>(segments.size() - 1) | (snapshot.empty() ? 0U : 4U) |
                     (segment_bytes_shift << 4U);
  out.push_back(static_cast<std::byte>(flags));
  out.push_back(static_cast<std::byte>(first_seq));
  std::vector<const std::vector<std::byte>*> files;
  if (!snapshot.empty()) files.push_back(&snapshot);
  for (const auto& segment : segments) files.push_back(&segment);
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (i + 1 < files.size()) {
      out.push_back(static_cast<std::byte>(files[i]->size() & 0xffU));
      out.push_back(static_cast<std::byte>((files[i]->size() >> 8U) & 0xffU));
    }
    out.insert(out.end(), files[i]->begin(), files[i]->end());
  }
  return out;
}

}  // namespace raft::storage::fuzz
