# samples/run_if_data.cmake — runs a sample's smoke test only when its data are installed.
#   cmake -DPROGRAM=<exe> -DDATA=<path> -DARGS="a;b;c" -P run_if_data.cmake
# When DATA does not exist it prints "SKIPPED: ... not installed", which the test's SKIP_REGULAR_EXPRESSION turns
# into CTest's "Skipped"; otherwise it fails when the program does.
if(NOT EXISTS "${DATA}")
  message("SKIPPED: ${DATA} is not installed")
  return()
endif()
execute_process(COMMAND ${PROGRAM} ${ARGS} RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} exited with ${result}")
endif()
