// SPDX-License-Identifier: Apache-2.0
#include "duration.h"

#include <cmath>
#include <string>

namespace raft::kv_client {

Result<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  const auto bad = [&] {
    return Status{ErrorCode::kInvalidArgument,
                  "duration '" + std::string(text) + "': expected e.g. 250ms, 1s, 1.5s, 2m"};
  };
  std::size_t digits = 0;
  while (digits < text.size() &&
         ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.')) {
    ++digits;
  }
  if (digits == 0) return bad();
  double number = 0;
  try {
    std::size_t used = 0;
    number = std::stod(std::string(text.substr(0, digits)), &used);
    if (used != digits) return bad();
  } catch (const std::exception&) {
    return bad();
  }
  const auto unit = text.substr(digits);
  double scale = 0;
  if (unit.empty() || unit == "s") {
    scale = 1e9;
  } else if (unit == "ms") {
    scale = 1e6;
  } else if (unit == "us") {
    scale = 1e3;
  } else if (unit == "ns") {
    scale = 1;
  } else if (unit == "m") {
    scale = 60e9;
  } else {
    return bad();
  }
  return std::chrono::nanoseconds{static_cast<std::int64_t>(std::llround(number * scale))};
}

}  // namespace raft::kv_client
