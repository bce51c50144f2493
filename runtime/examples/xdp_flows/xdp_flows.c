/* example_xdp_flows: runs an XDP program over every frame of a pcap file with the bpfjit
 * C API, then prints the per-flow counters the program kept in its `flows` hash map,
 * sorted by flow, and the frame totals of its `totals` map.
 *
 *   example_xdp_flows XDP_OBJ PCAP
 *
 * Output: one line per flow,
 *   PROTO SADDR:SPORT -> DADDR:DPORT packets N bytes M
 * then "verdicts pass N drop M other K" and "totals frames A counted B not_ipv4 C
 * malformed D". Reads classic pcap files (either byte order, microsecond or nanosecond
 * timestamps) of Ethernet frames. Exits 1 with a message on any error. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfjit/bpfjit.h"
#include "flow_key.h"

enum { kLinktypeEthernet = 1, kMaxFrame = 262144 };

/* A whole pcap file in memory and where the next record starts. */
struct pcap {
  uint8_t* bytes;
  size_t size;
  size_t pos;
  bool swapped; /* written on a host of the other byte order */
  uint64_t records;
};

static uint32_t pcap_u32(const struct pcap* p, size_t off) {
  uint32_t v;
  memcpy(&v, p->bytes + off, sizeof(v));
  return p->swapped ? __builtin_bswap32(v) : v;
}

static int fail(const char* what, const char* detail) {
  fprintf(stderr, "error: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  return 1;
}

static int fail_bpfjit(const char* what) { return fail(what, bpfjit_last_error_message()); }

/* Reads the file and checks the global header; 0 on success. */
static int pcap_open(const char* path, struct pcap* p) {
  memset(p, 0, sizeof(*p));
  FILE* f = fopen(path, "rb");
  if (f == NULL) return fail("cannot open", path);
  size_t cap = 0;
  for (;;) {
    if (p->size == cap) {
      cap = cap ? cap * 2 : 65536;
      uint8_t* grown = realloc(p->bytes, cap);
      if (grown == NULL) {
        fclose(f);
        return fail("out of memory reading", path);
      }
      p->bytes = grown;
    }
    size_t n = fread(p->bytes + p->size, 1, cap - p->size, f);
    p->size += n;
    if (n == 0) break;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) return fail("cannot read", path);
  if (p->size < 24) {
    fprintf(stderr, "error: %s: %zu bytes, a pcap header needs 24\n", path, p->size);
    return 1;
  }
  uint32_t magic;
  memcpy(&magic, p->bytes, sizeof(magic));
  if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du) {
    p->swapped = false;
  } else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u) {
    p->swapped = true;
  } else {
    fprintf(stderr, "error: %s: magic 0x%08" PRIx32 " is not a pcap file's\n", path, magic);
    return 1;
  }
  uint32_t linktype = pcap_u32(p, 20);
  if (linktype != kLinktypeEthernet) {
    fprintf(stderr, "error: %s: link type %" PRIu32 ", only Ethernet (1) is supported\n", path,
            linktype);
    return 1;
  }
  p->pos = 24;
  return 0;
}

/* The next frame: 1 and *frame, *len; 0 at the end; -1 on a broken record. */
static int pcap_next(struct pcap* p, const char* path, uint8_t** frame, uint32_t* len) {
  if (p->pos == p->size) return 0;
  uint64_t index = p->records + 1;
  if (p->size - p->pos < 16) {
    fprintf(stderr, "error: %s: record %" PRIu64 " header is cut short (%zu of 16 bytes)\n",
            path, index, p->size - p->pos);
    return -1;
  }
  uint32_t incl_len = pcap_u32(p, p->pos + 8);
  if (incl_len > kMaxFrame || incl_len > p->size - p->pos - 16) {
    fprintf(stderr, "error: %s: record %" PRIu64 " holds %" PRIu32 " bytes, %zu are left\n",
            path, index, incl_len, p->size - p->pos - 16);
    return -1;
  }
  *frame = p->bytes + p->pos + 16;
  *len = incl_len;
  p->pos += 16 + (size_t)incl_len;
  p->records = index;
  return 1;
}

struct flow {
  struct flow_key key;
  struct flow_counts counts;
};

static int flow_order(const void* a, const void* b) {
  const struct flow_key* x = &((const struct flow*)a)->key;
  const struct flow_key* y = &((const struct flow*)b)->key;
  uint64_t kx[5] = {x->proto, ntohl(x->saddr), ntohs(x->sport), ntohl(x->daddr), ntohs(x->dport)};
  uint64_t ky[5] = {y->proto, ntohl(y->saddr), ntohs(y->sport), ntohl(y->daddr), ntohs(y->dport)};
  for (int i = 0; i < 5; i++) {
    if (kx[i] != ky[i]) return kx[i] < ky[i] ? -1 : 1;
  }
  return 0;
}

static const char* proto_name(unsigned proto, char* buf, size_t size) {
  switch (proto) {
    case 1: return "icmp";
    case 6: return "tcp";
    case 17: return "udp";
    default: snprintf(buf, size, "proto-%u", proto); return buf;
  }
}

