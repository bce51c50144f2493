// The control-flow facts the verifier needs before it explores paths: subprograms (the
// main program, bpf-to-bpf call targets and callbacks named by lddw code), static
// reachability, the call graph (recursion), loop heads and prune points, and register
// liveness (registers no path reads again are ignored when states are compared).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "runtime/isa/isa.h"
#include "runtime/isa/result.h"

namespace bpfjit::verifier {

struct Subprog {
  uint32_t start = 0;
  uint32_t end = 0;  // one past the last slot
};

struct CallEdge {
  uint32_t insn = 0;     // the call (or the lddw code naming a callback)
  uint32_t callee = 0;   // subprogram index
};

struct Cfg {
  std::vector<Subprog> subprogs;               // sorted by start; [0] is the main program
  std::vector<uint32_t> subprog_of;            // per slot
  std::vector<std::vector<CallEdge>> callees;  // per subprogram
  std::vector<uint8_t> prune_point;            // per slot: states are stored here
  std::vector<uint8_t> loop_head;              // per slot: the target of a back edge
  std::vector<std::vector<uint32_t>> back_edges;  // per loop head: the back edges' sources
  std::vector<std::vector<uint32_t>> preds;       // per slot: predecessors in its function
  std::vector<uint16_t> live_in;               // per slot: registers read before written
  // Per slot: registers whose scalar value may still decide something (a branch, a memory
  // offset, a helper argument, a divisor) on some path from here. A scalar outside this set
  // only has to be a scalar when states are compared (the kernel's "precision" idea, found
  // here by a static backward pass instead of backtracking). Across bpf-to-bpf calls an
  // argument is precise when the callee's entry needs it, a subprogram's r0 when one of
  // its return sites needs it (always for callbacks), and the main program's r0 when the
  // program type limits the return value.
  std::vector<uint16_t> precise_in;

  uint32_t subprog_index(uint32_t start) const;
};

// Builds the CFG. `func_refs` are the lddw instructions naming a subprogram (callbacks) and
// their targets, {lddw slot, target slot};
// `helper_reads(id)` is how many argument registers helper `id` reads (5 when unknown).
// Appends a diagnostic for each unreachable instruction run, each jump leaving its
// subprogram, each subprogram that falls into the next, and each call cycle.
// `helper_returns_ptr(id)` says whether helper `id` returns a pointer.
// `exit_value_checked`: the program type limits the main program's r0 at exit (a return
// range), so that value decides the verdict and is precise.
Cfg build_cfg(const std::vector<Insn>& insns,
              const std::vector<std::pair<uint32_t, uint32_t>>& func_refs,
              const std::function<int(uint32_t)>& helper_reads,
              const std::function<bool(uint32_t)>& helper_returns_ptr,
              bool exit_value_checked, std::vector<Diagnostic>& errors);

// The successors of `pc` inside its function (a local call continues after itself).
void successors(const std::vector<Insn>& insns, uint32_t pc, std::vector<uint32_t>& out);

// The rejection of the instruction at `pc`: "<insn text>: <reason>".
Diagnostic verify_error(const std::vector<Insn>& insns, uint32_t pc, const std::string& reason);

// The instruction in assembler text.
std::string insn_text(const std::vector<Insn>& insns, uint32_t pc);

}  // namespace bpfjit::verifier
