// SPDX-License-Identifier: Apache-2.0
// Log entries. Payloads are immutable and shared, so an entry can sit in the
// log, in a message to every follower and in the apply queue without copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "raft/types.h"

namespace raft {

/// An immutable, reference-counted byte string. Copying it is cheap.
class Payload {
 public:
  Payload() noexcept = default;
  /// Copies `bytes` into a new shared buffer.
  explicit Payload(std::span<const std::byte> bytes);
  explicit Payload(std::string_view text) : Payload(std::as_bytes(std::span{text})) {}
  /// Takes ownership of `bytes` without copying them.
  explicit Payload(std::vector<std::byte>&& bytes);

  [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
    return buffer_ ? std::span<const std::byte>{*buffer_} : std::span<const std::byte>{};
  }
  [[nodiscard]] std::string_view as_string() const noexcept {
    const auto span = bytes();
    return {reinterpret_cast<const char*>(span.data()), span.size()};  // NOLINT: bytes as chars
  }
  [[nodiscard]] std::size_t size() const noexcept { return buffer_ ? buffer_->size() : 0; }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }

  friend bool operator==(const Payload& a, const Payload& b) noexcept;

 private:
  std::shared_ptr<const std::vector<std::byte>> buffer_;
};

/// What an entry carries.
enum class EntryType : std::uint8_t {
  kNormal = 0,  ///< An application command.
  kNoOp = 1,    ///< Appended by a new leader to commit its term (Raft §8).
  kConfig = 2,  ///< A membership configuration (thesis §4).
};

/// One record of the replicated log.
struct Entry {
  Term term;
  Index index;
  EntryType type = EntryType::kNormal;
  Payload payload;

  /// The size used for batching limits: the payload plus a fixed header.
  [[nodiscard]] std::size_t size_bytes() const noexcept { return payload.size() + kHeaderBytes; }

  static constexpr std::size_t kHeaderBytes = 24;
  friend bool operator==(const Entry&, const Entry&) = default;
};

}  // namespace raft
