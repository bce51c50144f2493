# The Python bindings (runtime/python/bpfjit/): pure Python over the C API of libbpfjit.so
# with ctypes, nothing compiled. bpfjit/_config.py, written here, tells the package where
# libbpfjit.so is:
#   build tree  <build>/python/bpfjit/: a copy of the package whose _config.py names the
#               build's libbpfjit.so (PYTHONPATH=<build>/python);
#   installed   <prefix>/${BPFJIT_PYTHON_DIR}/bpfjit/: _config.py names the installed
#               library by a path relative to the package, so `--prefix` may move it
#               (PYTHONPATH=<prefix>/${BPFJIT_PYTHON_DIR}; Debian's python3 finds
#               /usr/lib/python3/dist-packages by itself).
# $BPFJIT_LIBRARY overrides both.
if(NOT TARGET bpfjit_shared)
  return()
endif()
set(BPFJIT_PYTHON_DIR "lib/python3/dist-packages" CACHE STRING
    "where `cmake --install` puts the Python package bpfjit, relative to the prefix")

set(_py_src ${CMAKE_CURRENT_LIST_DIR}/bpfjit)
set(_py_files __init__.py _capi.py)
set(_py_build ${CMAKE_BINARY_DIR}/python/bpfjit)
set(_py_outputs)
foreach(f IN LISTS _py_files)
  add_custom_command(OUTPUT ${_py_build}/${f}
    COMMAND ${CMAKE_COMMAND} -E copy_if_different ${_py_src}/${f} ${_py_build}/${f}
    DEPENDS ${_py_src}/${f}
    COMMENT "python/bpfjit/${f}"
    VERBATIM)
  list(APPEND _py_outputs ${_py_build}/${f})
endforeach()
file(GENERATE OUTPUT ${_py_build}/_config.py CONTENT
  "# Written by CMake: the libbpfjit.so of this build tree.\nLIBRARY = \"$<TARGET_FILE:bpfjit_shared>\"\n")
add_custom_target(bpfjit_python ALL DEPENDS ${_py_outputs} bpfjit_shared)

# The installed package finds the installed library relative to itself.
if(IS_ABSOLUTE "${BPFJIT_PYTHON_DIR}")
  set(_py_lib_dir ${CMAKE_INSTALL_FULL_LIBDIR})
else()
  file(RELATIVE_PATH _py_lib_dir /p/${BPFJIT_PYTHON_DIR}/bpfjit /p/${CMAKE_INSTALL_LIBDIR})
  string(REGEX REPLACE "/$" "" _py_lib_dir "${_py_lib_dir}")
endif()
file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/python-install/_config.py CONTENT
  "# Written by CMake at install: the installed libbpfjit.so, relative to this package.\nLIBRARY = \"${_py_lib_dir}/$<TARGET_SONAME_FILE_NAME:bpfjit_shared>\"\n")
list(TRANSFORM _py_files PREPEND ${_py_src}/ OUTPUT_VARIABLE _py_install_files)
install(FILES ${_py_install_files} ${CMAKE_BINARY_DIR}/python-install/_config.py
  DESTINATION ${BPFJIT_PYTHON_DIR}/bpfjit)
