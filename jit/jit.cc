// The x86-64 JIT (see jit.h for the model).
//
// Layout of the generated code:
//   program      one block per eBPF instruction; bpf-to-bpf calls are native calls, each
//                `exit` is a `ret`
//   cold stubs   out-of-line slow paths: memory checks, traps
//   shared stubs the memory-check slow path (a C call that saves the caller-saved
//                registers), the tail-call jump (emit_tail_jump) and the unwinder that
//                ends a run from any call depth
//   trampolines  C ABI entries, emitted last because they depend on what the code uses:
//                save only the callee-saved registers the program changes, zero only the
//                registers it names, load r1..r5, r10 and the state, call the program (or
//                a subprogram) and return r0. run() sets up a JitState only when the code
//                reads it (memory checks, budget points, calls).
//
// Instruction selection beyond one-to-one (none where a jump lands in the middle):
//   jcc pc+2 ; ja X          one inverted jcc to X
//   jcc T ; alu ; ja T       cmov of the ALU result, one jmp to T
//   jcc pc+2 ; alu           cmov of the ALU result
//   mov a, b ; add a, c|imm  lea (and a following ldx a, [a+off] loads from [b+c+off])
//   jcc rR, imm ; ...        a tree of compares on one register (a switch), with a jump
//                            table in front of it (switches.h); not with constant blinding
// Loop heads that nothing falls into are 16-byte aligned.
//
// Checked mode versions code (loops.h): a counted loop whose accesses walk by fixed steps,
// or a straight range with several accesses off the same registers, starts with one check
// of all of them against region 0; when it holds an unchecked copy runs, otherwise the
// checked copy (emitted after the program), so traps stay exactly where they were.
//
// Native stack: the trampoline leaves rsp 16-byte aligned inside the program, and every
// bpf-to-bpf call pushes 5 registers plus its return address (48 bytes), so helpers can be
// called directly from any depth.
#include "jit/jit.h"

#include <asmjit/x86.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <random>
#include <type_traits>
#include <typeinfo>

#include "jit/loops.h"
#include "jit/switches.h"
#include "runtime/isa/decode.h"
#include "runtime/isa/disasm.h"

namespace bpfjit {

namespace x86 = asmjit::x86;
using asmjit::Imm;
using asmjit::Label;

namespace {

static_assert(std::is_standard_layout_v<RunContext>);
static_assert(sizeof(std::span<const HelperFn>) == 16);

// --- The run's engine state ---------------------------------------------------------------

class JitProgram;

// The state of one activation (a run, or a callback through invoke). Lives on the native
// stack of run() / invoke; the generated code holds it in r12 and reaches the RunContext
// through it, and ctx.engine points to it for invoke. It keeps, one load away, what the
// inline checks need: the stack, the first region in the form the check wants, the helper
// table, and the rsp to unwind to.
struct JitState {
  RunContext* ctx;
  uint64_t stack_lo;
  uint64_t region_start;
  // Access [addr, addr + 2^k) is inside region 0 iff addr - region_start < limit[write][k].
  uint64_t limit[2][4];
  uint64_t saved_rsp;
  const HelperFn* helpers;
  uint64_t num_helpers;
  const JitProgram* prog;
  // Non-zero when the run started with a budget (ctx.budget != UINT64_MAX): back-edges and
  // calls then count it down in ctx.budget.
  uint64_t counted;
  // ctx.cpu, for the in-place per-CPU array lookups.
  uint64_t cpu;
  // Programs with a tail-call site: the run's r1 and r2, which a tail call's target starts
  // with, and non-zero in the activation of run() (a tail call continues in place only
  // there, not in a callback through invoke).
  uint64_t r1;
  uint64_t r2;
  uint64_t top;
};

constexpr int32_t kOffBudget = offsetof(RunContext, budget);
constexpr int32_t kOffTrapKind = offsetof(RunContext, trap) + offsetof(Trap, kind);
constexpr int32_t kOffTrapInsn = offsetof(RunContext, trap) + offsetof(Trap, insn);
constexpr int32_t kOffTrapAddr = offsetof(RunContext, trap) + offsetof(Trap, addr);
constexpr int32_t kOffTailCall = offsetof(RunContext, tail_call_target);
constexpr int32_t kOffDepth = offsetof(RunContext, depth);
constexpr int32_t kOffCtx = offsetof(JitState, ctx);
constexpr int32_t kOffStackLo = offsetof(JitState, stack_lo);
constexpr int32_t kOffRegionStart = offsetof(JitState, region_start);
constexpr int32_t kOffSavedRsp = offsetof(JitState, saved_rsp);
constexpr int32_t kOffHelpers = offsetof(JitState, helpers);
constexpr int32_t kOffNumHelpers = offsetof(JitState, num_helpers);
constexpr int32_t kOffCounted = offsetof(JitState, counted);
static_assert(kStackFrameSize == 1u << 9, "emit_depth_from_frame divides by shifting");
constexpr int32_t kOffCpu = offsetof(JitState, cpu);
constexpr int32_t kOffR1 = offsetof(JitState, r1);
constexpr int32_t kOffR2 = offsetof(JitState, r2);

int32_t limit_offset(bool write, uint32_t log2size) {
  return static_cast<int32_t>(offsetof(JitState, limit) + (write ? 32 : 0) + log2size * 8);
}

// Region 0 in the form the inline checks want (only for programs that have them).
void fill_region_limits(JitState& st, const RunContext& ctx) {
  uint64_t start = 0, span = 0;
  bool writable = false;
  if (ctx.region_count > 0 && ctx.regions[0].end > ctx.regions[0].start) {
    start = ctx.regions[0].start;
    span = ctx.regions[0].end - start;
    writable = ctx.regions[0].writable;
  }
  st.region_start = start;
  // Unrolled with constant sizes: this runs on every entry.
  uint64_t lim1 = span, lim2 = span >= 2 ? span - 1 : 0, lim4 = span >= 4 ? span - 3 : 0,
           lim8 = span >= 8 ? span - 7 : 0;
  st.limit[0][0] = lim1;
  st.limit[0][1] = lim2;
  st.limit[0][2] = lim4;
  st.limit[0][3] = lim8;
  uint64_t wmask = writable ? UINT64_MAX : 0;
  st.limit[1][0] = lim1 & wmask;
  st.limit[1][1] = lim2 & wmask;
  st.limit[1][2] = lim4 & wmask;
  st.limit[1][3] = lim8 & wmask;
}

// The slow path of a memory check: `packed` is insn | size << 32 | write << 40.
// Returns 1 when the access is allowed, otherwise fills the trap and returns 0.
extern "C" uint32_t bpfjit_jit_access_slow(RunContext* ctx, uint64_t addr, uint64_t packed) {
  auto size = static_cast<uint32_t>((packed >> 32) & 0xff);
  bool write = ((packed >> 40) & 1) != 0;
  if (ctx->accessible(addr, size, write)) return 1;
  ctx->trap = Trap{TrapKind::kMemory, static_cast<uint32_t>(packed), addr, size, write};
  return 0;
}

// --- Register map ---------------------------------------------------------------------------

constexpr uint32_t kRegMap[kNumRegs] = {
    x86::Gp::kIdAx,  x86::Gp::kIdDi,  x86::Gp::kIdSi,  x86::Gp::kIdDx,
    x86::Gp::kIdCx,  x86::Gp::kIdR8,  x86::Gp::kIdBx,  x86::Gp::kIdR13,
    x86::Gp::kIdR14, x86::Gp::kIdR15, x86::Gp::kIdBp,
};

x86::Gp q(uint8_t r) { return x86::gpq(kRegMap[r]); }
x86::Gp d(uint8_t r) { return x86::gpd(kRegMap[r]); }
x86::Gp w(uint8_t r) { return x86::gpw(kRegMap[r]); }
x86::Gp b(uint8_t r) { return x86::gpb_lo(kRegMap[r]); }
x86::Gp reg(uint8_t r, uint32_t width) { return width == 64 ? q(r) : d(r); }
// A scratch or fixed register by id at the operation's width.
x86::Gp gp(uint32_t id, bool is64) {
  return is64 ? x86::Gp(x86::gpq(id)) : x86::Gp(x86::gpd(id));
}

// The JitState of the running activation.
const x86::Gp kState = x86::r12;

// --- Code memory -----------------------------------------------------------------------------

// The code's own mapping: the code's pages between two PROT_NONE guard pages, writable
// (never executable) while the code is copied in, then read and execute only. Never W+X.
struct CodeMemory {
  uint8_t* base = nullptr;  // the lower guard page
  size_t total = 0;         // the whole mapping
  uint8_t* code = nullptr;  // the code's pages: [code, code + pages)
  size_t pages = 0;
  size_t guard = 0;

  static CodeMemory map(size_t size) {
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    CodeMemory m;
    m.guard = page;
    m.pages = (size + page - 1) / page * page;
    m.total = m.pages + 2 * page;
    void* p = mmap(nullptr, m.total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return CodeMemory{};
    m.base = static_cast<uint8_t*>(p);
    m.code = m.base + page;
    if (mprotect(m.code, m.pages, PROT_READ | PROT_WRITE) != 0) {
      m.unmap();
      return CodeMemory{};
    }
    return m;
  }
  bool seal() const { return mprotect(code, pages, PROT_READ | PROT_EXEC) == 0; }
  void unmap() const {
    if (base != nullptr) munmap(base, total);
  }
};

// --- Executable -----------------------------------------------------------------------------

// Generated code has no function type signature in front of it, which clang's
// -fsanitize=function reads (and faults on, at the start of a page) before an indirect
// call: the functions that call into generated code leave that check out.
#if defined(__clang__)
#define BPFJIT_CALLS_GENERATED_CODE __attribute__((no_sanitize("function")))
#else
#define BPFJIT_CALLS_GENERATED_CODE
#endif

using TrampFn = uint64_t (*)(JitState* st, const uint64_t* args, const void* target,
                             uint64_t r10);
// The main program's entry: r1, r2 in registers, r3..r5 zero.
using MainFn = uint64_t (*)(JitState* st, uint64_t r1, uint64_t r2, uint64_t r10);

class JitProgram final : public Executable {
 public:
  JitProgram(CodeMemory mem, size_t code_size, bool checked)
      : mem_(mem), code_size_(code_size), checked_(checked) {}
  ~JitProgram() override { mem_.unmap(); }
  JitProgram(const JitProgram&) = delete;
  JitProgram& operator=(const JitProgram&) = delete;

  // The entry does only what the program's code needs: a program without checks, budget
  // points or calls gets no JitState at all.
  BPFJIT_CALLS_GENERATED_CODE uint64_t run(RunContext& ctx, uint64_t r1, uint64_t r2) const override {
    if (ctx.stack == nullptr) [[unlikely]] return run_with_own_stack(ctx, r1, r2);
    ctx.trap = Trap{};
    ctx.tail_call_target = nullptr;
    ctx.depth = 0;
    uint64_t r10 = reinterpret_cast<uint64_t>(ctx.stack) + kStackSize;
    if (!needs_.state) return main_(nullptr, r1, r2, r10);
    JitState st;
    st.ctx = &ctx;
    st.stack_lo = reinterpret_cast<uint64_t>(ctx.stack);
    st.counted = ctx.budget != UINT64_MAX;
    st.cpu = ctx.cpu;
    if (needs_.tail) {
      // A tail call's target runs on this state: it gets everything it might read.
      st.r1 = r1;
      st.r2 = r2;
      st.top = 1;
    }
    if (needs_.region || needs_.tail) fill_region_limits(st, ctx);
    uint64_t r0;
    if (needs_.helpers) {
      // Helpers may call back into the program (invoke) and use the helper table.
      st.helpers = ctx.helpers.data();
      st.num_helpers = ctx.helpers.size();
      st.prog = this;
      ctx.invoke = &invoke;
      void* prev = ctx.engine;
      ctx.engine = &st;
      r0 = main_(&st, r1, r2, r10);
      ctx.engine = prev;
    } else {
      r0 = main_(&st, r1, r2, r10);
    }
    // The count wrapped below zero when it ran out.
    if (ctx.trap.kind == TrapKind::kBudget) ctx.budget = 0;
    return r0;
  }

