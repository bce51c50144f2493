// The helpers of struct __sk_buff programs (sched_cls, sched_act, cgroup_skb), with the
// semantics of the kernel's net/core/filter.c on the sk_buff of a test run
// (helpers/skb_run.h): the run's SkbRun, reached through the HostEnv, is the packet and
// sk_buff they act on; the context pointer a program passes is the one the verifier
// proved (in checked mode a forged one changes nothing: the run's own sk_buff is used).
//
// The sk_buff of a test run is linear, not cloned, and its ip_summed is CHECKSUM_NONE
// (or CHECKSUM_UNNECESSARY after bpf_csum_level): the checksum-complete updates the kernel
// makes for CHECKSUM_COMPLETE and CHECKSUM_PARTIAL packets never apply.
//
// Which of them change packet data (the kernel's bpf_helper_changes_pkt_data, for the
// verifier): skb_store_bytes, l3_csum_replace, l4_csum_replace, clone_redirect,
// skb_pull_data, skb_vlan_push, skb_vlan_pop, skb_change_tail, skb_change_head,
// skb_adjust_room and skb_change_proto (the last six move the packet or change its size).
#include <algorithm>
#include <cstring>

#include "helpers/csum.h"
#include "helpers/helpers/builtin.h"
#include "helpers/kernel_tables.h"
#include "helpers/skb_run.h"

