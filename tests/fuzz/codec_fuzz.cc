// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the wire (issue 5, "Security and bad input"): whatever bytes a peer
// sends, the frame decoder and the codec return an error or a value, never crash, hang or
// read out of bounds (ASan/UBSan are on), and what they accept re-encodes to the same thing.
//
// The first input byte picks the mode, the rest is the data:
//   even: a byte stream for FrameDecoder, fed in pieces whose sizes come from the mode byte;
//         every frame is then decoded as a Handshake or a Message, by its kind;
//   odd:  the data goes straight to decode() and decode_handshake(), so the fuzzer explores the
//         codec without having to forge frame CRCs.
// Build and run: see tests/fuzz/README.md.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "raft/transport/codec.h"
#include "raft/transport/frame.h"

namespace {

using raft::transport::Frame;
using raft::transport::FrameDecoder;
using raft::transport::FrameKind;

void check(bool condition) {
  if (!condition) std::abort();  // a property broke: libFuzzer saves the input
}

std::span<const std::byte> as_bytes(const std::string& text) {
  return std::as_bytes(std::span{text.data(), text.size()});
}

// A value the codec accepted must survive encode/decode unchanged.
void codec(std::span<const std::byte> data) {
  if (auto message = raft::transport::decode(data); message.ok()) {
    const auto encoded = raft::transport::encode(*message);
    check(encoded.ok());
    const auto again = raft::transport::decode(as_bytes(*encoded));
    check(again.ok() && *again == *message);
  }
  if (auto handshake = raft::transport::decode_handshake(data); handshake.ok()) {
    const auto encoded = raft::transport::encode_handshake(*handshake);
    check(encoded.ok());
    const auto again = raft::transport::decode_handshake(as_bytes(*encoded));
    check(again.ok() && *again == *handshake);
  }
}

void frames(std::uint8_t mode, std::span<const std::byte> data) {
  // A small maximum, so that the fuzzer also reaches the oversize path.
  FrameDecoder decoder{1U << 16};
  const std::size_t piece = 1 + (mode >> 1);
  for (std::size_t at = 0; at < data.size(); at += piece) {
    if (!decoder.feed(data.subspan(at, std::min(piece, data.size() - at))).ok()) return;
    while (true) {
      auto frame = decoder.next();
      if (!frame.ok()) return;
      if (!frame->has_value()) break;
      const Frame& f = **frame;
      if (f.kind == FrameKind::kHandshake) {
        (void)raft::transport::decode_handshake(f.payload);
      } else {
        codec(f.payload);
      }
      // A frame that came out must re-frame to the same bytes' frame.
      std::string out;
      check(raft::transport::append_frame(out, f.kind, f.payload, 1U << 16).ok());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const std::byte> rest{reinterpret_cast<const std::byte*>(data) + 1, size - 1};
  if ((data[0] & 1U) != 0) {
    codec(rest);
  } else {
    frames(data[0], rest);
  }
  return 0;
}
