#include "helpers/skb_run.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace bpfjit {
namespace {

constexpr uint32_t kPacketHost = 0;       // PACKET_HOST
constexpr uint32_t kPacketMulticast = 2;  // PACKET_MULTICAST
constexpr uint32_t kPacketOtherhost = 3;  // PACKET_OTHERHOST
constexpr uint16_t kEthP8023Min = 0x0600;  // ETH_P_802_3_MIN
constexpr uint16_t kEthP8023 = 0x0001;     // ETH_P_802_3
constexpr uint16_t kEthP8022 = 0x0004;     // ETH_P_802_2
constexpr uint16_t kEthPIp = 0x0800;
constexpr uint16_t kEthPIpv6 = 0x86dd;
constexpr uint32_t kAfInet = 2;
constexpr uint32_t kAfInet6 = 10;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// A big-endian 16-bit value as the kernel's __be16 holds it (the bytes in memory order).
uint32_t as_be16(uint16_t host) {
  return static_cast<uint32_t>(((host & 0xff) << 8) | (host >> 8));
}

// eth_type_trans() on the loopback device (address 00:00:00:00:00:00): the packet type and
// the protocol, from the Ethernet header at `eth` with `after` bytes following it.
void eth_type_trans(const uint8_t* eth, uint32_t after, SkBuffCtx& ctx) {
  // The loopback device's broadcast address is all-zero too, so ff:ff:ff:ff:ff:ff is just
  // a multicast address to it (PACKET_BROADCAST never happens).
  static constexpr uint8_t kZero[6] = {};
  if (std::memcmp(eth, kZero, 6) == 0) {
    ctx.pkt_type = kPacketHost;
  } else if ((eth[0] & 1) != 0) {
    ctx.pkt_type = kPacketMulticast;
  } else {
    ctx.pkt_type = kPacketOtherhost;
  }
  const uint16_t proto = be16(eth + 12);
  if (proto >= kEthP8023Min) {
    ctx.protocol = as_be16(proto);
  } else if (after >= 2 && eth[14] == 0xff && eth[15] == 0xff) {
    ctx.protocol = as_be16(kEthP8023);  // raw IPX over 802.3
  } else {
    ctx.protocol = as_be16(kEthP8022);
  }
}

// The dummy socket of the test run: its family and addresses, from the network header.
void socket_fields(const uint8_t* net, uint32_t headlen, SkBuffCtx& ctx) {
  if (ctx.protocol == as_be16(kEthPIp)) {
    ctx.family = kAfInet;
    if (headlen >= 20) {
      std::memcpy(&ctx.local_ip4, net + 12, 4);   // sk_rcv_saddr = saddr
      std::memcpy(&ctx.remote_ip4, net + 16, 4);  // sk_daddr = daddr
    }
  } else if (ctx.protocol == as_be16(kEthPIpv6)) {
    ctx.family = kAfInet6;
    if (headlen >= 40) {
      std::memcpy(ctx.local_ip6, net + 8, 16);
      std::memcpy(ctx.remote_ip6, net + 24, 16);
    }
  }
}

}  // namespace

bool is_socket_filter_type(const ProgramType& type) {
  return &type == &socket_filter_program_type() || type.name == "socket_filter";
}

bool is_skb_run_type(const ProgramType& type) {
  return &type == &sched_cls_program_type() || &type == &sched_act_program_type() ||
         &type == &cgroup_skb_program_type() || type.name == "sched_cls" ||
         type.name == "sched_act" || type.name == "cgroup_skb";
}

