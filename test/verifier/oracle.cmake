# The kernel as an oracle for the verifier catalogues (test/verifier/catalogue/*.txt):
# bpfjit-kernel-oracle loads each case with bpf(BPF_PROG_LOAD) and compares the kernel's
# verdict with the expectation; kernel_oracle_tests does so for a few files under CTest and
# skips where bpf() is unavailable.
add_library(bpfjit_kernel_oracle STATIC verifier/kernel_oracle_lib.cc)
target_include_directories(bpfjit_kernel_oracle PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(bpfjit_kernel_oracle PUBLIC bpfjit_isa bpfjit_fmt PRIVATE bpfjit_elf_libs)
bpfjit_warnings(bpfjit_kernel_oracle)

add_executable(bpfjit-kernel-oracle verifier/kernel_oracle.cc)
target_link_libraries(bpfjit-kernel-oracle PRIVATE bpfjit_kernel_oracle)
bpfjit_warnings(bpfjit-kernel-oracle)

add_executable(kernel_oracle_tests verifier/kernel_oracle_test.cc)
target_link_libraries(kernel_oracle_tests PRIVATE bpfjit_kernel_oracle GTest::gtest_main)
target_compile_definitions(kernel_oracle_tests
  PRIVATE BPFJIT_CATALOGUE_DIR="${CMAKE_CURRENT_SOURCE_DIR}/verifier/catalogue")
bpfjit_warnings(kernel_oracle_tests)
gtest_discover_tests(kernel_oracle_tests DISCOVERY_TIMEOUT 60)
