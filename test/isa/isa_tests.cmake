# The ISA layer's tests: decoder, assembler, disassembler (one binary, isa_tests).
add_executable(isa_tests
  isa/decode_test.cc
  isa/asm_test.cc
  isa/roundtrip_test.cc
)
target_link_libraries(isa_tests PRIVATE bpfjit_isa bpfjit_test_support GTest::gtest_main)
bpfjit_warnings(isa_tests)
gtest_discover_tests(isa_tests DISCOVERY_TIMEOUT 30)
