// The abstract machine that both engines (runtime/interp, jit/) implement: how a run is
// set up, which memory a program may touch, how helpers are called and how a run stops
// with a fault. Everything here is plain data so that JIT code can read it at fixed offsets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "bpfjit/program_type.h"
#include "runtime/isa/isa.h"

namespace bpfjit {

// A span of host memory a program may access: [start, end).
struct MemRegion {
  uint64_t start = 0;
  uint64_t end = 0;
  bool writable = false;
};

// Why a run stopped before its exit instruction.
enum class TrapKind : uint8_t {
  kNone,
  kMemory,         // a load, store or atomic outside every region it may touch
  kBudget,         // the instruction budget ran out
  kCallDepth,      // too many nested bpf-to-bpf calls
  kBadHelper,      // a call or callx to a helper id that is not in the table
  kUnsupported,    // an instruction this engine cannot run (e.g. an unresolved lddw)
  kHelperFault,    // a helper reported a fault through RunContext::fault()
  kNoStack,        // the run's stack could not be mapped (runtime/isa/run_stack.h)
};

const char* trap_kind_name(TrapKind kind);

struct Trap {
  TrapKind kind = TrapKind::kNone;
  uint32_t insn = 0;    // slot index of the faulting instruction
  uint64_t addr = 0;    // kMemory: the first byte accessed; kBadHelper: the id
  uint32_t size = 0;    // kMemory: bytes accessed
  bool write = false;   // kMemory: a store or atomic

  // "store of 4 bytes at 0x7ffd1000 is outside every allowed region"
  std::string what() const;
  // "insn 12: " + what()
  std::string to_string() const;
};

// HelperFn, the shape of every helper, is public: bpfjit/program_type.h.

// The kernel's id of bpf_tail_call: after this helper the engine checks for a pending
// tail call and, when there is one, either continues in the target itself (the JIT, when
// RunContext::tail_resolve accepts it) or ends the run so that the runtime starts the target.
inline constexpr uint32_t kHelperTailCall = 12;
// The kernel's id of bpf_map_lookup_elem (which the JIT may do in place, jit.h).
inline constexpr uint32_t kHelperMapLookupElem = 1;
// The kernel's limit of tail calls in one run.
inline constexpr uint32_t kMaxTailCalls = 33;

// Total stack of one run: one frame per possible call depth.
inline constexpr uint32_t kStackSize = kStackFrameSize * kMaxCallDepth;

// Engines call back into a program's subprogram (for bpf_loop and for_each_map_elem
// callbacks) through this. `pc` is the callback's slot index.
using InvokeFn = uint64_t (*)(RunContext* ctx, uint32_t pc, uint64_t r1, uint64_t r2,
                              uint64_t r3, uint64_t r4, uint64_t r5);

// The state of one run. The caller fills the inputs; the engine fills the outputs. One
// context serves one run at a time; a program can run on many contexts concurrently.
class Executable;

struct alignas(64) RunContext {
  // Inputs.
  uint8_t* stack = nullptr;              // kStackSize bytes; r10 starts at stack + kStackSize
  const MemRegion* regions = nullptr;    // memory other than the stack the program may touch
  uint32_t region_count = 0;
  // The run's per-CPU slot (helpers/maps.h cpu_slot(): the thread's own, or RunOptions::cpu),
  // read by the JIT's in-place per-CPU array lookups (jit.h JitArrayLookup).
  uint32_t cpu = 0;
  uint64_t budget = UINT64_MAX;          // instructions (interpreter) or back-edges and calls
                                         // (JIT) left; UINT64_MAX means no limit
  std::span<const HelperFn> helpers;     // indexed by helper id; null entries are absent
  void* host = nullptr;                  // the runtime's data for helpers (maps, program)

  // Outputs.
  Trap trap;                             // kind == kNone when the run reached exit
  const void* tail_call_target = nullptr;// set by the tail-call helper, read by the runtime

  // Set by the engine during a run, for helpers that call back into the program.
  InvokeFn invoke = nullptr;
  void* engine = nullptr;                // the engine's own state for `invoke`
  uint32_t depth = 0;                    // current call depth (0 = main program)

  // The host's pointer for its helpers (RunOptions::user_data; helper_user_data()).
  void* user = nullptr;

  // Set by the runtime (null: every tail call ends the run). An engine that can continue
  // a pending tail call in place (the JIT jumps into the target's code) calls this from the
  // running Executable `from`. When the target may run that way, it makes the target the
  // run's program (its helper table in `helpers`, its per-program state in `host`), clears
  // tail_call_target and returns the target's Executable; otherwise it changes nothing and
  // returns null, and the engine ends the run as without it.
  const Executable* (*tail_resolve)(RunContext* ctx, const Executable* from) = nullptr;
  void* tail_state = nullptr;  // the runtime's data for tail_resolve

  // For helpers: stop the run with kHelperFault after the helper returns.
  void fault() { trap.kind = TrapKind::kHelperFault; }

  // True when [addr, addr + size) lies inside the stack or one region, writable if `write`.
  bool accessible(uint64_t addr, uint32_t size, bool write) const {
    uint64_t lo = reinterpret_cast<uint64_t>(stack);
    if (stack != nullptr && size <= kStackSize && addr >= lo && addr - lo <= kStackSize - size) {
      return true;
    }
    for (uint32_t i = 0; i < region_count; ++i) {
      const MemRegion& r = regions[i];
      if (addr >= r.start && addr <= r.end && size <= r.end - addr && (r.writable || !write)) {
        return true;
      }
    }
    return false;
  }
};

// A program made ready to run by one engine. run() returns r0; when the run stopped early,
// ctx.trap says why and the return value is meaningless.
class Executable {
 public:
  virtual ~Executable() = default;
  virtual uint64_t run(RunContext& ctx, uint64_t r1, uint64_t r2) const = 0;
  // "interpreter", "jit (checked)", "jit (trusted)".
  virtual const char* engine_name() const = 0;
};

}  // namespace bpfjit
