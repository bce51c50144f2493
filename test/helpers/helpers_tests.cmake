# helpers/: maps (semantics, errors, concurrency), the helper table and each built-in
# helper called directly, program types.
add_executable(helpers_tests
  helpers/maps_test.cc
  helpers/maps_more_types_test.cc
  helpers/ringbuf_test.cc
  helpers/helpers_test.cc
  helpers/program_types_test.cc
)
target_link_libraries(helpers_tests PRIVATE bpfjit_helpers GTest::gtest_main Threads::Threads)
# The kernel's answers to host map operations (recorded by helpers/kernel_maps/record.py).
target_compile_definitions(helpers_tests PRIVATE
  BPFJIT_KERNEL_MAP_OPS="${CMAKE_CURRENT_SOURCE_DIR}/helpers/kernel_maps/kernel_map_ops.tsv")
bpfjit_warnings(helpers_tests)
gtest_discover_tests(helpers_tests DISCOVERY_TIMEOUT 60)

# Maps under concurrent use, also run under ThreadSanitizer.
add_executable(helpers_concurrency_tests helpers/maps_concurrency_test.cc)
target_link_libraries(helpers_concurrency_tests PRIVATE bpfjit_helpers GTest::gtest_main
                      Threads::Threads)
bpfjit_warnings(helpers_concurrency_tests)
bpfjit_tsan_tests(helpers_concurrency_tests)
