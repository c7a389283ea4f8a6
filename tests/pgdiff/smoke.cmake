# Runs the driver on smoke.in and compares its output with smoke.expected.
execute_process(COMMAND ${DRIVER} INPUT_FILE ${INPUT}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pgdiff_driver exited with ${rc}\n${err}")
endif()
file(READ ${EXPECTED} expected)
if(NOT out STREQUAL expected)
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/smoke.actual "${out}")
  message(FATAL_ERROR "pgdiff_driver output differs from ${EXPECTED}; got:\n${out}")
endif()
message(STATUS "pgdiff_driver smoke: output matches")
