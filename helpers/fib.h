// bpf_fib_lookup and bpf_check_mtu answered from the host's network (bpfjit/host.h
// HostNetwork), with the kernel's semantics (net/core/filter.c: bpf_ipv4_fib_lookup,
// bpf_ipv6_fib_lookup, bpf_xdp_check_mtu, bpf_skb_check_mtu).
//
// The model of the kernel's FIB: without BPF_FIB_LOOKUP_DIRECT, the kernel's default
// rules (tables local 255 and main 254, which the kernel keeps merged while there are no
// custom rules, then default 253; the first with a matching route decides); with it, the
// main (and local) table, or params->tbid with BPF_FIB_LOOKUP_TBID (a table without
// routes: BPF_FIB_LKUP_RET_NOT_FWDED). In a table, the
// longest prefix wins, then the lowest metric; with BPF_FIB_LOOKUP_OUTPUT an IPv4 unicast
// route must go out through params->ifindex (else the next shorter one is tried; IPv6
// only prefers such routes). A route's MTU counts as the kernel's `mtu lock N`. No policy
// rules: BPF_FIB_LOOKUP_MARK is accepted and changes nothing. Devices are Ethernet and up;
// neighbours in the table are valid.
#pragma once

#include <cstdint>

#include "bpfjit/host.h"

namespace bpfjit {

// struct bpf_fib_lookup (linux/bpf.h, the layout of Linux 6.10 on: 64 bytes).
struct FibParams {
  uint8_t family;       // AF_INET / AF_INET6; output: the next hop's family
  uint8_t l4_protocol;
  uint16_t sport;
  uint16_t dport;
  uint16_t tot_len;     // input (0: no MTU check); output: mtu_result
  uint32_t ifindex;     // input: the device to look up from; output: the egress device
  uint32_t tos;         // tos / flowinfo; output: rt_metric
  uint32_t src[4];      // ipv4_src (first word) / ipv6_src
  uint32_t dst[4];      // ipv4_dst / ipv6_dst; output: the next hop
  uint16_t h_vlan_proto;  // output; with tbid: the table (input)
  uint16_t h_vlan_tci;
  uint8_t smac[6];      // output; with mark: its first 4 bytes (input)
  uint8_t dmac[6];
};
static_assert(sizeof(FibParams) == 64);

inline constexpr uint32_t kFibLookupDirect = 1U << 0;
inline constexpr uint32_t kFibLookupOutput = 1U << 1;
inline constexpr uint32_t kFibLookupSkipNeigh = 1U << 2;
inline constexpr uint32_t kFibLookupTbid = 1U << 3;
inline constexpr uint32_t kFibLookupSrc = 1U << 4;
inline constexpr uint32_t kFibLookupMark = 1U << 5;
inline constexpr uint32_t kFibLookupFlags = (1U << 6) - 1;

enum FibRet : int64_t {
  kFibRetSuccess = 0,
  kFibRetBlackhole = 1,
  kFibRetUnreachable = 2,
  kFibRetProhibit = 3,
  kFibRetNotFwded = 4,
  kFibRetFwdDisabled = 5,
  kFibRetUnsuppLwt = 6,
  kFibRetNoNeigh = 7,
  kFibRetFragNeeded = 8,
  kFibRetNoSrcAddr = 9,
};

// The kernel's bpf_ipv4/6_fib_lookup on `p` (family chosen by p.family; -EAFNOSUPPORT for
// others): a BPF_FIB_LKUP_RET_* code or a negative errno (-ENODEV: no device
// p.ifindex). `flags` are already checked. With check_mtu, a p.tot_len above the route's
// MTU gives FRAG_NEEDED with mtu_result; a success then reports the MTU in mtu_result.
int64_t fib_lookup(const HostNetwork& net, FibParams& p, uint32_t flags, bool check_mtu);

// The kernel's IP_MAX_MTU and IP6_MAX_MTU: a route's MTU never exceeds them.
inline constexpr uint32_t kIpMaxMtu = 0xffff;
inline constexpr uint32_t kIp6MaxMtu = 0xffff + 40;
// Every device's hard_header_len (Ethernet) and VLAN_HLEN.
inline constexpr uint32_t kDevHardHeaderLen = 14;
inline constexpr uint32_t kVlanHeaderLen = 4;

inline constexpr uint64_t kMtuChkSegs = 1;  // BPF_MTU_CHK_SEGS
inline constexpr int64_t kMtuChkRetSuccess = 0;
inline constexpr int64_t kMtuChkRetFragNeeded = 1;

}  // namespace bpfjit
