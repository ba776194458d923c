# Runs a node script (with ARGS, a list) for a test, failing clearly when node is missing.
if(NOT NODE OR NOT EXISTS "${NODE}")
  message(FATAL_ERROR "sdk_compat: node was not found; install Node.js 20+ and npm to run the real-client tests")
endif()
execute_process(COMMAND "${NODE}" "${SCRIPT}" ${ARGS} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "sdk_compat: ${SCRIPT} failed (${rc})")
endif()
