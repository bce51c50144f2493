#!/bin/bash
# `bpfjit verify OBJ` over every program of an object, in text and --json, run by CTest:
#   cli_verify_test.sh BPFJIT PROGS_DIR COMPAT_DIR
set -u
bpfjit=$1 progs=$2 compat=$3
work=$(mktemp -d) && cd "$work" || exit 1
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
line_re() {  # NAME SECTION TYPE VERDICT: the regex of one program's line
  printf '^%s +section %s +type %s +%s +insns [0-9]+ +time [0-9]+ us$' "$1" "$2" "$3" "$4"
}

# every program accepted: one line each, exit 0
out=$("$bpfjit" verify "$compat/bounded_loops.o" --platform linux) || fail "exit $?: $out"
[ "$(wc -l <<<"$out")" = 3 ] || fail "not 3 lines: $out"
grep -Eq "$(line_re xdp_hash_loop xdp xdp accepted)" <<<"$out" || fail "xdp_hash_loop: $out"
grep -Eq "$(line_re xdp_triangle xdp xdp accepted)" <<<"$out" || fail "xdp_triangle: $out"
grep -Eq "$(line_re tc_port_rules tc sched_cls accepted)" <<<"$out" || fail "tc_port_rules: $out"

# rejections: exit 1, the reason indented on the next line
out=$("$bpfjit" verify "$compat/reject_maps.o" --platform linux)
rc=$?
[ $rc = 1 ] || fail "reject_maps exit $rc: $out"
[ "$(grep -c ' rejected ' <<<"$out")" = 4 ] || fail "not 4 rejections: $out"
grep -A1 -E "$(line_re xdp_no_null_check xdp xdp rejected)" <<<"$out" \
  | grep -Eq '^  insn [0-9]+: .*null' || fail "no null-check reason: $out"
grep -A1 -E "$(line_re tp_ringbuf_leak 'tracepoint/syscalls/sys_enter_openat' tracepoint \
  rejected)" <<<"$out" | grep -Eq '^  insn [0-9]+: .*ringbuf' || fail "no leak reason: $out"

# --program: that program only; its verdict decides the exit code
out=$("$bpfjit" verify "$compat/reject_packet.o" --platform linux --program tc_write_len)
[ $? = 1 ] || fail "tc_write_len exit: $out"
[ "$(grep -c 'section' <<<"$out")" = 1 ] || fail "not one program: $out"
"$bpfjit" verify "$compat/reject_packet.o" --platform linux --program nope 2>err.txt \
  && fail "unknown program accepted"
grep -q "no program 'nope'" err.txt || fail "unknown program: $(cat err.txt)"

# lwt sections: the linux platform has every kernel program type
out=$("$bpfjit" verify "$compat/lwt_socket.o" --platform linux) || fail "lwt_socket exit: $out"
grep -Eq "$(line_re lwt_mark lwt_xmit lwt_xmit accepted)" <<<"$out" || fail "lwt_mark: $out"
grep -Eq "$(line_re sock_ipv4_tcp socket socket_filter accepted)" <<<"$out" \
  || fail "sock_ipv4_tcp: $out"

# --json: an array with one object per program
out=$("$bpfjit" verify "$compat/reject_packet.o" --platform linux --json)
[ $? = 1 ] || fail "json exit: $out"
[ "$(head -n 1 <<<"$out")" = "[" ] && [ "$(tail -n 1 <<<"$out")" = "]" ] || fail "array: $out"
[ "$(grep -c '"verdict": "rejected"' <<<"$out")" = 3 ] || fail "json verdicts: $out"
obj='{"name": "xdp_unchecked_read", "section": "xdp", "type": "xdp", "verdict": "rejected", '
obj+='"load_error": false, "insns_processed": [0-9]*, "time_us": [0-9]*, '
obj+='"reasons": \[{"insn": [0-9]*, "message": "'
grep -q "$obj" <<<"$out" || fail "json object: $out"
out=$("$bpfjit" verify "$compat/bounded_loops.o" --platform linux --json) || fail "json exit $?"
[ "$(grep -c '"verdict": "accepted"' <<<"$out")" = 3 ] || fail "json accepted: $out"
grep -q '"reasons": \[\]}' <<<"$out" || fail "json empty reasons: $out"
if command -v python3 >/dev/null; then
  check='import json, sys; a = json.load(sys.stdin); assert len(a) == 3, a; '
  check+='assert a[2]["type"] == "sched_cls", a'
  python3 -c "$check" <<<"$out" || fail "json does not parse: $out"
fi

# an object the loader refuses as a whole: exit 2, the error on stderr
head -c 200 "$compat/perf_events.o" > truncated.o
"$bpfjit" verify truncated.o --platform linux >out.txt 2>err.txt
rc=$?
[ $rc = 2 ] || fail "truncated exit $rc: $(cat out.txt err.txt)"
grep -q "load error" err.txt || fail "truncated: $(cat err.txt)"

# assembler text: one program named by its file, section -, in text and --json
printf '  mov %%r0, 2\n  exit\n' > two.s
printf '  ldxdw %%r0, [%%r1+8]\n  exit\n' > read.s
out=$("$bpfjit" verify two.s) || fail "two.s exit $?: $out"
grep -Eq "$(line_re two.s - mem accepted)" <<<"$out" || fail "two.s: $out"
out=$("$bpfjit" verify read.s --json)
[ $? = 1 ] || fail "read.s exit: $out"
grep -q '"name": "read.s", "section": "-", "type": "mem", "verdict": "rejected"' <<<"$out" \
  || fail "read.s json: $out"
grep -q '"reasons": \[{"insn": 0, "message": "' <<<"$out" || fail "read.s reason: $out"

# the runtime platform (the default) on the project's own fixtures
out=$("$bpfjit" verify "$progs/multi_prog.v3.o") || fail "multi_prog exit $?: $out"
[ "$(grep -c ' accepted ' <<<"$out")" -ge 2 ] || fail "multi_prog: $out"
echo PASS
