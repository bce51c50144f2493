# The interpreter: every ISA group and corner case, memory checks, calls, budget, helpers.
add_executable(interp_tests
  interp/interp_isa_test.cc
  interp/interp_machine_test.cc
)
target_link_libraries(interp_tests PRIVATE bpfjit_engine GTest::gtest_main)
bpfjit_warnings(interp_tests)
gtest_discover_tests(interp_tests DISCOVERY_TIMEOUT 60)
