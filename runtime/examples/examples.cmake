# Worked examples of embedding bpfjit (runtime/examples/<name>/, each with a README.md).
# Each is a host program that uses only the public API (the `bpfjit` target) and the BPF C
# programs it runs, compiled here at build time into ${BPFJIT_EXAMPLES_BPF_DIR}. The tests
# in test/examples/ build inputs, run the examples and check their output.
#
# bpf-progs/ is added after runtime/, so its bpfjit_bpf_object() does not exist yet here:
# bpfjit_example_bpf() is the same rule for the examples' sources.
if(NOT BPFJIT_TOP_LEVEL)
  return()  # a project that embeds bpfjit does not build its examples
endif()

set(BPFJIT_EXAMPLES_BPF_DIR ${CMAKE_BINARY_DIR}/examples CACHE INTERNAL
    "where the compiled BPF objects of runtime/examples/ are written")
set(_example_bpf_include ${PROJECT_SOURCE_DIR}/bpf-progs/include)
set(_example_bpf_objects)

# bpfjit_example_bpf(SOURCE OUTPUT [FLAGS...]): compiles examples/SOURCE (a .bpf.c file)
# with clang-19 -O2 -g -target bpf -mcpu=v3 into ${BPFJIT_EXAMPLES_BPF_DIR}/OUTPUT.
function(bpfjit_example_bpf source output)
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/examples/${source})
  get_filename_component(src_dir ${src} DIRECTORY)
  file(GLOB headers ${src_dir}/*.h)
  add_custom_command(
    OUTPUT ${BPFJIT_EXAMPLES_BPF_DIR}/${output}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${BPFJIT_EXAMPLES_BPF_DIR}
    COMMAND ${BPFJIT_CLANG} -O2 -g -target bpf -mcpu=v3 -Wall -Werror ${ARGN}
            -I${_example_bpf_include} -I${src_dir}
            -c ${src} -o ${BPFJIT_EXAMPLES_BPF_DIR}/${output}
    DEPENDS ${src} ${headers} ${_example_bpf_include}/bpfjit_helpers.h
            ${_example_bpf_include}/bpfjit_net.h
    COMMENT "clang -target bpf ${source} -> ${output}"
    VERBATIM)
  set(_example_bpf_objects ${_example_bpf_objects} ${BPFJIT_EXAMPLES_BPF_DIR}/${output}
      PARENT_SCOPE)
endfunction()

# Policy service: filters requests with policy_v1.o, hot-reloads policy_v2.o.
bpfjit_example_bpf(policy/policy.bpf.c policy_v1.o -DPOLICY_VERSION=1)
bpfjit_example_bpf(policy/policy.bpf.c policy_v2.o -DPOLICY_VERSION=2)
add_library(example_policy STATIC examples/policy/policy_service.cc)
target_include_directories(example_policy PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/examples/policy)
target_link_libraries(example_policy PUBLIC bpfjit Threads::Threads)
bpfjit_warnings(example_policy)
add_executable(example_policy_service examples/policy/main.cc)
target_link_libraries(example_policy_service PRIVATE example_policy)
bpfjit_warnings(example_policy_service)

# Pricing: a host-defined program type with its own context struct and helpers.
bpfjit_example_bpf(pricing/pricing.bpf.c pricing.o)
foreach(n 1 2 3)
  bpfjit_example_bpf(pricing/pricing_refused.bpf.c pricing_refused${n}.o -DREFUSED=${n})
endforeach()
add_executable(example_pricing examples/pricing/main.cc)
target_link_libraries(example_pricing PRIVATE bpfjit)
bpfjit_warnings(example_pricing)

# XDP over a pcap file, in C: the C API (runtime/include/bpfjit/bpfjit.h, target bpfjit_c).
bpfjit_example_bpf(xdp_flows/xdp_flows.bpf.c xdp_flows.o)
if(TARGET bpfjit_c)
  add_executable(example_xdp_flows examples/xdp_flows/xdp_flows.c)
  target_link_libraries(example_xdp_flows PRIVATE bpfjit_c)
  bpfjit_warnings(example_xdp_flows)
endif()

# An XDP program tested by a GoogleTest suite with bpfjit/testing.h (gtest_xdp/) and from
# Python with pytest and scapy (pytest_xdp/); both suites are test targets
# (test/examples/examples_tests.cmake).
bpfjit_example_bpf(gtest_xdp/xdp_guard.bpf.c xdp_guard.o)
bpfjit_example_bpf(gtest_xdp/xdp_guard.bpf.c xdp_guard_refused.o -DGUARD_REFUSED)

add_custom_target(example_bpf_objects ALL DEPENDS ${_example_bpf_objects})
