# tests/raft/cluster_tests.cmake — the whole-cluster tests on the tests/support harness.
# include()d by tests/CMakeLists.txt after add_subdirectory(support) (the harness library
# raft::test_support) and after raft_add_gtest() is defined.
#
#   raft_cluster_test     scenario tests: election, failover, check-quorum,   label unit
#                         replication, catch-up, and the checker's own tests
#   raft_randomized_test  RandomizedSafety.*: the seed sweep                  label randomized
#                         RandomizedDeterminism.*: replay determinism         label unit
#
# The sweep reads RAFT_SEED (one seed) or RAFT_SEED_BEGIN / RAFT_SEED_COUNT (default 1 / 300).

if(NOT TARGET raft_test_support)
  add_subdirectory("${CMAKE_CURRENT_LIST_DIR}/../support"
                   "${CMAKE_CURRENT_BINARY_DIR}/support")
endif()

raft_add_gtest(NAME raft_cluster_test
  SOURCES "${CMAKE_CURRENT_LIST_DIR}/cluster_election_test.cc"
  DEPS raft::test_support)

# Written out rather than through raft_add_gtest(): one executable, two labels.
add_executable(raft_randomized_test "${CMAKE_CURRENT_LIST_DIR}/randomized_safety_test.cc")
target_link_libraries(raft_randomized_test PRIVATE
  GTest::gtest_main raft::test_support $<BUILD_INTERFACE:raft_warnings>)
set_target_properties(raft_randomized_test PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
if(CMAKE_VERSION VERSION_LESS 3.22)  # no TEST_FILTER: everything under one label
  gtest_discover_tests(raft_randomized_test
    PROPERTIES LABELS randomized DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60)
  return()
endif()
gtest_discover_tests(raft_randomized_test
  TEST_FILTER "RandomizedSafety.*"
  PROPERTIES LABELS randomized
  DISCOVERY_MODE PRE_TEST
  DISCOVERY_TIMEOUT 60)
gtest_discover_tests(raft_randomized_test
  TEST_FILTER "RandomizedDeterminism.*"
  PROPERTIES LABELS unit
  DISCOVERY_MODE PRE_TEST
  DISCOVERY_TIMEOUT 60)
