# The worked examples of runtime/examples/, built and run: each test generates the inputs,
# runs the example and checks its output against expectations computed independently.
find_package(Python3 COMPONENTS Interpreter)
if(NOT TARGET Python3::Interpreter)
  message(WARNING "python3 not found: the examples' output checks are not registered")
endif()

if(TARGET example_policy_service AND TARGET Python3::Interpreter)
  add_test(NAME examples.policy_service
    COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/examples/policy_check.py
            $<TARGET_FILE:example_policy_service> ${BPFJIT_EXAMPLES_BPF_DIR}/policy_v1.o
            ${BPFJIT_EXAMPLES_BPF_DIR}/policy_v2.o ${CMAKE_CURRENT_BINARY_DIR}/examples-work/policy)
  set_tests_properties(examples.policy_service PROPERTIES TIMEOUT 120)

  add_test(NAME examples.pricing
    COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/examples/pricing_check.py
            $<TARGET_FILE:example_pricing> ${BPFJIT_EXAMPLES_BPF_DIR}/pricing.o
            ${BPFJIT_EXAMPLES_BPF_DIR}/pricing_refused1.o ${BPFJIT_EXAMPLES_BPF_DIR}/pricing_refused2.o
            ${BPFJIT_EXAMPLES_BPF_DIR}/pricing_refused3.o ${CMAKE_CURRENT_BINARY_DIR}/examples-work/pricing)
  set_tests_properties(examples.pricing PROPERTIES TIMEOUT 60)
endif()

if(TARGET example_policy)
  # The policy service's threads in-process; also under ThreadSanitizer.
  add_executable(example_policy_tests examples/policy_service_test.cc)
  target_link_libraries(example_policy_tests PRIVATE example_policy GTest::gtest_main)
  target_compile_definitions(example_policy_tests PRIVATE
    BPFJIT_EXAMPLES_BPF_DIR="${BPFJIT_EXAMPLES_BPF_DIR}")
  add_dependencies(example_policy_tests example_bpf_objects)
  bpfjit_warnings(example_policy_tests)
  bpfjit_tsan_tests(example_policy_tests)
endif()

if(TARGET example_xdp_flows AND TARGET Python3::Interpreter)
  add_test(NAME examples.xdp_flows
    COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/examples/xdp_flows_check.py
            $<TARGET_FILE:example_xdp_flows> ${BPFJIT_EXAMPLES_BPF_DIR}/xdp_flows.o
            ${CMAKE_CURRENT_BINARY_DIR}/examples-work/xdp_flows)
  set_tests_properties(examples.xdp_flows PROPERTIES TIMEOUT 60)
endif()

# runtime/examples/gtest_xdp: a GoogleTest suite written with bpfjit/testing.h.
if(TARGET example_bpf_objects)
  add_executable(example_gtest_xdp ${PROJECT_SOURCE_DIR}/runtime/examples/gtest_xdp/xdp_guard_test.cc)
  target_link_libraries(example_gtest_xdp PRIVATE bpfjit GTest::gtest_main)
  target_compile_definitions(example_gtest_xdp PRIVATE XDP_GUARD_DIR="${BPFJIT_EXAMPLES_BPF_DIR}")
  add_dependencies(example_gtest_xdp example_bpf_objects)
  bpfjit_warnings(example_gtest_xdp)
  gtest_discover_tests(example_gtest_xdp TEST_PREFIX examples.gtest_xdp. DISCOVERY_TIMEOUT 60)
endif()
