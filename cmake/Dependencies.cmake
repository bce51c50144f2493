# Every dependency comes from Debian 12's packages (cmake/install-deps.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(asmjit CONFIG REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
include(${CMAKE_CURRENT_LIST_DIR}/deps/deps.cmake)
find_package(CLI11 CONFIG REQUIRED)
pkg_check_modules(LIBELF REQUIRED IMPORTED_TARGET libelf)
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf)
if(BPFJIT_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(BPFJIT_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# clang-19 compiles the BPF programs in bpf-progs/ and the native side of the benchmarks.
find_program(BPFJIT_CLANG NAMES clang-19 PATHS /usr/lib/llvm-19/bin REQUIRED)

# libelf and libbpf for the build tree's executables: their static archives when Debian's -dev packages
# ship them (they do), so that `bpfjit` and the tests load two shared libraries fewer at
# start-up (the dynamic loader's symbol lookups dominate a short run's time); the shared
# libraries otherwise. libbpfjit.so (cmake/Install.cmake) links the shared ones.
find_library(BPFJIT_LIBBPF_A NAMES libbpf.a)
find_library(BPFJIT_LIBELF_A NAMES libelf.a)
find_library(BPFJIT_LIBZ_A NAMES libz.a)
add_library(bpfjit_elf_libs INTERFACE)
if(BPFJIT_LIBBPF_A AND BPFJIT_LIBELF_A AND BPFJIT_LIBZ_A)
  target_link_libraries(bpfjit_elf_libs INTERFACE
    ${BPFJIT_LIBBPF_A} ${BPFJIT_LIBELF_A} ${BPFJIT_LIBZ_A})
  target_include_directories(bpfjit_elf_libs INTERFACE ${LIBBPF_INCLUDE_DIRS} ${LIBELF_INCLUDE_DIRS})
else()
  target_link_libraries(bpfjit_elf_libs INTERFACE PkgConfig::LIBELF PkgConfig::LIBBPF)
endif()
