/* CO-RE on a mem program that the runtime can run: the buffer holds a `struct rec` laid
 * out as the target BTF says (the tests write target BTF files with other layouts), and
 * the program reads it through relocated offsets, sizes and bitfield shifts. Each result
 * lands in its own byte of r0. */
#include "bpfjit_core.h"

struct rec {
  __u32 a;
  __u32 b;
  __u16 c;
  __u8 lo : 3, hi : 5;
  __u64 d;
} __attribute__((preserve_access_index));

/* A newer layout adds a field; a flavor of the same struct asks for it. */
struct rec___new {
  __u32 extra;
} __attribute__((preserve_access_index));

enum rec_mode { REC_MODE_OFF = 0, REC_MODE_FAST = 7 };

SEC("mem")
__u64 read_rec(struct rec *r, __u64 len) {
  __u64 v = r->a;
  v |= (__u64)BPF_CORE_READ(r, b) << 8;
  v |= (__u64)(__u8)r->d << 16;
  v |= (__u64)bpf_core_field_size(r->d) << 24;
  if (bpf_core_field_exists(((struct rec___new *)r)->extra))
    v |= (__u64)(__u8)((struct rec___new *)r)->extra << 32;
  v |= (__u64)(__u8)BPF_CORE_READ_BITFIELD(r, hi) << 40;
  v |= (__u64)(__u8)bpf_core_enum_value(enum rec_mode, REC_MODE_FAST) << 48;
  v |= (__u64)(__u8)bpf_core_type_size(struct rec) << 56;
  return v;
}

char LICENSE[] SEC("license") = "GPL";
