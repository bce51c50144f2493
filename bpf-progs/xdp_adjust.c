/* Every XDP packet helper, steered by the packet's own bytes, so that a set of packets
 * (valid, truncated, random) takes every path: the moves that succeed and each error.
 *
 * The first four bytes are the controls, read with bpf_xdp_load_bytes:
 *   c0: xdp_adjust_meta by -(c0 % 48)          (not a multiple of 4, or over 32: EACCES)
 *   c1: xdp_adjust_head by (signed)c1, doubled when c3 & 0x80   (past the headroom or
 *       leaving less than ETH_HLEN bytes: EINVAL)
 *   c2: xdp_adjust_tail by (signed)c2 * 4      (past the tailroom or under ETH_HLEN: EINVAL)
 *   c3: the offset of an 8-byte xdp_load_bytes, stored back reversed with
 *       xdp_store_bytes at c3 / 2 (past the end: EINVAL)
 * Then the packet pointers are loaded again (the old ones are stale after the moves): the
 * first packet byte gets the number of moves that failed, and the metadata, when there is
 * room, a word made of the controls. The return value packs the errors of the helpers,
 * one byte each (meta, head, tail, load/store), so that the test compares every one. */
#include "bpfjit_net.h"

static long (*bpf_xdp_adjust_head)(struct xdp_md *ctx, int delta) = (void *)44;
static long (*bpf_xdp_adjust_meta)(struct xdp_md *ctx, int delta) = (void *)54;
static long (*bpf_xdp_adjust_tail)(struct xdp_md *ctx, int delta) = (void *)65;
static long (*bpf_xdp_load_bytes)(struct xdp_md *ctx, __u32 off, void *buf, __u32 len) =
    (void *)189;
static long (*bpf_xdp_store_bytes)(struct xdp_md *ctx, __u32 off, void *buf, __u32 len) =
    (void *)190;

static __always_inline __u32 code(long rc) { return (__u32)(-rc) & 0xff; }

SEC("xdp")
int xdp_adjust(struct xdp_md *ctx) {
  __u8 c[4] = {};
  if (bpf_xdp_load_bytes(ctx, 0, c, sizeof(c)) != 0) return XDP_ABORTED;

  long meta = bpf_xdp_adjust_meta(ctx, -(int)(c[0] % 48));
  int head_delta = (__s8)c[1];
  if (c[3] & 0x80) head_delta *= 2;
  long head = bpf_xdp_adjust_head(ctx, head_delta);
  long tail = bpf_xdp_adjust_tail(ctx, (__s8)c[2] * 4);

  __u8 buf[8];
  long ls = bpf_xdp_load_bytes(ctx, c[3], buf, sizeof(buf));
  if (ls == 0) {
    __u8 rev[8];
    for (int i = 0; i < 8; i++) rev[i] = buf[7 - i];
    ls = bpf_xdp_store_bytes(ctx, c[3] / 2, rev, sizeof(rev));
  }

  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  void *data_meta = (void *)(long)ctx->data_meta;
  __u8 *first = data;
  if ((void *)(first + 1) <= data_end) *first = (meta != 0) + (head != 0) + (tail != 0) + (ls != 0);
  __u32 *word = data_meta;
  if ((void *)(word + 1) <= data) *word = c[0] | c[1] << 8 | c[2] << 16 | (__u32)c[3] << 24;

  return code(meta) | code(head) << 8 | code(tail) << 16 | code(ls) << 24;
}

char _license[] SEC("license") = "GPL";
