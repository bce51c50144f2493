// Loop versioning for checked mode: which loops can check their region-0 accesses once,
// before the loop, instead of once per access.
//
// A loop qualifies when it is a straight line [head, tail] that is entered only at head
// (no jump target inside), whose jumps before tail all leave it, that makes no calls and
// no atomic accesses, and whose tail is `jlt rI, rN|imm, head` (64 bits) with rI counting
// up by one per iteration and rN not changing. Then every register is, at each point of
// iteration j, either unknown or sum(entry value of up to two registers) + k, and a
// register whose value at the end of the body is its own entry value + c advances by c
// per iteration (c = 0: it does not change). An access whose address is such a sum of
// registers that advance by fixed steps touches exactly addr0 + step * j in iteration j,
// and the iterations that run are j = 0 .. jmax with jmax = max(0, N - (I0 + kI)), both
// known at the loop's entry.
//
// The same model serves a straight range of code that is run once (jmax = 0): accesses off
// the same registers share one check covering all of them.
//
// The JIT emits such code twice: at the head, a check that every hoisted access stays in
// region 0 (writable for stores) for all j <= jmax; when it holds, a copy without those
// checks runs; otherwise the ordinary checked copy runs, so a faulting program faults at
// the same instruction with the same memory as without versioning.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/isa/isa.h"

namespace bpfjit {

// One entry check: for j = 0 .. jmax, [r[base] + r[index] + disp + step * j, + size)
// lies in region 0 (writable when `write`), with r[] the registers' values at the entry.
// size is 1, 2, 4 or 8.
struct HoistedAccess {
  uint32_t pc = 0;  // the (first) access it covers
  uint8_t base = 0;
  uint8_t index = kNumRegs;  // kNumRegs: none
  int32_t disp = 0;
  int32_t step = 0;
  uint8_t size = 0;
  bool write = false;
};

// A loop, or a straight range run once (jmax = 0): see the top of this file.
struct VersionedLoop {
  uint32_t head = 0;
  uint32_t tail = 0;  // the backward jlt of a loop; the last covered access of a range
  bool loop = true;
  // The code has a backward jump (a budget point): the unchecked copy runs only when the
  // run has no budget.
  bool back_edge = true;
  // Loops: the value the tail compares in iteration j: r[counter] + counter_add + j.
  uint8_t counter = 0;
  int32_t counter_add = 0;
  // Loops: the bound: r[bound_reg] + bound_add, or bound_add alone when bound_reg is kNumRegs.
  uint8_t bound_reg = kNumRegs;
  int64_t bound_add = 0;
  std::vector<HoistedAccess> accesses;  // the entry checks
  std::vector<uint32_t> covered;        // the accesses whose own checks they replace
};

// The loops of `insns` that qualify and have at least one access to hoist, then the
// straight ranges (no jump target inside, no backward jump into themselves, no calls or
// atomics) where two or more accesses off the same registers can share one check; ordered
// by head, not overlapping. `is_target` says which slots are jump targets or entries.
std::vector<VersionedLoop> find_versioned_loops(const std::vector<Insn>& insns,
                                                const std::vector<bool>& is_target);

}  // namespace bpfjit
