#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs the dependencies, then builds and runs
# every test twice — a release build and an ASan+UBSan build — and the concurrency
# tests (label tsan, target tsan_tests) once more under ThreadSanitizer. Exits non-zero on
# the first failure. Last, the libFuzzer targets (cmake/run-fuzz.sh: build-fuzz with
# clang-19, ASan and UBSan) run 30 s each; any crash fails the run (BPFJIT_SKIP_FUZZ=1
# leaves them out).
set -euo pipefail
cd "$(dirname "$0")/.."

bash cmake/install-deps.sh
jobs=$(nproc)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

# Tests that a missing dependency would leave unregistered (CMake only warns): the suite
# fails instead of passing without them.
required_tests=(python.bindings package.python examples.pytest_xdp examples.gtest_xdp NetdiffTest
                SoundnessOracleTest TestingHeaderTest SkbOracleTest FwdOracleTest)
check_registered() {
  local dir=$1 t
  local listed
  for t in "${required_tests[@]}"; do
    # The whole listing first: `grep -q` quitting early would make ctest fail with SIGPIPE
    # (and pipefail report it as a missing test).
    listed=$(ctest --test-dir "$dir" -N -R "$t")
    if ! grep -q '^  *Test *#' <<<"$listed"; then
      echo "run-tests: no test matches '$t' in $dir (a dependency missing?)" >&2
      exit 1
    fi
  done
}

build_and_test() {
  local dir=$1; shift
  echo "=== $dir: configure and build" >&2
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$jobs" ${BUILD_TARGET:+--target "$BUILD_TARGET"}
  echo "=== $dir: test" >&2
  [ -n "${BUILD_TARGET:-}" ] || check_registered "$dir"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 600 ${CTEST_ARGS:-}
}

build_and_test build -DCMAKE_BUILD_TYPE=RelWithDebInfo
build_and_test build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBPFJIT_SANITIZE=ON \
  -DBPFJIT_BUILD_BENCH=OFF
if [ -z "${BPFJIT_SKIP_TSAN:-}" ]; then
  BUILD_TARGET=tsan_tests CTEST_ARGS="-L tsan" build_and_test build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DBPFJIT_TSAN=ON -DBPFJIT_BUILD_BENCH=OFF
fi
if [ -z "${BPFJIT_SKIP_FUZZ:-}" ]; then
  FUZZ_SECONDS=${FUZZ_SECONDS:-30} bash cmake/run-fuzz.sh
fi
