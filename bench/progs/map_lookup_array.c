/* ns per bpf_map_lookup_elem on an array map with a 4-byte key (see map_lookup.h). */
#include "map_lookup.h"

BENCH_MAP_LOOKUP_PROG(map_lookup_array, BPF_MAP_TYPE_ARRAY, __u32);
