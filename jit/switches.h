// Compare trees on one register, lowered to jump tables.
//
// clang's BPF target has no indirect jump, so it compiles a dense `switch` to a binary
// decision tree: conditional jumps with immediates on one register, each falling through
// to the next compare or jumping to another (`if w6 s> 3 goto A; if w6 s> 1 goto B;
// if w6 == 0 goto C; ...`). A tree of n compares costs up to n taken or mispredicted
// branches per dispatch, where native code makes one indirect jump.
//
// A tree here is the set of conditional jumps `jcc rR, imm` reachable from a root through
// taken and fall-through edges, each one such a compare on the same register. Every
// other instruction an edge reaches is a leaf. Since a compare changes nothing but the
// program counter, the leaf where the tree leaves a value v depends on v alone, and is
// found by running the compares on v with the semantics of runtime/isa/semantics.h.
//
// For the values lo .. lo + count - 1 of the immediates' span that table records that
// leaf. The JIT, at the root: when r[R] - lo (32 bits wide when every compare is a jmp32,
// otherwise 64) is below count, one indirect jump to the value's leaf; otherwise the tree
// runs as written, from the root. When back-edges are counted (checked mode with a
// budget, where the JIT charges a backward jump each time it runs, taken or not), a value
// whose path runs a backward compare keeps the tree (entry == root), so the budget counts
// exactly as before.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/isa/isa.h"

namespace bpfjit {

struct SwitchTable {
  uint32_t root = 0;     // the slot of the first compare
  uint8_t reg = 0;       // the register every compare reads
  bool wide = false;     // some compare is 64 bits wide: the range check is too
  int32_t lo = 0;        // the first value of the table
  // Per value lo + i: the slot where the tree leaves it, or `root` to run the tree.
  std::vector<uint32_t> entries;
};

struct SwitchOptions {
  // A value whose path through the tree runs a backward jump runs the tree.
  bool keep_back_edges = false;
  uint32_t min_compares = 3;   // smaller trees stay as they are
  uint32_t max_compares = 64;
  uint32_t max_entries = 256;
  uint32_t min_leaves = 3;     // distinct leaves the table reaches
};

// The trees of a decoded, validated program worth a table, by root slot. A compare that
// belongs to an earlier table's tree is not the root of another.
std::vector<SwitchTable> find_switch_tables(const std::vector<Insn>& insns,
                                            const SwitchOptions& options);

}  // namespace bpfjit