  const char* engine_name() const override {
    return checked_ ? "jit (checked)" : "jit (trusted)";
  }

  // What the entry must set up for the code.
  struct Needs {
    bool state = true;    // the code reads the JitState (r12)
    bool region = true;   // inline checks of region 0
    bool helpers = true;  // helper calls (the table, invoke)
    bool tail = false;    // a tail-call site, which may jump into another program's code
  };

  void set_entries(TrampFn tramp, MainFn main, std::vector<std::pair<uint32_t, const void*>> entries,
                   Needs needs) {
    needs_ = needs;
    tramp_ = tramp;
    main_ = main;
    entries_ = std::move(entries);
    body_ = entry_for(0);
  }
  // Where a tail call into this program jumps (the code of slot 0).
  const void* body() const { return body_; }
  bool checked() const { return checked_; }
  const void* code() const { return mem_.code; }
  const CodeMemory& memory() const { return mem_; }
  size_t code_size() const { return code_size_; }

 private:
  [[gnu::noinline]] uint64_t run_with_own_stack(RunContext& ctx, uint64_t r1, uint64_t r2) const {
    return run_on_thread_stack(ctx, [&] { return run(ctx, r1, r2); });
  }

  const void* entry_for(uint32_t pc) const {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), pc,
                               [](const auto& e, uint32_t v) { return e.first < v; });
    if (it == entries_.end() || it->first != pc) return nullptr;
    return it->second;
  }

  // ctx.invoke: runs the subprogram at `pc` in a new frame (for bpf_loop and friends).
  BPFJIT_CALLS_GENERATED_CODE static uint64_t invoke(RunContext* ctx, uint32_t pc, uint64_t r1, uint64_t r2, uint64_t r3,
                         uint64_t r4, uint64_t r5) {
    auto* outer = static_cast<JitState*>(ctx->engine);
    const JitProgram* self = outer->prog;
    const void* target = self->entry_for(pc);
    if (target == nullptr) {
      ctx->trap = Trap{TrapKind::kHelperFault, pc};
      return 0;
    }
    if (ctx->depth + 1 >= kMaxCallDepth) {
      ctx->trap = Trap{TrapKind::kCallDepth, pc};
      return 0;
    }
    JitState inner = *outer;
    inner.top = 0;
    ctx->engine = &inner;
    uint32_t depth = ctx->depth;
    ctx->depth = depth + 1;
    const uint64_t args[5] = {r1, r2, r3, r4, r5};
    uint64_t r10 = reinterpret_cast<uint64_t>(ctx->stack) + kStackSize -
                   uint64_t{depth + 1} * kStackFrameSize;
    uint64_t r0 = self->tramp_(&inner, args, target, r10);
    ctx->depth = depth;
    ctx->engine = outer;
    return r0;
  }

  CodeMemory mem_;
  size_t code_size_;
  bool checked_;
  TrampFn tramp_ = nullptr;
  MainFn main_ = nullptr;
  Needs needs_;
  std::vector<std::pair<uint32_t, const void*>> entries_;  // sorted by pc
  const void* body_ = nullptr;
};

// Successful tail-call jumps on this thread (jit_tail_jumps()).
thread_local uint64_t tail_jumps = 0;

// Called by the code after bpf_tail_call succeeded (ctx.tail_call_target set): asks the
// runtime for the target (RunContext::tail_resolve) and, when it may run on this state,
// makes this state the target's and returns the address to jump to; null ends the run
// (the runtime starts the target, or reports why it cannot).
extern "C" const void* bpfjit_jit_tail_jump(JitState* st) {
  RunContext* ctx = st->ctx;
  if (st->top == 0 || ctx->tail_resolve == nullptr) return nullptr;
  const Executable* next = ctx->tail_resolve(ctx, st->prog);
  if (next == nullptr) return nullptr;
  // tail_resolve accepts only what jit_can_tail_jump accepts: a JitProgram.
  const auto* target = static_cast<const JitProgram*>(next);
  st->prog = target;
  st->helpers = ctx->helpers.data();
  st->num_helpers = ctx->helpers.size();
  ctx->depth = 0;
  ++tail_jumps;
  return target->body();
}

// --- Constant blinding ----------------------------------------------------------------------

// The keys of one compile: a splitmix64 stream seeded from getrandom (std::random_device
// when that fails), a fresh key for every blinded value, as the kernel draws one per
// instruction. A key is never zero in either 32-bit half, so v ^ key differs from v in
// every 32-bit word. Seeded at the first key, so that a compile without harden costs
// nothing.
class BlindingKeys {
 public:
  uint32_t key32() {
    for (;;) {
      auto k = static_cast<uint32_t>(next());
      if (k != 0) return k;
    }
  }
  uint64_t key64() {
    for (;;) {
      uint64_t k = next();
      if (static_cast<uint32_t>(k) != 0 && (k >> 32) != 0) return k;
    }
  }

 private:
  uint64_t next() {
    if (!seeded_) {
      if (getrandom(&state_, sizeof(state_), 0) != static_cast<ssize_t>(sizeof(state_))) {
        std::random_device rd;
        state_ = uint64_t{rd()} << 32 | rd();
      }
      seeded_ = true;
    }
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t state_ = 0;
  bool seeded_ = false;
};

// --- Emission -------------------------------------------------------------------------------

// Records the first asmjit error instead of throwing.
class ErrorSink : public asmjit::ErrorHandler {
 public:
  void handleError(asmjit::Error err, const char* message, asmjit::BaseEmitter*) override {
    if (err_ == asmjit::kErrorOk) {
      err_ = err;
      message_ = message;
    }
  }
  asmjit::Error err_ = asmjit::kErrorOk;
  std::string message_;
};

// A slow path emitted after the program.
struct Stub {
  enum Kind : uint8_t { kMemCheck, kBudget, kCallDepth, kBadHelper, kAfterHelper, kBranchPair };
  Kind kind;
  bool write;
  uint8_t size;
  bool stack_first;  // kMemCheck: the inline check was region 0, try the stack here
  uint8_t base;      // kMemCheck: the access is at r[base] + r[index] + off
  uint8_t index;     // kNumRegs when there is none
  int32_t off;
  uint32_t insn;
  Label entry;
  Label back;
};

// A jump table (switches.h): its data, and the tree's code right after the dispatch, which
// runs the values outside the table. `emitted` once the dispatch is (not inside the copies
// of a versioned loop).
struct SwitchCode {
  SwitchTable table;
  Label data;
  Label tree;
  bool emitted = false;
};

// A versioned loop (loops.h) and the labels of its two copies.
struct VersionedCode {
  VersionedLoop loop;
  Label unchecked;
  Label checked;
};

class Emitter {
 public:
  Emitter(const std::vector<Insn>& insns, const JitOptions& opts, x86::Assembler& a,
          bool bmi2)
      : insns_(insns), opts_(opts), a_(a), bmi2_(bmi2 && opts.allow_bmi2),
        harden_(opts.harden) {}

  // Checks that every instruction can be translated; fills the label table.
  Result<void> prepare() {
    size_t n = insns_.size();
    labels_.assign(n, Label());
    for (size_t pc = 0; pc < n; ++pc) {
      const Insn& in = insns_[pc];
      auto idx = static_cast<uint32_t>(pc);
      switch (form_of(in.op)) {
        case Form::kCallBtf:
          return make_error(ErrorCode::kUnsupported, idx,
                            "the jit does not run kfunc calls (call runtime)");
        case Form::kLdAbs:
        case Form::kLdInd:
          return make_error(ErrorCode::kUnsupported, idx,
                            fmt::format("the jit does not run legacy packet loads ({})",
                                        op_info(in.op).mnemonic));
        case Form::kLddw:
          if (in.op == Op::kLddwHigh) break;
          if (lddw_kind(in.op) != LddwKind::kImm64) {
            return make_error(ErrorCode::kUnsupported, idx,
                              fmt::format("the jit does not run lddw with src {} (an "
                                          "unresolved map or code reference)",
                                          op_info(in.op).selval));
          }
          // A callback's slot may come from an lddw; make it an entry for invoke.
          if (in.imm64 < n && insns_[in.imm64].op != Op::kLddwHigh) mark_entry(in.imm64);
          break;
        case Form::kCall:
          // A call to a helper that is not in the table compiles to a trap (as the
          // interpreter traps at run time): the loader leaves such calls for CO-RE
          // relocations the target cannot satisfy, in code the verifier proved dead.
          break;
        case Form::kJa:
        case Form::kJa32:
        case Form::kJmpImm:
        case Form::kJmpReg:
          if (in.target() >= n) {
            return make_error(ErrorCode::kJit, idx, fmt::format("jump to {} is out of range", in.target()));
          }
          mark(in.target());
          break;
        case Form::kCallLocal:
          if (in.target() >= n) {
            return make_error(ErrorCode::kJit, idx, fmt::format("call to {} is out of range", in.target()));
          }
          mark_entry(in.target());
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
        case Form::kCallx:
        case Form::kExit:
          break;
      }
      if (in.dst >= kNumRegs || in.src >= kNumRegs) {
        return make_error(ErrorCode::kJit, idx, "register out of range");
      }
      // Over-approximate: fields an instruction does not use are zero (r0, zeroed anyway).
      names_reg_[in.dst] = true;
      names_reg_[in.src] = true;
    }
    if (!opts_.insn_flags.empty() && opts_.insn_flags.size() != n) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("insn_flags has {} entries, the program {} slots",
                                    opts_.insn_flags.size(), n));
    }
    inline_at_.assign(n, -1);
    for (size_t i = 0; i < opts_.array_lookups.size() && !opts_.checked; ++i) {
      const uint32_t pc = opts_.array_lookups[i].slot;
      if (pc >= n || insns_[pc].op != Op::kCall ||
          insns_[pc].imm != static_cast<int32_t>(kHelperMapLookupElem)) {
        return make_error(ErrorCode::kInvalidArgument, pc,
                          "an in-place array lookup is not at a call of bpf_map_lookup_elem");
      }
      inline_at_[pc] = static_cast<int32_t>(i);
    }
    for (size_t pc = 0; pc < n; ++pc) {
      Form f = form_of(insns_[pc].op);
      if ((f == Form::kCall && inline_at_[pc] < 0) || f == Form::kCallx) has_helper_call_ = true;
      // callx may reach bpf_tail_call too.
      if ((f == Form::kCall && static_cast<uint32_t>(insns_[pc].imm) == kHelperTailCall) ||
          f == Form::kCallx) {
        has_tail_call_ = true;
      }
      if (f == Form::kCallLocal) has_local_call_ = true;
    }
    // Loop heads (targets of backward jumps) start on a 16-byte boundary when the code
    // before them cannot fall through (padding nops are never executed).
    loop_heads_.assign(n, false);
    for (size_t pc = 0; pc < n; ++pc) {
      Form f = form_of(insns_[pc].op);
      bool jump = is_jump(f);
      uint32_t t = insns_[pc].target();
      if (!jump || t > pc || t == 0) continue;
      Form before = form_of(insns_[t - 1].op);
      if (before == Form::kJa || before == Form::kJa32 || before == Form::kExit) loop_heads_[t] = true;
    }
    mark_entry(0);
    find_switches();
    find_loops();
    std::sort(entries_.begin(), entries_.end());
    entries_.erase(std::unique(entries_.begin(), entries_.end()), entries_.end());
    find_callee_saves();
    find_inline_leaves();
    return {};
  }

  // r6..r9 live in rbx, r13, r14, r15 (callee-saved in SysV and in eBPF). A bpf-to-bpf call
  // saves only those its callee's body names, when every subprogram is self-contained: each
  // of the ranges between entries keeps its jumps inside and ends in exit or ja, so the
  // callee runs nothing but its own body (its own calls save for themselves). Otherwise
  // (unverified code that jumps between functions) every call saves all four.
  void find_callee_saves() {
    static constexpr uint8_t kAll = 0xf;
    callee_saves_.assign(entries_.size(), kAll);
    std::vector<uint8_t> saves(entries_.size(), 0);
    for (size_t e = 0; e < entries_.size(); ++e) {
      size_t begin = entries_[e];
      size_t end = e + 1 < entries_.size() ? entries_[e + 1] : insns_.size();
      size_t last = end - 1;
      if (insns_[last].op == Op::kLddwHigh) return;  // ends in the middle of an lddw
      Form lf = form_of(insns_[last].op);
      if (lf != Form::kExit && lf != Form::kJa && lf != Form::kJa32) return;
      for (size_t pc = begin; pc < end; ++pc) {
        const Insn& in = insns_[pc];
        Form f = form_of(in.op);
        bool jump = is_jump(f);
        if (jump && in.op != Op::kLddwHigh && (in.target() < begin || in.target() >= end)) return;
        for (uint8_t r : {in.dst, in.src}) {
          if (r >= 6 && r <= 9) saves[e] |= static_cast<uint8_t>(1u << (r - 6));
        }
      }
    }
    callee_saves_ = std::move(saves);
  }

