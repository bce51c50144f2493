/* What every benchmark program in bench/progs/ includes. The same source compiles twice:
 *  - for BPF (clang -target bpf, __bpf__ defined): sections, BTF-defined maps in ".maps"
 *    and the kernel's helpers by id, as libbpf programs write them;
 *  - natively (clang -O2): maps become `struct bench_map` handles that the harness binds to
 *    bpfjit BpfMap objects, and the helpers become calls of native functions with the same
 *    behaviour (bench/harness/native_shim.cc), so both sides compute the same results.
 * No system headers, so that the same file builds for both targets. */
#ifndef BPFJIT_BENCH_PROG_H
#define BPFJIT_BENCH_PROG_H

/* Types, enums, packet headers and (for BPF) the helpers by id come from the bpf-progs
 * header. The native side keeps its own struct xdp_md (below), so the kernel's is renamed
 * while the header is read. */
#ifndef __bpf__
#define xdp_md bench_kernel_xdp_md
#endif
#include "bpfjit_net.h"
#ifndef __bpf__
#undef xdp_md
#endif

/* The id of the harness's own helper bench_mix(a, b) (a cheap, pure function; see
 * bench/harness/bpf_engine.h), registered next to the built-in helpers. */
#define BENCH_HELPER_MIX 4000

#ifdef __bpf__

/* BENCH_MAP(name, type, key type, value type, max_entries) */
#define BENCH_MAP(name_, type_, key_t, val_t, max_) \
  struct {                                          \
    __uint(type, type_);                            \
    __uint(max_entries, max_);                      \
    __type(key, key_t);                             \
    __type(value, val_t);                           \
  } name_ SEC(".maps")
/* Ring buffers and program arrays have no key/value types in BTF (sizes only). */
#define BENCH_RINGBUF(name_, bytes_) \
  struct {                           \
    __uint(type, BPF_MAP_TYPE_RINGBUF); \
    __uint(max_entries, bytes_);     \
  } name_ SEC(".maps")
#define BENCH_PROG_ARRAY(name_, max_)       \
  struct {                                  \
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);  \
    __uint(max_entries, max_);              \
    __uint(key_size, 4);                    \
    __uint(value_size, 4);                  \
  } name_ SEC(".maps")

static __u64 (*bench_mix)(__u64 a, __u64 b) = (void *)BENCH_HELPER_MIX;

#define BENCH_LICENSE char LICENSE[] SEC("license") = "GPL"

/* A tail call: on success the program does not come back. */
#define BENCH_TAIL_CALL(ctx, map, index) bpf_tail_call(ctx, map, index)

/* The native side's tables: nothing for BPF. */
#define BENCH_NATIVE_MAPS(prog_, ...)
#define BENCH_NATIVE_FNS(prog_, ...)
#define BENCH_FN(f)

#else /* native */

#define BENCH_LICENSE typedef int bench_license_unused_

/* A map as the native side sees it: the harness sets `impl` to a bpfjit::BpfMap before the
 * first run (by name, with the spec the BPF object declares). For a program array `impl`
 * is the harness's table of native entry points instead. */
struct bench_map {
  const char *name;
  void *impl;
};

#define BENCH_MAP(name_, type_, key_t, val_t, max_) static struct bench_map name_ = {#name_, 0}
#define BENCH_RINGBUF(name_, bytes_) static struct bench_map name_ = {#name_, 0}
#define BENCH_PROG_ARRAY(name_, max_) static struct bench_map name_ = {#name_, 0}

/* The runtime's shadow of struct xdp_md (helpers/program_types.h XdpCtx): the packet
 * pointers are full 64-bit pointers, which is what the loader's rewrite makes BPF read. */
struct xdp_md {
  __u64 data;
  __u64 data_end;
  __u64 data_meta;
  __u32 ingress_ifindex;
  __u32 rx_queue_index;
  __u32 egress_ifindex;
  __u32 reserved;
};

void *bench_native_map_lookup_elem(struct bench_map *map, const void *key);
long bench_native_map_update_elem(struct bench_map *map, const void *key, const void *value,
                                  __u64 flags);
long bench_native_ringbuf_output(struct bench_map *map, const void *data, __u64 size,
                                 __u64 flags);
void *bench_native_ringbuf_reserve(struct bench_map *map, __u64 size, __u64 flags);
void bench_native_ringbuf_submit(void *data, __u64 flags);
__u64 bench_native_mix(__u64 a, __u64 b);
typedef int (*bench_native_entry)(void *ctx);
bench_native_entry bench_native_tail_target(struct bench_map *map, __u32 index);

#define bpf_map_lookup_elem(m, k) bench_native_map_lookup_elem((struct bench_map *)(m), k)
#define bpf_map_update_elem(m, k, v, f) \
  bench_native_map_update_elem((struct bench_map *)(m), k, v, f)
#define bpf_ringbuf_output(m, d, s, f) \
  bench_native_ringbuf_output((struct bench_map *)(m), d, s, f)
#define bpf_ringbuf_reserve(m, s, f) bench_native_ringbuf_reserve((struct bench_map *)(m), s, f)
#define bpf_ringbuf_submit(d, f) bench_native_ringbuf_submit(d, f)
#define bench_mix(a, b) bench_native_mix(a, b)
/* The native tail call calls the target and returns its verdict; a missing slot falls
 * through, as in BPF. */
#define BENCH_TAIL_CALL(ctx, map, index)                                              \
  do {                                                                                \
    bench_native_entry target_ = bench_native_tail_target((struct bench_map *)(map), index); \
    if (target_) return target_(ctx);                                                 \
  } while (0)

/* The tables the harness finds an object's native maps and functions by. */
struct bench_native_fn {
  const char *name;
  void *fn;
};
#define BENCH_NATIVE_MAPS(prog_, ...) \
  struct bench_map *bench_maps_##prog_[] = {__VA_ARGS__, 0}
#define BENCH_NATIVE_FNS(prog_, ...) \
  const struct bench_native_fn bench_fns_##prog_[] = {__VA_ARGS__, {0, 0}}
#define BENCH_FN(f) {#f, (void *)f}

#endif /* __bpf__ */

/* The IPv4 header of an xdp frame, or 0 unless the frame is Ethernet + a whole IPv4 header. */
static __always_inline struct iphdr *bench_ipv4(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return 0;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return 0;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return 0;
  return ip;
}

#endif