/* Reads every flow of the map into *out (sorted); returns the count, or -1. */
static long read_flows(const bpfjit_map* flows, struct flow** out) {
  size_t n = 0, cap = 64;
  struct flow* all = malloc(cap * sizeof(*all));
  if (all == NULL) return -1;
  struct flow_key key, next;
  const struct flow_key* prev = NULL; /* NULL: start at the first key */
  while (bpfjit_map_next_key(flows, prev, prev ? sizeof(key) : 0, &next, sizeof(next)) ==
         BPFJIT_OK) {
    if (n == cap) {
      cap *= 2;
      struct flow* grown = realloc(all, cap * sizeof(*all));
      if (grown == NULL) {
        free(all);
        return -1;
      }
      all = grown;
    }
    all[n].key = next;
    if (bpfjit_map_lookup(flows, &next, sizeof(next), &all[n].counts,
                          sizeof(all[n].counts)) != BPFJIT_OK) {
      free(all);
      return -1;
    }
    n++;
    key = next;
    prev = &key;
  }
  if (bpfjit_last_error_code() != BPFJIT_ERR_NOT_FOUND) { /* the end, or a real failure */
    free(all);
    return -1;
  }
  qsort(all, n, sizeof(*all), flow_order);
  *out = all;
  return (long)n;
}

static int run(const char* obj_path, const char* pcap_path, bpfjit_runtime* rt,
               struct pcap* pcap) {
  bpfjit_object* obj = NULL;
  bpfjit_program* prog = NULL;
  bpfjit_map *flows = NULL, *totals = NULL;
  uint64_t verdicts[3] = {0, 0, 0}; /* pass, drop, other */
  uint64_t t[TOTAL_COUNT];
  struct flow* all = NULL;
  uint8_t* frame = NULL;
  uint32_t len = 0;
  int more;
  long n;
  if (bpfjit_load_file(rt, obj_path, NULL, &obj) != BPFJIT_OK) return fail_bpfjit("load");
  int rc = 1;
  if (bpfjit_object_program(obj, "xdp_flows", &prog) != BPFJIT_OK ||
      bpfjit_object_map(obj, "flows", &flows) != BPFJIT_OK ||
      bpfjit_object_map(obj, "totals", &totals) != BPFJIT_OK) {
    fail_bpfjit(obj_path);
    goto out;
  }
  /* The default options: the verifier must prove the program safe. */
  if (bpfjit_program_prepare(prog, NULL) != BPFJIT_OK) {
    fail_bpfjit("the verifier refused xdp_flows");
    goto out;
  }

  while ((more = pcap_next(pcap, pcap_path, &frame, &len)) == 1) {
    uint64_t r0 = 0;
    /* The program may rewrite the frame in place: it gets the file's buffer. */
    if (bpfjit_program_run(prog, frame, len, NULL, &r0) != BPFJIT_OK) {
      fprintf(stderr, "error: frame %" PRIu64 ": %s\n", pcap->records,
              bpfjit_last_error_message());
      goto out;
    }
    verdicts[r0 == 2 ? 0 : r0 == 1 ? 1 : 2]++; /* XDP_PASS, XDP_DROP */
  }
  if (more < 0) goto out;

  n = read_flows(flows, &all);
  if (n < 0) {
    fail_bpfjit("reading the flows map");
    goto out;
  }
  for (long i = 0; i < n; i++) {
    char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN], buf[16];
    inet_ntop(AF_INET, &all[i].key.saddr, src, sizeof(src));
    inet_ntop(AF_INET, &all[i].key.daddr, dst, sizeof(dst));
    printf("%s %s:%u -> %s:%u packets %llu bytes %llu\n",
           proto_name(all[i].key.proto, buf, sizeof(buf)), src, ntohs(all[i].key.sport), dst,
           ntohs(all[i].key.dport), all[i].counts.packets, all[i].counts.bytes);
  }
  for (uint32_t k = 0; k < TOTAL_COUNT; k++) {
    if (bpfjit_map_lookup(totals, &k, sizeof(k), &t[k], sizeof(t[k])) != BPFJIT_OK) {
      fail_bpfjit("reading the totals map");
      goto out;
    }
  }
  printf("verdicts pass %" PRIu64 " drop %" PRIu64 " other %" PRIu64 "\n", verdicts[0],
         verdicts[1], verdicts[2]);
  printf("totals frames %" PRIu64 " counted %" PRIu64 " not_ipv4 %" PRIu64
         " malformed %" PRIu64 "\n",
         t[TOTAL_FRAMES], t[TOTAL_COUNTED], t[TOTAL_NOT_IPV4], t[TOTAL_MALFORMED]);
  rc = 0;
out:
  free(all);
  bpfjit_object_destroy(obj);
  return rc;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: example_xdp_flows XDP_OBJ PCAP\n");
    return 1;
  }
  struct pcap pcap;
  if (pcap_open(argv[2], &pcap) != 0) {
    free(pcap.bytes);
    return 1;
  }
  bpfjit_runtime* rt = NULL;
  if (bpfjit_runtime_create(&rt) != BPFJIT_OK) {
    free(pcap.bytes);
    return fail_bpfjit("runtime");
  }
  int rc = run(argv[1], argv[2], rt, &pcap);
  bpfjit_runtime_destroy(rt);
  free(pcap.bytes);
  return rc;
}