Result<void> skb_run_start(SkbRun& run, const ProgramType& type, std::span<const uint8_t> packet,
                           uint32_t ifindex, uint32_t mark) {
  if (packet.size() < SkbRun::kEthHeader || packet.size() > SkbRun::kMaxPacket) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("a {} packet is {} bytes, must be {} (an Ethernet header) "
                                  "to {}, as the kernel's test run requires",
                                  type.name, packet.size(), SkbRun::kEthHeader,
                                  SkbRun::kMaxPacket));
  }
  const uint32_t size = static_cast<uint32_t>(packet.size());
  // Only the packet's bytes are ever read: the helpers stay within data..data + len (and
  // the MAC header), so the head- and tailroom need no clearing.
  std::memcpy(run.buf + SkbRun::kHeadroom, packet.data(), size);
  run.ctx = SkBuffCtx{};
  run.l2 = type.name == "sched_cls" || type.name == "sched_act";
  run.packet_writable = type.packet_writes;
  run.mac_off = SkbRun::kHeadroom;
  run.network_off = SkbRun::kHeadroom + SkbRun::kEthHeader;
  run.data_off = run.l2 ? run.mac_off : run.network_off;
  run.len = size - (run.data_off - SkbRun::kHeadroom);
  run.transport_off = 0;
  run.transport_set = false;
  run.encapsulation = false;
  run.ctx_in_gso_size = 0;
  run.hash_valid = false;
  run.ip_summed = 0;
  run.csum_level = 0;
  run.packet_region = nullptr;
  run.clones.clear();

  SkBuffCtx& c = run.ctx;
  eth_type_trans(run.buf + run.mac_off, size - SkbRun::kEthHeader, c);
  // The kernel refuses an IPv4 or IPv6 packet too short for its network header.
  const uint32_t headlen = size - SkbRun::kEthHeader;
  const uint32_t need = c.protocol == as_be16(kEthPIp)     ? 20
                        : c.protocol == as_be16(kEthPIpv6) ? 40
                                                           : 0;
  if (headlen < need) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("a {} packet of {} bytes has {} bytes after its Ethernet "
                                  "header, too few for its {}-byte {} header, as the kernel's "
                                  "test run requires",
                                  type.name, size, headlen, need, need == 20 ? "IPv4" : "IPv6"));
  }
  socket_fields(run.buf + run.network_off, size - SkbRun::kEthHeader, c);
  c.len = run.len;
  c.mark = mark;
  c.ifindex = ifindex;
  const uint64_t data = reinterpret_cast<uint64_t>(run.data());
  c.data = data;
  c.data_meta = data;
  c.data_end = data + run.len;
  return {};
}

namespace {

// The fields of struct __sk_buff a test's context may set (convert___skb_to_skb): every
// other byte of ctx_in must be 0.
struct SettableField {
  uint32_t offset;
  uint32_t size;
};
constexpr SettableField kSettable[] = {
    {offsetof(SkBuffCtx, mark), 4},     {offsetof(SkBuffCtx, priority), 4},
    {offsetof(SkBuffCtx, ingress_ifindex), 4}, {offsetof(SkBuffCtx, ifindex), 4},
    {offsetof(SkBuffCtx, cb), 20},      {offsetof(SkBuffCtx, tstamp), 8},
    {offsetof(SkBuffCtx, wire_len), 4}, {offsetof(SkBuffCtx, gso_segs), 4},
    {offsetof(SkBuffCtx, gso_size), 4}, {offsetof(SkBuffCtx, hwtstamp), 8},
};
constexpr uint32_t kGsoLegacyMaxSize = 65536;  // GSO_LEGACY_MAX_SIZE
constexpr uint32_t kGsoMaxSegs = 65535;        // GSO_MAX_SEGS

bool settable(uint32_t off) {
  for (const SettableField& f : kSettable) {
    if (off >= f.offset && off < f.offset + f.size) return true;
  }
  return false;
}

}  // namespace

