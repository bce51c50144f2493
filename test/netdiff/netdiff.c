/* The differential harness's shared part: the program table, the packets, the map images
 * and their hash (see netdiff.h). */
#include "netdiff.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

/* ------------------------------------------------------------------------------------
 * The programs. One line per object: every networking program in it is run. */

const struct nd_object nd_objects[] = {
    {"xdp_filter", NULL},
    {"xdp_adjust", NULL},
    {"tc_nat", NULL},
    {"tc_redirect", NULL},
    {"skb_fields", NULL},
    {"route_guard", NULL},
    {"lpm_classify", NULL},
    {"xdp_devmap", NULL},
    {"xdp_perf", NULL},
    {"tail_dispatch", NULL},
    {"map_in_map", NULL},
    {"flow_counter", NULL},
    {"ipv4_checksum", NULL},
    {"ringbuf_events", NULL},
    {"percpu", NULL},
    {"spin_counter", NULL},
    {"real_loops", NULL},
    {"multi_prog", NULL},
    {"socket_filter", NULL},
    {"socket_count", NULL},
    {"skb_resize", NULL},
    {"socket_view", NULL},
    {"xdp_fwd", "its answers follow the host's routes and devices: test/xdp/record_fwd.sh records "
                "them in a namespace of known ones (fwd_kernel.tsv)"},
    {"host_clock", "it reports bpf_ktime_get_ns and bpf_get_prandom_u32"},
    {"section_named", "libbpf 1.1 refuses to open it (a static program, code without symbols)"},
    {"rate_limit", "its verdicts and map values follow bpf_ktime_get_ns"},
    /* the compatibility corpus (bpf-progs/compat), in the style of real projects */
    {"compat/bounded_loops", NULL},
    {"compat/devmap_redirect", NULL},
    {"compat/ipv6_exthdr", NULL},
    {"compat/legacy_sockex", "libbpf 1.1 cannot open legacy \"maps\" sections"},
    {"compat/legacy_tc_maps7", "libbpf 1.1 cannot open legacy \"maps\" sections"},
    {"compat/lpm_classifier", NULL},
    {"compat/lwt_socket", NULL},
    {"compat/map_in_map", NULL},
    {"compat/nat44", NULL},
    {"compat/perf_events", NULL},
    {"compat/privileged", NULL},
    {"compat/reject_maps", NULL},
    {"compat/reject_misc", NULL},
    {"compat/reject_packet", NULL},
    {"compat/ringbuf_events", NULL},
    {"compat/spin_lock_stats", NULL},
    {"compat/subprog_parsers", NULL},
    {"compat/tail_dispatch", NULL},
    {"compat/tcp_options", NULL},
    {"compat/vswitch_flow", NULL},
    {"compat/xdp_ratelimit", "its verdicts and map values follow bpf_ktime_get_ns"},
    {"compat/xdp_vlan_parse", NULL},
    {"compat/xdp_vlan_pop", NULL},
};
const size_t nd_object_count = sizeof(nd_objects) / sizeof(nd_objects[0]);

/* Keys and values are the maps' raw bytes (little-endian integers, addresses in network
 * order). The generator below sends packets from and to these addresses. */
const struct nd_setup nd_setups[] = {
    /* xdp_filter: sources 10.9.9.9 and 192.168.1.66 are blocked */
    {"xdp_filter", "blocked_src", ND_UPDATE, "0a090909", "01"},
    {"xdp_filter", "blocked_src", ND_UPDATE, "c0a80142", "01"},
    /* route_guard: the source's class by prefix; blocked destinations */
    {"route_guard", "routes", ND_UPDATE, "080000000a000000", "01000000"},
    {"route_guard", "routes", ND_UPDATE, "100000000a010000", "02000000"},
    {"route_guard", "routes", ND_UPDATE, "20000000c0a80142", "01000000"},
    {"route_guard", "routes", ND_UPDATE, "10000000c0a80000", "03000000"},
    {"route_guard", "blocked", ND_PUSH, NULL, "0a000063"},
    {"route_guard", "blocked", ND_PUSH, NULL, "08080808"},
    /* lpm_classify: the destination's class by prefix */
    {"lpm_classify", "routes4", ND_UPDATE, "080000000a000000", "03000000"},
    {"lpm_classify", "routes4", ND_UPDATE, "180000000a000000", "02000000"},
    {"lpm_classify", "routes4", ND_UPDATE, "200000000a000001", "01000000"},
    {"lpm_classify", "routes4", ND_UPDATE, "10000000c0a80000", "01000000"},
    {"lpm_classify", "routes4", ND_UPDATE, "1800000008080800", "02000000"},
    {"lpm_classify", "routes6", ND_UPDATE, "2000000020010db8000000000000000000000000",
     "02000000"},
    {"lpm_classify", "routes6", ND_UPDATE, "4000000020010db8000000010000000000000000",
     "01000000"},
    {"lpm_classify", "routes6", ND_UPDATE, "10000000ff020000000000000000000000000000",
     "03000000"},
    /* xdp_devmap: ports 0, 1 and 5 lead to the loopback device (ifindex 1) */
    {"xdp_devmap", "tx_ports", ND_UPDATE, "00000000", "01000000"},
    {"xdp_devmap", "tx_ports", ND_UPDATE, "01000000", "01000000"},
    {"xdp_devmap", "tx_ports", ND_UPDATE, "05000000", "01000000"},
    /* tail_dispatch: TCP (6) and UDP (17) have handlers; ICMP falls through */
    {"tail_dispatch", "handlers", ND_TAIL_CALL, "06000000", "handle_tcp"},
    {"tail_dispatch", "handlers", ND_TAIL_CALL, "11000000", "handle_udp"},
};
const size_t nd_setup_count = sizeof(nd_setups) / sizeof(nd_setups[0]);

