// Finding the loops the JIT versions (see loops.h for the model).
#include "jit/loops.h"

#include <algorithm>
#include <limits>

namespace bpfjit {

namespace {

// A register's value in terms of the registers' values at the loop's entry:
// sum of r[base[i]] for i < count, plus k (wrapping), or unknown.
struct Sym {
  bool known = false;
  uint8_t count = 0;
  uint8_t base[2] = {kNumRegs, kNumRegs};
  uint64_t k = 0;

  static Sym entry(uint8_t r) {
    Sym s;
    s.known = true;
    s.count = 1;
    s.base[0] = r;
    return s;
  }
  static Sym constant(uint64_t v) {
    Sym s;
    s.known = true;
    s.k = v;
    return s;
  }
};

Sym add(const Sym& a, const Sym& b) {
  if (!a.known || !b.known || a.count + b.count > 2) return Sym{};
  Sym s = a;
  for (uint8_t i = 0; i < b.count; ++i) s.base[s.count++] = b.base[i];
  s.k = a.k + b.k;
  return s;
}

bool fits_int32(int64_t v) {
  return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
}

// The effect of one body instruction on the symbolic registers. False when the
// instruction rules the loop out.
bool step(const Insn& in, Sym (&r)[kNumRegs]) {
  const OpInfo& info = op_info(in.op);
  switch (info.form) {
    case Form::kAluImm:
    case Form::kAluReg: {
      bool imm = info.form == Form::kAluImm;
      uint64_t v = static_cast<uint64_t>(static_cast<int64_t>(in.imm));
      Sym out;
      if (info.width == 64) {
        switch (alu_op(in.op)) {
          case AluOp::kMov:
            out = imm ? Sym::constant(v) : r[in.src];
            break;
          case AluOp::kAdd:
            out = add(r[in.dst], imm ? Sym::constant(v) : r[in.src]);
            break;
          case AluOp::kSub:
            if (imm) out = add(r[in.dst], Sym::constant(0 - v));
            break;
          case AluOp::kOr:
          case AluOp::kAnd:
          case AluOp::kXor:
          case AluOp::kMul:
          case AluOp::kLsh:
          case AluOp::kRsh:
          case AluOp::kArsh:
          case AluOp::kDiv:
          case AluOp::kSDiv:
          case AluOp::kMod:
          case AluOp::kSMod:
            break;
        }
      }
      r[in.dst] = out;
      return true;
    }
    case Form::kNeg:
    case Form::kMovSx:
    case Form::kEndian:
    case Form::kLddw:
    case Form::kLdx:
    case Form::kLdxSx:
      r[in.dst] = Sym{};
      return true;
    case Form::kSt:
    case Form::kStx:
    case Form::kJa:
    case Form::kJa32:
    case Form::kJmpImm:
    case Form::kJmpReg:
    case Form::kExit:
      return true;
    case Form::kAtomic:
    case Form::kCall:
    case Form::kCallx:
    case Form::kCallLocal:
    case Form::kCallBtf:
    case Form::kLdAbs:
    case Form::kLdInd:
      return false;
  }
  return false;
}

// The loop [head, tail] if it qualifies (loops.h), with its accesses; `ok` false otherwise.
VersionedLoop analyse(const std::vector<Insn>& insns, const std::vector<bool>& is_target,
                      uint32_t head, uint32_t tail, bool& ok) {
  ok = false;
  VersionedLoop loop;
  loop.head = head;
  loop.tail = tail;
  Sym r[kNumRegs];
  for (uint8_t i = 0; i < kNumRegs; ++i) r[i] = Sym::entry(i);
  struct Seen {
    uint32_t pc;
    Sym addr;
    int32_t off;
    uint8_t size;
    bool write;
  };
  std::vector<Seen> seen;
  for (uint32_t pc = head; pc < tail; ++pc) {
    const Insn& in = insns[pc];
    if (pc > head && is_target[pc]) return loop;
    if (in.op == Op::kLddwHigh) continue;
    Form f = form_of(in.op);
    if (is_jump(f) && in.target() >= head && in.target() <= tail) return loop;
    uint32_t size = op_info(in.op).width / 8;
    if (f == Form::kLdx || f == Form::kLdxSx) seen.push_back({pc, r[in.src], in.off, static_cast<uint8_t>(size), false});
    if (f == Form::kSt || f == Form::kStx) seen.push_back({pc, r[in.dst], in.off, static_cast<uint8_t>(size), true});
    if (!step(in, r)) return loop;
  }
  if (is_target[tail] && tail != head) return loop;
  // The tail: jlt rI, rN|imm, head on 64 bits.
  const Insn& t = insns[tail];
  const OpInfo& ti = op_info(t.op);
  if ((ti.form != Form::kJmpImm && ti.form != Form::kJmpReg) || ti.width != 64 ||
      jmp_cond(t.op) != JmpCond::kLt || t.target() != head) {
    return loop;
  }
  // Per-iteration advance of each register; -1 marks one that changes otherwise.
  constexpr int64_t kVarying = std::numeric_limits<int64_t>::min();
  int64_t advance[kNumRegs];
  for (uint8_t i = 0; i < kNumRegs; ++i) {
    const Sym& s = r[i];
    auto k = static_cast<int64_t>(s.k);
    advance[i] = s.known && s.count == 1 && s.base[0] == i && fits_int32(k) ? k : kVarying;
  }
  const Sym& counter = r[t.dst];
  if (!counter.known || counter.count != 1 || advance[counter.base[0]] != 1 ||
      !fits_int32(static_cast<int64_t>(counter.k))) {
    return loop;
  }
  loop.counter = counter.base[0];
  loop.counter_add = static_cast<int32_t>(static_cast<int64_t>(counter.k));
  if (ti.form == Form::kJmpImm) {
    loop.bound_add = t.imm;
  } else {
    const Sym& bound = r[t.src];
    if (!bound.known || bound.count > 1) return loop;
    if (bound.count == 1) {
      if (advance[bound.base[0]] != 0) return loop;
      loop.bound_reg = bound.base[0];
    }
    loop.bound_add = static_cast<int64_t>(bound.k);
    if (loop.bound_reg != kNumRegs && !fits_int32(loop.bound_add)) return loop;
  }
  ok = true;
  for (const Seen& s : seen) {
    if (!s.addr.known || s.addr.count == 0) continue;
    int64_t stride = 0;
    bool hoist = true;
    for (uint8_t i = 0; i < s.addr.count; ++i) {
      uint8_t b = s.addr.base[i];
      if (b == kFramePointer || advance[b] == kVarying) hoist = false;
      if (hoist) stride += advance[b];
    }
    int64_t disp = static_cast<int64_t>(s.addr.k) + s.off;
    if (!hoist || !fits_int32(stride) || !fits_int32(disp)) continue;
    HoistedAccess a;
    a.pc = s.pc;
    a.base = s.addr.base[0];
    a.index = s.addr.count == 2 ? s.addr.base[1] : kNumRegs;
    a.disp = static_cast<int32_t>(disp);
    a.step = static_cast<int32_t>(stride);
    a.size = s.size;
    a.write = s.write;
    loop.accesses.push_back(a);
    loop.covered.push_back(s.pc);
  }
  return loop;
}

// An access seen in a straight range, its address relative to the range's entry.
struct RangeAccess {
  uint32_t pc;
  uint8_t base;
  uint8_t index;
  int64_t lo;  // [lo, hi) off r[base] + r[index]
  int64_t hi;
  bool write;
};

uint8_t size_class(int64_t span) {
  return span <= 1 ? 1 : span <= 2 ? 2 : span <= 4 ? 4 : 8;
}

// The straight range from `start`: its end (exclusive) and, when accesses share registers,
// the range with one check per group of them.
uint32_t straight_range(const std::vector<Insn>& insns, const std::vector<bool>& is_target,
                        const std::vector<bool>& in_loop, uint32_t start,
                        std::vector<VersionedLoop>& out) {
  Sym r[kNumRegs];
  for (uint8_t i = 0; i < kNumRegs; ++i) r[i] = Sym::entry(i);
  std::vector<RangeAccess> seen;
  uint32_t pc = start;
  auto n = static_cast<uint32_t>(insns.size());
  for (; pc < n; ++pc) {
    const Insn& in = insns[pc];
    if ((pc > start && is_target[pc]) || in_loop[pc]) break;
    if (in.op == Op::kLddwHigh) continue;
    Form f = form_of(in.op);
    if (is_jump(f) && in.target() >= start && in.target() <= pc) break;
    uint32_t size = op_info(in.op).width / 8;
    const Sym* addr = f == Form::kLdx || f == Form::kLdxSx ? &r[in.src]
                      : f == Form::kSt || f == Form::kStx  ? &r[in.dst]
                                                           : nullptr;
    if (addr != nullptr && addr->known && addr->count > 0 && addr->base[0] != kFramePointer &&
        (addr->count == 1 || addr->base[1] != kFramePointer)) {
      uint8_t b0 = addr->base[0], b1 = addr->count == 2 ? addr->base[1] : kNumRegs;
      int64_t lo = static_cast<int64_t>(addr->k) + in.off;
      if (fits_int32(lo) && fits_int32(lo + size)) {
        seen.push_back({pc, std::min(b0, b1), std::max(b0, b1), lo, lo + size, f == Form::kSt || f == Form::kStx});
      }
    }
    if (!step(in, r)) break;
    if (f == Form::kJa || f == Form::kJa32 || f == Form::kExit) {
      ++pc;
      break;
    }
  }
  uint32_t end = std::max(pc, start + 1);
  // Groups of accesses off the same registers; the range ends at the last grouped one.
  VersionedLoop range;
  range.loop = false;
  range.head = start;
  // One group per register pair, in order of first use (linear in the accesses).
  std::vector<std::vector<size_t>> groups;
  int32_t group_of[kNumRegs][kNumRegs + 1];
  for (auto& row : group_of) std::fill(std::begin(row), std::end(row), -1);
  for (size_t i = 0; i < seen.size(); ++i) {
    int32_t& g = group_of[seen[i].base][seen[i].index];
    if (g < 0) {
      g = static_cast<int32_t>(groups.size());
      groups.emplace_back();
    }
    groups[static_cast<size_t>(g)].push_back(i);
  }
  for (const std::vector<size_t>& group : groups) {
    if (group.size() < 2) continue;
    size_t i = group[0];
    int64_t lo = seen[i].lo, hi = seen[i].hi;
    bool write = false;
    for (size_t g : group) {
      lo = std::min(lo, seen[g].lo);
      hi = std::max(hi, seen[g].hi);
      write = write || seen[g].write;
      range.covered.push_back(seen[g].pc);
      range.tail = std::max(range.tail, seen[g].pc);
    }
    HoistedAccess a;
    a.pc = seen[i].pc;
    a.base = seen[i].base;
    a.index = seen[i].index;
    a.write = write;
    if (hi - lo <= 8) {
      a.disp = static_cast<int32_t>(lo);
      a.size = size_class(hi - lo);
      range.accesses.push_back(a);
    } else {  // the first and the last byte: region 0 is one interval
      a.disp = static_cast<int32_t>(lo);
      a.size = 1;
      range.accesses.push_back(a);
      a.disp = static_cast<int32_t>(hi - 1);
      range.accesses.push_back(a);
    }
  }
  if (!range.accesses.empty()) {
    std::sort(range.covered.begin(), range.covered.end());
    // Only backward jumps up to the range's tail matter.
    range.back_edge = false;
    for (uint32_t p = start; p <= range.tail; ++p) {
      const Insn& in = insns[p];
      if (in.op != Op::kLddwHigh && is_jump(form_of(in.op)) && in.target() < start) range.back_edge = true;
    }
    out.push_back(std::move(range));
  }
  return end;
}

}  // namespace

std::vector<VersionedLoop> find_versioned_loops(const std::vector<Insn>& insns,
                                                const std::vector<bool>& is_target) {
  std::vector<VersionedLoop> loops;
  for (uint32_t pc = 0; pc < insns.size(); ++pc) {
    const Insn& in = insns[pc];
    Form f = form_of(in.op);
    if ((f != Form::kJmpImm && f != Form::kJmpReg) || in.target() > pc) continue;
    auto head = static_cast<uint32_t>(in.target());
    if (!loops.empty() && head <= loops.back().tail) continue;  // overlaps the previous one
    bool ok = false;
    VersionedLoop loop = analyse(insns, is_target, head, pc, ok);
    if (ok && !loop.accesses.empty()) loops.push_back(std::move(loop));
  }
  // Ranges need two accesses off registers other than r10; most small programs have none.
  size_t off_registers = 0;
  for (const Insn& in : insns) {
    Form f = form_of(in.op);
    if (((f == Form::kLdx || f == Form::kLdxSx) && in.src != kFramePointer) ||
        ((f == Form::kSt || f == Form::kStx) && in.dst != kFramePointer)) {
      ++off_registers;
    }
  }
  if (off_registers < 2) return loops;
  std::vector<bool> in_loop(insns.size());
  for (const VersionedLoop& l : loops) {
    for (uint32_t pc = l.head; pc <= l.tail; ++pc) in_loop[pc] = true;
  }
  std::vector<VersionedLoop> out;
  size_t next_loop = 0;
  for (uint32_t pc = 0; pc < insns.size();) {
    if (in_loop[pc]) {
      out.push_back(std::move(loops[next_loop++]));
      pc = out.back().tail + 1;
      continue;
    }
    pc = straight_range(insns, is_target, in_loop, pc, out);
  }
  return out;
}

}  // namespace bpfjit
