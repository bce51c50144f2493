/* bpfjit-xdp-record OBJ PROGRAM: runs the xdp program PROGRAM of OBJ in the running
 * kernel with BPF_PROG_TEST_RUN on a fixed set of inputs and prints one TSV row per input:
 *
 *   id <TAB> repeat <TAB> ctx_in <TAB> data_in <TAB> result <TAB> retval <TAB> data_out
 *      <TAB> ctx_out
 *
 * Byte strings are lower-case hex ("-" for none). result is "ok" or the errno name the
 * kernel refused the run with (then retval, data_out and ctx_out are "-").
 *
 * The inputs: packets of many lengths (below ETH_HLEN, the shortest valid ones, typical
 * and up to the largest one frame holds) with random bytes (their first four bytes steer
 * bpf-progs/xdp_adjust.c), control bytes chosen to reach each helper's limits, ctx_in
 * with metadata and with the fields the kernel refuses, and repeated runs. Not tried: a
 * ctx_in data_end below data_in's length, which since Linux 6.18 puts the rest of data_in
 * into fragments, and data_in longer than one frame: bpfjit does not model fragments. The generator
 * is a fixed xorshift, so the rows are the same on every machine; the test reads data_in
 * and ctx_in from the file and never regenerates them.
 *
 * Must run as root. test/xdp/record.sh builds and runs it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#define MAX_DATA 4096

static unsigned long long g_state = 0x9e3779b97f4a7c15ull;

static unsigned next_rand(void) {
  g_state ^= g_state << 13;
  g_state ^= g_state >> 7;
  g_state ^= g_state << 17;
  return (unsigned)(g_state >> 32);
}

static void print_hex(const unsigned char *p, size_t n) {
  if (p == NULL) {
    fputs("-", stdout);
    return;
  }
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
  if (n == 0) fputs("", stdout);
}

static const char *errno_name(int e) {
  switch (e) {
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case EFAULT: return "EFAULT";
    case E2BIG: return "E2BIG";
    case ENODEV: return "ENODEV";
    case ENOMEM: return "ENOMEM";
    default: return "EOTHER";
  }
}

static int g_prog_fd;
static int g_id;

/* One test run; ctx may be NULL. */
static void run_case(const unsigned char *data, size_t len, const struct xdp_md *ctx,
                     unsigned repeat) {
  static unsigned char out[MAX_DATA * 2];
  struct xdp_md ctx_out;
  memset(&ctx_out, 0, sizeof(ctx_out));
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = (unsigned)len,
              .data_out = out, .data_size_out = sizeof(out), .repeat = repeat);
  if (ctx != NULL) {
    opts.ctx_in = ctx;
    opts.ctx_size_in = sizeof(*ctx);
    opts.ctx_out = &ctx_out;
    opts.ctx_size_out = sizeof(ctx_out);
  }
  int err = bpf_prog_test_run_opts(g_prog_fd, &opts);
  printf("%d\t%u\t", g_id++, repeat);
  print_hex((const unsigned char *)ctx, ctx != NULL ? sizeof(*ctx) : 0);
  putchar('\t');
  if (len == 0) fputs("-", stdout);
  print_hex(data, len);
  if (err != 0) {
    printf("\t%s\t-\t-\t-\n", errno_name(-err));
    return;
  }
  printf("\tok\t%u\t", opts.retval);
  if (opts.data_size_out == 0) fputs("-", stdout);
  print_hex(out, opts.data_size_out);
  putchar('\t');
  print_hex(ctx != NULL ? (const unsigned char *)&ctx_out : NULL, sizeof(ctx_out));
  putchar('\n');
}

