// Records kernel_packet_matrix.txt: whether the running kernel lets each program type read
// and write its packet directly. Not part of the build or the tests; run as root:
// cc -O1 packet_probe.c -o probe && ./probe > raw.txt
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
static char logbuf[1 << 16];
static int load(int type, int attach, struct bpf_insn *insns, int n) {
  union bpf_attr a; memset(&a, 0, sizeof a);
  a.prog_type = type; a.insns = (unsigned long)insns; a.insn_cnt = n;
  a.license = (unsigned long)"GPL"; a.log_buf = (unsigned long)logbuf; a.log_size = sizeof logbuf; a.log_level = 1;
  a.expected_attach_type = attach;
  logbuf[0] = 0;
  int fd = syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a);
  if (fd >= 0) { close(fd); return 1; }
  return 0;
}
int main() {
  // type, attach, data offset, data_end offset, load width, exit value
  struct { int type, attach, data, end, w, ret; } c[] = {
    {3,0,76,80,BPF_W,0},{4,0,76,80,BPF_W,0},{6,0,0,4,BPF_W,0},{8,BPF_CGROUP_INET_INGRESS,76,80,BPF_W,1},
    {10,0,76,80,BPF_W,0},{11,0,76,80,BPF_W,0},{12,0,76,80,BPF_W,0},{14,0,76,80,BPF_W,0},
    {16,0,0,8,BPF_DW,0},{19,0,76,80,BPF_W,0},{21,0,0,8,BPF_DW,0},{22,0,76,80,BPF_W,0},
    {13,0,192,200,BPF_DW,1},{25,BPF_CGROUP_GETSOCKOPT,8,16,BPF_DW,1}};
  for (unsigned i = 0; i < sizeof c / sizeof *c; i++) {
    for (int write = 0; write <= 1; write++) {
      struct bpf_insn p[] = {
        {BPF_LDX | BPF_MEM | c[i].w, 2, 1, c[i].data, 0},
        {BPF_LDX | BPF_MEM | c[i].w, 3, 1, c[i].end, 0},
        {BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0},
        {BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, 1},
        {BPF_JMP | BPF_JGT | BPF_X, 4, 3, 2, 0},
        write ? (struct bpf_insn){BPF_ST | BPF_MEM | BPF_B, 2, 0, 0, 7} : (struct bpf_insn){BPF_LDX | BPF_MEM | BPF_B, 5, 2, 0, 0},
        {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0},
        {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, c[i].ret},
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0}};
      int ok = load(c[i].type, c[i].attach, p, 9);
      printf("%d %s %s\n", c[i].type, write ? "write" : "read", ok ? "ok" : "refused");
    }
  }
}
