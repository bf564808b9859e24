# samples/same_training.cmake — a sample trained twice with the same seed, eagerly and with automatic batching, must
# give the same metrics (samples/common/compare_metrics.cpp says how close). Issue 18: "the tagger, the Tree-LSTM and
# the modular network train with batching to the same accuracy as without".
#   cmake -DPROGRAM=<exe> -DCOMPARE=<sample_compare_metrics> -DMETRICS=<name>_metrics.csv [-DDATA=<path>]
#         "-DARGS=a;b" "-DBATCHED=--autobatch;N" -P same_training.cmake
# When DATA is given and does not exist it prints "SKIPPED: ... not installed" (CTest's SKIP_REGULAR_EXPRESSION).
if(DATA AND NOT EXISTS "${DATA}")
  message("SKIPPED: ${DATA} is not installed")
  return()
endif()
foreach(mode eager batched)
  file(REMOVE_RECURSE ${mode})
  file(MAKE_DIRECTORY ${mode})
  set(extra)
  if(mode STREQUAL "batched")
    set(extra ${BATCHED})
  endif()
  execute_process(COMMAND ${PROGRAM} ${ARGS} ${extra} --out ${mode} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${PROGRAM} (${mode}) exited with ${result}")
  endif()
endforeach()
execute_process(COMMAND ${COMPARE} eager/${METRICS} batched/${METRICS} RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the eager and the batched run of ${PROGRAM} trained differently")
endif()
