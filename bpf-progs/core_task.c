/* Tracing programs in the style of real CO-RE tools: kernel structs declared locally (no
 * vmlinux.h) with preserve_access_index, read with BPF_CORE_READ, a field renamed between
 * kernel versions handled with a ___flavor struct and bpf_core_field_exists, and an enum
 * value taken from the target kernel. */
#include "bpfjit_core.h"

struct task_struct {
  int pid;
  int tgid;
  unsigned int __state;
  struct task_struct *real_parent;
  char comm[16];
} __attribute__((preserve_access_index));

/* Before Linux 5.14 the field was `long state`. */
struct task_struct___old {
  long state;
} __attribute__((preserve_access_index));

enum pid_type { PIDTYPE_PID, PIDTYPE_TGID, PIDTYPE_PGID, PIDTYPE_SID, PIDTYPE_MAX };

SEC("kprobe/do_exit")
int trace_exit(void *ctx) {
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  int ppid = BPF_CORE_READ(task, real_parent, tgid);
  long state;
  if (bpf_core_field_exists(task->__state))
    state = BPF_CORE_READ(task, __state);
  else
    state = BPF_CORE_READ((struct task_struct___old *)task, state);
  return ppid + (int)state;
}

SEC("tp_btf/sched_process_exit")
int on_exit(__u64 *ctx) {
  struct task_struct *t = (struct task_struct *)ctx[0];
  return t->pid + bpf_core_enum_value(enum pid_type, PIDTYPE_TGID);
}

SEC("raw_tp/sched_switch")
int on_switch(__u64 *ctx) {
  struct task_struct *next = (struct task_struct *)ctx[2];
  char comm[16];
  bpf_core_read_str(comm, sizeof(comm), &next->comm);
  return comm[0] + bpf_core_type_exists(struct task_struct___old) +
         (int)bpf_core_type_id_kernel(struct task_struct);
}

char LICENSE[] SEC("license") = "GPL";
