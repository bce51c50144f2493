/* What every benchmark kernel source includes: the fixed-width types (no system headers, so
 * that the same file compiles for -target bpf and natively) and KERNEL(name), which declares
 *   u64 bpfjit_kernel_<name>(u8 *buf, u64 len)
 * For BPF the function goes to the section "kernel", whose bytes are the program (r1 = buf,
 * r2 = len). Kernels call nothing and use no globals, so the program needs no relocations;
 * every loop is bounded by a constant or by len. */
#ifndef BPFJIT_BENCH_KERNEL_DEF_H
#define BPFJIT_BENCH_KERNEL_DEF_H

typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT64_TYPE__ s64;

#ifdef __bpf__
#define KERNEL(name) \
  __attribute__((section("kernel"), used)) u64 bpfjit_kernel_##name(u8 *buf, u64 len)
#else
#define KERNEL(name) u64 bpfjit_kernel_##name(u8 *buf, u64 len)
#endif

#endif
