/* The other CO-RE relocation kinds on a runnable mem program: an access string through
 * an array of structs and an anonymous union, a field's signedness and offset, type
 * matches/exists/size (also of a typedef), enum value existence, and the local type id. */
#include "bpfjit_core.h"

struct inner {
  __u16 x;
  __u16 y;
};

struct outer {
  __u32 tag;
  union {
    __u32 as_u32;
    __u8 bytes[4];
  };
  struct inner items[4];
  __s32 delta;
} __attribute__((preserve_access_index));

typedef struct outer outer_t;

enum color { RED = 1, GREEN = 2 };

/* A type no target has. */
struct missing___x {
  int q;
} __attribute__((preserve_access_index));

SEC("mem")
__u64 kinds(struct outer *o, __u64 len) {
  __u64 v = (__u8)o->items[2].y;
  v |= (__u64)(__u8)o->as_u32 << 8;
  v |= (__u64)__builtin_preserve_field_info(o->delta, BPF_FIELD_SIGNED) << 16;
  v |= (__u64)(__u8)bpf_core_field_offset(o->items[1].x) << 24;
  v |= (__u64)bpf_core_type_matches(struct outer) << 32;
  v |= (__u64)bpf_core_type_exists(struct missing___x) << 33;
  v |= (__u64)bpf_core_enum_value_exists(enum color, GREEN) << 34;
  v |= (__u64)(__u8)bpf_core_enum_value(enum color, GREEN) << 40;
  v |= (__u64)(__u8)bpf_core_type_size(outer_t) << 48;
  v |= (__u64)(__u8)bpf_core_type_id_local(outer_t) << 56;
  return v;
}

char LICENSE[] SEC("license") = "GPL";
