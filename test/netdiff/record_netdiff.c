/* bpfjit-netdiff-record DIR [--show OBJECT PROGRAM PACKET]: runs every networking program
 * of the objects of nd_objects[] (nd_object_path) on every packet of nd_make_packets()
 * through the kernel's BPF_PROG_TEST_RUN and prints, for each program, a line
 * "@ <TAB> object:program" and then one TSV row per run, in the packets' order:
 *
 *   packet  result  data_out  ctx_out  maps
 *
 * - result: "ret=0x..." (retval) or "err=NAME" (the errno the kernel refused the run with);
 *   a program the kernel refuses to load (with the object's others, then alone) has one
 *   row, packet "*", result "load=NAME";
 * - data_out: "=" when it is data_in unchanged, else nd_hash128 of it; "-" on refusal;
 * - ctx_out: nd_hash128 of the struct xdp_md or struct __sk_buff the kernel gives back,
 *   "^" when the same as the program's previous row; "-" on refusal;
 * - maps: nd_hash128 of the object's map images after the run (netdiff.h), "^" when the
 *   same as the program's previous row.
 *
 * Each program runs on a freshly loaded object (the object's other networking programs
 * loaded too, for tail calls), filled from nd_setups[], with perf buffers and ring buffer
 * readers open; maps carry over from packet to packet. xdp runs get ctx_in = {data 0,
 * data_end len, ingress_ifindex 1}; skb and socket runs nd_skb_ctx_in().
 *
 * --show prints the kernel's full answer (data_out, ctx_out, every map image) for one run,
 * to see what a mismatch the test reports differs in. Must run as root. test/netdiff/
 * record.sh builds and runs it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "netdiff.h"

#define MAX_IMAGES 32

static struct nd_image g_images[MAX_IMAGES];
static size_t g_nimages;
/* The event images of the current run, by the map's position among event maps. */
static struct nd_image g_events[8];
static size_t g_nevents;

static int is_networking(enum bpf_prog_type t) {
  return t == BPF_PROG_TYPE_XDP || t == BPF_PROG_TYPE_SCHED_CLS ||
         t == BPF_PROG_TYPE_SCHED_ACT || t == BPF_PROG_TYPE_CGROUP_SKB ||
         t == BPF_PROG_TYPE_SOCKET_FILTER;
}

static int is_dumped(enum bpf_map_type t) {
  return t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
         t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_LRU_HASH ||
         t == BPF_MAP_TYPE_LRU_PERCPU_HASH || t == BPF_MAP_TYPE_LPM_TRIE;
}

