# RaftTarget.cmake — one call per raftsim library: target, alias, includes, C++20, warnings,
# install/export registration and the header self-containment check.
#
#   raft_add_library(NAME <target> ALIAS <namespace>::<name>
#                    SOURCES <file>...
#                    [PUBLIC_INCLUDE <dir>]          # default: ${CMAKE_CURRENT_SOURCE_DIR}/include
#                    [DEPS <target>...]              # linked PUBLIC (part of the API)
#                    [PRIVATE_DEPS <target>...]      # linked PRIVATE (implementation only)
#                    [NO_INSTALL]                    # never install/export this library
#                    [NO_HEADER_CHECK])              # skip raft_check_headers
#
# Example (raft/CMakeLists.txt):
#   raft_add_library(NAME raft_core ALIAS raft::core
#                    SOURCES src/node.cc src/log.cc
#                    DEPS fmt::fmt)
#
# What it does:
#   - add_library(<target>) (static unless BUILD_SHARED_LIBS) and add_library(<ALIAS> ALIAS ...);
#     the exported name is the part after "::", so the installed package has the same
#     `raft::core` that add_subdirectory/FetchContent users see.
#   - PUBLIC include dir: $<BUILD_INTERFACE:<dir>> / $<INSTALL_INTERFACE:include>;
#     target_compile_features(PUBLIC cxx_std_20).
#   - links DEPS PUBLIC, PRIVATE_DEPS PRIVATE, and $<BUILD_INTERFACE:raft_warnings> PRIVATE.
#   - when RAFT_INSTALL: install(TARGETS ... EXPORT raftsimTargets) into the GNUInstallDirs
#     locations, and install(DIRECTORY <dir>/ DESTINATION include) for the headers. The export
#     set is installed once by the top-level CMakeLists.txt.
#   - raft_check_headers(TARGET <target> DIR <dir>) unless NO_HEADER_CHECK.
#
# A target written by hand instead must do the same things itself; in particular link the
# warnings as `PRIVATE $<BUILD_INTERFACE:raft_warnings>`, set EXPORT_NAME, and guard its
# install(TARGETS ... EXPORT ${RAFT_EXPORT_SET} ...) with `if(RAFT_INSTALL)`.
include_guard(GLOBAL)

include(GNUInstallDirs)
include(CheckHeaders)

# The export set every installable raftsim library joins (installed by the top level).
set(RAFT_EXPORT_SET raftsimTargets)

function(raft_add_library)
  cmake_parse_arguments(PARSE_ARGV 0 arg "NO_INSTALL;NO_HEADER_CHECK" "NAME;ALIAS;PUBLIC_INCLUDE"
                        "SOURCES;DEPS;PRIVATE_DEPS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "raft_add_library: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_NAME OR NOT arg_ALIAS OR NOT arg_SOURCES)
    message(FATAL_ERROR "raft_add_library: NAME, ALIAS and SOURCES are required.")
  endif()
  if(NOT arg_ALIAS MATCHES "^[A-Za-z0-9_]+::([A-Za-z0-9_]+)$")
    message(FATAL_ERROR "raft_add_library: ALIAS '${arg_ALIAS}' must look like ns::name.")
  endif()
  set(export_name "${CMAKE_MATCH_1}")
  if(NOT arg_PUBLIC_INCLUDE)
    set(arg_PUBLIC_INCLUDE "${CMAKE_CURRENT_SOURCE_DIR}/include")
  endif()
  get_filename_component(include_dir "${arg_PUBLIC_INCLUDE}" ABSOLUTE
                         BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")

  add_library(${arg_NAME} ${arg_SOURCES})
  add_library(${arg_ALIAS} ALIAS ${arg_NAME})
  set_target_properties(${arg_NAME} PROPERTIES EXPORT_NAME ${export_name})
  target_include_directories(${arg_NAME} PUBLIC $<BUILD_INTERFACE:${include_dir}>
                                                $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(${arg_NAME} PUBLIC cxx_std_20)
  target_link_libraries(${arg_NAME}
    PUBLIC ${arg_DEPS}
    PRIVATE ${arg_PRIVATE_DEPS} $<BUILD_INTERFACE:raft_warnings>)

  if(RAFT_INSTALL AND NOT arg_NO_INSTALL)
    install(TARGETS ${arg_NAME} EXPORT ${RAFT_EXPORT_SET}
            ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
            LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
            RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
    install(DIRECTORY "${include_dir}/" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
            FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")
  endif()

  if(NOT arg_NO_HEADER_CHECK)
    raft_check_headers(TARGET ${arg_NAME} DIR "${include_dir}")
  endif()
endfunction()
