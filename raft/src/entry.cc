// SPDX-License-Identifier: Apache-2.0
#include "raft/entry.h"

#include <algorithm>

namespace raft {

Payload::Payload(std::span<const std::byte> bytes)
    : buffer_(bytes.empty()
                  ? nullptr
                  : std::make_shared<const std::vector<std::byte>>(bytes.begin(), bytes.end())) {}

Payload::Payload(std::vector<std::byte>&& bytes)
    : buffer_(bytes.empty() ? nullptr
                            : std::make_shared<const std::vector<std::byte>>(std::move(bytes))) {}

bool operator==(const Payload& a, const Payload& b) noexcept {
  if (a.buffer_ == b.buffer_) return true;
  return std::ranges::equal(a.bytes(), b.bytes());
}

}  // namespace raft
