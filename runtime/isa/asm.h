// The assembler: eBPF assembler text to decoded instructions.
//
// The syntax is the one of the conformance suite's `-- asm` sections
// (../shared/conformance/ASM_SYNTAX.md), extended so that every Op of opcodes.def can be
// written, which makes disassemble() (disasm.h) and assemble() exact inverses.
//
// Lines and tokens
//   One instruction per line. `#` starts a comment; blank lines are ignored. Operands are
//   separated by whitespace and/or commas. A memory operand is `[%rN]`, `[%rN+off]` or
//   `[%rN-off]` (spaces inside the brackets are tolerated).
//   A label is a token ending in `:` that stands first on its line; the rest of that line
//   is ignored (as in the suite). It names the next instruction. `exit` is a built-in
//   label for the first `exit` instruction unless the program defines its own `exit:`.
//   Registers are `%r0`..`%r10`.
//   imm (32 bits): signed decimal in [-2^31, 2^31-1], or hex `0x...` up to 0xffffffff
//   (stored as that bit pattern), or `-0x...` down to -2^31.
//   off (16 bits): decimal in [-32768, 32767], hex up to 0xffff, or `-0x...`.
//   Jump targets: a label, or `+N` / `-N` slots relative to the next instruction.
//
// Mnemonics (NN = 32 selects the 32-bit ALU or JMP32 class; bare or `64` = 64-bit)
//   add sub mul div sdiv mod smod or and xor lsh rsh arsh mov[NN]   %dst, %src|imm
//   neg[NN] %dst                 movsx832 movsx1632 movsx864 movsx1664 movsx3264 %dst, %src
//   le16 le32 le64 be16 be32 be64 bswap16 bswap32 bswap64 (alias swapNN) %dst
//   ldxb ldxh ldxw ldxdw ldxsb ldxsh ldxsw %dst, [%src+off]
//   stb sth stw stdw [%dst+off], imm          stxb stxh stxw stxdw [%dst+off], %src
//   lock [fetch] add|or|and|xor[32] [%dst+off], %src
//   lock [fetch] xchg|cmpxchg[32] [%dst+off], %src      (these always fetch)
//   ja target (16-bit off)       ja32 target (32-bit imm, "gotol")
//   jeq jgt jge jlt jle jset jne jsgt jsge jslt jsle[32] %dst, %src|imm, target
//   call N | call helper N       helper call by static id (src 0)
//   call local target            bpf-to-bpf call (src 1, imm = relative slots)
//   call runtime ID [OFF]        kfunc call by BTF id (src 2); OFF = the BTF object's index
//   call %rN | callx %rN         callx, register in the dst field
//   exit
//   ldabsb ldabsh ldabsw imm     ldindb ldindh ldindw %src, imm   (legacy packet loads)
//
// 64-bit immediate loads (two slots)
//   lddw %dst, IMM64                 src 0: IMM64 is decimal in [-2^63, 2^64-1] or hex
//   lddw %dst, KIND A [B]            src 1..6: KIND is one of
//        map_fd (1), map_value (2), variable (3), code (4), map_idx (5), map_idx_value (6);
//        A is the first slot's imm, B the second slot's imm (default 0), both imm syntax.
//        For `code`, A is a target: a label or +N/-N, counted like the kernel's
//        BPF_PSEUDO_FUNC from the lddw's second slot (target = pc + 1 + imm), e.g.
//        `lddw %r1, code +5`,
//        `lddw %r1, map_value 3 16` (map fd 3, value offset 16).
#pragma once

#include <string_view>
#include <vector>

#include "runtime/isa/decode.h"
#include "runtime/isa/isa.h"
#include "runtime/isa/result.h"

namespace bpfjit {

// Assembles a whole program. Returns the decoded instructions, as decode() would produce
// them from the encoded bytes (lddw's second slot included, jump targets in Insn::imm64),
// validated with validate(). Errors have code kAssemble and a message that starts with
// the line number: "line 7: unknown mnemonic 'addd'". `opts` relaxes the validation as it
// does decode()'s (e.g. writes to r10 left for a kernel-style verifier to judge).
Result<std::vector<Insn>> assemble(std::string_view text, const DecodeOptions& opts = {});

}  // namespace bpfjit
