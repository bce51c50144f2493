# The Python bindings (runtime/python/bpfjit) and the pytest example
# (runtime/examples/pytest_xdp), run against the build tree's package (<build>/python).
#
# The bindings' suite needs only python3's standard library. The example needs pytest and
# scapy (python3-pytest, python3-scapy): the first of python3 and /usr/bin/python3 that can
# import both runs it.
#
# In a sanitizer build libbpfjit.so is instrumented and python3 is not: the sanitizer
# runtimes are preloaded, and leak detection is off (the interpreter's own allocations
# at exit are not leaks of ours).
find_package(Python3 COMPONENTS Interpreter)
if(NOT TARGET bpfjit_python OR NOT TARGET Python3::Interpreter)
  message(WARNING "no python3 or no libbpfjit.so: the Python tests are not registered")
  return()
endif()

set(_py_env
  PYTHONPATH=${CMAKE_BINARY_DIR}/python
  PYTHONDONTWRITEBYTECODE=1
  BPFJIT_BPF_PROGS_DIR=${BPFJIT_BPF_PROGS_DIR}
  BPFJIT_EXAMPLES_BPF_DIR=${BPFJIT_EXAMPLES_BPF_DIR})
if(BPFJIT_SANITIZE)
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so
                  OUTPUT_VARIABLE _asan OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libubsan.so
                  OUTPUT_VARIABLE _ubsan OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(_py_preload ${_asan}:${_ubsan})
  list(APPEND _py_env ASAN_OPTIONS=detect_leaks=0)
endif()

# The layout of bpfjit.h's structs, for the bindings' ctypes declarations.
add_executable(python_abi_layout python/abi_layout.c)
target_link_libraries(python_abi_layout PRIVATE bpfjit_c)
bpfjit_warnings(python_abi_layout)

add_test(NAME python.bindings
  COMMAND Python3::Interpreter -m unittest -v bindings_test
  WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/python)
set_tests_properties(python.bindings PROPERTIES LABELS python TIMEOUT 120
  ENVIRONMENT "${_py_env};LD_PRELOAD=${_py_preload};BPFJIT_ABI_LAYOUT=$<TARGET_FILE:python_abi_layout>;BPFJIT_EXPECTED_VERSION=${PROJECT_VERSION}")

# The installed Python bindings (test/package/python_package_test.sh): imported from a
# fresh prefix, and from the prefix moved.
add_test(NAME package.python
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/package/python_package_test.sh
          ${CMAKE_COMMAND} ${CMAKE_BINARY_DIR} ${CMAKE_CURRENT_BINARY_DIR}/package-python
          $<TARGET_FILE:Python3::Interpreter> ${BPFJIT_PYTHON_DIR}
          ${BPFJIT_EXAMPLES_BPF_DIR}/xdp_guard.o)
# (the script preloads the sanitizers into python3 alone: cmake --install hangs under them)
set_tests_properties(package.python PROPERTIES LABELS package TIMEOUT 300
  ENVIRONMENT "${_py_env};BPFJIT_PYTHON_PRELOAD=${_py_preload}")

# The pytest example: an interpreter with pytest and scapy.
set(_pytest_python)
foreach(candidate ${Python3_EXECUTABLE} /usr/bin/python3)
  if(NOT _pytest_python AND EXISTS ${candidate})
    execute_process(COMMAND ${candidate} -c "import pytest, scapy"
                    RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
    if(_rc EQUAL 0)
      set(_pytest_python ${candidate})
    endif()
  endif()
endforeach()
if(NOT _pytest_python)
  message(WARNING "no python3 with pytest and scapy (python3-pytest, python3-scapy): "
                  "examples.pytest_xdp is not registered")
  return()
endif()
add_test(NAME examples.pytest_xdp
  COMMAND ${_pytest_python} -m pytest -q -p no:cacheprovider
          ${PROJECT_SOURCE_DIR}/runtime/examples/pytest_xdp
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/examples/pytest_xdp)
set_tests_properties(examples.pytest_xdp PROPERTIES LABELS python TIMEOUT 120
  ENVIRONMENT "${_py_env};LD_PRELOAD=${_py_preload};XDP_GUARD_OBJECT=${BPFJIT_EXAMPLES_BPF_DIR}/xdp_guard.o")
