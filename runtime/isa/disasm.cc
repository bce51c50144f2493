// The disassembler: one switch over Form prints the operands; the mnemonics come from the
// opcode table. The syntax is the assembler's (asm.h).
#include "runtime/isa/disasm.h"

#include <fmt/format.h>

namespace bpfjit {

namespace {

std::string reg(uint8_t r) { return fmt::format("%r{}", r); }

std::string mem(uint8_t base, int16_t off) {
  if (off == 0) return fmt::format("[%r{}]", base);
  return fmt::format("[%r{}{:+d}]", base, off);
}

const char* const kLddwKinds[] = {"", "map_fd", "map_value", "variable", "code", "map_idx",
                                  "map_idx_value"};

// Relative displacement of a jump or local call, in slots from the next instruction.
int64_t displacement(const Insn& in) {
  Form f = form_of(in.op);
  if (f == Form::kJa32 || f == Form::kCallLocal) return in.imm;
  return in.off;
}

// `labels`, when given, marks the slots that have a label line; targets there print as
// L<slot>, every other target as +N/-N.
std::string format(const Insn& in, uint32_t pc, const std::vector<bool>* labels) {
  const OpInfo& info = op_info(in.op);
  auto target = [&]() {
    int64_t rel = displacement(in);
    int64_t dest = static_cast<int64_t>(pc) + 1 + rel;
    if (labels && dest >= 0 && dest < static_cast<int64_t>(labels->size()) && (*labels)[dest]) {
      return fmt::format("L{}", dest);
    }
    return fmt::format("{:+d}", rel);
  };
  const std::string_view m = info.mnemonic;
  if (in.op == Op::kLddwHigh) return "";
  switch (info.form) {
    case Form::kAluImm: return fmt::format("{} {}, {}", m, reg(in.dst), in.imm);
    case Form::kAluReg:
    case Form::kMovSx: return fmt::format("{} {}, {}", m, reg(in.dst), reg(in.src));
    case Form::kNeg:
    case Form::kEndian:
    case Form::kCallx: return fmt::format("{} {}", m, reg(in.dst));
    case Form::kLddw: {
      if (lddw_kind(in.op) == LddwKind::kImm64) {
        return fmt::format("lddw {}, 0x{:x}", reg(in.dst), in.imm64);
      }
      const char* kind = kLddwKinds[static_cast<size_t>(info.selval)];
      auto hi = static_cast<int32_t>(static_cast<uint32_t>(in.imm64 >> 32));
      std::string a = lddw_kind(in.op) == LddwKind::kCode ? fmt::format("{:+d}", in.imm)
                                                          : fmt::format("{}", in.imm);
      if (hi == 0) return fmt::format("lddw {}, {} {}", reg(in.dst), kind, a);
      return fmt::format("lddw {}, {} {} {}", reg(in.dst), kind, a, hi);
    }
    case Form::kLdx:
    case Form::kLdxSx: return fmt::format("{} {}, {}", m, reg(in.dst), mem(in.src, in.off));
    case Form::kSt: return fmt::format("{} {}, {}", m, mem(in.dst, in.off), in.imm);
    case Form::kStx: return fmt::format("{} {}, {}", m, mem(in.dst, in.off), reg(in.src));
    case Form::kAtomic:
      return fmt::format("lock {} {}, {}", m, mem(in.dst, in.off), reg(in.src));
    case Form::kLdAbs: return fmt::format("{} {}", m, in.imm);
    case Form::kLdInd: return fmt::format("{} {}, {}", m, reg(in.src), in.imm);
    case Form::kJa:
    case Form::kJa32:
    case Form::kCallLocal: return fmt::format("{} {}", m, target());
    case Form::kJmpImm: return fmt::format("{} {}, {}, {}", m, reg(in.dst), in.imm, target());
    case Form::kJmpReg:
      return fmt::format("{} {}, {}, {}", m, reg(in.dst), reg(in.src), target());
    case Form::kCall: return fmt::format("{} {}", m, in.imm);
    case Form::kCallBtf:
      if (in.off == 0) return fmt::format("{} {}", m, in.imm);
      return fmt::format("{} {}, {}", m, in.imm, in.off);
    case Form::kExit: return std::string(m);
  }
  return std::string(m);
}

bool has_target(Form f) {
  return f == Form::kJa || f == Form::kJa32 || f == Form::kJmpImm || f == Form::kJmpReg ||
         f == Form::kCallLocal;
}

}  // namespace

std::string disassemble(const Insn& insn, uint32_t pc) { return format(insn, pc, nullptr); }

std::string disassemble_program(const std::vector<Insn>& insns, const DisasmOptions& opts) {
  const size_t n = insns.size();
  std::vector<bool> labels(n + 1, false);
  if (opts.labels) {
    for (uint32_t pc = 0; pc < n; ++pc) {
      const Insn& in = insns[pc];
      if (in.op == Op::kLddwHigh || !has_target(form_of(in.op))) continue;
      int64_t dest = static_cast<int64_t>(pc) + 1 + displacement(in);
      if (dest >= 0 && dest <= static_cast<int64_t>(n)) labels[dest] = true;
    }
  }
  std::string out;
  for (uint32_t pc = 0; pc <= n; ++pc) {
    if (labels[pc]) out += fmt::format("L{}:\n", pc);
    if (pc == n || insns[pc].op == Op::kLddwHigh) continue;
    if (opts.slot_numbers) out += fmt::format("{:>4}: ", pc);
    out += format(insns[pc], pc, opts.labels ? &labels : nullptr);
    out += '\n';
  }
  return out;
}

}  // namespace bpfjit
