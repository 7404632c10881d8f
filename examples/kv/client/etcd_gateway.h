// SPDX-License-Identifier: Apache-2.0
// etcd v3.4's gRPC-JSON gateway, the little of it the client and the benchmark speak, so the
// same client code drives both systems in the comparison (bench/). Keys and values travel
// base64-encoded in JSON bodies: POST /v3/kv/put {"key":..,"value":..}, /v3/kv/range, ...
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace raft::kv_client::etcd {

/// Standard base64 (RFC 4648 §4) with padding, as protobuf's JSON mapping writes bytes.
[[nodiscard]] std::string base64_encode(std::string_view bytes);

/// Decodes standard or URL-safe base64, padding optional; nullopt on a bad character.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

/// Body of POST /v3/kv/put.
[[nodiscard]] std::string put_body(std::string_view key, std::string_view value);

/// Body of POST /v3/kv/range for one key; `serializable` reads the local member's state
/// (etcd's counterpart of raft-kv's ?stale=1).
[[nodiscard]] std::string range_body(std::string_view key, bool serializable);

/// Body of POST /v3/kv/deleterange for one key.
[[nodiscard]] std::string delete_body(std::string_view key);

/// The value of the first kv in a range response; nullopt when absent (key not found) or when
/// the body is not the JSON expected (`error` then says why).
[[nodiscard]] std::optional<std::string> range_value(std::string_view body, std::string* error);

}  // namespace raft::kv_client::etcd
