#!/bin/bash
# `bpfjit run OBJ.o` and `bpfjit inspect OBJ.o`, run by CTest:
#   cli_object_test.sh BPFJIT PROGS_DIR WORK_DIR
set -u
bpfjit=$1 progs=$2 work=$3
mkdir -p "$work" && cd "$work" || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }
last_line() { printf '%s\n' "$1" | tail -n 1; }

# An Ethernet/IPv4/TCP packet to port 23 (xdp_filter drops it: XDP_DROP = 1) and one to
# port 80 (XDP_PASS = 2); the IPv4 checksum does not matter to xdp_filter.
eth='\x02\x02\x02\x02\x02\x02\x10\x11\x12\x13\x14\x15\x08\x00'
ip='\x45\x00\x00\x28\x12\x34\x00\x00\x40\x06\x00\x00\x0a\x00\x00\x01\x0a\x00\x00\x02'
tcp_tail='\x00\x00\x03\xe8\x00\x00\x00\x00\x50\x10\x02\x00\x00\x00\x00\x00'
printf "$eth$ip\x9c\x40\x00\x17$tcp_tail" > telnet.pkt
printf "$eth$ip\x9c\x40\x00\x50$tcp_tail" > web.pkt
[ "$(stat -c %s telnet.pkt)" = 54 ] || fail "packet is $(stat -c %s telnet.pkt) bytes"

for engine in interp jit; do
  out=$("$bpfjit" run "$progs/xdp_filter.v3.o" --packet telnet.pkt --engine $engine) \
    || fail "run exit $? ($engine)"
  [ "$(last_line "$out")" = 0x1 ] || fail "telnet packet: $out ($engine)"
  out=$("$bpfjit" run "$progs/xdp_filter.v3.o" --program xdp_filter --packet web.pkt \
        --engine $engine --repeat 5 --dump-maps) || fail "run exit $? ($engine)"
  [ "$(last_line "$out")" = 0x2 ] || fail "web packet: $out ($engine)"
  # stats[0] (ipv4) and stats[2] (tcp) counted the 5 runs: u64 5 little-endian
  grep -q '^  00000000: 0500000000000000$' <<<"$out" || fail "stats[0] not 5: $out"
  grep -q '^  02000000: 0500000000000000$' <<<"$out" || fail "stats[2] not 5: $out"
  grep -q 'ns per run' <<<"$out" || fail "no timing line: $out"
done

# mem programs take --mem; a program is found by its section name too
printf '123456789' > check.bin
out=$("$bpfjit" run "$progs/crc32.v4.o" --program crc32 --mem check.bin) || fail "crc32 exit $?"
[ "$(last_line "$out")" = 0xcbf43926 ] || fail "crc32: $out"
# ... with constant blinding (--harden), verified and checked
for checked in "" --checked; do
  out=$("$bpfjit" run "$progs/crc32.v4.o" --program crc32 --mem check.bin --engine jit --harden \
        $checked) || fail "crc32 --harden $checked exit $?"
  [ "$(last_line "$out")" = 0xcbf43926 ] || fail "crc32 --harden $checked: $out"
done
printf '\x09\x00\x00\x00\x04\x00\x00\x00' > words.bin
out=$("$bpfjit" run "$progs/call_chain.v3.o" --program mem/max --mem words.bin) \
  || fail "call_chain exit $?"
[ "$(last_line "$out")" = 0xf ] || fail "word_max: $out"

# refusals: an unknown program, a wrong type, a truncated object
"$bpfjit" run "$progs/crc32.v4.o" --program nope --mem check.bin 2>err.txt && fail "nope ran"
grep -q "no program 'nope'" err.txt || fail "unknown program: $(cat err.txt)"
"$bpfjit" run "$progs/crc32.v4.o" --type xdp --packet web.pkt 2>err.txt && fail "xdp crc32 ran"
grep -q "program crc32" err.txt || fail "wrong type: $(cat err.txt)"
head -c 700 "$progs/crc32.v4.o" > cut.o
"$bpfjit" run cut.o 2>err.txt && fail "truncated object ran"
grep -q "load error\|outside the file" err.txt || fail "truncated: $(cat err.txt)"