  // Trusted mode: the subprograms a call emits in place. A leaf qualifies when its body is
  // straight (no jump, call or atomic) up to its first exit, at most kMaxInlineLeaf
  // instructions, and names neither r6..r9 (nothing to save) nor r10 (no frame of its
  // own). In place, its r0 is the call's result, and r1..r5 hold what they would after
  // the call (which a verified caller never reads); the verifier's bound on the call depth
  // makes the depth check that checked mode does unnecessary.
  static constexpr size_t kMaxInlineLeaf = 16;
  void find_inline_leaves() {
    inline_end_.assign(insns_.size(), 0);
    if (opts_.checked) return;
    for (uint32_t e : entries_) {
      for (size_t pc = e; pc < insns_.size() && pc - e <= kMaxInlineLeaf; ++pc) {
        const Insn& in = insns_[pc];
        Form f = form_of(in.op);
        if (f == Form::kExit) {
          if (pc > e) inline_end_[e] = static_cast<uint32_t>(pc);
          break;
        }
        bool straight = f == Form::kAluImm || f == Form::kAluReg || f == Form::kNeg ||
                        f == Form::kMovSx || f == Form::kEndian || f == Form::kLddw ||
                        f == Form::kLdx || f == Form::kLdxSx || f == Form::kSt || f == Form::kStx;
        if (!straight) break;
        if (in.op == Op::kLddwHigh) continue;
        bool names_saved_or_frame = false;
        for (uint8_t r : {in.dst, in.src}) names_saved_or_frame |= r >= 6;
        if (names_saved_or_frame) break;
      }
    }
  }

  // The body of the leaf at `target`, in place of a call to it (find_inline_leaves).
  void emit_inline_leaf(uint32_t target) {
    for (uint32_t pc = target; pc < inline_end_[target]; ++pc) {
      const Insn& in = insns_[pc];
      if (in.op == Op::kLddwHigh) continue;
      if (annotate_) a_.comment(fmt::format("  inline {:5}: {}", pc, disassemble(in, pc)).c_str());
      emit(in, pc);
    }
  }

  // The registers a call to the subprogram at `target` saves (r6..r9 order).
  std::vector<x86::Gp> callee_saved_regs(uint32_t target) const {
    static const x86::Gp kRegs[4] = {x86::rbx, x86::r13, x86::r14, x86::r15};
    auto it = std::lower_bound(entries_.begin(), entries_.end(), target);
    uint8_t mask = it != entries_.end() && *it == target
                       ? callee_saves_[static_cast<size_t>(it - entries_.begin())]
                       : 0xf;
    std::vector<x86::Gp> out;
    for (uint32_t i = 0; i < 4; ++i) {
      if (mask & (1u << i)) out.push_back(kRegs[i]);
    }
    return out;
  }

  // Trusted code keeps no call depth (the verifier bounds it): before a helper call in a
  // program with bpf-to-bpf calls, ctx.depth is set from r10 for ctx.invoke, which places
  // a callback's frame below the caller's.
  void emit_depth_from_frame() {
    if (opts_.checked || !has_local_call_) return;
    // depth = (stack_lo + kStackSize - r10) / kStackFrameSize
    a_.mov(x86::r10, state_q(kOffStackLo));
    a_.sub(x86::r10, x86::rbp);
    a_.add(x86::r10, static_cast<int32_t>(kStackSize));
    a_.shr(x86::r10, 9);
    a_.mov(x86::r11, state_q(kOffCtx));
    a_.mov(x86::dword_ptr(x86::r11, kOffDepth), x86::r10d);
  }

  void emit_all(bool annotate) {
    annotate_ = annotate;
    unwind_ = a_.newLabel();
    slow_ = a_.newLabel();
    tramp_ = a_.newLabel();
    main_tramp_ = a_.newLabel();
    tail_jump_ = a_.newLabel();
    emit_range(0, insns_.size(), annotate, true);
    // The checked copies of the versioned loops, out of line; they end where the loop
    // falls through.
    for (VersionedCode& v : loops_) {
      const VersionedLoop& l = v.loop;
      Label outer = labels_[l.head];
      labels_[l.head] = v.checked;
      emit_range(l.head, l.tail + 1, annotate, false);
      a_.jmp(labels_[l.tail + 1]);
      labels_[l.head] = outer;
    }
    emit_stubs();
    emit_trampoline();
    emit_switch_data();
  }

  // Emits slots [begin, end). `top`: the whole program, where versioned loops get their
  // entry check and their unchecked copy.
  void emit_range(size_t begin, size_t end, bool annotate, bool top) {
    for (size_t pc = begin; pc < end; ++pc) {
      const Insn& in = insns_[pc];
      if (in.op == Op::kLddwHigh) continue;
      if (top && loop_at_[pc] >= 0) {
        VersionedCode& v = loops_[static_cast<size_t>(loop_at_[pc])];
        emit_versioned_loop(v, annotate);
        pc = v.loop.tail;
        continue;
      }
      if (loop_heads_[pc]) a_.align(asmjit::AlignMode::kCode, 16);
      if (labels_[pc].isValid()) a_.bind(labels_[pc]);
      if (annotate) a_.comment(fmt::format("{:5}: {}", pc, disassemble(in, static_cast<uint32_t>(pc))).c_str());
      if (top && switch_at_[pc] >= 0) emit_switch(switches_[static_cast<size_t>(switch_at_[pc])], annotate);
      if (jumps_over_ja(static_cast<uint32_t>(pc))) {
        if (annotate) a_.comment(fmt::format("{:5}: {}", pc + 1, disassemble(insns_[pc + 1], static_cast<uint32_t>(pc + 1))).c_str());
        emit_jump_over_ja(static_cast<uint32_t>(pc));
        ++pc;
        continue;
      }
      if (converges_over_alu(static_cast<uint32_t>(pc))) {
        for (size_t k = 1; k <= 2 && annotate; ++k) {
          a_.comment(fmt::format("{:5}: {}", pc + k, disassemble(insns_[pc + k], static_cast<uint32_t>(pc + k))).c_str());
        }
        uint32_t t = in.target();
        if (t <= pc) emit_budget(static_cast<uint32_t>(pc));
        emit_conditional_alu(in, insns_[pc + 1]);
        a_.jmp(labels_[t]);
        pc += 2;
        continue;
      }
      if (uint32_t n = emit_lea(static_cast<uint32_t>(pc), annotate); n != 0) {
        pc += n - 1;
        continue;
      }
      if (if_convertible(static_cast<uint32_t>(pc))) {
        const Insn& next = insns_[pc + 1];
        if (annotate) a_.comment(fmt::format("{:5}: {}", pc + 1, disassemble(next, static_cast<uint32_t>(pc + 1))).c_str());
        emit_conditional_alu(in, next);
        ++pc;
        continue;
      }
      emit(in, static_cast<uint32_t>(pc));
    }
  }

  // At the loop's head: jmax, then for each hoisted access that all its addresses for
  // j <= jmax lie in region 0 (see loops.h), and that the run has no budget; any doubt
  // runs the checked copy. Then the copy without those checks and without counting, whose
  // back-edge skips the entry check.
  //   r10 = r[counter] + counter_add ; r11 = bound ; r11 = r11 > r10 ? r11 - r10 : 0
  //   per access: r10 = addr0 - region_start ; r9 = step * jmax ; in range or checked copy
  void emit_versioned_loop(VersionedCode& v, bool annotate) {
    const VersionedLoop& l = v.loop;
    a_.bind(labels_[l.head]);
    if (annotate) {
      a_.comment(fmt::format("{} {}..{}: {} entry checks for {} accesses", l.loop ? "loop" : "range",
                             l.head, l.tail, l.accesses.size(), l.covered.size()).c_str());
    }
    if (l.loop) {
      lea_imm(x86::r10, l.counter, kNumRegs, l.counter_add);
      if (l.bound_reg == kNumRegs) {
        mov_imm(x86::r11, l.bound_add, x86::r9);
      } else {
        lea_imm(x86::r11, l.bound_reg, kNumRegs, l.bound_add);
      }
      Label counted = a_.newLabel();
      a_.sub(x86::r11, x86::r10);
      a_.jae(counted);
      a_.xor_(x86::r11d, x86::r11d);
      a_.bind(counted);
      // jmax < 2^31 and |step| < 2^31: step * jmax cannot overflow.
      a_.cmp(x86::r11, Imm(INT32_MAX));
      a_.ja(v.checked);
    }
    // A run with a budget counts back-edges: the checked copy does.
    if (l.back_edge) {
      a_.cmp(state_b(kOffCounted), 0);
      a_.jne(v.checked);
    }
    uses_region_ = true;
    for (const HoistedAccess& h : l.accesses) {
      uint32_t log2 = h.size == 1 ? 0 : h.size == 2 ? 1 : h.size == 4 ? 2 : 3;
      x86::Mem limit = state_q(limit_offset(h.write, log2));
      lea_imm(x86::r10, h.base, h.index, h.disp);
      a_.sub(x86::r10, state_q(kOffRegionStart));
      if (h.step == 0) {
        a_.cmp(x86::r10, limit);
        a_.jae(v.checked);
      } else if (h.step > 0) {
        // r10 + step * jmax < limit, without a carry (r10 < limit follows)
        imul_imm(x86::r9, x86::r11, h.step);
        a_.add(x86::r9, x86::r10);
        a_.jc(v.checked);
        a_.cmp(x86::r9, limit);
        a_.jae(v.checked);
      } else {
        // r10 < limit and r10 >= -step * jmax
        a_.cmp(x86::r10, limit);
        a_.jae(v.checked);
        imul_imm(x86::r9, x86::r11, -int64_t{h.step});
        a_.cmp(x86::r10, x86::r9);
        a_.jb(v.checked);
      }
    }
    a_.align(asmjit::AlignMode::kCode, 16);
    Label outer = labels_[l.head];
    labels_[l.head] = v.unchecked;
    for (uint32_t pc : l.covered) elide_[pc] = true;
    uncounted_ = l.back_edge;
    emit_range(l.head, l.tail + 1, annotate, false);
    uncounted_ = false;
    for (uint32_t pc : l.covered) elide_[pc] = false;
    labels_[l.head] = outer;
  }

  // The compare trees that get a jump table, and a label at each slot a table jumps to.
  // In checked mode a value whose path runs a backward compare runs the tree, which counts
  // it (switches.h).
  // Blinding leaves them out: the range check would show the switch's immediates.
  void find_switches() {
    switch_at_.assign(insns_.size(), -1);
    if (harden_ || !opts_.jump_tables) return;
    SwitchOptions so;
    so.keep_back_edges = opts_.checked;
    for (SwitchTable& t : find_switch_tables(insns_, so)) {
      switch_at_[t.root] = static_cast<int32_t>(switches_.size());
      for (uint32_t e : t.entries) mark(e);
      switches_.push_back(SwitchCode{std::move(t), a_.newLabel(), a_.newLabel()});
    }
  }

