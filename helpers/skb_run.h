// One run of a program of struct __sk_buff (sched_cls, sched_act, cgroup_skb, and
// socket_filter in Program::test_run), set up as the
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
//    reads it there directly, without writing it; a socket filter reads it through
//    skb_load_bytes and the legacy packet loads);
//  - len = the bytes from data; ifindex = the device's (1, loopback); ingress_ifindex,
//    mark, priority, cb, hash, tstamp, wire_len, gso_* and the vlan fields 0 when the
//    caller gives no context; a context (ctx_in, skb_run_apply_ctx) sets the fields the
//    kernel's convert___skb_to_skb lets a test set;
//  - after the run, the packet as data_out gives it: from the Ethernet header for tc, and
//    for other types 14 zero bytes in front of the network header; the context as ctx_out
//    gives it (skb_run_ctx_out).
//
// The helpers that change the packet's size (bpf_skb_change_head/tail, adjust_room,
// change_proto, vlan_push/pop) may grow it to SKB_MAX_ALLOC bytes (kMaxLen), in any
// direction: the kernel reallocates the sk_buff's data when its head- or tailroom is short,
// which no program can observe; here the buffer holds the largest packet, and the packet
// moves inside it when its headroom runs out (SkbRun::reserve_head).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "helpers/program_types.h"
#include "runtime/isa/machine.h"
#include "runtime/isa/result.h"

namespace bpfjit {

// One bpf_clone_redirect call. (bpf_redirect's target, which TC_ACT_REDIRECT tells the
// caller to use, is the run's RunRedirect in HostEnv, as an xdp program's.)
struct SkbRedirect {
  uint32_t ifindex = 0;
  uint64_t flags = 0;  // BPF_F_INGRESS or 0
};

struct SkbRun {
  static constexpr uint32_t kHeadroom = 64;   // NET_SKB_PAD + NET_IP_ALIGN on x86-64
  static constexpr uint32_t kTailroom = 320;  // SKB_DATA_ALIGN(sizeof(skb_shared_info))
  static constexpr uint32_t kPage = 4096;     // the test run's data: one page
  static constexpr uint32_t kMaxPacket = kPage - kHeadroom - kTailroom;
  static constexpr uint32_t kEthHeader = 14;  // ETH_HLEN
  // SKB_MAX_ALLOC (four pages less the shared info): the longest packet the size-changing
  // helpers make of a packet that is not GSO.
  static constexpr uint32_t kMaxLen = 4 * kPage - kTailroom;
  // The whole buffer: the headroom, the longest packet, and slack for the pushes a GSO
  // packet may make beyond kMaxLen (past it, the helpers fail with -ENOMEM).
  static constexpr uint32_t kBufferSize = 6 * kPage;

  // User-provided so that making one does not clear the 24 KiB buffer: skb_run_start
  // writes the bytes that are read.
  SkbRun() {}  // NOLINT(modernize-use-equals-default)

  SkBuffCtx ctx;  // what the program receives in r1
  alignas(64) uint8_t buf[kBufferSize];
  uint32_t data_off = 0;     // skb->data - buf
  uint32_t len = 0;          // skb->len (linear: all of it is in buf)
  uint32_t mac_off = 0;      // the MAC header
  uint32_t network_off = 0;  // the network header
  uint32_t transport_off = 0;  // the transport header, when transport_set
  bool transport_set = false;  // a test run's sk_buff starts without one
  bool encapsulation = false;  // skb->encapsulation: adjust_room pushed an outer header
  // ctx_in's gso_size: the kernel's ctx_out keeps it (convert_skb_to___skb does not write
  // gso_size back), whatever the run did to the sk_buff's.
  uint32_t ctx_in_gso_size = 0;
  bool l2 = false;           // sched_cls / sched_act: data starts at the MAC header
  bool packet_writable = false;
  // sk_buff state the context does not show.
  bool hash_valid = false;   // skb->l4_hash or sw_hash: get_hash_recalc returns ctx.hash
  uint8_t ip_summed = 0;     // CHECKSUM_NONE (0) or CHECKSUM_UNNECESSARY (1)
  uint8_t csum_level = 0;
  // The run's region for the packet (checked mode), which helpers that move the packet
  // keep in step; nullptr when the host set none.
  MemRegion* packet_region = nullptr;
  std::vector<SkbRedirect> clones;    // every bpf_clone_redirect call

  uint8_t* data() { return buf + data_off; }
  // After the packet moved or changed size: the context's data, data_end, data_meta and
  // len, and the packet region, from data_off and len.
  void sync_packet();
  // Makes `n` bytes of headroom in front of data (moving the packet and its headers
  // further into the buffer when needed) or `n` bytes of tailroom after it: false when
  // the buffer cannot hold that (the helper then fails with -ENOMEM).
  bool reserve_head(uint32_t n);
  bool reserve_tail(uint32_t n);
  // skb_is_gso: the context's gso_size is not 0 (a test run's gso_type is always 0).
  bool is_gso() const { return ctx.gso_size != 0; }
};

// Sets `run` up for `packet` and a program of `type` (sched_cls, sched_act, cgroup_skb).
// `ifindex` is the device (1: loopback), `mark` the caller's skb->mark. Refused
// (kInvalidArgument) as the kernel refuses them: a packet shorter than an Ethernet header
// (or than the IPv4/IPv6 header its EtherType announces) or longer than kMaxPacket.
Result<void> skb_run_start(SkbRun& run, const ProgramType& type, std::span<const uint8_t> packet,
                           uint32_t ifindex, uint32_t mark);

// Applies a test run's context, `ctx_in` laid out as struct __sk_buff (any length; the
// bytes past the struct must be 0), after skb_run_start, as the kernel's
// convert___skb_to_skb: mark, priority, ingress_ifindex, ifindex, cb, tstamp, wire_len
// (0: len), gso_segs, gso_size and hwtstamp; an ifindex above 1 is taken as a device like
// loopback with that index (the runtime knows no devices; the kernel would use the
// host's, or answer -ENODEV). Refused as the kernel refuses them: kNoSpace (its -E2BIG)
// for non-zero bytes past the struct, kInvalidArgument (its -EINVAL) for any other field
// not 0, a wire_len below len or above 65536, gso_segs above 65535.
Result<void> skb_run_apply_ctx(SkbRun& run, std::span<const uint8_t> ctx_in);

// The context as the kernel's ctx_out gives it after the run (convert_skb_to___skb):
// struct __sk_buff (kSkBuffSize bytes) with mark, priority, ingress_ifindex, ifindex,
// tstamp, cb, wire_len, gso_segs and hwtstamp, gso_size as ctx_in gave it; the other
// bytes 0.
inline constexpr uint32_t kSkBuffSize = offsetof(SkBuffCtx, data);
std::vector<uint8_t> skb_run_ctx_out(const SkbRun& run);

// Copies the packet as the kernel's data_out gives it after the run to `out` and returns
// its length; `out` must hold kBufferSize bytes.
uint32_t skb_run_data_out(const SkbRun& run, uint8_t* out);

// Whether `type` runs as an skb program with skb_run_start in Program::run (socket_filter
// does so only in Program::test_run: its run() takes the packet as it is).
bool is_skb_run_type(const ProgramType& type);
bool is_socket_filter_type(const ProgramType& type);

}  // namespace bpfjit
