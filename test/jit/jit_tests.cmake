# Tests of the x86-64 JIT: per-operation semantics, checked mode, W^X, and differential
# testing against the interpreter with random programs (progen, reusable by other tests).
add_library(bpfjit_progen STATIC
  jit/progen.cc
  jit/differential.cc
)
target_link_libraries(bpfjit_progen PUBLIC bpfjit_jit bpfjit_interp bpfjit_isa PRIVATE bpfjit_fmt)
bpfjit_warnings(bpfjit_progen)

add_executable(jit_tests
  jit/jit_semantics_test.cc
  jit/jit_checked_test.cc
  jit/jit_differential_test.cc
  jit/jit_engine_test.cc
  jit/jit_loops_test.cc
  jit/jit_harden_test.cc
  jit/jit_switch_test.cc
  jit/jit_inline_test.cc
)
target_link_libraries(jit_tests PRIVATE bpfjit_progen bpfjit_engine bpfjit_jit bpfjit_isa
  GTest::gtest_main bpfjit_spdlog bpfjit_fmt)
if(BPFJIT_SANITIZE OR BPFJIT_TSAN)
  # Sanitized runs are ~10x slower: fewer random programs keep the test short.
  target_compile_definitions(jit_tests PRIVATE BPFJIT_JIT_FUZZ_SEEDS=2000)
endif()
bpfjit_warnings(jit_tests)
gtest_discover_tests(jit_tests DISCOVERY_TIMEOUT 60)

# The JIT's in-place array map lookups against the map helper (needs the helpers' maps).
add_executable(jit_maps_tests jit/jit_array_lookup_test.cc)
target_link_libraries(jit_maps_tests PRIVATE bpfjit_jit bpfjit_helpers bpfjit_isa
  GTest::gtest_main bpfjit_fmt)
bpfjit_warnings(jit_maps_tests)
gtest_discover_tests(jit_maps_tests DISCOVERY_TIMEOUT 60)

# The long mode of the differential test: bpfjit-fuzz --seeds N --start S [--trusted]
add_executable(bpfjit-fuzz jit/fuzz_main.cc)
target_link_libraries(bpfjit-fuzz PRIVATE bpfjit_progen)
bpfjit_warnings(bpfjit-fuzz)