static int is_percpu(enum bpf_map_type t) {
  return t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
         t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static int on_perf_sample_count;
static void on_perf_sample(void *ctx, int cpu, void *data, __u32 size) {
  (void)cpu;
  nd_image_record(&g_events[(size_t)ctx], data, size);
  ++on_perf_sample_count;
}
static void on_perf_lost(void *ctx, int cpu, __u64 count) {
  fprintf(stderr, "perf buffer %zu lost %llu records on cpu %d\n", (size_t)ctx,
          (unsigned long long)count, cpu);
}
static int on_ringbuf(void *ctx, void *data, size_t size) {
  nd_image_record(&g_events[(size_t)ctx], data, (uint32_t)size);
  return 0;
}

/* The images of every dumped map of obj, and the event records of the run. */
static void take_images(struct bpf_object *obj) {
  g_nimages = 0;
  const int ncpus = libbpf_num_possible_cpus();
  struct bpf_map *m;
  bpf_object__for_each_map(m, obj) {
    enum bpf_map_type t = bpf_map__type(m);
    if (!is_dumped(t)) continue;
    const char *name = bpf_map__name(m);
    if (bpf_map__is_internal(m)) {
      name = nd_global_name(name);
      if (!name) continue;
    }
    const uint32_t ks = bpf_map__key_size(m), vs = bpf_map__value_size(m);
    const uint32_t slots = is_percpu(t) ? (uint32_t)ncpus : 1;
    struct nd_image *im = &g_images[g_nimages++];
    nd_image_init(im, name, 0, ks, vs);
    const int fd = bpf_map__fd(m);
    uint8_t key[256], next[256];
    uint8_t *value = malloc((size_t)slots * ((vs + 7) & ~7u));
    int have = 0;
    while (bpf_map_get_next_key(fd, have ? key : NULL, next) == 0) {
      memcpy(key, next, ks);
      have = 1;
      if (bpf_map_lookup_elem(fd, key, value) == 0) nd_image_entry(im, key, value, slots);
    }
    free(value);
  }
  for (size_t i = 0; i < g_nevents; ++i) {
    g_images[g_nimages] = g_events[i];
    ++g_nimages;
  }
}

static void free_images(void) {
  for (size_t i = 0; i < g_nimages; ++i) nd_image_free(&g_images[i]);
  g_nimages = 0;
  for (size_t i = 0; i < g_nevents; ++i) {
    g_events[i].data = NULL;
    g_events[i].data_len = g_events[i].data_cap = 0;
    g_events[i].n = 0;
  }
}

static int apply_setups(struct bpf_object *obj, const char *object) {
  for (size_t i = 0; i < nd_setup_count; ++i) {
    const struct nd_setup *s = &nd_setups[i];
    if (strcmp(s->object, object) != 0) continue;
    struct bpf_map *m = bpf_object__find_map_by_name(obj, s->map);
    if (!m) {
      fprintf(stderr, "%s: no map %s\n", object, s->map);
      return -1;
    }
    uint8_t key[64], value[64];
    nd_unhex(s->key, key, sizeof(key));
    int err;
    if (s->kind == ND_TAIL_CALL) {
      struct bpf_program *target = bpf_object__find_program_by_name(obj, s->value);
      if (!target) {
        fprintf(stderr, "%s: no program %s\n", object, s->value);
        return -1;
      }
      int fd = bpf_program__fd(target);
      err = bpf_map_update_elem(bpf_map__fd(m), key, &fd, BPF_ANY);
    } else {
      nd_unhex(s->value, value, sizeof(value));
      err = bpf_map_update_elem(bpf_map__fd(m), s->kind == ND_PUSH ? NULL : key, value, BPF_ANY);
    }
    if (err) {
      fprintf(stderr, "%s: setting up %s: %s\n", object, s->map, strerror(errno));
      return -1;
    }
  }
  return 0;
}

static void hex(FILE *f, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; ++i) fprintf(f, "%02x", p[i]);
}

struct show {
  const char *object, *program, *packet;
};

/* Opens DIR/OBJECT.v3.o. Sections "xdp/NAME", which libbpf 1.1 in strict mode does not
 * type, are xdp programs, as bpfjit's loader and older libbpf take them. */
static struct bpf_object *open_object(const char *dir, const char *object) {
  char path[512];
  nd_object_path(dir, object, "v3", path, sizeof(path));
  struct bpf_object *obj = bpf_object__open_file(path, NULL);
  if (!obj) return NULL;
  struct bpf_program *p;
  bpf_object__for_each_program(p, obj) {
    if (bpf_program__type(p) == BPF_PROG_TYPE_UNSPEC &&
        strncmp(bpf_program__section_name(p), "xdp/", 4) == 0) {
      bpf_program__set_type(p, BPF_PROG_TYPE_XDP);
      bpf_program__set_expected_attach_type(p, BPF_XDP);
    }
  }
  return obj;
}

/* Runs `program` of `object` on every packet; prints the rows, or with `show` the full
 * answer for one packet. */
