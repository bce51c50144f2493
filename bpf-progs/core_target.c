/* Not a CO-RE program: its BTF is a target for core_fields.c (`bpfjit run core_fields.v3.o
 * --btf core_target.v3.o`), describing a newer `struct rec` whose fields moved, whose `d`
 * shrank to 32 bits and which gained `extra`, and an enum whose REC_MODE_FAST is 9. */
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

struct rec layout_example;
enum rec_mode mode_example = REC_MODE_FAST;

SEC("mem")
int target_layout(void *buf, __u64 len) {
  return layout_example.a + mode_example;
}

char LICENSE[] SEC("license") = "GPL";
