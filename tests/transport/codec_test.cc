// SPDX-License-Identifier: Apache-2.0
// The message codec (transport/codec.h): every message kind survives encode/decode with random
// contents, and decode() refuses garbage, truncations and well-formed but invalid messages
// with the error code and a message that names the field.
//
// Replay one seed:  RAFT_SEED=123 ./build/release/tests/transport_codec_test
#include "raft/transport/codec.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "raft/membership.h"
#include "raft/message.h"
#include "raft/prng.h"
#include "raft/transport/frame.h"
#include "support/gtest_printers.h"
#include "transport/random_message.h"

namespace raft::transport {
namespace {

using testing::as_bytes;
using ::testing::HasSubstr;
using testing::random_message;
using testing::RandomMessageLimits;
using testing::seeds;

std::string replay(std::uint64_t seed) { return testing::replay(seed, "transport_codec_test"); }

std::string hex(std::initializer_list<unsigned> bytes) {
  std::string out;
  for (const unsigned byte : bytes) out.push_back(static_cast<char>(byte));
  return out;
}

constexpr std::size_t kKinds = std::variant_size_v<MessageBody>;

TEST(CodecRoundTrip, EveryMessageKindWithRandomContents) {
  for (const std::uint64_t seed : seeds(200)) {
    SCOPED_TRACE(replay(seed));
    Prng prng{seed};
    for (std::size_t kind = 0; kind < kKinds; ++kind) {
      const Message message = random_message(prng, kind);
      ASSERT_EQ(message.body.index(), kind);
      const Result<std::string> encoded = encode(message);
      ASSERT_TRUE(encoded.ok()) << encoded.status().to_string();
      const Result<Message> decoded = decode(as_bytes(*encoded));
      ASSERT_TRUE(decoded.ok()) << message_type_name(kind) << ": " << decoded.status().to_string();
      ASSERT_EQ(*decoded, message) << message_type_name(kind);
    }
  }
}

TEST(CodecRoundTrip, LargeEntriesAndSnapshotChunks) {
  const std::uint64_t seed = seeds(1).front();
  SCOPED_TRACE(replay(seed));
  Prng prng{seed};
  // A batch of many entries, some of them large (a single entry may exceed the batching limit).
  Message append = random_message(prng, 2, RandomMessageLimits{2000, 4096});
  auto& request = std::get<AppendRequest>(append.body);
  if (!request.entries.empty()) {
    request.entries.front().type = EntryType::kNormal;
    request.entries.front().payload = testing::random_payload(prng, std::size_t{3} << 20);
  }
  // A whole 1 MiB snapshot chunk (Config::snapshot_chunk_bytes), the last of its snapshot.
  Message snapshot = random_message(prng, 9);
  auto& chunk = std::get<InstallSnapshot>(snapshot.body);
  chunk.data = testing::random_payload(prng, 0);
  std::vector<std::byte> data(std::size_t{1} << 20);
  for (std::byte& byte : data) byte = static_cast<std::byte>(prng.uniform(256));
  chunk.data = Payload{std::move(data)};
  chunk.done = true;
  chunk.total_bytes = chunk.offset + chunk.data.size();

  for (const Message& message : {append, snapshot}) {
    const Result<std::string> encoded = encode(message);
    ASSERT_TRUE(encoded.ok()) << encoded.status().to_string();
    const Result<Message> decoded = decode(as_bytes(*encoded));
    ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
    EXPECT_TRUE(*decoded == message) << message_type_name(message);
  }
}

TEST(CodecRoundTrip, ThroughFramesFedInRandomPieces) {
  for (const std::uint64_t seed : seeds(20)) {
    SCOPED_TRACE(replay(seed));
    Prng prng{seed};
    std::vector<Message> sent;
    std::string stream;
    for (int i = 0; i < 50; ++i) {
      sent.push_back(random_message(prng, static_cast<std::size_t>(prng.uniform(kKinds))));
      const Result<std::string> encoded = encode(sent.back());
      ASSERT_TRUE(encoded.ok());
      ASSERT_TRUE(append_frame(stream, FrameKind::kMessage, as_bytes(*encoded)).ok());
    }
    FrameDecoder decoder;
    std::vector<Message> received;
    std::size_t at = 0;
    while (at < stream.size()) {
      const std::size_t piece = std::min<std::size_t>(stream.size() - at, 1 + prng.uniform(300));
      ASSERT_TRUE(decoder.feed(as_bytes(stream).subspan(at, piece)).ok());
      at += piece;
      while (true) {
        Result<std::optional<Frame>> frame = decoder.next();
        ASSERT_TRUE(frame.ok()) << frame.status().to_string();
        if (!frame->has_value()) break;
        ASSERT_EQ((*frame)->kind, FrameKind::kMessage);
        Result<Message> message = decode((*frame)->payload);
        ASSERT_TRUE(message.ok()) << message.status().to_string();
        received.push_back(std::move(message).value());
      }
    }
    EXPECT_EQ(received, sent);
    EXPECT_EQ(decoder.buffered(), 0U);
  }
}

// A strict prefix of an encoding either fails to decode or decodes to another message: proto3
// omits default fields, so every byte of an encoding carries something.
TEST(CodecDecode, EveryTruncationFailsOrDiffers) {
  for (const std::uint64_t seed : seeds(20)) {
    SCOPED_TRACE(replay(seed));
    Prng prng{seed};
    for (std::size_t kind = 0; kind < kKinds; ++kind) {
      const Message message = random_message(prng, kind);
      const std::string encoded = *encode(message);
      for (std::size_t size = 0; size < encoded.size(); ++size) {
        const Result<Message> decoded = decode(as_bytes(encoded).first(size));
        if (decoded.ok()) {
          EXPECT_NE(*decoded, message) << message_type_name(kind) << " prefix " << size;
        } else {
          EXPECT_THAT(decoded.status().code(),
                      ::testing::AnyOf(ErrorCode::kCorruption, ErrorCode::kInvalidArgument));
        }
      }
    }
  }
}

// Random bytes and random bit flips of valid encodings: decode() returns, whatever it is fed
// (the sanitizer builds turn any out-of-bounds read into a failure), and what it accepts
// re-encodes to something that decodes to the same message.
TEST(CodecDecode, GarbageAndBitFlipsNeverCrash) {
  for (const std::uint64_t seed : seeds(20)) {
    SCOPED_TRACE(replay(seed));
    Prng prng{seed};
    std::size_t refused = 0;
    for (int i = 0; i < 500; ++i) {
      std::string bytes;
      if (prng.uniform(2) == 0) {
        bytes.resize(static_cast<std::size_t>(prng.uniform(200)));
        for (char& byte : bytes) byte = static_cast<char>(prng.uniform(256));
      } else {
        bytes = *encode(random_message(prng, static_cast<std::size_t>(prng.uniform(kKinds))));
        if (bytes.empty()) continue;
        const auto flips = 1 + prng.uniform(4);
        for (std::uint64_t f = 0; f < flips; ++f) {
          const auto at = static_cast<std::size_t>(prng.uniform(bytes.size()));
          bytes[at] = static_cast<char>(bytes[at] ^ (1 << prng.uniform(8)));
        }
      }
      const Result<Message> decoded = decode(as_bytes(bytes));
      if (!decoded.ok()) {
        ++refused;
        continue;
      }
      const Result<Message> again = decode(as_bytes(*encode(*decoded)));
      ASSERT_TRUE(again.ok()) << again.status().to_string();
      EXPECT_EQ(*again, *decoded);
    }
    EXPECT_GT(refused, 0U) << "garbage should mostly be refused";
  }
}

Message message_with(MessageBody body) {
  return Message{NodeId{1}, NodeId{2}, Term{5}, std::move(body)};
}

Status decode_status(const Message& message) { return decode(as_bytes(*encode(message))).status(); }

Status decode_status(const std::string& bytes) { return decode(as_bytes(bytes)).status(); }

AppendRequest append_of(std::vector<Entry> entries) {
  return AppendRequest{Index{10}, Term{3}, Index{9}, std::move(entries)};
}

TEST(CodecDecode, RefusesMalformedBytes) {
  const Status garbage = decode_status(hex({0xff, 0xff, 0xff}));
  EXPECT_EQ(garbage.code(), ErrorCode::kCorruption);
  EXPECT_THAT(garbage.message(), HasSubstr("not a raft message"));

  // Empty input and an envelope with a body kind this build does not know (field 30).
  for (const std::string& bytes :
       {std::string{}, hex({0x08, 0x01, 0x10, 0x02, 0xf2, 0x01, 0x00})}) {
    const Status status = decode_status(bytes);
    EXPECT_EQ(status.code(), ErrorCode::kCorruption);
    EXPECT_THAT(status.message(), HasSubstr("Envelope.body: missing"));
  }
}

TEST(CodecDecode, RefusesNodeIdZero) {
  Message message = message_with(TimeoutNow{});
  message.from = NodeId{};
  EXPECT_THAT(decode_status(message).message(), HasSubstr("Envelope.from: node id 0"));
  message = message_with(TimeoutNow{});
  message.to = NodeId{};
  EXPECT_EQ(decode_status(message).code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(decode_status(message).message(), HasSubstr("Envelope.to"));
}

TEST(CodecDecode, RefusesEntriesThatBreakLogMatching) {
  const auto entry = [](std::uint64_t term, std::uint64_t index, EntryType type) {
    return Entry{Term{term}, Index{index}, type, Payload{std::string_view{"x"}}};
  };
  // Not right after prev_log_index (10).
  Status status = decode_status(message_with(append_of({entry(3, 12, EntryType::kNormal)})));
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("entries[0].index: 12, expected 11"));
  // A gap in the middle.
  status = decode_status(message_with(
      append_of({entry(3, 11, EntryType::kNormal), entry(3, 13, EntryType::kNormal)})));
  EXPECT_THAT(status.message(), HasSubstr("entries[1].index"));
  // Terms going backwards, below prev_log_term, or beyond the message's term (5).
  status = decode_status(message_with(
      append_of({entry(4, 11, EntryType::kNormal), entry(3, 12, EntryType::kNormal)})));
  EXPECT_THAT(status.message(), HasSubstr("entries[1].term"));
  status = decode_status(message_with(append_of({entry(2, 11, EntryType::kNormal)})));
  EXPECT_THAT(status.message(), HasSubstr("entries[0].term"));
  status = decode_status(message_with(append_of({entry(6, 11, EntryType::kNormal)})));
  EXPECT_THAT(status.message(), HasSubstr("entries[0].term: 6"));
  status = decode_status(message_with(AppendRequest{Index{10}, Term{6}, Index{9}, {}}));
  EXPECT_THAT(status.message(), HasSubstr("prev_log_term"));
  // prev_log_index at the end of the index space: the next index would wrap to 0.
  status = decode_status(message_with(
      AppendRequest{Index{UINT64_MAX}, Term{3}, Index{9}, {entry(3, 0, EntryType::kNormal)}}));
  EXPECT_THAT(status.message(), HasSubstr("entries[0].index"));
}

TEST(CodecDecode, RefusesUnknownEnumValues) {
  Status status = decode_status(
      message_with(append_of({Entry{Term{3}, Index{11}, static_cast<EntryType>(7), Payload{}}})));
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("entries[0].type: unknown entry type 7"));
  status = decode_status(message_with(VoteReply{false, false, static_cast<VoteDenial>(42)}));
  EXPECT_THAT(status.message(), HasSubstr("VoteReply.denial: unknown value 42"));
}

TEST(CodecDecode, RefusesConfigEntriesWithoutAValidMembership) {
  Status status = decode_status(message_with(append_of(
      {Entry{Term{3}, Index{11}, EntryType::kConfig, Payload{std::string_view{"junk"}}}})));
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("entries[0].payload"));
  Membership no_voters;
  no_voters.learners = {NodeId{1}};
  status = decode_status(message_with(
      append_of({Entry{Term{3}, Index{11}, EntryType::kConfig, encode_membership(no_voters)}})));
  EXPECT_THAT(status.message(), HasSubstr("entries[0].payload"));
}

