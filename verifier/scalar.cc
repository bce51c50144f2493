// Scalar ranges and their transfer functions. See scalar.h.
#include "verifier/scalar.h"

#include <fmt/format.h>

#include <algorithm>

#include "runtime/isa/semantics.h"

namespace bpfjit::verifier {

namespace {

constexpr uint64_t kU32Max = UINT32_MAX;

bool add_overflows_u(uint64_t a, uint64_t b) { return a + b < a; }

// The values of `s` as a zero-extended 32-bit number: its subregister seen as a 64-bit
// scalar in [0, 2^32).
Scalar zext_view(const Scalar& s) {
  Scalar v;
  v.var = tnum_subreg(s.var);
  v.umin = s.u32min;
  v.umax = s.u32max;
  v.smin = s.u32min;
  v.smax = s.u32max;
  v.u32min = s.u32min;
  v.u32max = s.u32max;
  v.s32min = s.s32min;
  v.s32max = s.s32max;
  if (!v.normalize()) return Scalar::urange(0, kU32Max);
  return v;
}

// The subregister sign-extended to 64 bits.
Scalar sext_view(const Scalar& s) {
  Scalar v;
  Tnum sub = tnum_subreg(s.var);
  constexpr uint64_t kHigh = 0xffffffff00000000ULL;
  if (sub.mask & 0x80000000ULL) {
    sub.mask |= kHigh;
  } else if (sub.value & 0x80000000ULL) {
    sub.value |= kHigh;
  }
  v.var = sub;
  v.smin = s.s32min;
  v.smax = s.s32max;
  v.u32min = s.u32min;
  v.u32max = s.u32max;
  v.s32min = s.s32min;
  v.s32max = s.s32max;
  if (!v.normalize()) return Scalar::unknown();
  return v;
}

// Values in [lo, hi] for shift counts: calls f(count) for each and joins the results.
Scalar alu64(AluOp op, const Scalar& a, const Scalar& b);

// Shift counts are masked to the width: joins f(count) over every masked count.
template <typename F>
Scalar join_over_counts(const Scalar& raw, uint32_t mask, F f) {
  Scalar count = alu64(AluOp::kAnd, raw, Scalar::constant(mask));
  uint64_t lo = count.umin, hi = std::min<uint64_t>(count.umax, mask);
  Scalar out = f(static_cast<uint32_t>(lo));
  for (uint64_t c = lo + 1; c <= hi; ++c) {
    if (!count.var.contains_value(c)) continue;
    out = out.join(f(static_cast<uint32_t>(c)));
  }
  return out;
}

Scalar alu64(AluOp op, const Scalar& a, const Scalar& b) {
  if (a.is_const() && b.is_const()) return Scalar::constant(sem::alu64(op, a.value(), b.value()));
  Scalar r;
  switch (op) {
    case AluOp::kMov:
      return b;
    case AluOp::kAdd: {
      r.var = tnum_add(a.var, b.var);
      if (!add_overflows_u(a.umax, b.umax)) {
        r.umin = a.umin + b.umin;
        r.umax = a.umax + b.umax;
      }
      int64_t lo, hi;
      if (!__builtin_add_overflow(a.smin, b.smin, &lo) &&
          !__builtin_add_overflow(a.smax, b.smax, &hi)) {
        r.smin = lo;
        r.smax = hi;
      }
      break;
    }
    case AluOp::kSub: {
      r.var = tnum_sub(a.var, b.var);
      if (a.umin >= b.umax) {
        r.umin = a.umin - b.umax;
        r.umax = a.umax - b.umin;
      }
      int64_t lo, hi;
      if (!__builtin_sub_overflow(a.smin, b.smax, &lo) &&
          !__builtin_sub_overflow(a.smax, b.smin, &hi)) {
        r.smin = lo;
        r.smax = hi;
      }
      break;
    }
    case AluOp::kMul: {
      r.var = tnum_mul(a.var, b.var);
      if (a.umax <= kU32Max && b.umax <= kU32Max) {
        r.umin = a.umin * b.umin;
        r.umax = a.umax * b.umax;
      }
      break;
    }
    case AluOp::kDiv: {
      // x / 0 = 0 and x / y <= x.
      r.umin = 0;
      r.umax = a.umax;
      if (b.umin >= 1) {
        r.umin = a.umin / b.umax;
        r.umax = a.umax / b.umin;
      }
      break;
    }
    case AluOp::kMod: {
      // x % 0 = x; otherwise below the divisor.
      r.umin = 0;
      r.umax = b.umin >= 1 ? std::min(a.umax, b.umax - 1) : a.umax;
      break;
    }
    case AluOp::kSDiv:
      break;
    case AluOp::kSMod: {
      if (b.is_const() && b.value() != 0) {
        auto c = static_cast<int64_t>(b.value());
        if (c != INT64_MIN && c != -1) {
          int64_t m = (c < 0 ? -c : c) - 1;
          r.smin = a.smin >= 0 ? 0 : -m;
          r.smax = a.smax < 0 ? 0 : m;
        }
      }
      break;
    }
    case AluOp::kAnd:
      r.var = tnum_and(a.var, b.var);
      r.umax = std::min(a.umax, b.umax);
      break;
    case AluOp::kOr:
      r.var = tnum_or(a.var, b.var);
      r.umin = std::max(a.umin, b.umin);
      break;
    case AluOp::kXor:
      r.var = tnum_xor(a.var, b.var);
      break;
    case AluOp::kLsh:
      return join_over_counts(b, 63, [&](uint32_t c) {
        Scalar s;
        s.var = tnum_lsh(a.var, c);
        if (c == 0 || (a.umax >> (64 - c)) == 0) {
          s.umin = a.umin << c;
          s.umax = a.umax << c;
        }
        if (!s.normalize()) return Scalar::unknown();
        return s;
      });
    case AluOp::kRsh:
      return join_over_counts(b, 63, [&](uint32_t c) {
        Scalar s;
        s.var = tnum_rsh(a.var, c);
        s.umin = a.umin >> c;
        s.umax = a.umax >> c;
        if (!s.normalize()) return Scalar::unknown();
        return s;
      });
    case AluOp::kArsh:
      return join_over_counts(b, 63, [&](uint32_t c) {
        Scalar s;
        s.var = tnum_arsh(a.var, c, 64);
        s.smin = a.smin >> c;
        s.smax = a.smax >> c;
        if (!s.normalize()) return Scalar::unknown();
        return s;
      });
  }
  if (!r.normalize()) return Scalar::unknown();
  return r;
}

// The 32-bit comparisons and the 64-bit ones share one refinement written on this view.
struct View {
  Tnum t;
  uint64_t umin, umax;
  int64_t smin, smax;
};

View view_of(const Scalar& s, uint32_t width) {
  if (width == 32) return {tnum_subreg(s.var), s.u32min, s.u32max, s.s32min, s.s32max};
  return {s.var, s.umin, s.umax, s.smin, s.smax};
}

bool write_back(Scalar& s, const View& v, uint32_t width) {
  if (v.umin > v.umax || v.smin > v.smax) return false;
  if (width == 32) {
    s.var = tnum_with_subreg(s.var, v.t);
    s.u32min = static_cast<uint32_t>(v.umin);
    s.u32max = static_cast<uint32_t>(v.umax);
    s.s32min = static_cast<int32_t>(v.smin);
    s.s32max = static_cast<int32_t>(v.smax);
  } else {
    s.var = v.t;
    s.umin = v.umin;
    s.umax = v.umax;
    s.smin = v.smin;
    s.smax = v.smax;
  }
  return s.normalize();
}

bool view_is_const(const View& v) { return v.t.is_const(); }

int view_branch(JmpCond cond, const View& a, const View& b) {
  switch (cond) {
    case JmpCond::kEq:
      if (view_is_const(a) && view_is_const(b)) return a.t.value == b.t.value ? 1 : 0;
      if (a.umin > b.umax || a.umax < b.umin || a.smin > b.smax || a.smax < b.smin) return 0;
      if (((a.t.value ^ b.t.value) & ~a.t.mask & ~b.t.mask) != 0) return 0;
      return -1;
    case JmpCond::kNe: {
      int eq = view_branch(JmpCond::kEq, a, b);
      return eq < 0 ? -1 : 1 - eq;
    }
    case JmpCond::kGt:
      if (a.umin > b.umax) return 1;
      if (a.umax <= b.umin) return 0;
      return -1;
    case JmpCond::kGe:
      if (a.umin >= b.umax) return 1;
      if (a.umax < b.umin) return 0;
      return -1;
    case JmpCond::kLt: return view_branch(JmpCond::kGt, b, a);
    case JmpCond::kLe: return view_branch(JmpCond::kGe, b, a);
    case JmpCond::kSgt:
      if (a.smin > b.smax) return 1;
      if (a.smax <= b.smin) return 0;
      return -1;
    case JmpCond::kSge:
      if (a.smin >= b.smax) return 1;
      if (a.smax < b.smin) return 0;
      return -1;
    case JmpCond::kSlt: return view_branch(JmpCond::kSgt, b, a);
    case JmpCond::kSle: return view_branch(JmpCond::kSge, b, a);
    case JmpCond::kSet:
      if ((a.t.value & b.t.value) != 0) return 1;
      if ((a.t.max() & b.t.max()) == 0) return 0;
      return -1;
  }
  return -1;
}

// a > b (strict) or a >= b, unsigned.
bool refine_ugt(View& a, View& b, bool strict) {
  uint64_t d = strict ? 1 : 0;
  if (strict && (b.umin == UINT64_MAX || a.umax == 0)) return false;
  a.umin = std::max(a.umin, b.umin + d);
  b.umax = std::min(b.umax, a.umax - d);
  return a.umin <= a.umax && b.umin <= b.umax;
}

bool refine_sgt(View& a, View& b, bool strict) {
  int64_t d = strict ? 1 : 0;
  if (strict && (b.smin == INT64_MAX || a.smax == INT64_MIN)) return false;
  a.smin = std::max(a.smin, b.smin + d);
  b.smax = std::min(b.smax, a.smax - d);
  return a.smin <= a.smax && b.smin <= b.smax;
}

void trim_ne(View& a, uint64_t c, uint64_t umask) {
  if (a.umin == c && a.umin < a.umax) ++a.umin;
  else if (a.umax == c && a.umin < a.umax) --a.umax;
  auto sc = static_cast<int64_t>(c);
  if (umask == kU32Max) sc = static_cast<int32_t>(static_cast<uint32_t>(c));
  if (a.smin == sc && a.smin < a.smax) ++a.smin;
  else if (a.smax == sc && a.smin < a.smax) --a.smax;
}

// Narrows for `a cond b` being true; `not_set` is the negation of kSet.
bool view_refine(JmpCond cond, bool not_set, View& a, View& b, uint64_t umask) {
  if (not_set) {
    if (view_is_const(b)) {
      a.t.value &= ~b.t.value;
      a.t.mask &= ~b.t.value;
    }
    if (view_is_const(a)) {
      b.t.value &= ~a.t.value;
      b.t.mask &= ~a.t.value;
    }
    return true;
  }
  switch (cond) {
    case JmpCond::kEq: {
      bool ok = true;
      Tnum t = tnum_intersect(a.t, b.t, &ok);
      if (!ok) return false;
      a.t = b.t = t;
      a.umin = b.umin = std::max(a.umin, b.umin);
      a.umax = b.umax = std::min(a.umax, b.umax);
      a.smin = b.smin = std::max(a.smin, b.smin);
      a.smax = b.smax = std::min(a.smax, b.smax);
      return a.umin <= a.umax && a.smin <= a.smax;
    }
    case JmpCond::kNe:
      if (view_is_const(a) && view_is_const(b) && a.t.value == b.t.value) return false;
      if (view_is_const(b)) trim_ne(a, b.t.value, umask);
      if (view_is_const(a)) trim_ne(b, a.t.value, umask);
      return true;
    case JmpCond::kGt: return refine_ugt(a, b, true);
    case JmpCond::kGe: return refine_ugt(a, b, false);
    case JmpCond::kLt: return refine_ugt(b, a, true);
    case JmpCond::kLe: return refine_ugt(b, a, false);
    case JmpCond::kSgt: return refine_sgt(a, b, true);
    case JmpCond::kSge: return refine_sgt(a, b, false);
    case JmpCond::kSlt: return refine_sgt(b, a, true);
    case JmpCond::kSle: return refine_sgt(b, a, false);
    case JmpCond::kSet:
      if (view_is_const(b) && b.t.value != 0 && (b.t.value & (b.t.value - 1)) == 0) {
        a.t.value |= b.t.value;  // a single bit: it must be set
        a.t.mask &= ~b.t.value;
      }
      if (view_is_const(a) && a.t.value != 0 && (a.t.value & (a.t.value - 1)) == 0) {
        b.t.value |= a.t.value;
        b.t.mask &= ~a.t.value;
      }
      return (a.t.max() & b.t.max()) != 0;
  }
  return true;
}

JmpCond negate(JmpCond c) {
  switch (c) {
    case JmpCond::kEq: return JmpCond::kNe;
    case JmpCond::kNe: return JmpCond::kEq;
    case JmpCond::kGt: return JmpCond::kLe;
    case JmpCond::kLe: return JmpCond::kGt;
    case JmpCond::kGe: return JmpCond::kLt;
    case JmpCond::kLt: return JmpCond::kGe;
    case JmpCond::kSgt: return JmpCond::kSle;
    case JmpCond::kSle: return JmpCond::kSgt;
    case JmpCond::kSge: return JmpCond::kSlt;
    case JmpCond::kSlt: return JmpCond::kSge;
    case JmpCond::kSet: return JmpCond::kSet;  // handled by not_set
  }
  return c;
}

}  // namespace

Scalar Scalar::constant(uint64_t v) {
  Scalar s;
  s.var = Tnum::constant(v);
  s.umin = s.umax = v;
  s.smin = s.smax = static_cast<int64_t>(v);
  s.u32min = s.u32max = static_cast<uint32_t>(v);
  s.s32min = s.s32max = static_cast<int32_t>(static_cast<uint32_t>(v));
  return s;
}

Scalar Scalar::urange(uint64_t lo, uint64_t hi) {
  Scalar s;
  s.umin = lo;
  s.umax = hi;
  if (!s.normalize()) return unknown();
  return s;
}

bool Scalar::is_unknown() const {
  return var.is_unknown() && umin == 0 && umax == UINT64_MAX && smin == INT64_MIN &&
         smax == INT64_MAX && u32min == 0 && u32max == UINT32_MAX && s32min == INT32_MIN &&
         s32max == INT32_MAX;
}

bool Scalar::normalize() {
  for (int round = 0; round < 2; ++round) {
    // Known bits bound the unsigned and, when the sign bit is known, the signed ranges.
    umin = std::max(umin, var.min());
    umax = std::min(umax, var.max());
    if (((var.mask >> 63) & 1) == 0) {
      smin = std::max(smin, static_cast<int64_t>(var.min()));
      smax = std::min(smax, static_cast<int64_t>(var.max()));
    }
    Tnum sub = tnum_subreg(var);
    u32min = std::max<uint32_t>(u32min, static_cast<uint32_t>(sub.min()));
    u32max = std::min<uint32_t>(u32max, static_cast<uint32_t>(sub.max()));
    if (((sub.mask >> 31) & 1) == 0) {
      s32min = std::max(s32min, static_cast<int32_t>(static_cast<uint32_t>(sub.min())));
      s32max = std::min(s32max, static_cast<int32_t>(static_cast<uint32_t>(sub.max())));
    }
    // A range that crosses a sign boundary is two intervals in the other order; the other
    // range may exclude one of them (the kernel's mixed-bounds deduction). Signed [-128,
    // 127] is unsigned [0, 127] and [2^64 - 128, 2^64 - 1]: with umax below 2^64 - 128 only
    // [0, 127] remains.
    if (smin < 0 && smax >= 0) {
      if (umax < static_cast<uint64_t>(smin)) smin = 0;
      else if (umin > static_cast<uint64_t>(smax)) smax = -1;
    }
    if ((umin >> 63) == 0 && (umax >> 63) == 1) {
      if (smax < static_cast<int64_t>(umin)) umin = uint64_t{1} << 63;
      else if (smin > static_cast<int64_t>(umax)) umax = (uint64_t{1} << 63) - 1;
    }
    if (s32min < 0 && s32max >= 0) {
      if (u32max < static_cast<uint32_t>(s32min)) s32min = 0;
      else if (u32min > static_cast<uint32_t>(s32max)) s32max = -1;
    }
    if ((u32min >> 31) == 0 && (u32max >> 31) == 1) {
      if (s32max < static_cast<int32_t>(u32min)) u32min = uint32_t{1} << 31;
      else if (s32min > static_cast<int32_t>(u32max)) u32max = (uint32_t{1} << 31) - 1;
    }
    // Signed and unsigned ranges agree where they do not cross a sign boundary.
    if ((umin >> 63) == (umax >> 63)) {
      smin = std::max(smin, static_cast<int64_t>(umin));
      smax = std::min(smax, static_cast<int64_t>(umax));
    }
    if ((smin >= 0) == (smax >= 0)) {
      umin = std::max(umin, static_cast<uint64_t>(smin));
      umax = std::min(umax, static_cast<uint64_t>(smax));
    }
    if ((u32min >> 31) == (u32max >> 31)) {
      s32min = std::max(s32min, static_cast<int32_t>(u32min));
      s32max = std::min(s32max, static_cast<int32_t>(u32max));
    }
    if ((s32min >= 0) == (s32max >= 0)) {
      u32min = std::max(u32min, static_cast<uint32_t>(s32min));
      u32max = std::min(u32max, static_cast<uint32_t>(s32max));
    }
    // The 64-bit ranges bound the subregister when they stay inside one 2^32 block, and
    // the subregister ranges bound the 64-bit value when its high half is fixed.
    if ((umin >> 32) == (umax >> 32)) {
      uint64_t high = umin & ~kU32Max;
      u32min = std::max(u32min, static_cast<uint32_t>(umin));
      u32max = std::min(u32max, static_cast<uint32_t>(umax));
      if (u32min <= u32max) {
        umin = std::max(umin, high | u32min);
        umax = std::min(umax, high | u32max);
      }
    }
    if ((smin >> 32) == (smax >> 32)) {
      auto lo = static_cast<int32_t>(static_cast<uint32_t>(smin));
      auto hi = static_cast<int32_t>(static_cast<uint32_t>(smax));
      if (lo <= hi) {
        s32min = std::max(s32min, lo);
        s32max = std::min(s32max, hi);
      }
      int64_t base = static_cast<int64_t>(static_cast<uint64_t>(smin) & ~kU32Max);
      if (u32min <= u32max) {
        smin = std::max(smin, base + static_cast<int64_t>(u32min));
        smax = std::min(smax, base + static_cast<int64_t>(u32max));
      }
    }
    if (umin > umax || smin > smax || u32min > u32max || s32min > s32max) return false;
    // The ranges narrow the known bits.
    bool ok = true;
    var = tnum_intersect(var, Tnum::range(umin, umax), &ok);
    if (!ok) return false;
    Tnum sub2 = tnum_intersect(tnum_subreg(var), Tnum::range(u32min, u32max), &ok);
    if (!ok) return false;
    var = tnum_with_subreg(var, sub2);
  }
  if (umin > umax || smin > smax || u32min > u32max || s32min > s32max) return false;
  if (var.min() > umax || var.max() < umin) return false;
  return true;
}

bool Scalar::contains(const Scalar& b) const {
  return umin <= b.umin && b.umax <= umax && smin <= b.smin && b.smax <= smax &&
         u32min <= b.u32min && b.u32max <= u32max && s32min <= b.s32min &&
         b.s32max <= s32max && var.contains(b.var);
}

Scalar Scalar::join(const Scalar& b) const {
  Scalar r;
  r.var = tnum_union(var, b.var);
  r.umin = std::min(umin, b.umin);
  r.umax = std::max(umax, b.umax);
  r.smin = std::min(smin, b.smin);
  r.smax = std::max(smax, b.smax);
  r.u32min = std::min(u32min, b.u32min);
  r.u32max = std::max(u32max, b.u32max);
  r.s32min = std::min(s32min, b.s32min);
  r.s32max = std::max(s32max, b.s32max);
  if (!r.normalize()) return unknown();
  return r;
}

std::string Scalar::to_string() const {
  if (is_const()) return fmt::format("{:#x}", value());
  if (is_unknown()) return "scalar";
  std::string s = "scalar(";
  const char* sep = "";
  if (umin != 0 || umax != UINT64_MAX) {
    s += fmt::format("umin={},umax={}", umin, umax);
    sep = ",";
  }
  if (smin != INT64_MIN || smax != INT64_MAX) {
    if (!(smin >= 0 && static_cast<uint64_t>(smin) == umin &&
          static_cast<uint64_t>(smax) == umax)) {
      s += fmt::format("{}smin={},smax={}", sep, smin, smax);
      sep = ",";
    }
  }
  if ((u32min != 0 || u32max != UINT32_MAX) && umax > UINT32_MAX) {
    s += fmt::format("{}u32min={},u32max={}", sep, u32min, u32max);
    sep = ",";
  }
  if (!var.is_unknown() && !(var == Tnum::range(umin, umax))) {
    s += fmt::format("{}var={}", sep, var.to_string());
  }
  return s + ")";
}

Scalar scalar_truncate(const Scalar& a, uint32_t bytes) {
  if (bytes >= 8) return a;
  Scalar r;
  r.var = tnum_cast(a.var, bytes);
  uint64_t limit = bytes == 4 ? kU32Max : (uint64_t{1} << (bytes * 8)) - 1;
  if (bytes == 4) {
    r.umin = a.u32min;
    r.umax = a.u32max;
  } else if ((a.umin & ~limit) == (a.umax & ~limit)) {
    r.umin = a.umin & limit;
    r.umax = a.umax & limit;
  } else {
    r.umin = 0;
    r.umax = limit;
  }
  r.smin = static_cast<int64_t>(r.umin);
  r.smax = static_cast<int64_t>(r.umax);
  if (!r.normalize()) return Scalar::urange(0, limit);
  return r;
}

Scalar scalar_load(uint32_t bytes, bool sign_extend) {
  if (bytes >= 8) return Scalar::unknown();
  if (!sign_extend) return Scalar::urange(0, (uint64_t{1} << (bytes * 8)) - 1);
  Scalar r;
  r.smin = -(int64_t{1} << (bytes * 8 - 1));
  r.smax = (int64_t{1} << (bytes * 8 - 1)) - 1;
  if (!r.normalize()) return Scalar::unknown();
  return r;
}

Scalar scalar_alu(AluOp op, const Scalar& dst, const Scalar& src, uint32_t width) {
  // A shift count that may reach the width: the engines mask it (RFC 9669), but the kernel
  // takes the result as unknown, and so do we, so that verdicts stay the kernel's.
  if ((op == AluOp::kLsh || op == AluOp::kRsh || op == AluOp::kArsh) &&
      (width == 64 ? src.umax : src.u32max) >= width) {
    return width == 64 ? Scalar::unknown() : scalar_truncate(Scalar::unknown(), 4);
  }
  if (width == 64) return alu64(op, dst, src);
  if (dst.is_const() && src.is_const()) {
    return Scalar::constant(sem::alu32(op, dst.value(), src.value()));
  }
  bool is_signed = op == AluOp::kArsh || op == AluOp::kSDiv || op == AluOp::kSMod;
  Scalar a = is_signed ? sext_view(dst) : zext_view(dst);
  Scalar b = is_signed && op != AluOp::kArsh ? sext_view(src) : zext_view(src);
  if (op == AluOp::kLsh || op == AluOp::kRsh || op == AluOp::kArsh) {
    b = alu64(AluOp::kAnd, b, Scalar::constant(31));
  }
  if (op == AluOp::kMov) return scalar_truncate(src, 4);
  return scalar_truncate(alu64(op, a, b), 4);
}

Scalar scalar_neg(const Scalar& a, uint32_t width) {
  return scalar_alu(AluOp::kSub, Scalar::constant(0), a, width);
}

Scalar scalar_movsx(const Scalar& a, uint32_t from, uint32_t to) {
  if (a.is_const()) return Scalar::constant(sem::movsx(a.value(), from, to));
  Scalar low = scalar_truncate(a, from / 8);
  Scalar r;
  uint64_t sign = uint64_t{1} << (from - 1);
  if (low.umax < sign) {
    r = low;  // the sign bit is clear: the value is unchanged
  } else if (low.umin >= sign && (low.var.value & sign) != 0) {
    // The sign bit is set: every bit above `from` becomes 1, the value drops by 2^from.
    const uint64_t high = ~((sign << 1) - 1);
    r = Scalar::unknown();
    r.var = Tnum{low.var.value | high, low.var.mask};
    r.smin = static_cast<int64_t>(low.umin | high);
    r.smax = static_cast<int64_t>(low.umax | high);
    if (!r.normalize()) r = scalar_load(from / 8, true);
  } else {
    r = scalar_load(from / 8, true);
  }
  return to == 32 ? scalar_truncate(r, 4) : r;
}

Scalar scalar_endian(EndianOp op, const Scalar& a, uint32_t width) {
  if (a.is_const()) return Scalar::constant(sem::endian(op, a.value(), width));
  switch (op) {
    case EndianOp::kLe: return scalar_truncate(a, width / 8);
    case EndianOp::kBe:
    case EndianOp::kSwap: break;
  }
  return width == 64 ? Scalar::unknown() : Scalar::urange(0, (uint64_t{2} << (width - 1)) - 1);
}

int scalar_branch(JmpCond cond, const Scalar& a, const Scalar& b, uint32_t width) {
  return view_branch(cond, view_of(a, width), view_of(b, width));
}

bool scalar_refine(JmpCond cond, bool taken, Scalar& a, Scalar& b, uint32_t width) {
  View va = view_of(a, width), vb = view_of(b, width);
  bool not_set = !taken && cond == JmpCond::kSet;
  JmpCond c = taken ? cond : negate(cond);
  if (!view_refine(c, not_set, va, vb, width == 32 ? kU32Max : UINT64_MAX)) return false;
  return write_back(a, va, width) && write_back(b, vb, width);
}

}  // namespace bpfjit::verifier
