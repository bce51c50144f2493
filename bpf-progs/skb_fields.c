/* What skb programs see and what the skb helpers answer, written to the array map `out`
 * (slot i = one observation) for comparison with the kernel's test run:
 *  - cg_fields (cgroup_skb): every __sk_buff field cgroup_skb may read, direct packet
 *    access, skb_load_bytes and skb_load_bytes_relative from both headers;
 *  - tc_fields (tc): every field tc may read, the checksum-level state machine,
 *    csum_update, the hash helpers, bpf_redirect's verdicts;
 *  - tc_vlan (tc): bpf_skb_vlan_push and bpf_skb_vlan_pop, the accelerated tag and tags
 *    in the packet, with the vlan fields, protocol and len after each call;
 *  - tc_csum (tc): bpf_csum_diff over the packet's bytes at many sizes and seeds, and the
 *    error answers of the store and checksum helpers (odd, far and out-of-packet offsets,
 *    bad flags and sizes).
 * The host zeroes `out` before each run. */
#include "bpfjit_net.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, __u64);
} out SEC(".maps");

static __always_inline void put(__u32 slot, __u64 v) {
  __u64 *p = bpf_map_lookup_elem(&out, &slot);
  if (p) *p = v;
}

/* The fields every skb type here may read. */
static __always_inline void common_fields(struct __sk_buff *skb) {
  put(0, skb->len);
  put(1, skb->pkt_type);
  put(2, skb->mark);
  put(3, skb->queue_mapping);
  put(4, skb->protocol);
  put(5, skb->vlan_present);
  put(6, skb->vlan_tci);
  put(7, skb->vlan_proto);
  put(8, skb->priority);
  put(9, skb->ingress_ifindex);
  put(10, skb->ifindex);
  put(11, skb->tc_index);
  put(12, skb->cb[0] | skb->cb[1] | skb->cb[2] | skb->cb[3] | skb->cb[4]);
  put(13, skb->hash);
  put(14, skb->napi_id);
  put(15, skb->tstamp);
  put(16, skb->gso_segs);
  put(17, skb->gso_size);
  put(18, skb->hwtstamp);
  /* narrow loads */
  put(19, *(__u16 *)&skb->protocol);
  put(20, *((__u8 *)&skb->len + 1));
}

static __always_inline void load_tests(struct __sk_buff *skb, __u32 base) {
  __u64 buf = 0;
  long rc = bpf_skb_load_bytes(skb, 0, &buf, 8);
  put(base, rc);
  put(base + 1, buf);
  rc = bpf_skb_load_bytes(skb, skb->len - 4, &buf, 8);
  put(base + 2, rc);
  put(base + 3, buf);
  rc = bpf_skb_load_bytes_relative(skb, 0, &buf, 8, BPF_HDR_START_MAC);
  put(base + 4, rc);
  put(base + 5, buf);
  rc = bpf_skb_load_bytes_relative(skb, 2, &buf, 8, BPF_HDR_START_NET);
  put(base + 6, rc);
  put(base + 7, buf);
  rc = bpf_skb_load_bytes_relative(skb, 0x10000, &buf, 4, BPF_HDR_START_NET);
  put(base + 8, rc);
  rc = bpf_skb_load_bytes_relative(skb, 0, &buf, 4, 2);
  put(base + 9, rc);
  rc = bpf_skb_load_bytes_relative(skb, skb->len, &buf, 4, BPF_HDR_START_MAC);
  put(base + 10, rc);
  put(base + 11, buf);
}

SEC("cgroup_skb/ingress")
int cg_fields(struct __sk_buff *skb) {
  common_fields(skb);
  put(21, skb->family);
  put(22, skb->remote_ip4);
  put(23, skb->local_ip4);
  put(24, skb->remote_ip6[0] ^ skb->remote_ip6[3]);
  put(25, skb->local_ip6[1] ^ skb->local_ip6[2]);
  put(26, skb->remote_port);
  put(27, skb->local_port);
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  put(28, data + 1 <= data_end);
  put(29, data + 40 <= data_end);
  load_tests(skb, 30);
  return skb->protocol == bpf_htons(ETH_P_IP) ? 1 : 0;
}

