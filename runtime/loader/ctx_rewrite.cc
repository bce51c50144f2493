// Context access rewriting: programs are compiled against the kernel's context structs
// (u32 packet pointers); the runtime passes a shadow struct with 64-bit pointers. Each
// load or store through the context pointer is mapped to the shadow layout here.
//
// The analysis is a forward data-flow over the linked program. Each register and each
// 8-byte stack slot of the current frame holds one of
//   bottom (not reached yet), "not the context", "the context + k", or "unknown" (the
//   context on one path and something else, or a different k, on another).
// Subprograms are analysed with the join of their call sites' r1..r5; a call's result is
// the join of r0 at the callee's exits. Code no path reaches (bpf_loop callbacks, which a
// helper enters with its own arguments) keeps its accesses as they are.
#include <fmt/format.h>

#include <algorithm>

#include "runtime/loader/loader.h"

namespace bpfjit {

namespace {

enum class Kind : uint8_t { kBottom, kNot, kCtx, kTop };

struct Val {
  Kind kind = Kind::kBottom;
  int32_t off = 0;
  bool operator==(const Val&) const = default;
};

Val join(Val a, Val b) {
  if (a.kind == Kind::kBottom) return b;
  if (b.kind == Kind::kBottom) return a;
  if (a == b) return a;
  return Val{Kind::kTop, 0};
}

constexpr Val kNotCtx{Kind::kNot, 0};
constexpr int kStackSlots = static_cast<int>(kStackFrameSize / 8);

struct State {
  bool reached = false;
  Val regs[kNumRegs];
  // Slots of the current frame that hold something other than "not the context",
  // by slot number (r10 - 8 * (slot + 1)), sorted.
  std::vector<std::pair<int8_t, Val>> stack;

  Val slot(int s) const {
    for (const auto& [k, v] : stack) {
      if (k == s) return v;
    }
    return kNotCtx;
  }
  void set_slot(int s, Val v) {
    auto it = std::find_if(stack.begin(), stack.end(), [&](const auto& e) { return e.first == s; });
    if (v == kNotCtx) {
      if (it != stack.end()) stack.erase(it);
      return;
    }
    if (it != stack.end()) {
      it->second = v;
    } else {
      stack.emplace_back(static_cast<int8_t>(s), v);
      std::sort(stack.begin(), stack.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
    }
  }
  void clear_caller_saved() {
    for (int r = 0; r <= 5; ++r) regs[r] = kNotCtx;
  }
};

// Joins `from` into `into`; true when `into` changed.
bool join_into(State& into, const State& from) {
  if (!into.reached) {
    into = from;
    into.reached = true;
    return true;
  }
  bool changed = false;
  for (int r = 0; r < kNumRegs; ++r) {
    Val v = join(into.regs[r], from.regs[r]);
    if (!(v == into.regs[r])) into.regs[r] = v, changed = true;
  }
  // A slot absent on one side is "not the context" there.
  std::vector<int> keys;
  for (const auto& e : into.stack) keys.push_back(e.first);
  for (const auto& e : from.stack) keys.push_back(e.first);
  for (int k : keys) {
    Val v = join(into.slot(k), from.slot(k));
    if (!(v == into.slot(k))) into.set_slot(k, v), changed = true;
  }
  return changed;
}

// The stack slot an 8-byte aligned access at r10 + off names, or -1.
int slot_of(int32_t off, uint32_t size) {
  if (off >= 0 || off < -static_cast<int32_t>(kStackFrameSize)) return -1;
  if (size != 8 || off % 8 != 0) return -1;
  return (-off) / 8 - 1;
}

// Every slot an access of `size` bytes at r10 + off touches becomes "not the context".
void clobber_slots(State& s, int32_t off, uint32_t size) {
  for (int slot = 0; slot < kStackSlots; ++slot) {
    const int32_t lo = -8 * (slot + 1);
    if (off < lo + 8 && off + static_cast<int32_t>(size) > lo) s.set_slot(slot, kNotCtx);
  }
}

Op load_op(uint32_t size) {
  switch (size) {
    case 1: return Op::kLdxb;
    case 2: return Op::kLdxh;
    case 4: return Op::kLdxw;
    default: return Op::kLdxdw;
  }
}
Op store_op(bool reg, uint32_t size) {
  switch (size) {
    case 1: return reg ? Op::kStxb : Op::kStb;
    case 2: return reg ? Op::kStxh : Op::kSth;
    case 4: return reg ? Op::kStxw : Op::kStw;
    default: return reg ? Op::kStxdw : Op::kStdw;
  }
}

class CtxAnalysis {
 public:
  CtxAnalysis(std::vector<Insn>& insns, const ProgramType& type) : insns_(insns), type_(type) {}

