# The conformance suite (../shared/conformance/cases.tsv) run on every engine.
add_executable(conformance_tests conformance/conformance_test.cc)
target_link_libraries(conformance_tests PRIVATE bpfjit_interp GTest::gtest_main)
target_compile_definitions(conformance_tests
  PRIVATE BPFJIT_CONFORMANCE_DIR="${BPFJIT_CONFORMANCE_DIR}")
bpfjit_warnings(conformance_tests)
gtest_discover_tests(conformance_tests DISCOVERY_TIMEOUT 60)
