/* Not a CO-RE program: its BTF is a target for core_fields.c and core_kinds.c (`bpfjit run
 * core_fields.v3.o --btf core_target.v3.o`): a newer `struct rec` whose fields moved, whose
 * `d` shrank to 32 bits and which gained `extra`; an enum whose REC_MODE_FAST is 9; a
 * `struct outer` whose union and array moved; enum color with GREEN = 5.
 * test/loader/data/libbpf_core_relo.txt records libbpf's relocation against this file's
 * BTF: re-record it (test/loader/tools/libbpf_core_oracle.c) after changing the types. */
#include "bpfjit_core.h"

struct rec {
  __u32 d;
  __u32 pad;
  __u32 b;
  __u32 a;
  __u8 hi : 5, lo : 3;
  __u32 extra;
};

enum rec_mode { REC_MODE_OFF = 0, REC_MODE_FAST = 9 };

struct inner {
  __u16 x;
  __u16 y;
};

struct outer {
  __u32 tag;
  __s32 delta;
  union {
    __u32 as_u32;
    __u8 bytes[4];
  };
  struct inner items[4];
};

typedef struct outer outer_t;

enum color { RED = 1, GREEN = 5 };

struct rec layout_example;
outer_t outer_example;
enum color color_example = GREEN;
enum rec_mode mode_example = REC_MODE_FAST;

SEC("mem")
int target_layout(void *buf, __u64 len) {
  return layout_example.a + mode_example + outer_example.tag + color_example;
}

char LICENSE[] SEC("license") = "GPL";
