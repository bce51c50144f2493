/* A kfunc call: refused by the loader, naming the kfunc. */
#include "bpfjit_core.h"

struct task_struct {
  int pid;
} __attribute__((preserve_access_index));

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

SEC("tp_btf/task_newtask")
int take_task(__u64 *ctx) {
  struct task_struct *t = bpf_task_acquire((struct task_struct *)ctx[0]);
  if (!t) return 0;
  bpf_task_release(t);
  return 1;
}

char LICENSE[] SEC("license") = "GPL";
