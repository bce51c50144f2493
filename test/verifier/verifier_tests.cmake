# The verifier's tests: abstract domains (tnum, scalar), the catalogues of unsafe and safe
# programs (test/verifier/catalogue/, parsed with the kernel oracle's reader), and the
# bpf-progs objects.

add_executable(verifier_tests
  verifier/domain_test.cc
  verifier/catalogue_test.cc
  verifier/verifier_api_test.cc
  verifier/platform_test.cc
)
target_link_libraries(verifier_tests PRIVATE bpfjit_verifier bpfjit_isa GTest::gtest_main
                      bpfjit_fmt)
# The catalogue reader lives in the kernel oracle's library (oracle.cmake, included next).
if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/oracle.cmake)
  target_link_libraries(verifier_tests PRIVATE bpfjit_kernel_oracle)
  target_compile_definitions(verifier_tests PRIVATE BPFJIT_HAVE_CATALOGUE_READER=1)
endif()
target_compile_definitions(verifier_tests
  PRIVATE BPFJIT_CATALOGUE_DIR="${CMAKE_CURRENT_SOURCE_DIR}/verifier/catalogue"
          BPFJIT_VERIFIER_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/verifier/data")
bpfjit_warnings(verifier_tests)
gtest_discover_tests(verifier_tests DISCOVERY_TIMEOUT 60)

# Every bpf-progs object, loaded by the runtime's ELF loader, verifies.
if(TARGET bpfjit)
  add_executable(verifier_bpf_progs_tests verifier/bpf_progs_test.cc)
  target_link_libraries(verifier_bpf_progs_tests PRIVATE bpfjit_verifier bpfjit GTest::gtest_main)
  target_compile_definitions(verifier_bpf_progs_tests
    PRIVATE BPFJIT_BPF_PROGS_DIR="${BPFJIT_BPF_PROGS_DIR}")
  if(TARGET bpf_progs)
    add_dependencies(verifier_bpf_progs_tests bpf_progs)
  endif()
  bpfjit_warnings(verifier_bpf_progs_tests)
  gtest_discover_tests(verifier_bpf_progs_tests DISCOVERY_TIMEOUT 60)
endif()

# The bench kernels (bench/kernels/kernels.cmake) are accepted with their bench buffer sizes;
# the test skips when the bench is not part of the build.
add_executable(verifier_kernels_tests verifier/bench_kernels_test.cc)
target_link_libraries(verifier_kernels_tests PRIVATE bpfjit_verifier bpfjit_isa GTest::gtest_main
                      $<TARGET_NAME_IF_EXISTS:bpfjit_bench_kernels>)
bpfjit_warnings(verifier_kernels_tests)
gtest_discover_tests(verifier_kernels_tests DISCOVERY_TIMEOUT 60)

# The kernel's verifier selftests (../shared/kselftests), read in place, against the kernel's
# recorded verdicts; skipped when the data is absent.
set(BPFJIT_KSELFTESTS_DIR "${PROJECT_SOURCE_DIR}/../shared/kselftests"
    CACHE PATH "the kernel's verifier selftests with the kernel's verdicts (read in place)")
if(TARGET bpfjit)
  add_executable(verifier_kselftests_tests verifier/kselftests_test.cc)
  target_link_libraries(verifier_kselftests_tests PRIVATE bpfjit_verifier bpfjit
                        GTest::gtest_main bpfjit_fmt)
  target_compile_definitions(verifier_kselftests_tests PRIVATE
    BPFJIT_KSELFTESTS_DIR="${BPFJIT_KSELFTESTS_DIR}"
    BPFJIT_KSELFTESTS_KNOWN="${CMAKE_CURRENT_SOURCE_DIR}/verifier/kselftests_known.tsv")
  bpfjit_warnings(verifier_kselftests_tests)
  gtest_discover_tests(verifier_kselftests_tests DISCOVERY_TIMEOUT 60)
endif()
