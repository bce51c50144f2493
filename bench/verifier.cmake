# Verifier speed on generated programs (see verifier_bench.cc); `--check` fails when the
# targets (10k loop-free < 50 ms, 3k with loops < 200 ms, RSS < 100 MB) are missed or a
# bench kernel (kernels/kernels.cmake, included before this file) is refused.
add_executable(bpfjit-bench-verifier verifier_bench.cc)
target_link_libraries(bpfjit-bench-verifier PRIVATE bpfjit_verifier bpfjit_isa bpfjit_fmt)
bpfjit_warnings(bpfjit-bench-verifier)
if(TARGET bpfjit_bench_kernels)
  target_link_libraries(bpfjit-bench-verifier PRIVATE bpfjit_bench_kernels)
endif()
