# The benchmark harness (bench/harness) behind `bpfjit bench`: the program kernels and
# their runtime (progs/progs.cmake), the compute kernels (kernels/kernels.cmake), and the
# driver and reports, linked into the `bpfjit` tool.
include(${CMAKE_CURRENT_LIST_DIR}/progs/progs.cmake)
if(TARGET bpfjit_bench_runtime AND TARGET bpfjit_bench_kernels)
  add_library(bpfjit_bench_harness STATIC
    harness/kernel_workloads.cc
    harness/program_workloads.cc
    harness/compile_speed.cc
    harness/startup.cc
    harness/harness.cc
    harness/report.cc
  )
  target_link_libraries(bpfjit_bench_harness
    PUBLIC bpfjit_bench_runtime bpfjit_bench_kernels
    PRIVATE bpfjit_cli_common bpfjit_fmt)
  bpfjit_warnings(bpfjit_bench_harness)

  # `bpfjit bench`: the subcommand's source joins the tool when the harness is built.
  if(TARGET bpfjit_cli)
    target_sources(bpfjit_cli PRIVATE ${PROJECT_SOURCE_DIR}/runtime/cli/cmd_bench.cc)
    target_link_libraries(bpfjit_cli PRIVATE bpfjit_bench_harness)
    target_compile_definitions(bpfjit_cli PRIVATE BPFJIT_HAVE_BENCH=1
      BPFJIT_BENCH_RESULTS_DIR="${CMAKE_BINARY_DIR}/bench-results")
  endif()
endif()
