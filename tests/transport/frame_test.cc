// SPDX-License-Identifier: Apache-2.0
// The frame layer (transport/frame.h): frames survive any split of the byte stream, every
// prefix of a frame waits for more bytes, and bad magic, version, kind, flags, oversize
// lengths and CRC mismatches are refused as early as possible, for good.
//
// Replay one seed:  RAFT_SEED=123 ./build/release/tests/transport_frame_test
#include "raft/transport/frame.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "raft/prng.h"
#include "support/gtest_printers.h"
#include "transport/random_message.h"

namespace raft::transport {
namespace {

using testing::as_bytes;
using ::testing::HasSubstr;
using testing::seeds;

std::string replay(std::uint64_t seed) { return testing::replay(seed, "transport_frame_test"); }

std::vector<std::byte> random_bytes(Prng& prng, std::size_t max) {
  std::vector<std::byte> bytes(static_cast<std::size_t>(prng.uniform(max + 1)));
  for (std::byte& byte : bytes) byte = static_cast<std::byte>(prng.uniform(256));
  return bytes;
}

std::string frame_of(FrameKind kind, std::span<const std::byte> payload) {
  std::string out;
  EXPECT_TRUE(append_frame(out, kind, payload).ok());
  return out;
}

/// Feeds `stream` in the given piece sizes (cycled) and collects every frame.
Result<std::vector<Frame>> decode_all(FrameDecoder& decoder, const std::string& stream, Prng* prng,
                                      std::size_t max_piece) {
  std::vector<Frame> frames;
  std::size_t at = 0;
  while (at < stream.size()) {
    const std::size_t piece =
        prng == nullptr ? 1
                        : std::min<std::size_t>(stream.size() - at, 1 + prng->uniform(max_piece));
    if (Status status = decoder.feed(as_bytes(stream).subspan(at, piece)); !status.ok()) {
      return status;
    }
    at += piece;
    while (true) {
      Result<std::optional<Frame>> frame = decoder.next();
      if (!frame.ok()) return frame.status();
      if (!frame->has_value()) break;
      frames.push_back(std::move(**frame));
    }
  }
  return frames;
}

TEST(Crc32c, KnownVectors) {
  // The check value of CRC-32C (RFC 3720, B.4) and the empty string.
  EXPECT_EQ(crc32c(as_bytes(std::string{"123456789"})), 0xE3069283U);
  EXPECT_EQ(crc32c({}), 0U);
  // 32 zero bytes (RFC 3720, B.4).
  const std::vector<std::byte> zeros(32);
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAU);
}

TEST(FrameEncode, HeaderLayout) {
  const std::string payload = "hello";
  const std::string frame = frame_of(FrameKind::kMessage, as_bytes(payload));
  ASSERT_EQ(frame.size(), kFrameHeaderBytes + payload.size());
  EXPECT_EQ(frame.substr(0, 4), "RAFT");
  EXPECT_EQ(frame[4], kFrameVersion);
  EXPECT_EQ(frame[5], static_cast<char>(FrameKind::kMessage));
  EXPECT_EQ(frame.substr(6, 6), std::string("\0\0\x05\0\0\0", 6));
  EXPECT_EQ(frame.substr(kFrameHeaderBytes), payload);
}

TEST(FrameEncode, RefusesOversizePayloadAndLeavesOutputAlone) {
  std::string out = "kept";
  const std::vector<std::byte> payload(101);
  const Status status = append_frame(out, FrameKind::kMessage, payload, 100);
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("101 bytes exceeds the maximum of 100"));
  EXPECT_EQ(out, "kept");
  EXPECT_TRUE(append_frame(out, FrameKind::kMessage, std::span{payload}.first(100), 100).ok());
}

TEST(FrameDecode, RandomFramesSurviveAnySplit) {
  for (const std::uint64_t seed : seeds(50)) {
    SCOPED_TRACE(replay(seed));
    Prng prng{seed};
    std::vector<Frame> sent;
    std::string stream;
    for (int i = 0; i < 30; ++i) {
      // Mostly small frames, now and then a large one, and empty payloads too.
      const std::size_t max = prng.uniform(10) == 0 ? 200'000 : 100;
      Frame frame{prng.uniform(2) == 0 ? FrameKind::kHandshake : FrameKind::kMessage,
                  random_bytes(prng, max)};
      ASSERT_TRUE(append_frame(stream, frame.kind, frame.payload).ok());
      sent.push_back(std::move(frame));
    }
    FrameDecoder decoder;
    const Result<std::vector<Frame>> received = decode_all(decoder, stream, &prng, 5000);
    ASSERT_TRUE(received.ok()) << received.status().to_string();
    EXPECT_TRUE(*received == sent);
    EXPECT_EQ(decoder.buffered(), 0U);
  }
}

TEST(FrameDecode, ByteByByte) {
  Prng prng{seeds(1).front()};
  std::string stream;
  std::vector<Frame> sent;
  for (int i = 0; i < 20; ++i) {
    sent.push_back(Frame{FrameKind::kMessage, random_bytes(prng, 300)});
    ASSERT_TRUE(append_frame(stream, FrameKind::kMessage, sent.back().payload).ok());
  }
  FrameDecoder decoder;
  const Result<std::vector<Frame>> received = decode_all(decoder, stream, nullptr, 1);
  ASSERT_TRUE(received.ok()) << received.status().to_string();
  EXPECT_TRUE(*received == sent);
}