void nd_object_path(const char *dir, const char *name, const char *cpu, char *out, size_t cap) {
  if (strncmp(name, "compat/", 7) == 0) {
    snprintf(out, cap, "%s/%s.o", dir, name);
  } else {
    snprintf(out, cap, "%s/%s.%s.o", dir, name, cpu);
  }
}

size_t nd_unhex(const char *hex, uint8_t *out, size_t cap) {
  size_t n = 0;
  for (; hex && hex[0] && hex[1] && n < cap; hex += 2) {
    char pair[3] = {hex[0], hex[1], 0};
    out[n++] = (uint8_t)strtoul(pair, NULL, 16);
  }
  return n;
}

/* ------------------------------------------------------------------------------------
 * The packets. */

#define ND_MAX_PACKETS 1024

static struct nd_packet g_packets[ND_MAX_PACKETS];
static size_t g_count;
static uint64_t g_rng;

static uint32_t rnd(void) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return (uint32_t)(g_rng >> 24);
}

static void add(const char *name, const uint8_t *b, uint32_t len) {
  if (g_count == ND_MAX_PACKETS || len > ND_MAX_PACKET) abort();
  struct nd_packet *p = &g_packets[g_count++];
  snprintf(p->name, sizeof(p->name), "%s", name);
  p->len = len;
  memcpy(p->bytes, b, len);
}

