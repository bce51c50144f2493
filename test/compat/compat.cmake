# The compatibility corpus (bpf-progs/compat/) against the kernel's recorded verdicts.
#
# bpfjit-compat-oracle (optional, not built by default; needs root and a kernel with BPF)
# asks the running kernel for the verdict on each program; record.sh uses it to write
# kernel_verdicts.tsv. compat_tests needs no kernel: it reads that file, verifies each
# program with bpfjit on the linux platform and compares, allowing the disagreements that
# known_differences.tsv lists.
add_executable(bpfjit-compat-oracle EXCLUDE_FROM_ALL compat/kernel_verdicts.c)
target_link_libraries(bpfjit-compat-oracle PRIVATE bpfjit_elf_libs)
# bpfjit-compat-cut-btf (optional too) cuts target.btf, the layouts of the kernel structs
# the corpus's CO-RE programs read, from the running kernel's BTF; record.sh runs it.
add_executable(bpfjit-compat-cut-btf EXCLUDE_FROM_ALL compat/cut_btf.c)
target_link_libraries(bpfjit-compat-cut-btf PRIVATE bpfjit_elf_libs)

add_executable(compat_tests
  compat/compat_test.cc
  ${PROJECT_SOURCE_DIR}/runtime/cli/verify_object.cc)
target_link_libraries(compat_tests PRIVATE bpfjit bpfjit_verifier bpfjit_fmt GTest::gtest_main)
target_compile_definitions(compat_tests PRIVATE
  BPFJIT_COMPAT_PROGS_DIR="${BPFJIT_COMPAT_PROGS_DIR}"
  BPFJIT_COMPAT_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/compat")
add_dependencies(compat_tests compat_progs)
bpfjit_warnings(compat_tests)
gtest_discover_tests(compat_tests DISCOVERY_TIMEOUT 60)
