// One run of a program of struct __sk_buff (sched_cls, sched_act, cgroup_skb; socket_filter in
// Program::test_run), set up as the
// kernel's BPF_PROG_TEST_RUN sets up its sk_buff (net/bpf/test_run.c,
// bpf_prog_test_run_skb), and the sk_buff state that the skb helpers (helpers/helpers/
// skb_helpers.cc) read and change.
//
// The kernel's test run, which this follows:
//  - the packet (14 bytes at least, an Ethernet header, and at most kMaxPacket; with the
//    IPv4 or IPv6 EtherType, at least that header's 20 or 40 bytes after it) is copied
//    into a buffer after kHeadroom bytes (NET_SKB_PAD + NET_IP_ALIGN);
//  - eth_type_trans() on the loopback device: pkt_type from the destination MAC (host for
//    the device's all-zero address, multicast (broadcast too: the loopback device's
//    broadcast address is all-zero) or otherhost), protocol from the
//    EtherType (ETH_P_802_3 / ETH_P_802_2 for 802.3 lengths), the Ethernet header pulled;
//  - a dummy socket of family AF_INET / AF_INET6 with the packet's addresses when the
//    network header holds an IPv4 / IPv6 header (cgroup_skb reads them: family,
//    local_ip4 = source, remote_ip4 = destination, ...), AF_UNSPEC otherwise;
//  - sched_cls and sched_act see the packet from its Ethernet header (the header is pushed
//    back; data_meta = data); other types see it from its network header (cgroup_skb
//    reads it there directly, without writing it);
//  - len = the bytes from data; ifindex = the device's (1, loopback); ingress_ifindex,
//    mark, priority, cb, hash, tstamp, wire_len, gso_* and the vlan fields 0 when the
//    caller gives no context;
//  - after the run, the packet as data_out gives it: from the Ethernet header for tc, and
//    for other types 14 zero bytes in front of the network header.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "helpers/program_types.h"
#include "runtime/isa/machine.h"
#include "runtime/isa/result.h"

namespace bpfjit {

// A redirect a program asked for: bpf_redirect's target (the return value TC_ACT_REDIRECT
// tells the caller to use it) or one bpf_clone_redirect call.
struct SkbRedirect {
  uint32_t ifindex = 0;
  uint64_t flags = 0;  // BPF_F_INGRESS or 0
};

struct SkbRun {
  static constexpr uint32_t kHeadroom = 64;   // NET_SKB_PAD + NET_IP_ALIGN on x86-64
  static constexpr uint32_t kTailroom = 320;  // SKB_DATA_ALIGN(sizeof(skb_shared_info))
  static constexpr uint32_t kBufferSize = 4096;  // one page
  static constexpr uint32_t kMaxPacket = kBufferSize - kHeadroom - kTailroom;
  static constexpr uint32_t kEthHeader = 14;  // ETH_HLEN

  // User-provided so that making one does not clear the 4 KiB buffer: skb_run_start
  // writes the bytes that are read.
  SkbRun() {}  // NOLINT(modernize-use-equals-default)

  SkBuffCtx ctx;  // what the program receives in r1
  alignas(64) uint8_t buf[kBufferSize];
  uint32_t data_off = 0;     // skb->data - buf
  uint32_t len = 0;          // skb->len (linear: all of it is in buf)
  uint32_t mac_off = 0;      // the MAC header
  uint32_t network_off = 0;  // the network header
  bool l2 = false;           // sched_cls / sched_act: data starts at the MAC header
  bool packet_writable = false;
  // sk_buff state the context does not show.
  bool hash_valid = false;   // skb->l4_hash or sw_hash: get_hash_recalc returns ctx.hash
  uint8_t ip_summed = 0;     // CHECKSUM_NONE (0) or CHECKSUM_UNNECESSARY (1)
  uint8_t csum_level = 0;
  // The run's region for the packet (checked mode), which helpers that move the packet
  // keep in step; nullptr when the host set none.
  MemRegion* packet_region = nullptr;
  bool redirect_set = false;
  SkbRedirect redirect;               // bpf_redirect's last call
  std::vector<SkbRedirect> clones;    // every bpf_clone_redirect call

  uint8_t* data() { return buf + data_off; }
  // After the packet moved or changed size: the context's data, data_end, data_meta and
  // len, and the packet region, from data_off and len.
  void sync_packet();
};

// Sets `run` up for `packet` and a program of `type` (sched_cls, sched_act, cgroup_skb,
// socket_filter).
// `ifindex` is the device (1: loopback), `mark` the caller's skb->mark. Refused
// (kInvalidArgument) as the kernel refuses them: a packet shorter than an Ethernet header
// (or than the IPv4/IPv6 header its EtherType announces) or longer than kMaxPacket.
Result<void> skb_run_start(SkbRun& run, const ProgramType& type, std::span<const uint8_t> packet,
                           uint32_t ifindex, uint32_t mark);

// A test's ctx_in (struct __sk_buff, at most kCtxInSize bytes; shorter is zero-extended),
// applied as the kernel's convert___skb_to_skb applies it after skb_run_start: only mark,
// priority, ingress_ifindex, ifindex, cb, tstamp, wire_len, gso_segs, gso_size and
// hwtstamp may be set (another byte set: kInvalidArgument, EINVAL); ifindex 0 or 1 (the
// loopback device; others: kUnsupported, there are no devices); wire_len 0 becomes len,
// else must be within [len, 65536]; gso_segs at most 65535.
inline constexpr uint32_t kCtxInSize = 192;  // sizeof(struct __sk_buff)
Result<void> skb_run_apply_ctx(SkbRun& run, std::span<const uint8_t> ctx_in);

// Copies the packet as the kernel's data_out gives it after the run to `out` and returns
// its length; `out` must hold kBufferSize bytes.
uint32_t skb_run_data_out(const SkbRun& run, uint8_t* out);

// Whether `type` runs as an skb program with skb_run_start.
bool is_skb_run_type(const ProgramType& type);

}  // namespace bpfjit
