// SPDX-License-Identifier: Apache-2.0
#include "etcd_gateway.h"

#include <array>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace raft::kv_client::etcd {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int decode_char(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]) << 16U) |
                   static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1]) << 8U) |
                   static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18U) & 63U];
    out += kAlphabet[(n >> 12U) & 63U];
    out += kAlphabet[(n >> 6U) & 63U];
    out += kAlphabet[n & 63U];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]) << 16U);
    if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1]) << 8U);
    out += kAlphabet[(n >> 18U) & 63U];
    out += kAlphabet[(n >> 12U) & 63U];
    out += rest == 2 ? kAlphabet[(n >> 6U) & 63U] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  unsigned bits = 0;
  for (const char c : text) {
    const int v = decode_char(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6U) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFFU);
    }
  }
  return out;
}

std::string put_body(std::string_view key, std::string_view value) {
  return nlohmann::json{{"key", base64_encode(key)}, {"value", base64_encode(value)}}.dump();
}

std::string range_body(std::string_view key, bool serializable) {
  nlohmann::json body{{"key", base64_encode(key)}};
  if (serializable) body["serializable"] = true;
  return body.dump();
}

std::string delete_body(std::string_view key) {
  return nlohmann::json{{"key", base64_encode(key)}}.dump();
}

std::optional<std::string> range_value(std::string_view body, std::string* error) {
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    if (error != nullptr) *error = "range response is not a JSON object";
    return std::nullopt;
  }
  // protobuf's JSON mapping omits empty fields: no "kvs" means no such key.
  const auto kvs = json.find("kvs");
  if (kvs == json.end() || !kvs->is_array() || kvs->empty()) return std::nullopt;
  const auto& first = kvs->front();
  const auto value = first.find("value");
  if (value == first.end()) return std::string{};  // an empty value is omitted too
  if (!value->is_string()) {
    if (error != nullptr) *error = "range response: kvs[0].value is not a string";
    return std::nullopt;
  }
  auto decoded = base64_decode(value->get<std::string>());
  if (!decoded && error != nullptr) *error = "range response: kvs[0].value is not base64";
  return decoded;
}

}  // namespace raft::kv_client::etcd
