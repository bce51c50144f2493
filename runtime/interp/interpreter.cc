// The interpreter.
//
// make_interpreter() turns the decoded program into threaded code once: one Slot per
// instruction slot holding the address of its handler, its operands and its immediate
// already in the form the handler wants (imm sign-extended, lddw's 64-bit value, helper id,
// jump target as a Slot pointer). The dispatch loop in execute() is a computed goto from one
// handler to the next, `goto *ip->handler`; no opcode bits are read and no option is tested
// per instruction.
//
// There is one handler label per Op, generated from opcodes.def, and every handler calls
// exec<form, sub, width, selval>(), whose body picks the form at compile time and applies
// the operation defined in runtime/isa/semantics.h. The program is laid out twice: once for
// the loop that counts an instruction budget and once for the loop that does not, so that a
// run without a budget pays nothing for it.
//
// Memory: every load, store and atomic is checked before it touches anything. The fast path
// tests the stack and the first region inline; the other regions are tested out of line
// through RunContext::accessible(), which defines the rule.
#include "runtime/interp/interpreter.h"

#include "runtime/isa/decode.h"
#include "runtime/isa/run_stack.h"
#include "runtime/isa/semantics.h"

namespace bpfjit {

namespace {

#define BPFJIT_ALWAYS_INLINE [[gnu::always_inline]] inline

// One pre-decoded instruction slot.
struct Slot {
  const void* handler = nullptr;  // the label of its Op in the loop that owns this code
  uint64_t imm = 0;               // ALU, JMP and ST: imm sign-extended to 64 bits;
                                  // lddw: the 64-bit value; call: the helper id
  const Slot* target = nullptr;   // jumps and local calls: where they go
  int32_t off = 0;                // loads, stores and atomics: the address offset
  uint8_t dst = 0;
  uint8_t src = 0;
};

// A caller's state saved by a bpf-to-bpf call.
struct Frame {
  const Slot* ret;
  uint64_t saved[4];  // r6..r9
};

// The state of one activation of the dispatch loop (a run, or a callback through invoke).
struct Machine {
  uint64_t reg[kNumRegs];
  const Slot* code;  // slot 0 of the code being run, for trap positions
  RunContext* ctx;
  uint64_t stack_lo;
  // The first region, tested inline: [region_start, region_start + span); wspan is the
  // span for writes (0 when the region is read-only).
  uint64_t region_start;
  uint64_t region_span;
  uint64_t region_wspan;
  const HelperFn* helpers;
  size_t num_helpers;
  uint64_t budget;
  uint32_t depth;    // call depth of the running frame (0 = main program)
  uint32_t nframes;  // frames pushed by this activation
  Frame frames[kMaxCallDepth];
};

// Jump targets and return addresses are never null; saying so lets the compiler drop the
// "has the run stopped" test after every jump.
BPFJIT_ALWAYS_INLINE const Slot* nonnull(const Slot* p) {
  if (p == nullptr) __builtin_unreachable();
  return p;
}

[[gnu::noinline, gnu::cold]] const Slot* trap(Machine& m, const Slot* ip, TrapKind kind,
                                              uint64_t addr = 0, uint32_t size = 0,
                                              bool write = false) {
  m.ctx->trap = Trap{kind, static_cast<uint32_t>(ip - m.code), addr, size, write};
  return nullptr;
}

[[gnu::noinline]] bool accessible_slow(const Machine& m, uint64_t addr, uint32_t size,
                                       bool write) {
  return m.ctx->accessible(addr, size, write);
}

// The same rule as RunContext::accessible, with the stack and the first region inline.
template <uint32_t kSize, bool kWrite>
BPFJIT_ALWAYS_INLINE bool accessible(const Machine& m, uint64_t addr) {
  if (addr - m.stack_lo <= kStackSize - kSize) return true;
  uint64_t o = addr - m.region_start;
  uint64_t span = kWrite ? m.region_wspan : m.region_span;
  if (o <= span && span - o >= kSize) return true;
  return accessible_slow(m, addr, kSize, kWrite);
}

// A helper call by id: checks the id, calls, then stops the run when the helper faulted
// or asked for a tail call. A host's C helper (bpfjit_helper_fn, whose last parameter is
// the C name of RunContext) sits in the table as a HelperFn: the same ABI, another type
// to clang's -fsanitize=function, which this one call leaves out.
#if defined(__clang__)
#define BPFJIT_NO_FUNCTION_CHECK __attribute__((no_sanitize("function")))
#else
#define BPFJIT_NO_FUNCTION_CHECK
#endif
[[gnu::noinline]] BPFJIT_NO_FUNCTION_CHECK const Slot* call_helper(const Slot* ip, Machine& m, uint64_t id) {
  if (id >= m.num_helpers || m.helpers[id] == nullptr) {
    return trap(m, ip, TrapKind::kBadHelper, id);
  }
  RunContext& ctx = *m.ctx;
  ctx.depth = m.depth;
  ctx.budget = m.budget;
  // RunContext::fault() sets only the kind: the position is this call's, unless a
  // callback run through invoke() trapped and wrote its own.
  ctx.trap.insn = static_cast<uint32_t>(ip - m.code);
  uint64_t* r = m.reg;
  r[0] = m.helpers[id](r[1], r[2], r[3], r[4], r[5], &ctx);
  m.budget = ctx.budget;
  if (ctx.trap.kind != TrapKind::kNone) return nullptr;
  if (id == kHelperTailCall && ctx.tail_call_target != nullptr) return nullptr;
  return ip + 1;
}

// The meaning of one instruction. Returns the next slot, or nullptr when the run stops
// (exit of the outermost frame, a trap, a tail call).
template <Form kForm, uint8_t kSub, uint32_t kWidth, int32_t kSel>
BPFJIT_ALWAYS_INLINE const Slot* exec(const Slot* ip, Machine& m) {
  uint64_t* r = m.reg;
  constexpr uint32_t kBytes = kWidth / 8;
  if constexpr (kForm == Form::kAluImm || kForm == Form::kAluReg) {
    constexpr auto op = static_cast<AluOp>(kSub);
    uint64_t src = kForm == Form::kAluImm ? ip->imm : r[ip->src];
    if constexpr (kWidth == 64) {
      r[ip->dst] = sem::alu64(op, r[ip->dst], src);
    } else {
      r[ip->dst] = sem::alu32(op, r[ip->dst], src);
    }
    return ip + 1;
  } else if constexpr (kForm == Form::kNeg) {
    r[ip->dst] = kWidth == 64 ? sem::neg64(r[ip->dst]) : sem::neg32(r[ip->dst]);
    return ip + 1;
  } else if constexpr (kForm == Form::kMovSx) {
    r[ip->dst] = sem::movsx(r[ip->src], kSel, kWidth);
    return ip + 1;
  } else if constexpr (kForm == Form::kEndian) {
    r[ip->dst] = sem::endian(static_cast<EndianOp>(kSub), r[ip->dst], kWidth);
    return ip + 1;
  } else if constexpr (kForm == Form::kLddw) {
    if constexpr (static_cast<LddwKind>(kSub) == LddwKind::kImm64) {
      r[ip->dst] = ip->imm;
      return ip + 2;
    } else {
      return trap(m, ip, TrapKind::kUnsupported);  // an unresolved map or code reference
    }
  } else if constexpr (kForm == Form::kLdx || kForm == Form::kLdxSx) {
    uint64_t addr = r[ip->src] + static_cast<int64_t>(ip->off);
    if (!accessible<kBytes, false>(m, addr)) {
      return trap(m, ip, TrapKind::kMemory, addr, kBytes, false);
    }
    r[ip->dst] = kForm == Form::kLdx ? sem::load(addr, kWidth) : sem::load_sx(addr, kWidth);
    return ip + 1;
  } else if constexpr (kForm == Form::kSt || kForm == Form::kStx) {
    uint64_t addr = r[ip->dst] + static_cast<int64_t>(ip->off);
    if (!accessible<kBytes, true>(m, addr)) {
      return trap(m, ip, TrapKind::kMemory, addr, kBytes, true);
    }
    sem::store(addr, kWidth, kForm == Form::kSt ? ip->imm : r[ip->src]);
    return ip + 1;
  } else if constexpr (kForm == Form::kAtomic) {
    uint64_t addr = r[ip->dst] + static_cast<int64_t>(ip->off);
    if (!accessible<kBytes, true>(m, addr)) {
      return trap(m, ip, TrapKind::kMemory, addr, kBytes, true);
    }
    sem::atomic(static_cast<AtomicOp>(kSub), kWidth, addr, r[ip->src], r[0]);
    return ip + 1;
  } else if constexpr (kForm == Form::kLdAbs || kForm == Form::kLdInd ||
                       kForm == Form::kCallBtf) {
    return trap(m, ip, TrapKind::kUnsupported);
  } else if constexpr (kForm == Form::kJa || kForm == Form::kJa32) {
    return nonnull(ip->target);
  } else if constexpr (kForm == Form::kJmpImm || kForm == Form::kJmpReg) {
    constexpr auto cond = static_cast<JmpCond>(kSub);
    uint64_t src = kForm == Form::kJmpImm ? ip->imm : r[ip->src];
    bool taken = kWidth == 64 ? sem::jmp64(cond, r[ip->dst], src)
                              : sem::jmp32(cond, r[ip->dst], src);
    return taken ? nonnull(ip->target) : ip + 1;
  } else if constexpr (kForm == Form::kCall) {
    return call_helper(ip, m, ip->imm);
  } else if constexpr (kForm == Form::kCallx) {
    return call_helper(ip, m, r[ip->dst]);
  } else if constexpr (kForm == Form::kCallLocal) {
    if (m.depth + 1 >= kMaxCallDepth) return trap(m, ip, TrapKind::kCallDepth);
    Frame& f = m.frames[m.nframes++];
    f.ret = ip + 1;
    for (int i = 0; i < 4; ++i) f.saved[i] = r[6 + i];
    r[kFramePointer] -= kStackFrameSize;
    ++m.depth;
    return nonnull(ip->target);
  } else if constexpr (kForm == Form::kExit) {
    if (m.nframes == 0) return nullptr;
    const Frame& f = m.frames[--m.nframes];
    for (int i = 0; i < 4; ++i) r[6 + i] = f.saved[i];
    r[kFramePointer] += kStackFrameSize;
    --m.depth;
    return nonnull(f.ret);
  } else {
    static_assert(kForm == Form::kExit, "a form without a handler");
    return nullptr;
  }
}

class Interpreter;

// Runs the code of `prog` from slot `entry` at call depth `depth` with r1..r5 = args.
// With table_out set, only hands out the loop's table of handler labels (indexed by Op).
template <bool kCounted>
uint64_t execute(const Interpreter* prog, RunContext* ctx, uint32_t entry, uint32_t depth,
                 const uint64_t* args, const void* const** table_out);

class Interpreter final : public Executable {
 public:
  explicit Interpreter(const std::vector<Insn>& insns) {
    const void* const* plain = nullptr;
    const void* const* counted = nullptr;
    execute<false>(nullptr, nullptr, 0, 0, nullptr, &plain);
    execute<true>(nullptr, nullptr, 0, 0, nullptr, &counted);
    build(insns, plain, plain_);
    build(insns, counted, counted_);
  }