static void random_bytes(unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (unsigned char)next_rand();
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: bpfjit-xdp-record OBJ PROGRAM\n");
    return 2;
  }
  struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
  if (obj == NULL) {
    fprintf(stderr, "cannot open %s\n", argv[1]);
    return 1;
  }
  if (bpf_object__load(obj) != 0) {
    fprintf(stderr, "cannot load %s\n", argv[1]);
    return 1;
  }
  struct bpf_program *prog = bpf_object__find_program_by_name(obj, argv[2]);
  if (prog == NULL) {
    fprintf(stderr, "no program %s in %s\n", argv[2], argv[1]);
    return 1;
  }
  g_prog_fd = bpf_program__fd(prog);
  static unsigned char pkt[MAX_DATA];

  /* Lengths from none to the largest one frame holds, random bytes, several each. */
  static const size_t lengths[] = {0,   1,   4,   13,  14,  15,  16,  17,  18,  20,
                                   22,  24,  28,  30,  32,  40,  54,  60,  64,  100,
                                   128, 200, 255, 256, 300, 512, 1000, 1500, 3000, 3520};
  for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++) {
    const int copies = lengths[l] <= 128 ? 12 : lengths[l] <= 256 ? 6 : 2;
    for (int k = 0; k < copies; k++) {
      random_bytes(pkt, lengths[l]);
      run_case(pkt, lengths[l], NULL, 1);
    }
  }
  /* Controls at the helpers' limits: meta 0..47, head deltas at the headroom and at
   * ETH_HLEN, tail deltas at the tailroom and at ETH_HLEN, load offsets at the end. */
  static const size_t edge_lengths[] = {14, 18, 64, 200};
  static const unsigned char c1s[] = {0x00, 0x01, 0x7f, 0x80, 0x81, 0x98, 0xa8, 0xd8, 0xe6};
  static const unsigned char c2s[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x0f, 0x10};
  static const unsigned char c3s[] = {0x00, 0x06, 0x07, 0x38, 0x80, 0x86, 0xbc, 0xff};
  for (size_t l = 0; l < sizeof(edge_lengths) / sizeof(edge_lengths[0]); l++) {
    const size_t len = edge_lengths[l];
    for (unsigned c0 = 0; c0 < 48; c0 += 5) {
      random_bytes(pkt, len);
      pkt[0] = (unsigned char)c0;
      pkt[1] = c1s[c0 % sizeof(c1s)];
      pkt[2] = c2s[(c0 / 5) % sizeof(c2s)];
      pkt[3] = c3s[(c0 / 3) % sizeof(c3s)];
      run_case(pkt, len, NULL, 1);
    }
    for (size_t i = 0; i < sizeof(c1s); i++) {
      for (size_t j = 0; j < sizeof(c2s); j += 3) {
        random_bytes(pkt, len);
        pkt[0] = 8;
        pkt[1] = c1s[i];
        pkt[2] = c2s[j];
        pkt[3] = c3s[(i + j) % sizeof(c3s)];
        run_case(pkt, len, NULL, 1);
      }
    }
  }
  /* The tailroom's end: a 3504-byte packet may grow by 16 bytes, not 32; a 3520-byte one
   * not at all. */
  static const struct {
    size_t len;
    unsigned char c2;
  } tails[] = {{3504, 0x04}, {3504, 0x08}, {3520, 0x00}, {3520, 0x01}, {3520, 0xff}};
  for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
    random_bytes(pkt, tails[i].len);
    pkt[0] = 0;
    pkt[1] = 0;
    pkt[2] = tails[i].c2;
    pkt[3] = 0;
    run_case(pkt, tails[i].len, NULL, 1);
  }
  /* ctx_in: metadata of 4, 8, 32 bytes (the first `data` bytes of data_in), a device. */
  static const unsigned metas[] = {0, 4, 8, 16, 32};
  for (size_t m = 0; m < sizeof(metas) / sizeof(metas[0]); m++) {
    for (int k = 0; k < 6; k++) {
      const size_t len = metas[m] + 14 + (next_rand() % 120);
      random_bytes(pkt, len);
      struct xdp_md md = {.data = metas[m], .data_end = (unsigned)len};
      if (k % 2 == 1) md.ingress_ifindex = 1;
      run_case(pkt, len, &md, 1);
    }
  }
  /* ctx_in the kernel refuses. */
  {
    const size_t len = 64;
    random_bytes(pkt, len);
    struct xdp_md bad[] = {
        {.data = 3, .data_end = 64},                     /* metadata not a multiple of 4 */
        {.data = 36, .data_end = 64},                    /* metadata over 32: valid */
        {.data = 0, .data_end = 65},                     /* data_end past the length */
        {.data = 0, .data_end = 64, .data_meta = 4},     /* data_meta set */
        {.data = 0, .data_end = 64, .egress_ifindex = 1},  /* egress_ifindex set */
        {.data = 0, .data_end = 64, .rx_queue_index = 1},  /* a queue without a device */
        {.data = 0, .data_end = 64, .ingress_ifindex = 0}, /* valid: all zero but data_end */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) run_case(pkt, len, &bad[i], 1);
    struct xdp_md big_meta = {.data = 32, .data_end = 3552};
    random_bytes(pkt, 3552);
    run_case(pkt, 3552, &big_meta, 1); /* the metadata adds to the room: 3520 + 32 */
    /* The longest metadata: it must fit the headroom after struct xdp_frame (216 bytes). */
    static const unsigned long_metas[] = {216, 220, 252, 128};
    for (size_t i = 0; i < sizeof(long_metas) / sizeof(long_metas[0]); i++) {
      const size_t n = long_metas[i] + 20;
      random_bytes(pkt, n);
      struct xdp_md md = {.data = long_metas[i], .data_end = (unsigned)n};
      run_case(pkt, n, &md, 1);
    }
  }
  /* Repeated runs: each on what the previous one left. */
  for (int k = 0; k < 8; k++) {
    const size_t len = 60 + (next_rand() % 200);
    random_bytes(pkt, len);
    pkt[0] = 4;
    pkt[1] = (unsigned char)(k < 4 ? 0xf0 : 0x04);
    run_case(pkt, len, NULL, 3 + (unsigned)k);
  }
  bpf_object__close(obj);
  return 0;
}
