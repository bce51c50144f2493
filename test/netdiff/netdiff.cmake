# The differential harness (test/netdiff/): every networking program of bpf-progs on some
# 1,000 generated packets, on both engines, against the kernel's BPF_PROG_TEST_RUN answers
# recorded in kernel_runs.tsv (netdiff_tests needs no kernel). netdiff.c, shared by the
# recorder and the test, holds the program table, the packet generator and the map images.
# bpfjit-netdiff-record (optional, not built by default; root) records the file: record.sh.
add_library(bpfjit_netdiff_corpus STATIC netdiff/netdiff.c)
target_include_directories(bpfjit_netdiff_corpus PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/netdiff)

add_executable(netdiff_tests netdiff/netdiff_test.cc)
target_link_libraries(netdiff_tests PRIVATE bpfjit bpfjit_netdiff_corpus GTest::gtest_main)
target_compile_definitions(netdiff_tests PRIVATE
  BPFJIT_BPF_PROGS_DIR="${BPFJIT_BPF_PROGS_DIR}"
  BPFJIT_NETDIFF_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/netdiff")
add_dependencies(netdiff_tests bpf_progs compat_progs)
bpfjit_warnings(netdiff_tests)
gtest_discover_tests(netdiff_tests PROPERTIES LABELS netdiff DISCOVERY_TIMEOUT 60)

add_executable(bpfjit-netdiff-record EXCLUDE_FROM_ALL netdiff/record_netdiff.c)
target_link_libraries(bpfjit-netdiff-record PRIVATE bpfjit_netdiff_corpus bpfjit_elf_libs)
