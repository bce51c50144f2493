// A profiler's probes: stack ids into a stack_trace map keyed with the command name, a
// uprobe on a library function reading its argument string, and a kernel memory read
// with bpf_probe_read_kernel.
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define MAX_STACK_DEPTH 32

struct stack_key {
  char comm[16];
  __s32 kernel_stack;
  __s32 user_stack;
};

struct {
  __uint(type, BPF_MAP_TYPE_STACK_TRACE);
  __uint(max_entries, 4096);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, MAX_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, struct stack_key);
  __type(value, __u64);
} counts SEC(".maps");

SEC("kprobe/finish_task_switch")
int BPF_KPROBE(sample_stack) {
  struct stack_key key = {};
  bpf_get_current_comm(&key.comm, sizeof(key.comm));
  key.kernel_stack = bpf_get_stackid(ctx, &stacks, 0);
  key.user_stack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
  __u64 one = 1, *n = bpf_map_lookup_elem(&counts, &key);
  if (n)
    __sync_fetch_and_add(n, 1);
  else
    bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
  return 0;
}

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 64 * 1024);
} lines SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(trace_puts, const char *s) {
  char *buf = bpf_ringbuf_reserve(&lines, 64, 0);
  if (!buf) return 0;
  bpf_probe_read_user_str(buf, 64, s);
  bpf_ringbuf_submit(buf, 0);
  return 0;
}

SEC("kprobe/vfs_read")
int BPF_KPROBE(read_file_flags, void *file) {
  unsigned int flags = 0;
  bpf_probe_read_kernel(&flags, sizeof(flags), file);
  return flags & 1;
}

char LICENSE[] SEC("license") = "GPL";
