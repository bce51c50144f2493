# The benchmark programs (bench/progs) and the part of the harness that runs them, which
# the concurrency test needs too: included by bench/harness.cmake and, in builds without
# the benchmarks (the sanitizer builds), by test/bench/bench_tests.cmake. Paths are
# absolute so that either may include it; the first include defines the targets.
#
# Each program is compiled twice by clang-19 from the same source:
#  - for BPF with BTF at -mcpu=v3 and v4 (<build>/bench/progs/NAME.vN.o), loaded at run
#    time through the ELF loader;
#  - natively (-O2) into bpfjit_bench_progs_native, where bench_prog.h maps the helpers and
#    maps onto native functions (bench/harness/native_shim.cc).
if(NOT TARGET bpfjit_bench_runtime AND TARGET bpfjit AND TARGET bpfjit_jit
   AND TARGET bpfjit_interp)
  set(BPFJIT_BENCH_PROG_NAMES
    xdp_filter flow_counter helper_loop call_chain tail_chain ringbuf_producer atomic_count
    map_lookup_array map_lookup_hash)
  set(BPFJIT_BENCH_PROGS_DIR ${CMAKE_BINARY_DIR}/bench/progs)
  set(_bench_dir ${PROJECT_SOURCE_DIR}/bench)
  set(_progs_src ${_bench_dir}/progs)
  # bench_prog.h builds on bpf-progs' header (types, packet headers, helper ids).
  set(_progs_inc ${PROJECT_SOURCE_DIR}/bpf-progs/include)
  set(_progs_headers ${_progs_src}/bench_prog.h ${_progs_src}/map_lookup.h
      ${_progs_inc}/bpfjit_helpers.h
      ${_progs_inc}/bpfjit_net.h)
  set(_prog_objs)
  set(_prog_native_objs)
  foreach(name IN LISTS BPFJIT_BENCH_PROG_NAMES)
    set(src ${_progs_src}/${name}.c)
    foreach(cpu v3 v4)
      set(obj ${BPFJIT_BENCH_PROGS_DIR}/${name}.${cpu}.o)
      add_custom_command(
        OUTPUT ${obj}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${BPFJIT_BENCH_PROGS_DIR}
        COMMAND ${BPFJIT_CLANG} -O2 -g -target bpf -mcpu=${cpu} -Wall -Werror -I${_progs_inc}
                -c ${src} -o ${obj}
        DEPENDS ${src} ${_progs_headers}
        COMMENT "bench program ${name} for bpf -mcpu=${cpu}"
        VERBATIM)
      list(APPEND _prog_objs ${obj})
    endforeach()
    set(native_obj ${BPFJIT_BENCH_PROGS_DIR}/${name}.native.o)
    add_custom_command(
      OUTPUT ${native_obj}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${BPFJIT_BENCH_PROGS_DIR}
      COMMAND ${BPFJIT_CLANG} -O2 -fPIC -Wall -Werror -I${_progs_inc} -c ${src} -o ${native_obj}
      DEPENDS ${src} ${_progs_headers}
      COMMENT "bench program ${name} native"
      VERBATIM)
    list(APPEND _prog_native_objs ${native_obj})
  endforeach()
  add_custom_target(bpfjit_bench_prog_objs ALL DEPENDS ${_prog_objs})

  # The native objects call the shim, the shim calls the maps.
  add_library(bpfjit_bench_shim STATIC ${_bench_dir}/harness/native_shim.cc)
  target_link_libraries(bpfjit_bench_shim PUBLIC bpfjit_helpers)
  target_include_directories(bpfjit_bench_shim PRIVATE ${PROJECT_SOURCE_DIR})
  bpfjit_warnings(bpfjit_bench_shim)
  add_library(bpfjit_bench_progs_native STATIC ${_prog_native_objs})
  set_target_properties(bpfjit_bench_progs_native PROPERTIES LINKER_LANGUAGE C)
  target_link_libraries(bpfjit_bench_progs_native INTERFACE bpfjit_bench_shim)

  # Loading the programs on every engine, the packet trace, concurrent runs.
  add_library(bpfjit_bench_runtime STATIC
    ${_bench_dir}/harness/bpf_engine.cc
    ${_bench_dir}/harness/verify_bridge.cc
    ${_bench_dir}/harness/bpf_instance.cc
    ${_bench_dir}/harness/trace.cc
    ${_bench_dir}/harness/concurrency.cc
  )
  target_link_libraries(bpfjit_bench_runtime
    PUBLIC bpfjit bpfjit_jit bpfjit_interp bpfjit_helpers bpfjit_isa
    PRIVATE bpfjit_bench_progs_native bpfjit_fmt Threads::Threads)
  target_include_directories(bpfjit_bench_runtime PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_definitions(bpfjit_bench_runtime
    PRIVATE BPFJIT_BENCH_PROGS_DIR="${BPFJIT_BENCH_PROGS_DIR}")
  option(BPFJIT_BENCH_TRUSTED
         "verify the benchmark programs and run them on the trusted JIT (needs the verifier)"
         ON)
  if(TARGET bpfjit_verifier AND BPFJIT_BENCH_TRUSTED)
    target_link_libraries(bpfjit_bench_runtime PRIVATE bpfjit_verifier)
    target_compile_definitions(bpfjit_bench_runtime PRIVATE BPFJIT_BENCH_HAVE_VERIFIER=1)
  endif()
  add_dependencies(bpfjit_bench_runtime bpfjit_bench_prog_objs)
  bpfjit_warnings(bpfjit_bench_runtime)
endif()
