#!/usr/bin/env bash
# Smoke test of `bpfjit bench`: a quick run of one compute kernel and one program kernel
# must print the table with both rows checked ok, write JSON that parses and has both
# workloads with every engine, and write an SVG chart with their bars.
# usage: bench_smoke.sh BPFJIT OUT_DIR
set -euo pipefail
bpfjit=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
"$bpfjit" bench --quick --no-progress --repeat 3 --filter '^(fnv1a|tail_chain)$' \
  --json "$out/r.json" --chart "$out/r.svg" > "$out/table.txt"
cat "$out/table.txt"
fail() { echo "bench_smoke: $*" >&2; exit 1; }
grep -qE '^program +cpu +insns' "$out/table.txt" || fail "no table header"
grep -qE '^fnv1a +v4 .* ok$' "$out/table.txt" || fail "no checked fnv1a row"
grep -qE '^tail_chain +v4 .* ok$' "$out/table.txt" || fail "no checked tail_chain row"
grep -q "json:  $out/r.json" "$out/table.txt" || fail "the JSON path is not printed"
grep -q "chart: $out/r.svg" "$out/table.txt" || fail "the chart path is not printed"
if command -v python3 > /dev/null; then
  python3 - "$out/r.json" <<'PY' || fail "the JSON is not what it should be"
import json, sys
r = json.load(open(sys.argv[1]))
names = sorted(w["name"] for w in r["workloads"])
assert names == ["fnv1a", "tail_chain"], names
for w in r["workloads"]:
    for e in ("interp", "jit", "jit-trusted", "jit-harden", "native"):
        assert w["engines"][e]["status"] in ("ok", "n/a"), (w["name"], e)
    assert w["engines"]["native"]["median_s"] > 0
    assert not w["mismatches"]
assert r["ok"] is True
assert len(r["concurrency"]) > 0
PY
else
  head -c 1 "$out/r.json" | grep -q '{' || fail "the JSON does not start with {"
  grep -q '"workloads"' "$out/r.json" || fail "the JSON has no workloads"
fi
grep -q '^<svg ' "$out/r.svg" || fail "the chart is not SVG"
grep -q '</svg>' "$out/r.svg" || fail "the chart is not complete"
grep -q '>fnv1a (v4)</text>' "$out/r.svg" || fail "the chart has no fnv1a row"
grep -q '<title>tail_chain interpreter' "$out/r.svg" || fail "the chart has no tail_chain bar"
# The map lookup rows and the start-up row: checked like the others, the start-up row's
# process printed 0x0 and exited 0 on every run.
"$bpfjit" bench --quick --no-progress --no-concurrency --repeat 3 \
  --filter '^(map_lookup_array|map_lookup_hash|startup)$' \
  --json "$out/s.json" --chart "$out/s.svg" > "$out/s.txt"
cat "$out/s.txt"
grep -qE '^map_lookup_array +v4 .* ok$' "$out/s.txt" || fail "no checked map_lookup_array row"
grep -qE '^map_lookup_hash +v4 .* ok$' "$out/s.txt" || fail "no checked map_lookup_hash row"
grep -qE '^  map_lookup_hash +v4 +4096 lookups interp +[0-9.]+ns ' "$out/s.txt" ||
  fail "no time per lookup for map_lookup_hash"
grep -qE '^  start-up \(bpfjit run, 2 insns, whole process, median of 50 runs\): .* ok$' \
  "$out/s.txt" || fail "no checked start-up row"
if command -v python3 > /dev/null; then
  python3 - "$out/s.json" <<'PY' || fail "the start-up and lookup JSON is not what it should be"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] is True
s = r["startup"]
assert s["ok"] is True and s["runs"] == 50, s
assert s["tool_median_s"] > 0 and s["true_median_s"] > 0, s
assert sorted(w["name"] for w in r["workloads"]) == ["map_lookup_array", "map_lookup_hash"]
for w in r["workloads"]:
    assert w["lookups_per_execution"] == 4096, w["name"]
    assert not w["mismatches"], w["mismatches"]
PY
fi
echo "bench_smoke: ok"
