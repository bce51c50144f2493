/* The helpers that change an skb's size, for comparison with the kernel's test run:
 * bpf_skb_change_tail, bpf_skb_change_head, bpf_skb_adjust_room (BPF_ADJ_ROOM_NET and
 * BPF_ADJ_ROOM_MAC, the encap and decap flags) and bpf_skb_change_proto.
 *
 * tc_resize (tc) makes two calls, each chosen by an operation number, an argument and
 * flags, from cb[] (set by the test's context, or when cb[0] is 0 derived from the packet's
 * length and last byte, so that the recorder's many packets walk the success and error
 * paths):
 *   cb[0]: op1 | op2 << 8 | setup << 16 | inner L2 length << 24
 *   cb[1], cb[2]: op1's argument and flags (low 32 bits)
 *   cb[3], cb[4]: op2's argument and flags (low 32 bits)
 * (the inner L2 length goes into both calls' flags' top byte, BPF_F_ADJ_ROOM_ENCAP_L2).
 * setup bit 0 raises the checksum level first (adjust_room resets it), bit 1 sets a hash
 * (change_proto clears it).
 * After each call it writes to `out`, from slot 16 * call: the return value, len,
 * data_end - data, protocol, gso_size and gso_segs, the checksum level, the packet's bytes
 * 8..15 and bytes 0..7 from the MAC and the network header (load_bytes_relative), the
 * hash, mark and priority. cb[0] gets op1's return value (it shows in ctx_out). */
#include "bpfjit_net.h"

/* The size-changing helpers, by the kernel's ids. */
static long (*bpf_skb_change_proto)(void *skb, __be16 proto, __u64 flags) = (void *)31;
static long (*bpf_skb_change_tail)(void *skb, __u32 len, __u64 flags) = (void *)38;
static long (*bpf_skb_change_head)(void *skb, __u32 len, __u64 flags) = (void *)43;
static long (*bpf_skb_adjust_room)(void *skb, __s32 len_diff, __u32 mode, __u64 flags) =
    (void *)50;

#define BPF_ADJ_ROOM_NET 0
#define BPF_ADJ_ROOM_MAC 1
#define F_FIXED_GSO (1ULL << 0)
#define F_ENCAP_L3_IPV4 (1ULL << 1)
#define F_ENCAP_L3_IPV6 (1ULL << 2)
#define F_ENCAP_L4_GRE (1ULL << 3)
#define F_ENCAP_L4_UDP (1ULL << 4)
#define F_NO_CSUM_RESET (1ULL << 5)
#define F_ENCAP_L2_ETH (1ULL << 6)
#define F_DECAP_L3_IPV4 (1ULL << 7)
#define F_DECAP_L3_IPV6 (1ULL << 8)

enum { OP_NONE, OP_TAIL, OP_HEAD, OP_ROOM_NET, OP_ROOM_MAC, OP_ROOM_MODE2, OP_PROTO, NOPS };

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, __u64);
} out SEC(".maps");

/* A map update, not a lookup and a store: no branch, so the verifier's paths do not
 * double at every slot. */
static __always_inline void put(__u32 slot, __u64 v) { bpf_map_update_elem(&out, &slot, &v, 0); }

static __always_inline long do_op(struct __sk_buff *skb, __u32 op, __u32 arg,
                                   __u64 flags) {
  switch (op) {
    case OP_TAIL:
      return bpf_skb_change_tail(skb, arg, flags);
    case OP_HEAD:
      return bpf_skb_change_head(skb, arg, flags);
    case OP_ROOM_NET:
      return bpf_skb_adjust_room(skb, (__s32)arg, BPF_ADJ_ROOM_NET, flags);
    case OP_ROOM_MAC:
      return bpf_skb_adjust_room(skb, (__s32)arg, BPF_ADJ_ROOM_MAC, flags);
    case OP_ROOM_MODE2:
      return bpf_skb_adjust_room(skb, (__s32)arg, 2, flags);
    case OP_PROTO:
      return bpf_skb_change_proto(skb, (__be16)arg, flags);
    default:
      return 0x7777;
  }
}

static __always_inline void observe(struct __sk_buff *skb, __u32 base, long rc) {
  put(base, rc);
  put(base + 1, skb->len);
  void *data = (void *)(long)skb->data;
  void *end = (void *)(long)skb->data_end;
  put(base + 2, end - data);
  put(base + 3, skb->protocol);
  put(base + 4, skb->gso_size | (__u64)skb->gso_segs << 32);
  put(base + 5, bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY));
  if (data + 16 <= end) put(base + 6, *(__u64 *)(data + 8));
  __u64 v = 0;
  long r = bpf_skb_load_bytes_relative(skb, 0, &v, 8, BPF_HDR_START_MAC);
  put(base + 7, v);
  put(base + 8, r);
  v = 0;
  r = bpf_skb_load_bytes_relative(skb, 0, &v, 8, BPF_HDR_START_NET);
  put(base + 9, v);
  put(base + 10, r);
  put(base + 11, skb->hash);
  put(base + 12, skb->mark | (__u64)skb->priority << 32);
}