  // In front of the tree at its root:
  //   r10 = r[R] - lo (32 or 64 bits) ; r10 > count - 1 ? run the tree
  //   r11 = &data ; r10 = r11 + data[r10] (32-bit offsets from data) ; jmp r10
  void emit_switch(SwitchCode& s, bool annotate) {
    const SwitchTable& t = s.table;
    if (annotate) {
      a_.comment(fmt::format("jump table: r{} - {} below {}", t.reg, t.lo, t.entries.size()).c_str());
    }
    x86::Gp idx = t.wide ? x86::Gp(x86::r10) : x86::Gp(x86::r10d);
    if (t.lo == 0) {
      a_.mov(idx, t.wide ? q(t.reg) : d(t.reg));
    } else {
      a_.lea(idx, x86::ptr(q(t.reg), -t.lo));  // the 32-bit form zero-extends
    }
    a_.cmp(idx, static_cast<int32_t>(t.entries.size() - 1));
    a_.ja(s.tree);
    a_.lea(x86::r11, x86::ptr(s.data));
    a_.movsxd(x86::r10, x86::dword_ptr(x86::r11, x86::r10, 2));
    a_.add(x86::r10, x86::r11);
    a_.jmp(x86::r10);
    a_.bind(s.tree);
    s.emitted = true;
  }

  void emit_switch_data() {
    for (SwitchCode& s : switches_) {
      if (!s.emitted) continue;
      a_.align(asmjit::AlignMode::kData, 4);
      a_.bind(s.data);
      for (uint32_t e : s.table.entries) {
        a_.embedLabelDelta(e == s.table.root ? s.tree : labels_[e], s.data, 4);
      }
    }
  }

  // Checked mode: the loops and straight ranges whose region-0 accesses are checked once at
  // their entry.
  void find_loops() {
    size_t n = insns_.size();
    loop_at_.assign(n, -1);
    elide_.assign(n, false);
    if (!opts_.checked) return;
    std::vector<bool> is_target(n);
    for (size_t pc = 0; pc < n; ++pc) is_target[pc] = labels_[pc].isValid();
    for (VersionedLoop& l : find_versioned_loops(insns_, is_target)) {
      loop_at_[l.head] = static_cast<int32_t>(loops_.size());
      mark(l.head);
      mark(l.tail + 1);  // the checked copy jumps back there
      loops_.push_back(VersionedCode{std::move(l), a_.newLabel(), a_.newLabel()});
    }
  }

  // What the run's entry must set up (known after emit_all).
  bool uses_state() const { return uses_state_; }
  bool uses_region() const { return uses_region_; }
  bool has_helper_call() const { return has_helper_call_; }
  bool has_tail_call() const { return has_tail_call_; }

  Label tramp_label() const { return tramp_; }
  Label main_tramp_label() const { return main_tramp_; }
  Label label(uint32_t pc) const { return labels_[pc]; }
  const std::vector<uint32_t>& entries() const { return entries_; }

 private:
  void mark(uint64_t pc) {
    if (!labels_[pc].isValid()) labels_[pc] = a_.newLabel();
  }
  void mark_entry(uint64_t pc) {
    mark(pc);
    entries_.push_back(static_cast<uint32_t>(pc));
  }
  // A field of the JitState of the running activation.
  x86::Mem state_q(int32_t off) {
    uses_state_ = true;
    return x86::qword_ptr(kState, off);
  }
  x86::Mem state_b(int32_t off) {
    uses_state_ = true;
    return x86::byte_ptr(kState, off);
  }
  uint8_t flags(uint32_t pc) const {
    return opts_.insn_flags.empty() ? 0 : opts_.insn_flags[pc];
  }

  // r = v: a 32-bit register gets v's low 32 bits (zero-extended), a 64-bit one all of v.
  // Every value that comes from the program's immediates goes through here (or alu_imm,
  // lea_imm, imul_imm), so that with harden the code holds only v ^ key and key:
  //   32 bits, or 64 bits of a sign-extended 32-bit v:  mov r, v ^ k ; xor r, k
  //   other 64-bit values (lddw):                    mov r, v ^ K ; mov tmp, K ; xor r, tmp
  // (sext(a) ^ sext(b) = sext(a ^ b), so the 32-bit key serves the sign-extended form).
  // `tmp` is needed only for 64-bit values outside the int32 range: lddw, loop bounds.
  void mov_imm(const x86::Gp& r, int64_t v, const x86::Gp& tmp = x86::Gp()) {
    bool is64 = r.size() == 8;
    if (!harden_) {
      a_.mov(r, is64 ? Imm(v) : Imm(static_cast<uint32_t>(v)));
      return;
    }
    if (!is64) {
      uint32_t k = keys_.key32();
      a_.mov(r, Imm(static_cast<uint32_t>(v) ^ k));
      a_.xor_(r, Imm(k));
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      uint32_t k = keys_.key32();
      auto sext = [](uint32_t x) { return static_cast<int64_t>(static_cast<int32_t>(x)); };
      a_.mov(r, Imm(sext(static_cast<uint32_t>(v) ^ k)));
      a_.xor_(r, Imm(sext(k)));
    } else {
      uint64_t k = keys_.key64();
      a_.mov(r, Imm(static_cast<uint64_t>(v) ^ k));
      a_.mov(tmp, Imm(k));
      a_.xor_(r, tmp);
    }
  }

  // `id dst, imm` for add, sub, and, or, xor, imul, cmp and test, imm sign-extended on 64
  // bits (as x86 and eBPF both do); with harden `id dst, r10` after r10 = imm, blinded.
  void alu_imm(x86::Inst::Id id, const x86::Gp& dst, int64_t imm) {
    if (!harden_) {
      if (id == x86::Inst::kIdImul) {
        a_.emit(id, dst, dst, Imm(imm));
      } else {
        a_.emit(id, dst, Imm(imm));
      }
      return;
    }
    x86::Gp r = gp(x86::Gp::kIdR10, dst.size() == 8);
    mov_imm(r, imm);
    a_.emit(id, dst, r);
  }

  // out = r[base] + r[index] + disp (no index when it is kNumRegs), disp a value derived
  // from the program's immediates (the loop heads): lea, or with harden
  // mov out, disp (blinded) ; add out, base ; add out, index.
  void lea_imm(const x86::Gp& out, uint8_t base, uint8_t index, int64_t disp) {
    if (!harden_) {
      a_.lea(out, address(base, index, static_cast<int32_t>(disp)));
      return;
    }
    mov_imm(out, disp);
    a_.add(out, q(base));
    if (index != kNumRegs) a_.add(out, q(index));
  }

  // out = src * v (64 bits), v from the program's immediates; out is not src.
  void imul_imm(const x86::Gp& out, const x86::Gp& src, int64_t v) {
    if (!harden_) {
      a_.imul(out, src, Imm(v));
      return;
    }
    mov_imm(out, v);
    a_.imul(out, src);
  }

  Label add_stub(Stub::Kind kind, uint32_t insn) {
    Stub s{};
    s.kind = kind;
    s.insn = insn;
    s.entry = a_.newLabel();
    stubs_.push_back(s);
    return s.entry;
  }

  // The callee-saved registers the program's code changes: r6..r9 and r10 when the program
  // names them (r10 also for bpf-to-bpf calls, which move it), r12 when it reads the state.
  // All of them with a tail-call site: the code it may jump to changes its own set.
  std::vector<x86::Gp> saved_registers() const {
    if (has_tail_call_) return {x86::rbx, x86::rbp, kState, x86::r13, x86::r14, x86::r15};
    std::vector<x86::Gp> out;
    if (names_reg_[6]) out.push_back(x86::rbx);
    if (names_reg_[kFramePointer] || has_local_call_) out.push_back(x86::rbp);
    if (uses_state()) out.push_back(kState);
    if (names_reg_[7]) out.push_back(x86::r13);
    if (names_reg_[8]) out.push_back(x86::r14);
    if (names_reg_[9]) out.push_back(x86::r15);
    return out;
  }

  // Both entries save the same registers, so that the unwinder and the epilogue serve
  // both. An odd count gets 8 bytes of padding: rsp stays 16-byte aligned in the program.
  void emit_entry_prologue() {
    std::vector<x86::Gp> saved = saved_registers();
    for (const x86::Gp& r : saved) a_.push(r);
    if (saved.size() % 2 == 1) a_.sub(x86::rsp, 8);
    if (uses_state()) {
      a_.mov(kState, x86::rdi);
      a_.mov(state_q(kOffSavedRsp), x86::rsp);
    }
    if (names_reg_[kFramePointer] || has_local_call_) a_.mov(x86::rbp, x86::rcx);
    // Registers start at zero, as in the interpreter; unnamed ones are never read.
    a_.xor_(x86::eax, x86::eax);
    if (names_reg_[6]) a_.xor_(x86::ebx, x86::ebx);
    if (names_reg_[7]) a_.xor_(x86::r13d, x86::r13d);
    if (names_reg_[8]) a_.xor_(x86::r14d, x86::r14d);
    if (names_reg_[9]) a_.xor_(x86::r15d, x86::r15d);
  }

