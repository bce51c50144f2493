// Compare trees to jump tables (see switches.h).
#include "jit/switches.h"

#include <algorithm>
#include <limits>

#include "runtime/isa/semantics.h"

namespace bpfjit {

namespace {

bool is_compare_on(const Insn& in, uint8_t reg) {
  return form_of(in.op) == Form::kJmpImm && in.dst == reg;
}

// The tree from `root`: its compares in slot order, or empty when it is not one we table
// (too small or large, or an edge that leaves the program or lands inside an lddw).
std::vector<uint32_t> tree_of(const std::vector<Insn>& insns, uint32_t root,
                              const SwitchOptions& options) {
  const uint8_t reg = insns[root].dst;
  std::vector<uint32_t> nodes;
  // The compares found so far (at most max_compares + 1, so a linear search; a bitmap of
  // the program per candidate root would make finding the trees quadratic).
  std::vector<uint32_t> found{root};
  for (size_t i = 0; i < found.size(); ++i) {
    const uint32_t pc = found[i];
    nodes.push_back(pc);
    if (nodes.size() > options.max_compares) return {};
    for (uint64_t next : {uint64_t{pc} + 1, uint64_t{insns[pc].target()}}) {
      if (next >= insns.size() || insns[next].op == Op::kLddwHigh) return {};
      if (is_compare_on(insns[next], reg) &&
          std::find(found.begin(), found.end(), next) == found.end()) {
        found.push_back(static_cast<uint32_t>(next));
      }
    }
  }
  if (nodes.size() < options.min_compares) return {};
  std::sort(nodes.begin(), nodes.end());
  return nodes;
}

// True when straight-line code from a leaf runs into the tree again: not a switch but a
// chain of tests that each guard a step (`if (v >= 16) r |= 4; if (v >= 16) v >>= 4; ...`),
// which the JIT turns into cmovs instead, and where a table would only add an indirect jump.
bool rejoins(const std::vector<Insn>& insns, const std::vector<uint32_t>& nodes,
             const std::vector<uint32_t>& leaves) {
  for (uint32_t leaf : leaves) {
    for (size_t pc = leaf; pc < insns.size(); ++pc) {
      if (std::binary_search(nodes.begin(), nodes.end(), pc)) return true;
      Form f = form_of(insns[pc].op);
      if (is_jump(f) || f == Form::kExit || f == Form::kCall || f == Form::kCallx || f == Form::kCallLocal ||
          f == Form::kCallBtf) {
        break;
      }
    }
  }
  return false;
}

}  // namespace

std::vector<SwitchTable> find_switch_tables(const std::vector<Insn>& insns,
                                            const SwitchOptions& options) {
  std::vector<SwitchTable> out;
  std::vector<bool> in_tree(insns.size(), false);
  for (uint32_t root = 0; root < insns.size(); ++root) {
    const Insn& r = insns[root];
    if (in_tree[root] || r.op == Op::kLddwHigh || form_of(r.op) != Form::kJmpImm) continue;
    std::vector<uint32_t> nodes = tree_of(insns, root, options);
    if (nodes.empty()) continue;

    SwitchTable t;
    t.root = root;
    t.reg = r.dst;
    int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
    for (uint32_t pc : nodes) {
      lo = std::min<int64_t>(lo, insns[pc].imm);
      hi = std::max<int64_t>(hi, insns[pc].imm);
      if (op_info(insns[pc].op).width == 64) t.wide = true;
    }
    const uint64_t count = static_cast<uint64_t>(hi - lo) + 1;
    // The JIT subtracts lo with a 32-bit displacement, so -lo must fit one.
    if (lo == std::numeric_limits<int32_t>::min() || count > options.max_entries ||
        count > 8 * (nodes.size() + 1)) {
      continue;
    }
    t.lo = static_cast<int32_t>(lo);

    std::vector<uint32_t> leaves;
    t.entries.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      // The register's value: lo + i, sign-extended (the 32-bit compares read its low half).
      const auto v = static_cast<uint64_t>(lo + static_cast<int64_t>(i));
      uint32_t pc = root;
      bool back_edge = false;
      // A tree visits each compare at most once on a path unless it loops; a loop of
      // compares alone would never end, so such a value keeps the tree.
      size_t steps = 0;
      while (std::binary_search(nodes.begin(), nodes.end(), pc) && steps++ <= nodes.size()) {
        const Insn& in = insns[pc];
        const auto imm = static_cast<uint64_t>(static_cast<int64_t>(in.imm));
        const JmpCond cond = jmp_cond(in.op);
        const bool taken = op_info(in.op).width == 64 ? sem::jmp64(cond, v, imm)
                                                      : sem::jmp32(cond, v, imm);
        // The JIT counts a backward jump each time it runs, taken or not.
        if (in.target() <= pc) back_edge = true;
        pc = taken ? in.target() : pc + 1;
      }
      uint32_t entry = pc;
      if (std::binary_search(nodes.begin(), nodes.end(), pc) ||
          (back_edge && options.keep_back_edges)) {
        entry = root;
      } else if (std::find(leaves.begin(), leaves.end(), pc) == leaves.end()) {
        leaves.push_back(pc);
      }
      t.entries.push_back(entry);
    }
    if (leaves.size() < options.min_leaves || rejoins(insns, nodes, leaves)) continue;
    for (uint32_t pc : nodes) in_tree[pc] = true;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace bpfjit