SEC("tc")
int tc_fields(struct __sk_buff *skb) {
  common_fields(skb);
  put(21, skb->tc_classid);
  put(22, skb->wire_len);
  put(23, skb->tstamp_type);
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  void *meta = (void *)(long)skb->data_meta;
  put(24, meta == data);
  put(25, data + 1 <= data_end);
  put(26, data + 60 <= data_end);
  load_tests(skb, 30);
  /* the checksum level */
  put(42, bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY));
  put(43, bpf_csum_level(skb, BPF_CSUM_LEVEL_DEC));
  put(44, bpf_csum_level(skb, BPF_CSUM_LEVEL_INC));
  put(45, bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY));
  bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
  bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
  bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
  bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
  put(46, bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY));
  bpf_csum_level(skb, BPF_CSUM_LEVEL_DEC);
  put(47, bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY));
  put(48, bpf_csum_level(skb, BPF_CSUM_LEVEL_RESET));
  put(49, bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY));
  put(50, bpf_csum_level(skb, 7));
  put(51, bpf_csum_update(skb, 0x1234));
  /* the hash */
  put(52, bpf_set_hash(skb, 0xabcd1234));
  put(53, skb->hash);
  put(54, bpf_get_hash_recalc(skb));
  bpf_set_hash_invalid(skb);
  put(55, skb->hash);
  bpf_set_hash(skb, 77);
  __u8 byte = 0;
  bpf_skb_store_bytes(skb, 0, &byte, 0 + 1, BPF_F_INVALIDATE_HASH);
  put(56, skb->hash);
  put(57, bpf_skb_pull_data(skb, 0));
  put(58, bpf_skb_pull_data(skb, skb->len + 1));
  /* redirects */
  put(59, bpf_redirect(3, 2));
  return bpf_redirect(5, BPF_F_INGRESS);
}

static __always_inline void vlan_state(struct __sk_buff *skb, __u32 slot, long rc) {
  put(slot, rc);
  put(slot + 1, skb->vlan_present);
  put(slot + 2, skb->vlan_tci);
  put(slot + 3, skb->vlan_proto);
  put(slot + 4, skb->protocol);
  put(slot + 5, skb->len);
}

/* VLAN tags pushed and popped: the accelerated tag, then tags in the packet. */
SEC("tc")
int tc_vlan(struct __sk_buff *skb) {
  vlan_state(skb, 0, bpf_skb_vlan_pop(skb)); /* a packet's own tag, if any */
  vlan_state(skb, 6, bpf_skb_vlan_push(skb, bpf_htons(0x8100), 0x1064));
  vlan_state(skb, 12, bpf_skb_vlan_push(skb, bpf_htons(0x88a8), 0xf00d));
  vlan_state(skb, 18, bpf_skb_vlan_push(skb, bpf_htons(0x0800), 7)); /* taken as 802.1Q */
  vlan_state(skb, 24, bpf_skb_vlan_pop(skb));
  vlan_state(skb, 30, bpf_skb_vlan_pop(skb));
  vlan_state(skb, 36, bpf_skb_vlan_push(skb, bpf_htons(0x8100), 0x2345));
  vlan_state(skb, 42, bpf_skb_vlan_pop(skb));
  vlan_state(skb, 48, bpf_skb_vlan_pop(skb));
  __u64 head = 0;
  put(54, bpf_skb_load_bytes_relative(skb, 0, &head, 8, BPF_HDR_START_NET));
  put(55, head);
  return skb->len;
}

#define DIFF(slot, from, fs, to, ts, seed) put(slot, bpf_csum_diff(from, fs, to, ts, seed))

