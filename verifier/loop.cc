// Loop summaries: loop bodies, widening and ranking candidates (see loop.h).
#include "verifier/loop.h"

#include <algorithm>
#include <limits>

namespace bpfjit::verifier {

Reg* loop_loc(State& s, LoopLoc loc) {
  Frame& f = s.top();
  if (loc < kLocSlot0) return loc < kFramePointer ? &f.regs[loc] : nullptr;
  uint32_t i = loc - kLocSlot0;
  if (i >= f.stack.size() || !f.stack[i].is_spill()) return nullptr;
  return &f.stack[i].spill;
}

const Reg* loop_loc(const State& s, LoopLoc loc) {
  return loop_loc(const_cast<State&>(s), loc);
}

std::vector<LoopLoc> loop_locs(const State& s) {
  std::vector<LoopLoc> out;
  for (LoopLoc r = 0; r < kFramePointer; ++r) out.push_back(r);
  for (size_t i = 0; i < s.top().stack.size(); ++i) {
    if (s.top().stack[i].is_spill()) out.push_back(static_cast<LoopLoc>(kLocSlot0 + i));
  }
  return out;
}

void Thresholds::add(uint64_t v) {
  for (uint64_t x : {v - 1, v, v + 1}) {
    u64.push_back(x);
    s64.push_back(static_cast<int64_t>(x));
  }
  uint32_t w = static_cast<uint32_t>(v);
  for (uint32_t x : {w - 1, w, w + 1}) {
    u32.push_back(x);
    s32.push_back(static_cast<int32_t>(x));
  }
}

namespace {

template <typename T>
void sort_unique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// The bounds of one view [lo, hi] of `a` widened to take in [blo, bhi].
template <typename T>
void widen_bounds(T& lo, T& hi, T blo, T bhi, const std::vector<T>& th, WidenMode mode) {
  if (mode == WidenMode::kJoin) {
    lo = std::min(lo, blo);
    hi = std::max(hi, bhi);
    return;
  }
  const bool extreme = mode == WidenMode::kExtreme;
  using Wide = __int128;
  constexpr Wide kMin = std::numeric_limits<T>::min(), kMax = std::numeric_limits<T>::max();
  if (blo < lo) {
    T nlo = std::numeric_limits<T>::min();
    if (!extreme) {
      // At least twice as far below lo as blo is.
      Wide want = std::max(kMin, Wide{blo} - (Wide{lo} - Wide{blo}));
      auto it = std::upper_bound(th.begin(), th.end(), static_cast<T>(want));  // first > want
      if (it != th.begin()) nlo = *std::prev(it);
    }
    lo = nlo;
  }
  if (bhi > hi) {
    T nhi = std::numeric_limits<T>::max();
    if (!extreme) {
      Wide want = std::min(kMax, Wide{bhi} + (Wide{bhi} - Wide{hi}));
      auto it = std::lower_bound(th.begin(), th.end(), static_cast<T>(want));  // first >= want
      if (it != th.end()) nhi = *it;
    }
    hi = nhi;
  }
}

}  // namespace

void Thresholds::finish() {
  sort_unique(u64);
  sort_unique(s64);
  sort_unique(u32);
  sort_unique(s32);
}

std::vector<uint8_t> loop_body(const Cfg& cfg, uint32_t head) {
  std::vector<uint8_t> body(cfg.preds.size(), 0);
  body[head] = 1;
  std::vector<uint32_t> work;
  for (uint32_t src : cfg.back_edges[head]) {
    if (!body[src]) {
      body[src] = 1;
      work.push_back(src);
    }
  }
  while (!work.empty()) {
    uint32_t pc = work.back();
    work.pop_back();
    for (uint32_t p : cfg.preds[pc]) {
      if (!body[p]) {
        body[p] = 1;
        work.push_back(p);
      }
    }
  }
  return body;
}

Scalar widen_scalar(const Scalar& a, const Scalar& b, const Thresholds& th, WidenMode mode) {
  if (a.contains(b)) return a;
  Scalar r = a;
  widen_bounds(r.umin, r.umax, b.umin, b.umax, th.u64, mode);
  widen_bounds(r.smin, r.smax, b.smin, b.smax, th.s64, mode);
  widen_bounds(r.u32min, r.u32max, b.u32min, b.u32max, th.u32, mode);
  widen_bounds(r.s32min, r.s32max, b.s32min, b.s32max, th.s32, mode);
  // The known bits cannot follow a range past the values seen: they are recomputed from
  // the ranges.
  r.var = mode == WidenMode::kJoin ? tnum_union(a.var, b.var) : Tnum::unknown();
  if (!r.normalize()) return Scalar::unknown();  // not reached: r holds a and b
  return r;
}

namespace {

// A pointer's variable part with its fixed part `off` moved to `to`.
Scalar shift_var(const Scalar& v, int64_t off, int64_t to) {
  return scalar_alu(AluOp::kAdd, v, Scalar::constant(static_cast<uint64_t>(off - to)), 64);
}

bool variable_offsets_allowed(RegType t) {
  return t == RegType::kMem || t == RegType::kMapValue || t == RegType::kRingbufMem;
}

Reg widen_reg(const Reg& a, const Reg& b, const Thresholds& th, WidenMode mode) {
  Reg r;  // not initialised unless the two agree on the kind
  if (a.type != b.type || a.type == RegType::kNotInit) return r;
  if (a.type == RegType::kScalar) return Reg::scalar(widen_scalar(a.val, b.val, th, mode));
  if (a.map != b.map || a.size != b.size || a.ref != b.ref || a.id != b.id) return r;
  r = a;
  r.ind = 0;
  r.ind_w32 = false;
  r.ind_delta = 0;
  r.range = std::min(a.range, b.range);
  if (a.off == b.off) {
    r.val = widen_scalar(a.val, b.val, th, mode);
    return r;
  }
  if (!variable_offsets_allowed(a.type)) return Reg{};
  r.off = std::min(a.off, b.off);
  r.val = widen_scalar(shift_var(a.val, a.off, r.off), shift_var(b.val, b.off, r.off), th,
                       mode);
  return r;
}

ByteState byte_join(ByteState a, ByteState b, bool same_value) {
  if (a == ByteState::kInvalid || b == ByteState::kInvalid) return ByteState::kInvalid;
  if (a == ByteState::kConst && b == ByteState::kConst && same_value) return ByteState::kConst;
  return ByteState::kMisc;
}

// A slot's byte states with a spilled pointer counted as unreadable bytes.
StackSlot as_bytes(const StackSlot& s) {
  StackSlot r = s;
  if (s.is_spill()) {
    r.bytes.fill(s.spill.is_scalar() ? ByteState::kMisc : ByteState::kInvalid);
    r.spill = Reg{};
  }
  return r;
}

StackSlot widen_slot(const StackSlot& a, const StackSlot& b, const Thresholds& th,
                     WidenMode mode) {
  if (a.is_spill() && b.is_spill()) {
    Reg j = widen_reg(a.spill, b.spill, th, mode);
    if (j.is_init()) {
      StackSlot r;
      r.bytes.fill(ByteState::kSpill);
      r.spill = j;
      return r;
    }
  }
  StackSlot x = as_bytes(a), y = as_bytes(b), r;
  for (size_t i = 0; i < 8; ++i) {
    r.bytes[i] = byte_join(x.bytes[i], y.bytes[i], x.vals[i] == y.vals[i]);
    if (r.bytes[i] == ByteState::kConst) r.vals[i] = x.vals[i];
  }
  return r;
}

}  // namespace

std::optional<State> widen_state(const State& a, const State& b, const Thresholds& th,
                                 WidenMode mode) {
  if (a.frames.size() != b.frames.size() || a.refs.size() != b.refs.size()) return std::nullopt;
  for (size_t i = 0; i < a.refs.size(); ++i) {
    if (a.refs[i].id != b.refs[i].id) return std::nullopt;
  }
  State r = b;
  for (size_t f = 0; f < a.frames.size(); ++f) {
    const Frame& fa = a.frames[f];
    const Frame& fb = b.frames[f];
    if (fa.callsite != fb.callsite || fa.subprog != fb.subprog || fa.callback != fb.callback) {
      return std::nullopt;
    }
    Frame& fr = r.frames[f];
    for (size_t i = 0; i < kNumRegs; ++i) fr.regs[i] = widen_reg(fa.regs[i], fb.regs[i], th, mode);
    size_t n = std::max(fa.stack.size(), fb.stack.size());
    static const StackSlot kEmpty{};
    fr.stack.assign(n, StackSlot{});
    for (size_t i = 0; i < n; ++i) {
      fr.stack[i] = widen_slot(i < fa.stack.size() ? fa.stack[i] : kEmpty,
                               i < fb.stack.size() ? fb.stack[i] : kEmpty, th, mode);
    }
  }
  return r;
}

std::vector<Ranking> trip_rankings(const State& inv, const State& back) {
  std::vector<Ranking> out;
  for (LoopLoc loc : loop_locs(back)) {
    const Reg* b = loop_loc(back, loc);
    const Reg* h = loop_loc(inv, loc);
    if (!b || !h || !b->is_scalar() || !h->is_scalar() || b->ind != loc + 1) continue;
    const Scalar& v = h->val;
    int64_t d = b->ind_delta;
    auto add = [&](RankOrder o, int8_t dir) { out.push_back({loc, o, dir}); };
    // Few enough steps between the ends of a range (as unsigned distances).
    auto short_range = [](uint64_t span, uint64_t step) { return span / step <= kMaxLoopTrips; };
    if (!b->ind_w32 && d != 0 && d != INT64_MIN) {
      uint64_t m = static_cast<uint64_t>(d > 0 ? d : -d);
      uint64_t uspan = v.umax - v.umin;
      uint64_t sspan = static_cast<uint64_t>(v.smax) - static_cast<uint64_t>(v.smin);
      if (short_range(uspan, m)) {
        if (d > 0 && v.umax <= UINT64_MAX - m) add(RankOrder::kU64, 1);
        if (d < 0 && v.umin >= m) add(RankOrder::kU64, -1);
      }
      if (short_range(sspan, m)) {
        if (d > 0 && v.smax <= INT64_MAX - d) add(RankOrder::kS64, 1);
        if (d < 0 && v.smin >= INT64_MIN - d) add(RankOrder::kS64, -1);
      }
    }
    // The low 32 bits move by d too (for a 64-bit step as well).
    int32_t d32 = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(d)));
    if (d32 != 0 && d32 != INT32_MIN) {
      uint32_t m = static_cast<uint32_t>(d32 > 0 ? d32 : -d32);
      uint64_t uspan = v.u32max - v.u32min;
      uint64_t sspan = static_cast<uint64_t>(static_cast<int64_t>(v.s32max) - v.s32min);
      if (short_range(uspan, m)) {
        if (d32 > 0 && v.u32max <= UINT32_MAX - m) add(RankOrder::kU32, 1);
        if (d32 < 0 && v.u32min >= m) add(RankOrder::kU32, -1);
      }
      if (short_range(sspan, m)) {
        if (d32 > 0 && v.s32max <= INT32_MAX - d32) add(RankOrder::kS32, 1);
        if (d32 < 0 && v.s32min >= INT32_MIN - d32) add(RankOrder::kS32, -1);
      }
    }
  }
  return out;
}

