# Warnings.cmake — the `raft_warnings` INTERFACE target: the warning flags for raftsim's own
# code. Link it PRIVATE and through BUILD_INTERFACE, so it never reaches a consumer and never
# appears in the installed/exported package:
#
#   target_link_libraries(raft_core PRIVATE $<BUILD_INTERFACE:raft_warnings>)
#
# (Executables and test targets, which are never exported, may link it plainly PRIVATE.)
# RAFT_WERROR=ON adds -Werror (CI builds with it: `make build` passes it when CI=true).
include_guard(GLOBAL)

if(TARGET raft_warnings)
  return()
endif()

add_library(raft_warnings INTERFACE)

if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(raft_warnings INTERFACE
    -Wall
    -Wextra
    -Wpedantic
    -Wshadow
    -Wconversion
    -Wsign-conversion
    -Wold-style-cast
    -Wnon-virtual-dtor
    -Woverloaded-virtual
    -Wnull-dereference
    -Wimplicit-fallthrough
    $<$<BOOL:${RAFT_WERROR}>:-Werror>)
elseif(MSVC)
  target_compile_options(raft_warnings INTERFACE
    /W4 /permissive-
    $<$<BOOL:${RAFT_WERROR}>:/WX>)
endif()
