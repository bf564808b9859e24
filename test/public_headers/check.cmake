# Driver of the CTest test `public_headers` (run with cmake -P): what a program that includes <reel/reel.h> compiles.
#   1. reel.h, preprocessed alone (-E -P), is at most MAX_LINES lines: its headers use only light standard headers
#      (<memory>, <vector>, <string>, <optional>, ...), no {fmt}, <functional>, <map>, <thread>, <atomic>, ...
#      (docs/benchmarks.md, "Public header size", has the numbers and the command).
#   2. every header reel.h reaches is one of PUBLIC_HEADERS, the installed ones (CMakeLists.txt).
#   3. probe.cpp compiles: reel.h does not define the internals (KernelArgs, TensorIter, the kernel table, Node).
#
# Inputs (-D): CXX_COMPILER, INCLUDE_DIR (holds reel/, the source root), PUBLIC_HEADERS ('|'-separated, relative to
# the source root), MAX_LINES, PROBE_SOURCE, WORK_DIR.
cmake_minimum_required(VERSION 3.25)

foreach(required CXX_COMPILER INCLUDE_DIR PUBLIC_HEADERS MAX_LINES PROBE_SOURCE WORK_DIR)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "check.cmake: -D${required}=... is required")
  endif()
endforeach()
file(MAKE_DIRECTORY ${WORK_DIR})
set(source ${WORK_DIR}/include_reel.cpp)
file(WRITE ${source} "#include <reel/reel.h>\n")

# 1. the preprocessed size
execute_process(COMMAND ${CXX_COMPILER} -std=c++20 -E -P -I${INCLUDE_DIR} ${source}
  OUTPUT_VARIABLE preprocessed COMMAND_ERROR_IS_FATAL ANY)
string(LENGTH "${preprocessed}" with_newlines)
string(REPLACE "\n" "" without_newlines "${preprocessed}")
string(LENGTH "${without_newlines}" characters)
math(EXPR lines "${with_newlines} - ${characters}")
if(lines GREATER MAX_LINES)
  message(FATAL_ERROR "reel.h preprocesses to ${lines} lines, more than the limit of ${MAX_LINES}: a public header "
    "includes something heavy (preprocess each header of reel.h alone to find it)")
endif()
message(STATUS "reel.h preprocesses to ${lines} lines (limit ${MAX_LINES})")

# 2. only public headers reached
execute_process(COMMAND ${CXX_COMPILER} -std=c++20 -MM -I${INCLUDE_DIR} ${source}
  OUTPUT_VARIABLE dependencies COMMAND_ERROR_IS_FATAL ANY)
string(REPLACE "|" ";" public "${PUBLIC_HEADERS}")
string(REGEX MATCHALL "[^ \t\r\n\\\\]+" paths "${dependencies}")
set(reached 0)
foreach(path IN LISTS paths)
  cmake_path(SET path NORMALIZE "${path}")  # "autograd/../tensor/x.h" -> "tensor/x.h"
  if(path MATCHES "^${INCLUDE_DIR}/reel/(.+)$")
    set(header ${CMAKE_MATCH_1})
    math(EXPR reached "${reached} + 1")
    if(NOT header IN_LIST public)
      message(FATAL_ERROR "reel.h reaches ${header}, which is not among the public (installed) headers: keep it "
        "internal (include it from .cpp files only) or add it to REEL_PUBLIC_HEADERS in CMakeLists.txt")
    endif()
  endif()
endforeach()
if(reached EQUAL 0)
  message(FATAL_ERROR "found no reel header among reel.h's dependencies (${dependencies})")
endif()
message(STATUS "reel.h reaches ${reached} headers, all public")

# 3. internals out of sight
execute_process(COMMAND ${CXX_COMPILER} -std=c++20 -fsyntax-only -I${INCLUDE_DIR} ${PROBE_SOURCE}
  RESULT_VARIABLE probe_result ERROR_VARIABLE probe_errors)
if(NOT probe_result EQUAL 0)
  message(FATAL_ERROR "reel.h makes internals visible (test/public_headers/probe.cpp does not compile):\n${probe_errors}")
endif()
message(STATUS "reel.h keeps KernelArgs, TensorIter, OpAttrs, the kernel table and autograd::Node out of sight")