bool same_loop_tags(const State& a, const State& b, uint16_t live) {
  auto same = [](const Reg& x, const Reg& y) {
    return x.ind == y.ind && (x.ind == 0 || (x.ind_delta == y.ind_delta && x.ind_w32 == y.ind_w32));
  };
  if (a.frames.size() != b.frames.size()) return false;
  for (size_t f = 0; f < a.frames.size(); ++f) {
    const Frame& fa = a.frames[f];
    const Frame& fb = b.frames[f];
    // The top frame's live registers; a caller's r6-r9 (its r0-r5 are clobbered when the
    // subprogram returns). Callers' frames matter inside a subprogram the body called.
    const bool top = f + 1 == a.frames.size();
    for (uint8_t r = top ? 0 : 6; r < kFramePointer; ++r) {
      if ((!top || (live >> r & 1)) && !same(fa.regs[r], fb.regs[r])) return false;
    }
    size_t n = std::max(fa.stack.size(), fb.stack.size());
    for (size_t i = 0; i < n; ++i) {
      bool sa = i < fa.stack.size() && fa.stack[i].is_spill();
      bool sb = i < fb.stack.size() && fb.stack[i].is_spill();
      if (sa && sb && !same(fa.stack[i].spill, fb.stack[i].spill)) return false;
      if (sa != sb) {
        const Reg& s = sa ? fa.stack[i].spill : fb.stack[i].spill;
        if (s.ind != 0) return false;
      }
    }
  }
  return true;
}

}  // namespace bpfjit::verifier
