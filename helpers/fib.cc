#include "helpers/fib.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <linux/bpf.h>

namespace bpfjit {

static_assert(sizeof(FibParams) == sizeof(struct bpf_fib_lookup));
static_assert(offsetof(FibParams, tot_len) == offsetof(struct bpf_fib_lookup, tot_len));
static_assert(offsetof(FibParams, ifindex) == offsetof(struct bpf_fib_lookup, ifindex));
static_assert(offsetof(FibParams, tos) == offsetof(struct bpf_fib_lookup, rt_metric));
static_assert(offsetof(FibParams, src) == offsetof(struct bpf_fib_lookup, ipv6_src));
static_assert(offsetof(FibParams, dst) == offsetof(struct bpf_fib_lookup, ipv6_dst));
static_assert(offsetof(FibParams, h_vlan_proto) == offsetof(struct bpf_fib_lookup, tbid));
static_assert(offsetof(FibParams, smac) == offsetof(struct bpf_fib_lookup, smac));
static_assert(offsetof(FibParams, dmac) == offsetof(struct bpf_fib_lookup, dmac));
static_assert(kFibLookupDirect == BPF_FIB_LOOKUP_DIRECT && kFibLookupOutput == BPF_FIB_LOOKUP_OUTPUT &&
              kFibLookupSkipNeigh == BPF_FIB_LOOKUP_SKIP_NEIGH &&
              kFibLookupTbid == BPF_FIB_LOOKUP_TBID && kFibLookupSrc == BPF_FIB_LOOKUP_SRC);
static_assert(kFibRetNoSrcAddr == int64_t{BPF_FIB_LKUP_RET_NO_SRC_ADDR} &&
              kFibRetFragNeeded == int64_t{BPF_FIB_LKUP_RET_FRAG_NEEDED});
static_assert(kMtuChkSegs == BPF_MTU_CHK_SEGS &&
              kMtuChkRetFragNeeded == int64_t{BPF_MTU_CHK_RET_FRAG_NEEDED});

namespace {

constexpr uint32_t kTableLocal = 255;
constexpr uint32_t kTableMain = 254;
constexpr uint32_t kTableDefault = 253;

using Addr = std::array<uint8_t, 16>;

Addr addr_of(const uint32_t* words, bool ipv6) {
  Addr a{};
  std::memcpy(a.data(), words, ipv6 ? 16 : 4);
  return a;
}

bool prefix_matches(const Route& r, const Addr& a) {
  const uint32_t bits = r.prefix_len;
  const uint32_t bytes = bits / 8;
  if (std::memcmp(r.prefix.data(), a.data(), bytes) != 0) return false;
  if (bits % 8 == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - bits % 8));
  return (r.prefix[bytes] & mask) == (a[bytes] & mask);
}

bool is_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

// Without policy rules of its own the kernel merges the local table into the main one
// (fib_unmerge undoes it when a rule is added): a lookup in either sees both.
bool in_table(uint32_t route_table, uint32_t table) {
  const bool merged = table == kTableLocal || table == kTableMain;
  return merged ? route_table == kTableLocal || route_table == kTableMain : route_table == table;
}

// The route of `table` for `dst`: the longest prefix, then the lowest metric; with an
// output device, unicast routes through other devices do not match.
const Route* table_lookup(const HostNetwork& net, uint32_t table, bool ipv6, const Addr& dst,
                          uint32_t oif) {
  const Route* best = nullptr;
  for (const Route& r : net.routes) {
    if (!in_table(r.table, table) || r.ipv6 != ipv6 || r.prefix_len > (ipv6 ? 128 : 32)) continue;
    if (!prefix_matches(r, dst)) continue;
    if (oif != 0 && r.type == RouteType::kUnicast && r.ifindex != oif) continue;
    if (best == nullptr || r.prefix_len > best->prefix_len ||
        (r.prefix_len == best->prefix_len && r.metric < best->metric)) {
      best = &r;
    }
  }
  return best;
}

bool table_exists(const HostNetwork& net, uint32_t table) {
  for (const Route& r : net.routes) {
    if (in_table(r.table, table)) return true;
  }
  return false;
}

const Neighbour* find_neighbour(const HostNetwork& net, uint32_t ifindex, bool ipv6,
                                const Addr& a) {
  for (const Neighbour& n : net.neighbours) {
    if (n.ifindex == ifindex && n.ipv6 == ipv6 &&
        std::memcmp(n.addr.data(), a.data(), ipv6 ? 16 : 4) == 0) {
      return &n;
    }
  }
  return nullptr;
}

// rt6_need_strict: multicast, link-local unicast and loopback addresses are never
// forwarded.
bool ipv6_strict(const Addr& a) {
  if (a[0] == 0xff) return true;
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return true;
  return is_zero(a.data(), 15) && a[15] == 1;
}

}  // namespace