static void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v);
}
static uint32_t sum16(const uint8_t *p, uint32_t n, uint32_t sum) {
  for (uint32_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += (uint32_t)(p[n - 1] << 8);
  return sum;
}
static uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static const uint8_t kHostMac[6] = {0, 0, 0, 0, 0, 0};
static const uint8_t kOtherMac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t kBcastMac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t kMcastMac[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
static const uint8_t kPort1Mac[6] = {0x02, 0, 0, 0, 0, 0x01};

/* What a packet is made of; zero fields take defaults. */
struct spec {
  const uint8_t *dst_mac;
  int vlans;            /* 0, 1 (802.1Q) or 2 (802.1ad + 802.1Q) */
  uint16_t vlan_id;
  int family;           /* 4 or 6 */
  uint8_t proto;        /* 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, other: raw payload */
  uint32_t src4, dst4;
  uint8_t src6[16], dst6[16];
  uint8_t ttl;
  uint8_t tos;
  uint8_t ip_opt_words; /* IPv4 options (words beyond the 5 of the header) */
  uint16_t frag;        /* IPv4 frag_off field (flags and offset) */
  int no_l4;            /* a non-first fragment: payload only */
  uint16_t sport, dport;
  uint8_t tcp_flags;
  int tcp_opts;         /* 0 none, 1 MSS, 2 MSS + SACK-permitted + timestamps + window scale */
  uint8_t icmp_type, icmp_code;
  const uint8_t *ext;   /* IPv6 extension headers, each's next header left 0 */
  uint32_t ext_len;
  const uint8_t *ext_types; /* their types, in order */
  int ext_count;
  uint32_t payload;
  int udp_csum_zero;
};

static uint32_t build(const struct spec *s, uint8_t *b) {
  memcpy(b, s->dst_mac ? s->dst_mac : kHostMac, 6);
  const uint8_t src_mac[6] = {0x02, 0, 0, 0, 0, 0x09};
  memcpy(b + 6, src_mac, 6);
  uint32_t o = 12;
  if (s->vlans == 2) {
    put16(b + o, 0x88a8);
    put16(b + o + 2, 0x0100 | (s->vlan_id + 1));
    o += 4;
  }
  if (s->vlans >= 1) {
    put16(b + o, 0x8100);
    put16(b + o + 2, 0x2000 | (s->vlan_id ? s->vlan_id : 100));
    o += 4;
  }
  put16(b + o, s->family == 6 ? 0x86dd : 0x0800);
  o += 2;
  uint8_t *ip = b + o;
  uint32_t iphl = s->family == 6 ? 40 : 20 + 4u * s->ip_opt_words;
  uint8_t *ext = ip + iphl;
  uint32_t exthl = s->family == 6 ? s->ext_len : 0;
  uint8_t *l4 = ext + exthl;
  uint32_t l4len = 0;
  if (!s->no_l4) {
    if (s->proto == 6) l4len = 20 + (s->tcp_opts == 1 ? 4 : s->tcp_opts == 2 ? 20 : 0);
    else if (s->proto == 17 || s->proto == 1 || s->proto == 58) l4len = 8;
  }
  memset(l4, 0, l4len);
  if (l4len && (s->proto == 6 || s->proto == 17)) {
    put16(l4, s->sport);
    put16(l4 + 2, s->dport);
  }
  if (l4len && s->proto == 6) {
    put32(l4 + 4, 0x1000 + s->sport);
    put32(l4 + 8, (s->tcp_flags & 0x10) ? 0x2000u + s->dport : 0);
    l4[12] = (uint8_t)((l4len / 4) << 4);
    l4[13] = s->tcp_flags;
    put16(l4 + 14, 0xfaf0);
    uint8_t *opt = l4 + 20;
    if (s->tcp_opts >= 1) opt[0] = 2, opt[1] = 4, put16(opt + 2, 1460), opt += 4;
    if (s->tcp_opts == 2) {
      opt[0] = 4, opt[1] = 2;                          /* SACK permitted */
      opt[2] = 8, opt[3] = 10, put32(opt + 4, 0x11223344), put32(opt + 8, 0);
      opt[12] = 1, opt[13] = 3, opt[14] = 3, opt[15] = 7; /* NOP, window scale 7 */
    }
  }
  if (l4len && (s->proto == 1 || s->proto == 58)) {
    l4[0] = s->icmp_type;
    l4[1] = s->icmp_code;
    put16(l4 + 4, 0x4242);
    put16(l4 + 6, 1);
  }
  uint8_t *pay = l4 + l4len;
  for (uint32_t i = 0; i < s->payload; ++i) pay[i] = (uint8_t)(i * 13 + s->dport + 1);
  uint32_t upper = l4len + s->payload; /* bytes after the IP header and extensions */
  if (s->family == 6) {
    memset(ip, 0, 40);
    ip[0] = 0x60 | (s->tos >> 4);
    ip[1] = (uint8_t)(s->tos << 4);
    put16(ip + 4, exthl + upper);
    ip[7] = s->ttl ? s->ttl : 64;
    memcpy(ip + 8, s->src6, 16);
    memcpy(ip + 24, s->dst6, 16);
    /* chain the extension headers: each one's first byte names the next */
    uint8_t *prev = ip + 6;
    uint32_t off = 0;
    for (int i = 0; i < s->ext_count; ++i) {
      *prev = s->ext_types[i];
      uint32_t hl = s->ext_types[i] == 44 ? 8 : 8u * (s->ext[off + 1] + 1u);
      memcpy(ext + off, s->ext + off, hl);
      prev = ext + off;
      off += hl;
    }
    *prev = s->proto;
  } else {
    memset(ip, 0, iphl);
    ip[0] = (uint8_t)(0x40 | (iphl / 4));
    ip[1] = s->tos;
    put16(ip + 2, iphl + upper);
    put16(ip + 4, 0x1c46 + s->sport);
    put16(ip + 6, s->frag);
    ip[8] = s->ttl ? s->ttl : 64;
    ip[9] = s->proto;
    put32(ip + 12, s->src4);
    put32(ip + 16, s->dst4);
    for (uint32_t i = 20; i < iphl; ++i) ip[i] = i + 1 == iphl ? 0 : 1; /* NOPs, EOL */
    put16(ip + 10, fold(sum16(ip, iphl, 0)));
  }
  if (l4len && s->proto != 1) {
    uint32_t ps = s->family == 6 ? sum16(ip + 8, 32, 0) : sum16(ip + 12, 8, 0);
    ps += s->proto + upper;
    uint16_t c = fold(sum16(l4, upper, ps));
    if (s->proto == 17) {
      put16(l4 + 4, upper);
      c = fold(sum16(l4, upper, ps));
      if (c == 0) c = 0xffff;
      if (s->udp_csum_zero) c = 0;
    }
    put16(l4 + (s->proto == 6 ? 16 : s->proto == 17 ? 6 : 2), c);
  } else if (l4len) {
    put16(l4 + 2, fold(sum16(l4, upper, 0)));
  }
  return (uint32_t)(pay + s->payload - b);
}

static uint32_t ip4(int a, int b, int c, int d) {
  return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | (uint32_t)d;
}
static void ip6(uint8_t out[16], uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3) {
  put32(out, w0), put32(out + 4, w1), put32(out + 8, w2), put32(out + 12, w3);
}

/* IPv6 extension headers, by type: hop-by-hop (router alert, PadN), dest-opts (PadN),
 * routing (type 2, one address), fragment (offset and M from `frag`). */
static uint32_t ext_header(uint8_t type, uint16_t frag, uint8_t *out) {
  memset(out, 0, 24);
  switch (type) {
    case 0: out[2] = 5, out[3] = 2, out[6] = 1, out[7] = 0; return 8;
    case 60: out[2] = 1, out[3] = 4; return 8;
    case 43:
      out[1] = 2, out[2] = 2, out[3] = 1;
      ip6(out + 8, 0x20010db8, 0, 0xdead, 0xbeef);
      return 24;
    case 44: put16(out + 2, frag), put32(out + 4, 0xabcd0001); return 8;
    default: return 0;
  }
}

struct chain {
  uint8_t types[8];
  int n;
  uint8_t bytes[128];
  uint32_t len;
};
static void chain_add(struct chain *c, uint8_t type, uint16_t frag) {
  c->types[c->n++] = type;
  c->len += ext_header(type, frag, c->bytes + c->len);
}

static void truncations(const char *base, const uint8_t *b, uint32_t n) {
  char name[48];
  for (uint32_t len = 0; len < n; ++len) {
    snprintf(name, sizeof(name), "%s_trunc%u", base, len);
    add(name, b, len);
  }
}

static void make(void) {
  static uint8_t b[ND_MAX_PACKET];
  char name[48];
  uint32_t n;
  struct spec s;
  const uint32_t srcs[] = {ip4(10, 1, 2, 3), ip4(10, 9, 9, 9), ip4(192, 168, 1, 66),
                           ip4(172, 16, 0, 5), ip4(8, 8, 4, 4), ip4(10, 0, 0, 7)};
  const uint32_t dsts[] = {ip4(10, 0, 0, 1), ip4(10, 0, 0, 99), ip4(192, 168, 7, 1),
                           ip4(8, 8, 8, 8), ip4(10, 200, 0, 1), ip4(224, 0, 0, 5)};
  const uint8_t *macs[] = {kHostMac, kOtherMac, kBcastMac, kMcastMac, kPort1Mac};

  /* IPv4 TCP: flags, ports, options, TTLs, addresses */
  const uint8_t tcp_flags[] = {0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x29, 0x00};
  const uint16_t ports[] = {80, 443, 23, 53, 22, 8080, 1, 65535};
  for (int i = 0; i < 24; ++i) {
    memset(&s, 0, sizeof(s));
    s.dst_mac = macs[i % 5];
    s.family = 4;
    s.proto = 6;
    s.src4 = srcs[i % 6];
    s.dst4 = dsts[(i / 2) % 6];
    s.sport = (uint16_t)(30000 + i * 7);
    s.dport = ports[i % 8];
    s.tcp_flags = tcp_flags[(i * 3) % 8];
    s.tcp_opts = i % 3;
    s.ip_opt_words = (uint8_t)(i % 4 == 3 ? 1 + i % 10 : 0);
    s.ttl = (uint8_t)(i % 6 == 0 ? 1 : i % 6 == 1 ? 2 : i % 6 == 2 ? 255 : 64);
    s.tos = (uint8_t)(i * 4);
    s.payload = (uint32_t)(i % 5) * 37;
    n = build(&s, b);
    snprintf(name, sizeof(name), "tcp4_%d", i);
    add(name, b, n);
  }
  /* IPv4 UDP: DNS both ways, DHCP, random ports, zero checksum */
  for (int i = 0; i < 16; ++i) {
    memset(&s, 0, sizeof(s));
    s.dst_mac = macs[(i + 2) % 5];
    s.family = 4;
    s.proto = 17;
    s.src4 = srcs[(i + 1) % 6];
    s.dst4 = dsts[i % 6];
    s.sport = (uint16_t)(i % 4 == 0 ? 53 : i % 4 == 1 ? 68 : 40000 + i);
    s.dport = (uint16_t)(i % 4 == 2 ? 53 : i % 4 == 1 ? 67 : 9000 + i * 11);
    s.udp_csum_zero = i % 5 == 4;
    s.ip_opt_words = (uint8_t)(i == 7 ? 10 : 0);
    s.ttl = (uint8_t)(i % 7 == 0 ? 1 : 64);
    s.payload = (uint32_t)(i * 29 % 200);
    n = build(&s, b);
    snprintf(name, sizeof(name), "udp4_%d", i);
    add(name, b, n);
  }
  /* ICMP: echo request and reply, destination unreachable, time exceeded */
  const uint8_t icmp_types[][2] = {{8, 0}, {0, 0}, {3, 1}, {3, 4}, {11, 0}, {5, 1}};
  for (int i = 0; i < 6; ++i) {
    memset(&s, 0, sizeof(s));
    s.dst_mac = macs[i % 5];
    s.family = 4;
    s.proto = 1;
    s.src4 = srcs[i];
    s.dst4 = dsts[(i + 3) % 6];
    s.icmp_type = icmp_types[i][0];
    s.icmp_code = icmp_types[i][1];
    s.payload = 28 + (uint32_t)i * 8;
    n = build(&s, b);
    snprintf(name, sizeof(name), "icmp4_%d", i);
    add(name, b, n);
  }
  /* IPv4 fragments: first, middle, last, DF set; UDP and TCP */
  for (int i = 0; i < 8; ++i) {
    memset(&s, 0, sizeof(s));
    s.family = 4;
    s.proto = (uint8_t)(i < 4 ? 17 : 6);
    s.src4 = srcs[i % 6];
    s.dst4 = dsts[(i + 1) % 6];
    s.sport = 5353;
    s.dport = (uint16_t)(i % 2 ? 53 : 4789);
    s.tcp_flags = 0x18;
    switch (i % 4) {
      case 0: s.frag = 0x2000; break;                  /* first: MF, offset 0 */
      case 1: s.frag = 0x2000 | 185, s.no_l4 = 1; break; /* middle */
      case 2: s.frag = 370, s.no_l4 = 1; break;        /* last */
      case 3: s.frag = 0x4000; break;                  /* DF */
    }
    s.payload = i % 4 == 0 ? 1472 - 8 : 64 + (uint32_t)i;
    n = build(&s, b);
    snprintf(name, sizeof(name), "frag4_%d", i);
    add(name, b, n);
  }
  /* IPv6: TCP, UDP and ICMPv6 to the classifier's prefixes and others */
  for (int i = 0; i < 12; ++i) {
    memset(&s, 0, sizeof(s));
    s.dst_mac = i % 3 == 0 ? kMcastMac : macs[i % 5];
    s.family = 6;
    s.proto = (uint8_t)(i % 3 == 0 ? 58 : i % 3 == 1 ? 6 : 17);
    ip6(s.src6, 0x20010db8, 0x00000002, 0, 0x10 + (uint32_t)i);
    if (i % 4 == 0) ip6(s.dst6, 0xff020000, 0, 0, 1);
    else if (i % 4 == 1) ip6(s.dst6, 0x20010db8, 1, 0, 0x99);
    else if (i % 4 == 2) ip6(s.dst6, 0x20010db8, 0xffff, 0, 1);
    else ip6(s.dst6, 0xfe800000, 0, 0x12345678, 0x9abcdef0);
    s.sport = (uint16_t)(i % 2 ? 53 : 50000 + i);
    s.dport = (uint16_t)(i % 2 ? 40000 + i : 53);
    s.tcp_flags = tcp_flags[i % 8];
    s.tcp_opts = i % 3;
    s.icmp_type = (uint8_t)(i % 2 ? 128 : 135);
    s.ttl = (uint8_t)(i == 4 ? 1 : 64);
    s.tos = (uint8_t)(i * 16);
    s.payload = (uint32_t)(i * 17 % 90);
    n = build(&s, b);
    snprintf(name, sizeof(name), "ipv6_%d", i);
    add(name, b, n);
  }
  /* IPv6 extension header chains */
  const uint8_t chains[][5] = {{0}, {60}, {43}, {44}, {0, 60}, {0, 43, 44}, {0, 60, 43, 44, 60},
                               {60, 44}, {44}};
  const int chain_len[] = {1, 1, 1, 1, 2, 3, 5, 2, 1};
  for (int i = 0; i < 9; ++i) {
    for (int pi = 0; pi < 2; ++pi) {
      struct chain c;
      memset(&c, 0, sizeof(c));
      int nonfirst = i == 8;
      for (int k = 0; k < chain_len[i]; ++k) {
        chain_add(&c, chains[i][k], (uint16_t)(nonfirst ? (100 << 3) : (1 | 0)));
      }
      memset(&s, 0, sizeof(s));
      s.family = 6;
      s.proto = (uint8_t)(pi ? 17 : 6);
      s.no_l4 = nonfirst;
      ip6(s.src6, 0x20010db8, 3, 0, 1 + (uint32_t)i);
      ip6(s.dst6, 0x20010db8, (uint32_t)(i % 2), 0, 2);
      s.sport = 1234;
      s.dport = (uint16_t)(pi ? 53 : 443);
      s.tcp_flags = 0x02;
      s.ext = c.bytes;
      s.ext_len = c.len;
      s.ext_types = c.types;
      s.ext_count = c.n;
      s.payload = 20;
      n = build(&s, b);
      snprintf(name, sizeof(name), "ipv6_ext%d_%s", i, pi ? "udp" : "tcp");
      add(name, b, n);
    }
  }
  /* VLAN-tagged (802.1Q) and QinQ (802.1ad outside 802.1Q) IPv4 and IPv6 */
  for (int i = 0; i < 8; ++i) {
    memset(&s, 0, sizeof(s));
    s.dst_mac = macs[i % 5];
    s.vlans = 1 + i % 2;
    s.vlan_id = (uint16_t)(10 + i);
    s.family = i % 4 < 2 ? 4 : 6;
    s.proto = (uint8_t)(i % 3 == 0 ? 6 : i % 3 == 1 ? 17 : s.family == 4 ? 1 : 58);
    s.src4 = srcs[i % 6];
    s.dst4 = dsts[i % 6];
    ip6(s.src6, 0x20010db8, 0, 0, 5);
    ip6(s.dst6, 0x20010db8, 1, 0, 6);
    s.sport = 4000;
    s.dport = (uint16_t)(i % 2 ? 53 : 23);
    s.tcp_flags = 0x02;
    s.icmp_type = 8;
    s.payload = 10 + (uint32_t)i;
    n = build(&s, b);
    snprintf(name, sizeof(name), "%s_%d", s.vlans == 2 ? "qinq" : "vlan", i);
    add(name, b, n);
  }
  /* ARP request and reply; other EtherTypes; 802.3 frames */
  memset(b, 0, 64);
  memcpy(b, kBcastMac, 6);
  memcpy(b + 6, kPort1Mac, 6);
  put16(b + 12, 0x0806);
  put16(b + 14, 1), put16(b + 16, 0x0800), b[18] = 6, b[19] = 4, put16(b + 20, 1);
  memcpy(b + 22, kPort1Mac, 6), put32(b + 28, ip4(10, 0, 0, 7)), put32(b + 38, ip4(10, 0, 0, 1));
  add("arp_request", b, 42);
  memcpy(b, kOtherMac, 6);
  put16(b + 20, 2);
  add("arp_reply", b, 60);
  const uint16_t types[] = {0x88cc, 0x8847, 0x8864, 0x88e5, 0x0000, 0xffff, 0x0600, 0x05dc,
                            0x002e, 0x8100};
  for (int i = 0; i < 10; ++i) {
    memset(b, 0, 80);
    memcpy(b, macs[i % 5], 6);
    memcpy(b + 6, kOtherMac, 6);
    put16(b + 12, types[i]);
    for (int k = 14; k < 60 + i; ++k) b[k] = (uint8_t)(k * 3 + i);
    if (types[i] == 0x002e) b[14] = 0xaa, b[15] = 0xaa, b[16] = 3;
    snprintf(name, sizeof(name), "ethertype_%04x", types[i]);
    add(name, b, (uint32_t)(60 + i));
  }
  /* headers that lie: ihl below 5, total length beyond the frame, bad version */
  memset(&s, 0, sizeof(s));
  s.family = 4, s.proto = 6, s.src4 = srcs[0], s.dst4 = dsts[0], s.sport = 1, s.dport = 80;
  n = build(&s, b);
  b[14] = 0x44;
  add("ipv4_ihl4", b, n);
  b[14] = 0x4f;
  add("ipv4_ihl15_short", b, n);
  b[14] = 0x65;
  add("ipv4_version6", b, n);
  b[14] = 0x45;
  put16(b + 16, 1400);
  add("ipv4_totlen_long", b, n);

  /* every truncation of a few valid packets */
  memset(&s, 0, sizeof(s));
  s.family = 4, s.proto = 6, s.src4 = srcs[0], s.dst4 = dsts[0], s.sport = 33333;
  s.dport = 80, s.tcp_flags = 0x02, s.tcp_opts = 2, s.ip_opt_words = 1, s.payload = 4;
  n = build(&s, b);
  add("tcp4_opts_full", b, n);
  truncations("tcp4_opts", b, n);
  memset(&s, 0, sizeof(s));
  s.family = 6, s.proto = 17, s.sport = 40000, s.dport = 53, s.payload = 6;
  ip6(s.src6, 0x20010db8, 2, 0, 1);
  ip6(s.dst6, 0x20010db8, 1, 0, 2);
  n = build(&s, b);
  add("udp6_full", b, n);
  truncations("udp6", b, n);
  memset(&s, 0, sizeof(s));
  s.vlans = 1, s.family = 4, s.proto = 17, s.src4 = srcs[2], s.dst4 = dsts[1], s.sport = 53;
  s.dport = 5353, s.payload = 3;
  n = build(&s, b);
  add("vlan_udp4_full", b, n);
  truncations("vlan_udp4", b, n);
  {
    struct chain c;
    memset(&c, 0, sizeof(c));
    chain_add(&c, 0, 0);
    chain_add(&c, 44, 1);
    memset(&s, 0, sizeof(s));
    s.family = 6, s.proto = 6, s.sport = 2000, s.dport = 22, s.tcp_flags = 0x12;
    ip6(s.src6, 0x20010db8, 0, 0, 7);
    ip6(s.dst6, 0x20010db8, 1, 0, 8);
    s.ext = c.bytes, s.ext_len = c.len, s.ext_types = c.types, s.ext_count = c.n;
    n = build(&s, b);
    add("ipv6_hbh_frag_tcp_full", b, n);
    truncations("ipv6_hbh_frag_tcp", b, n);
  }
  memset(&s, 0, sizeof(s));
  s.vlans = 2, s.family = 4, s.proto = 1, s.src4 = srcs[3], s.dst4 = dsts[3], s.icmp_type = 8;
  s.payload = 2;
  n = build(&s, b);
  add("qinq_icmp4_full", b, n);
  truncations("qinq_icmp4", b, n);

  /* random bytes of random lengths; some with an IPv4, IPv6 or VLAN EtherType */
  for (int i = 0; i < 120; ++i) {
    uint32_t len = rnd() % (i < 100 ? 160 : 1500);
    for (uint32_t j = 0; j < len; ++j) b[j] = (uint8_t)rnd();
    if (len >= 15 && i % 4 == 1) put16(b + 12, 0x0800), b[14] = (uint8_t)(0x45 + i % 3);
    if (len >= 15 && i % 4 == 2) put16(b + 12, 0x86dd), b[14] = 0x60;
    if (len >= 19 && i % 8 == 3) put16(b + 12, 0x8100), put16(b + 16, 0x0800);
    snprintf(name, sizeof(name), "random_%d", i);
    add(name, b, len);
  }
}

size_t nd_make_packets(const struct nd_packet **out) {
  if (g_count == 0) {
    g_rng = 0x2545f4914f6cdd1dull;
    make();
  }
  *out = g_packets;
  return g_count;
}

/* ------------------------------------------------------------------------------------
 * Hash and images. */

static uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

void nd_hash128(const uint8_t *p, size_t n, char out[33]) {
  uint64_t h1 = 0x243f6a8885a308d3ull ^ n;
  uint64_t h2 = 0x13198a2e03707344ull + n * 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < n; i += 8) {
    uint64_t k = 0;
    for (size_t j = 0; j < 8 && i + j < n; ++j) k |= (uint64_t)p[i + j] << (8 * j);
    h1 = mix64(h1 ^ k) + h2;
    h2 = mix64(h2 + k * 0x9e3779b97f4a7c15ull) ^ (h1 >> 7 | h1 << 57);
  }
  h1 = mix64(h1 ^ h2);
  h2 = mix64(h2 + h1);
  snprintf(out, 33, "%016llx%016llx", (unsigned long long)h1, (unsigned long long)h2);
}

void nd_image_init(struct nd_image *im, const char *name, int is_events, uint32_t key_size,
                   uint32_t value_size) {
  memset(im, 0, sizeof(*im));
  snprintf(im->name, sizeof(im->name), "%s", name);
  im->is_events = is_events;
  im->key_size = key_size;
  im->value_size = value_size;
}

static void reserve(struct nd_image *im, size_t more) {
  if (im->data_len + more <= im->data_cap) return;
  size_t cap = im->data_cap ? im->data_cap * 2 : 256;
  while (cap < im->data_len + more) cap *= 2;
  uint8_t *d = realloc(im->data, cap);
  if (!d) abort();
  im->data = d;
  im->data_cap = cap;
}

void nd_image_entry(struct nd_image *im, const uint8_t *key, const uint8_t *value,
                    uint32_t slots) {
  reserve(im, im->key_size + im->value_size);
  uint8_t *e = im->data + im->data_len;
  memcpy(e, key, im->key_size);
  if (slots <= 1) {
    memcpy(e + im->key_size, value, im->value_size);
  } else {
    const uint32_t stride = (im->value_size + 7) & ~7u;
    for (uint32_t off = 0; off < im->value_size; off += 8) {
      uint64_t sum = 0;
      for (uint32_t s = 0; s < slots; ++s) {
        uint64_t v = 0;
        memcpy(&v, value + (size_t)s * stride + off,
               im->value_size - off < 8 ? im->value_size - off : 8);
        sum += v;
      }
      memcpy(e + im->key_size + off, &sum, im->value_size - off < 8 ? im->value_size - off : 8);
    }
  }
  im->data_len += im->key_size + im->value_size;
  im->n++;
}

void nd_image_record(struct nd_image *im, const uint8_t *rec, uint32_t len) {
  reserve(im, 4 + (size_t)len);
  memcpy(im->data + im->data_len, &len, 4);
  memcpy(im->data + im->data_len + 4, rec, len);
  im->data_len += 4 + (size_t)len;
  im->n++;
}

void nd_image_free(struct nd_image *im) {
  free(im->data);
  im->data = NULL;
  im->data_len = im->data_cap = 0;
}

const char *nd_global_name(const char *map_name) {
  if (strstr(map_name, ".rodata") || strstr(map_name, ".kconfig")) return NULL;
  if (strstr(map_name, ".bss")) return ".bss";
  if (strstr(map_name, ".data")) return ".data";
  return NULL;
}

static size_t g_sort_key_size;
static int cmp_entry(const void *a, const void *b) {
  return memcmp(a, b, g_sort_key_size);
}
static int cmp_image(const void *a, const void *b) {
  return strcmp(((const struct nd_image *)a)->name, ((const struct nd_image *)b)->name);
}

static void canonical(struct nd_image *ims, size_t n) {
  if (n > 1) qsort(ims, n, sizeof(*ims), cmp_image);
  for (size_t i = 0; i < n; ++i) {
    struct nd_image *im = &ims[i];
    if (im->is_events || im->n < 2 || im->key_size == 0) continue;
    g_sort_key_size = im->key_size;
    qsort(im->data, im->n, im->key_size + im->value_size, cmp_entry);
  }
}

void nd_images_hash(struct nd_image *ims, size_t n, char out[33]) {
  canonical(ims, n);
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) total += sizeof(ims[i].name) + 16 + ims[i].data_len;
  uint8_t *buf = calloc(1, total + 1);
  if (!buf) abort();
  size_t o = 0;
  for (size_t i = 0; i < n; ++i) {
    const struct nd_image *im = &ims[i];
    memcpy(buf + o, im->name, sizeof(im->name));
    o += sizeof(im->name);
    uint32_t hdr[4] = {(uint32_t)im->is_events, im->key_size, im->value_size, im->n};
    memcpy(buf + o, hdr, sizeof(hdr));
    o += sizeof(hdr);
    if (im->data_len) memcpy(buf + o, im->data, im->data_len);
    o += im->data_len;
  }
  nd_hash128(buf, o, out);
  free(buf);
}

