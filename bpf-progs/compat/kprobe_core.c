// Tracing with CO-RE: a kprobe on a process-exec path and a tracepoint on sched_switch,
// reading kernel structs declared locally with preserve_access_index (no vmlinux.h), as
// observability agents do.
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

struct task_struct {
  int pid;
  int tgid;
  struct task_struct *real_parent;
  char comm[16];
} __attribute__((preserve_access_index));

struct file {
  unsigned int f_flags;
} __attribute__((preserve_access_index));

struct event {
  __u32 pid;
  __u32 ppid;
  char comm[16];
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 10240);
  __type(key, __u32);
  __type(value, struct event);
} seen SEC(".maps");

SEC("kprobe/do_sys_openat2")
int BPF_KPROBE(trace_openat2, int dfd, const char *filename) {
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  struct event ev = {};
  ev.pid = BPF_CORE_READ(task, tgid);
  ev.ppid = BPF_CORE_READ(task, real_parent, tgid);
  BPF_CORE_READ_STR_INTO(&ev.comm, task, comm);
  bpf_map_update_elem(&seen, &ev.pid, &ev, BPF_ANY);
  return 0;
}

SEC("kretprobe/do_sys_openat2")
int BPF_KRETPROBE(trace_openat2_ret, long ret) {
  __u32 pid = bpf_get_current_pid_tgid() >> 32;
  if (ret < 0) bpf_map_delete_elem(&seen, &pid);
  return 0;
}

struct trace_event_raw_sched_switch {
  char prev_comm[16];
  int prev_pid;
  int prev_prio;
  long prev_state;
  char next_comm[16];
  int next_pid;
  int next_prio;
} __attribute__((preserve_access_index));

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} switches SEC(".maps");

SEC("tracepoint/sched/sched_switch")
int tp_sched_switch(struct trace_event_raw_sched_switch *ctx) {
  __u32 zero = 0;
  if (ctx->next_pid == 0) return 0;
  __u64 *n = bpf_map_lookup_elem(&switches, &zero);
  if (n) __sync_fetch_and_add(n, 1);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