namespace bpfjit::builtin {
namespace {

// uapi flag values (<linux/bpf.h>).
constexpr uint64_t kFRecomputeCsum = 1ULL << 0;   // BPF_F_RECOMPUTE_CSUM
constexpr uint64_t kFInvalidateHash = 1ULL << 1;  // BPF_F_INVALIDATE_HASH
constexpr uint64_t kFHdrFieldMask = 0xf;          // BPF_F_HDR_FIELD_MASK
constexpr uint64_t kFPseudoHdr = 1ULL << 4;       // BPF_F_PSEUDO_HDR
constexpr uint64_t kFMarkMangled0 = 1ULL << 5;    // BPF_F_MARK_MANGLED_0
constexpr uint64_t kFMarkEnforce = 1ULL << 6;     // BPF_F_MARK_ENFORCE
constexpr uint64_t kFIpv6 = 1ULL << 7;            // BPF_F_IPV6 (checksum-complete only)
constexpr uint64_t kFIngress = 1ULL << 0;         // BPF_F_INGRESS
constexpr uint16_t kCsumMangled0 = 0xffff;        // CSUM_MANGLED_0
constexpr uint64_t kHdrStartMac = 0;              // BPF_HDR_START_MAC
constexpr uint64_t kHdrStartNet = 1;              // BPF_HDR_START_NET
constexpr uint64_t kTcActShot = 2;                // TC_ACT_SHOT
constexpr uint64_t kTcActRedirect = 7;            // TC_ACT_REDIRECT
constexpr uint8_t kChecksumNone = 0;
constexpr uint8_t kChecksumUnnecessary = 1;
constexpr uint8_t kMaxCsumLevel = 3;  // SKB_MAX_CSUM_LEVEL
constexpr int kEnotsupp = 524;        // ENOTSUPP (kernel-internal)
constexpr uint64_t kIntMax = 0x7fffffff;

SkbRun* skb_of(RunContext* ctx) {
  HostEnv* env = host_env(ctx);
  return env != nullptr ? env->skb() : nullptr;
}

// bpf_try_make_writable(skb, n): the first n bytes from data exist (pskb_may_pull).
bool may_pull(const SkbRun& s, uint64_t n) { return n <= s.len; }

uint16_t load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
void store16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }

// skb_load_bytes(skb, offset, to, len). Without a run's sk_buff (a host calling the helper
// on a context of its own), the packet is the context's data..data_end, checked again.
uint64_t skb_load_bytes(uint64_t skb, uint64_t offset, uint64_t to, uint64_t len, uint64_t,
                        RunContext* ctx) {
  if (!can_access(ctx, to, len, true)) return err_code(EFAULT);
  const uint32_t off = static_cast<uint32_t>(offset);
  if (SkbRun* s = skb_of(ctx)) {
    if (off > kIntMax || uint64_t{off} + len > s->len) {
      std::memset(ptr(to), 0, len);
      return err_code(EFAULT);
    }
    std::memmove(ptr(to), s->data() + off, len);
    return 0;
  }
  if (!can_access(ctx, skb, sizeof(SkBuffCtx), false)) return err_code(EINVAL);
  SkBuffCtx c;
  std::memcpy(&c, ptr(skb), sizeof c);
  if (len == 0) return 0;
  if (c.data > c.data_end || offset > c.data_end - c.data || len > c.data_end - c.data - offset ||
      !can_access(ctx, c.data + offset, len, false)) {
    std::memset(ptr(to), 0, len);
    return err_code(EFAULT);
  }
  std::memmove(ptr(to), ptr(c.data + offset), len);
  return 0;
}

// skb_load_bytes_relative(skb, offset, to, len, start_header): from the MAC or the network
// header, up to the packet's end.
uint64_t skb_load_bytes_relative(uint64_t, uint64_t offset, uint64_t to, uint64_t len,
                                 uint64_t start_header, RunContext* ctx) {
  if (!can_access(ctx, to, len, true)) return err_code(EFAULT);
  SkbRun* s = skb_of(ctx);
  const uint32_t off = static_cast<uint32_t>(offset);
  const uint32_t hdr = static_cast<uint32_t>(start_header);
  uint64_t start = 0;
  bool ok = s != nullptr && off <= 0xffff && (hdr == kHdrStartMac || hdr == kHdrStartNet);
  if (ok) {
    start = hdr == kHdrStartMac ? s->mac_off : s->network_off;
    ok = start + off + len <= uint64_t{s->data_off} + s->len;
  }
  if (!ok) {
    std::memset(ptr(to), 0, len);
    return err_code(EFAULT);
  }
  std::memmove(ptr(to), s->buf + start + off, len);
  return 0;
}

// skb_store_bytes(skb, offset, from, len, flags).
uint64_t skb_store_bytes(uint64_t, uint64_t offset, uint64_t from, uint64_t len, uint64_t flags,
                         RunContext* ctx) {
  SkbRun* s = skb_of(ctx);
  if (s == nullptr) return err_code(EINVAL);
  if ((flags & ~(kFRecomputeCsum | kFInvalidateHash)) != 0) return err_code(EINVAL);
  const uint32_t off = static_cast<uint32_t>(offset);
  if (off > kIntMax) return err_code(EFAULT);
  if (!may_pull(*s, uint64_t{off} + len)) return err_code(EFAULT);
  if (!can_access(ctx, from, len, false)) return err_code(EFAULT);
  std::memmove(s->data() + off, ptr(from), len);
  // BPF_F_RECOMPUTE_CSUM updates skb->csum of CHECKSUM_COMPLETE packets only.
  if ((flags & kFInvalidateHash) != 0) {
    s->ctx.hash = 0;
    s->hash_valid = false;
  }
  return 0;
}

// The checksum field at `offset` of a csum_replace call: nullptr (with the error in *rc)
// when the kernel refuses the offset.
uint8_t* csum_field(SkbRun& s, uint64_t offset, uint64_t* rc) {
  const uint32_t off = static_cast<uint32_t>(offset);
  if (off > 0xffff || (off & 1) != 0 || !may_pull(s, uint64_t{off} + 2)) {
    *rc = err_code(EFAULT);
    return nullptr;
  }
  return s.data() + off;
}

// Updates the checksum at `p` for a field of `size` bytes changed from `from` to `to`
// (size 0: `to` is a difference from bpf_csum_diff, `from` must be 0). The l4 helper's
// inet_proto_csum_replace2 widens 2-byte values to 32 bits, where l3's csum_replace2 adds
// them as 16-bit words: the results can differ in the representation of zero.
uint64_t replace_csum(uint8_t* p, uint64_t from, uint64_t to, uint64_t size, bool l4) {
  const uint16_t sum = load16(p);
  switch (size) {
    case 0:
      if (from != 0) return err_code(EINVAL);
      store16(p, csum::replace_by_diff(sum, static_cast<uint32_t>(to)));
      return 0;
    case 2:
      store16(p, l4 ? csum::replace4(sum, static_cast<uint16_t>(from), static_cast<uint16_t>(to))
                    : csum::replace2(sum, static_cast<uint16_t>(from), static_cast<uint16_t>(to)));
      return 0;
    case 4:
      store16(p, csum::replace4(sum, static_cast<uint32_t>(from), static_cast<uint32_t>(to)));
      return 0;
    default:
      return err_code(EINVAL);
  }
}

// l3_csum_replace(skb, offset, from, to, flags): the low 4 bits of flags are the size of
// the changed field (0: `to` is a difference from bpf_csum_diff).
uint64_t l3_csum_replace(uint64_t, uint64_t offset, uint64_t from, uint64_t to, uint64_t flags,
                         RunContext* ctx) {
  SkbRun* s = skb_of(ctx);
  if (s == nullptr) return err_code(EINVAL);
  if ((flags & ~kFHdrFieldMask) != 0) return err_code(EINVAL);
  uint64_t rc = 0;
  uint8_t* p = csum_field(*s, offset, &rc);
  if (p == nullptr) return rc;
  return replace_csum(p, from, to, flags & kFHdrFieldMask, false);
}

// l4_csum_replace(skb, offset, from, to, flags): as l3_csum_replace, plus BPF_F_PSEUDO_HDR
// and BPF_F_IPV6 (which change only checksum-complete state, never here), BPF_F_MARK_MANGLED_0 (a UDP checksum
// of 0, "none", is left alone, and a result of 0 is stored as 0xffff) and
// BPF_F_MARK_ENFORCE (update a checksum of 0 too).
uint64_t l4_csum_replace(uint64_t, uint64_t offset, uint64_t from, uint64_t to, uint64_t flags,
                         RunContext* ctx) {
  SkbRun* s = skb_of(ctx);
  if (s == nullptr) return err_code(EINVAL);
  if ((flags & ~(kFMarkMangled0 | kFMarkEnforce | kFPseudoHdr | kFIpv6 | kFHdrFieldMask)) != 0) {
    return err_code(EINVAL);
  }
  const bool mmzero = (flags & kFMarkMangled0) != 0;
  const bool mforce = (flags & kFMarkEnforce) != 0;
  uint64_t rc = 0;
  uint8_t* p = csum_field(*s, offset, &rc);
  if (p == nullptr) return rc;
  const uint16_t sum = load16(p);
  if (mmzero && !mforce && sum == 0) return 0;
  if (const uint64_t r = replace_csum(p, from, to, flags & kFHdrFieldMask, true); r != 0) {
    return r;
  }
  if (mmzero && load16(p) == 0) store16(p, kCsumMangled0);
  return 0;
}

// csum_diff(from, from_size, to, to_size, seed): the checksum difference of two word
// arrays, folded to 16 bits as the kernel (since 6.13) returns it on every architecture.
uint64_t csum_diff(uint64_t from, uint64_t from_size, uint64_t to, uint64_t to_size,
                   uint64_t seed, RunContext* ctx) {
  const uint32_t fs = static_cast<uint32_t>(from_size);
  const uint32_t ts = static_cast<uint32_t>(to_size);
  if (!can_access(ctx, from, fs, false) || !can_access(ctx, to, ts, false)) {
    return err_code(EFAULT);
  }
  const uint32_t sd = static_cast<uint32_t>(seed);
  uint32_t r = sd;
  if (fs != 0 && ts != 0) {
    r = csum::sub(csum::partial(ptr(to), ts, sd), csum::partial(ptr(from), fs, 0));
  } else if (ts != 0) {
    r = csum::partial(ptr(to), ts, sd);
  } else if (fs != 0) {
    r = ~csum::partial(ptr(from), fs, ~sd);
  } else {
    return sd;
  }
  return csum::from32to16(r);
}

// csum_update(skb, csum): for CHECKSUM_COMPLETE packets only.
uint64_t csum_update(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  if (skb_of(ctx) == nullptr) return err_code(EINVAL);
  return err_code(kEnotsupp);
}

// csum_level(skb, level): query, increment, decrement or reset the CHECKSUM_UNNECESSARY
// level.
uint64_t csum_level(uint64_t, uint64_t level, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  SkbRun* s = skb_of(ctx);
  if (s == nullptr) return err_code(EINVAL);
  switch (level) {
    case 0:  // BPF_CSUM_LEVEL_QUERY
      return s->ip_summed == kChecksumUnnecessary ? s->csum_level : err_code(EACCES);
    case 1:  // BPF_CSUM_LEVEL_INC
      if (s->ip_summed == kChecksumUnnecessary) {
        if (s->csum_level < kMaxCsumLevel) ++s->csum_level;
      } else {
        s->ip_summed = kChecksumUnnecessary;
        s->csum_level = 0;
      }
      return 0;
    case 2:  // BPF_CSUM_LEVEL_DEC
      if (s->ip_summed == kChecksumUnnecessary) {
        if (s->csum_level == 0) {
          s->ip_summed = kChecksumNone;
        } else {
          --s->csum_level;
        }
      }
      return 0;
    case 3:  // BPF_CSUM_LEVEL_RESET
      if (s->ip_summed == kChecksumUnnecessary) {
        s->ip_summed = kChecksumNone;
        s->csum_level = 0;
      }
      return 0;
    default:
      return err_code(EINVAL);
  }
}

// get_hash_recalc(skb): skb->hash, computed when no hash is set. The kernel's flow hash is
// keyed with a random value drawn at boot, so no two machines agree on it; ours is a fixed
// function (FNV-1a) of the network and transport headers, never 0.
uint64_t get_hash_recalc(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  SkbRun* s = skb_of(ctx);
  if (s == nullptr) return 0;
  if (!s->hash_valid) {
    const uint64_t end = uint64_t{s->data_off} + s->len;
    const uint64_t n = end > s->network_off ? std::min<uint64_t>(end - s->network_off, 40) : 0;
    uint32_t h = 2166136261u;
    for (uint64_t i = 0; i < n; ++i) h = (h ^ s->buf[s->network_off + i]) * 16777619u;
    s->ctx.hash = h != 0 ? h : 1;
    s->hash_valid = true;
  }
  return s->ctx.hash;
}

// set_hash(skb, hash): a software hash; returns 0.
uint64_t set_hash(uint64_t, uint64_t hash, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  SkbRun* s = skb_of(ctx);
  if (s == nullptr) return err_code(EINVAL);
  s->ctx.hash = static_cast<uint32_t>(hash);
  s->hash_valid = true;
  return 0;
}

// set_hash_invalid(skb): skb_clear_hash.
uint64_t set_hash_invalid(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  if (SkbRun* s = skb_of(ctx)) {
    s->ctx.hash = 0;
    s->hash_valid = false;
  }
  return 0;
}

// skb_pull_data(skb, len): the packet is linear, so any len up to its length (0: all of
// it) is already "pulled"; a longer one fails as pskb_may_pull does.
uint64_t skb_pull_data(uint64_t, uint64_t len, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  SkbRun* s = skb_of(ctx);
  if (s == nullptr) return err_code(EINVAL);
  const uint32_t n = static_cast<uint32_t>(len);
  return may_pull(*s, n) ? 0 : err_code(ENOMEM);
}

// ---- VLAN tags: the sk_buff's accelerated tag (vlan_present, vlan_tci, vlan_proto) and
// 802.1Q/802.1ad headers in the packet, as net/core/skbuff.c moves them.

constexpr uint32_t kVlanHlen = 4;                 // VLAN_HLEN
constexpr uint16_t kEthP8021Q = 0x8100;
constexpr uint16_t kEthP8021AD = 0x88a8;

uint16_t get_be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
void put_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
// A __be16 as the context holds it (memory order loaded little-endian) and back.
uint32_t ctx_be16(uint16_t host) { return static_cast<uint32_t>((host & 0xff) << 8 | host >> 8); }
uint16_t host_of(uint32_t ctx_value) {
  return static_cast<uint16_t>((ctx_value & 0xff) << 8 | (ctx_value >> 8 & 0xff));
}
bool is_vlan_proto(uint16_t host) { return host == kEthP8021Q || host == kEthP8021AD; }

// __vlan_insert_tag: a tag header pushed in front of the EtherType.
int64_t insert_tag(SkbRun& s, uint16_t proto, uint16_t tci) {
  if (!s.reserve_head(kVlanHlen)) return -ENOMEM;
  s.data_off -= kVlanHlen;
  s.len += kVlanHlen;
  uint8_t* d = s.data();
  std::memmove(d, d + kVlanHlen, 12);
  s.mac_off -= kVlanHlen;
  put_be16(d + 12, proto);
  put_be16(d + 14, tci);
  return 0;
}

// __skb_vlan_pop: the packet's outer tag removed; its TCI in *tci.
int64_t pop_tag(SkbRun& s, uint16_t* tci) {
  if (s.len < 18) return -ENOMEM;  // skb_ensure_writable(skb, VLAN_ETH_HLEN)
  uint8_t* d = s.data();
  *tci = get_be16(d + 14);
  const uint16_t encap = get_be16(d + 16);
  const uint8_t raw0 = d[18], raw1 = d[19];  // vlan_set_encap_proto reads past the header
  std::memmove(d + kVlanHlen, d, 12);
  s.data_off += kVlanHlen;
  s.len -= kVlanHlen;
  if (encap >= 0x0600) {
    s.ctx.protocol = ctx_be16(encap);
  } else {
    s.ctx.protocol = ctx_be16(raw0 == 0xff && raw1 == 0xff ? 0x0001 : 0x0004);
  }
  s.mac_off += kVlanHlen;
  if (s.network_off < s.data_off + 14) s.network_off = s.data_off + 14;
  return 0;
}

void put_hw_tag(SkbRun& s, uint16_t proto, uint16_t tci) {
  s.ctx.vlan_present = 1;
  s.ctx.vlan_proto = ctx_be16(proto);
  s.ctx.vlan_tci = tci;
}

// skb_vlan_push(skb, vlan_proto, vlan_tci): the tag becomes the accelerated one; one
// already there moves into the packet first. A protocol other than 802.1Q/802.1ad is
// taken as 802.1Q.
uint64_t skb_vlan_push(uint64_t, uint64_t vlan_proto, uint64_t vlan_tci, uint64_t, uint64_t,
                       RunContext* ctx) {
  SkbRun* s = skb_of(ctx);
  if (s == nullptr) return err_code(EINVAL);
  uint16_t proto = host_of(static_cast<uint32_t>(vlan_proto & 0xffff));
  if (!is_vlan_proto(proto)) proto = kEthP8021Q;
  if (s->ctx.vlan_present != 0) {
    if (s->data_off != s->mac_off) return err_code(EINVAL);
    const int64_t rc = insert_tag(*s, host_of(s->ctx.vlan_proto),
                                  static_cast<uint16_t>(s->ctx.vlan_tci));
    if (rc != 0) return err(rc);
    s->ctx.protocol = s->ctx.vlan_proto;
    s->network_off -= kVlanHlen;
  }
  put_hw_tag(*s, proto, static_cast<uint16_t>(vlan_tci));
  s->sync_packet();
  return 0;
}

// skb_vlan_pop(skb): the accelerated tag removed (or the packet's outer one), then the
// packet's next tag, if any, made the accelerated one.
uint64_t skb_vlan_pop(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  SkbRun* s = skb_of(ctx);
  if (s == nullptr) return err_code(EINVAL);
  uint16_t tci = 0;
  if (s->ctx.vlan_present != 0) {
    s->ctx.vlan_present = 0;
    s->ctx.vlan_tci = 0;
    s->ctx.vlan_proto = 0;
  } else {
    if (!is_vlan_proto(host_of(s->ctx.protocol))) return 0;
    if (s->data_off != s->mac_off) return err_code(EINVAL);
    const int64_t rc = pop_tag(*s, &tci);
    s->sync_packet();
    if (rc != 0) return err(rc);
  }
  if (!is_vlan_proto(host_of(s->ctx.protocol))) return 0;
  const uint16_t proto = host_of(s->ctx.protocol);
  if (s->data_off != s->mac_off) return err_code(EINVAL);
  const int64_t rc = pop_tag(*s, &tci);
  s->sync_packet();
  if (rc != 0) return err(rc);
  put_hw_tag(*s, proto, tci);
  return 0;
}

// ---- The size-changing helpers: bpf_skb_change_tail, bpf_skb_change_head,
// bpf_skb_adjust_room and bpf_skb_change_proto, as net/core/filter.c changes the packet and
// the sk_buff's headers. They run in tc programs, whose data is the MAC header.

// uapi flags of bpf_skb_adjust_room (<linux/bpf.h>).
constexpr uint64_t kAdjRoomFixedGso = 1ULL << 0;   // BPF_F_ADJ_ROOM_FIXED_GSO
constexpr uint64_t kAdjRoomEncapL3Ipv4 = 1ULL << 1;
constexpr uint64_t kAdjRoomEncapL3Ipv6 = 1ULL << 2;
constexpr uint64_t kAdjRoomEncapL4Gre = 1ULL << 3;
constexpr uint64_t kAdjRoomEncapL4Udp = 1ULL << 4;
constexpr uint64_t kAdjRoomNoCsumReset = 1ULL << 5;
constexpr uint64_t kAdjRoomEncapL2Eth = 1ULL << 6;
constexpr uint64_t kAdjRoomDecapL3Ipv4 = 1ULL << 7;
constexpr uint64_t kAdjRoomDecapL3Ipv6 = 1ULL << 8;
constexpr uint32_t kAdjRoomEncapL2Shift = 56;      // BPF_ADJ_ROOM_ENCAP_L2_SHIFT
constexpr uint64_t kAdjRoomEncapL3Mask = kAdjRoomEncapL3Ipv4 | kAdjRoomEncapL3Ipv6;
constexpr uint64_t kAdjRoomDecapL3Mask = kAdjRoomDecapL3Ipv4 | kAdjRoomDecapL3Ipv6;
// BPF_F_ADJ_ROOM_MASK (the inner L2 length is the top byte) and NO_CSUM_RESET.
constexpr uint64_t kAdjRoomAllowed = kAdjRoomFixedGso | kAdjRoomEncapL3Mask | kAdjRoomEncapL4Gre |
                                     kAdjRoomEncapL4Udp | kAdjRoomEncapL2Eth |
                                     (0xffULL << kAdjRoomEncapL2Shift) | kAdjRoomDecapL3Mask |
                                     kAdjRoomNoCsumReset;
constexpr uint64_t kAdjRoomShrinkAllowed =
    kAdjRoomFixedGso | kAdjRoomDecapL3Mask | kAdjRoomNoCsumReset;
constexpr uint32_t kAdjRoomNet = 0;  // BPF_ADJ_ROOM_NET
constexpr uint32_t kAdjRoomMac = 1;  // BPF_ADJ_ROOM_MAC
constexpr uint32_t kAdjRoomMaxDiff = 0xfff;
constexpr uint16_t kEthPIp = 0x0800;
constexpr uint16_t kEthPIpv6 = 0x86dd;
constexpr uint32_t kIpv4Hlen = 20;  // sizeof(struct iphdr)
constexpr uint32_t kIpv6Hlen = 40;  // sizeof(struct ipv6hdr)
constexpr uint32_t kEthHlen = 14;
constexpr int kEalready = 114;

uint16_t proto_of(const SkbRun& s) { return host_of(s.ctx.protocol); }

// __bpf_skb_min_len: the packet may not be cut before its network header, or before its
// transport header when one is set.
uint32_t min_len(const SkbRun& s) {
  uint32_t m = s.network_off > s.data_off ? s.network_off - s.data_off : 0;
  if (s.transport_set && s.transport_off > s.data_off) m = s.transport_off - s.data_off;
  return m;
}

// bpf_skb_net_base_len: the network header's fixed part.
uint32_t net_base_len(const SkbRun& s) {
  switch (proto_of(s)) {
    case kEthPIp:
      return kIpv4Hlen;
    case kEthPIpv6:
      return kIpv6Hlen;
    default:
      return 0;
  }
}

// skb_gso_reset.
void gso_reset(SkbRun& s) {
  s.ctx.gso_size = 0;
  s.ctx.gso_segs = 0;
}

// bpf_skb_net_hdr_push: n zero bytes inserted `off` bytes after data (the MAC header),
// the MAC and network headers moved with the bytes in front of them. The caller made the
// headroom.
void net_hdr_push(SkbRun& s, uint32_t off, uint32_t n) {
  const bool trans_same = s.transport_set && s.transport_off == s.network_off;
  s.data_off -= n;
  s.len += n;
  uint8_t* d = s.data();
  std::memmove(d, d + n, off);
  std::memset(d + off, 0, n);
  s.mac_off -= n;
  s.network_off -= n;
  if (trans_same) s.transport_off = s.network_off;
}

// bpf_skb_net_hdr_pop: the n bytes `off` bytes after data removed.
int64_t net_hdr_pop(SkbRun& s, uint32_t off, uint32_t n) {
  if (uint64_t{off} + n > s.len) return -ENOMEM;  // pskb_may_pull
  const bool trans_same = s.transport_set && s.transport_off == s.network_off;
  uint8_t* old = s.data();
  s.data_off += n;
  s.len -= n;
  std::memmove(s.data(), old, off);
  s.mac_off += n;
  s.network_off += n;
  if (trans_same) s.transport_off = s.network_off;
  return 0;
}

// skb_change_tail(skb, len, flags): the packet cut or grown to len bytes, new bytes 0; a
// GSO packet stops being one.
uint64_t skb_change_tail(uint64_t, uint64_t new_len64, uint64_t flags, uint64_t, uint64_t,
                         RunContext* ctx) {
  SkbRun* s = skb_of(ctx);
  if (s == nullptr) return err_code(EINVAL);
  const uint32_t new_len = static_cast<uint32_t>(new_len64);
  if (flags != 0 || new_len > SkbRun::kMaxLen || new_len < min_len(*s)) return err_code(EINVAL);
  if (s->encapsulation) return err_code(kEnotsupp);
  if (new_len > s->len) {
    if (!s->reserve_tail(new_len - s->len)) return err_code(ENOMEM);
    std::memset(s->data() + s->len, 0, new_len - s->len);
  }
  s->len = new_len;
  if (s->is_gso()) gso_reset(*s);
  s->sync_packet();
  return 0;
}

// skb_change_head(skb, len, flags): len zero bytes pushed in front of the packet, which
// become the MAC header; the network header stays where it was.
uint64_t skb_change_head(uint64_t, uint64_t head_room64, uint64_t flags, uint64_t, uint64_t,
                         RunContext* ctx) {
  SkbRun* s = skb_of(ctx);
  if (s == nullptr) return err_code(EINVAL);
  const uint32_t head_room = static_cast<uint32_t>(head_room64);
  const uint32_t new_len = s->len + head_room;  // wraps as the kernel's u32 does
  if (flags != 0 || (!s->is_gso() && new_len > SkbRun::kMaxLen) || new_len < s->len) {
    return err_code(EINVAL);
  }
  if (!s->reserve_head(head_room)) return err_code(ENOMEM);
  s->data_off -= head_room;
  s->len = new_len;
  std::memset(s->data(), 0, head_room);
  s->mac_off = s->data_off;
  s->sync_packet();
  return 0;
}

// bpf_skb_net_grow: len_diff bytes of room at `off`, with the encapsulation flags' outer
// headers recorded (network and transport header, protocol).
int64_t net_grow(SkbRun& s, uint32_t off, uint32_t len_diff, uint64_t flags) {
  const uint32_t inner_mac_len = static_cast<uint32_t>(flags >> kAdjRoomEncapL2Shift);
  const bool encap = (flags & kAdjRoomEncapL3Mask) != 0;
  // A test run's GSO packet has no gso_type: neither TCP nor UDP_L4, which the kernel
  // refuses to resize.
  if (s.is_gso()) return -kEnotsupp;
  if (!s.reserve_head(len_diff)) return -ENOMEM;
  uint32_t mac_len = 0;
  if (encap) {
    if ((flags & kAdjRoomEncapL3Mask) == kAdjRoomEncapL3Mask) return -EINVAL;
    if ((flags & kAdjRoomEncapL4Gre) != 0 && (flags & kAdjRoomEncapL4Udp) != 0) return -EINVAL;
    if ((flags & kAdjRoomEncapL2Eth) != 0 && inner_mac_len < kEthHlen) return -EINVAL;
    if (s.encapsulation) return -kEalready;
    mac_len = s.network_off - s.mac_off;
    if (inner_mac_len > len_diff) return -EINVAL;
  }
  net_hdr_push(s, off, len_diff);
  if (!encap) return 0;
  s.encapsulation = true;
  s.network_off = s.data_off + mac_len;
  if ((flags & (kAdjRoomEncapL4Gre | kAdjRoomEncapL4Udp)) != 0) {
    const uint32_t nh_len = (flags & kAdjRoomEncapL3Ipv6) != 0 ? kIpv6Hlen : kIpv4Hlen;
    s.transport_off = s.data_off + mac_len + nh_len;
    s.transport_set = true;
  }
  if (proto_of(s) == kEthPIp && (flags & kAdjRoomEncapL3Ipv6) != 0) {
    s.ctx.protocol = ctx_be16(kEthPIpv6);
  } else if (proto_of(s) == kEthPIpv6 && (flags & kAdjRoomEncapL3Ipv4) != 0) {
    s.ctx.protocol = ctx_be16(kEthPIp);
  }
  return 0;
}

// bpf_skb_net_shrink: len_diff bytes removed at `off`; the decap flags set the protocol.
int64_t net_shrink(SkbRun& s, uint32_t off, uint32_t len_diff, uint64_t flags) {
  if ((flags & ~kAdjRoomShrinkAllowed) != 0) return -EINVAL;
  if (s.is_gso()) return -kEnotsupp;  // as in net_grow
  if (const int64_t rc = net_hdr_pop(s, off, len_diff); rc != 0) return rc;
  if (proto_of(s) == kEthPIp && (flags & kAdjRoomDecapL3Ipv6) != 0) {
    s.ctx.protocol = ctx_be16(kEthPIpv6);
  } else if (proto_of(s) == kEthPIpv6 && (flags & kAdjRoomDecapL3Ipv4) != 0) {
    s.ctx.protocol = ctx_be16(kEthPIp);
  }
  return 0;
}

// skb_adjust_room(skb, len_diff, mode, flags): room made (len_diff > 0) or removed after
// the MAC header (BPF_ADJ_ROOM_MAC) or after the fixed part of the network header
// (BPF_ADJ_ROOM_NET) of an IPv4 or IPv6 packet. Unless BPF_F_ADJ_ROOM_NO_CSUM_RESET, a
// CHECKSUM_UNNECESSARY packet becomes CHECKSUM_NONE.
int64_t adjust_room(SkbRun& s, int32_t len_diff, uint32_t mode, uint64_t flags) {
  const bool shrink = len_diff < 0;
  const uint32_t diff = shrink ? 0u - static_cast<uint32_t>(len_diff)
                               : static_cast<uint32_t>(len_diff);
  uint32_t len_min = net_base_len(s);
  if ((flags & ~kAdjRoomAllowed) != 0) return -EINVAL;
  if (diff > kAdjRoomMaxDiff) return -EFAULT;
  if (proto_of(s) != kEthPIp && proto_of(s) != kEthPIpv6) return -kEnotsupp;
  uint32_t off = s.network_off - s.mac_off;
  if (mode == kAdjRoomNet) {
    off += net_base_len(s);
  } else if (mode != kAdjRoomMac) {
    return -kEnotsupp;
  }
  if ((flags & kAdjRoomDecapL3Mask) != 0) {
    if (!shrink) return -EINVAL;
    switch (flags & kAdjRoomDecapL3Mask) {
      case kAdjRoomDecapL3Ipv4:
        len_min = kIpv4Hlen;
        break;
      case kAdjRoomDecapL3Ipv6:
        len_min = kIpv6Hlen;
        break;
      default:
        return -EINVAL;
    }
  }
  const uint32_t len_cur = s.len - (s.network_off - s.data_off);
  if ((shrink && (diff >= len_cur || len_cur - diff < len_min)) ||
      (!shrink && uint64_t{s.len} + diff > SkbRun::kMaxLen && !s.is_gso())) {
    return -kEnotsupp;
  }
  const int64_t rc = shrink ? net_shrink(s, off, diff, flags) : net_grow(s, off, diff, flags);
  if (rc == 0 && (flags & kAdjRoomNoCsumReset) == 0 && s.ip_summed == kChecksumUnnecessary) {
    s.ip_summed = kChecksumNone;  // __skb_reset_checksum_unnecessary
    s.csum_level = 0;
  }
  return rc;
}

uint64_t skb_adjust_room(uint64_t, uint64_t len_diff, uint64_t mode, uint64_t flags, uint64_t,
                         RunContext* ctx) {
  SkbRun* s = skb_of(ctx);
  if (s == nullptr) return err_code(EINVAL);
  const int64_t rc = adjust_room(*s, static_cast<int32_t>(len_diff), static_cast<uint32_t>(mode),
                                 flags);
  s->sync_packet();
  return err(rc);
}

// skb_change_proto(skb, proto, flags): IPv4 to IPv6 pushes 20 zero bytes after the MAC
// header (the network header then points at them), IPv6 to IPv4 removes the 20 bytes
// there; the program writes the new header itself. Sets protocol and clears the hash.
uint64_t skb_change_proto(uint64_t, uint64_t proto64, uint64_t flags, uint64_t, uint64_t,
                          RunContext* ctx) {
  SkbRun* s = skb_of(ctx);
  if (s == nullptr) return err_code(EINVAL);
  if (flags != 0) return err_code(EINVAL);
  const uint16_t to = host_of(static_cast<uint32_t>(proto64 & 0xffff));
  const uint16_t from = proto_of(*s);
  constexpr uint32_t kDiff = kIpv6Hlen - kIpv4Hlen;
  const uint32_t off = s->network_off - s->mac_off;
  if (from == kEthPIp && to == kEthPIpv6) {
    if (!s->reserve_head(kDiff)) return err_code(ENOMEM);
    net_hdr_push(*s, off, kDiff);
  } else if (from == kEthPIpv6 && to == kEthPIp) {
    if (const int64_t rc = net_hdr_pop(*s, off, kDiff); rc != 0) {
      s->sync_packet();
      return err(rc);
    }
  } else {
    return err_code(kEnotsupp);
  }
  s->ctx.protocol = ctx_be16(to);
  s->ctx.hash = 0;  // skb_clear_hash
  s->hash_valid = false;
  s->sync_packet();
  return 0;
}

// redirect(ifindex, flags): records the target for the caller (HostEnv::redirect) and
// returns TC_ACT_REDIRECT; flags other than BPF_F_INGRESS give TC_ACT_SHOT. From an xdp
// program, as bpf_xdp_redirect: any flag gives XDP_ABORTED, else XDP_REDIRECT.
uint64_t redirect(uint64_t ifindex, uint64_t flags, uint64_t, uint64_t, uint64_t,
                  RunContext* ctx) {
  SkbRun* s = skb_of(ctx);
  if (s == nullptr) return xdp_redirect(ifindex, flags, ctx);
  if ((flags & ~kFIngress) != 0) return kTcActShot;
  if (HostEnv* env = host_env(ctx)) {
    RunRedirect r;
    r.set = true;
    r.key = static_cast<uint32_t>(ifindex);
    r.flags = flags;
    env->redirect() = r;
  }
  return kTcActRedirect;
}

// clone_redirect(skb, ifindex, flags): records a copy of the packet sent to ifindex
// (SkbRun::clones); -EINVAL for flags other than BPF_F_INGRESS. Every ifindex is taken to
// exist: the runtime has no list of the host's devices.
uint64_t clone_redirect(uint64_t, uint64_t ifindex, uint64_t flags, uint64_t, uint64_t,
                        RunContext* ctx) {
  SkbRun* s = skb_of(ctx);
  if (s == nullptr) return err_code(EINVAL);
  if ((flags & ~kFIngress) != 0) return err_code(EINVAL);
  s->clones.push_back(SkbRedirect{static_cast<uint32_t>(ifindex), flags});
  return 0;
}

}  // namespace

