/* String handling: bpf_strncmp against constant commands and bpf_snprintf formatting into
 * a global buffer the host reads back. The input buffer holds a NUL-terminated command. */
#include "bpfjit_helpers.h"

char out[64];    /* .bss: the formatted message */
__u64 out_len;

SEC("mem")
int command(void *buf, __u64 len) {
  char cmd[16] = {};
  __u8 *p = buf;
  for (__u32 i = 0; i < 15; ++i) {
    if (i >= len) break;
    cmd[i] = p[i];
  }
  int code = 0;
  if (bpf_strncmp(cmd, sizeof(cmd), "start") == 0)
    code = 1;
  else if (bpf_strncmp(cmd, sizeof(cmd), "stop") == 0)
    code = 2;
  else if (bpf_strncmp(cmd, sizeof(cmd), "status") == 0)
    code = 3;
  __u64 args[3] = {code, len, (__u64)(cmd[0])};
  out_len = bpf_snprintf(out, sizeof(out), "cmd=%d len=%llu first=%c", args, sizeof(args));
  return code;
}

char LICENSE[] SEC("license") = "GPL";
