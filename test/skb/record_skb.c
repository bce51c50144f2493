/* bpfjit-skb-recorder OBJ...: runs every program of each object through the kernel's
 * BPF_PROG_TEST_RUN on a fixed set of packets, and on a few of them with each of a set of
 * contexts (ctx_in), and prints one TSV row per run:
 *
 *   object  program  packet  packet_hex  ctx_in_hex  result  data_out_hex  ctx_out_hex  out
 *
 * - packet: the packet's name (valid ones, every truncation of some, VLAN-tagged, IPv6,
 *   802.3 frames, MAC address kinds, the size limits, random bytes from a fixed seed);
 * - packet: "name" for a run without a context, "name@ctx" for one with context ctx;
 * - ctx_in_hex: the struct __sk_buff given as ctx_in ("-": no ctx_in and no ctx_out;
 *   ".": ctx_out only). Its length is ctx_size_in;
 * - result: "ret=0x..." (the program's return value) or "err=-N" when the kernel refused
 *   the run (a packet shorter than an Ethernet header, longer than a page allows, a
 *   context field a test may not set);
 * - data_out_hex: the packet the kernel gives back ("-" on refusal);
 * - ctx_out_hex: the struct __sk_buff the kernel gives back ("-" without a context);
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

/* ---- contexts (ctx_in) ----
 * A context case: the struct __sk_buff given (size bytes of `bytes`; size 0 with
 * `out_only`: ctx_out without ctx_in), the packets it runs on and the program it is for
 * (NULL: every program). tc_resize (bpf-progs/skb_resize.c) reads the calls it makes from
 * cb[]; the other cases set the fields a test may set, or one it may not. */
#define CTX_MAX 256
struct ctx_case {
  char name[48];
  const char *program;
  uint32_t size;
  int out_only;
  uint8_t bytes[CTX_MAX];
};

#define MAX_CTX_CASES 256
static struct ctx_case ctx_cases[MAX_CTX_CASES];
static int nctx;

static struct ctx_case *ctx_add(const char *name, const char *program) {
  if (nctx == MAX_CTX_CASES) {
    fprintf(stderr, "too many contexts\n");
    exit(1);
  }
  struct ctx_case *c = &ctx_cases[nctx++];
  memset(c, 0, sizeof(*c));
  snprintf(c->name, sizeof(c->name), "%s", name);
  c->program = program;
  c->size = sizeof(struct __sk_buff);
  return c;
}
static struct __sk_buff *sk(struct ctx_case *c) { return (struct __sk_buff *)c->bytes; }

/* tc_resize's operations (skb_resize.c) and the adjust_room flags. */
enum { OP_TAIL = 1, OP_HEAD, OP_ROOM_NET, OP_ROOM_MAC, OP_ROOM_MODE2, OP_PROTO };
#define F_FIXED_GSO (1u << 0)
#define F_L3_IPV4 (1u << 1)
#define F_L3_IPV6 (1u << 2)
#define F_L4_GRE (1u << 3)
#define F_L4_UDP (1u << 4)
#define F_NO_CSUM_RESET (1u << 5)
#define F_L2_ETH (1u << 6)
#define F_DECAP_IPV4 (1u << 7)
#define F_DECAP_IPV6 (1u << 8)

/* A tc_resize case: op1 (arg1, flags1) then op2 (arg2, flags2); setup bit 0 raises the
 * checksum level first, bit 1 sets a hash; l2 is the inner L2 length of ENCAP_L2. */
static struct ctx_case *op(const char *name, uint32_t op1, uint32_t arg1, uint32_t flags1,
                           uint32_t op2, uint32_t arg2, uint32_t flags2, uint32_t setup,
                           uint32_t l2) {
  struct ctx_case *c = ctx_add(name, "tc_resize");
  struct __sk_buff *s = sk(c);
  s->cb[0] = op1 | op2 << 8 | setup << 16 | l2 << 24;
  s->cb[1] = arg1;
  s->cb[2] = flags1;
  s->cb[3] = arg2;
  s->cb[4] = flags2;
  return c;
}

static uint32_t be16(uint16_t v) { return (uint32_t)(uint16_t)(v << 8 | v >> 8); }

