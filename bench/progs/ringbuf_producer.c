/* A ring buffer producer: one 24-byte record per IPv4 packet (addresses, ports, protocol,
 * length), reserved and submitted; the host consumes the records after each batch. */
#include "bench_prog.h"

struct event {
  __u32 saddr;
  __u32 daddr;
  __u16 sport;
  __u16 dport;
  __u8 proto;
  __u8 ttl;
  __u16 len;
  __u64 seq;
};

BENCH_RINGBUF(events, 1 << 18);
BENCH_MAP(seqno, BPF_MAP_TYPE_ARRAY, __u32, __u64, 1);

SEC("xdp")
int ringbuf_producer(struct xdp_md *ctx) {
  struct iphdr *ip = bench_ipv4(ctx);
  if (!ip) return XDP_PASS;
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  __u32 zero = 0;
  __u64 *seq = bpf_map_lookup_elem(&seqno, &zero);
  if (!seq) return XDP_ABORTED;
  struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) return XDP_DROP;
  e->saddr = ip->saddr;
  e->daddr = ip->daddr;
  e->sport = 0;
  e->dport = 0;
  struct udphdr *ports = (void *)(ip + 1);
  if ((void *)(ports + 1) <= data_end) {
    e->sport = ports->source;
    e->dport = ports->dest;
  }
  e->proto = ip->protocol;
  e->ttl = ip->ttl;
  e->len = (__u16)(data_end - data);
  e->seq = __sync_fetch_and_add(seq, 1);
  bpf_ringbuf_submit(e, 0);
  return XDP_PASS;
}

BENCH_NATIVE_MAPS(ringbuf_producer, &events, &seqno);
BENCH_NATIVE_FNS(ringbuf_producer, BENCH_FN(ringbuf_producer));
BENCH_LICENSE;
