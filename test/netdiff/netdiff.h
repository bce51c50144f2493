/* The differential harness's shared part, written in C so that the kernel recorder
 * (record_netdiff.c, libbpf) and the test (netdiff_test.cc, bpfjit) use the same code:
 *
 *  - the programs: every networking program (xdp, sched_cls, sched_act, cgroup_skb,
 *    socket_filter) of each object of nd_objects[], and the map contents the host puts in
 *    before the packets run (nd_setups[]: map updates, bloom filter pushes, tail-call
 *    slots);
 *  - the packets: nd_make_packets() builds the same list on every machine (fixed seeds);
 *  - the map images: every array, hash, lru, per-CPU and lpm map and the writable global
 *    data (.data, .bss) of the object, plus the records the program sent to ring buffers
 *    and perf event arrays during the run, serialised in one canonical form (maps sorted
 *    by name, entries by key bytes, per-CPU values summed over CPUs as u64 lanes) and
 *    hashed (nd_hash128) or printed (nd_print_images).
 *
 * Map state is carried from packet to packet: each program starts with a freshly loaded
 * object (maps empty but for nd_setups[]) and then sees every packet in order, as a device
 * would; the images are taken after each packet. */
#ifndef BPFJIT_TEST_NETDIFF_H
#define BPFJIT_TEST_NETDIFF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An object of bpf-progs (see nd_object_path). `skip`, when set, says why its programs
 * are not run (the run would not be deterministic, ...). */
struct nd_object {
  const char *name;
  const char *skip;
};
extern const struct nd_object nd_objects[];
extern const size_t nd_object_count;

/* The file of table entry `name` for ISA level `cpu` ("v3", "v4"): DIR/NAME.CPU.o, and for
 * the compatibility corpus's "compat/NAME", built once, DIR/compat/NAME.o. */
void nd_object_path(const char *dir, const char *name, const char *cpu, char *out, size_t cap);

/* What the host puts into a map of `object` once loaded, before the first packet. */
enum nd_setup_kind {
  ND_UPDATE,    /* map[key] = value (hex strings of the raw bytes) */
  ND_PUSH,      /* push value (bloom filter, queue, stack); key unused */
  ND_TAIL_CALL, /* prog_array map[key] = the program called `value` */
};
struct nd_setup {
  const char *object;
  const char *map;
  enum nd_setup_kind kind;
  const char *key;
  const char *value;
};
extern const struct nd_setup nd_setups[];
extern const size_t nd_setup_count;

/* Hex string -> bytes; returns the byte count (at most cap). */
size_t nd_unhex(const char *hex, uint8_t *out, size_t cap);

/* The packets. xdp programs run with ctx_in {data 0, data_end len, ingress_ifindex 1};
 * skb and socket programs with nd_skb_ctx_in(). Both sides ask for ctx_out. */
#define ND_MAX_PACKET 1600
struct nd_packet {
  char name[48];
  uint32_t len;
  uint8_t bytes[ND_MAX_PACKET];
};
/* Builds the list (the same on every call and every machine); returns the count. The
 * array is static and owned by the module. */
size_t nd_make_packets(const struct nd_packet **out);
/* The hash of every packet's name and bytes: the recording names the list it ran. */
void nd_packets_digest(char out[33]);

/* The ctx_in (struct __sk_buff) of an skb or socket program's run on packet number i:
 * mark, priority, ingress_ifindex, ifindex (0 or 1), cb, tstamp, wire_len, gso_segs,
 * gso_size and hwtstamp varied from packet to packet, and now and then a value the kernel
 * refuses (wire_len below len, a field a test may not set, too many gso_segs). */
#define ND_SKB_CTX_SIZE 192
void nd_skb_ctx_in(size_t i, uint32_t packet_len, uint8_t out[ND_SKB_CTX_SIZE]);

/* A 128-bit hash of bytes, as 32 lower-case hex digits and a terminating NUL. Not a
 * cryptographic hash: it tells apart what a bug would make different. */
void nd_hash128(const uint8_t *p, size_t n, char out[33]);

/* One map's contents, or the records an event map (ringbuf, perf_event_array) received
 * during one run. Entries: n times (key_size + value_size) bytes, in any order (they are
 * sorted by key when serialised). Records (is_events): n times a u32 length and the
 * record's bytes, in the order received. */
struct nd_image {
  char name[48];
  int is_events;
  uint32_t key_size;
  uint32_t value_size;
  uint32_t n;
  uint8_t *data;
  size_t data_len;
  size_t data_cap;
};
void nd_image_init(struct nd_image *im, const char *name, int is_events, uint32_t key_size,
                   uint32_t value_size);
/* Appends an entry; for per-CPU values `value` holds `slots` values of round_up(vs, 8)
 * bytes each, summed into one as u64 lanes (slots 1 for the others). */
void nd_image_entry(struct nd_image *im, const uint8_t *key, const uint8_t *value,
                    uint32_t slots);
void nd_image_record(struct nd_image *im, const uint8_t *rec, uint32_t len);
void nd_image_free(struct nd_image *im);
/* The canonical name of a kernel map libbpf made for a global data section
 * ("xdp_filt.bss" -> ".bss"); NULL for a read-only one (.rodata, .kconfig) or when the
 * name is not a global data map's. */
const char *nd_global_name(const char *map_name);

/* Serialises the images (sorted by name; entries by key) and hashes them. */
void nd_images_hash(struct nd_image *ims, size_t n, char out[33]);
/* The same, readable: one line per map entry or record. */
void nd_print_images(FILE *f, struct nd_image *ims, size_t n);

/* The recorded line of a run's result: "ret=0x..." or "err=EINVAL" (errno name). */
const char *nd_errno_name(int err);

#ifdef __cplusplus
}
#endif

#endif
