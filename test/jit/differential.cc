#include "test/jit/differential.h"

#include <fmt/format.h>

#include <cstring>

#include "jit/jit.h"
#include "runtime/interp/interpreter.h"
#include "runtime/isa/decode.h"
#include "runtime/isa/disasm.h"
#include "runtime/isa/machine.h"
#include "test/jit/progen.h"

namespace bpfjit::test {

namespace {

struct Outcome {
  uint64_t r0 = 0;
  Trap trap;
  std::vector<uint8_t> mem;
  std::vector<uint8_t> stack;
};

Outcome run_one(const Executable& exe, uint64_t input_seed, uint64_t budget) {
  alignas(64) uint8_t mem[kProgenBufferSize];
  for (uint32_t i = 0; i < kProgenBufferSize; ++i) {
    mem[i] = static_cast<uint8_t>(i * 37 + input_seed * 11 + 5);
  }
  alignas(64) static thread_local uint8_t stack[kStackSize];
  std::memset(stack, 0, sizeof(stack));
  MemRegion region{reinterpret_cast<uint64_t>(mem), reinterpret_cast<uint64_t>(mem) + sizeof(mem), true};
  RunContext ctx;
  ctx.stack = stack;
  ctx.regions = &region;
  ctx.region_count = 1;
  ctx.helpers = progen_helpers();
  ctx.budget = budget;
  Outcome o;
  o.r0 = exe.run(ctx, region.start, sizeof(mem));
  o.trap = ctx.trap;
  o.mem.assign(mem, mem + sizeof(mem));
  o.stack.assign(stack, stack + kStackSize);
  return o;
}

std::string first_byte_diff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return fmt::format("byte {}: interpreter 0x{:02x}, jit 0x{:02x}", i, a[i], b[i]);
  }
  return "";
}

std::optional<std::string> diff_with_budget(const std::vector<Insn>& insns,
                                            const DiffOptions& opts, uint64_t budget,
                                            bool* inconclusive) {
  auto interp = make_interpreter(insns);
  if (!interp.ok()) return "interpreter refused: " + interp.error().to_string();
  JitOptions jo;
  jo.checked = !opts.trusted;
  jo.harden = opts.harden;
  jo.helpers = progen_helpers();
  auto jit = jit_compile(insns, jo);
  if (!jit.ok()) return "jit refused: " + jit.error().to_string();
  Outcome a = run_one(**interp, opts.input_seed, budget);
  Outcome b = run_one(**jit, opts.input_seed, budget);
  if (a.trap.kind == TrapKind::kBudget || b.trap.kind == TrapKind::kBudget) {
    // The engines count the budget differently; such a run says nothing.
    if (inconclusive != nullptr) *inconclusive = true;
    return std::nullopt;
  }
  if (a.trap.kind != b.trap.kind || (a.trap.kind != TrapKind::kNone &&
                                     (a.trap.insn != b.trap.insn || a.trap.addr != b.trap.addr))) {
    return fmt::format("trap: interpreter '{}', jit '{}'",
                       a.trap.kind == TrapKind::kNone ? "none" : a.trap.to_string(),
                       b.trap.kind == TrapKind::kNone ? "none" : b.trap.to_string());
  }
  if (a.trap.kind == TrapKind::kNone && a.r0 != b.r0) {
    return fmt::format("r0: interpreter {:#x}, jit {:#x}", a.r0, b.r0);
  }
  if (a.mem != b.mem) return "input memory differs, " + first_byte_diff(a.mem, b.mem);
  if (a.stack != b.stack) return "stack differs, " + first_byte_diff(a.stack, b.stack);
  return std::nullopt;
}

Insn nop() {
  Insn in;
  in.op = Op::kJa;
  return in;
}

bool is_nop(const Insn& in) { return in.op == Op::kJa && in.off == 0; }

bool has_target(const Insn& in) {
  switch (form_of(in.op)) {
    case Form::kJa:
    case Form::kJa32:
    case Form::kJmpImm:
    case Form::kJmpReg:
    case Form::kCallLocal: return true;
    case Form::kAluImm:
    case Form::kAluReg:
    case Form::kNeg:
    case Form::kMovSx:
    case Form::kEndian:
    case Form::kLddw:
    case Form::kLdx:
    case Form::kLdxSx:
    case Form::kSt:
    case Form::kStx:
    case Form::kAtomic:
    case Form::kLdAbs:
    case Form::kLdInd:
    case Form::kCall:
    case Form::kCallBtf:
    case Form::kCallx:
    case Form::kExit: return false;
  }
  return false;
}

// Deletes slot k (a nop), moving every target behind it one slot up.
std::vector<Insn> erase_slot(const std::vector<Insn>& insns, size_t k) {
  std::vector<Insn> out;
  out.reserve(insns.size() - 1);
  for (size_t pc = 0; pc < insns.size(); ++pc) {
    if (pc == k) continue;
    Insn in = insns[pc];
    if (has_target(in)) {
      if (in.target() > k) in.imm64 -= 1;
      auto newpc = static_cast<int64_t>(pc > k ? pc - 1 : pc);
      auto rel = static_cast<int64_t>(in.target()) - newpc - 1;
      if (form_of(in.op) == Form::kJa32 || form_of(in.op) == Form::kCallLocal) {
        in.imm = static_cast<int32_t>(rel);
      } else {
        in.off = static_cast<int16_t>(rel);
      }
    }
    out.push_back(in);
  }
  return out;
}

bool still_mismatches(const std::vector<Insn>& insns, const DiffOptions& opts) {
  if (!validate(insns).ok()) return false;
  bool inconclusive = false;
  // A budget keeps programs that no longer terminate from hanging the shrinker.
  auto d = diff_with_budget(insns, opts, 1'000'000, &inconclusive);
  return d.has_value() && !inconclusive && d->find("refused") == std::string::npos;
}

}  // namespace

std::optional<std::string> diff_engines(const std::vector<Insn>& insns, const DiffOptions& opts) {
  return diff_with_budget(insns, opts, UINT64_MAX, nullptr);
}

std::vector<Insn> shrink_mismatch(std::vector<Insn> insns, const DiffOptions& opts) {
  // Pass 1: neutralise instructions (both slots of an lddw) while the mismatch persists.
  bool progress = true;
  while (progress) {
    progress = false;
    for (size_t pc = 0; pc < insns.size(); ++pc) {
      if (is_nop(insns[pc]) || insns[pc].op == Op::kLddwHigh || insns[pc].op == Op::kExit) continue;
      std::vector<Insn> trial = insns;
      trial[pc] = nop();
      if (form_of(insns[pc].op) == Form::kLddw && pc + 1 < insns.size()) trial[pc + 1] = nop();
      for (size_t i = 0; i < trial.size(); ++i) {
        if (is_nop(trial[i])) trial[i].imm64 = i + 1;
      }
      if (still_mismatches(trial, opts)) {
        insns = std::move(trial);
        progress = true;
      }
    }
  }
  // Pass 2: delete neutral slots and unreachable exits.
  for (size_t pc = insns.size(); pc-- > 0;) {
    if (!is_nop(insns[pc]) && insns[pc].op != Op::kExit) continue;
    if (insns.size() <= 1) break;
    auto trial = erase_slot(insns, pc);
    if (still_mismatches(trial, opts)) insns = std::move(trial);
  }
  return insns;
}

std::string program_text(const std::vector<Insn>& insns) {
  DisasmOptions o;
  o.slot_numbers = true;
  return disassemble_program(insns, o);
}

}  // namespace bpfjit::test