  uint64_t run(RunContext& ctx, uint64_t r1, uint64_t r2) const override {
    ctx.trap = Trap{};
    ctx.tail_call_target = nullptr;
    ctx.invoke = &invoke;
    ctx.engine = const_cast<Interpreter*>(this);
    ctx.depth = 0;
    const uint64_t args[5] = {r1, r2, 0, 0, 0};
    if (ctx.stack != nullptr) return start(ctx, 0, 0, args);
    // A caller that brings no stack gets the thread's guarded one for this run.
    return run_on_thread_stack(ctx, [&] { return start(ctx, 0, 0, args); });
  }

  const char* engine_name() const override { return "interpreter"; }

  const Slot* code(bool counted) const { return counted ? counted_.data() : plain_.data(); }

 private:
  uint64_t start(RunContext& ctx, uint32_t entry, uint32_t depth, const uint64_t* args) const {
    uint64_t r0 = ctx.budget == UINT64_MAX
                      ? execute<false>(this, &ctx, entry, depth, args, nullptr)
                      : execute<true>(this, &ctx, entry, depth, args, nullptr);
    if (ctx.trap.kind == TrapKind::kNone) ctx.trap.insn = 0;  // helper calls leave it set
    return r0;
  }

  // ctx.invoke: runs the subprogram at `pc` in a new frame and returns its r0.
  static uint64_t invoke(RunContext* ctx, uint32_t pc, uint64_t r1, uint64_t r2, uint64_t r3,
                         uint64_t r4, uint64_t r5) {
    const auto* self = static_cast<const Interpreter*>(ctx->engine);
    if (pc >= self->plain_.size() - 1) {  // the last slot is the guard
      ctx->trap = Trap{TrapKind::kHelperFault, pc};
      return 0;
    }
    if (ctx->depth + 1 >= kMaxCallDepth) {
      ctx->trap = Trap{TrapKind::kCallDepth, pc};
      return 0;
    }
    const uint64_t args[5] = {r1, r2, r3, r4, r5};
    uint32_t depth = ctx->depth;
    uint64_t r0 = self->start(*ctx, pc, depth + 1, args);
    ctx->depth = depth;
    return r0;
  }

