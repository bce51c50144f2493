/* Programs named by their section: code in executable sections that no function symbol
 * names, as old clang and hand-written assembly left them. Each section is one program,
 * named by the section; one static (local) function is a program named by its symbol. */
#include "bpfjit_helpers.h"

struct bpf_map_def SEC("maps") seen = {
    .type = BPF_MAP_TYPE_ARRAY,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u64),
    .max_entries = 1,
};

/* xdp1: XDP_PASS. */
asm(".pushsection xdp1,\"ax\",@progbits\n"
    "  r0 = 2\n"
    "  exit\n"
    ".popsection\n");

/* socket1: the packet's length. */
asm(".pushsection socket1,\"ax\",@progbits\n"
    "  r0 = *(u32 *)(r1 + 0)\n"
    "  exit\n"
    ".popsection\n");

/* kprobe/sys_foo (a mem program here): 42, by a call to a subprogram in the section. */
asm(".pushsection \"kprobe/sys_foo\",\"ax\",@progbits\n"
    "  call .Lsys_foo_sub\n"
    "  r0 += 40\n"
    "  exit\n"
    ".Lsys_foo_sub:\n"
    "  r0 = 2\n"
    "  exit\n"
    ".popsection\n");

/* tracepoint/x/y (mem): counts its runs in the legacy map `seen`, returns the count. */
asm(".pushsection \"tracepoint/x/y\",\"ax\",@progbits\n"
    "  r1 = 0\n"
    "  *(u32 *)(r10 - 4) = r1\n"
    "  r2 = r10\n"
    "  r2 += -4\n"
    "  r1 = seen ll\n"
    "  call 1\n"
    "  if r0 == 0 goto +4\n"
    "  r1 = *(u64 *)(r0 + 0)\n"
    "  r1 += 1\n"
    "  *(u64 *)(r0 + 0) = r1\n"
    "  r0 = r1\n"
    "  exit\n"
    ".popsection\n");

SEC("classifier")
static int cls_static(struct __sk_buff *skb) { return 3; }

char LICENSE[] SEC("license") = "GPL";
