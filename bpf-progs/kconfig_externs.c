/* .kconfig externs as libbpf lays them out: a strong LINUX_KERNEL_VERSION, weak options of
 * each kind (bool, tristate, int, char array). The mem program returns them packed. */
#include "bpfjit_core.h"

extern __u32 LINUX_KERNEL_VERSION __kconfig;
extern _Bool CONFIG_BPF_SYSCALL __kconfig __weak;
extern enum libbpf_tristate CONFIG_NF_CONNTRACK __kconfig __weak;
extern int CONFIG_HZ __kconfig __weak;
extern char CONFIG_DEFAULT_HOSTNAME[8] __kconfig __weak;
extern _Bool CONFIG_NOT_GIVEN __kconfig __weak;

SEC("mem")
__u64 read_config(void *buf, __u64 len) {
  __u64 v = LINUX_KERNEL_VERSION & 0xffffff;
  v |= (__u64)CONFIG_BPF_SYSCALL << 24;
  v |= (__u64)(CONFIG_NF_CONNTRACK & 0xf) << 28;
  v |= (__u64)(CONFIG_HZ & 0xffff) << 32;
  v |= (__u64)(__u8)CONFIG_DEFAULT_HOSTNAME[0] << 48;
  v |= (__u64)CONFIG_NOT_GIVEN << 56;
  return v;
}

char LICENSE[] SEC("license") = "GPL";
