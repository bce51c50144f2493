# XDP: the packet helpers on the kernel's test-run frame (xdp_helpers_tests, called
# directly) and Program::test_run against the kernel's recorded answers
# (xdp_test_run_tests: bpf-progs/xdp_adjust.c on every input of xdp_adjust_kernel.tsv).
# bpfjit-xdp-record (optional, not built by default; root) records that file: record.sh.
add_executable(xdp_helpers_tests xdp/xdp_helpers_test.cc)
target_link_libraries(xdp_helpers_tests PRIVATE bpfjit_helpers GTest::gtest_main)
bpfjit_warnings(xdp_helpers_tests)
gtest_discover_tests(xdp_helpers_tests DISCOVERY_TIMEOUT 60)

add_executable(xdp_test_run_tests xdp/test_run_test.cc)
target_link_libraries(xdp_test_run_tests PRIVATE bpfjit GTest::gtest_main)
target_compile_definitions(xdp_test_run_tests PRIVATE
  BPFJIT_BPF_PROGS_DIR="${BPFJIT_BPF_PROGS_DIR}"
  BPFJIT_XDP_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/xdp")
add_dependencies(xdp_test_run_tests bpf_progs)
bpfjit_warnings(xdp_test_run_tests)
gtest_discover_tests(xdp_test_run_tests DISCOVERY_TIMEOUT 60)

add_executable(bpfjit-xdp-record EXCLUDE_FROM_ALL xdp/record_test_run.c)
target_link_libraries(bpfjit-xdp-record PRIVATE bpfjit_elf_libs)

# The host environment: clock, prandom seed, the run's CPU, fib_lookup, check_mtu and
# redirects through bpf-progs/host_clock.c and xdp_fwd.c, on both engines.
# fwd_oracle_test: xdp_fwd.c against the kernel's answers in fwd_kernel.tsv
# (record_fwd.sh, bpfjit-fwd-record).
add_executable(host_env_tests xdp/host_env_test.cc xdp/fwd_oracle_test.cc)
target_link_libraries(host_env_tests PRIVATE bpfjit GTest::gtest_main)
target_compile_definitions(host_env_tests PRIVATE
  BPFJIT_BPF_PROGS_DIR="${BPFJIT_BPF_PROGS_DIR}"
  BPFJIT_XDP_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/xdp")
add_dependencies(host_env_tests bpf_progs)
bpfjit_warnings(host_env_tests)
gtest_discover_tests(host_env_tests DISCOVERY_TIMEOUT 60)

add_executable(bpfjit-fwd-record EXCLUDE_FROM_ALL xdp/record_fwd.c)
target_link_libraries(bpfjit-fwd-record PRIVATE bpfjit_elf_libs)

# The host environment changed during runs: also run under ThreadSanitizer.
add_executable(host_env_concurrency_tests xdp/host_env_concurrency_test.cc)
target_link_libraries(host_env_concurrency_tests PRIVATE bpfjit GTest::gtest_main)
target_compile_definitions(host_env_concurrency_tests PRIVATE
  BPFJIT_BPF_PROGS_DIR="${BPFJIT_BPF_PROGS_DIR}")
add_dependencies(host_env_concurrency_tests bpf_progs)
bpfjit_warnings(host_env_concurrency_tests)
bpfjit_tsan_tests(host_env_concurrency_tests)
