# The C API from C: one executable, compiled as C11 with -pedantic, one CTest test per case.
add_executable(capi_tests capi/capi_test.c)
set_target_properties(capi_tests PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
target_link_libraries(capi_tests PRIVATE bpfjit_c)
target_compile_options(capi_tests PRIVATE -Wpedantic)
target_compile_definitions(capi_tests PRIVATE
  BPFJIT_BPF_PROGS_DIR="${BPFJIT_BPF_PROGS_DIR}"
  BPFJIT_EXPECTED_VERSION="${PROJECT_VERSION}")
add_dependencies(capi_tests bpf_progs)
bpfjit_warnings(capi_tests)
foreach(case errors xdp_maps reuse_maps mem_verify load_bytes refused_and_globals ringbuf queue_stack
             kernel_map_types host limits
        version program_load_error kconfig_and_core test_run skb_test_run host_environment)
  add_test(NAME capi.${case} COMMAND capi_tests ${case})
  set_tests_properties(capi.${case} PROPERTIES LABELS capi TIMEOUT 60)
endforeach()
