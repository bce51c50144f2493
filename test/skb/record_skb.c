/* bpfjit-skb-recorder OBJ...: runs every program of each object through the kernel's
 * BPF_PROG_TEST_RUN on a fixed set of packets and prints one TSV row per (program, packet):
 *
 *   object  program  packet  packet_hex  result  data_out_hex  out
 *
 * - packet: the packet's name (valid ones, every truncation of some, VLAN-tagged, IPv6,
 *   802.3 frames, MAC address kinds, the size limits, random bytes from a fixed seed);
 * - result: "ret=0x..." (the program's return value) or "err=-N" when the kernel refused
 *   the run (a packet shorter than an Ethernet header, longer than a page allows);
 * - data_out_hex: the packet the kernel gives back ("-" on refusal);
 * - out: the 64 u64 slots of the object's array map `out` after the run, comma-separated
 *   hex ("-" without such a map). The map is zeroed before each run.
 *
 * Must run as root. test/skb/record.sh runs it on the skb programs of bpf-progs and writes
 * test/skb/kernel_skb_runs.tsv. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define MAX_PACKET 4096
#define MAX_PACKETS 512

struct packet {
  char name[48];
  uint32_t len;
  uint8_t bytes[MAX_PACKET];
};

static struct packet packets[MAX_PACKETS];
static int npackets;

static struct packet *add(const char *name, const uint8_t *bytes, uint32_t len) {
  if (npackets == MAX_PACKETS) {
    fprintf(stderr, "too many packets\n");
    exit(1);
  }
  struct packet *p = &packets[npackets++];
  snprintf(p->name, sizeof(p->name), "%s", name);
  p->len = len;
  memcpy(p->bytes, bytes, len);
  return p;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

static uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}
static uint32_t sum16(const uint8_t *p, uint32_t n, uint32_t sum) {
  for (uint32_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += (uint32_t)(p[n - 1] << 8);
  return sum;
}
static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

/* Ethernet + [VLAN] + IPv4 (ihl words) + TCP/UDP + payload, with correct checksums. */
static uint32_t ipv4(uint8_t *b, int vlan, uint8_t proto, uint32_t ihl, uint32_t payload,
                     int udp_csum_zero, const uint8_t dst_mac[6]) {
  uint32_t o = 0;
  memcpy(b, dst_mac, 6);
  const uint8_t src_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
  memcpy(b + 6, src_mac, 6);
  o = 12;
  if (vlan) {
    put16(b + o, 0x8100);
    put16(b + o + 2, 0x0064);
    o += 4;
  }
  put16(b + o, 0x0800);
  o += 2;
  uint8_t *ip = b + o;
  uint32_t l4len = proto == 6 ? 20 : 8;
  uint32_t total = ihl * 4 + l4len + payload;
  memset(ip, 0, ihl * 4);
  ip[0] = (uint8_t)(0x40 | ihl);
  put16(ip + 2, (uint16_t)total);
  put16(ip + 4, 0x1c46);
  ip[8] = 64;
  ip[9] = proto;
  const uint8_t src[4] = {10, 1, 2, 3}, dst[4] = {10, 0, 0, 1};
  memcpy(ip + 12, src, 4);
  memcpy(ip + 16, dst, 4);
  for (uint32_t i = 20; i < ihl * 4; ++i) ip[i] = 1; /* NOP options */
  put16(ip + 10, fold(sum16(ip, ihl * 4, 0)));
  uint8_t *l4 = ip + ihl * 4;
  memset(l4, 0, l4len);
  put16(l4, 33333);
  put16(l4 + 2, 80);
  if (proto == 6) {
    l4[12] = 0x50;
    l4[13] = 0x18;
    put16(l4 + 14, 0xffff);
  } else {
    put16(l4 + 4, (uint16_t)(l4len + payload));
  }
  for (uint32_t i = 0; i < payload; ++i) l4[l4len + i] = (uint8_t)(i * 7 + 3);
  uint32_t ps = sum16(ip + 12, 8, 0) + proto + l4len + payload;
  uint16_t c = fold(sum16(l4, l4len + payload, ps));
  if (proto == 17 && c == 0) c = 0xffff;
  if (proto == 17 && udp_csum_zero) c = 0;
  put16(l4 + (proto == 6 ? 16 : 6), c);
  return o + total;
}

static uint32_t ipv6(uint8_t *b, uint8_t proto, uint32_t payload) {
  memset(b, 0, 12);
  b[0] = 0x33, b[1] = 0x33, b[5] = 1;
  put16(b + 12, 0x86dd);
  uint8_t *ip = b + 14;
  memset(ip, 0, 40);
  ip[0] = 0x60;
  uint32_t l4len = proto == 6 ? 20 : 8;
  put16(ip + 4, (uint16_t)(l4len + payload));
  ip[6] = proto;
  ip[7] = 64;
  for (int i = 0; i < 16; ++i) ip[8 + i] = (uint8_t)(0x20 + i), ip[24 + i] = (uint8_t)(0x40 + i);
  uint8_t *l4 = ip + 40;
  memset(l4, 0, l4len + payload);
  put16(l4, 1000);
  put16(l4 + 2, 53);
  if (proto == 17) put16(l4 + 4, (uint16_t)(l4len + payload));
  for (uint32_t i = 0; i < payload; ++i) l4[l4len + i] = (uint8_t)i;
  return 14 + 40 + l4len + payload;
}

