/* For the CO-RE and extern fixtures: the integer types the kernel's headers would give,
 * then libbpf's own BPF-side headers (SEC, __kconfig, __ksym, BPF_CORE_READ,
 * bpf_core_field_exists...). No vmlinux.h: each fixture declares the few kernel structs it
 * reads itself, with __attribute__((preserve_access_index)). */
#ifndef BPFJIT_CORE_H
#define BPFJIT_CORE_H

typedef unsigned char __u8;
typedef signed char __s8;
typedef unsigned short __u16;
typedef short __s16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#endif