  void emit_entry_epilogue() {
    std::vector<x86::Gp> saved = saved_registers();
    if (saved.size() % 2 == 1) a_.add(x86::rsp, 8);
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) a_.pop(*it);
    a_.ret();
  }

  // Emitted after the program, when it is known what the program's code uses.
  // The main entry: rdi = JitState, rsi = r1, rdx = r2, rcx = r10; r3..r5 start at zero.
  // The general one: rdi = JitState, rsi = args (r1..r5), rdx = code to call, rcx = r10.
  void emit_trampoline() {
    a_.bind(main_tramp_);
    emit_entry_prologue();
    a_.mov(x86::rdi, x86::rsi);
    a_.mov(x86::rsi, x86::rdx);
    // Helpers receive r3..r5 whether the program names them or not.
    if (names_reg_[3] || has_helper_call_) a_.xor_(x86::edx, x86::edx);
    if (names_reg_[4] || has_helper_call_) a_.xor_(x86::ecx, x86::ecx);
    if (names_reg_[5] || has_helper_call_) a_.xor_(x86::r8d, x86::r8d);
    a_.call(labels_[0]);
    emit_entry_epilogue();

    a_.bind(tramp_);
    emit_entry_prologue();
    a_.mov(x86::r11, x86::rdx);
    a_.mov(x86::rdi, x86::qword_ptr(x86::rsi, 0));
    a_.mov(x86::rdx, x86::qword_ptr(x86::rsi, 16));
    a_.mov(x86::rcx, x86::qword_ptr(x86::rsi, 24));
    a_.mov(x86::r8, x86::qword_ptr(x86::rsi, 32));
    a_.mov(x86::rsi, x86::qword_ptr(x86::rsi, 8));
    a_.call(x86::r11);
    emit_entry_epilogue();
  }

  // Budget: one unit per back-edge and call. Without a limit (UINT64_MAX at the start of the
  // run) the fast path only reads a flag: a read-modify-write of the budget here would
  // chain every loop iteration through memory. With a limit, the stub counts.
  void emit_budget(uint32_t pc) {
    if (!opts_.checked || uncounted_) return;
    Stub s{};
    s.kind = Stub::kBudget;
    s.insn = pc;
    s.entry = a_.newLabel();
    s.back = a_.newLabel();
    a_.cmp(state_b(kOffCounted), 0);
    a_.jne(s.entry);
    a_.bind(s.back);
    stubs_.push_back(s);
  }

  // The operand for an access of `size` bytes at r[base] + off, checked when needed.
  // [r[base] + r[index] + off], without the index when it is kNumRegs.
  static x86::Mem address(uint8_t base, uint8_t index, int32_t off, uint32_t size = 0) {
    if (index == kNumRegs) return x86::ptr(q(base), off, size);
    return x86::ptr(q(base), q(index), 0, off, size);
  }

  x86::Mem access(uint32_t pc, uint8_t base, int32_t off, uint32_t size, bool write,
                  bool force_scratch = false, uint8_t index = kNumRegs) {
    uint32_t log2 = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
    bool check = opts_.checked && (flags(pc) & kSkipMemCheck) == 0 && !elide_[pc];
    // r10 + off inside the running frame is always on the stack.
    bool in_frame = base == kFramePointer && index == kNumRegs && off >= -static_cast<int32_t>(kStackFrameSize) &&
                    off + static_cast<int32_t>(size) <= 0;
    if (!check || in_frame) {
      if (!force_scratch) return address(base, index, off, size);
      a_.lea(x86::r10, address(base, index, off));
      return x86::ptr(x86::r10, 0, size);
    }
    // lea r11, [base+off] ; sub r11, [lo] ; cmp r11, limit ; ja/jae stub ; access [base+off]
    Stub s{};
    s.kind = Stub::kMemCheck;
    s.insn = pc;
    s.size = static_cast<uint8_t>(size);
    s.write = write;
    s.base = base;
    s.off = off;
    s.index = index;
    s.entry = a_.newLabel();
    s.back = a_.newLabel();
    a_.lea(x86::r11, address(base, index, off));
    if (base == kFramePointer && index == kNumRegs) {
      // Likely the stack: test it inline, everything else in the slow path.
      a_.sub(x86::r11, state_q(kOffStackLo));
      a_.cmp(x86::r11, kStackSize - size);
      a_.ja(s.entry);
      s.stack_first = false;
    } else {
      // Likely region 0 (the input): test it inline, then the stack in the stub.
      uses_region_ = true;
      a_.sub(x86::r11, state_q(kOffRegionStart));
      a_.cmp(x86::r11, state_q(limit_offset(write, log2)));
      a_.jae(s.entry);
      s.stack_first = true;
    }
    a_.bind(s.back);
    stubs_.push_back(s);
    if (!force_scratch) return address(base, index, off, size);
    a_.lea(x86::r10, address(base, index, off));
    return x86::ptr(x86::r10, 0, size);
  }

  void emit(const Insn& in, uint32_t pc) {
    const OpInfo& info = op_info(in.op);
    switch (info.form) {
      case Form::kAluImm: return emit_alu(alu_op(in.op), info.width, in.dst, true, 0, in.imm, pc);
      case Form::kAluReg: return emit_alu(alu_op(in.op), info.width, in.dst, false, in.src, 0, pc);
      case Form::kNeg:
        a_.neg(reg(in.dst, info.width));
        return;
      case Form::kMovSx: return emit_movsx(in, static_cast<uint32_t>(info.selval), info.width);
      case Form::kEndian: return emit_endian(endian_op(in.op), in.dst, info.width);
      case Form::kLddw:
        if (in.imm64 == 0) {
          a_.xor_(d(in.dst), d(in.dst));
        } else {
          mov_imm(q(in.dst), static_cast<int64_t>(in.imm64), x86::r11);
        }
        return;
      case Form::kLdx: {
        emit_load(in.dst, info.width, access(pc, in.src, in.off, info.width / 8, false));
        return;
      }
      case Form::kLdxSx: {
        x86::Mem m = access(pc, in.src, in.off, info.width / 8, false);
        if (info.width == 32) {
          a_.movsxd(q(in.dst), m);
        } else {
          a_.movsx(q(in.dst), m);
        }
        return;
      }
      case Form::kSt: {
        x86::Mem m = access(pc, in.dst, in.off, info.width / 8, true);
        if (harden_) {
          // After the check, whose slow path uses r10: mov r10, imm (blinded) ; mov [m], r10
          mov_imm(gp(x86::Gp::kIdR10, info.width == 64), in.imm);
          switch (info.width) {
            case 8: a_.mov(m, x86::r10b); break;
            case 16: a_.mov(m, x86::r10w); break;
            case 32: a_.mov(m, x86::r10d); break;
            default: a_.mov(m, x86::r10); break;
          }
          return;
        }
        switch (info.width) {
          case 8: a_.mov(m, Imm(static_cast<uint8_t>(in.imm))); break;
          case 16: a_.mov(m, Imm(static_cast<uint16_t>(in.imm))); break;
          default: a_.mov(m, Imm(in.imm)); break;
        }
        return;
      }
      case Form::kStx: {
        x86::Mem m = access(pc, in.dst, in.off, info.width / 8, true);
        switch (info.width) {
          case 8: a_.mov(m, b(in.src)); break;
          case 16: a_.mov(m, w(in.src)); break;
          case 32: a_.mov(m, d(in.src)); break;
          default: a_.mov(m, q(in.src)); break;
        }
        return;
      }
      case Form::kAtomic: return emit_atomic(in, pc, atomic_op(in.op), info.width);
      case Form::kLdAbs:
      case Form::kLdInd:
      case Form::kCallBtf:
        return;  // refused by prepare()
      case Form::kJa:
      case Form::kJa32:
        if (in.target() <= pc) emit_budget(pc);
        if (in.target() != pc + 1) a_.jmp(labels_[in.target()]);
        return;
      case Form::kJmpImm:
      case Form::kJmpReg: return emit_jmp(in, pc, jmp_cond(in.op), info.width, info.form == Form::kJmpImm);
      case Form::kCall: {
        if (inline_at_[pc] >= 0) {
          emit_array_lookup(opts_.array_lookups[static_cast<size_t>(inline_at_[pc])]);
          return;
        }
        if (in.imm < 0 || static_cast<size_t>(in.imm) >= opts_.helpers.size() ||
            opts_.helpers[in.imm] == nullptr) {
          // mov [ctx.trap], bad helper at pc ; mov [ctx.trap_addr], id ; jmp unwind
          emit_trap_store(TrapKind::kBadHelper, pc);
          mov_imm(x86::r10d, in.imm);  // zero-extends the id into r10
          a_.mov(x86::qword_ptr(x86::r11, kOffTrapAddr), x86::r10);
          a_.jmp(unwind_);
          return;
        }
        emit_helper_call(pc, reinterpret_cast<uint64_t>(opts_.helpers[in.imm]),
                         static_cast<uint32_t>(in.imm) == kHelperTailCall);
        return;
      }
      case Form::kCallx: {
        Label bad = add_stub(Stub::kBadHelper, pc);
        // mov r11, dst ; cmp r11, helpers.size ; jae bad ; r11 = helpers.data[r11] ; null?
        a_.mov(x86::r11, q(in.dst));
        a_.cmp(x86::r11, state_q(kOffNumHelpers));
        a_.jae(bad);
        a_.mov(x86::r9, state_q(kOffHelpers));
        a_.mov(x86::r11, x86::qword_ptr(x86::r9, x86::r11, 3));
        a_.test(x86::r11, x86::r11);
        a_.jz(bad);
        a_.mov(x86::r9, x86::r11);
        emit_depth_from_frame();
        a_.mov(x86::r11, x86::r9);
        a_.mov(x86::r9, state_q(kOffCtx));
        a_.call(x86::r11);
        emit_after_helper(pc, true);
        return;
      }
      case Form::kCallLocal: {
        if (inline_end_[in.target()] != 0) {
          emit_inline_leaf(in.target());
          return;
        }
        // Checked code counts the depth (unverified code may recurse); trusted code has
        // the verifier's bound and keeps none (emit_depth_from_frame).
        if (opts_.checked) {
          emit_budget(pc);
          // cmp dword [ctx.depth], kMaxCallDepth - 1 ; jae trap
          a_.mov(x86::r11, state_q(kOffCtx));
          a_.cmp(x86::dword_ptr(x86::r11, kOffDepth), kMaxCallDepth - 1);
          a_.jae(add_stub(Stub::kCallDepth, pc));
          a_.inc(x86::dword_ptr(x86::r11, kOffDepth));
        }
        // Save what the callee names of r6..r9; rsp stays 16-byte aligned at the call
        // (the pushes and the return address together a multiple of 16). r10 cannot be
        // written, so the callee's frame is undone by adding its size back.
        std::vector<x86::Gp> saved = callee_saved_regs(in.target());
        bool pad = saved.size() % 2 == 0;
        for (const x86::Gp& r : saved) a_.push(r);
        if (pad) a_.sub(x86::rsp, 8);
        a_.sub(x86::rbp, kStackFrameSize);
        a_.call(labels_[in.target()]);
        a_.add(x86::rbp, kStackFrameSize);
        if (pad) a_.add(x86::rsp, 8);
        for (auto it = saved.rbegin(); it != saved.rend(); ++it) a_.pop(*it);
        if (opts_.checked) {
          a_.mov(x86::r11, state_q(kOffCtx));
          a_.dec(x86::dword_ptr(x86::r11, kOffDepth));
        }
        return;
      }
      case Form::kExit:
        a_.ret();
        return;
    }
  }

  // dst = the zero-extended value of `width` bits at m.
  void emit_load(uint8_t dst, uint32_t width, const x86::Mem& m) {
    switch (width) {
      case 8: a_.movzx(d(dst), m); break;
      case 16: a_.movzx(d(dst), m); break;
      case 32: a_.mov(d(dst), m); break;
      default: a_.mov(q(dst), m); break;
    }
  }

  // r0 = the value of array map `l` at index *(u32 *)r2, or 0 past its end (jit.h
  // JitArrayLookup). Scratch: r10, r11 (and r0).
  //   mov eax, [rsi] ; cmp eax, max_entries ; jae null ; imul rax, rax, stride
  //   mov r11, values ; add rax, r11 ; [mov r11d, [state.cpu] ; imul r11, cpu_stride ;
  //   add rax, r11] ; jmp done ; null: xor eax, eax ; done:
  void emit_array_lookup(const JitArrayLookup& l) {
    Label null = a_.newLabel(), done = a_.newLabel();
    a_.mov(x86::eax, x86::dword_ptr(q(2)));
    if (harden_) {
      mov_imm(x86::r10d, l.max_entries);
      a_.cmp(x86::eax, x86::r10d);
    } else {
      a_.cmp(x86::eax, Imm(l.max_entries));
    }
    a_.jae(null);
    scale(x86::rax, l.stride);
    mov_imm(x86::r11, static_cast<int64_t>(l.values), x86::r10);
    a_.add(x86::rax, x86::r11);
    if (l.cpu_stride != 0) {
      a_.mov(x86::r11, state_q(kOffCpu));
      scale(x86::r11, l.cpu_stride);
      a_.add(x86::rax, x86::r11);
    }
    a_.jmp(done);
    a_.bind(null);
    a_.xor_(x86::eax, x86::eax);
    a_.bind(done);
  }

  // r *= v (a map's layout constant): a shift for powers of two, else imul (r9 and r10
  // scratch).
  void scale(const x86::Gp& r, uint64_t v) {
    if (v == 1) return;
    if ((v & (v - 1)) == 0) {
      a_.shl(r, static_cast<uint32_t>(__builtin_ctzll(v)));
      return;
    }
    if (v <= INT32_MAX && !harden_) {
      a_.imul(r, r, Imm(static_cast<int64_t>(v)));
      return;
    }
    mov_imm(x86::r10, static_cast<int64_t>(v), x86::r9);
    a_.imul(r, x86::r10);
  }

  void emit_helper_call(uint32_t pc, uint64_t addr, bool tail_call) {
    emit_depth_from_frame();
    a_.mov(x86::r9, state_q(kOffCtx));
    a_.mov(x86::r11, addr);
    a_.call(x86::r11);
    emit_after_helper(pc, tail_call);
  }

  // A helper may have faulted (ctx.trap), which ends the run, or asked for a tail call,
  // which jumps into the target or ends the run (emit_tail_jump).
  void emit_after_helper(uint32_t pc, bool tail_call) {
    a_.mov(x86::r11, state_q(kOffCtx));
    a_.cmp(x86::byte_ptr(x86::r11, kOffTrapKind), 0);
    a_.jne(add_stub(Stub::kAfterHelper, pc));
    if (tail_call) {
      a_.cmp(x86::qword_ptr(x86::r11, kOffTailCall), 0);
      a_.jne(tail_jump_);
    }
  }

  // A pending tail call from any depth: when bpfjit_jit_tail_jump gives the target's code,
  // the target starts as a new run would, in place of this one: the native stack back to
  // where the trampoline called the program (its return address stays, so the target's
  // exit returns there; the trampoline saved every callee-saved register, see
  // saved_registers), r10 at the top of the run's stack, r1 and r2 the run's, the other
  // registers zero, the same JitState (now the target's). Otherwise the run ends.
  //   mov rdi, r12 ; call bpfjit_jit_tail_jump ; test rax, rax ; jz unwind
  //   mov r11, rax ; mov r10, [saved_rsp] ; lea rsp, [r10 - 8] ; mov rbp, [stack_lo]
  //   add rbp, kStackSize ; mov rdi, [r1] ; mov rsi, [r2] ; zero the rest ; jmp r11
  void emit_tail_jump() {
    a_.bind(tail_jump_);
    a_.mov(x86::rdi, kState);
    a_.mov(x86::rax, reinterpret_cast<uint64_t>(&bpfjit_jit_tail_jump));
    a_.call(x86::rax);
    a_.test(x86::rax, x86::rax);
    a_.jz(unwind_);
    a_.mov(x86::r11, x86::rax);
    a_.mov(x86::r10, state_q(kOffSavedRsp));
    a_.lea(x86::rsp, x86::ptr(x86::r10, -8));
    a_.mov(x86::rbp, state_q(kOffStackLo));
    a_.add(x86::rbp, static_cast<int32_t>(kStackSize));
    a_.mov(x86::rdi, state_q(kOffR1));
    a_.mov(x86::rsi, state_q(kOffR2));
    for (const x86::Gp& r : {x86::eax, x86::edx, x86::ecx, x86::r8d, x86::ebx, x86::r13d,
                             x86::r14d, x86::r15d}) {
      a_.xor_(r, r);
    }
    a_.jmp(x86::r11);
  }

  // "mov a, b ; add a, c" (c a register other than a, or an immediate) and "mov a, b ;
  // sub a, imm" on 64 bits, the second no jump target, become one lea; when a plain load
  // a = [a + off] follows (no jump target either), the address folds into the load, which
  // is checked as it would have been. Returns the number of instructions emitted.
  uint32_t emit_lea(uint32_t pc, bool annotate) {
    const Insn& mov = insns_[pc];
    if (mov.op != Op::kMov64Reg || mov.dst == mov.src || pc + 1 >= insns_.size() ||
        labels_[pc + 1].isValid()) {
      return 0;
    }
    const Insn& next = insns_[pc + 1];
    if (next.dst != mov.dst) return 0;
    uint8_t index = kNumRegs;
    int64_t disp = 0;
    if (next.op == Op::kAdd64Reg && next.src != mov.dst) {
      index = next.src;
    } else if (harden_) {
      return 0;  // the immediate would become a displacement
    } else if (next.op == Op::kAdd64Imm) {
      disp = next.imm;
    } else if (next.op == Op::kSub64Imm) {
      disp = -int64_t{next.imm};
    } else {
      return 0;
    }
    if (annotate) a_.comment(fmt::format("{:5}: {}", pc + 1, disassemble(next, pc + 1)).c_str());
    if (pc + 2 < insns_.size() && !labels_[pc + 2].isValid()) {
      const Insn& ld = insns_[pc + 2];
      int64_t total = disp + ld.off;
      if (form_of(ld.op) == Form::kLdx && ld.src == mov.dst && ld.dst == mov.dst &&
          total >= INT32_MIN && total <= INT32_MAX) {
        if (annotate) a_.comment(fmt::format("{:5}: {}", pc + 2, disassemble(ld, pc + 2)).c_str());
        uint32_t width = op_info(ld.op).width;
        x86::Mem m = access(pc + 2, mov.src, static_cast<int32_t>(total), width / 8, false,
                            false, index);
        emit_load(ld.dst, width, m);
        return 3;
      }
    }
    if (disp < INT32_MIN || disp > INT32_MAX) {
      a_.mov(q(mov.dst), q(mov.src));
      a_.sub(q(mov.dst), next.imm);
    } else {
      a_.lea(q(mov.dst), address(mov.src, index, static_cast<int32_t>(disp)));
    }
    return 2;
  }

  // If-conversion: "if (cond) skip one ALU instruction" becomes a cmov, so data-dependent
  // conditions cost no mispredictions. Only when the skipped instruction is no jump target
  // and is a simple ALU operation.
  bool if_convertible(uint32_t pc) const {
    const Insn& in = insns_[pc];
    Form f = form_of(in.op);
    if ((f != Form::kJmpImm && f != Form::kJmpReg) || in.target() != pc + 2) return false;
    if (labels_[pc + 1].isValid()) return false;
    return cmov_alu(insns_[pc + 1]);
  }

  // A simple ALU instruction that emit_conditional_alu can compute into r11.
  bool cmov_alu(const Insn& next) const {
    Form nf = form_of(next.op);
    if (nf != Form::kAluImm && nf != Form::kAluReg) return false;
    switch (alu_op(next.op)) {
      case AluOp::kAdd:
      case AluOp::kSub:
      case AluOp::kOr:
      case AluOp::kAnd:
      case AluOp::kXor:
      case AluOp::kMov:
      case AluOp::kMul: return true;
      case AluOp::kLsh:
      case AluOp::kRsh:
      case AluOp::kArsh: return nf == Form::kAluImm || bmi2_;
      case AluOp::kDiv:
      case AluOp::kSDiv:
      case AluOp::kMod:
      case AluOp::kSMod: return false;
    }
    return false;
  }

  // r11 = the skipped instruction's result; compare; dst = r11 unless the jump is taken.
  void emit_conditional_alu(const Insn& jmp, const Insn& alu) {
    const OpInfo& ai = op_info(alu.op);
    bool is64 = ai.width == 64;
    bool imm = ai.form == Form::kAluImm;
    x86::Gp t = gp(x86::Gp::kIdR11, is64);
    x86::Gp src = reg(alu.src, ai.width);
    AluOp op = alu_op(alu.op);
    if (op == AluOp::kMov) {
      if (imm) {
        mov_imm(t, alu.imm);
      } else {
        a_.mov(t, src);
      }
    } else {
      a_.mov(t, reg(alu.dst, ai.width));
      switch (op) {
        case AluOp::kAdd: imm ? alu_imm(x86::Inst::kIdAdd, t, alu.imm) : void(a_.add(t, src)); break;
        case AluOp::kSub: imm ? alu_imm(x86::Inst::kIdSub, t, alu.imm) : void(a_.sub(t, src)); break;
        case AluOp::kOr: imm ? alu_imm(x86::Inst::kIdOr, t, alu.imm) : void(a_.or_(t, src)); break;
        case AluOp::kAnd: imm ? alu_imm(x86::Inst::kIdAnd, t, alu.imm) : void(a_.and_(t, src)); break;
        case AluOp::kXor: imm ? alu_imm(x86::Inst::kIdXor, t, alu.imm) : void(a_.xor_(t, src)); break;
        case AluOp::kMul: imm ? alu_imm(x86::Inst::kIdImul, t, alu.imm) : void(a_.imul(t, src)); break;
        case AluOp::kLsh:
        case AluOp::kRsh:
        case AluOp::kArsh:
          if (imm) {
            uint32_t n = static_cast<uint32_t>(alu.imm) & (ai.width - 1);
            if (n != 0) shift_by_imm(op, t, n);
          } else if (op == AluOp::kLsh) {
            a_.shlx(t, t, src);
          } else if (op == AluOp::kRsh) {
            a_.shrx(t, t, src);
          } else {
            a_.sarx(t, t, src);
          }
          break;
        case AluOp::kMov:
        case AluOp::kDiv:
        case AluOp::kSDiv:
        case AluOp::kMod:
        case AluOp::kSMod: break;  // not if-converted
      }
    }
    const OpInfo& ji = op_info(jmp.op);
    emit_compare(jmp, jmp_cond(jmp.op), ji.width, ji.form == Form::kJmpImm);
    x86::Gp dst = q(alu.dst);
    switch (jmp_cond(jmp.op)) {  // the ALU result stands when the jump is not taken
      case JmpCond::kEq: a_.cmovne(dst, x86::r11); break;
      case JmpCond::kGt: a_.cmovbe(dst, x86::r11); break;
      case JmpCond::kGe: a_.cmovb(dst, x86::r11); break;
      case JmpCond::kSet: a_.cmovz(dst, x86::r11); break;
      case JmpCond::kNe: a_.cmove(dst, x86::r11); break;
      case JmpCond::kSgt: a_.cmovle(dst, x86::r11); break;
      case JmpCond::kSge: a_.cmovl(dst, x86::r11); break;
      case JmpCond::kLt: a_.cmovae(dst, x86::r11); break;
      case JmpCond::kLe: a_.cmova(dst, x86::r11); break;
      case JmpCond::kSlt: a_.cmovge(dst, x86::r11); break;
      case JmpCond::kSle: a_.cmovg(dst, x86::r11); break;
    }
  }

  void emit_jmp(const Insn& in, uint32_t pc, JmpCond cond, uint32_t width, bool imm) {
    if (in.target() <= pc) emit_budget(pc);
    emit_compare(in, cond, width, imm);
    jcc(cond, false, labels_[in.target()]);
  }

  // Jumps to t when the flags of emit_compare say `cond` holds (or fails, when negate).
  void jcc(JmpCond cond, bool negate, Label t) {
    switch (cond) {
      case JmpCond::kEq: negate ? a_.jne(t) : a_.je(t); break;
      case JmpCond::kGt: negate ? a_.jbe(t) : a_.ja(t); break;
      case JmpCond::kGe: negate ? a_.jb(t) : a_.jae(t); break;
      case JmpCond::kSet: negate ? a_.jz(t) : a_.jnz(t); break;
      case JmpCond::kNe: negate ? a_.je(t) : a_.jne(t); break;
      case JmpCond::kSgt: negate ? a_.jle(t) : a_.jg(t); break;
      case JmpCond::kSge: negate ? a_.jl(t) : a_.jge(t); break;
      case JmpCond::kLt: negate ? a_.jae(t) : a_.jb(t); break;
      case JmpCond::kLe: negate ? a_.ja(t) : a_.jbe(t); break;
      case JmpCond::kSlt: negate ? a_.jge(t) : a_.jl(t); break;
      case JmpCond::kSle: negate ? a_.jg(t) : a_.jle(t); break;
    }
  }

  bool is_cond_jump(const Insn& in) const {
    Form f = form_of(in.op);
    return f == Form::kJmpImm || f == Form::kJmpReg;
  }
  bool is_ja(const Insn& in) const {
    Form f = form_of(in.op);
    return f == Form::kJa || f == Form::kJa32;
  }

  // "if (cond) skip the next ja" (a conditional jump to pc + 2 over `ja X`, which is no
  // jump target): one inverted jump to X, so the fall-through path takes no jump at all.
  bool jumps_over_ja(uint32_t pc) const {
    const Insn& in = insns_[pc];
    if (!is_cond_jump(in) || in.target() != pc + 2 || labels_[pc + 1].isValid()) return false;
    return is_ja(insns_[pc + 1]) && insns_[pc + 1].target() != pc + 2;
  }

  // The ja at pc + 1 counts the budget when it goes backward; the flag test comes first
  // and, with a budget, the stub runs the pair as written.
  void emit_jump_over_ja(uint32_t pc) {
    const Insn& in = insns_[pc];
    const OpInfo& info = op_info(in.op);
    JmpCond cond = jmp_cond(in.op);
    uint32_t x = insns_[pc + 1].target();
    if (opts_.checked && !uncounted_ && x <= pc + 1) {
      Stub s{};
      s.kind = Stub::kBranchPair;
      s.insn = pc;
      s.entry = a_.newLabel();
      a_.cmp(state_b(kOffCounted), 0);
      a_.jne(s.entry);
      stubs_.push_back(s);
    }
    emit_compare(in, cond, info.width, info.form == Form::kJmpImm);
    jcc(cond, true, labels_[x]);
  }

  // "if (cond) goto T; <simple alu>; goto T" with neither of the last two a jump target:
  // the ALU result is kept only when cond fails (a cmov), then one jump to T. When T is
  // backward the pair takes one back-edge on either path: one budget unit, named pc.
  bool converges_over_alu(uint32_t pc) const {
    if (pc + 2 >= insns_.size()) return false;
    const Insn& in = insns_[pc];
    if (!is_cond_jump(in) || !is_ja(insns_[pc + 2]) || labels_[pc + 1].isValid() ||
        labels_[pc + 2].isValid()) {
      return false;
    }
    uint32_t t = in.target();
    return t != pc + 1 && t != pc + 2 && t != pc + 3 && insns_[pc + 2].target() == t &&
           cmov_alu(insns_[pc + 1]);
  }

  void emit_compare(const Insn& in, JmpCond cond, uint32_t width, bool imm) {
    x86::Gp dst = reg(in.dst, width);
    if (cond == JmpCond::kSet) {
      if (imm) {
        alu_imm(x86::Inst::kIdTest, dst, in.imm);
      } else {
        a_.test(dst, reg(in.src, width));
      }
    } else if (imm) {
      if (in.imm == 0 && (cond == JmpCond::kEq || cond == JmpCond::kNe)) {
        a_.test(dst, dst);
      } else {
        alu_imm(x86::Inst::kIdCmp, dst, in.imm);
      }
    } else {
      a_.cmp(dst, reg(in.src, width));
    }
  }

  void emit_movsx(const Insn& in, uint32_t from, uint32_t to) {
    x86::Gp dst = reg(in.dst, to);
    switch (from) {
      case 8: a_.movsx(dst, b(in.src)); break;
      case 16: a_.movsx(dst, w(in.src)); break;
      default: a_.movsxd(dst, d(in.src)); break;
    }
  }

  void emit_endian(EndianOp op, uint8_t r, uint32_t width) {
    switch (op) {
      case EndianOp::kLe:
        if (width == 16) a_.movzx(d(r), w(r));
        if (width == 32) a_.mov(d(r), d(r));
        return;
      case EndianOp::kBe:
      case EndianOp::kSwap:
        if (width == 16) {
          a_.rol(w(r), 8);
          a_.movzx(d(r), w(r));
        } else {
          a_.bswap(reg(r, width));
        }
        return;
    }
  }

  void emit_alu(AluOp op, uint32_t width, uint8_t dst_r, bool imm, uint8_t src_r, int32_t immv,
                uint32_t pc) {
    x86::Gp dst = reg(dst_r, width);
    x86::Gp src = reg(src_r, width);
    bool is64 = width == 64;
    switch (op) {
      case AluOp::kAdd:
        imm ? alu_imm(x86::Inst::kIdAdd, dst, immv) : void(a_.add(dst, src));
        return;
      case AluOp::kSub:
        imm ? alu_imm(x86::Inst::kIdSub, dst, immv) : void(a_.sub(dst, src));
        return;
      case AluOp::kOr:
        imm ? alu_imm(x86::Inst::kIdOr, dst, immv) : void(a_.or_(dst, src));
        return;
      case AluOp::kAnd:
        imm ? alu_imm(x86::Inst::kIdAnd, dst, immv) : void(a_.and_(dst, src));
        return;
      case AluOp::kXor:
        imm ? alu_imm(x86::Inst::kIdXor, dst, immv) : void(a_.xor_(dst, src));
        return;
      case AluOp::kMul:
        imm ? alu_imm(x86::Inst::kIdImul, dst, immv) : void(a_.imul(dst, src));
        return;
      case AluOp::kMov:
        if (imm) {
          if (immv == 0) {
            a_.xor_(d(dst_r), d(dst_r));
          } else {
            mov_imm(dst, immv);
          }
        } else if (!is64 || dst_r != src_r) {
          a_.mov(dst, src);
        }
        return;
      case AluOp::kLsh:
      case AluOp::kRsh:
      case AluOp::kArsh:
        return emit_shift(op, width, dst_r, imm, src_r, immv);
      case AluOp::kDiv:
      case AluOp::kSDiv:
      case AluOp::kMod:
      case AluOp::kSMod:
        return emit_divmod(op, width, dst_r, imm, src_r, immv, pc);
    }
  }

  // op is one of kLsh, kRsh, kArsh.
  void shift_by_imm(AluOp op, const x86::Gp& r, uint32_t n) {
    if (op == AluOp::kLsh) {
      a_.shl(r, n);
    } else if (op == AluOp::kRsh) {
      a_.shr(r, n);
    } else {
      a_.sar(r, n);
    }
  }
  void shift_by_cl(AluOp op, const x86::Gp& r) {
    if (op == AluOp::kLsh) {
      a_.shl(r, x86::cl);
    } else if (op == AluOp::kRsh) {
      a_.shr(r, x86::cl);
    } else {
      a_.sar(r, x86::cl);
    }
  }

  void emit_shift(AluOp op, uint32_t width, uint8_t dst_r, bool imm, uint8_t src_r, int32_t immv) {
    x86::Gp dst = reg(dst_r, width);
    if (imm) {
      uint32_t n = static_cast<uint32_t>(immv) & (width - 1);
      if (n == 0) {
        if (width == 32) a_.mov(dst, dst);
        return;
      }
      shift_by_imm(op, dst, n);
      return;
    }
    if (bmi2_) {
      x86::Gp cnt = reg(src_r, width);
      if (op == AluOp::kLsh) {
        a_.shlx(dst, dst, cnt);
      } else if (op == AluOp::kRsh) {
        a_.shrx(dst, dst, cnt);
      } else {
        a_.sarx(dst, dst, cnt);
      }
      return;
    }
    // The count must be in cl, and rcx holds r4: save it in r11.
    constexpr uint8_t kR4 = 4;
    a_.mov(x86::r11, x86::rcx);
    if (src_r != kR4) a_.mov(x86::ecx, d(src_r));
    if (dst_r == kR4) {
      x86::Gp tmp = gp(x86::Gp::kIdR11, width == 64);
      shift_by_cl(op, tmp);
      a_.mov(gp(x86::Gp::kIdCx, width == 64), tmp);
    } else {
      shift_by_cl(op, dst);
      a_.mov(x86::rcx, x86::r11);
    }
  }

  void emit_divmod(AluOp op, uint32_t width, uint8_t dst_r, bool imm, uint8_t src_r,
                   int32_t immv, uint32_t pc) {
    bool is64 = width == 64;
    bool is_signed = op == AluOp::kSDiv || op == AluOp::kSMod;
    bool is_mod = op == AluOp::kMod || op == AluOp::kSMod;
    x86::Gp dst = reg(dst_r, width);
    x86::Gp divisor = gp(x86::Gp::kIdR11, is64);

    // x / 0 = 0; x % 0 = x (truncated to the width).
    auto by_zero = [&] {
      if (is_mod) {
        if (!is64) a_.mov(dst, dst);
      } else {
        a_.xor_(d(dst_r), d(dst_r));
      }
    };
    // x s/ -1 = -x (wrapping); x s% -1 = 0.
    auto by_minus_one = [&] {
      if (is_mod) {
        a_.xor_(d(dst_r), d(dst_r));
      } else {
        a_.neg(dst);
      }
    };

    if (imm) {
      uint64_t dv = is64 ? static_cast<uint64_t>(static_cast<int64_t>(immv))
                         : static_cast<uint32_t>(immv);
      if (dv == 0) return by_zero();
      if (is_signed && immv == -1) return by_minus_one();
      if (!is_signed && (dv & (dv - 1)) == 0) {
        uint32_t k = static_cast<uint32_t>(__builtin_ctzll(dv));
        if (is_mod) {
          alu_imm(x86::Inst::kIdAnd, dst, static_cast<int64_t>(dv - 1));
        } else if (k != 0) {
          a_.shr(dst, k);
        } else if (!is64) {
          a_.mov(dst, dst);
        }
        return;
      }
      mov_imm(divisor, immv);
      emit_div_core(is64, is_signed, is_mod, dst_r);
      return;
    }

    a_.mov(divisor, reg(src_r, width));
    Label zero, minus_one, done = a_.newLabel();
    if ((flags(pc) & kDivisorNonZero) == 0) {
      zero = a_.newLabel();
      a_.test(divisor, divisor);
      a_.jz(zero);
    }
    if (is_signed && (flags(pc) & kDivisorNotMinusOne) == 0) {
      minus_one = a_.newLabel();
      a_.cmp(divisor, -1);
      a_.je(minus_one);
    }
    emit_div_core(is64, is_signed, is_mod, dst_r);
    if (zero.isValid() || minus_one.isValid()) a_.jmp(done);
    if (zero.isValid()) {
      a_.bind(zero);
      by_zero();
      if (minus_one.isValid()) a_.jmp(done);
    }
    if (minus_one.isValid()) {
      a_.bind(minus_one);
      by_minus_one();
    }
    a_.bind(done);
  }

  // dst = dst op r11 with div/idiv; rax (r0) and rdx (r3) survive unless they are dst.
  void emit_div_core(bool is64, bool is_signed, bool is_mod, uint8_t dst_r) {
    constexpr uint8_t kR0 = 0, kR3 = 3;
    x86::Gp ax = gp(x86::Gp::kIdAx, is64);
    x86::Gp dx = gp(x86::Gp::kIdDx, is64);
    x86::Gp divisor = gp(x86::Gp::kIdR11, is64);
    if (dst_r != kR0) a_.mov(x86::r9, x86::rax);
    if (dst_r != kR3) a_.mov(x86::r10, x86::rdx);
    if (dst_r != kR0) a_.mov(ax, reg(dst_r, is64 ? 64 : 32));
    if (is_signed) {
      is64 ? a_.cqo(x86::rdx, x86::rax) : a_.cdq(x86::edx, x86::eax);
      a_.idiv(dx, ax, divisor);
    } else {
      a_.xor_(x86::edx, x86::edx);
      a_.div(dx, ax, divisor);
    }
    // The result is zero-extended already for 32-bit forms.
    a_.mov(x86::r11, is_mod ? x86::rdx : x86::rax);
    if (dst_r != kR0) a_.mov(x86::rax, x86::r9);
    if (dst_r != kR3) a_.mov(x86::rdx, x86::r10);
    a_.mov(q(dst_r), x86::r11);
  }

  void emit_atomic(const Insn& in, uint32_t pc, AtomicOp op, uint32_t width) {
    uint32_t size = width / 8;
    x86::Gp src = reg(in.src, width);
    bool loop = op == AtomicOp::kFetchOr || op == AtomicOp::kFetchAnd || op == AtomicOp::kFetchXor;
    x86::Mem m = access(pc, in.dst, in.off, size, true, loop);
    switch (op) {
      case AtomicOp::kAdd: a_.lock().add(m, src); return;
      case AtomicOp::kOr: a_.lock().or_(m, src); return;
      case AtomicOp::kAnd: a_.lock().and_(m, src); return;
      case AtomicOp::kXor: a_.lock().xor_(m, src); return;
      case AtomicOp::kFetchAdd: a_.lock().xadd(m, src); return;
      case AtomicOp::kXchg: a_.xchg(m, src); return;
      case AtomicOp::kCmpXchg: {
        x86::Gp ax = gp(x86::Gp::kIdAx, width == 64);
        a_.lock().cmpxchg(m, src, ax);
        if (width == 32) a_.mov(x86::eax, x86::eax);
        return;
      }
      case AtomicOp::kFetchOr:
      case AtomicOp::kFetchAnd:
      case AtomicOp::kFetchXor: {
        // r9 = r0 ; rax = [m] ; retry: r11 = rax op src ; lock cmpxchg [m], r11 ; jne retry
        // src = old ; rax = r9 (unless src is r0)
        bool src_is_r0 = in.src == 0;
        x86::Gp ax = gp(x86::Gp::kIdAx, width == 64);
        x86::Gp tmp = gp(x86::Gp::kIdR11, width == 64);
        x86::Gp saved = gp(x86::Gp::kIdR9, width == 64);
        x86::Gp operand = src_is_r0 ? saved : src;
        a_.mov(x86::r9, x86::rax);
        a_.mov(ax, m);
        Label retry = a_.newLabel();
        a_.bind(retry);
        a_.mov(tmp, ax);
        if (op == AtomicOp::kFetchOr) {
          a_.or_(tmp, operand);
        } else if (op == AtomicOp::kFetchAnd) {
          a_.and_(tmp, operand);
        } else {
          a_.xor_(tmp, operand);
        }
        a_.lock().cmpxchg(m, tmp, ax);
        a_.jne(retry);
        if (src_is_r0) {
          if (width == 32) a_.mov(x86::eax, x86::eax);
        } else {
          a_.mov(src, ax);
          a_.mov(x86::rax, x86::r9);
        }
        return;
      }
    }
  }

  void emit_trap_store(TrapKind kind, uint32_t insn) {
    a_.mov(x86::r11, state_q(kOffCtx));
    a_.mov(x86::byte_ptr(x86::r11, kOffTrapKind), static_cast<uint8_t>(kind));
    a_.mov(x86::dword_ptr(x86::r11, kOffTrapInsn), insn);
  }

  void emit_stubs() {
    bool need_slow = false;
    for (size_t i = 0; i < stubs_.size(); ++i) {
      Stub s = stubs_[i];
      a_.bind(s.entry);
      switch (s.kind) {
        case Stub::kMemCheck: {
          a_.lea(x86::r10, address(s.base, s.index, s.off));
          if (s.stack_first) {
            a_.mov(x86::r11, x86::r10);
            a_.sub(x86::r11, state_q(kOffStackLo));
            a_.cmp(x86::r11, kStackSize - s.size);
            a_.jbe(s.back);
          }
          uint64_t packed = s.insn | uint64_t{s.size} << 32 | uint64_t{s.write} << 40;
          a_.mov(x86::r11, packed);
          a_.call(slow_);
          a_.jmp(s.back);
          need_slow = true;
          break;
        }
        case Stub::kBudget: {
          Label out = a_.newLabel();
          a_.mov(x86::r11, state_q(kOffCtx));
          a_.sub(x86::qword_ptr(x86::r11, kOffBudget), 1);
          a_.jb(out);
          a_.jmp(s.back);
          a_.bind(out);
          emit_trap_store(TrapKind::kBudget, s.insn);
          a_.jmp(unwind_);
          break;
        }
        case Stub::kBranchPair: {
          // The pair at s.insn as written, with a budget: jcc pc + 2 ; count ; jmp X.
          const Insn& in = insns_[s.insn];
          const OpInfo& info = op_info(in.op);
          JmpCond cond = jmp_cond(in.op);
          emit_compare(in, cond, info.width, info.form == Form::kJmpImm);
          jcc(cond, false, labels_[s.insn + 2]);
          Label out = a_.newLabel();
          a_.mov(x86::r11, state_q(kOffCtx));
          a_.sub(x86::qword_ptr(x86::r11, kOffBudget), 1);
          a_.jb(out);
          a_.jmp(labels_[insns_[s.insn + 1].target()]);
          a_.bind(out);
          emit_trap_store(TrapKind::kBudget, s.insn + 1);
          a_.jmp(unwind_);
          break;
        }
        case Stub::kCallDepth:
          emit_trap_store(TrapKind::kCallDepth, s.insn);
          a_.jmp(unwind_);
          break;
        case Stub::kBadHelper:
          // r11 holds the id when it was out of range; reload it from the register.
          emit_trap_store(TrapKind::kBadHelper, s.insn);
          a_.mov(x86::r10, q(insns_[s.insn].dst));
          a_.mov(x86::qword_ptr(x86::r11, kOffTrapAddr), x86::r10);
          a_.jmp(unwind_);
          break;
        case Stub::kAfterHelper: {
          // A helper fault names the call instruction; other traps keep their own.
          Label keep = a_.newLabel();
          a_.mov(x86::r11, state_q(kOffCtx));
          a_.cmp(x86::byte_ptr(x86::r11, kOffTrapKind), static_cast<uint8_t>(TrapKind::kHelperFault));
          a_.jne(keep);
          a_.mov(x86::dword_ptr(x86::r11, kOffTrapInsn), s.insn);
          a_.bind(keep);
          a_.jmp(unwind_);
          break;
        }
      }
    }
    if (need_slow) {
      // The access is in r10, the packed facts in r11. 7 pushes + the return address keep
      // rsp aligned for the C call.
      a_.bind(slow_);
      a_.push(x86::rax);
      a_.push(x86::rdi);
      a_.push(x86::rsi);
      a_.push(x86::rdx);
      a_.push(x86::rcx);
      a_.push(x86::r8);
      a_.push(x86::r10);
      a_.mov(x86::rdi, state_q(kOffCtx));
      a_.mov(x86::rsi, x86::r10);
      a_.mov(x86::rdx, x86::r11);
      a_.mov(x86::rax, reinterpret_cast<uint64_t>(&bpfjit_jit_access_slow));
      a_.call(x86::rax);
      a_.test(x86::eax, x86::eax);
      a_.pop(x86::r10);
      a_.pop(x86::r8);
      a_.pop(x86::rcx);
      a_.pop(x86::rdx);
      a_.pop(x86::rsi);
      a_.pop(x86::rdi);
      a_.pop(x86::rax);
      a_.jz(unwind_);
      a_.ret();
    }
    if (has_tail_call_) emit_tail_jump();
    // Ends the run from any depth: returns to the trampoline that started the activation,
    // from the rsp it saved (its return address just below), which restores what it saved.
    // Every path that can end a run early (checks, budget, calls) goes through a stub. The
    // trampoline is not always this program's: after a tail call it is the entry program's.
    if (stubs_.empty() && !has_tail_call_) return;
    a_.bind(unwind_);
    a_.mov(x86::r10, state_q(kOffSavedRsp));
    a_.lea(x86::rsp, x86::ptr(x86::r10, -8));
    a_.ret();
  }

  const std::vector<Insn>& insns_;
  const JitOptions& opts_;
  x86::Assembler& a_;
  bool bmi2_;
  bool harden_;        // constant blinding (jit.h)
  BlindingKeys keys_;  // drawn only with harden
  std::vector<Label> labels_;
  std::vector<bool> loop_heads_;
  std::vector<uint32_t> entries_;
  std::vector<uint8_t> callee_saves_;  // per entry: bit i set when a call saves r(6+i)
  std::vector<Stub> stubs_;
  Label unwind_, slow_, tramp_, main_tramp_, tail_jump_;
  std::vector<VersionedCode> loops_;
  std::vector<int32_t> loop_at_;  // per slot: the index in loops_ of the loop it heads, or -1
  std::vector<bool> elide_;       // per slot: the access is covered by its loop's entry check
  std::vector<int32_t> inline_at_;  // per slot: the index in opts_.array_lookups, or -1
  std::vector<uint32_t> inline_end_;  // per entry: the exit of a leaf emitted in place, or 0
  bool annotate_ = false;             // comments for jit_dump
  std::vector<SwitchCode> switches_;
  std::vector<int32_t> switch_at_;  // per slot: the index in switches_ of the tree it roots, or -1
  bool uncounted_ = false;        // emitting code that runs only without a budget
  bool names_reg_[kNumRegs] = {};  // some instruction names the register
  bool has_helper_call_ = false;   // call or callx
  bool has_local_call_ = false;
  bool has_tail_call_ = false;     // a call of bpf_tail_call, or a callx (which may be one)
  bool uses_state_ = false;        // the code reads or writes the JitState
  bool uses_region_ = false;       // an inline check reads region 0's bounds
};

