# bpfjit-micro: micro-benchmarks of the hot paths (helper calls, map lookups, program entry,
# interpreter dispatch) on the JIT and the interpreter, with Google Benchmark. The JIT's
# compile-time micro-benchmarks are in bpfjit-micro-jit (jit.cmake).
if(TARGET bpfjit_jit AND TARGET bpfjit_interp)
  add_executable(bpfjit-micro micro/hot_paths.cc)
  target_link_libraries(bpfjit-micro
    PRIVATE bpfjit_jit bpfjit_interp bpfjit_helpers bpfjit_isa benchmark::benchmark bpfjit_fmt)
  target_include_directories(bpfjit-micro PRIVATE ${PROJECT_SOURCE_DIR})
  bpfjit_warnings(bpfjit-micro)
endif()