# inspect lists programs, maps, data and relocations
out=$("$bpfjit" inspect "$progs/xdp_filter.v3.o") || fail "inspect exit $?"
grep -Eq '^  xdp_filter +section xdp +type xdp +insns [0-9]+ +prog_type xdp +attach_type xdp$' <<<"$out" || fail "programs: $out"
grep -Eq '^  stats +type array +key 4 +value 8 +max_entries 6$' <<<"$out" || fail "maps: $out"
grep -Eq '^  blocked_src +type hash +key 4 +value 1 +max_entries 64$' <<<"$out" || fail "maps: $out"
grep -Eq 'R_BPF_64_64 +stats +-> map stats$' <<<"$out" || fail "relocations: $out"
out=$("$bpfjit" inspect "$progs/globals.v3.o") || fail "inspect exit $?"
grep -Eq '^  \.bss +16 bytes, writable$' <<<"$out" || fail "global data: $out"
grep -Eq '^  \.data +8 bytes, writable$' <<<"$out" || fail "global data: $out"
grep -Eq '^  \.rodata.* read-only$' <<<"$out" || fail "global data: $out"
# A program the loader refuses alone is reported rejected with its error; the others are
# verified; the exit code says not every program was accepted.
out=$("$bpfjit" verify "$progs/isolation.v3.o"); rc=$?
[ $rc = 1 ] || fail "verify isolation exit $rc: $out"
grep -Eq '^good +section mem +type mem +accepted ' <<<"$out" || fail "verify isolation: $out"
grep -Eq '^writes_r10 +section mem +type mem +rejected ' <<<"$out" || fail "verify isolation: $out"
grep -q 'program writes_r10: mov writes r10' <<<"$out" || fail "verify isolation: $out"
out=$("$bpfjit" inspect "$progs/isolation.v3.o") || fail "inspect isolation exit $?"
grep -q '^    load error: insn 0: program writes_r10: mov writes r10' <<<"$out" \
  || fail "inspect isolation: $out"
# CO-RE: without a target BTF the first relocation is named; with --btf (here another
# object's BTF, a newer layout of struct rec) the program follows the moved fields
"$bpfjit" run "$progs/core_fields.v3.o" --mem check.bin 2>err.txt && fail "core ran without btf"
grep -q "CO-RE relocation of 'struct rec.a'.*needs a target BTF (give --btf FILE)" err.txt \
  || fail "core without btf: $(cat err.txt)"
# d=0x33 pad b=0x22 a=0x11, lo=3 hi=6 at byte 16, extra=0x44 at 20
printf '\x33\0\0\0\0\0\0\0\x22\0\0\0\x11\0\0\0\x66\0\0\0\x44\0\0\0' > rec.bin
for engine in interp jit; do
  out=$("$bpfjit" run "$progs/core_fields.v3.o" --btf "$progs/core_target.v3.o" --mem rec.bin \
        --engine $engine) || fail "core run exit $? ($engine)"
  [ "$(last_line "$out")" = 0x1809064404332211 ] || fail "core run: $out ($engine)"
done
out=$("$bpfjit" inspect "$progs/core_fields.v3.o" --btf "$progs/core_target.v3.o") \
  || fail "inspect core exit $?"
grep -Eq 'CO-RE field_byte_offset +struct rec.a +-> 12 \(local 0\)$' <<<"$out" \
  || fail "inspect core: $out"
out=$("$bpfjit" verify "$progs/core_fields.v3.o" --btf "$progs/core_target.v3.o" --mem-size 24) \
  || fail "verify core exit $?: $out"
grep -Eq '^read_rec +section mem +type mem +accepted ' <<<"$out" || fail "verify core: $out"
printf 'LINUX_KERNEL_VERSION=394752\nCONFIG_HZ=1000\n' > kconfig.txt
out=$("$bpfjit" run "$progs/kconfig_externs.v3.o" --kconfig kconfig.txt --mem check.bin) \
  || fail "kconfig run exit $?"
[ "$(last_line "$out")" = 0x3e800060600 ] || fail "kconfig run: $out"
out=$("$bpfjit" inspect "$progs/kconfig_externs.v3.o" --kconfig kconfig.txt) \
  || fail "inspect kconfig exit $?"
grep -Eq '^  \.kconfig +22 bytes, read-only$' <<<"$out" || fail "kconfig image: $out"
"$bpfjit" run "$progs/kfunc_call.v3.o" --mem check.bin 2>err.txt && fail "kfunc ran"
grep -q "calls kfunc 'bpf_task_acquire' (kfuncs are not supported)" err.txt \
  || fail "kfunc: $(cat err.txt)"
echo PASS
