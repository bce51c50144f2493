// Records kernel_helper_matrix.txt: which helper ids the running kernel lets each program
// type call. Not part of the build or the tests (they read the recorded answers); run it
// as root on a machine whose kernel should be the oracle:
//   cc -O1 helper_matrix_probe.c -o probe -lbpf && ./probe > raw.txt
// Each line of raw.txt is "<type> <id> <verdict> errno=<n> <last log line>", verdict
// "no" when the log says "unknown func" or "cannot use helper", "ok" when the program
// loaded, "yes" when it was refused later (for its arguments: the helper is allowed), and
// "err" when the load failed with no log (the type could not be loaded at all).
#include <linux/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <errno.h>
static char logbuf[1 << 16];
static int load(int type, int attach, int btf_id, int helper, int *err) {
  struct bpf_insn insns[] = {
    {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0},
    {BPF_JMP | BPF_CALL, 0, 0, 0, helper},
    {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0},
    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  union bpf_attr a; memset(&a, 0, sizeof a);
  a.prog_type = type; a.insns = (unsigned long)insns; a.insn_cnt = 4;
  a.license = (unsigned long)"GPL"; a.log_buf = (unsigned long)logbuf; a.log_size = sizeof logbuf; a.log_level = 1;
  a.expected_attach_type = attach; a.attach_btf_id = btf_id;
  logbuf[0] = 0;
  int fd = syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a);
  *err = errno;
  if (fd >= 0) close(fd);
  return fd;
}
int main() {
  struct btf *vm = btf__load_vmlinux_btf();
  int fentry = vm ? btf__find_by_name_kind(vm, "bpf_fentry_test1", BTF_KIND_FUNC) : -1;
  int lsm = vm ? btf__find_by_name_kind(vm, "bpf_lsm_file_open", BTF_KIND_FUNC) : -1;
  struct { int type, attach, btf; } t[40];
  for (int i = 0; i < 40; i++) { t[i].type = i; t[i].attach = 0; t[i].btf = 0; }
  t[BPF_PROG_TYPE_CGROUP_SOCK_ADDR].attach = BPF_CGROUP_INET4_CONNECT;
  t[BPF_PROG_TYPE_CGROUP_SOCKOPT].attach = BPF_CGROUP_GETSOCKOPT;
  t[BPF_PROG_TYPE_SK_LOOKUP].attach = BPF_SK_LOOKUP;
  t[BPF_PROG_TYPE_TRACING].attach = BPF_TRACE_FENTRY; t[BPF_PROG_TYPE_TRACING].btf = fentry;
  t[BPF_PROG_TYPE_LSM].attach = BPF_LSM_MAC; t[BPF_PROG_TYPE_LSM].btf = lsm;
  t[BPF_PROG_TYPE_CGROUP_SKB].attach = BPF_CGROUP_INET_INGRESS;
  for (int ty = 1; ty <= 32; ty++) {
    for (int h = 1; h <= 209; h++) {
      int err; int fd = load(t[ty].type, t[ty].attach, t[ty].btf, h, &err);
      const char *v;
      if (fd >= 0) v = "ok";
      else if (strstr(logbuf, "cannot use helper") || strstr(logbuf, "unknown func")) v = "no";
      else if (strstr(logbuf, "!read_ok") || strstr(logbuf, "R1 ") || strstr(logbuf, "R2 ") || strstr(logbuf, "R3 ") || strstr(logbuf, "arg") || logbuf[0]) v = "yes";
      else v = "err";
      char first[200] = ""; 
      if (strcmp(v, "yes") == 0 || strcmp(v, "err") == 0) { char *p = logbuf; char *nl; while ((nl = strchr(p, '\n')) && nl[1]) p = nl + 1; snprintf(first, sizeof first, "%s", p); char *q = strchr(first, '\n'); if (q) *q = 0; }
      printf("%d %d %s errno=%d %s\n", ty, h, v, fd >= 0 ? 0 : err, first);
    }
  }
}
