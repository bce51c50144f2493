// Control-flow analysis before path exploration. See cfg.h.
#include "verifier/cfg.h"

#include <fmt/format.h>

#include <algorithm>

#include "runtime/isa/decode.h"
#include "runtime/isa/disasm.h"

namespace bpfjit::verifier {

namespace {

constexpr uint16_t kAllArgs = 0x3e;       // r1..r5
constexpr uint16_t kCallerSaved = 0x3f;   // r0..r5

uint16_t bit(uint8_t r) { return static_cast<uint16_t>(1u << r); }

// Registers read and written by one instruction.
void uses_defs(const Insn& in, const std::function<int(uint32_t)>& helper_reads,
               uint16_t& use, uint16_t& def) {
  use = def = 0;
  switch (form_of(in.op)) {
    case Form::kAluImm:
      if (alu_op(in.op) != AluOp::kMov) use |= bit(in.dst);
      def |= bit(in.dst);
      return;
    case Form::kAluReg:
      use |= bit(in.src);
      if (alu_op(in.op) != AluOp::kMov) use |= bit(in.dst);
      def |= bit(in.dst);
      return;
    case Form::kNeg:
    case Form::kEndian:
      use |= bit(in.dst);
      def |= bit(in.dst);
      return;
    case Form::kMovSx:
      use |= bit(in.src);
      def |= bit(in.dst);
      return;
    case Form::kLddw:
      if (in.op != Op::kLddwHigh) def |= bit(in.dst);
      return;
    case Form::kLdx:
    case Form::kLdxSx:
      use |= bit(in.src);
      def |= bit(in.dst);
      return;
    case Form::kSt:
      use |= bit(in.dst);
      return;
    case Form::kStx:
      use |= bit(in.dst) | bit(in.src);
      return;
    case Form::kAtomic:
      use |= bit(in.dst) | bit(in.src);
      if (atomic_op(in.op) == AtomicOp::kCmpXchg) {
        use |= bit(0);
        def |= bit(0);
      } else if (writes_register(in, in.src)) {
        def |= bit(in.src);
      }
      return;
    case Form::kLdAbs:
      use |= bit(6);
      def |= kCallerSaved;
      return;
    case Form::kLdInd:
      use |= bit(6) | bit(in.src);
      def |= kCallerSaved;
      return;
    case Form::kJa:
    case Form::kJa32:
      return;
    case Form::kJmpImm:
      use |= bit(in.dst);
      return;
    case Form::kJmpReg:
      use |= bit(in.dst) | bit(in.src);
      return;
    case Form::kCall: {
      int n = helper_reads ? helper_reads(static_cast<uint32_t>(in.imm)) : 5;
      for (int i = 1; i <= n && i <= 5; ++i) use |= bit(static_cast<uint8_t>(i));
      def |= kCallerSaved;
      return;
    }
    case Form::kCallLocal:
    case Form::kCallBtf:
      use |= kAllArgs;
      def |= kCallerSaved;
      return;
    case Form::kCallx:
      use |= kAllArgs | bit(in.dst);
      def |= kCallerSaved;
      return;
    case Form::kExit:
      use |= bit(0);
      return;
  }
}

bool is_cond_jump(Form f) { return f == Form::kJmpImm || f == Form::kJmpReg; }

}  // namespace

void successors(const std::vector<Insn>& insns, uint32_t pc, std::vector<uint32_t>& out) {
  out.clear();
  const Insn& in = insns[pc];
  Form f = form_of(in.op);
  auto next = [&](uint32_t p) {
    uint32_t n = p + 1;
    if (n < insns.size() && insns[n].op == Op::kLddwHigh) ++n;
    return n;
  };
  switch (f) {
    case Form::kExit:
      return;
    case Form::kJa:
    case Form::kJa32:
      out.push_back(in.target());
      return;
    case Form::kJmpImm:
    case Form::kJmpReg:
      out.push_back(next(pc));
      out.push_back(in.target());
      return;
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
    case Form::kCallLocal:
    case Form::kCallBtf:
    case Form::kCallx:
      break;
  }
  if (in.op == Op::kLddwHigh) return;
  uint32_t n = next(pc);
  if (n < insns.size()) out.push_back(n);
}

namespace {

// Which registers may hold a pointer before each instruction (forward, may-analysis), then
// which scalar values matter (backward; see Cfg::precise_in).
void compute_precision(const std::vector<Insn>& insns,
                       const std::vector<std::vector<uint32_t>>& succ_of,
                       const std::vector<uint32_t>& func_target,
                       const std::function<int(uint32_t)>& helper_reads,
                       const std::function<bool(uint32_t)>& helper_returns_ptr,
                       bool exit_value_checked, Cfg& cfg) {
  const auto n = static_cast<uint32_t>(insns.size());
  constexpr uint16_t kAll = 0x7ff;
  // The subprogram a `call local` enters (UINT32_MAX for any other instruction, and for a
  // call whose target starts no subprogram).
  auto callee_of = [&](const Insn& in) -> uint32_t {
    if (in.op != Op::kCallLocal || in.target() >= n) return UINT32_MAX;
    uint32_t s = cfg.subprog_index(in.target());
    return s < cfg.subprogs.size() && cfg.subprogs[s].start == in.target() ? s : UINT32_MAX;
  };
  // Forward: may-be-pointer masks. The main program starts with r1 (its context) and
  // r10; a subprogram with what its callers pass in r1-r5, and r10; a callback (named by
  // an lddw, called by a helper) or a subprogram no call reaches with all registers.
  std::vector<uint16_t> ptr_in(n, 0);
  std::vector<uint8_t> seen(n, 0);
  std::vector<uint32_t> work;
  std::vector<uint8_t> called(n, 0);
  for (uint32_t pc = 0; pc < n; ++pc) {
    if (insns[pc].op == Op::kCallLocal && insns[pc].target() < n) called[insns[pc].target()] = 1;
  }
  for (uint32_t pc = 0; pc < n; ++pc) {
    if (func_target[pc] < n) called[func_target[pc]] = 0;
  }
  for (const Subprog& sp : cfg.subprogs) {
    if (sp.start == 0) {
      ptr_in[0] = static_cast<uint16_t>(bit(1) | bit(kFramePointer));
    } else if (called[sp.start]) {
      continue;  // from its call sites
    } else {
      ptr_in[sp.start] = kAll;
    }
    seen[sp.start] = 1;
    work.push_back(sp.start);
  }
  auto flow = [&](uint32_t t, uint16_t m) {
    uint16_t merged = static_cast<uint16_t>(ptr_in[t] | m);
    if (!seen[t] || merged != ptr_in[t]) {
      seen[t] = 1;
      ptr_in[t] = merged;
      work.push_back(t);
    }
  };
  // Per subprogram: whether an exit of it may return a pointer in r0 (found as the pass
  // goes; a call's return site is visited again when it grows).
  std::vector<uint8_t> ret_ptr(cfg.subprogs.size(), 0);
  while (!work.empty()) {
    uint32_t pc = work.back();
    work.pop_back();
    const Insn& in = insns[pc];
    uint16_t m = ptr_in[pc];
    const uint32_t callee = callee_of(in);
    if (callee != UINT32_MAX && called[in.target()]) {
      flow(in.target(), static_cast<uint16_t>((m & kAllArgs) | bit(kFramePointer)));
    }
    if (in.op == Op::kExit && (m & bit(0))) {
      uint32_t s = cfg.subprog_of[pc];
      if (s < ret_ptr.size() && !ret_ptr[s]) {
        ret_ptr[s] = 1;
        for (uint32_t k = 0; k < n; ++k) {
          if (callee_of(insns[k]) == s && seen[k]) work.push_back(k);
        }
      }
    }
    auto set = [&](uint8_t r, bool ptr) {
      m = static_cast<uint16_t>(ptr ? (m | bit(r)) : (m & ~bit(r)));
    };
    switch (form_of(in.op)) {
      case Form::kAluImm:
      case Form::kAluReg: {
        AluOp op = alu_op(in.op);
        bool src_ptr = form_of(in.op) == Form::kAluReg && (m & bit(in.src));
        bool dst_ptr = (m & bit(in.dst)) != 0;
        if (op_info(in.op).width == 32) set(in.dst, false);
        else if (op == AluOp::kMov) set(in.dst, src_ptr);
        else if (op == AluOp::kAdd || op == AluOp::kSub) set(in.dst, dst_ptr || src_ptr);
        else set(in.dst, false);
        break;
      }
      case Form::kNeg:
      case Form::kEndian:
      case Form::kMovSx:
      case Form::kLdxSx:
        set(in.dst, false);
        break;
      case Form::kLddw:
        if (in.op != Op::kLddwHigh) set(in.dst, true);  // may name a map or code
        break;
      case Form::kLdx:
        // A filled spill may be a pointer, and so may a context field of any width (the
        // packet pointers of __sk_buff and xdp_md are 32-bit fields).
        set(in.dst, true);
        break;
      case Form::kAtomic:
        // A fetched old value is whatever the memory held.
        if (atomic_op(in.op) == AtomicOp::kCmpXchg) set(0, true);
        else if (writes_register(in, in.src)) set(in.src, true);
        break;
      case Form::kLdAbs:
      case Form::kLdInd:
        m = static_cast<uint16_t>(m & ~kCallerSaved);
        break;
      case Form::kCall:
        m = static_cast<uint16_t>(m & ~kCallerSaved);
        set(0, !helper_returns_ptr || helper_returns_ptr(static_cast<uint32_t>(in.imm)));
        break;
      case Form::kCallLocal:
      case Form::kCallBtf:
      case Form::kCallx: {
        const bool r0_ptr = callee == UINT32_MAX || ret_ptr[callee];
        m = static_cast<uint16_t>((m & ~kCallerSaved) | (r0_ptr ? bit(0) : 0));
        break;
      }
      case Form::kSt:
      case Form::kStx:
      case Form::kJa:
      case Form::kJa32:
      case Form::kJmpImm:
      case Form::kJmpReg:
      case Form::kExit:
        break;
    }
    for (uint32_t t : succ_of[pc]) flow(t, m);
  }
  // Backward: precise registers. Across a bpf-to-bpf call: an argument is precise when
  // the callee's entry needs it, and a subprogram's r0 at its exit when a return site of
  // any of its callers needs it (one answer for all callers). A subprogram that is also
  // a callback (named by an lddw) always returns a precise r0: the helper checks it.
  cfg.precise_in.assign(n, 0);
  std::vector<uint8_t> ret_needed(cfg.subprogs.size(), 0);
  for (uint32_t pc = 0; pc < n; ++pc) {
    if (func_target[pc] == UINT32_MAX) continue;
    uint32_t s = cfg.subprog_index(func_target[pc]);
    if (s < ret_needed.size()) ret_needed[s] = 1;
  }
  bool changed = true;
  while (changed) {
    changed = false;
    for (uint32_t k = n; k-- > 0;) {
      const Insn& in = insns[k];
      if (in.op == Op::kLddwHigh) continue;
      uint16_t out = 0;
      for (uint32_t t : succ_of[k]) out |= cfg.precise_in[t];
      uint16_t need = out;
      uint16_t sinks = 0;
      const uint16_t ptr = ptr_in[k];
      auto kill = [&](uint8_t r) { need = static_cast<uint16_t>(need & ~bit(r)); };
      switch (form_of(in.op)) {
        case Form::kAluImm:
        case Form::kAluReg: {
          AluOp op = alu_op(in.op);
          bool reg = form_of(in.op) == Form::kAluReg;
          bool dst_needed = (out & bit(in.dst)) != 0;
          kill(in.dst);
          if (dst_needed) {
            if (op != AluOp::kMov) need |= bit(in.dst);
            if (reg) need |= bit(in.src);
          }
          if (reg && (op == AluOp::kAdd || op == AluOp::kSub)) {
            // An offset added to a pointer decides where it points.
            if (ptr & bit(in.dst)) sinks |= bit(in.src);
            if (ptr & bit(in.src)) sinks |= bit(in.dst);
          }
          if (reg && (op == AluOp::kDiv || op == AluOp::kMod || op == AluOp::kSDiv ||
                      op == AluOp::kSMod)) {
            sinks |= bit(in.src);  // the divisor decides the JIT's facts
          }
          break;
        }
        case Form::kNeg:
        case Form::kEndian:
          break;  // dst needed after -> dst needed before: unchanged
        case Form::kMovSx:
          if (out & bit(in.dst)) {
            kill(in.dst);
            need |= bit(in.src);
          }
          break;
        case Form::kLddw:
        case Form::kLdx:
        case Form::kLdxSx:
          if (in.op != Op::kLddwHigh) kill(in.dst);
          break;
        case Form::kAtomic:
          if (atomic_op(in.op) == AtomicOp::kCmpXchg) kill(0);
          else if (writes_register(in, in.src)) kill(in.src);
          sinks |= bit(in.src);  // stored to memory, as kStx
          if (atomic_op(in.op) == AtomicOp::kCmpXchg) sinks |= bit(0);
          break;
        case Form::kLdAbs:
          need = static_cast<uint16_t>(need & ~kCallerSaved);
          break;
        case Form::kLdInd:
          need = static_cast<uint16_t>(need & ~kCallerSaved);
          sinks |= bit(in.src);
          break;
        case Form::kCall: {
          need = static_cast<uint16_t>(need & ~kCallerSaved);
          int args = helper_reads ? helper_reads(static_cast<uint32_t>(in.imm)) : 5;
          for (int i = 1; i <= args && i <= 5; ++i) sinks |= bit(static_cast<uint8_t>(i));
          break;
        }
        case Form::kCallLocal:
        case Form::kCallBtf:
        case Form::kCallx: {
          need = static_cast<uint16_t>(need & ~kCallerSaved);
          const uint32_t s = callee_of(in);
          if (s != UINT32_MAX) {
            sinks |= static_cast<uint16_t>(cfg.precise_in[in.target()] & kAllArgs);
            if ((out & bit(0)) && !ret_needed[s]) {
              ret_needed[s] = 1;
              changed = true;
            }
          } else {
            sinks |= kAllArgs;
            if (form_of(in.op) == Form::kCallx) sinks |= bit(in.dst);
          }
          break;
        }
        case Form::kJmpImm:
          sinks |= bit(in.dst);
          break;
        case Form::kJmpReg:
          sinks |= bit(in.dst) | bit(in.src);
          break;
        case Form::kExit:
          // The main program's r0 only has to be a scalar, unless the program type
          // limits it; a subprogram's goes on to its callers.
          if (cfg.subprog_of[k] == 0 ? exit_value_checked
                                     : cfg.subprog_of[k] >= ret_needed.size() ||
                                           ret_needed[cfg.subprog_of[k]]) {
            sinks |= bit(0);
          }
          break;
        case Form::kStx:
          // A value stored to memory (a spill) may be loaded back and decide something
          // later; the stack is not followed here, so a stored register is precise.
          sinks |= bit(in.src);
          break;
        case Form::kSt:
        case Form::kJa:
        case Form::kJa32:
          break;
      }
      auto in_mask = static_cast<uint16_t>(need | sinks);
      if (in_mask != cfg.precise_in[k]) {
        cfg.precise_in[k] = in_mask;
        changed = true;
      }
    }
  }
}

}  // namespace

std::string insn_text(const std::vector<Insn>& insns, uint32_t pc) {
  if (pc >= insns.size()) return "?";
  return disassemble(insns[pc], pc);
}

Diagnostic verify_error(const std::vector<Insn>& insns, uint32_t pc, const std::string& reason) {
  return make_error(ErrorCode::kVerify, pc, insn_text(insns, pc) + ": " + reason);
}

uint32_t Cfg::subprog_index(uint32_t start) const {
  auto it = std::lower_bound(subprogs.begin(), subprogs.end(), start,
                             [](const Subprog& s, uint32_t v) { return s.start < v; });
  return static_cast<uint32_t>(it - subprogs.begin());
}

Cfg build_cfg(const std::vector<Insn>& insns,
              const std::vector<std::pair<uint32_t, uint32_t>>& func_refs,
              const std::function<int(uint32_t)>& helper_reads,
              const std::function<bool(uint32_t)>& helper_returns_ptr,
              bool exit_value_checked, std::vector<Diagnostic>& errors) {
  const auto n = static_cast<uint32_t>(insns.size());
  Cfg cfg;
  // Subprogram boundaries.
  std::vector<uint32_t> starts{0};
  for (uint32_t pc = 0; pc < n; ++pc) {
    if (insns[pc].op == Op::kCallLocal) starts.push_back(insns[pc].target());
  }
  std::vector<uint32_t> func_target(n, UINT32_MAX);  // per lddw slot
  for (auto [slot, t] : func_refs) {
    if (t < n && slot < n) {
      starts.push_back(t);
      func_target[slot] = t;
    }
  }
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  cfg.subprog_of.assign(n, 0);
  for (size_t i = 0; i < starts.size(); ++i) {
    uint32_t end = i + 1 < starts.size() ? starts[i + 1] : n;
    cfg.subprogs.push_back({starts[i], end});
    for (uint32_t pc = starts[i]; pc < end; ++pc) cfg.subprog_of[pc] = static_cast<uint32_t>(i);
  }
  cfg.callees.resize(cfg.subprogs.size());
  cfg.prune_point.assign(n, 0);
  cfg.loop_head.assign(n, 0);
  cfg.back_edges.assign(n, {});
  cfg.preds.assign(n, {});

  // Structure of each subprogram: jumps stay inside, the last instruction does not fall
  // into the next one.
  for (size_t s = 0; s < cfg.subprogs.size(); ++s) {
    const Subprog& sp = cfg.subprogs[s];
    uint32_t last = sp.end - 1;
    if (insns[last].op == Op::kLddwHigh && last > sp.start) --last;
    Form lf = form_of(insns[last].op);
    if (lf != Form::kExit && lf != Form::kJa && lf != Form::kJa32) {
      errors.push_back(verify_error(
          insns, last,
          fmt::format("unsupported: the subprogram at {} falls through into the next one",
                      sp.start)));
    }
    for (uint32_t pc = sp.start; pc < sp.end; ++pc) {
      Form f = form_of(insns[pc].op);
      bool jump = f == Form::kJa || f == Form::kJa32 || is_cond_jump(f);
      if (jump && (insns[pc].target() < sp.start || insns[pc].target() >= sp.end)) {
        errors.push_back(verify_error(
            insns, pc,
            fmt::format("unsupported: jump to {} leaves the subprogram [{}, {})",
                        insns[pc].target(), sp.start, sp.end)));
      }
      if (insns[pc].op == Op::kCallLocal) {
        cfg.callees[s].push_back({pc, cfg.subprog_index(insns[pc].target())});
      }
      if (func_target[pc] != UINT32_MAX) {
        cfg.callees[s].push_back({pc, cfg.subprog_index(func_target[pc])});
      }
    }
  }
  if (!errors.empty()) return cfg;

  // Reachability and back edges: iterative depth-first search over the instruction graph;
  // calls and callbacks start their callee's search too.
  std::vector<uint8_t> color(n, 0);  // 0 new, 1 on the stack, 2 done
  std::vector<uint32_t> succ;
  std::vector<std::pair<uint32_t, size_t>> stack;
  std::vector<std::vector<uint32_t>> succ_of(n);
  for (uint32_t pc = 0; pc < n; ++pc) {
    successors(insns, pc, succ_of[pc]);
    for (uint32_t t : succ_of[pc]) cfg.preds[t].push_back(pc);
    if (is_cond_jump(form_of(insns[pc].op))) {
      for (uint32_t t : succ_of[pc]) cfg.prune_point[t] = 1;
    }
    Form f = form_of(insns[pc].op);
    if (f == Form::kJa || f == Form::kJa32) cfg.prune_point[insns[pc].target()] = 1;
  }
  std::vector<uint32_t> roots{0};
  std::vector<uint8_t> subprog_reached(cfg.subprogs.size(), 0);
  subprog_reached[0] = 1;
  while (!roots.empty()) {
    uint32_t root = roots.back();
    roots.pop_back();
    if (color[root]) continue;
    color[root] = 1;
    stack.push_back({root, 0});
    while (!stack.empty()) {
      auto& [pc, i] = stack.back();
      if (i == 0) {
        const Insn& in = insns[pc];
        uint32_t callee_start = UINT32_MAX;
        if (in.op == Op::kCallLocal) callee_start = in.target();
        if (func_target[pc] != UINT32_MAX) callee_start = func_target[pc];
        if (callee_start < n) {
          uint32_t s = cfg.subprog_index(callee_start);
          if (s < cfg.subprogs.size() && cfg.subprogs[s].start == callee_start &&
              !subprog_reached[s]) {
            subprog_reached[s] = 1;
            roots.push_back(callee_start);
            cfg.prune_point[callee_start] = 1;
          }
        }
        if (form_of(in.op) == Form::kCallLocal || form_of(in.op) == Form::kCall) {
          for (uint32_t t : succ_of[pc]) cfg.prune_point[t] = 1;
        }
      }
      if (i < succ_of[pc].size()) {
        uint32_t t = succ_of[pc][i++];
        if (color[t] == 1) {
          cfg.loop_head[t] = 1;
          cfg.back_edges[t].push_back(pc);
          cfg.prune_point[t] = 1;
        } else if (color[t] == 0) {
          color[t] = 1;
          stack.push_back({t, 0});
        }
        continue;
      }
      color[pc] = 2;
      stack.pop_back();
    }
  }
  for (uint32_t pc = 0; pc < n; ++pc) {
    if (color[pc] || insns[pc].op == Op::kLddwHigh) continue;
    if (pc > 0 && !color[pc - 1] && insns[pc - 1].op != Op::kLddwHigh) continue;
    if (pc > 1 && insns[pc - 1].op == Op::kLddwHigh && !color[pc - 2]) continue;
    errors.push_back(verify_error(insns, pc, "unreachable instruction"));
  }

  // Call cycles among reachable subprograms.
  std::vector<uint8_t> scolor(cfg.subprogs.size(), 0);
  std::function<void(uint32_t)> visit = [&](uint32_t s) {
    scolor[s] = 1;
    for (const CallEdge& e : cfg.callees[s]) {
      if (scolor[e.callee] == 1) {
        errors.push_back(verify_error(
            insns, e.insn,
            fmt::format("recursion: the subprogram at {} calls itself through this call",
                        cfg.subprogs[e.callee].start)));
      } else if (scolor[e.callee] == 0) {
        visit(e.callee);
      }
    }
    scolor[s] = 2;
  };
  visit(0);

  // Liveness: live_in = use | (live_out & ~def), to a fixed point, backwards.
  std::vector<uint16_t> use(n), def(n);
  for (uint32_t pc = 0; pc < n; ++pc) uses_defs(insns[pc], helper_reads, use[pc], def[pc]);
  cfg.live_in.assign(n, 0);
  bool changed = true;
  while (changed) {
    changed = false;
    for (uint32_t k = n; k-- > 0;) {
      if (insns[k].op == Op::kLddwHigh) continue;
      uint16_t out = 0;
      for (uint32_t t : succ_of[k]) out |= cfg.live_in[t];
      auto in = static_cast<uint16_t>(use[k] | (out & ~def[k]) | bit(kFramePointer));
      if (in != cfg.live_in[k]) {
        cfg.live_in[k] = in;
        changed = true;
      }
    }
  }
  compute_precision(insns, succ_of, func_target, helper_reads, helper_returns_ptr,
                    exit_value_checked, cfg);
  return cfg;
}

}  // namespace bpfjit::verifier
