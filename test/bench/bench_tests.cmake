# Tests of the benchmark harness: exact shared-map counts under concurrent runs on every
# engine (labelled tsan: the test command runs it again under ThreadSanitizer) and a smoke
# run of `bpfjit bench`. The programs and their runtime come from bench/progs/progs.cmake,
# which builds them also when the benchmarks are off (the sanitizer builds).
include(${PROJECT_SOURCE_DIR}/bench/progs/progs.cmake)
if(TARGET bpfjit_bench_runtime)
  add_executable(bench_tests bench/concurrency_test.cc)
  target_link_libraries(bench_tests PRIVATE bpfjit_bench_runtime GTest::gtest_main)
  bpfjit_warnings(bench_tests)
  bpfjit_tsan_tests(bench_tests)
endif()
if(BPFJIT_BUILD_BENCH AND TARGET bpfjit_cli)
  add_test(NAME bench_smoke
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench/bench_smoke.sh
                   $<TARGET_FILE:bpfjit_cli> ${CMAKE_CURRENT_BINARY_DIR}/bench-smoke)
  set_tests_properties(bench_smoke PROPERTIES TIMEOUT 120)
endif()
