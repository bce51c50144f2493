// The meaning of every eBPF operation, defined once (RFC 9669 section 4).
//
// The interpreter calls these functions; the JIT emits native code for the same meaning and
// is tested against them (test/jit_semantics_test.cc and the differential fuzzer). The
// corner cases that implementations get wrong live here and only here:
//   x / 0 = 0, x % 0 = x, INT_MIN s/ -1 = INT_MIN, INT_MIN s% -1 = 0, shift counts masked
//   to the width, every 32-bit result zero-extended, imm sign-extended for 64-bit ops.
#pragma once

#include <cstdint>
#include <cstring>

#include "runtime/isa/isa.h"

namespace bpfjit::sem {

// --- ALU ----------------------------------------------------------------------------------

constexpr uint64_t alu64(AluOp op, uint64_t dst, uint64_t src) {
  switch (op) {
    case AluOp::kAdd: return dst + src;
    case AluOp::kSub: return dst - src;
    case AluOp::kMul: return dst * src;
    case AluOp::kDiv: return src ? dst / src : 0;
    case AluOp::kSDiv: {
      auto a = static_cast<int64_t>(dst), b = static_cast<int64_t>(src);
      if (b == 0) return 0;
      if (b == -1) return 0 - dst;  // INT64_MIN / -1 wraps to INT64_MIN
      return static_cast<uint64_t>(a / b);
    }
    case AluOp::kOr: return dst | src;
    case AluOp::kAnd: return dst & src;
    case AluOp::kLsh: return dst << (src & 63);
    case AluOp::kRsh: return dst >> (src & 63);
    case AluOp::kMod: return src ? dst % src : dst;
    case AluOp::kSMod: {
      auto a = static_cast<int64_t>(dst), b = static_cast<int64_t>(src);
      if (b == 0) return dst;
      if (b == -1) return 0;
      return static_cast<uint64_t>(a % b);
    }
    case AluOp::kXor: return dst ^ src;
    case AluOp::kMov: return src;
    case AluOp::kArsh: return static_cast<uint64_t>(static_cast<int64_t>(dst) >> (src & 63));
  }
  return 0;
}

// 32-bit ALU: operates on the low halves and zero-extends the result.
constexpr uint64_t alu32(AluOp op, uint64_t dst64, uint64_t src64) {
  auto dst = static_cast<uint32_t>(dst64), src = static_cast<uint32_t>(src64);
  uint32_t r = 0;
  switch (op) {
    case AluOp::kAdd: r = dst + src; break;
    case AluOp::kSub: r = dst - src; break;
    case AluOp::kMul: r = dst * src; break;
    case AluOp::kDiv: r = src ? dst / src : 0; break;
    case AluOp::kSDiv: {
      auto a = static_cast<int32_t>(dst), b = static_cast<int32_t>(src);
      if (b == 0) r = 0;
      else if (b == -1) r = 0u - dst;
      else r = static_cast<uint32_t>(a / b);
      break;
    }
    case AluOp::kOr: r = dst | src; break;
    case AluOp::kAnd: r = dst & src; break;
    case AluOp::kLsh: r = dst << (src & 31); break;
    case AluOp::kRsh: r = dst >> (src & 31); break;
    case AluOp::kMod: r = src ? dst % src : dst; break;
    case AluOp::kSMod: {
      auto a = static_cast<int32_t>(dst), b = static_cast<int32_t>(src);
      if (b == 0) r = dst;
      else if (b == -1) r = 0;
      else r = static_cast<uint32_t>(a % b);
      break;
    }
    case AluOp::kXor: r = dst ^ src; break;
    case AluOp::kMov: r = src; break;
    case AluOp::kArsh: r = static_cast<uint32_t>(static_cast<int32_t>(dst) >> (src & 31)); break;
  }
  return r;
}

// The immediate operand of an ALU instruction: sign-extended for ALU64, the 32-bit pattern
// for ALU (where only the low half is read anyway).
constexpr uint64_t imm64_operand(int32_t imm) {
  return static_cast<uint64_t>(static_cast<int64_t>(imm));
}

constexpr uint64_t neg64(uint64_t v) { return 0 - v; }
constexpr uint64_t neg32(uint64_t v) { return static_cast<uint32_t>(0u - static_cast<uint32_t>(v)); }

// MOVSX: sign-extend the low `from` bits of src to 64 bits; the 32-bit form then truncates.
constexpr uint64_t movsx(uint64_t src, uint32_t from_bits, uint32_t to_bits) {
  int64_t v = 0;
  switch (from_bits) {
    case 8: v = static_cast<int8_t>(src); break;
    case 16: v = static_cast<int16_t>(src); break;
    default: v = static_cast<int32_t>(src); break;
  }
  auto r = static_cast<uint64_t>(v);
  return to_bits == 32 ? static_cast<uint32_t>(r) : r;
}

constexpr uint64_t bswap(uint64_t v, uint32_t width) {
  switch (width) {
    case 16: return static_cast<uint16_t>((v >> 8 & 0xff) | (v & 0xff) << 8);
    case 32: return __builtin_bswap32(static_cast<uint32_t>(v));
    default: return __builtin_bswap64(v);
  }
}

constexpr uint64_t truncate(uint64_t v, uint32_t width) {
  switch (width) {
    case 8: return static_cast<uint8_t>(v);
    case 16: return static_cast<uint16_t>(v);
    case 32: return static_cast<uint32_t>(v);
    default: return v;
  }
}

// Byte-order conversion on a little-endian host: le truncates, be and bswap reverse bytes
// within the width; both zero-extend.
constexpr uint64_t endian(EndianOp op, uint64_t v, uint32_t width) {
  switch (op) {
    case EndianOp::kLe: return truncate(v, width);
    case EndianOp::kBe:
    case EndianOp::kSwap: return bswap(v, width);
  }
  return v;
}

// --- Jumps --------------------------------------------------------------------------------

constexpr bool jmp64(JmpCond c, uint64_t a, uint64_t b) {
  auto sa = static_cast<int64_t>(a), sb = static_cast<int64_t>(b);
  switch (c) {
    case JmpCond::kEq: return a == b;
    case JmpCond::kGt: return a > b;
    case JmpCond::kGe: return a >= b;
    case JmpCond::kSet: return (a & b) != 0;
    case JmpCond::kNe: return a != b;
    case JmpCond::kSgt: return sa > sb;
    case JmpCond::kSge: return sa >= sb;
    case JmpCond::kLt: return a < b;
    case JmpCond::kLe: return a <= b;
    case JmpCond::kSlt: return sa < sb;
    case JmpCond::kSle: return sa <= sb;
  }
  return false;
}

constexpr bool jmp32(JmpCond c, uint64_t a, uint64_t b) {
  auto ua = static_cast<uint32_t>(a), ub = static_cast<uint32_t>(b);
  auto sa = static_cast<int32_t>(ua), sb = static_cast<int32_t>(ub);
  switch (c) {
    case JmpCond::kEq: return ua == ub;
    case JmpCond::kGt: return ua > ub;
    case JmpCond::kGe: return ua >= ub;
    case JmpCond::kSet: return (ua & ub) != 0;
    case JmpCond::kNe: return ua != ub;
    case JmpCond::kSgt: return sa > sb;
    case JmpCond::kSge: return sa >= sb;
    case JmpCond::kLt: return ua < ub;
    case JmpCond::kLe: return ua <= ub;
    case JmpCond::kSlt: return sa < sb;
    case JmpCond::kSle: return sa <= sb;
  }
  return false;
}

// --- Memory -------------------------------------------------------------------------------

// Loads and stores of `width` bits at a host address already proven accessible.
//
// Program memory is shared: other runs and the host may access map values and global data
// at the same time (the JIT's plain moves, the helpers' atomics, the host's map copies).
// Naturally aligned accesses are therefore relaxed atomics, which compile to the same
// single moves on x86-64 but make concurrent use well-defined (and visible to
// ThreadSanitizer as such); unaligned ones are plain copies.
template <typename T>
inline T load_word(const void* p) {
  if (reinterpret_cast<uintptr_t>(p) % sizeof(T) == 0) {
    return __atomic_load_n(static_cast<const T*>(p), __ATOMIC_RELAXED);
  }
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
inline void store_word(void* p, T v) {
  if (reinterpret_cast<uintptr_t>(p) % sizeof(T) == 0) {
    __atomic_store_n(static_cast<T*>(p), v, __ATOMIC_RELAXED);
    return;
  }
  std::memcpy(p, &v, sizeof(T));
}

inline uint64_t load(uint64_t addr, uint32_t width) {
  const void* p = reinterpret_cast<const void*>(addr);
  switch (width) {
    case 8: return load_word<uint8_t>(p);
    case 16: return load_word<uint16_t>(p);
    case 32: return load_word<uint32_t>(p);
    default: return load_word<uint64_t>(p);
  }
}

inline uint64_t load_sx(uint64_t addr, uint32_t width) {
  return movsx(load(addr, width), width, 64);
}

inline void store(uint64_t addr, uint32_t width, uint64_t v) {
  void* p = reinterpret_cast<void*>(addr);
  switch (width) {
    case 8: store_word(p, static_cast<uint8_t>(v)); return;
    case 16: store_word(p, static_cast<uint16_t>(v)); return;
    case 32: store_word(p, static_cast<uint32_t>(v)); return;
    default: store_word(p, v); return;
  }
}

// Copies `n` bytes of shared program memory (map values) with the same relaxed atomic
// word accesses: whole 8-byte words when both sides are aligned, bytes otherwise. The
// ranges may overlap (a program may update a value from a pointer into the same map).
inline void copy_shared(void* dst, const void* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  if (d > s && d < s + n) {  // overlapping, destination after source: copy backwards
    for (size_t i = n; i-- > 0;) store_word(d + i, load_word<uint8_t>(s + i));
    return;
  }
  size_t i = 0;
  if (reinterpret_cast<uintptr_t>(d) % 8 == 0 && reinterpret_cast<uintptr_t>(s) % 8 == 0) {
    for (; i + 8 <= n; i += 8) store_word(d + i, load_word<uint64_t>(s + i));
  }
  for (; i < n; ++i) store_word(d + i, load_word<uint8_t>(s + i));
}

// Atomic read-modify-write on an aligned-or-not address already proven accessible.
// Updates `src` and `r0` as RFC 9669 section 5.3 says: fetch forms and xchg put the old
// value (zero-extended for 32-bit) in src, cmpxchg puts it in r0.
template <typename T>
inline void atomic_rmw(AtomicOp op, uint64_t addr, uint64_t& src, uint64_t& r0) {
  T* p = reinterpret_cast<T*>(addr);
  T v = static_cast<T>(src);
  switch (op) {
    case AtomicOp::kAdd: __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); return;
    case AtomicOp::kOr: __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); return;
    case AtomicOp::kAnd: __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); return;
    case AtomicOp::kXor: __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); return;
    case AtomicOp::kFetchAdd: src = __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); return;
    case AtomicOp::kFetchOr: src = __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); return;
    case AtomicOp::kFetchAnd: src = __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); return;
    case AtomicOp::kFetchXor: src = __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); return;
    case AtomicOp::kXchg: src = __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); return;
    case AtomicOp::kCmpXchg: {
      T expected = static_cast<T>(r0);
      __atomic_compare_exchange_n(p, &expected, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
      r0 = expected;  // the old value, whether or not it matched
      return;
    }
  }
}

inline void atomic(AtomicOp op, uint32_t width, uint64_t addr, uint64_t& src, uint64_t& r0) {
  if (width == 32) {
    atomic_rmw<uint32_t>(op, addr, src, r0);
  } else {
    atomic_rmw<uint64_t>(op, addr, src, r0);
  }
}

}  // namespace bpfjit::sem