static int run_program(const char *dir, const struct nd_object *o, const char *program,
                       const struct show *show) {
  struct bpf_object *obj = open_object(dir, o->name);
  if (!obj) {
    fprintf(stderr, "%s: cannot open\n", o->name);
    return 1;
  }
  struct bpf_program *p;
  bpf_object__for_each_program(p, obj) {
    if (!is_networking(bpf_program__type(p))) bpf_program__set_autoload(p, false);
  }
  if (bpf_object__load(obj)) {
    /* Another program of the object may be the one the kernel refuses: this one alone. */
    bpf_object__close(obj);
    obj = open_object(dir, o->name);
    if (!obj) return 1;
    bpf_object__for_each_program(p, obj) {
      bpf_program__set_autoload(p, strcmp(bpf_program__name(p), program) == 0);
    }
    if (bpf_object__load(obj)) {
      int e = errno;
      if (!show) printf("@\t%s:%s\n*\tload=%s\t-\t-\t-\n", o->name, program, nd_errno_name(e));
      bpf_object__close(obj);
      return 0;
    }
  }
  struct bpf_program *prog = bpf_object__find_program_by_name(obj, program);
  if (!prog || apply_setups(obj, o->name)) {
    bpf_object__close(obj);
    return 1;
  }
  const int is_xdp = bpf_program__type(prog) == BPF_PROG_TYPE_XDP;
  /* readers for the event maps */
  struct perf_buffer *pbs[8] = {0};
  struct ring_buffer *rbs[8] = {0};
  g_nevents = 0;
  struct bpf_map *m;
  bpf_object__for_each_map(m, obj) {
    enum bpf_map_type t = bpf_map__type(m);
    if (t != BPF_MAP_TYPE_PERF_EVENT_ARRAY && t != BPF_MAP_TYPE_RINGBUF) continue;
    const size_t idx = g_nevents++;
    nd_image_init(&g_events[idx], bpf_map__name(m), 1, 0, 0);
    if (t == BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
      pbs[idx] = perf_buffer__new(bpf_map__fd(m), 8, on_perf_sample, on_perf_lost,
                                  (void *)idx, NULL);
      if (!pbs[idx]) fprintf(stderr, "%s: perf_buffer__new: %s\n", o->name, strerror(errno));
    } else {
      rbs[idx] = ring_buffer__new(bpf_map__fd(m), on_ringbuf, (void *)idx, NULL);
    }
  }
  const struct nd_packet *pk;
  const size_t np = nd_make_packets(&pk);
  char last_ctx[40] = "", last_maps[40] = "";
  static uint8_t data_out[65536];  /* room for what the size-changing helpers grow */
  for (size_t i = 0; i < np; ++i) {
    struct xdp_md ctx_in = {0}, ctx_out = {0};
    ctx_in.data_end = pk[i].len;
    ctx_in.ingress_ifindex = 1;
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pk[i].bytes, .data_size_in = pk[i].len,
                .data_out = data_out, .data_size_out = sizeof(data_out), .repeat = 1);
    uint8_t skb_in[ND_SKB_CTX_SIZE], skb_out[ND_SKB_CTX_SIZE] = {0};
    if (is_xdp) {
      opts.ctx_in = &ctx_in;
      opts.ctx_size_in = sizeof(ctx_in);
      opts.ctx_out = &ctx_out;
      opts.ctx_size_out = sizeof(ctx_out);
    } else {
      nd_skb_ctx_in(i, pk[i].len, skb_in);
      opts.ctx_in = skb_in;
      opts.ctx_size_in = sizeof(skb_in);
      opts.ctx_out = skb_out;
      opts.ctx_size_out = sizeof(skb_out);
    }
    const uint8_t *ctx_bytes = is_xdp ? (const uint8_t *)&ctx_out : skb_out;
    const size_t ctx_size = is_xdp ? sizeof(ctx_out) : sizeof(skb_out);
    int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
    int e = err ? errno : 0;
    for (size_t k = 0; k < g_nevents; ++k) {
      if (pbs[k]) perf_buffer__consume(pbs[k]);
      if (rbs[k]) ring_buffer__consume(rbs[k]);
    }
    take_images(obj);
    if (show) {
      if (strcmp(show->packet, pk[i].name) == 0) {
        printf("%s:%s on %s (%u bytes)\n  data_in  ", o->name, program, pk[i].name, pk[i].len);
        hex(stdout, pk[i].bytes, pk[i].len);
        if (err) {
          printf("\n  refused: %s\n", nd_errno_name(e));
        } else {
          printf("\n  retval   0x%x\n  data_out ", opts.retval);
          hex(stdout, data_out, opts.data_size_out);
          printf("\n  ctx_out  ");
          hex(stdout, ctx_bytes, ctx_size);
          printf("\n  maps after the run:\n");
          nd_print_images(stdout, g_images, g_nimages);
        }
      }
      free_images();
      continue;
    }
    char maps[33], cur_ctx[33] = "-", data[33] = "-";
    nd_images_hash(g_images, g_nimages, maps);
    free_images();
    if (i == 0) printf("@\t%s:%s\n", o->name, program);
    printf("%s\t", pk[i].name);
    if (err) {
      printf("err=%s\t-\t-\t", nd_errno_name(e));
    } else {
      if (opts.data_size_out == pk[i].len && memcmp(data_out, pk[i].bytes, pk[i].len) == 0) {
        strcpy(data, "=");
      } else {
        nd_hash128(data_out, opts.data_size_out, data);
      }
      nd_hash128(ctx_bytes, ctx_size, cur_ctx);
      printf("ret=0x%x\t%s\t%s\t", opts.retval, data,
             strcmp(cur_ctx, last_ctx) == 0 ? "^" : cur_ctx);
      strcpy(last_ctx, cur_ctx);
    }
    printf("%s\n", strcmp(maps, last_maps) == 0 ? "^" : maps);
    strcpy(last_maps, maps);
  }
  for (size_t k = 0; k < g_nevents; ++k) {
    perf_buffer__free(pbs[k]);
    ring_buffer__free(rbs[k]);
    nd_image_free(&g_events[k]);
  }
  g_nevents = 0;
  bpf_object__close(obj);
  return 0;
}

