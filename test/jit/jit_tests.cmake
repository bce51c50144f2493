# Tests of the x86-64 JIT: per-operation semantics, checked mode, engine selection, W^X and
# differential testing against the interpreter.
add_executable(jit_tests
  jit/jit_semantics_test.cc
  jit/jit_checked_test.cc
)
target_link_libraries(jit_tests PRIVATE bpfjit_jit bpfjit_isa GTest::gtest_main fmt::fmt)
bpfjit_warnings(jit_tests)
gtest_discover_tests(jit_tests DISCOVERY_TIMEOUT 60)