static void make_ctx_cases(void) {
  struct ctx_case *c;
  /* the fields a test may set, and the checks on the others */
  c = ctx_add("out_only", NULL);
  c->size = 0;
  c->out_only = 1;
  ctx_add("zero", NULL);
  c = ctx_add("fields", NULL);
  sk(c)->mark = 0x11;
  sk(c)->priority = 7;
  sk(c)->ingress_ifindex = 3;
  sk(c)->ifindex = 1;
  sk(c)->cb[1] = 0xa1, sk(c)->cb[2] = 0xa2, sk(c)->cb[3] = 0xa3, sk(c)->cb[4] = 0xa4;
  sk(c)->tstamp = 123456789;
  sk(c)->wire_len = 2000;
  sk(c)->gso_segs = 3;
  sk(c)->gso_size = 1400;
  sk(c)->hwtstamp = 99;
  c = ctx_add("short", NULL);
  c->size = 12;
  sk(c)->mark = 5;
  c = ctx_add("long_zero_tail", NULL);
  c->size = 200;
  sk(c)->priority = 9;
  c = ctx_add("long_nonzero_tail", NULL);
  c->size = 200;
  c->bytes[196] = 1;
  c = ctx_add("ifindex0", NULL);
  sk(c)->ifindex = 0;
  sk(c)->mark = 1;
  c = ctx_add("wire_len_max", NULL);
  sk(c)->wire_len = 65536;
  c = ctx_add("wire_len_big", NULL);
  sk(c)->wire_len = 65537;
  c = ctx_add("wire_len_small", NULL);
  sk(c)->wire_len = 20;
  c = ctx_add("gso_segs_max", NULL);
  sk(c)->gso_segs = 65535;
  c = ctx_add("gso_segs_big", NULL);
  sk(c)->gso_segs = 65536;
  c = ctx_add("len_set", NULL);
  sk(c)->len = 5;
  c = ctx_add("pkt_type_set", NULL);
  sk(c)->pkt_type = 1;
  c = ctx_add("protocol_set", NULL);
  sk(c)->protocol = 8;
  c = ctx_add("tc_index_set", NULL);
  sk(c)->tc_index = 1;
  c = ctx_add("hash_set", NULL);
  sk(c)->hash = 1;
  c = ctx_add("data_set", NULL);
  sk(c)->data = 1;
  c = ctx_add("family_set", NULL);
  sk(c)->family = 2;
  c = ctx_add("tstamp_type_set", NULL);
  sk(c)->tstamp_type = 1;
  c = ctx_add("napi_id_set", NULL);
  sk(c)->napi_id = 1;

  /* bpf_skb_change_tail */
  op("tail_14", OP_TAIL, 14, 0, 0, 0, 0, 0, 0);
  op("tail_13", OP_TAIL, 13, 0, 0, 0, 0, 0, 0);
  op("tail_100", OP_TAIL, 100, 0, 0, 0, 0, 0, 0);
  op("tail_4000", OP_TAIL, 4000, 0, 0, 0, 0, 0, 0);
  op("tail_16064", OP_TAIL, 16064, 0, OP_TAIL, 60, 0, 0, 0);
  op("tail_16065", OP_TAIL, 16065, 0, 0, 0, 0, 0, 0);
  op("tail_flags", OP_TAIL, 100, 1, 0, 0, 0, 0, 0);
  op("tail_zero", OP_TAIL, 0, 0, 0, 0, 0, 0, 0);
  c = op("tail_gso", OP_TAIL, 90, 0, OP_TAIL, 200, 0, 1, 0);
  sk(c)->gso_size = 1000, sk(c)->gso_segs = 4;
  /* bpf_skb_change_head */
  op("head_0", OP_HEAD, 0, 0, 0, 0, 0, 0, 0);
  op("head_14", OP_HEAD, 14, 0, OP_TAIL, 30, 0, 0, 0);
  op("head_100", OP_HEAD, 100, 0, OP_HEAD, 3, 0, 0, 0);
  op("head_4000", OP_HEAD, 4000, 0, 0, 0, 0, 0, 0);
  op("head_16000", OP_HEAD, 16000, 0, 0, 0, 0, 0, 0);
  op("head_flags", OP_HEAD, 4, 2, 0, 0, 0, 0, 0);
  op("head_huge", OP_HEAD, 0xfffffff0u, 0, 0, 0, 0, 0, 0);
  c = op("head_gso", OP_HEAD, 16000, 0, 0, 0, 0, 0, 0);
  sk(c)->gso_size = 500;
  /* bpf_skb_adjust_room, BPF_ADJ_ROOM_NET */
  op("net_grow8", OP_ROOM_NET, 8, 0, 0, 0, 0, 1, 0);
  op("net_shrink8", OP_ROOM_NET, (uint32_t)-8, 0, 0, 0, 0, 1, 0);
  op("net_grow20_shrink20", OP_ROOM_NET, 20, 0, OP_ROOM_NET, (uint32_t)-20, 0, 0, 0);
  op("net_shrink_all", OP_ROOM_NET, (uint32_t)-60, 0, OP_ROOM_NET, (uint32_t)-1000, 0, 0, 0);
  op("net_grow4095", OP_ROOM_NET, 4095, 0, OP_ROOM_NET, 4095, 0, 0, 0);
  op("net_grow4096", OP_ROOM_NET, 4096, 0, OP_ROOM_NET, (uint32_t)-4096, 0, 0, 0);
  op("net_grow_many", OP_ROOM_NET, 4000, 0, OP_TAIL, 16064, 0, 0, 0);
  op("net_no_csum_reset", OP_ROOM_NET, 8, F_NO_CSUM_RESET, OP_ROOM_NET, (uint32_t)-8,
     F_NO_CSUM_RESET, 1, 0);
  op("net_fixed_gso", OP_ROOM_NET, 12, F_FIXED_GSO, OP_ROOM_NET, (uint32_t)-12, F_FIXED_GSO,
     0, 0);
  op("net_bad_flag", OP_ROOM_NET, 8, 1u << 9, OP_ROOM_NET, 8, 1u << 31, 0, 0);
  op("net_ipip", OP_ROOM_NET, 20, F_L3_IPV4, OP_TAIL, 200, 0, 1, 0);
  op("net_ip6ip", OP_ROOM_NET, 40, F_L3_IPV6, OP_ROOM_NET, 20, F_L3_IPV4, 0, 0);
  op("net_gre", OP_ROOM_NET, 24, F_L3_IPV4 | F_L4_GRE, OP_HEAD, 10, 0, 0, 0);
  op("net_udp6", OP_ROOM_NET, 48, F_L3_IPV6 | F_L4_UDP, OP_TAIL, 20, 0, 0, 0);
  op("net_gre_eth", OP_ROOM_NET, 38, F_L3_IPV4 | F_L4_GRE | F_L2_ETH, OP_ROOM_NET, 8, 0, 0,
     14);
  op("net_l2_short", OP_ROOM_NET, 38, F_L3_IPV4 | F_L4_GRE | F_L2_ETH, 0, 0, 0, 0, 10);
  op("net_l2_over", OP_ROOM_NET, 28, F_L3_IPV4 | F_L4_UDP, OP_ROOM_NET, 40,
     F_L3_IPV4 | F_L4_UDP, 0, 30);
  op("net_l2_4", OP_ROOM_NET, 28, F_L3_IPV4 | F_L4_UDP, OP_ROOM_NET, (uint32_t)-28, 0, 0, 4);
  op("net_l3_both", OP_ROOM_NET, 40, F_L3_IPV4 | F_L3_IPV6, 0, 0, 0, 0, 0);
  op("net_l4_both", OP_ROOM_NET, 40, F_L3_IPV4 | F_L4_GRE | F_L4_UDP, 0, 0, 0, 0, 0);
  op("net_l4_only", OP_ROOM_NET, 8, F_L4_GRE, OP_ROOM_NET, 8, F_L2_ETH, 0, 14);
  op("net_encap_shrink", OP_ROOM_NET, (uint32_t)-8, F_L3_IPV4, 0, 0, 0, 0, 0);
  op("net_decap4", OP_ROOM_NET, (uint32_t)-20, F_DECAP_IPV4, OP_ROOM_NET, 20, F_DECAP_IPV4,
     0, 0);
  op("net_decap6", OP_ROOM_NET, (uint32_t)-20, F_DECAP_IPV6, OP_ROOM_NET, (uint32_t)-40,
     F_DECAP_IPV6, 0, 0);
  op("net_decap_both", OP_ROOM_NET, (uint32_t)-20, F_DECAP_IPV4 | F_DECAP_IPV6, 0, 0, 0, 0, 0);
  c = op("net_gso", OP_ROOM_NET, 8, 0, OP_ROOM_NET, (uint32_t)-8, F_FIXED_GSO, 0, 0);
  sk(c)->gso_size = 1000;
  /* BPF_ADJ_ROOM_MAC and a bad mode */
  op("mac_grow14", OP_ROOM_MAC, 14, 0, OP_ROOM_MAC, (uint32_t)-14, 0, 1, 0);
  op("mac_shrink20", OP_ROOM_MAC, (uint32_t)-20, 0, OP_ROOM_MAC, (uint32_t)-2, 0, 0, 0);
  op("mac_eth_encap", OP_ROOM_MAC, 36, F_L3_IPV4 | F_L4_GRE | F_L2_ETH, OP_TAIL, 300, 0, 0,
     14);
  op("mac_decap6", OP_ROOM_MAC, (uint32_t)-40, F_DECAP_IPV6, 0, 0, 0, 0, 0);
  op("mode2", OP_ROOM_MODE2, 8, 0, OP_ROOM_MODE2, 8, 1u << 10, 0, 0);
  /* bpf_skb_change_proto */
  op("proto_to6", OP_PROTO, be16(0x86dd), 0, OP_PROTO, be16(0x0800), 0, 2, 0);
  op("proto_to4", OP_PROTO, be16(0x0800), 0, OP_ROOM_NET, 8, 0, 2, 0);
  op("proto_arp", OP_PROTO, be16(0x0806), 0, OP_PROTO, 0x86dd, 0, 0, 0);
  op("proto_flags", OP_PROTO, be16(0x86dd), 1, 0, 0, 0, 0, 0);
  op("proto_then_head", OP_PROTO, be16(0x86dd), 0, OP_HEAD, 1, 0, 0, 0);
  c = op("proto_gso", OP_PROTO, be16(0x86dd), 0, OP_PROTO, be16(0x0800), 0, 0, 0);
  sk(c)->gso_size = 1000;
  /* the same calls with other context fields set */
  c = op("tail_marked", OP_TAIL, 64, 0, OP_HEAD, 8, 0, 2, 0);
  sk(c)->mark = 0x77;
  sk(c)->priority = 3;
  sk(c)->wire_len = 9000;
}