TEST(FrameDecode, EveryPrefixWaitsForMoreBytes) {
  Prng prng{seeds(1).front()};
  const std::vector<std::byte> payload = random_bytes(prng, 64);
  const std::string frame = frame_of(FrameKind::kMessage, payload);
  for (std::size_t size = 0; size < frame.size(); ++size) {
    FrameDecoder decoder;
    ASSERT_TRUE(decoder.feed(as_bytes(frame).first(size)).ok()) << "prefix " << size;
    const Result<std::optional<Frame>> next = decoder.next();
    ASSERT_TRUE(next.ok()) << "prefix " << size;
    EXPECT_FALSE(next->has_value()) << "prefix " << size;
    EXPECT_EQ(decoder.buffered(), size);
  }
}

struct BadHeader {
  std::size_t at;      // the header byte changed
  char value;          // its new value
  std::string reason;  // what the error says
};

TEST(FrameDecode, RefusesBadHeadersAsSoonAsTheByteArrives) {
  const std::vector<BadHeader> cases{
      {0, 'G', "bad magic byte 0 (0x47, expected 0x52)"},  // "GET / HTTP/1.1"
      {3, 'X', "bad magic byte 3"},
      {4, 2, "unsupported frame version 2"},
      {5, 9, "unknown frame kind 9"},
      {7, 1, "unknown frame flags 0x0100"},
  };
  const std::string good = frame_of(FrameKind::kHandshake, as_bytes(std::string{"abc"}));
  for (const BadHeader& bad : cases) {
    SCOPED_TRACE(bad.reason);
    std::string frame = good;
    frame[bad.at] = bad.value;
    FrameDecoder decoder;
    // Byte by byte: the error comes with the offending byte (flags: with their second byte).
    Status status;
    std::size_t fed = 0;
    while (status.ok() && fed < frame.size()) {
      status = decoder.feed(as_bytes(frame).subspan(fed++, 1));
    }
    EXPECT_EQ(fed, bad.at + 1);
    EXPECT_EQ(status.code(), ErrorCode::kCorruption);
    EXPECT_THAT(status.message(), HasSubstr(bad.reason));
    EXPECT_THAT(status.message(), HasSubstr("frame at stream offset 0"));
    // Final: more bytes, even good ones, do not help.
    EXPECT_FALSE(decoder.feed(as_bytes(good)).ok());
    EXPECT_FALSE(decoder.next().ok());
    EXPECT_EQ(decoder.buffered(), 0U);
  }
}

TEST(FrameDecode, RefusesOversizeLengthBeforeThePayload) {
  std::string frame = frame_of(FrameKind::kMessage, std::vector<std::byte>(1001));
  FrameDecoder decoder{1000};
  // Twelve header bytes carry the length: refused there, not after buffering 1001 bytes.
  EXPECT_TRUE(decoder.feed(as_bytes(frame).first(11)).ok());
  const Status status = decoder.feed(as_bytes(frame).subspan(11, 1));
  EXPECT_EQ(status.code(), ErrorCode::kCorruption);
  EXPECT_THAT(status.message(), HasSubstr("payload length 1001 exceeds the maximum of 1000"));
  // A hostile 4 GiB length is refused the same way by the default decoder.
  frame[8] = frame[9] = frame[10] = frame[11] = '\xff';
  FrameDecoder large;
  EXPECT_THAT(large.feed(as_bytes(frame).first(kFrameHeaderBytes)).message(),
              HasSubstr("payload length 4294967295"));
}

TEST(FrameDecode, RefusesCorruptPayloadAndNamesTheFrame) {
  const std::string first = frame_of(FrameKind::kMessage, as_bytes(std::string{"first"}));
  std::string second = frame_of(FrameKind::kMessage, as_bytes(std::string{"second"}));
  second.back() = static_cast<char>(second.back() ^ 0x01);
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.feed(as_bytes(first + second)).ok());
  Result<std::optional<Frame>> frame = decoder.next();
  ASSERT_TRUE(frame.ok());
  ASSERT_TRUE(frame->has_value());
  frame = decoder.next();
  ASSERT_FALSE(frame.ok());
  EXPECT_EQ(frame.status().code(), ErrorCode::kCorruption);
  EXPECT_THAT(frame.status().message(),
              HasSubstr(fmt::format("frame at stream offset {}: payload CRC32C", first.size())));
}

TEST(FrameDecode, BadHeaderAfterAGoodFrameIsFoundWithoutAnotherFeed) {
  const std::string good = frame_of(FrameKind::kMessage, as_bytes(std::string{"ok"}));
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.feed(as_bytes(good + "HTTP")).ok());  // the "H" is not checked yet...
  ASSERT_TRUE(decoder.next().ok());                         // ...but is once the frame is out
  EXPECT_THAT(decoder.status().message(), HasSubstr("bad magic byte 0"));
}

TEST(FrameDecode, RandomGarbageNeverCrashes) {
  for (const std::uint64_t seed : seeds(50)) {
    SCOPED_TRACE(replay(seed));
    Prng prng{seed};
    std::string stream;
    // Sometimes a valid frame first, so garbage also lands mid-stream.
    if (prng.uniform(2) == 0) stream = frame_of(FrameKind::kMessage, random_bytes(prng, 50));
    const std::vector<std::byte> garbage = random_bytes(prng, 500);
    stream.append(reinterpret_cast<const char*>(garbage.data()), garbage.size());
    FrameDecoder decoder{4096};
    const Result<std::vector<Frame>> frames = decode_all(decoder, stream, &prng, 64);
    // Random bytes make a valid header (magic, version, kind, zero flags, CRC) with negligible
    // probability: the stream is refused, or it waits for more bytes.
    if (frames.ok()) {
      EXPECT_LE(frames->size(), 1U);
    } else {
      EXPECT_EQ(frames.status().code(), ErrorCode::kCorruption);
    }
  }
}

}  // namespace
}  // namespace raft::transport
