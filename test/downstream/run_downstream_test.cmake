# Driver of the CTest test `downstream_install` (run with cmake -P): installs reel's build tree into a fresh
# prefix, checks that the installed headers include only installed files, configures and builds
# test/downstream against that prefix only, then runs the app.
#
# Inputs (-D): REEL_BINARY_DIR (the build tree to install), DOWNSTREAM_SOURCE_DIR, WORK_DIR (scratch folder,
# emptied first), GENERATOR, CXX_COMPILER, and optionally CXX_LAUNCHER and SANITIZE (REEL_SANITIZE's value,
# so the app links the same sanitizer runtime as libreel).
cmake_minimum_required(VERSION 3.25)

foreach(required REEL_BINARY_DIR DOWNSTREAM_SOURCE_DIR WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "run_downstream_test.cmake: -D${required}=... is required")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
set(app_build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

message(STATUS "installing ${REEL_BINARY_DIR} into ${prefix}")
execute_process(COMMAND ${CMAKE_COMMAND} --install ${REEL_BINARY_DIR} --prefix ${prefix}
  OUTPUT_QUIET COMMAND_ERROR_IS_FATAL ANY)

# The installed headers must be self-contained: every `#include "..."` in them (relative to the including
# header, as reel's headers write them) must name a file that was installed too.
file(GLOB_RECURSE installed_headers ${prefix}/include/reel/*.h ${prefix}/include/reel/*.def)
if(NOT installed_headers)
  message(FATAL_ERROR "no headers were installed under ${prefix}/include/reel")
endif()
foreach(header IN LISTS installed_headers)
  file(STRINGS ${header} include_lines REGEX "^[ \t]*#[ \t]*include[ \t]+\"")
  get_filename_component(header_dir ${header} DIRECTORY)
  foreach(line IN LISTS include_lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]+\"([^\"]+)\".*" "\\1" included "${line}")
    if(NOT EXISTS ${header_dir}/${included})
      message(FATAL_ERROR "installed header ${header} includes \"${included}\", which was not installed")
    endif()
  endforeach()
endforeach()
list(LENGTH installed_headers header_count)
message(STATUS "${header_count} installed headers include only installed files")

set(configure_args -S ${DOWNSTREAM_SOURCE_DIR} -B ${app_build} -G ${GENERATOR}
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_PREFIX_PATH=${prefix})
if(CXX_LAUNCHER)
  list(APPEND configure_args -DCMAKE_CXX_COMPILER_LAUNCHER=${CXX_LAUNCHER})
endif()
if(SANITIZE)
  list(APPEND configure_args "-DCMAKE_CXX_FLAGS=-fsanitize=${SANITIZE}"
    "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${SANITIZE}")
endif()
message(STATUS "configuring the downstream project against ${prefix}")
execute_process(COMMAND ${CMAKE_COMMAND} ${configure_args} COMMAND_ERROR_IS_FATAL ANY)

message(STATUS "building the downstream project")
execute_process(COMMAND ${CMAKE_COMMAND} --build ${app_build} COMMAND_ERROR_IS_FATAL ANY)

message(STATUS "running the downstream app")
execute_process(COMMAND ${app_build}/app COMMAND_ERROR_IS_FATAL ANY)
