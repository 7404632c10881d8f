// SPDX-License-Identifier: Apache-2.0
#include "raft/assert.h"

#include <cstdio>
#include <cstdlib>

namespace raft::detail {

void assert_failed(const char* expression, const char* message,
                   std::source_location location) noexcept {
  // fprintf, not fmt: this must work even if formatting is what broke.
  std::fprintf(stderr, "%s:%u: %s: assertion failed: %s%s%s\n", location.file_name(),
               static_cast<unsigned>(location.line()), location.function_name(), expression,
               message != nullptr ? " — " : "", message != nullptr ? message : "");
  std::fflush(stderr);
  std::abort();
}

}  // namespace raft::detail
