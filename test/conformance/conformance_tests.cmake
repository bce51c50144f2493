# The conformance suite (../shared/conformance/cases.tsv) run on every engine.
add_executable(conformance_tests conformance/conformance_test.cc)
target_link_libraries(conformance_tests PRIVATE bpfjit_engine GTest::gtest_main)
target_compile_definitions(conformance_tests
  PRIVATE BPFJIT_CONFORMANCE_DIR="${BPFJIT_CONFORMANCE_DIR}")
bpfjit_warnings(conformance_tests)
# One CTest entry for the whole binary: the 313 cases per engine each are a gtest test (the
# binary's output names every failing file), but one process per case would cost CTest
# minutes under the sanitizers.
add_test(NAME conformance_tests COMMAND conformance_tests)
