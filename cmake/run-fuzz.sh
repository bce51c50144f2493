#!/usr/bin/env bash
# The libFuzzer targets of test/fuzz: builds them in build-fuzz (clang-19, ASan and UBSan,
# -DBPFJIT_FUZZ=ON; only the libraries they link, the targets and their seed corpora) and
# runs each one for FUZZ_SECONDS seconds. Exits non-zero when a target crashes, leaks,
# hangs past 10 s on one input or exceeds 4 GiB; the input is kept in the artifact dir.
#
#   bash cmake/run-fuzz.sh [TARGET...]       # CI: 30 s per target, a throw-away corpus
#   FUZZ_SECONDS=3600 FUZZ_CORPUS_DIR=/var/tmp/bpfjit-fuzz bash cmake/run-fuzz.sh
#                                            # long mode: an hour each, the corpus kept
#
# FUZZ_SECONDS     seconds per target (default 30)
# FUZZ_CORPUS_DIR  where each target's corpus grows (DIR/<target>/), kept between runs;
#                  default: a temporary directory removed at the end. Keep it outside the
#                  repository: only crash inputs go into test/fuzz/corpus/.
# FUZZ_ARTIFACTS   where crash inputs are written (default build-fuzz/fuzz-artifacts)
# Every run also reads the seeds made at build time (build-fuzz/fuzz-seeds/<target>/)
# and the regression inputs of test/fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-30}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_elf fuzz_asm fuzz_verifier fuzz_jit fuzz_capi)
dir=build-fuzz

echo "=== $dir: configure and build the fuzz targets" >&2
CC=clang-19 CXX=clang++-19 cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBPFJIT_FUZZ=ON -DBPFJIT_BUILD_BENCH=OFF >/dev/null
cmake --build "$dir" -j "$(nproc)" --target fuzz_all

corpus_root=${FUZZ_CORPUS_DIR:-}
if [ -z "$corpus_root" ]; then
  corpus_root=$(mktemp -d /tmp/bpfjit-fuzz.XXXXXX)
  trap 'rm -rf "$corpus_root"' EXIT
fi
artifacts=${FUZZ_ARTIFACTS:-$PWD/$dir/fuzz-artifacts}
mkdir -p "$artifacts"
export ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${FUZZ_UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
for t in "${targets[@]}"; do
  name=${t#fuzz_}
  corpus="$corpus_root/$t"
  mkdir -p "$corpus"
  dirs=("$corpus" "$dir/fuzz-seeds/$name")
  [ -d "test/fuzz/corpus/$name" ] && dirs+=("test/fuzz/corpus/$name")
  log="$dir/$t.log"
  echo "=== $t: ${seconds} s (log $log)" >&2
  if ! "$dir/bin/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
       -print_final_stats=1 -artifact_prefix="$artifacts/$t-" "${dirs[@]}" >"$log" 2>&1; then
    echo "run-fuzz: $t failed; the last lines of $log:" >&2
    tail -n 60 "$log" >&2
    status=1
    continue
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  echo "$t: ${execs:-?} executions in ${seconds} s, $cov" >&2
done
exit $status