static void print_hex(FILE *f, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; ++i) fprintf(f, "%02x", p[i]);
}

static int all_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i]) return 0;
  }
  return 1;
}

void nd_print_images(FILE *f, struct nd_image *ims, size_t n) {
  canonical(ims, n);
  for (size_t i = 0; i < n; ++i) {
    const struct nd_image *im = &ims[i];
    fprintf(f, "  %s (%s, %u %s)\n", im->name, im->is_events ? "events" : "map", im->n,
            im->is_events ? "records" : "entries");
    size_t o = 0;
    uint32_t zeros = 0;
    for (uint32_t k = 0; k < im->n; ++k) {
      if (!im->is_events && all_zero(im->data + o + im->key_size, im->value_size)) {
        ++zeros;
        o += im->key_size + im->value_size;
        continue;
      }
      fputs("    ", f);
      if (im->is_events) {
        uint32_t len;
        memcpy(&len, im->data + o, 4);
        print_hex(f, im->data + o + 4, len);
        o += 4 + (size_t)len;
      } else {
        print_hex(f, im->data + o, im->key_size);
        fputs(" = ", f);
        print_hex(f, im->data + o + im->key_size, im->value_size);
        o += im->key_size + im->value_size;
      }
      fputc('\n', f);
    }
    if (zeros) fprintf(f, "    (%u entries with all-zero values not shown)\n", zeros);
  }
}

