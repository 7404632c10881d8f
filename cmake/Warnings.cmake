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

# Not -Wnull-dereference: with GCC 12 at -O2 it fires inside libstdc++ (std::string
# and std::vector<bool> relocation inlined into our code), false positives we cannot fix.

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
    -Wimplicit-fallthrough
    # GCC 12 reports impossible memcpy overlaps for `"literal" + std::string`
    # (GCC bug 105329, fixed in 13).
    $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>
    # GCC 12 also reports "may be used uninitialized" when a std::variant holding
    # a std::vector is moved (GCC bugs 80635, 105562); -Wuninitialized stays on.
    $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-maybe-uninitialized>
    $<$<BOOL:${RAFT_WERROR}>:-Werror>)
elseif(MSVC)
  target_compile_options(raft_warnings INTERFACE
    /W4 /permissive-
    $<$<BOOL:${RAFT_WERROR}>:/WX>)
endif()
