# Every dependency comes from Debian 12's packages (cmake/install-deps.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(asmjit CONFIG REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
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