Result<void> check_host(const JitOptions& opts) {
  if (opts.simulate_missing_cpu_feature) {
    return make_error(ErrorCode::kUnsupported,
                      "the host cpu lacks a feature the jit needs (simulated for a test)");
  }
  if (!jit_available()) {
    return make_error(ErrorCode::kUnsupported, "the jit needs an x86-64 host");
  }
  return {};
}

bool host_has_bmi2() {
  static const bool has = asmjit::CpuInfo::host().hasFeature(asmjit::CpuFeatures::X86::kBMI2);
  return has;
}

void write_perf_map(uint64_t addr, size_t size, const std::string& name) {
  std::string path = fmt::format("/tmp/perf-{}.map", getpid());
  FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) return;
  std::string line = fmt::format("{:x} {:x} bpf_{}\n", addr, size, name);
  std::fwrite(line.data(), 1, line.size(), f);
  std::fclose(f);
}

Diagnostic asm_error(const ErrorSink& sink) {
  return make_error(ErrorCode::kJit, fmt::format("asmjit failed: {}", sink.message_));
}

}  // namespace

// On every tail call: typeid (JitProgram is final) costs a compare, dynamic_cast a walk.
bool jit_can_tail_jump(const Executable& from, const Executable& to) {
  if (typeid(from) != typeid(JitProgram) || typeid(to) != typeid(JitProgram)) return false;
  const auto& f = static_cast<const JitProgram&>(from);
  const auto& t = static_cast<const JitProgram&>(to);
  return f.checked() == t.checked() && t.body() != nullptr;
}

