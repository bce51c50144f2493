#!/bin/bash
# Tests of the bpfjit tool and the conformance plugin, run by CTest:
#   cli_test.sh CASE BPFJIT PLUGIN DATA_DIR CONFORMANCE_DIR WORK_DIR [BPF_PROGS_DIR]
# Exit 0 = pass, 77 = skipped (conformance data absent), anything else = fail.
set -u
shopt -s extglob
case_name=$1 bpfjit=$2 plugin=$3 data=$4 conf=$5 work=$6 progs=${7:-}
mkdir -p "$work"
cd "$work" || exit 1

fail() { echo "FAIL: $*" >&2; exit 1; }
need_conformance() {
  [ -f "$conf/cases.tsv" ] || { echo "conformance data not found at $conf"; exit 77; }
}
# The last line of stdout must be $2 and the exit code 0.
expect_r0() {
  local want=$1; shift
  local out
  out=$("$@") || fail "exit $? from: $*"
  [ "$(printf '%s\n' "$out" | tail -n 1)" = "$want" ] || fail "want $want, got: $out (from: $*)"
}

# A hex number in a canonical form: lower case, no 0x, no leading zeros.
norm() {
  local v=${1,,}
  v=${v#0x}
  v=${v##+(0)}
  printf '%s' "${v:-0}"
}

# hex bytes of a file, two digits each, separated by two spaces (the suite's format)
suite_hex() { od -An -v -tx1 "$1" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//; s/ /  /g'; }

case $case_name in
  test-run)
    # bpfjit run --packet as the kernel's BPF_PROG_TEST_RUN, on xdp_adjust (bpf-progs):
    # controls 00 02 ff 08 move the head by +2 and the tail by -4, and store the new
    # packet's bytes 8..15 reversed at 4; byte 0 becomes the number of helpers that failed.
    obj=$progs/xdp_adjust.v4.o
    [ -f "$obj" ] || { echo "bpf-progs object $obj not built"; exit 77; }
    { printf '\x00\x02\xff\x08'; for i in $(seq 4 63); do printf "\\x$(printf %02x "$i")"; done; } > pkt.bin
    [ "$(stat -c %s pkt.bin)" = 64 ] || fail "packet is $(stat -c %s pkt.bin) bytes"
    for engine in interp jit; do
      expect_r0 0x0 "$bpfjit" run "$obj" --program xdp_adjust --packet pkt.bin \
        --packet-out out.bin --ctx-out ctx.bin --engine $engine
      [ "$(stat -c %s out.bin)" = 58 ] || fail "data_out is $(stat -c %s out.bin) bytes ($engine)"
      want="00 08 04 05 11 10 0f 0e 0d 0c 0b 0a 0e 0f 10 11"
      got=$(od -An -v -tx1 -N16 out.bin | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
      [ "$got" = "$want" ] || fail "data_out starts $got, want $want ($engine)"
      # struct xdp_md: data 0, data_end 58, data_meta 0, ingress_ifindex 0, ...
      got=$(od -An -v -tu4 ctx.bin | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
      [ "$got" = "0 58 0 0 0 0" ] || fail "ctx_out $got ($engine)"
    done
    # ctx_in: 4 bytes of metadata open the file; the program writes its controls there.
    { printf '\xaa\xbb\xcc\xdd'; cat pkt.bin; } > meta.bin
    printf '\x04\x00\x00\x00\x44\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' > ctx_in.bin
    expect_r0 0x0 "$bpfjit" run "$obj" --packet meta.bin --ctx-in ctx_in.bin \
      --packet-out out.bin --ctx-out ctx.bin
    [ "$(od -An -v -tx1 -N4 out.bin | tr -d ' \n')" = 0002ff08 ] || fail "metadata: $(od -An -tx1 out.bin)"
    got=$(od -An -v -tu4 ctx.bin | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
    [ "$got" = "4 62 0 1 0 0" ] || fail "ctx_out with metadata: $got"
    # --repeat: each run on what the last left, and the time per run.
    out=$("$bpfjit" run "$obj" --packet pkt.bin --repeat 3 --packet-out out3.bin) || fail "repeat exit $?"
    grep -Eq '^3 runs on .*: [0-9]+ ns per run$' <<<"$out" || fail "repeat: $out"
    cmp -s out.bin out3.bin && fail "three runs left the packet as one did"
    # What the kernel refuses: a packet shorter than an Ethernet header.
    head -c 13 pkt.bin > short.bin
    "$bpfjit" run "$obj" --packet short.bin 2>err.txt && fail "a 13-byte packet ran"
    grep -q '13 bytes' err.txt || fail "short packet: $(cat err.txt)"
    # A tc program's ctx_in is struct __sk_buff (192 bytes): skb_resize's tc_resize reads
    # from cb[] which call to make, here bpf_skb_change_tail to 100 bytes.
    tcobj=$progs/skb_resize.v4.o
    [ -f "$tcobj" ] || { echo "bpf-progs object $tcobj not built"; exit 77; }
    { head -c 12 /dev/zero; printf '\x08\x00\x45'; head -c 39 /dev/zero; } > ip.bin
    { head -c 48 /dev/zero; printf '\x01\x00\x00\x00\x64\x00\x00\x00'; head -c 136 /dev/zero; } > skb_in.bin
    [ "$(stat -c %s skb_in.bin)" = 192 ] || fail "ctx_in is $(stat -c %s skb_in.bin) bytes"
    for engine in interp jit; do
      expect_r0 0x64 "$bpfjit" run "$tcobj" --program tc_resize --packet ip.bin \
        --ctx-in skb_in.bin --packet-out tc_out.bin --ctx-out skb_out.bin --engine $engine
      [ "$(stat -c %s tc_out.bin)" = 100 ] || fail "tc data_out is $(stat -c %s tc_out.bin) bytes"
      # ctx_out: cb[0] is the helper's return (0), wire_len (offset 160) the packet's length.
      got=$(od -An -v -tu4 -j48 -N8 skb_out.bin | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
      [ "$got" = "0 100" ] || fail "ctx_out cb: $got ($engine)"
      got=$(od -An -v -tu4 -j160 -N4 skb_out.bin | tr -d ' \n')
      [ "$got" = 54 ] || fail "ctx_out wire_len: $got ($engine)"
    done
    # A field a test may not set (len, at offset 0).
    { printf '\x01'; tail -c 191 skb_in.bin; } > bad_ctx.bin
    "$bpfjit" run "$tcobj" --packet ip.bin --ctx-in bad_ctx.bin 2>err.txt && fail "len in ctx_in ran"
    grep -q 'ctx_in byte 0' err.txt || fail "bad ctx_in: $(cat err.txt)"
    ;;
  pcap)
    # bpfjit run --pcap: every packet of a capture as a test run (xdp_adjust, as in test-run).
    obj=$progs/xdp_adjust.v4.o
    [ -f "$obj" ] || { echo "bpf-progs object $obj not built"; exit 77; }
    # Three packets (the second adjusts head +2 and tail -4; the third is 13 bytes, which
    # the kernel refuses), little-endian microsecond pcap; the same big-endian nanosecond;
    # a pcapng header; a capture cut inside its second record.
    python3 - <<'PY' || fail "writing captures"
import struct
pkts = [bytes(range(64)), bytes([0, 2, 0xff, 8]) + bytes(range(4, 64)), bytes(13)]
def cap(order, magic, pkts):
    out = struct.pack(order + 'IHHiIII', magic, 2, 4, 0, 0, 65535, 1)
    for i, p in enumerate(pkts):
        out += struct.pack(order + 'IIII', 1000 + i, 7, len(p), len(p)) + p
    return out
open('in.pcap', 'wb').write(cap('<', 0xa1b2c3d4, pkts))
open('be.pcap', 'wb').write(cap('>', 0xa1b23c4d, pkts))
open('ng.pcap', 'wb').write(struct.pack('<IIIHHq', 0x0a0d0d0a, 28, 0x1a2b3c4d, 1, 0, -1) + struct.pack('<I', 28))
open('cut.pcap', 'wb').write(cap('<', 0xa1b2c3d4, pkts[:2])[:24 + 16 + 64 + 16 + 10])
PY
    for engine in interp jit; do
      "$bpfjit" run "$obj" --pcap in.pcap --pcap-out out.pcap --engine $engine > out.txt 2>err.txt
      [ $? = 1 ] || fail "a capture with a refused packet must exit 1 ($engine)"
      sed -n 1p out.txt | grep -qx '0 0 XDP_ABORTED 71 -' || fail "line 0: $(cat out.txt)"
      sed -n 2p out.txt | grep -qx '1 0 XDP_ABORTED 58 -' || fail "line 1: $(cat out.txt)"
      sed -n 3p out.txt | grep -q '^2 error: .*13 bytes' || fail "line 2: $(cat out.txt)"
      sed -n 4p out.txt | grep -Eq '^3 packets, 1 errors on .*: XDP_ABORTED 2; [0-9]+ packets/s' ||
        fail "summary: $(cat out.txt)"
      # packet 1 of the output is the packet test-run's --packet-out gives
      python3 -c "import sys; sys.stdout.buffer.write(open('in.pcap','rb').read()[24+16+64+16:24+16+64+16+64])" > p1.bin
      "$bpfjit" run "$obj" --packet p1.bin --packet-out p1.out --engine $engine > /dev/null || fail "p1 run"
      python3 - <<'PY' || fail "output capture ($engine)"
import struct
d = open('out.pcap', 'rb').read()
magic, vmaj, vmin, _, _, snap, link = struct.unpack('<IHHiIII', d[:24])
assert (magic, vmaj, vmin, link) == (0xa1b2c3d4, 2, 4, 1), (magic, vmaj, vmin, link)
recs, off = [], 24
while off < len(d):
    sec, frac, incl, orig = struct.unpack('<IIII', d[off:off + 16])
    recs.append((sec, frac, d[off + 16:off + 16 + incl])); off += 16 + incl
assert [r[0] for r in recs] == [1000, 1001, 1002] and all(r[1] == 7 for r in recs), recs
assert recs[1][2] == open('p1.out', 'rb').read(), 'packet 1 differs from --packet-out'
assert recs[2][2] == bytes(13), 'the refused packet is written unchanged'
PY
    done
    # --json: one object per packet on stdout, the summary on stderr; the big-endian
    # nanosecond capture reads the same.
    "$bpfjit" run "$obj" --pcap be.pcap --json > out.json 2>err.txt
    [ $? = 1 ] || fail "json exit"
    python3 - <<'PY' || fail "json lines: $(cat out.json)"
import json
lines = [json.loads(l) for l in open('out.json')]
assert lines[0] == {"index": 0, "retval": 0, "verdict": "XDP_ABORTED", "length": 71, "redirect": None}, lines[0]
assert lines[1]["length"] == 58 and lines[2]["index"] == 2 and "13 bytes" in lines[2]["error"], lines
PY
    grep -q '^3 packets, 1 errors' err.txt || fail "json summary: $(cat err.txt)"
    # What is refused, with the reason.
    "$bpfjit" run "$obj" --pcap ng.pcap 2>err.txt && fail "pcapng ran"
    grep -q 'pcapng' err.txt || fail "pcapng: $(cat err.txt)"
    "$bpfjit" run "$obj" --pcap cut.pcap > out.txt 2>err.txt && fail "a cut capture ran"
    grep -q 'packet 1 at offset 104' err.txt || fail "cut: $(cat err.txt)"
    grep -qx '0 0 XDP_ABORTED 71 -' out.txt || fail "packets before the cut: $(cat out.txt)"
    "$bpfjit" run "$obj" --pcap in.pcap --repeat 2 2>err.txt && fail "--pcap with --repeat ran"
    grep -q 'does not combine' err.txt || fail "repeat: $(cat err.txt)"
    "$bpfjit" run "$obj" --json 2>err.txt && fail "--json without --pcap ran"
    ;;
  host-env)
    # --time-ns, --seed, --cpu (host_clock.c) and a network for xdp_fwd.c's tc_fwd, whose
    # bpf_redirect the run prints; a bad spec is refused with the spec named.
    obj=$progs/host_clock.v3.o
    [ -f "$obj" ] || { echo "bpf-progs object $obj not built"; exit 77; }
    head -c 86 /dev/zero > zero.bin
    printf '\x08\x00\x45\x00\x00\x56' > hdr.bin
    { head -c 12 /dev/zero; cat hdr.bin; head -c 8 /dev/zero; printf '\x0a\x00\x01\x01\x0a\x00\x02\x07'; head -c 66 /dev/zero; } > ip.bin
    for engine in interp jit; do
      out=$("$bpfjit" run "$obj" --packet zero.bin --time-ns 1000 --seed 5 --cpu 3 --dump-maps \
            --engine $engine) || fail "host_clock exit $?"
      # ktime 1000 (e8 03), boot 1000, coarse 1000, then jiffies, 2 randoms, cpu 3.
      grep -q '00000000: e803000000000000e803000000000000e803000000000000.\{32\}03000000' <<<"$out" ||
        fail "seen: $out"
      out2=$("$bpfjit" run "$obj" --packet zero.bin --time-ns 1000 --seed 5 --cpu 3 --dump-maps \
             --engine $engine)
      [ "$(grep 00000000: <<<"$out" | head -1)" = "$(grep 00000000: <<<"$out2" | head -1)" ] ||
        fail "the same seed gave other numbers"
      out=$("$bpfjit" run "$progs/xdp_fwd.v3.o" --program tc_fwd --packet ip.bin --engine $engine \
            --device 1,forwarding --device 2,mtu=1500,mac=02:00:00:00:00:02,forwarding \
            --route 10.0.2.0/24,dev=2 --neigh 10.0.2.7,dev=2,mac=aa:00:00:00:00:07) ||
        fail "tc_fwd exit $?"
      [ "$(printf '%s\n' "$out" | tail -n 2 | head -n 1)" = "redirect: ifindex 2 (flags 0x0)" ] ||
        fail "tc_fwd: $out"
      expect_r0 0x7 printf '%s\n' "$out"
    done
    "$bpfjit" run "$progs/xdp_fwd.v3.o" --packet ip.bin --route 10.0.0.0/33,dev=2 2>err.txt &&
      fail "a /33 route was taken"
    grep -q "'10.0.0.0/33,dev=2'" err.txt || fail "bad route: $(cat err.txt)"
    ;;
  inspect)
    obj=$progs/multi_prog.v3.o
    [ -f "$obj" ] || { echo "bpf-progs object $obj not built"; exit 77; }
    "$bpfjit" inspect "$obj" > out.txt || fail "inspect exit $?"
    # Each program: the kernel program type and expected attach type of its section.
    grep -Eq '^  \S+ +section tc +type sched_cls .* prog_type sched_cls +attach_type -$' out.txt ||
      fail "no tc line: $(cat out.txt)"
    grep -Eq '^  \S+ +section classifier .* prog_type sched_cls +attach_type -$' out.txt ||
      fail "no classifier line: $(cat out.txt)"
    grep -Eq '^  \S+ +section xdp +type xdp .* prog_type xdp +attach_type xdp$' out.txt ||
      fail "no xdp line: $(cat out.txt)"
    grep -Eq '^  \S+ +section custom/sum .* prog_type - +attach_type -$' out.txt ||
      fail "no custom/sum line: $(cat out.txt)"
    ;;
  version)
    out=$("$bpfjit" --version) || fail "--version exit $?"
    [[ $out == "bpfjit "[0-9]*.[0-9]*.[0-9]* ]] || fail "--version printed '$out'"
    "$bpfjit" run --help | grep -q -- "--budget" || fail "run --help lacks --budget"
    # main.cc builds only the subcommand its first argument names (start-up time): each
    # one still parses on its own, and --help without one still lists them all.
    "$bpfjit" --help > help.txt || fail "--help exit $?"
    for sub in asm disasm run jit-dump inspect verify; do
      grep -Eq "^  $sub( |$)" help.txt || fail "--help lacks $sub: $(cat help.txt)"
      "$bpfjit" $sub --help | grep -q "Usage: .*$sub" || fail "$sub --help has no usage line"
    done
    "$bpfjit" nosuch 2>err.txt && fail "an unknown subcommand was accepted"
    grep -q "subcommand is required" err.txt || fail "no error for an unknown subcommand: $(cat err.txt)"
    ;;
  asm-disasm)
    "$bpfjit" asm "$data/sample.s" -o a.bin || fail "asm exit $?"
    [ "$(stat -c %s a.bin)" = $((18 * 8)) ] || fail "a.bin is $(stat -c %s a.bin) bytes, want 144"
    "$bpfjit" disasm a.bin > listing.txt || fail "disasm exit $?"
    grep -q '^  11: add %r0, %r6$' listing.txt || fail "listing lacks slot 11: $(cat listing.txt)"
    for flags in --plain "--plain --labels"; do
      "$bpfjit" disasm $flags a.bin > b.s || fail "disasm $flags exit $?"
      "$bpfjit" asm b.s -o b.bin || fail "re-asm of disasm $flags output failed"
      cmp a.bin b.bin || fail "disasm $flags | asm differs from the original"
    done
    ;;
  run)
    # Without --mem: r1 = r2 = 0, so the sum is 0x100000000 + 0 (helper 5 returns r1 = 7).
    expect_r0 0x100000007 "$bpfjit" run "$data/sample.s"
    printf '\x01\x02\x03\xff' > mem.bin
    expect_r0 0x10000010c "$bpfjit" run "$data/sample.s" --mem mem.bin
    "$bpfjit" asm "$data/sample.s" -o sample.bin || fail "asm exit $?"
    expect_r0 0x10000010c "$bpfjit" run sample.bin --mem mem.bin --engine interp
    # A text file with another extension is recognised as text.
    cp "$data/sample.s" sample.txt
    expect_r0 0x100000007 "$bpfjit" run sample.txt --engine auto
    ;;
  refused)
    printf 'mov %%r0, 1\naddd %%r0, 2\nexit\n' > bad.s
    if "$bpfjit" run bad.s > out.txt 2> err.txt; then fail "bad.s ran"; fi
    grep -q "line 2: unknown mnemonic 'addd'" err.txt || fail "stderr: $(cat err.txt)"
    [ ! -s out.txt ] || fail "stdout not empty: $(cat out.txt)"
    printf '\x07\x00\x01\x00\x01\x00\x00\x00\x95\x00\x00\x00\x00\x00\x00\x00' > bad.bin
    if "$bpfjit" run bad.bin 2> err.txt; then fail "bad.bin ran"; fi
    grep -q "insn 0: .*off must be 0, is 1" err.txt || fail "stderr: $(cat err.txt)"
    if "$bpfjit" disasm bad.bin 2> err.txt; then fail "disasm of bad.bin succeeded"; fi
    grep -q "insn 0" err.txt || fail "stderr: $(cat err.txt)"
    # A load from address 0: the verifier refuses it; with --checked, it traps at run time.
    printf 'mov %%r1, 0\nldxdw %%r0, [%%r1]\nexit\n' > trap.s
    if "$bpfjit" run trap.s 2> err.txt; then fail "trap.s ran"; fi
    grep -q "verifier error: insn 1: .*invalid memory access" err.txt || fail "stderr: $(cat err.txt)"
    for engine in interp jit; do
      if "$bpfjit" run trap.s --checked --engine $engine 2> err.txt; then fail "trap.s ran"; fi
      grep -q "insn 1: load of 8 bytes at 0x0" err.txt || fail "$engine stderr: $(cat err.txt)"
    done
    # An endless loop: the verifier refuses it; with --checked, the budget stops it.
    printf 'mov %%r0, 0\nja -1\n' > loop.s
    if "$bpfjit" run loop.s 2> err.txt; then fail "loop ran"; fi
    grep -q "infinite loop" err.txt || fail "stderr: $(cat err.txt)"
    for engine in interp jit; do
      if "$bpfjit" run loop.s --checked --budget 1000 --engine $engine 2> err.txt; then
        fail "loop ran"
      fi
      grep -q "budget" err.txt || fail "$engine stderr: $(cat err.txt)"
    done
    ;;
  harden)
    # jit-dump --harden: no immediate of the program in the x86 lines (the eBPF lines, "N: ...",
    # name them), each blinded as a value xor a key; without it they are there.
    printf 'mov %%r0, 0x1c2d3e4f\nadd %%r0, 0x2a3b4c5d\njgt %%r0, 0x3e4f5a6b, +2\nlddw %%r6, 0x4a5b6c7d1e2f3a4b\nadd %%r0, %%r6\nstw [%%r10-8], 0x5b6c7d1e\nexit\n' > imms.s
    for mode in "" --trusted; do
      "$bpfjit" jit-dump imms.s $mode > plain.txt || fail "jit-dump $mode exit $?"
      "$bpfjit" jit-dump imms.s $mode --harden > hard.txt || fail "jit-dump $mode --harden exit $?"
      grep -Ev '^ *[0-9]+: ' plain.txt > plain.x86
      grep -Ev '^ *[0-9]+: ' hard.txt > hard.x86
      for imm in 1C2D3E4F 2A3B4C5D 3E4F5A6B 4A5B6C7D1E2F3A4B 5B6C7D1E; do
        grep -qi "0x$imm" plain.x86 || fail "jit-dump $mode lacks 0x$imm: $(cat plain.txt)"
        if grep -qi -e "${imm:0:8}" -e "${imm: -8}" hard.x86; then
          fail "jit-dump $mode --harden shows $imm: $(cat hard.txt)"
        fi
      done
      grep -q '^xor rax, 0x' hard.x86 || fail "no blinding in: $(cat hard.txt)"
      grep -q '^ *0: mov %r0, ' hard.txt || fail "no eBPF lines in: $(cat hard.txt)"
    done
    # run --harden: the same results on every engine and mode (the interpreter ignores it).
    printf '\x01\x02\x03\xff' > mem.bin
    for engine in interp jit auto; do
      expect_r0 0x10000010c "$bpfjit" run "$data/sample.s" --mem mem.bin --engine $engine --harden
      expect_r0 0x10000010c "$bpfjit" run "$data/sample.s" --mem mem.bin --engine $engine --harden --checked
    done
    "$bpfjit" run --help | grep -q -- "--harden" || fail "run --help lacks --harden"
    ;;
  plugin)
    need_conformance
    "$bpfjit" asm "$data/sample.s" -o sample.bin || fail "asm exit $?"
    printf '\x01\x02\x03\xff' > mem.bin
    # The suite's format (two spaces after each byte) and plain hex both work.
    out=$(suite_hex sample.bin | "$plugin" "$(suite_hex mem.bin)") || fail "plugin exit $?"
    [ "$out" = 0x10000010c ] || fail "plugin printed '$out'"
    out=$(od -An -v -tx1 sample.bin | tr -d ' \n' | "$plugin") || fail "plugin exit $?"
    [ "$out" = 0x100000007 ] || fail "plugin printed '$out'"
    # Two conformance programs with memory, one refused encoding.
    for f in ldxb.data ldxdw.data; do
      row=$(awk -F'\t' -v f="$f" '$1 == f' "$conf/cases.tsv")
      want=$(printf '%s' "$row" | cut -f2) mem=$(printf '%s' "$row" | cut -f3)
      prog=$(printf '%s' "$row" | cut -f4)
      out=$(printf '%s' "$prog" | "$plugin" "$mem") || fail "$f: plugin exit $?"
      [ "$(norm "$out")" = "$(norm "$want")" ] || fail "$f: want $want, got $out"
    done
    if printf '07 00 01 00 01 00 00 00 95 00 00 00 00 00 00 00' | "$plugin" 2> err.txt; then
      fail "refused encoding ran"
    fi
    grep -q "off must be 0" err.txt || fail "stderr: $(cat err.txt)"
    if printf '9' | "$plugin" 2> /dev/null; then fail "odd hex accepted"; fi
    ;;
  conformance)
    # Every case through the plugin with its default engine (auto); the engines one by one
    # are tested in-process by test/conformance.
    need_conformance
    engine=auto
    pass=0 failed=0
    # (tab counts as whitespace for read, so empty columns would merge: use '|' instead)
    while IFS='|' read -r file want mem prog cpu groups area; do
      [ "$file" = file ] && continue
      out=$(printf '%s' "$prog" | "$plugin" "$mem" --engine "$engine" 2>&1)
      if [ $? -eq 0 ] && [[ $out == 0x* ]] && [ "$(norm "$out")" = "$(norm "$want")" ]; then
        pass=$((pass + 1))
      else
        failed=$((failed + 1))
        echo "FAIL $file: want $want, got $out" >&2
      fi
    done < <(tr '\t' '|' < "$conf/cases.tsv")
    echo "$engine: $pass passed, $failed failed"
    [ "$pass" -eq 313 ] && [ "$failed" -eq 0 ] || fail "$failed of $((pass + failed)) failed"
    ;;
  *) fail "unknown case $case_name" ;;
esac
exit 0
