# Sanitizers.cmake — applies RAFT_SANITIZERS to every target defined in this directory and
# below (add_compile_options/add_link_options: the flags must reach every object and the link
# of every executable, tests included). Included once, from the top-level CMakeLists.txt.
#
#   RAFT_SANITIZERS=""                   none (the default)
#   RAFT_SANITIZERS="address;undefined"  ASan + UBSan (preset asan-ubsan, `make test-asan`)
#   RAFT_SANITIZERS="thread"             TSan (preset tsan)
#
# Every report is fatal (-fno-sanitize-recover=all), and frame pointers are kept so that the
# stack traces are readable. Runtime options go in ASAN_OPTIONS/UBSAN_OPTIONS/TSAN_OPTIONS.
include_guard(GLOBAL)

if(NOT RAFT_SANITIZERS)
  return()
endif()

set(_raft_sanitizers_known address undefined thread leak)
foreach(_raft_sanitizer IN LISTS RAFT_SANITIZERS)
  if(NOT _raft_sanitizer IN_LIST _raft_sanitizers_known)
    message(FATAL_ERROR "RAFT_SANITIZERS: unknown sanitizer '${_raft_sanitizer}' "
                        "(known: ${_raft_sanitizers_known}).")
  endif()
endforeach()

if("thread" IN_LIST RAFT_SANITIZERS AND ("address" IN_LIST RAFT_SANITIZERS OR
                                         "leak" IN_LIST RAFT_SANITIZERS))
  # The compilers reject the combination outright; say so here rather than at the first
  # compile. Use two build trees (presets asan-ubsan and tsan) instead.
  message(FATAL_ERROR "RAFT_SANITIZERS='${RAFT_SANITIZERS}': the thread sanitizer does not "
                      "work together with the address or leak sanitizer. Use the asan-ubsan "
                      "and tsan presets separately.")
endif()

if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  message(FATAL_ERROR "RAFT_SANITIZERS is only supported with GCC or Clang "
                      "(compiler: ${CMAKE_CXX_COMPILER_ID}).")
endif()

if("thread" IN_LIST RAFT_SANITIZERS)
  # Boost.Asio brackets every handler it runs with std::atomic_thread_fence (its fenced_block),
  # which TSan does not model: GCC 12 warns (-Wtsan, an error under RAFT_WERROR) and TSan could
  # report false races. Asio's handler queues are mutex-protected, which TSan does see, so this
  # build turns the fences off rather than silencing the warning.
  add_compile_definitions(BOOST_ASIO_DISABLE_FENCED_BLOCK)
endif()

list(JOIN RAFT_SANITIZERS "," _raft_sanitizer_list)
message(STATUS "raftsim: sanitizers: ${_raft_sanitizer_list}")
add_compile_options(-fsanitize=${_raft_sanitizer_list} -fno-omit-frame-pointer
                    -fno-sanitize-recover=all)
add_link_options(-fsanitize=${_raft_sanitizer_list})
unset(_raft_sanitizer_list)
unset(_raft_sanitizers_known)