/* The packets the contexts run on. */
static const char *const ctx_packets[] = {"tcp4", "udp6", "tcp4_vlan", "arp", "udp4_ihl15"};

static uint8_t data_out[65536];

/* One run: a row. ctx NULL: no context. */
static void run_one(int prog_fd, int out_fd, const char *base, const char *prog_name,
                    const struct packet *pk, const struct ctx_case *ctx) {
  static uint8_t ctx_out[CTX_MAX];
  uint64_t zero = 0;
  for (uint32_t k = 0; out_fd >= 0 && k < 64; ++k) bpf_map_update_elem(out_fd, &k, &zero, 0);
  memset(ctx_out, 0, sizeof(ctx_out));
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pk->bytes, .data_size_in = pk->len,
              .data_out = data_out, .data_size_out = sizeof(data_out), .repeat = 1);
  if (ctx) {
    if (!ctx->out_only) {
      opts.ctx_in = ctx->bytes;
      opts.ctx_size_in = ctx->size;
    }
    opts.ctx_out = ctx_out;
    opts.ctx_size_out = sizeof(struct __sk_buff);
  }
  int err = bpf_prog_test_run_opts(prog_fd, &opts);
  if (ctx) {
    printf("%s\t%s\t%s@%s\t", base, prog_name, pk->name, ctx->name);
  } else {
    printf("%s\t%s\t%s\t", base, prog_name, pk->name);
  }
  hex(pk->bytes, pk->len);
  putchar('\t');
  if (!ctx) {
    putchar('-');
  } else if (ctx->out_only) {
    putchar('.');
  } else {
    hex(ctx->bytes, ctx->size);
  }
  if (err) {
    printf("\terr=%d\t-\t-\t-\n", err < 0 ? err : -errno);
    return;
  }
  printf("\tret=0x%x\t", opts.retval);
  hex(data_out, opts.data_size_out);
  putchar('\t');
  if (ctx) {
    hex(ctx_out, opts.ctx_size_out);
  } else {
    putchar('-');
  }
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

static const struct packet *find_packet(const char *name) {
  for (int i = 0; i < npackets; ++i) {
    if (strcmp(packets[i].name, name) == 0) return &packets[i];
  }
  fprintf(stderr, "no packet %s\n", name);
  exit(1);
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
    const char *name = bpf_program__name(prog);
    int fd = bpf_program__fd(prog);
    for (int i = 0; i < npackets; ++i) run_one(fd, out_fd, base, name, &packets[i], NULL);
    for (int c = 0; c < nctx; ++c) {
      if (ctx_cases[c].program && strcmp(ctx_cases[c].program, name) != 0) continue;
      for (size_t i = 0; i < sizeof(ctx_packets) / sizeof(ctx_packets[0]); ++i) {
        run_one(fd, out_fd, base, name, find_packet(ctx_packets[i]), &ctx_cases[c]);
      }
    }
  }
  bpf_object__close(obj);
  return 0;
}

int main(int argc, char **argv) {
  make_packets();
  make_ctx_cases();
  int rc = 0;
  for (int i = 1; i < argc; ++i) rc |= run_object(argv[i]);
  return rc;
}