TEST(CodecDecode, RefusesInconsistentSnapshotChunks) {
  InstallSnapshot chunk;
  chunk.meta = SnapshotMeta{Index{100}, Term{4}, Membership{{NodeId{1}, NodeId{2}}, {}, {}, false}};
  chunk.offset = 10;
  chunk.data = Payload{std::string_view{"abcdef"}};
  chunk.total_bytes = 12;  // the chunk ends at 16
  Status status = decode_status(message_with(chunk));
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("ends past total_bytes 12"));

  chunk.total_bytes = 20;
  chunk.done = true;  // the last chunk must end at total_bytes
  EXPECT_THAT(decode_status(message_with(chunk)).message(), HasSubstr("last chunk ends at 16"));

  chunk.done = false;
  chunk.meta.term = Term{6};
  EXPECT_THAT(decode_status(message_with(chunk)).message(), HasSubstr("meta.term: 6"));

  chunk.meta.term = Term{4};
  chunk.meta.membership.voters = {NodeId{2}, NodeId{1}};  // unsorted
  EXPECT_THAT(decode_status(message_with(chunk)).message(),
              HasSubstr("InstallSnapshot.meta.membership"));

  chunk.meta.membership.voters = {NodeId{1}};
  chunk.meta.index = Index{};
  EXPECT_THAT(decode_status(message_with(chunk)).message(), HasSubstr("meta.index: 0"));
  ASSERT_TRUE(decode(as_bytes(*encode(message_with(InstallSnapshot{
                         SnapshotMeta{Index{1}, Term{1}, chunk.meta.membership}, 0, {}, true, 0}))))
                  .ok());

  // Hand-made envelopes (from 1, to 2, term 1): no meta, then a meta without membership.
  status = decode_status(hex({0x08, 0x01, 0x10, 0x02, 0x18, 0x01, 0x9a, 0x01, 0x00}));
  EXPECT_THAT(status.message(), HasSubstr("InstallSnapshot.meta: missing"));
  status = decode_status(
      hex({0x08, 0x01, 0x10, 0x02, 0x18, 0x01, 0x9a, 0x01, 0x04, 0x0a, 0x02, 0x08, 0x01}));
  EXPECT_THAT(status.message(), HasSubstr("InstallSnapshot.meta.membership: missing"));
}