static void make_packets(void) {
  static uint8_t b[MAX_PACKET];
  const uint8_t host[6] = {0}, other[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
  const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
  char name[48];
  uint32_t n;
  n = ipv4(b, 0, 6, 5, 20, 0, host);
  add("tcp4", b, n);
  for (uint32_t len = 0; len < n; ++len) {
    snprintf(name, sizeof(name), "tcp4_trunc%u", len);
    add(name, b, len);
  }
  n = ipv4(b, 0, 17, 5, 12, 0, other);
  add("udp4", b, n);
  for (uint32_t len = 30; len < n; len += 3) {
    snprintf(name, sizeof(name), "udp4_trunc%u", len);
    add(name, b, len);
  }
  n = ipv4(b, 0, 17, 5, 12, 1, bcast);
  add("udp4_nocsum", b, n);
  n = ipv4(b, 0, 6, 8, 40, 0, mcast);
  add("tcp4_options", b, n);
  n = ipv4(b, 0, 17, 15, 3, 0, host);
  add("udp4_ihl15", b, n);
  n = ipv4(b, 0, 1, 5, 8, 0, host);
  add("icmp4", b, n);
  n = ipv4(b, 1, 6, 5, 4, 0, host);
  add("tcp4_vlan", b, n);
  n = ipv4(b, 0, 6, 5, 1400, 0, other);
  add("tcp4_big", b, n);
  n = ipv6(b, 17, 16);
  add("udp6", b, n);
  n = ipv6(b, 6, 0);
  add("tcp6", b, n);
  add("udp6_trunc50", b, 50);
  /* an IPv4 header with ihl < 5, and one claiming TCP with no room for it */
  n = ipv4(b, 0, 6, 5, 0, 0, host);
  b[14] = 0x44;
  add("ipv4_ihl4", b, n);
  /* 802.3 frames: a length, then raw IPX (ffff) or LLC */
  memset(b, 0, 64);
  memcpy(b, other, 6);
  put16(b + 12, 46);
  b[14] = 0xff, b[15] = 0xff;
  add("ieee8023_ipx", b, 60);
  b[14] = 0xaa, b[15] = 0xaa;
  add("ieee8023_llc", b, 60);
  add("ieee8023_short", b, 15);
  /* ARP */
  memset(b, 0, 42);
  memcpy(b, bcast, 6);
  put16(b + 12, 0x0806);
  add("arp", b, 42);
  /* the size limits of the kernel's test run */
  memset(b, 0xab, MAX_PACKET);
  put16(b + 12, 0x0800);
  add("size3712", b, 3712);
  add("size3713", b, 3713);
  /* random bytes, sometimes with an IPv4 EtherType */
  for (int i = 0; i < 60; ++i) {
    uint32_t len = 14 + next_random() % 120;
    for (uint32_t j = 0; j < len; ++j) b[j] = (uint8_t)next_random();
    if (i % 2 == 0) {
      put16(b + 12, 0x0800);
      b[14] = (uint8_t)(0x45 + (i % 8 == 0 ? 2 : 0));
      b[23] = (uint8_t)(i % 4 == 0 ? 6 : 17);
    }
    snprintf(name, sizeof(name), "random%d", i);
    add(name, b, len);
  }
}

static void hex(const uint8_t *p, uint32_t n) {
  if (n == 0) putchar('.');
  for (uint32_t i = 0; i < n; ++i) printf("%02x", p[i]);
}

static int run_object(const char *path) {
  struct bpf_object *obj = bpf_object__open_file(path, NULL);
  if (!obj) {
    fprintf(stderr, "%s: cannot open\n", path);
    return 1;
  }
  if (bpf_object__load(obj)) {
    fprintf(stderr, "%s: the kernel refused to load it\n", path);
    bpf_object__close(obj);
    return 1;
  }
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  struct bpf_map *out = bpf_object__find_map_by_name(obj, "out");
  int out_fd = out ? bpf_map__fd(out) : -1;
  struct bpf_program *prog;
  bpf_object__for_each_program(prog, obj) {
    for (int i = 0; i < npackets; ++i) {
      const struct packet *pk = &packets[i];
      static uint8_t data_out[MAX_PACKET * 2];
      uint64_t zero = 0;
      for (uint32_t k = 0; out_fd >= 0 && k < 64; ++k) bpf_map_update_elem(out_fd, &k, &zero, 0);
      LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pk->bytes, .data_size_in = pk->len,
                  .data_out = data_out, .data_size_out = sizeof(data_out), .repeat = 1);
      int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
      printf("%s\t%s\t%s\t", base, bpf_program__name(prog), pk->name);
      hex(pk->bytes, pk->len);
      if (err) {
        printf("\terr=%d\t-\t-\n", err < 0 ? err : -errno);
        continue;
      }
      printf("\tret=0x%x\t", opts.retval);
      hex(data_out, opts.data_size_out);
      putchar('\t');
      if (out_fd < 0) {
        putchar('-');
      } else {
        for (uint32_t k = 0; k < 64; ++k) {
          uint64_t v = 0;
          bpf_map_lookup_elem(out_fd, &k, &v);
          printf("%s%llx", k ? "," : "", (unsigned long long)v);
        }
      }
      putchar('\n');
    }
  }
  bpf_object__close(obj);
  return 0;
}

int main(int argc, char **argv) {
  make_packets();
  int rc = 0;
  for (int i = 1; i < argc; ++i) rc |= run_object(argv[i]);
  return rc;
}