/* The networking programs of an object, in its order, by opening it (without loading). */
static int program_names(const char *dir, const char *object, char names[][64], int cap) {
  struct bpf_object *obj = open_object(dir, object);
  if (!obj) return -1;
  int n = 0;
  struct bpf_program *p;
  bpf_object__for_each_program(p, obj) {
    if (is_networking(bpf_program__type(p)) && n < cap) {
      snprintf(names[n++], 64, "%s", bpf_program__name(p));
    }
  }
  bpf_object__close(obj);
  return n;
}

int main(int argc, char **argv) {
  if (argc != 2 && !(argc == 6 && strcmp(argv[2], "--show") == 0)) {
    fprintf(stderr, "usage: %s BPF_PROGS_DIR [--show OBJECT PROGRAM PACKET]\n", argv[0]);
    return 2;
  }
  libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
  const char *dir = argv[1];
  struct show show = {argc == 6 ? argv[3] : NULL, argc == 6 ? argv[4] : NULL,
                      argc == 6 ? argv[5] : NULL};
  if (!show.object) {
    char digest[33];
    const struct nd_packet *pk;
    nd_packets_digest(digest);
    printf("# packets %zu digest %s\n", nd_make_packets(&pk), digest);
  }
  int rc = 0;
  for (size_t i = 0; i < nd_object_count; ++i) {
    const struct nd_object *o = &nd_objects[i];
    if (o->skip) continue;
    if (show.object && strcmp(show.object, o->name) != 0) continue;
    char names[16][64];
    const int n = program_names(dir, o->name, names, 16);
    if (n < 0) {
      fprintf(stderr, "%s: libbpf cannot open it\n", o->name);
      continue;
    }
    for (int k = 0; k < n; ++k) {
      if (show.program && strcmp(show.program, names[k]) != 0) continue;
      rc |= run_program(dir, o, names[k], show.object ? &show : NULL);
    }
  }
  return rc;
}
