/* ns per bpf_map_lookup_elem on a hash map with an 8-byte key (see map_lookup.h). */
#include "map_lookup.h"

BENCH_MAP_LOOKUP_PROG(map_lookup_hash, BPF_MAP_TYPE_HASH, __u64);