TEST(CodecHandshake, RoundTripAndChecks) {
  const Handshake hello{"prod-coordinators", NodeId{2}, NodeId{1}, kWireVersion};
  const Result<std::string> encoded = encode_handshake(hello);
  ASSERT_TRUE(encoded.ok());
  const Result<Handshake> decoded = decode_handshake(as_bytes(*encoded));
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, hello);

  const std::vector<NodeId> peers{NodeId{1}, NodeId{2}, NodeId{3}};
  EXPECT_TRUE(check_handshake(hello, "prod-coordinators", NodeId{1}, peers).ok());
  // The sender did not know whom it reached (peer none): still fine.
  EXPECT_TRUE(check_handshake(Handshake{"prod-coordinators", NodeId{3}, NodeId{}, kWireVersion},
                              "prod-coordinators", NodeId{1}, peers)
                  .ok());

  Status status = check_handshake(hello, "staging", NodeId{1}, peers);
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("belongs to cluster 'prod-coordinators', not 'staging'"));
  status = check_handshake(Handshake{"prod-coordinators", NodeId{9}, NodeId{1}, kWireVersion},
                           "prod-coordinators", NodeId{1}, peers);
  EXPECT_THAT(status.message(), HasSubstr("node 9 is not a peer of node 1"));
  status = check_handshake(Handshake{"prod-coordinators", NodeId{1}, NodeId{1}, kWireVersion},
                           "prod-coordinators", NodeId{1}, peers);
  EXPECT_THAT(status.message(), HasSubstr("is not a peer"));
  status = check_handshake(hello, "prod-coordinators", NodeId{3}, peers);
  EXPECT_THAT(status.message(), HasSubstr("meant to reach node 1, but reached node 3"));
  status = check_handshake(Handshake{"prod-coordinators", NodeId{2}, NodeId{1}, kWireVersion + 1},
                           "prod-coordinators", NodeId{1}, peers);
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("wire version"));
}

