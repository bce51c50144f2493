# The ELF loader, the public runtime API and the bpf-progs programs run end to end.
add_executable(loader_tests
  loader/loader_test.cc
  loader/malformed_test.cc
  loader/progs_test.cc
  loader/api_test.cc
  loader/ctx_rewrite_test.cc
  loader/object_shapes_test.cc
  loader/btf_relo_test.cc
  loader/harden_api_test.cc
  loader/memprot_test.cc
  loader/array_inline_test.cc
  loader/tail_jump_test.cc
)
target_link_libraries(loader_tests PRIVATE bpfjit bpfjit_elf_libs
                      GTest::gtest_main)
target_compile_definitions(loader_tests PRIVATE
  BPFJIT_BPF_PROGS_DIR="${BPFJIT_BPF_PROGS_DIR}"
  BPFJIT_TEST_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/loader/data")
add_dependencies(loader_tests bpf_progs)
bpfjit_warnings(loader_tests)
gtest_discover_tests(loader_tests DISCOVERY_TIMEOUT 60)

# `bpfjit run OBJ.o` and `bpfjit inspect OBJ.o` (when the CLI is built).
if(TARGET bpfjit_cli)
  add_test(NAME cli.object
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/loader/cli_object_test.sh
            $<TARGET_FILE:bpfjit_cli> ${BPFJIT_BPF_PROGS_DIR}
            ${CMAKE_CURRENT_BINARY_DIR}/cli-work/object)
  set_tests_properties(cli.object PROPERTIES TIMEOUT 60)
endif()

# The public API under concurrent use (runs, maps, counters, ring buffers, hot reload):
# also built and run under ThreadSanitizer.
add_executable(api_concurrency_tests loader/api_concurrency_test.cc)
target_link_libraries(api_concurrency_tests PRIVATE bpfjit GTest::gtest_main)
target_compile_definitions(api_concurrency_tests PRIVATE
  BPFJIT_BPF_PROGS_DIR="${BPFJIT_BPF_PROGS_DIR}")
add_dependencies(api_concurrency_tests bpf_progs)
bpfjit_warnings(api_concurrency_tests)
bpfjit_tsan_tests(api_concurrency_tests)

# The runtime's limits (README "Limits"): program size, the verifier's time and memory, map
# memory. Builds its objects with the soundness oracle's ELF writer.
add_executable(limits_tests loader/limits_test.cc soundness/elf_writer.cc)
target_include_directories(limits_tests PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(limits_tests PRIVATE bpfjit bpfjit_fmt PkgConfig::LIBBPF GTest::gtest_main)
target_compile_definitions(limits_tests PRIVATE BPFJIT_BPF_PROGS_DIR="${BPFJIT_BPF_PROGS_DIR}")
add_dependencies(limits_tests bpf_progs)
bpfjit_warnings(limits_tests)
gtest_discover_tests(limits_tests DISCOVERY_TIMEOUT 60)
