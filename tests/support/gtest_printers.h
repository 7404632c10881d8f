// SPDX-License-Identifier: Apache-2.0
// GoogleTest printers for the core's vocabulary types, so that a failed EXPECT_EQ shows
// "term 3" rather than raw bytes. Found by argument-dependent lookup.
#pragma once

#include <ostream>

#include "raft/events.h"
#include "raft/status.h"
#include "raft/types.h"

namespace raft {

inline void PrintTo(NodeId id, std::ostream* os) { *os << "node " << id.value(); }
inline void PrintTo(Term term, std::ostream* os) { *os << "term " << term.value(); }
inline void PrintTo(Index index, std::ostream* os) { *os << "index " << index.value(); }
inline void PrintTo(Role role, std::ostream* os) { *os << to_string(role); }
inline void PrintTo(RoleChangeReason reason, std::ostream* os) { *os << to_string(reason); }
inline void PrintTo(ErrorCode code, std::ostream* os) { *os << to_string(code); }
inline void PrintTo(const Status& status, std::ostream* os) { *os << status.to_string(); }

}  // namespace raft
