# bpfjit/testing.h, the GoogleTest support for users' test suites: every expectation passes
# and fails when it should (gtest-spi), on both engines.
add_executable(testing_header_tests testing/testing_test.cc)
target_link_libraries(testing_header_tests PRIVATE bpfjit GTest::gtest_main)
target_compile_definitions(testing_header_tests PRIVATE
  BPFJIT_BPF_PROGS_DIR="${BPFJIT_BPF_PROGS_DIR}"
  BPFJIT_EXAMPLES_BPF_DIR="${BPFJIT_EXAMPLES_BPF_DIR}")
add_dependencies(testing_header_tests bpf_progs example_bpf_objects)
bpfjit_warnings(testing_header_tests)
gtest_discover_tests(testing_header_tests DISCOVERY_TIMEOUT 60)
