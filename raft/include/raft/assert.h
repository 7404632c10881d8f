// SPDX-License-Identifier: Apache-2.0
// Assertions for programmer errors. They stay on in release builds: a Raft
// node that has broken an invariant must stop before it corrupts a log.
#pragma once

#include <source_location>

namespace raft::detail {

/// Prints "file:line: assertion failed: expr" (and the message, if any) to
/// stderr and aborts. Never returns.
[[noreturn]] void assert_failed(const char* expression, const char* message,
                                std::source_location location) noexcept;

}  // namespace raft::detail

/// Checks an invariant in every build type; aborts with file and line when it
/// does not hold. Use for programmer errors only: bad input is a Status.
#define RAFT_ASSERT(expression)  \
  (static_cast<bool>(expression) \
       ? void(0)                 \
       : ::raft::detail::assert_failed(#expression, nullptr, std::source_location::current()))

/// RAFT_ASSERT with an explanation printed beside the expression.
#define RAFT_ASSERT_MSG(expression, message) \
  (static_cast<bool>(expression)             \
       ? void(0)                             \
       : ::raft::detail::assert_failed(#expression, message, std::source_location::current()))

/// Expensive (O(n)) checks: on in debug builds and whenever RAFT_EXPENSIVE_CHECKS
/// is defined (the tests and the simulator define it), off in release.
#if !defined(NDEBUG) || defined(RAFT_EXPENSIVE_CHECKS)
#define RAFT_DASSERT(expression) RAFT_ASSERT(expression)
#else
#define RAFT_DASSERT(expression) void(0)
#endif

/// Marks code that cannot be reached when the surrounding invariants hold.
#define RAFT_UNREACHABLE() \
  ::raft::detail::assert_failed("unreachable", nullptr, std::source_location::current())