  Result<void> run();

 private:
  uint32_t func_of(uint32_t pc) const {
    auto it = std::upper_bound(entries_.begin(), entries_.end(), pc);
    return *(it - 1);
  }
  void push(uint32_t pc) {
    if (pc < insns_.size() && !queued_[pc]) queued_[pc] = true, work_.push_back(pc);
  }
  void flow(uint32_t pc, const State& s) {
    if (pc < insns_.size() && join_into(in_[pc], s)) push(pc);
  }
  Result<void> step(uint32_t pc);
  Result<void> rewrite(uint32_t pc);

  std::vector<Insn>& insns_;
  const ProgramType& type_;
  std::vector<State> in_;
  std::vector<bool> queued_;
  std::vector<uint32_t> work_;
  std::vector<uint32_t> entries_;                 // function entry slots, sorted
  std::vector<Val> ret_;                          // by entries_ index
  std::vector<std::vector<uint32_t>> callers_;    // call sites, by entries_ index
};

Result<void> CtxAnalysis::step(uint32_t pc) {
  State s = in_[pc];
  const Insn& in = insns_[pc];
  const Form f = form_of(in.op);
  const uint32_t next = pc + 1;
  auto ctx_error = [&](uint8_t reg) {
    return make_error(ErrorCode::kLoad, pc,
                      fmt::format("r{} holds the context on one path and something else (or "
                                  "another offset into it) on another; the access cannot be "
                                  "mapped", reg));
  };
  switch (f) {
    case Form::kAluImm:
      if ((in.op == Op::kAdd64Imm || in.op == Op::kSub64Imm) &&
          s.regs[in.dst].kind == Kind::kTop) {
        // stays unknown
      } else if (in.op == Op::kAdd64Imm && s.regs[in.dst].kind == Kind::kCtx) {
        s.regs[in.dst].off += in.imm;
      } else if (in.op == Op::kSub64Imm && s.regs[in.dst].kind == Kind::kCtx) {
        s.regs[in.dst].off -= in.imm;
      } else if (s.regs[in.dst].kind == Kind::kCtx && op_info(in.op).width == 64 &&
                 alu_op(in.op) != AluOp::kMov) {
        s.regs[in.dst] = Val{Kind::kTop, 0};
      } else {
        s.regs[in.dst] = kNotCtx;
      }
      break;
    case Form::kAluReg:
      if (in.op == Op::kMov64Reg) {
        s.regs[in.dst] = s.regs[in.src];
      } else if (s.regs[in.dst].kind == Kind::kCtx && op_info(in.op).width == 64 &&
                 (alu_op(in.op) == AluOp::kAdd || alu_op(in.op) == AluOp::kSub)) {
        s.regs[in.dst] = Val{Kind::kTop, 0};  // context + a variable: not mappable
      } else {
        s.regs[in.dst] = kNotCtx;
      }
      break;
    case Form::kNeg:
    case Form::kMovSx:
    case Form::kEndian:
      s.regs[in.dst] = kNotCtx;
      break;
    case Form::kLddw:
      if (in.op == Op::kLddwHigh) return {};
      s.regs[in.dst] = kNotCtx;
      flow(pc + 2, s);
      return {};
    case Form::kLdx:
    case Form::kLdxSx: {
      const Val base = s.regs[in.src];
      if (base.kind == Kind::kTop) return ctx_error(in.src);
      Val v = kNotCtx;
      if (in.src == kFramePointer) {
        int slot = slot_of(in.off, access_size(in.op));
        if (slot >= 0 && f == Form::kLdx) v = s.slot(slot);
      }
      s.regs[in.dst] = v;
      break;
    }
    case Form::kSt:
    case Form::kStx:
    case Form::kAtomic: {
      const Val base = s.regs[in.dst];
      if (base.kind == Kind::kTop) return ctx_error(in.dst);
      if (base.kind == Kind::kCtx && f == Form::kAtomic) {
        return make_error(ErrorCode::kLoad, pc, "atomic operation on the context");
      }
      if (in.dst == kFramePointer) {
        const uint32_t size = access_size(in.op);
        const int slot = slot_of(in.off, size);
        if (f == Form::kStx && slot >= 0) {
          s.set_slot(slot, s.regs[in.src]);
        } else {
          clobber_slots(s, in.off, size);
        }
      }
      if (f == Form::kAtomic && writes_register(in, in.src)) s.regs[in.src] = kNotCtx;
      if (f == Form::kAtomic && writes_register(in, 0)) s.regs[0] = kNotCtx;
      break;
    }
    case Form::kLdAbs:
    case Form::kLdInd:
    case Form::kCall:
    case Form::kCallBtf:
    case Form::kCallx:
      s.clear_caller_saved();
      break;
    case Form::kCallLocal: {
      const uint32_t target = in.target();
      const size_t fi = std::lower_bound(entries_.begin(), entries_.end(), target) -
                        entries_.begin();
      State callee;
      callee.reached = true;
      for (int r = 0; r < kNumRegs; ++r) callee.regs[r] = r >= 1 && r <= 5 ? s.regs[r] : kNotCtx;
      flow(target, callee);
      s.clear_caller_saved();
      s.regs[0] = ret_[fi];
      if (s.regs[0].kind == Kind::kBottom) return {};  // the callee has not returned yet
      break;
    }
    case Form::kJa:
    case Form::kJa32:
      flow(in.target(), s);
      return {};
    case Form::kJmpImm:
    case Form::kJmpReg:
      flow(in.target(), s);
      break;
    case Form::kExit: {
      const uint32_t entry = func_of(pc);
      const size_t fi = std::lower_bound(entries_.begin(), entries_.end(), entry) -
                        entries_.begin();
      Val r = join(ret_[fi], s.regs[0]);
      if (!(r == ret_[fi])) {
        ret_[fi] = r;
        for (uint32_t site : callers_[fi]) push(site);
      }
      return {};
    }
  }
  flow(next, s);
  return {};
}

Result<void> CtxAnalysis::rewrite(uint32_t pc) {
  const State& s = in_[pc];
  Insn& in = insns_[pc];
  const Form f = form_of(in.op);
  const bool load = f == Form::kLdx || f == Form::kLdxSx;
  const bool store = f == Form::kSt || f == Form::kStx;
  if (!load && !store) return {};
  const uint8_t base_reg = load ? in.src : in.dst;
  const Val base = s.regs[base_reg];
  if (base.kind != Kind::kCtx) return {};
  const int64_t off = static_cast<int64_t>(base.off) + in.off;
  const uint32_t size = access_size(in.op);
  if (off < 0 || off > UINT32_MAX) {
    return make_error(ErrorCode::kLoad, pc,
                      fmt::format("context access at offset {} is outside the context", off));
  }
  auto acc = map_ctx_access(type_, static_cast<uint32_t>(off), size, store, pc);
  if (!acc) return acc.take_error();
  const int64_t new_off = static_cast<int64_t>(acc->shadow_offset) - base.off;
  if (new_off < INT16_MIN || new_off > INT16_MAX) {
    return make_error(ErrorCode::kLoad, pc,
                      fmt::format("context access at offset {} maps to shadow offset {}, which "
                                  "r{} + off cannot reach", off, acc->shadow_offset, base_reg));
  }
  if (acc->shadow_size != size) {
    if (f == Form::kLdxSx) {
      return make_error(ErrorCode::kLoad, pc,
                        "sign-extending load of a context field whose width differs");
    }
    in.op = load ? load_op(acc->shadow_size) : store_op(f == Form::kStx, acc->shadow_size);
  }
  in.off = static_cast<int16_t>(new_off);
  return {};
}

Result<void> CtxAnalysis::run() {
  const uint32_t n = static_cast<uint32_t>(insns_.size());
  entries_.push_back(0);
  for (uint32_t pc = 0; pc < n; ++pc) {
    if (insns_[pc].op == Op::kCallLocal) entries_.push_back(insns_[pc].target());
  }
  std::sort(entries_.begin(), entries_.end());
  entries_.erase(std::unique(entries_.begin(), entries_.end()), entries_.end());
  ret_.assign(entries_.size(), Val{});
  callers_.assign(entries_.size(), {});
  for (uint32_t pc = 0; pc < n; ++pc) {
    if (insns_[pc].op != Op::kCallLocal) continue;
    const size_t fi = std::lower_bound(entries_.begin(), entries_.end(), insns_[pc].target()) -
                      entries_.begin();
    callers_[fi].push_back(pc);
  }
  in_.assign(n, State{});
  queued_.assign(n, false);
  State entry;
  entry.reached = true;
  for (Val& v : entry.regs) v = kNotCtx;
  entry.regs[1] = Val{Kind::kCtx, 0};
  flow(0, entry);
  while (!work_.empty()) {
    const uint32_t pc = work_.back();
    work_.pop_back();
    queued_[pc] = false;
    if (auto r = step(pc); !r) return r;
  }
  for (uint32_t pc = 0; pc < n; ++pc) {
    if (!in_[pc].reached) continue;
    if (auto r = rewrite(pc); !r) return r;
  }
  return {};
}

}  // namespace

Result<void> rewrite_ctx_accesses(std::vector<Insn>& insns, const ProgramType& type) {
  if (type.model == CtxModel::kMemBuffer) return {};
  CtxAnalysis analysis(insns, type);
  return analysis.run();
}

}  // namespace bpfjit
