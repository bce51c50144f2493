/* Maps of many kernel types, some of which the runtime does not run: the object loads,
 * every map is created with its spec, the program that only uses an array runs, and the one
 * that calls a helper on the stack trace map fails its run with an error naming that map. */
#include "bpfjit_helpers.h"

enum {
  MT_PERF_EVENT_ARRAY = 4,
  MT_STACK_TRACE = 7,
  MT_LPM_TRIE = 11,
  MT_DEVMAP = 14,
  MT_SOCKHASH = 18,
  MT_CGROUP_STORAGE = 19,
  MT_SK_STORAGE = 24,
  MT_BLOOM_FILTER = 30,
  MT_USER_RINGBUF = 31,
};

struct lpm_v4_key {
  __u32 prefixlen;
  __u32 addr;
};

struct cgroup_storage_key {
  __u64 cgroup_inode_id;
  __u32 attach_type;
};

struct {
  __uint(type, MT_PERF_EVENT_ARRAY);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct {
  __uint(type, MT_STACK_TRACE);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, 127 * sizeof(__u64));
  __uint(max_entries, 64);
} stacks SEC(".maps");

struct {
  __uint(type, MT_LPM_TRIE);
  __type(key, struct lpm_v4_key);
  __type(value, __u32);
  __uint(max_entries, 16);
  __uint(map_flags, 1);
} prefixes SEC(".maps");

struct {
  __uint(type, MT_DEVMAP);
  __type(key, __u32);
  __type(value, __u32);
  __uint(max_entries, 4);
} ports SEC(".maps");

struct {
  __uint(type, MT_SOCKHASH);
  __type(key, __u64);
  __type(value, __u64);
  __uint(max_entries, 8);
} socks SEC(".maps");

struct {
  __uint(type, MT_CGROUP_STORAGE);
  __type(key, struct cgroup_storage_key);
  __type(value, __u64);
} cg_bytes SEC(".maps");

struct {
  __uint(type, MT_SK_STORAGE);
  __type(key, int);
  __type(value, __u64);
  __uint(map_flags, 1);
} sk_marks SEC(".maps");

struct {
  __uint(type, MT_BLOOM_FILTER);
  __type(value, __u32);
  __uint(max_entries, 100);
} seen SEC(".maps");

struct {
  __uint(type, MT_USER_RINGBUF);
  __uint(max_entries, 4096);
} commands SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 1);
} counts SEC(".maps");

SEC("mem")
int count(void *buf, __u64 len) {
  __u32 key = 0;
  __u64 *v = bpf_map_lookup_elem(&counts, &key);
  if (!v) return -1;
  *v += 1;
  return (int)*v;
}

SEC("mem")
int touch_stacks(void *buf, __u64 len) {
  __u32 key = 0;
  return bpf_map_lookup_elem(&stacks, &key) != 0;
}

char LICENSE[] SEC("license") = "GPL";