Result<void> skb_run_apply_ctx(SkbRun& run, std::span<const uint8_t> ctx_in) {
  for (size_t i = kSkBuffSize; i < ctx_in.size(); ++i) {
    if (ctx_in[i] != 0) {
      return make_error(ErrorCode::kNoSpace,
                        fmt::format("ctx_in is {} bytes and byte {} is not 0: struct __sk_buff "
                                    "is {} bytes, and the kernel refuses more (-E2BIG)",
                                    ctx_in.size(), i, kSkBuffSize));
    }
  }
  SkBuffCtx in{};
  if (!ctx_in.empty()) {  // a test run without ctx_in has a null span
    std::memcpy(&in, ctx_in.data(), std::min<size_t>(ctx_in.size(), kSkBuffSize));
  }
  const auto* bytes = reinterpret_cast<const uint8_t*>(&in);
  for (uint32_t off = 0; off < kSkBuffSize; ++off) {
    if (bytes[off] != 0 && !settable(off)) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("ctx_in byte {} is not 0: a test run's context may set "
                                    "only mark, priority, ingress_ifindex, ifindex, cb, tstamp, "
                                    "wire_len, gso_segs, gso_size and hwtstamp",
                                    off));
    }
  }
  if (in.wire_len != 0 && (in.wire_len < run.len || in.wire_len > kGsoLegacyMaxSize)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("ctx_in wire_len is {}, must be 0 or {} (len) to {}",
                                  in.wire_len, run.len, kGsoLegacyMaxSize));
  }
  if (in.gso_segs > kGsoMaxSegs) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("ctx_in gso_segs is {}, at most {}", in.gso_segs, kGsoMaxSegs));
  }
  SkBuffCtx& c = run.ctx;
  if (in.ifindex > 1) c.ifindex = in.ifindex;
  c.mark = in.mark;
  c.priority = in.priority;
  c.ingress_ifindex = in.ingress_ifindex;
  c.tstamp = in.tstamp;
  std::memcpy(c.cb, in.cb, sizeof c.cb);
  c.wire_len = in.wire_len != 0 ? in.wire_len : run.len;
  c.gso_segs = in.gso_segs;
  c.gso_size = in.gso_size;
  run.ctx_in_gso_size = in.gso_size;
  c.hwtstamp = in.hwtstamp;
  return {};
}

std::vector<uint8_t> skb_run_ctx_out(const SkbRun& run) {
  SkBuffCtx c{};
  const SkBuffCtx& r = run.ctx;
  c.mark = r.mark;
  c.priority = r.priority;
  c.ingress_ifindex = r.ingress_ifindex;
  c.ifindex = r.ifindex;
  c.tstamp = r.tstamp;
  std::memcpy(c.cb, r.cb, sizeof c.cb);
  c.wire_len = r.wire_len;
  c.gso_segs = r.gso_segs;
  c.gso_size = run.ctx_in_gso_size;
  c.hwtstamp = r.hwtstamp;
  const auto* p = reinterpret_cast<const uint8_t*>(&c);
  return std::vector<uint8_t>(p, p + kSkBuffSize);
}

bool SkbRun::reserve_head(uint32_t n) {
  if (data_off >= n) return true;
  // Move everything from the first header on (the MAC header may lie before data) so that
  // n bytes are free in front of data.
  const uint32_t lo = std::min({data_off, mac_off, network_off});
  const uint32_t hi = data_off + len;
  const uint32_t shift = n - data_off;
  if (uint64_t{hi} + shift > kBufferSize) return false;
  std::memmove(buf + lo + shift, buf + lo, hi - lo);
  data_off += shift;
  mac_off += shift;
  network_off += shift;
  transport_off += shift;
  return true;
}

bool SkbRun::reserve_tail(uint32_t n) { return uint64_t{data_off} + len + n <= kBufferSize; }

void SkbRun::sync_packet() {
  const uint64_t d = reinterpret_cast<uint64_t>(data());
  ctx.data = d;
  ctx.data_meta = d;
  ctx.data_end = d + len;
  ctx.len = len;
  if (packet_region != nullptr) *packet_region = MemRegion{d, d + len, packet_writable};
}

uint32_t skb_run_data_out(const SkbRun& run, uint8_t* out) {
  if (run.l2) {
    std::memcpy(out, run.buf + run.data_off, run.len);
    return run.len;
  }
  std::memset(out, 0, SkbRun::kEthHeader);
  std::memcpy(out + SkbRun::kEthHeader, run.buf + run.data_off, run.len);
  return run.len + SkbRun::kEthHeader;
}

}  // namespace bpfjit
