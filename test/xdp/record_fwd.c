/* bpfjit-fwd-record OBJ: runs bpf-progs/xdp_fwd.c's xdp_fwd and tc_fwd in the running
 * kernel with BPF_PROG_TEST_RUN on a fixed set of IPv4 and IPv6 packets and prints one TSV
 * row per run:
 *
 *   id <TAB> program <TAB> ctx_in <TAB> data_in <TAB> retval <TAB> data_out <TAB> obs
 *
 * (lower-case hex; "-" for no ctx_in; obs is the program's struct fwd_obs, zeroed before
 * each run). tx_port[2] = 2 before the runs. The network the answers depend on is the one
 * test/xdp/record_fwd.sh builds in a fresh network namespace; test/xdp/fwd_oracle_test.cc
 * gives bpfjit the same one. Must run as root, inside that namespace. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#define OBS_SIZE 80  /* sizeof(struct fwd_obs) */

static int g_obs_fd;
static int g_id;

static void print_hex(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

static size_t ipv4_packet(unsigned char *p, const char *src, const char *dst, size_t len,
                          const unsigned char steer[5]) {
  memset(p, 0, len);
  memcpy(p + 6, steer, 5);
  p[12] = 0x08;
  p[14] = 0x45;
  p[16] = (unsigned char)((len - 14) >> 8);
  p[17] = (unsigned char)(len - 14);
  p[22] = 64;
  p[23] = 17;
  inet_pton(AF_INET, src, p + 26);
  inet_pton(AF_INET, dst, p + 30);
  return len;
}

static size_t ipv6_packet(unsigned char *p, const char *src, const char *dst, size_t len,
                          const unsigned char steer[5]) {
  memset(p, 0, len);
  memcpy(p + 6, steer, 5);
  p[12] = 0x86;
  p[13] = 0xdd;
  p[14] = 0x60;
  p[18] = (unsigned char)((len - 54) >> 8);
  p[19] = (unsigned char)(len - 54);
  p[20] = 17;
  p[21] = 64;
  inet_pton(AF_INET6, src, p + 22);
  inet_pton(AF_INET6, dst, p + 38);
  return len;
}

static void run(int prog_fd, const char *name, unsigned char *data, size_t len,
                unsigned ingress) {
  unsigned char out[4096];
  unsigned char obs[OBS_SIZE] = {0};
  unsigned zero = 0;
  unsigned md[6] = {0, (unsigned)len, 0, ingress, 0, 0};
  bpf_map_update_elem(g_obs_fd, &zero, obs, BPF_ANY);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = (unsigned)len,
              .data_out = out, .data_size_out = sizeof out);
  if (ingress != 0) {
    opts.ctx_in = md;
    opts.ctx_size_in = sizeof md;
  }
  int err = bpf_prog_test_run_opts(prog_fd, &opts);
  if (err != 0) {
    fprintf(stderr, "record_fwd: %s run %d: %s\n", name, g_id, strerror(errno));
    exit(1);
  }
  bpf_map_lookup_elem(g_obs_fd, &zero, obs);
  printf("%d\t%s\t", g_id++, name);
  if (ingress != 0) print_hex((unsigned char *)md, sizeof md);
  else fputs("-", stdout);
  putchar('\t');
  print_hex(data, len);
  printf("\t%u\t", opts.retval);
  print_hex(out, opts.data_size_out);
  putchar('\t');
  print_hex(obs, sizeof obs);
  putchar('\n');
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: bpfjit-fwd-record OBJ\n");
    return 2;
  }
  struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
  if (obj == NULL || bpf_object__load(obj) != 0) {
    fprintf(stderr, "record_fwd: cannot load %s\n", argv[1]);
    return 1;
  }
  int xdp = bpf_program__fd(bpf_object__find_program_by_name(obj, "xdp_fwd"));
  int tc = bpf_program__fd(bpf_object__find_program_by_name(obj, "tc_fwd"));
  g_obs_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "obs"));
  int tx = bpf_map__fd(bpf_object__find_map_by_name(obj, "tx_port"));
  unsigned two = 2;
  if (bpf_map_update_elem(tx, &two, &two, BPF_ANY) != 0) {
    fprintf(stderr, "record_fwd: tx_port[2]: %s\n", strerror(errno));
    return 1;
  }
  /* Destinations: a neighbour on d2, a network through a gateway with a locked MTU, a
   * blackhole, no route, no neighbour, the local address; IPv6 on d3 and link-local. */
  static const char *v4_dst[] = {"10.0.2.7", "10.9.1.1", "10.66.0.1", "192.0.2.1",
                                 "10.0.2.8", "10.0.2.1"};
  static const size_t v4_len[] = {100, 1294, 1400};
  /* flags (fib), redirect_map flags, table, len_diff, tc without tot_len */
  static const unsigned char steers[][5] = {
      {0, 0, 0, 0, 0},  {0, 1, 0, 0, 0},  {0, 2, 0, 0, 0},    {0, 8, 0, 0, 0},
      {0, 0x20, 0, 0, 0}, {4, 0, 0, 0, 0}, {16, 0, 0, 0, 0},  {1, 0, 0, 0, 0},
      {9, 0, 7, 0, 0},  {9, 0, 254, 0, 0}, {0x40, 0, 0, 0, 0}, {0, 0, 0, 0x7f, 1},
      {0, 0, 0, 0x80, 1}, {2, 0, 0, 0, 0}};
  unsigned char pkt[2048];
  for (size_t s = 0; s < sizeof steers / sizeof steers[0]; s++) {
    for (size_t d = 0; d < sizeof v4_dst / sizeof v4_dst[0]; d++) {
      for (size_t l = 0; l < sizeof v4_len / sizeof v4_len[0]; l++) {
        size_t n = ipv4_packet(pkt, "10.0.1.1", v4_dst[d], v4_len[l], steers[s]);
        run(xdp, "xdp_fwd", pkt, n, 0);
        run(tc, "tc_fwd", pkt, n, 0);
      }
    }
    static const char *v6_dst[] = {"2001:db8:3::9", "2001:db8:3::8", "2001:db8:9::1"};
    for (size_t d = 0; d < 3; d++) {
      size_t n = ipv6_packet(pkt, "2001:db8:1::1", v6_dst[d], 200, steers[s]);
      run(xdp, "xdp_fwd", pkt, n, 0);
      run(tc, "tc_fwd", pkt, n, 0);
      n = ipv6_packet(pkt, "fe80::1", v6_dst[d], 200, steers[s]);
      run(xdp, "xdp_fwd", pkt, n, 0);
    }
    /* From the other devices (xdp ctx_in ingress_ifindex). */
    for (unsigned dev = 2; dev <= 3; dev++) {
      size_t n = ipv4_packet(pkt, "10.0.1.1", "10.0.2.7", 100, steers[s]);
      run(xdp, "xdp_fwd", pkt, n, dev);
    }
  }
  bpf_object__close(obj);
  return 0;
}
