// The benchmark kernels: their native versions, where their BPF programs lie, and how to
// fill their input. Shared by every benchmark that compares engines with native code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

// The nine kernels, each in bench/kernels/NAME.c.
#define BPFJIT_BENCH_KERNELS(X)                                                            \
  X(count_loop) X(primes) X(fnv1a) X(bubble_sort) X(memcpy) X(strcmp) X(log2) X(switch_dispatch) \
  X(calls)

extern "C" {
#define X(name) uint64_t bpfjit_kernel_##name(uint8_t* buf, uint64_t len);
BPFJIT_BENCH_KERNELS(X)
#undef X
}

namespace bpfjit::bench {

using KernelFn = uint64_t (*)(uint8_t* buf, uint64_t len);
using FillFn = void (*)(uint8_t* buf, size_t len);

struct Kernel {
  const char* name;
  KernelFn native;
  size_t input_size;  // bytes; the program gets r1 = buffer, r2 = this length
  FillFn fill;        // deterministic input; call it again before every run (some kernels
                      // write their buffer)
  bool loop_heavy;    // one of the four the interpreter's speed target is measured on
};

// A deterministic byte stream (a 64-bit LCG's high bytes).
inline void fill_random(uint8_t* buf, size_t len) {
  uint64_t x = 0x2545f4914f6cdd1dull;
  for (size_t i = 0; i < len; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    buf[i] = static_cast<uint8_t>(x >> 56);
  }
}

inline void fill_u32(uint8_t* buf, size_t len, uint32_t v) {
  if (len >= 4) std::memcpy(buf, &v, 4);
}

// Two equal NUL-terminated strings of printable bytes in the halves, differing only in
// the last byte before each NUL.
inline void fill_strings(uint8_t* buf, size_t len) {
  size_t half = len / 2;
  if (half < 2) return;
  fill_random(buf, half);
  for (size_t i = 0; i < half; ++i) buf[i] = static_cast<uint8_t>('a' + buf[i] % 26);
  buf[half - 1] = 0;
  std::memcpy(buf + half, buf, half);
  buf[2 * half - 2] = 'A';
}

inline std::span<const Kernel> kernels() {
  static const Kernel kAll[] = {
      {"count_loop", bpfjit_kernel_count_loop, 8,
       [](uint8_t* b, size_t n) { fill_u32(b, n, 0x12345678); }, true},
      {"primes", bpfjit_kernel_primes, 4,
       [](uint8_t* b, size_t n) { fill_u32(b, n, 30000); }, true},
      {"fnv1a", bpfjit_kernel_fnv1a, 64 * 1024, fill_random, true},
      {"bubble_sort", bpfjit_kernel_bubble_sort, 512 * 4, fill_random, true},
      {"memcpy", bpfjit_kernel_memcpy, 64 * 1024, fill_random, false},
      {"strcmp", bpfjit_kernel_strcmp, 64 * 1024, fill_strings, false},
      {"log2", bpfjit_kernel_log2, 64 * 1024, fill_random, false},
      {"switch_dispatch", bpfjit_kernel_switch_dispatch, 64 * 1024, fill_random, false},
      {"calls", bpfjit_kernel_calls, 64 * 1024, fill_random, false},
  };
  return kAll;
}

// The BPF program of a kernel at -mcpu=v3 or v4 ("v3", "v4"), built into the build tree.
inline std::string kernel_path(const char* name, const char* cpu) {
#ifdef BPFJIT_KERNELS_DIR
  return std::string(BPFJIT_KERNELS_DIR) + "/" + name + "." + cpu + ".bin";
#else
  return std::string(name) + "." + cpu + ".bin";
#endif
}

}  // namespace bpfjit::bench