const char *nd_errno_name(int err) {
  switch (err) {
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case EFAULT: return "EFAULT";
    case E2BIG: return "E2BIG";
    case 524: return "ENOTSUPP";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOMEM: return "ENOMEM";
    default: return "EOTHER";
  }
}

void nd_packets_digest(char out[33]) {
  const struct nd_packet *p;
  const size_t n = nd_make_packets(&p);
  char h[33];
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) total += sizeof(p[i].name) + 4 + p[i].len;
  uint8_t *buf = malloc(total + 1);
  if (!buf) abort();
  size_t o = 0;
  for (size_t i = 0; i < n; ++i) {
    memcpy(buf + o, p[i].name, sizeof(p[i].name));
    o += sizeof(p[i].name);
    memcpy(buf + o, &p[i].len, 4);
    o += 4;
    memcpy(buf + o, p[i].bytes, p[i].len);
    o += p[i].len;
  }
  nd_hash128(buf, o, h);
  free(buf);
  memcpy(out, h, 33);
}

void nd_skb_ctx_in(size_t i, uint32_t packet_len, uint8_t out[ND_SKB_CTX_SIZE]) {
  struct __sk_buff c;
  _Static_assert(sizeof(c) == ND_SKB_CTX_SIZE, "struct __sk_buff is 192 bytes");
  memset(&c, 0, sizeof(c));
  c.mark = (uint32_t)(i * 2654435761u);
  c.priority = (uint32_t)(i % 7);
  c.ingress_ifindex = (uint32_t)(i % 3);
  c.ifindex = (uint32_t)(i % 2);
  if (i % 2) {
    for (uint32_t j = 0; j < 5; ++j) c.cb[j] = (uint32_t)(i * (j + 1));
  }
  c.tstamp = i % 4 == 0 ? 0 : (uint64_t)i * 1000;
  c.wire_len = i % 5 == 0 ? 0 : packet_len + (uint32_t)(i % 100);
  c.gso_segs = (uint32_t)(i % 3);
  c.gso_size = (uint32_t)(i % 4) * 100;
  c.hwtstamp = i % 6 == 0 ? (uint64_t)i * 77 : 0;
  if (i % 37 == 0) c.wire_len = 1;     /* below len: refused */
  if (i % 41 == 0) c.len = 1;          /* a field a test may not set: refused */
  if (i % 43 == 0) c.gso_segs = 70000; /* above GSO_MAX_SEGS: refused */
  memcpy(out, &c, sizeof(c));
}