  static void build(const std::vector<Insn>& insns, const void* const* table,
                    std::vector<Slot>& code) {
    // One slot per instruction slot, plus a guard that stops a run that would fall off the
    // end (validate() rules that out; the guard makes it harmless regardless).
    code.assign(insns.size() + 1, Slot{});
    for (size_t pc = 0; pc < insns.size(); ++pc) {
      const Insn& in = insns[pc];
      Slot& s = code[pc];
      s.handler = table[static_cast<size_t>(in.op)];
      s.dst = in.dst;
      s.src = in.src;
      s.off = in.off;
      switch (form_of(in.op)) {
        case Form::kLddw: s.imm = in.imm64; break;
        case Form::kCall: s.imm = static_cast<uint32_t>(in.imm); break;
        case Form::kJa:
        case Form::kJa32:
        case Form::kJmpImm:
        case Form::kJmpReg:
        case Form::kCallLocal:
          s.imm = sem::imm64_operand(in.imm);
          s.target = &code[in.target()];
          break;
        case Form::kAluImm:
        case Form::kAluReg:
        case Form::kNeg:
        case Form::kMovSx:
        case Form::kEndian:
        case Form::kLdx:
        case Form::kLdxSx:
        case Form::kSt:
        case Form::kStx:
        case Form::kAtomic:
        case Form::kLdAbs:
        case Form::kLdInd:
        case Form::kCallBtf:
        case Form::kCallx:
        case Form::kExit:
          s.imm = sem::imm64_operand(in.imm);
          break;
      }
    }
    code.back().handler = table[static_cast<size_t>(Op::kLddwHigh)];
  }