int64_t fib_lookup(const HostNetwork& net, FibParams& p, uint32_t flags, bool check_mtu) {
  bool ipv6 = false;
  if (p.family == AF_INET6) {
    ipv6 = true;
  } else if (p.family != AF_INET) {
    return -EAFNOSUPPORT;
  }
  const Addr dst = addr_of(p.dst, ipv6);
  if (ipv6 && (ipv6_strict(dst) || ipv6_strict(addr_of(p.src, true)))) return kFibRetNotFwded;
  const NetDevice* in_dev = net.device(p.ifindex);
  if (in_dev == nullptr) return -ENODEV;
  if (!in_dev->forwarding) return kFibRetFwdDisabled;
  // IPv4 output lookups need a route through the device; IPv6 ones only prefer one
  // (fib6_table_lookup without RT6_LOOKUP_F_IFACE), which among routes of one prefix and
  // metric changes nothing here.
  const uint32_t oif = (flags & kFibLookupOutput) != 0 && !ipv6 ? p.ifindex : 0;

  const Route* route = nullptr;
  if ((flags & kFibLookupDirect) != 0) {
    uint32_t table = kTableMain;
    if ((flags & kFibLookupTbid) != 0) {
      std::memcpy(&table, &p.h_vlan_proto, sizeof table);
      std::memset(&p.h_vlan_proto, 0, sizeof table);  // zeroed for the vlan output
    }
    if (!table_exists(net, table)) return kFibRetNotFwded;
    route = table_lookup(net, table, ipv6, dst, oif);
  } else {
    for (uint32_t table : {kTableMain, kTableDefault}) {
      route = table_lookup(net, table, ipv6, dst, oif);
      if (route != nullptr) break;
    }
  }
  if (route == nullptr) return kFibRetNotFwded;
  switch (route->type) {
    case RouteType::kUnicast: break;
    case RouteType::kLocal: return kFibRetNotFwded;
    case RouteType::kBlackhole: return kFibRetBlackhole;
    case RouteType::kUnreachable: return kFibRetUnreachable;
    case RouteType::kProhibit: return kFibRetProhibit;
  }
  const NetDevice* dev = net.device(route->ifindex);
  if (dev == nullptr) return kFibRetNotFwded;  // a route through no device: none usable

  uint32_t mtu = 0;
  if (check_mtu) {
    mtu = route->mtu != 0 ? route->mtu : dev->mtu;
    const uint32_t max = ipv6 ? kIp6MaxMtu : kIpMaxMtu;
    if (mtu > max) mtu = max;
    if (p.tot_len > mtu) {
      p.tot_len = static_cast<uint16_t>(mtu);  // mtu_result
      return kFibRetFragNeeded;
    }
  }
  p.tos = route->metric;  // rt_metric
  p.ifindex = dev->ifindex;
  if ((flags & kFibLookupSrc) != 0) {
    const size_t n = ipv6 ? 16 : 4;
    const uint8_t* src = route->prefsrc.data();
    if (is_zero(src, n)) src = ipv6 ? dev->ipv6.data() : dev->ipv4.data();
    if (is_zero(src, n)) return kFibRetNoSrcAddr;
    std::memcpy(p.src, src, n);
  }
  if (route->has_gateway) std::memcpy(p.dst, route->gateway.data(), ipv6 ? 16 : 4);
  if ((flags & kFibLookupSkipNeigh) == 0) {
    const Neighbour* n = find_neighbour(net, dev->ifindex, ipv6, addr_of(p.dst, ipv6));
    if (n == nullptr) return kFibRetNoNeigh;
    std::memcpy(p.dmac, n->mac.data(), 6);
    std::memcpy(p.smac, dev->mac.data(), 6);
  }
  // bpf_fib_set_fwd_params
  p.h_vlan_tci = 0;
  p.h_vlan_proto = 0;
  if (mtu != 0) p.tot_len = static_cast<uint16_t>(mtu);
  return kFibRetSuccess;
}

}  // namespace bpfjit
