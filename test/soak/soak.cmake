# bpfjit-soak (test/soak/soak.cc): load, verify, run, hot reload and unload on many threads
# through the C++ and the C API, and resident memory, malloc'd bytes, descriptors and
# mappings must stay flat. The long mode is run by hand (README, "Soak"); here a bounded
# run of 20,000 cycles, also under ASan and (label tsan, target tsan_tests) TSan.
add_executable(bpfjit-soak soak/soak.cc)
target_link_libraries(bpfjit-soak PRIVATE bpfjit_c Threads::Threads)
target_compile_definitions(bpfjit-soak PRIVATE BPFJIT_BPF_PROGS_DIR="${BPFJIT_BPF_PROGS_DIR}")
add_dependencies(bpfjit-soak bpf_progs)
bpfjit_warnings(bpfjit-soak)
add_dependencies(tsan_tests bpfjit-soak)
add_test(NAME soak.bounded COMMAND bpfjit-soak --cycles 20000 --threads 4 --seconds 120)
set_tests_properties(soak.bounded PROPERTIES LABELS "soak;tsan" TIMEOUT 300)
# The soak must catch a leak: with one made on purpose at every reload, the matching
# resource is reported as grown (not under a sanitizer, whose allocator bypasses mallinfo2
# and whose leak check would report the leak made on purpose).
if(NOT BPFJIT_SANITIZE AND NOT BPFJIT_TSAN)
  foreach(case "malloc;malloc_kib" "fd;fds" "mapping;maps")
    list(GET case 0 kind)
    list(GET case 1 row)
    add_test(NAME soak.catches_${kind}_leak
             COMMAND bpfjit-soak --cycles 8000 --threads 4 --inject-leak ${kind})
    set_tests_properties(soak.catches_${kind}_leak PROPERTIES LABELS soak TIMEOUT 300
      PASS_REGULAR_EXPRESSION "\n${row} [^\n]* GREW\n.*: FAIL\n")
  endforeach()
endif()
