/* A C host of the installed bpfjit: as consumer.cc, through the C API.
 * Usage: consumer_c BPF_PROGS_DIR */
#include <bpfjit/bpfjit.h>

#include <stdio.h>
#include <string.h>

static int run(bpfjit_runtime* rt, const char* dir) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/xdp_filter.v4.o", dir);
  bpfjit_object* obj = NULL;
  bpfjit_program* prog = NULL;
  bpfjit_map* stats = NULL;
  if (bpfjit_load_file(rt, path, NULL, &obj) != BPFJIT_OK ||
      bpfjit_object_program(obj, "xdp_filter", &prog) != BPFJIT_OK ||
      bpfjit_program_prepare(prog, NULL) != BPFJIT_OK ||
      bpfjit_object_map(obj, "stats", &stats) != BPFJIT_OK) {
    fprintf(stderr, "bpfjit: %s\n", bpfjit_last_error_message());
    bpfjit_object_destroy(obj);
    return 1;
  }
  unsigned char pkt[54] = {2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0x08, 0x00,
                           0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1,
                           10, 0, 0, 2, 0x9c, 0x40, 0, 23};
  pkt[46] = 0x50;
  uint64_t telnet = 0, web = 0, tcp = 0, drop = 0;
  uint32_t k_tcp = 2, k_drop = 4;
  int rc = bpfjit_program_run(prog, pkt, sizeof(pkt), NULL, &telnet);
  pkt[37] = 80;
  rc |= bpfjit_program_run(prog, pkt, sizeof(pkt), NULL, &web);
  rc |= bpfjit_map_lookup(stats, &k_tcp, sizeof(k_tcp), &tcp, sizeof(tcp));
  rc |= bpfjit_map_lookup(stats, &k_drop, sizeof(k_drop), &drop, sizeof(drop));
  printf("bpfjit %s (%s): telnet %llu web %llu tcp %llu drop %llu\n", bpfjit_version(),
         bpfjit_program_engine_name(prog), (unsigned long long)telnet, (unsigned long long)web,
         (unsigned long long)tcp, (unsigned long long)drop);
  bpfjit_object_destroy(obj);
  return rc == 0 && telnet == 1 && web == 2 && tcp == 2 && drop == 1 ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  bpfjit_runtime* rt = NULL;
  if (bpfjit_runtime_create(&rt) != BPFJIT_OK) return 1;
  int rc = run(rt, argv[1]);
  bpfjit_runtime_destroy(rt);
  return rc;
}