void add_skb_helpers(HelperTable& t) {
  add_builtin(t, kernel_proto(9, skb_store_bytes));
  add_builtin(t, kernel_proto(10, l3_csum_replace));
  add_builtin(t, kernel_proto(11, l4_csum_replace));
  add_builtin(t, kernel_proto(13, clone_redirect));
  add_builtin(t, kernel_proto(18, skb_vlan_push));
  add_builtin(t, kernel_proto(19, skb_vlan_pop));
  add_builtin(t, kernel_proto(23, redirect));
  add_builtin(t, kernel_proto(helper_id::kSkbLoadBytes, skb_load_bytes));
  add_builtin(t, kernel_proto(28, csum_diff, true));
  add_builtin(t, kernel_proto(31, skb_change_proto));
  add_builtin(t, kernel_proto(34, get_hash_recalc));
  add_builtin(t, kernel_proto(38, skb_change_tail));
  add_builtin(t, kernel_proto(39, skb_pull_data));
  add_builtin(t, kernel_proto(40, csum_update));
  add_builtin(t, kernel_proto(41, set_hash_invalid));
  add_builtin(t, kernel_proto(43, skb_change_head));
  add_builtin(t, kernel_proto(48, set_hash));
  add_builtin(t, kernel_proto(50, skb_adjust_room));
  add_builtin(t, kernel_proto(68, skb_load_bytes_relative));
  add_builtin(t, kernel_proto(135, csum_level));
}

}  // namespace bpfjit::builtin
