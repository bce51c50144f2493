#!/usr/bin/env bash
# The project's main job: the benchmark suite. Installs the dependencies, configures and
# builds the release build (build/, Ninja, the same configuration cmake/run-tests.sh uses),
# then runs `build/bin/bpfjit bench --quick` (about 30 s on 2 cores), or the full suite
# with --full. Other arguments go to `bpfjit bench` (e.g. --filter REGEX, --json FILE,
# --chart FILE, --repeat N). Prints the table, then where the JSON and the SVG chart are;
# exits non-zero when an engine disagrees with native code or a run fails.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=(--quick)
args=()
for a in "$@"; do
  case "$a" in
    --full) mode=() ;;
    --quick) mode=(--quick) ;;
    *) args+=("$a") ;;
  esac
done

bash cmake/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build -j "$(nproc)" --target bpfjit_cli
set +e
build/bin/bpfjit bench "${mode[@]}" "${args[@]}" | tee build/bench-last.txt
rc=${PIPESTATUS[0]}
set -e
chart=$(sed -n 's/^chart: //p' build/bench-last.txt | tail -1)
if [ -n "$chart" ]; then
  echo "the chart of this run: $chart"
fi
exit "$rc"
