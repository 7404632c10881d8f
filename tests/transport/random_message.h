// SPDX-License-Identifier: Apache-2.0
// Random, valid raft::Messages for the codec tests: every body kind, every field drawn from a
// seeded Prng, contents that pass decode()'s validation (entries continue the log, config
// entries carry a valid Membership, snapshot chunks stay inside total_bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "raft/membership.h"
#include "raft/message.h"
#include "raft/prng.h"

namespace raft::transport::testing {

/// The seeds a randomized test runs: RAFT_SEED alone when set, else 1..count.
inline std::vector<std::uint64_t> seeds(std::uint64_t count) {
  if (const char* seed = std::getenv("RAFT_SEED"); seed != nullptr) {
    return {std::strtoull(seed, nullptr, 10)};
  }
  std::vector<std::uint64_t> out;
  for (std::uint64_t seed = 1; seed <= count; ++seed) out.push_back(seed);
  return out;
}

/// What a failure prints: the seed and the command that replays it.
inline std::string replay(std::uint64_t seed, std::string_view test_binary) {
  return fmt::format("seed={} (replay: RAFT_SEED={} tests/{})", seed, seed, test_binary);
}

inline std::span<const std::byte> as_bytes(const std::string& text) {
  return std::as_bytes(std::span{text.data(), text.size()});
}

/// Bounds on what random_message() draws.
struct RandomMessageLimits {
  std::size_t max_entries = 8;
  std::size_t max_payload_bytes = 64;
};

inline std::uint64_t random_u64(Prng& prng) {
  // Mix small values (one-byte varints) with full-width ones (ten-byte varints).
  switch (prng.uniform(3)) {
    case 0:
      return prng.uniform(4);
    case 1:
      return prng.uniform(1000);
    default:
      return prng.next();
  }
}

inline Payload random_payload(Prng& prng, std::size_t max_bytes) {
  std::vector<std::byte> bytes(static_cast<std::size_t>(prng.uniform(max_bytes + 1)));
  for (std::byte& byte : bytes) byte = static_cast<std::byte>(prng.uniform(256));
  return Payload{std::move(bytes)};
}

/// A valid Membership over node ids 1..9: voters (never empty), learners disjoint from them,
/// sometimes outgoing voters (a joint configuration, thesis §4.3).
inline Membership random_membership(Prng& prng) {
  Membership membership;
  for (std::uint64_t id = 1; id <= 9; ++id) {
    switch (prng.uniform(3)) {
      case 0:
        membership.voters.emplace_back(id);
        break;
      case 1:
        membership.learners.emplace_back(id);
        break;
      default:
        break;
    }
  }
  if (membership.voters.empty()) {
    membership.voters.emplace_back(10);
  }
  if (prng.uniform(2) == 0) {
    for (std::uint64_t id = 11; id <= 13; ++id) {
      if (prng.uniform(2) == 0) membership.outgoing_voters.emplace_back(id);
    }
    membership.auto_leave = membership.joint() && prng.uniform(2) == 0;
  }
  return membership;
}

/// A random message whose body is alternative `kind` of MessageBody.
inline Message random_message(Prng& prng, std::size_t kind,
                              const RandomMessageLimits& limits = {}) {
  // Terms stay below 2^62 so that entry terms (drawn at or below the message's) stay valid.
  const Term term{prng.uniform(3) == 0 ? prng.uniform(5) : prng.next() >> 2};
  Message message{NodeId{1 + prng.uniform(1000)}, NodeId{1 + prng.uniform(1000)}, term,
                  TimeoutNow{}};
  const auto index = [&] { return Index{random_u64(prng)}; };
  const auto older_term = [&] { return Term{prng.uniform(term.value() + 1)}; };
  const auto coin = [&] { return prng.uniform(2) == 0; };
  // Election priority, 0 (never lead) included: it must survive the trip as itself.
  const auto priority = [&] { return static_cast<std::uint32_t>(prng.uniform(4)); };
  switch (kind) {
    case 0:
      message.body = VoteRequest{index(), older_term(), coin(), coin(), priority()};
      break;
    case 1:
      message.body = VoteReply{coin(), coin(),
                               static_cast<VoteDenial>(prng.uniform(
                                   static_cast<std::uint64_t>(VoteDenial::kLowerPriority) + 1))};
      break;
    case 2: {
      AppendRequest request{Index{prng.uniform(1U << 20)}, older_term(), index(), {}};
      Term entry_term = request.prev_log_term;
      const auto count = static_cast<std::size_t>(prng.uniform(limits.max_entries + 1));
      for (std::size_t i = 0; i < count; ++i) {
        entry_term = Term{entry_term.value() + prng.uniform(term.value() - entry_term.value() + 1)};
        Entry entry{entry_term,
                    request.prev_log_index + (i + 1),
                    static_cast<EntryType>(prng.uniform(3)),
                    {}};
        entry.payload = entry.type == EntryType::kConfig
                            ? encode_membership(random_membership(prng))
                            : random_payload(prng, limits.max_payload_bytes);
        request.entries.push_back(std::move(entry));
      }
      message.body = std::move(request);
      break;
    }
    case 3:
      message.body = AppendReply{coin(), index(), index(), Term{random_u64(prng)}, priority()};
      break;
    case 4:
      message.body = Heartbeat{index(), random_u64(prng)};
      break;
    case 5:
      message.body = HeartbeatReply{random_u64(prng), priority()};
      break;
    case 6:
      message.body = TimeoutNow{};
      break;
    case 7:
      message.body = ReadIndexRequest{random_u64(prng)};
      break;
    case 8:
      message.body = ReadIndexReply{random_u64(prng), index(), coin()};
      break;
    case 9: {
      InstallSnapshot snapshot;
      snapshot.meta =
          SnapshotMeta{Index{1 + prng.uniform(1U << 30)}, older_term(), random_membership(prng)};
      snapshot.data = random_payload(prng, limits.max_payload_bytes);
      snapshot.offset = prng.uniform(1U << 20);
      snapshot.done = coin();
      snapshot.total_bytes =
          snapshot.offset + snapshot.data.size() + (snapshot.done ? 0 : prng.uniform(1U << 20));
      message.body = std::move(snapshot);
      break;
    }
    default:
      message.body = InstallSnapshotReply{index(), random_u64(prng), coin(), coin()};
      break;
  }
  return message;
}

}  // namespace raft::transport::testing