SEC("tc")
int tc_csum(struct __sk_buff *skb) {
  __be32 b[32] = {};
  if (bpf_skb_load_bytes(skb, 0, b, sizeof(b)) < 0) {
    if (bpf_skb_load_bytes(skb, 0, b, 64) < 0) {
      if (bpf_skb_load_bytes(skb, 0, b, 32) < 0) bpf_skb_load_bytes(skb, 0, b, 14);
    }
  }
  DIFF(0, b, 4, b + 1, 4, 0);
  DIFF(1, 0, 0, b, 20, 0);
  DIFF(2, b, 8, 0, 0, 0x1234);
  DIFF(3, b, 40, b + 10, 24, 0xffffffff);
  DIFF(4, 0, 0, b, 128, 0);
  DIFF(5, 0, 0, b + 1, 84, 7);
  DIFF(6, b, 124, 0, 0, 0);
  DIFF(7, 0, 0, b, 44, 0x80000000);
  DIFF(8, b, 16, b + 4, 48, 1);
  DIFF(9, 0, 0, 0, 0, 0xdead);
  DIFF(10, b, 6, b, 4, 0);
  DIFF(11, 0, 0, b, 2, 0);
  DIFF(12, 0, 0, b, 3, 0);
  DIFF(13, b, 4, b + 2, 12, 0x10000);
  DIFF(14, 0, 0, b + 3, 100, 0);
  DIFF(15, b + 5, 72, 0, 0, 0xffff);
  /* the checksum helpers' refusals */
  put(20, bpf_l3_csum_replace(skb, 25, 0, 1, 2));            /* odd offset */
  put(21, bpf_l3_csum_replace(skb, 0x10000, 0, 1, 2));       /* beyond 0xffff */
  put(22, bpf_l3_csum_replace(skb, skb->len & ~1, 0, 1, 2)); /* past the end */
  put(23, bpf_l3_csum_replace(skb, 0, 0, 1, 3));             /* size 3 */
  put(24, bpf_l3_csum_replace(skb, 0, 1, 1, 0));             /* from with size 0 */
  put(25, bpf_l3_csum_replace(skb, 0, 0, 1, 0x10 | 2));      /* a flag l3 does not take */
  put(26, bpf_l4_csum_replace(skb, 0, 0, 1, 0x80 | 2));      /* unknown flag */
  put(27, bpf_l4_csum_replace(skb, 1, 0, 1, 2));
  put(28, bpf_l4_csum_replace(skb, skb->len - 1, 0, 1, 2));
  put(29, bpf_l4_csum_replace(skb, 0, 2, 1, BPF_F_PSEUDO_HDR));
  put(30, bpf_l4_csum_replace(skb, 0, 0, 1, 8));
  /* the stores' refusals */
  __u32 v = 0x01020304;
  put(31, bpf_skb_store_bytes(skb, skb->len - 2, &v, 4, 0));
  put(32, bpf_skb_store_bytes(skb, 0x80000000, &v, 4, 0));
  put(33, bpf_skb_store_bytes(skb, 0, &v, 4, 4));
  put(34, bpf_skb_store_bytes(skb, skb->len - 4, &v, 4, BPF_F_RECOMPUTE_CSUM));
  /* checksums of the (changed) first words: the helpers' arithmetic on packet bytes */
  put(35, bpf_l3_csum_replace(skb, 2, 0x1111, 0xeeee, 2));
  put(36, bpf_l3_csum_replace(skb, 4, 0x12345678, 0x9abcdef0, 4));
  put(37, bpf_l4_csum_replace(skb, 6, 0x1111, 0xeeef, BPF_F_MARK_MANGLED_0 | 2));
  put(38, bpf_l4_csum_replace(skb, 8, 0, 0xfffe, BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE));
  put(39, bpf_l4_csum_replace(skb, 10, 0xffff, 0, BPF_F_PSEUDO_HDR | 4));
  __u64 head = 0;
  bpf_skb_load_bytes(skb, 0, &head, 8);
  put(40, head);
  bpf_skb_load_bytes(skb, 8, &head, 4);
  put(41, head);
  return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