uint64_t jit_tail_jumps() { return tail_jumps; }

bool jit_available() {
  return asmjit::Environment::host().arch() == asmjit::Arch::kX64;
}

Result<std::unique_ptr<Executable>> jit_compile(const std::vector<Insn>& insns,
                                                const JitOptions& options) {
  if (auto ok = check_host(options); !ok) return ok.take_error();
  // Structural checks (targets, registers, no fall-through past the end) first: the code
  // below relies on them.
  if (auto v = validate(insns); !v) return v.take_error();

  asmjit::CodeHolder code;
  ErrorSink sink;
  code.init(asmjit::Environment::host());
  code.setErrorHandler(&sink);
  x86::Assembler a(&code);
  Emitter e(insns, options, a, host_has_bmi2());
  if (auto ok = e.prepare(); !ok) return ok.take_error();
  e.emit_all(false);
  if (sink.err_ != asmjit::kErrorOk) return asm_error(sink);

  if (code.flatten() != asmjit::kErrorOk || code.resolveUnresolvedLinks() != asmjit::kErrorOk) {
    return make_error(ErrorCode::kJit, "asmjit could not lay out the code");
  }
  size_t size = code.codeSize();
  CodeMemory mem = CodeMemory::map(size);
  if (mem.base == nullptr) {
    return make_error(ErrorCode::kJit, fmt::format("mmap of {} bytes of code memory failed", size));
  }
  auto base = reinterpret_cast<uint64_t>(mem.code);
  if (code.relocateToBase(base) != asmjit::kErrorOk ||
      code.copyFlattenedData(mem.code, size, asmjit::CopySectionFlags::kPadSectionBuffer) !=
          asmjit::kErrorOk) {
    mem.unmap();
    return make_error(ErrorCode::kJit, "asmjit could not relocate the code");
  }
  if (!mem.seal()) {
    mem.unmap();
    return make_error(ErrorCode::kJit, "mprotect of code memory to read+execute failed");
  }
  auto prog = std::make_unique<JitProgram>(mem, size, options.checked);
  auto at = [&](Label l) {
    return reinterpret_cast<const void*>(base + code.labelOffsetFromBase(l));
  };
  std::vector<std::pair<uint32_t, const void*>> entries;
  entries.reserve(e.entries().size());
  for (uint32_t pc : e.entries()) entries.emplace_back(pc, at(e.label(pc)));
  // The code's address as a function pointer (clang refuses a cast from const void*).
  auto fn_at = [&](Label l) { return base + code.labelOffsetFromBase(l); };
  prog->set_entries(reinterpret_cast<TrampFn>(fn_at(e.tramp_label())),
                    reinterpret_cast<MainFn>(fn_at(e.main_tramp_label())),
                    std::move(entries),
                    JitProgram::Needs{e.uses_state(), e.uses_region(), e.has_helper_call(),
                                      e.has_tail_call()});
  if (options.perf_map) write_perf_map(base, size, options.name);
  return std::unique_ptr<Executable>(std::move(prog));
}

