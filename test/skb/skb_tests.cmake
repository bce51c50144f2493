# skb programs (sched_cls, sched_act, cgroup_skb) against the kernel's recorded test runs.
#
# bpfjit-skb-recorder (optional, not built by default; needs root and a kernel with BPF)
# runs the skb programs of bpf-progs through the kernel's BPF_PROG_TEST_RUN; record.sh
# uses it to write kernel_skb_runs.tsv. skb_oracle_tests needs no kernel: it runs the same
# programs on the same packets on both engines and compares with that file byte for byte.
add_executable(bpfjit-skb-recorder EXCLUDE_FROM_ALL skb/record_skb.c)
target_link_libraries(bpfjit-skb-recorder PRIVATE bpfjit_elf_libs)

add_executable(skb_oracle_tests skb/skb_oracle_test.cc skb/skb_helpers_test.cc)
target_link_libraries(skb_oracle_tests PRIVATE bpfjit bpfjit_helpers GTest::gtest_main)
target_compile_definitions(skb_oracle_tests PRIVATE
  BPFJIT_BPF_PROGS_DIR="${BPFJIT_BPF_PROGS_DIR}"
  BPFJIT_SKB_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/skb")
add_dependencies(skb_oracle_tests bpf_progs)
bpfjit_warnings(skb_oracle_tests)
gtest_discover_tests(skb_oracle_tests DISCOVERY_TIMEOUT 60)
