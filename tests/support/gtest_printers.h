// SPDX-License-Identifier: Apache-2.0
// GoogleTest printers for the core's vocabulary types, so that a failed EXPECT_EQ shows
// "term 3" rather than raw bytes. Found by argument-dependent lookup.
#pragma once

#include <ostream>

#include <fmt/format.h>

#include "raft/entry.h"
#include "raft/events.h"
#include "raft/format.h"
#include "raft/log_reader.h"
#include "raft/message.h"
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
inline void PrintTo(VoteDenial denial, std::ostream* os) { *os << to_string(denial); }
inline void PrintTo(const Message& message, std::ostream* os) { *os << describe(message); }
inline void PrintTo(const Entry& entry, std::ostream* os) {
  *os << fmt::format("{}@{}(type {}, \"{}\")", entry.term, entry.index,
                     static_cast<int>(entry.type), entry.payload.as_string());
}
inline void PrintTo(const HardState& state, std::ostream* os) {
  *os << fmt::format("{{term {}, vote {}, commit {}}}", state.term, state.vote, state.commit);
}

}  // namespace raft