std::span<const uint8_t> jit_code(const Executable& exe) {
  const auto* p = dynamic_cast<const JitProgram*>(&exe);
  if (p == nullptr) return {};
  return {static_cast<const uint8_t*>(p->code()), p->code_size()};
}

GuardedSpan jit_code_mapping(const Executable& exe) {
  const auto* p = dynamic_cast<const JitProgram*>(&exe);
  if (p == nullptr) return GuardedSpan{0, 0, 0};
  const CodeMemory& m = p->memory();
  auto lo = reinterpret_cast<uintptr_t>(m.base);
  return GuardedSpan{lo, lo + m.total, m.guard};
}

Result<std::string> jit_dump(const std::vector<Insn>& insns, const JitOptions& options) {
  if (auto v = validate(insns); !v) return v.take_error();
  asmjit::CodeHolder code;
  ErrorSink sink;
  asmjit::StringLogger logger;
  logger.addFlags(asmjit::FormatFlags::kHexImms | asmjit::FormatFlags::kHexOffsets);
  code.init(asmjit::Environment::host());
  code.setErrorHandler(&sink);
  code.setLogger(&logger);
  x86::Assembler a(&code);
  Emitter e(insns, options, a, host_has_bmi2());
  if (auto ok = e.prepare(); !ok) return ok.take_error();
  e.emit_all(true);
  if (sink.err_ != asmjit::kErrorOk) return asm_error(sink);
  return std::string(logger.data(), logger.dataSize());
}

}  // namespace bpfjit
