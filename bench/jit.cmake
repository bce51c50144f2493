# JIT benchmarks: the kernels on every engine against native code, and micro-benchmarks of
# translation time and entry cost.
if(TARGET bpfjit_bench_kernels)
  add_executable(bpfjit-bench-jit jit_bench.cc)
  target_link_libraries(bpfjit-bench-jit PRIVATE bpfjit_jit bpfjit_interp bpfjit_bench_kernels)
  bpfjit_warnings(bpfjit-bench-jit)
  if(BPFJIT_BUILD_TESTS)
    # Every kernel, v3 and v4: JIT (checked and trusted), interpreter and native agree.
    add_test(NAME bench.jit-kernels-agree COMMAND bpfjit-bench-jit --check)
  endif()
endif()

add_executable(bpfjit-micro-jit micro_jit.cc)
target_link_libraries(bpfjit-micro-jit PRIVATE bpfjit_jit bpfjit_interp benchmark::benchmark)
bpfjit_warnings(bpfjit-micro-jit)
