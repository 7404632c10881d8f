// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the write-ahead log tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "raft/entry.h"
#include "raft/ready.h"
#include "raft/types.h"

namespace raft::storage::testing {

/// An entry whose payload names its term and index, so a misplaced entry shows.
inline Entry make_entry(std::uint64_t term, std::uint64_t index) {
  return Entry{Term{term}, Index{index}, EntryType::kNormal,
               Payload{"t" + std::to_string(term) + "-i" + std::to_string(index)}};
}

/// Entries [from, to] of one term.
inline std::vector<Entry> make_entries(std::uint64_t term, std::uint64_t from, std::uint64_t to) {
  std::vector<Entry> entries;
  for (std::uint64_t index = from; index <= to; ++index) entries.push_back(make_entry(term, index));
  return entries;
}

inline HardState hard_state(std::uint64_t term, std::uint64_t vote, std::uint64_t commit) {
  return HardState{Term{term}, NodeId{vote}, Index{commit}};
}

inline std::vector<std::byte> bytes_of(const std::string& text) {
  std::vector<std::byte> out;
  for (const char c : text) out.push_back(static_cast<std::byte>(c));
  return out;
}

}  // namespace raft::storage::testing
