# Runs the SDK test script with node, failing clearly when node is missing.
if(NOT NODE OR NOT EXISTS "${NODE}")
  message(FATAL_ERROR "${SCRIPT}: node was not found; install Node.js 18+ and npm to run the SDK tests")
endif()
execute_process(COMMAND "${NODE}" "${SCRIPT}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${SCRIPT} failed (${rc})")
endif()
