# The installed package, as an outside project uses it (package/package_test.sh): install,
# headers on their own, exported symbols, find_package (shared and static), pkg-config.
# In a sanitizer or coverage build the installed libraries are instrumented, so the
# consumers are built with the same flags (their runtimes must be linked in).
if(TARGET bpfjit_shared AND TARGET bpfjit_cli)
  set(_package_san "")
  if(BPFJIT_SANITIZE)
    set(_package_san "-fsanitize=address,undefined -fno-sanitize-recover=undefined")
  elseif(BPFJIT_COVERAGE)
    set(_package_san "--coverage")
  endif()
  add_test(NAME package.install_and_consume
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/package/package_test.sh
            ${CMAKE_COMMAND} ${CMAKE_BINARY_DIR} ${CMAKE_CURRENT_BINARY_DIR}/package-work
            ${CMAKE_CURRENT_SOURCE_DIR}/package/consumer ${BPFJIT_BPF_PROGS_DIR}
            ${CMAKE_C_COMPILER} ${CMAKE_CXX_COMPILER} ${PROJECT_VERSION} "${_package_san}")
  set_tests_properties(package.install_and_consume PROPERTIES LABELS package TIMEOUT 300)
endif()
