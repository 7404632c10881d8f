// SPDX-License-Identifier: Apache-2.0
// The exactly-once check (thesis §6.3) of the StateChecker, fed by hand: a
// write through a session executed twice on one replica is a violation; one
// without a session is counted; a restart starts the replica's count afresh.
#include "raft/sim/state_checker.h"

#include <gtest/gtest.h>

namespace raft::sim {
namespace {

TEST(ExactlyOnceCheck, SessionWriteExecutedTwiceIsAViolation) {
  StateChecker checker;
  checker.on_write_executed(Time{}, NodeId{1}, 3, 7, true);
  checker.on_write_executed(Time{}, NodeId{2}, 3, 7, true);  // Another replica: fine.
  EXPECT_TRUE(checker.ok());
  checker.on_write_executed(Time{}, NodeId{2}, 3, 7, true);
  ASSERT_FALSE(checker.ok());
  EXPECT_EQ(checker.violations().front().property, "Exactly Once");
  EXPECT_EQ(checker.violations().front().node, NodeId{2});
  EXPECT_EQ(checker.duplicate_writes(), 1U);
}

TEST(ExactlyOnceCheck, WritesWithoutSessionsAreCountedOncePerWrite) {
  StateChecker checker;
  for (std::uint32_t node = 1; node <= 3; ++node) {
    checker.on_write_executed(Time{}, NodeId{node}, 1, 1, false);
    checker.on_write_executed(Time{}, NodeId{node}, 1, 1, false);
    checker.on_write_executed(Time{}, NodeId{node}, 1, 2, false);
  }
  EXPECT_TRUE(checker.ok());
  EXPECT_EQ(checker.duplicate_writes(), 1U) << "one logical write, on three replicas";
}

TEST(ExactlyOnceCheck, RestartedReplicaAppliesTheLogAgain) {
  StateChecker checker;
  checker.on_write_executed(Time{}, NodeId{1}, 1, 1, true);
  checker.on_restart(NodeId{1}, HardState{});
  checker.on_write_executed(Time{}, NodeId{1}, 1, 1, true);
  EXPECT_TRUE(checker.ok());
  EXPECT_EQ(checker.duplicate_writes(), 0U);
}

}  // namespace
}  // namespace raft::sim
