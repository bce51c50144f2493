# The benchmark harness (bench/harness) and its program kernels (bench/progs).
#
# Each program in progs/ is compiled twice by clang-19 from the same source:
#  - for BPF with BTF at -mcpu=v3 and v4 (<build>/bench/progs/NAME.vN.o), loaded at run
#    time through the ELF loader;
#  - natively (-O2) into bpfjit_bench_progs_native, where bench_prog.h maps the helpers and
#    maps onto native functions (harness/native_shim.cc).
# The harness library is linked into the `bpfjit` tool (the `bench` subcommand).
if(TARGET bpfjit AND TARGET bpfjit_jit AND TARGET bpfjit_bench_kernels)
  set(BPFJIT_BENCH_PROG_NAMES
    xdp_filter flow_counter helper_loop call_chain tail_chain ringbuf_producer atomic_count)
  set(BPFJIT_BENCH_PROGS_DIR ${CMAKE_CURRENT_BINARY_DIR}/progs)
  set(_progs_src ${CMAKE_CURRENT_SOURCE_DIR}/progs)
  # bench_prog.h builds on bpf-progs' header (types, packet headers, helper ids).
  set(_progs_inc ${PROJECT_SOURCE_DIR}/bpf-progs/include)
  set(_progs_headers ${_progs_src}/bench_prog.h ${_progs_inc}/bpfjit_helpers.h
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
        COMMAND ${BPFJIT_CLANG} -O2 -g -target bpf -mcpu=${cpu} -Wall -Werror -I${_progs_inc} -c ${src}
                -o ${obj}
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
  add_library(bpfjit_bench_shim STATIC harness/native_shim.cc)
  target_link_libraries(bpfjit_bench_shim PUBLIC bpfjit_helpers)
  target_include_directories(bpfjit_bench_shim PRIVATE ${PROJECT_SOURCE_DIR})
  bpfjit_warnings(bpfjit_bench_shim)
  add_library(bpfjit_bench_progs_native STATIC ${_prog_native_objs})
  set_target_properties(bpfjit_bench_progs_native PROPERTIES LINKER_LANGUAGE C)
  target_link_libraries(bpfjit_bench_progs_native INTERFACE bpfjit_bench_shim)

  add_library(bpfjit_bench_harness STATIC
    harness/bpf_engine.cc
    harness/verify_bridge.cc
    harness/kernel_workloads.cc
    harness/trace.cc
    harness/bpf_instance.cc
    harness/program_workloads.cc
    harness/concurrency.cc
    harness/harness.cc
    harness/report.cc
  )
  target_link_libraries(bpfjit_bench_harness
    PUBLIC bpfjit bpfjit_jit bpfjit_helpers bpfjit_isa bpfjit_bench_kernels
    PRIVATE bpfjit_bench_progs_native fmt::fmt Threads::Threads)
  target_include_directories(bpfjit_bench_harness PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_definitions(bpfjit_bench_harness
    PRIVATE BPFJIT_BENCH_PROGS_DIR="${BPFJIT_BENCH_PROGS_DIR}")
  if(TARGET bpfjit_verifier)
    target_link_libraries(bpfjit_bench_harness PRIVATE bpfjit_verifier)
    target_compile_definitions(bpfjit_bench_harness PRIVATE BPFJIT_BENCH_HAVE_VERIFIER=1)
  endif()
  add_dependencies(bpfjit_bench_harness bpfjit_bench_prog_objs)
  bpfjit_warnings(bpfjit_bench_harness)

  # `bpfjit bench`: the subcommand's source joins the tool when the harness is built.
  if(TARGET bpfjit_cli)
    target_sources(bpfjit_cli PRIVATE ${PROJECT_SOURCE_DIR}/runtime/cli/cmd_bench.cc)
    target_link_libraries(bpfjit_cli PRIVATE bpfjit_bench_harness)
    target_compile_definitions(bpfjit_cli PRIVATE BPFJIT_HAVE_BENCH=1
      BPFJIT_BENCH_RESULTS_DIR="${CMAKE_BINARY_DIR}/bench-results")
  endif()
endif()
