# Test support shared by every test fragment: reading the conformance suite's data.
add_library(bpfjit_test_support STATIC support/conformance.cc)
target_include_directories(bpfjit_test_support PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(bpfjit_test_support PUBLIC bpfjit_isa bpfjit_fmt)
target_compile_definitions(bpfjit_test_support
  PRIVATE BPFJIT_CONFORMANCE_DIR="${BPFJIT_CONFORMANCE_DIR}")
bpfjit_warnings(bpfjit_test_support)
