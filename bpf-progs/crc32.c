/* CRC-32 (IEEE 802.3, reflected, polynomial 0xedb88320) of the input with a 256-entry
 * table in .rodata, and a v4-friendly signed statistic (sign-extending loads, signed
 * division) over the input's signed bytes. */
#include "bpfjit_helpers.h"

#define P 0xedb88320u
#define T1(c) (((c) & 1) ? ((c) >> 1) ^ P : (c) >> 1)
#define T8(c) T1(T1(T1(T1(T1(T1(T1(T1(c))))))))
#define R4(n) T8(n), T8(n + 1), T8(n + 2), T8(n + 3)
#define R16(n) R4(n), R4(n + 4), R4(n + 8), R4(n + 12)
#define R64(n) R16(n), R16(n + 16), R16(n + 32), R16(n + 48)
static const __u32 crc_table[256] = {R64(0u), R64(64u), R64(128u), R64(192u)};

SEC("mem")
__u32 crc32(void *buf, __u64 len) {
  __u8 *p = buf;
  __u32 crc = 0xffffffff;
  for (__u32 i = 0; i < 512; ++i) {
    if (i >= len) break;
    crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  }
  return ~crc;
}

SEC("mem")
__s64 signed_mean(void *buf, __u64 len) {
  __s8 *p = buf;
  __s64 sum = 0;
  __s64 n = 0;
  for (__u32 i = 0; i < 512; ++i) {
    if (i >= len) break;
    sum += p[i];
    n++;
  }
  if (n == 0) return 0;
#if __BPF_CPU_VERSION__ >= 4
  return sum / n; /* sdiv */
#else
  return sum < 0 ? -(__s64)((__u64)-sum / (__u64)n) : (__s64)((__u64)sum / (__u64)n);
#endif
}

char LICENSE[] SEC("license") = "GPL";
