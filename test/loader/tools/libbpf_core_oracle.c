/* The oracle of test/loader/data/libbpf_core_relo.txt: libbpf's own CO-RE relocation of
 * an object against a target BTF file. Prints the relocated instructions of every program
 * ("program slot opcode regs off imm" lines). The programs are given the kprobe type so
 * that libbpf gets as far as loading them: the kernel's verdict does not matter (it may
 * refuse them), the instructions libbpf relocated do.
 *
 *   gcc libbpf_core_oracle.c -o oracle -lbpf
 *   ./oracle build/bpf-progs/core_fields.v3.o build/bpf-progs/core_target.v3.o */
#include <bpf/libbpf.h>
#include <stdio.h>
int main(int argc, char **argv) {
  LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = argv[2]);
  struct bpf_object *o = bpf_object__open_file(argv[1], &opts);
  if (!o) { perror("open"); return 1; }
  struct bpf_program *p;
  bpf_object__for_each_program(p, o) bpf_program__set_type(p, BPF_PROG_TYPE_KPROBE);
  int err = bpf_object__load(o);
  fprintf(stderr, "load %d\n", err);
  bpf_object__for_each_program(p, o) {
    const struct bpf_insn *in = bpf_program__insns(p);
    size_t n = bpf_program__insn_cnt(p);
    for (size_t i = 0; i < n; i++)
      printf("%s %zu %02x %02x %d %d\n", bpf_program__name(p), i, in[i].code,
             in[i].dst_reg | in[i].src_reg << 4, in[i].off, in[i].imm);
  }
  return 0;
}
