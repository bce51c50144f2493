// fuzz_jit: the JIT against the interpreter on programs from fuzzer bytes.
// Input: flags (byte 0: bit 0 checked mode, bit 1 constant blinding), the length of the
// input memory (byte 1), that many bytes of memory, then the program (a mem program:
// r1 = the memory, r2 = its length; helper 5 returns its r1, as in the conformance suite).
//   verified (bit 0 clear): the program runs only when the verifier accepts it, then on the
//     interpreter and on the trusted JIT (with the verifier's per-slot facts). A trap other
//     than the budget in an accepted program is a verifier or engine bug: abort.
//   checked: no verifier; the interpreter and the checked JIT must trap alike.
// Either way r0, the trap, the memory and the stack after the run must be equal. The run
// is bounded: the interpreter gets kBudget instructions (a run that exhausts them says
// nothing); the JIT, which counts only back-edges and calls, then cannot run out.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "helpers/program_types.h"
#include "runtime/cli/test_helpers.h"
#include "runtime/engine.h"
#include "runtime/isa/decode.h"
#include "runtime/isa/disasm.h"
#include "test/fuzz/common.h"

namespace {

using namespace bpfjit;

constexpr uint64_t kBudget = 200'000;

struct Outcome {
  uint64_t r0 = 0;
  Trap trap;
  std::vector<uint8_t> mem;
  std::vector<uint8_t> stack;
};

// The conformance helper as the verifier sees it: a scalar in, a scalar out.
const HelperProto* fuzz_helper(uint32_t id) {
  static const HelperProto kIdentity = [] {
    HelperProto p;
    p.id = kConformanceHelperId;
    p.name = "fuzz_identity";
    p.args = {ArgKind::kScalar, ArgKind::kNone, ArgKind::kNone, ArgKind::kNone, ArgKind::kNone};
    return p;
  }();
  return id == kConformanceHelperId ? &kIdentity : nullptr;
}

// One run on `exe`, with `mem` and `stack` set to their initial contents first (the same
// addresses for both engines, so that pointers in r0 or in memory compare equal).
Outcome run(const Executable& exe, std::span<const uint8_t> init, std::vector<uint8_t>& mem,
            uint8_t* stack) {
  std::copy(init.begin(), init.end(), mem.begin());
  std::memset(stack, 0, kStackSize);
  MemRegion region{reinterpret_cast<uint64_t>(mem.data()),
                   reinterpret_cast<uint64_t>(mem.data()) + mem.size(), true};
  RunContext ctx;
  ctx.stack = stack;
  ctx.regions = mem.empty() ? nullptr : &region;
  ctx.region_count = mem.empty() ? 0 : 1;
  ctx.budget = kBudget;
  ctx.helpers = conformance_helpers();
  Outcome o;
  o.r0 = exe.run(ctx, mem.empty() ? 0 : region.start, mem.size());
  o.trap = ctx.trap;
  o.mem = mem;
  o.stack.assign(stack, stack + kStackSize);
  return o;
}

std::string trap_text(const Trap& t) {
  return t.kind == TrapKind::kNone ? "none" : t.to_string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Reader in({data, size});
  uint8_t flags = in.u8();
  bool checked = (flags & 1) != 0;
  std::span<const uint8_t> init = in.take(in.u8());
  DecodeOptions dopts;
  dopts.allow_pseudo_lddw = false;
  dopts.allow_packet_loads = false;
  auto insns = decode_bytes(fuzz::whole_slots(in.rest()), dopts);
  if (!insns.ok()) return 0;

  EngineOptions eopts;
  eopts.helpers = conformance_helpers();
  eopts.harden = (flags & 2) != 0;
  if (!checked) {
    verifier::VerifyInput vin{*insns, {}, {}, mem_program_type(), fuzz_helper, init.size()};
    verifier::VerifyOptions vopts;
    vopts.complexity_limit = 50'000;
    verifier::VerifyResult vr = verifier::verify(vin, vopts);
    if (!vr.accepted) return 0;
    eopts.trusted = true;
    eopts.insn_flags = std::move(vr.insn_flags);
  }
  eopts.kind = EngineKind::kInterpreter;
  auto interp = prepare_engine(*insns, eopts);
  eopts.kind = EngineKind::kJit;
  auto jit = prepare_engine(*insns, eopts);
  if (!interp.ok()) {
    if (!checked) fuzz::fail("the interpreter refused an accepted program: " + interp.error().to_string());
    return 0;
  }
  if (!jit.ok()) {
    if (!checked) fuzz::fail("the JIT refused an accepted program: " + jit.error().to_string());
    return 0;
  }

  std::vector<uint8_t> mem(init.size());
  auto stack = std::make_unique<uint8_t[]>(kStackSize);
  Outcome a = run(**interp, init, mem, stack.get());
  if (a.trap.kind == TrapKind::kBudget) return 0;
  std::string program = disassemble_program(*insns, {.labels = false, .slot_numbers = true});
  if (!checked && a.trap.kind != TrapKind::kNone) {
    fuzz::fail("an accepted program trapped on the interpreter: " + trap_text(a.trap) + "\n" + program);
  }
  Outcome b = run(**jit, init, mem, stack.get());
  if (a.trap.kind != b.trap.kind || a.trap.insn != b.trap.insn || a.trap.addr != b.trap.addr) {
    fuzz::fail(fmt::format("trap: interpreter '{}', jit '{}'\n{}", trap_text(a.trap),
                           trap_text(b.trap), program));
  }
  if (a.trap.kind == TrapKind::kNone && a.r0 != b.r0) {
    fuzz::fail(fmt::format("r0: interpreter {:#x}, jit {:#x}\n{}", a.r0, b.r0, program));
  }
  if (a.mem != b.mem) fuzz::fail("the memory differs after the run\n" + program);
  if (a.stack != b.stack) fuzz::fail("the stack differs after the run\n" + program);
  return 0;
}