/* The flags of a derived call: mostly none, else one of the interesting combinations. */
static __always_inline __u64 derived_flags(__u32 k) {
  switch (k % 16) {
    case 1:
      return F_FIXED_GSO;
    case 2:
      return F_ENCAP_L3_IPV4;
    case 3:
      return F_ENCAP_L3_IPV4 | F_ENCAP_L4_GRE;
    case 4:
      return F_ENCAP_L3_IPV6 | F_ENCAP_L4_UDP;
    case 5:
      return F_ENCAP_L3_IPV4 | F_ENCAP_L2_ETH | (14ULL << 56);
    case 6:
      return F_NO_CSUM_RESET;
    case 7:
      return F_DECAP_L3_IPV4;
    case 8:
      return 1ULL << 9;
    case 9:
      return F_ENCAP_L3_IPV6 | (4ULL << 56);
    default:
      return 0;
  }
}

/* An argument for `op` derived from k and the packet's length. */
static __always_inline __u32 derived_arg(__u32 op, __u32 k, __u32 len) {
  switch (op) {
    case OP_TAIL:
      if (k % 9 == 0) return 16065;
      if (k % 11 == 0) return k % 20;
      return len + k % 41 - 20;
    case OP_HEAD:
      if (k % 13 == 0) return 16000;
      return k % 70;
    case OP_ROOM_NET:
    case OP_ROOM_MAC:
    case OP_ROOM_MODE2:
      if (k % 17 == 0) return 0x1000;
      return k % 90 - 45;
    case OP_PROTO:
      if (k % 5 == 0) return bpf_htons(0x0806);
      return k % 2 ? bpf_htons(ETH_P_IPV6) : bpf_htons(ETH_P_IP);
    default:
      return 0;
  }
}

/* Without a context, the calls' parameters are derived from the packet and written to cb[]
 * as a context would give them. (Read back through cb[], they are unknown to the verifier
 * again, so its paths through the derivation join before the calls.) */
static __always_inline void derive(struct __sk_buff *skb) {
  __u32 len = skb->len;
  __u8 b = 0;
  bpf_skb_load_bytes(skb, len - 1, &b, 1);
  __u32 k1 = len * 7 + b;
  __u32 k2 = len * 3 + b * 5 + 1;
  __u32 op1 = 1 + k1 % (NOPS - 1);
  __u32 op2 = 1 + k2 % (NOPS - 1);
  __u64 flags1 =
      op1 >= OP_ROOM_NET && op1 <= OP_ROOM_MODE2 ? derived_flags(k2) : (k2 % 23 == 0);
  __u64 flags2 = op2 >= OP_ROOM_NET && op2 <= OP_ROOM_MODE2 ? derived_flags(k1 / 3) : 0;
  /* The inner L2 length is shared by both calls: op1's. */
  skb->cb[0] = op1 | op2 << 8 | (k1 % 4) << 16 | (__u32)(flags1 >> 56) << 24;
  skb->cb[1] = derived_arg(op1, k1, len);
  skb->cb[2] = (__u32)flags1;
  skb->cb[3] = derived_arg(op2, k2, len);
  skb->cb[4] = (__u32)flags2;
}

static __always_inline __u32 cb(struct __sk_buff *skb, int i) {
  return *(volatile __u32 *)&skb->cb[i];
}

SEC("tc")
int tc_resize(struct __sk_buff *skb) {
  if (skb->cb[0] == 0) derive(skb);
  __u32 setup = cb(skb, 0) >> 16;
  if (setup & 1) bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
  if (setup & 2) bpf_set_hash(skb, 0x5eed);
  __u64 l2 = (__u64)(cb(skb, 0) >> 24) << 56;
  long rc1 = do_op(skb, cb(skb, 0) & 0xff, cb(skb, 1), cb(skb, 2) | l2);
  observe(skb, 0, rc1);
  l2 = (__u64)(cb(skb, 0) >> 24) << 56;
  long rc2 = do_op(skb, (cb(skb, 0) >> 8) & 0xff, cb(skb, 3), cb(skb, 4) | l2);
  observe(skb, 16, rc2);
  skb->cb[0] = (__u32)rc1;
  return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
