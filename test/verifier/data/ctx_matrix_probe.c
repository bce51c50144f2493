// Records kernel_ctx_matrix.txt: which context loads and stores the running kernel accepts
// per program type. Not part of the build or the tests (they read the recorded answers);
// run as root: cc -O1 ctx_matrix_probe.c -o probe && ./probe > raw.txt
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <errno.h>
static char logbuf[1 << 16];
static int load(int type, int attach, struct bpf_insn *insns, int n) {
  union bpf_attr a; memset(&a, 0, sizeof a);
  a.prog_type = type; a.insns = (unsigned long)insns; a.insn_cnt = n;
  a.license = (unsigned long)"GPL"; a.log_buf = (unsigned long)logbuf; a.log_size = sizeof logbuf; a.log_level = 1;
  a.expected_attach_type = attach;
  logbuf[0] = 0;
  int fd = syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a);
  if (fd >= 0) { close(fd); return 1; }
  if (strstr(logbuf, "processed")) {
    // verifier passed but load failed later (e.g. EPERM for attach): count as accepted
    if (!strstr(logbuf, "invalid") && !strstr(logbuf, "denied") && !strstr(logbuf, "cannot")) return 1;
  }
  return 0;
}
int main() {
  int types[] = {1,3,4,6,8,9,10,11,12,13,14,15,16,18,19,21,22,23,25,30,2,5,7,17};
  int sizes[] = {192,192,192,24,192,80,192,192,192,216,192,12,80,72,192,56,192,8,40,72,168,64,184,96};
  int attach[40] = {0};
  attach[18] = BPF_CGROUP_INET4_CONNECT; attach[25] = BPF_CGROUP_GETSOCKOPT; attach[30] = BPF_SK_LOOKUP;
  attach[8] = BPF_CGROUP_INET_INGRESS; attach[9] = BPF_CGROUP_INET_SOCK_CREATE;
  for (unsigned i = 0; i < sizeof types / sizeof *types; i++) {
    int t = types[i];
    for (int sz = 1; sz <= 8; sz *= 2) {
      int bpfsz = sz == 1 ? BPF_B : sz == 2 ? BPF_H : sz == 4 ? BPF_W : BPF_DW;
      for (int off = 0; off < sizes[i]; off += sz) {
        struct bpf_insn rd[] = {
          {BPF_LDX | BPF_MEM | bpfsz, 2, 1, off, 0},
          {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, (t == 18 || t==9||t==8||t==15||t==23||t==25||t==13||t==30) ? 1 : 0},
          {BPF_JMP | BPF_EXIT, 0, 0, 0, 0}};
        struct bpf_insn wr[] = {
          {BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 0},
          {BPF_STX | BPF_MEM | bpfsz, 1, 2, off, 0},
          {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, (t == 18 || t==9||t==8||t==15||t==23||t==25||t==13||t==30) ? 1 : 0},
          {BPF_JMP | BPF_EXIT, 0, 0, 0, 0}};
        int r = load(t, attach[t], rd, 3);
        int w = load(t, attach[t], wr, 4);
        if (r || w) printf("%d %d %d %s%s\n", t, off, sz, r ? "r" : "", w ? "w" : "");
      }
    }
  }
}
