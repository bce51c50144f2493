// Records kernel_return_matrix.txt: which exit values the running kernel accepts per
// program type and expected attach type. Not part of the build or the tests; run as root:
// cc -O1 return_probe.c -o probe && ./probe > raw.txt
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
static char logbuf[1 << 16];
static int load(int type, int attach, int v) {
  struct bpf_insn insns[] = {{BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, v}, {BPF_JMP | BPF_EXIT, 0, 0, 0, 0}};
  union bpf_attr a; memset(&a, 0, sizeof a);
  a.prog_type = type; a.insns = (unsigned long)insns; a.insn_cnt = 2;
  a.license = (unsigned long)"GPL"; a.log_buf = (unsigned long)logbuf; a.log_size = sizeof logbuf; a.log_level = 1;
  a.expected_attach_type = attach;
  logbuf[0] = 0;
  int fd = syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a);
  if (fd >= 0) { close(fd); return 1; }
  return strstr(logbuf, "processed") && !strstr(logbuf, "should have been") && !strstr(logbuf, "At program exit") ? 1 : 0;
}
int main() {
  struct { int type, attach; } cases[] = {
    {1,0},{2,0},{3,0},{4,0},{5,0},{6,0},{7,0},{8,BPF_CGROUP_INET_INGRESS},{8,BPF_CGROUP_INET_EGRESS},
    {9,BPF_CGROUP_INET_SOCK_CREATE},{10,0},{11,0},{12,0},{13,0},{14,0},{15,0},{16,0},{17,0},
    {18,BPF_CGROUP_INET4_CONNECT},{18,BPF_CGROUP_UDP4_RECVMSG},{18,BPF_CGROUP_INET4_GETPEERNAME},
    {19,0},{21,0},{22,0},{23,0},{24,0},{25,BPF_CGROUP_GETSOCKOPT},{30,BPF_SK_LOOKUP}};
  int vals[] = {-4096, -1, 0, 1, 2, 3, 4};
  for (unsigned i = 0; i < sizeof cases / sizeof *cases; i++) {
    printf("%d %d", cases[i].type, cases[i].attach);
    for (unsigned j = 0; j < 7; j++) if (load(cases[i].type, cases[i].attach, vals[j])) printf(" %d", vals[j]);
    printf("\n");
  }
}