TEST(CodecHandshake, RefusesBadHandshakes) {
  Status status =
      decode_handshake(
          as_bytes(*encode_handshake(Handshake{"c", NodeId{}, NodeId{1}, kWireVersion})))
          .status();
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("Handshake.node_id: node id 0"));
  status = decode_handshake(
               as_bytes(*encode_handshake(Handshake{std::string(kMaxClusterIdBytes + 1, 'x'),
                                                    NodeId{1}, NodeId{}, kWireVersion})))
               .status();
  EXPECT_THAT(status.message(), HasSubstr("Handshake.cluster_id: 129 bytes"));
  status = decode_handshake(
               as_bytes(*encode_handshake(Handshake{"bad\nid", NodeId{1}, NodeId{}, kWireVersion})))
               .status();
  EXPECT_THAT(status.message(), HasSubstr("byte 0x0a is not printable ASCII"));
  status = decode_handshake(as_bytes(hex({0x0a, 0x05, 0x61}))).status();
  EXPECT_EQ(status.code(), ErrorCode::kCorruption);
  EXPECT_THAT(status.message(), HasSubstr("not a handshake"));
}

// Writes the fuzzer's seed corpus (tests/fuzz/corpus/codec/): one frame stream per message
// kind, plus a handshake. The fuzz target's first byte picks its mode, see codec_fuzz.cc.
// Run by hand: RAFT_CORPUS_DIR=tests/fuzz/corpus/codec tests/transport_codec_test
//                --gtest_also_run_disabled_tests --gtest_filter='*WriteFuzzCorpus*'
TEST(CodecFuzzCorpus, DISABLED_WriteFuzzCorpus) {
  const char* dir = std::getenv("RAFT_CORPUS_DIR");
  ASSERT_NE(dir, nullptr) << "set RAFT_CORPUS_DIR";
  Prng prng{7};
  const auto write = [&](const std::string& name, char mode, const std::string& body) {
    std::ofstream out{std::filesystem::path{dir} / name, std::ios::binary};
    out << mode << body;
  };
  for (std::size_t kind = 0; kind < kKinds; ++kind) {
    const std::string encoded = *encode(random_message(prng, kind));
    std::string stream;
    ASSERT_TRUE(append_frame(stream, FrameKind::kMessage, as_bytes(encoded)).ok());
    const std::string name{message_type_name(kind)};
    write(fmt::format("frame-{}", name), '\x00', stream);
    write(fmt::format("codec-{}", name), '\x01', encoded);
  }
  std::string stream;
  ASSERT_TRUE(append_frame(stream, FrameKind::kHandshake,
                           as_bytes(*encode_handshake(
                               Handshake{"cluster", NodeId{1}, NodeId{2}, kWireVersion})))
                  .ok());
  write("frame-Handshake", '\x00', stream);
}

}  // namespace
}  // namespace raft::transport
