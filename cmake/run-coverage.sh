#!/usr/bin/env bash
# Coverage, a developer mode (not part of the CI test command): builds build-cov with
# -DBPFJIT_COVERAGE=ON (g++ --coverage), runs the whole ctest suite there, and writes
#   build-cov/coverage/index.html  the HTML report (per file, lines and branches)
#   build-cov/coverage/summary.json gcovr's summary, and prints line and branch coverage
#                                   per directory (cmake/coverage_summary.py).
# Needs gcovr (Debian package gcovr; installed here when missing). Extra CMake arguments
# (e.g. -DCMAKE_CXX_COMPILER_LAUNCHER=ccache) are passed through; CTEST_ARGS (e.g.
# "-R Verifier") narrows the ctest run. COVERAGE_TARGETS="verifier_tests jit_tests" builds
# and runs only those GoogleTest binaries instead of the whole suite (a quicker look).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v gcovr >/dev/null; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends gcovr >/dev/null
fi

dir=build-cov
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBPFJIT_COVERAGE=ON \
  -DBPFJIT_BUILD_BENCH=OFF "$@" >/dev/null
# Counts of an earlier run would add up with this one's.
find "$dir" -name '*.gcda' -delete
status=0
if [ -n "${COVERAGE_TARGETS:-}" ]; then
  # shellcheck disable=SC2086
  cmake --build "$dir" -j "$(nproc)" --target $COVERAGE_TARGETS
  for t in $COVERAGE_TARGETS; do
    "$dir/bin/$t" --gtest_brief=1 || status=$?
  done
else
  cmake --build "$dir" -j "$(nproc)"
  ctest --test-dir "$dir" -j "$(nproc)" --timeout 1200 ${CTEST_ARGS:-} || status=$?
fi

mkdir -p "$dir/coverage"
# The library's own sources only (not the tests, the examples or generated files);
# branches that only exceptions or the compiler's unreachable paths take are left out.
gcovr --root . --object-directory "$dir" \
  --filter 'runtime/' --filter 'helpers/' --filter 'verifier/' --filter 'jit/' \
  --exclude 'runtime/examples/' --exclude 'runtime/python/' \
  --exclude-throw-branches --exclude-unreachable-branches \
  --gcov-executable gcov -j "$(nproc)" \
  --html-details "$dir/coverage/index.html" --json-summary "$dir/coverage/summary.json" \
  --print-summary
python3 cmake/coverage_summary.py "$dir/coverage/summary.json"
echo "run-coverage: report in $dir/coverage/index.html" >&2
if [ "$status" -ne 0 ]; then
  echo "run-coverage: some tests failed under coverage (ctest exit $status)" >&2
fi
exit "$status"