  std::vector<Slot> plain_;
  std::vector<Slot> counted_;
};

template <bool kCounted>
uint64_t execute(const Interpreter* prog, RunContext* ctx, uint32_t entry, uint32_t depth,
                 const uint64_t* args, const void* const** table_out) {
  static const void* const kHandlers[kNumOps] = {
#define X(name, ...) &&op_##name,
      BPFJIT_OPCODES(X)
#undef X
      &&op_LddwHigh,
  };
  if (table_out != nullptr) {
    *table_out = kHandlers;
    return 0;
  }

  Machine m;
  for (uint64_t& v : m.reg) v = 0;
  for (int i = 0; i < 5; ++i) m.reg[1 + i] = args[i];
  m.code = prog->code(kCounted);
  m.ctx = ctx;
  m.stack_lo = reinterpret_cast<uint64_t>(ctx->stack);
  m.reg[kFramePointer] = m.stack_lo + kStackSize - uint64_t{depth} * kStackFrameSize;
  m.region_start = 0;
  m.region_span = 0;
  m.region_wspan = 0;
  if (ctx->region_count > 0 && ctx->regions[0].end > ctx->regions[0].start) {
    m.region_start = ctx->regions[0].start;
    m.region_span = ctx->regions[0].end - ctx->regions[0].start;
    m.region_wspan = ctx->regions[0].writable ? m.region_span : 0;
  }
  m.helpers = ctx->helpers.data();
  m.num_helpers = ctx->helpers.size();
  m.budget = ctx->budget;
  m.depth = depth;
  m.nframes = 0;

  const Slot* ip = m.code + entry;

// Goes to the next handler; with a budget, stops before an instruction the budget does not
// cover.
#define BPFJIT_DISPATCH()                                                    \
  do {                                                                       \
    if (ip == nullptr) goto stop;                                            \
    if constexpr (kCounted) {                                                \
      if (m.budget == 0) {                                                   \
        trap(m, ip, TrapKind::kBudget);                                      \
        goto stop;                                                           \
      }                                                                      \
      --m.budget;                                                            \
    }                                                                        \
    goto* ip->handler;                                                       \
  } while (0)

  BPFJIT_DISPATCH();

#define X(name, opcode, form, sel, selval, sub, width, ...)                    \
  op_##name:                                                                   \
  ip = exec<form, static_cast<uint8_t>(sub), width, selval>(ip, m);            \
  BPFJIT_DISPATCH();
  BPFJIT_OPCODES(X)
#undef X

op_LddwHigh:  // never a jump target; reached only through the guard slot
  ip = trap(m, ip, TrapKind::kUnsupported);
  BPFJIT_DISPATCH();

#undef BPFJIT_DISPATCH

stop:
  if constexpr (kCounted) ctx->budget = m.budget;
  return m.reg[0];
}

}  // namespace

Result<std::unique_ptr<Executable>> make_interpreter(std::vector<Insn> insns) {
  if (auto v = validate(insns); !v) return v.take_error();
  return std::unique_ptr<Executable>(std::make_unique<Interpreter>(insns));
}

}  // namespace bpfjit
