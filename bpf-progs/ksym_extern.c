/* A __ksym variable: refused by the loader, naming the symbol. */
#include "bpfjit_core.h"

extern const int bpf_prog_active __ksym;

SEC("tp_btf/sched_switch")
int read_ksym(void *ctx) {
  return *(const int *)&bpf_prog_active;
}

char LICENSE[] SEC("license") = "GPL";
