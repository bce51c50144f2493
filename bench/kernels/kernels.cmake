# Benchmark kernels: each C source in kernels/ is compiled twice by clang-19,
#  - for BPF at -mcpu=v3 and v4, its section "kernel" extracted to
#    <build>/bench/kernels/NAME.v3.bin and NAME.v4.bin (raw program bytes), and
#  - natively (-O2) into the static library bpfjit_bench_native.
# Consumers link the interface target bpfjit_bench_kernels: the native library, the
# directory of the .bin files (BPFJIT_KERNELS_DIR) and a dependency that builds them.
set(BPFJIT_KERNEL_NAMES
  count_loop primes fnv1a bubble_sort memcpy strcmp log2 switch_dispatch calls)
set(BPFJIT_KERNELS_DIR ${CMAKE_CURRENT_BINARY_DIR}/kernels)
set(_kernels_src ${CMAKE_CURRENT_SOURCE_DIR}/kernels)
find_program(BPFJIT_LLVM_OBJCOPY NAMES llvm-objcopy-19 llvm-objcopy
             PATHS /usr/lib/llvm-19/bin REQUIRED)
find_program(BPFJIT_LLVM_READELF NAMES llvm-readelf-19 llvm-readelf
             PATHS /usr/lib/llvm-19/bin REQUIRED)

set(_kernel_bins)
set(_kernel_native_objs)
foreach(name IN LISTS BPFJIT_KERNEL_NAMES)
  set(src ${_kernels_src}/${name}.c)
  foreach(cpu v3 v4)
    set(obj ${BPFJIT_KERNELS_DIR}/${name}.${cpu}.o)
    set(bin ${BPFJIT_KERNELS_DIR}/${name}.${cpu}.bin)
    add_custom_command(
      OUTPUT ${bin}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${BPFJIT_KERNELS_DIR}
      COMMAND ${BPFJIT_CLANG} -O2 -target bpf -mcpu=${cpu} -c ${src} -o ${obj}
      COMMAND ${CMAKE_COMMAND} -DREADELF=${BPFJIT_LLVM_READELF} -DOBJ=${obj}
              -P ${_kernels_src}/check_no_relocs.cmake
      COMMAND ${BPFJIT_LLVM_OBJCOPY} -O binary --only-section=kernel ${obj} ${bin}
      DEPENDS ${src} ${_kernels_src}/kernel_def.h ${_kernels_src}/check_no_relocs.cmake
      COMMENT "kernel ${name} for bpf -mcpu=${cpu}"
      VERBATIM)
    list(APPEND _kernel_bins ${bin})
  endforeach()
  set(native_obj ${BPFJIT_KERNELS_DIR}/${name}.native.o)
  add_custom_command(
    OUTPUT ${native_obj}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${BPFJIT_KERNELS_DIR}
    COMMAND ${BPFJIT_CLANG} -O2 -fPIC -c ${src} -o ${native_obj}
    DEPENDS ${src} ${_kernels_src}/kernel_def.h
    COMMENT "kernel ${name} native"
    VERBATIM)
  list(APPEND _kernel_native_objs ${native_obj})
endforeach()

add_custom_target(bpfjit_bench_kernel_bins ALL DEPENDS ${_kernel_bins})
add_library(bpfjit_bench_native STATIC ${_kernel_native_objs})
set_target_properties(bpfjit_bench_native PROPERTIES LINKER_LANGUAGE C)

add_library(bpfjit_bench_kernels INTERFACE)
target_link_libraries(bpfjit_bench_kernels INTERFACE bpfjit_bench_native)
target_include_directories(bpfjit_bench_kernels INTERFACE ${PROJECT_SOURCE_DIR})
target_compile_definitions(bpfjit_bench_kernels
  INTERFACE BPFJIT_KERNELS_DIR="${BPFJIT_KERNELS_DIR}")
add_dependencies(bpfjit_bench_kernels bpfjit_bench_kernel_bins)

# bpfjit-bench-interp: the interpreter against native code on the kernels.
add_executable(bpfjit-bench-interp interp_bench.cc)
target_link_libraries(bpfjit-bench-interp PRIVATE bpfjit_interp bpfjit_bench_kernels)
bpfjit_warnings(bpfjit-bench-interp)
if(BPFJIT_BUILD_TESTS)
  # Every kernel, v3 and v4, interpreted and native must return the same value.
  add_test(NAME bench.interp-kernels-agree COMMAND bpfjit-bench-interp --all --check)
endif()
