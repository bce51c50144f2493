// XDP helpers, with the kernel's semantics (net/core/filter.c) on the runtime's frame
// (helpers/xdp_frame.h): the same room, the same limits, the same error codes.
//
// The context is the run's XdpCtx, taken from the HostEnv (set_packet_ctx), never read
// through the pointer the program passes: a helper only checks that the pointer is the
// context's address (a checked run could pass any readable bytes). Every move updates the
// packet's region for checked runs.
#include <cstring>

#include "helpers/helpers/builtin.h"
#include "helpers/program_types.h"
#include "helpers/xdp_frame.h"

namespace bpfjit::builtin {
namespace {

XdpCtx* xdp_ctx(RunContext* ctx, uint64_t arg) {
  HostEnv* env = host_env(ctx);
  return env != nullptr ? env->packet_ctx<XdpCtx>(PacketCtxKind::kXdp, arg) : nullptr;
}

void packet_moved(RunContext* ctx, const XdpCtx& x) {
  host_env(ctx)->set_packet_bounds(x.data_meta, x.data_end);
}

// The kernel's helpers take `int offset`: the low 32 bits, signed.
int64_t int_arg(uint64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }

// xdp_adjust_head(xdp, offset): moves data by offset (negative: the packet grows at the
// front), with the metadata in front of it. -EINVAL when data would pass the frame's
// reserved start (plus the metadata) or leave less than ETH_HLEN bytes before data_end.
uint64_t xdp_adjust_head(uint64_t xdp, uint64_t offset, uint64_t, uint64_t, uint64_t,
                         RunContext* ctx) {
  XdpCtx* x = xdp_ctx(ctx, xdp);
  if (x == nullptr) return err_code(EINVAL);
  const int64_t off = int_arg(offset);
  const uint64_t metalen = x->data - x->data_meta;
  const auto data_start = static_cast<int64_t>(x->hard_start + kXdpFrameReserved + metalen);
  const int64_t data = static_cast<int64_t>(x->data) + off;
  if (data < data_start || data > static_cast<int64_t>(x->data_end) - kEthHeaderLen) {
    return err_code(EINVAL);
  }
  if (metalen != 0) {
    std::memmove(ptr(x->data_meta + static_cast<uint64_t>(off)), ptr(x->data_meta), metalen);
  }
  x->data_meta += static_cast<uint64_t>(off);
  x->data = static_cast<uint64_t>(data);
  packet_moved(ctx, *x);
  return 0;
}

// xdp_adjust_meta(xdp, offset): moves data_meta by offset (negative: more metadata).
// -EINVAL when it would pass the frame's reserved start or data; -EACCES when the
// metadata's length would not be a multiple of 4 or above kXdpMaxMetaLen.
uint64_t xdp_adjust_meta(uint64_t xdp, uint64_t offset, uint64_t, uint64_t, uint64_t,
                         RunContext* ctx) {
  XdpCtx* x = xdp_ctx(ctx, xdp);
  if (x == nullptr) return err_code(EINVAL);
  const int64_t meta = static_cast<int64_t>(x->data_meta) + int_arg(offset);
  if (meta < static_cast<int64_t>(x->hard_start + kXdpFrameReserved) ||
      meta > static_cast<int64_t>(x->data)) {
    return err_code(EINVAL);
  }
  if (xdp_metalen_invalid(x->data - static_cast<uint64_t>(meta))) return err_code(EACCES);
  x->data_meta = static_cast<uint64_t>(meta);
  packet_moved(ctx, *x);
  return 0;
}

// xdp_adjust_tail(xdp, offset): moves data_end by offset. -EINVAL when it would pass the
// frame's tailroom or leave less than ETH_HLEN bytes after data. Bytes the packet grows
// into are zeroed.
uint64_t xdp_adjust_tail(uint64_t xdp, uint64_t offset, uint64_t, uint64_t, uint64_t,
                         RunContext* ctx) {
  XdpCtx* x = xdp_ctx(ctx, xdp);
  if (x == nullptr) return err_code(EINVAL);
  const int64_t off = int_arg(offset);
  const int64_t end = static_cast<int64_t>(x->data_end) + off;
  if (end > static_cast<int64_t>(x->hard_end)) return err_code(EINVAL);
  if (end < static_cast<int64_t>(x->data) + kEthHeaderLen) return err_code(EINVAL);
  if (off > 0) std::memset(ptr(x->data_end), 0, static_cast<size_t>(off));
  x->data_end = static_cast<uint64_t>(end);
  packet_moved(ctx, *x);
  return 0;
}

// The packet bytes [offset, offset + len) of xdp_load_bytes and xdp_store_bytes (u32
// arguments): -EFAULT when either is above 0xffff, -EINVAL past data_end.
int64_t packet_range(const XdpCtx& x, uint64_t offset, uint64_t len) {
  const auto off = static_cast<uint32_t>(offset);
  const auto n = static_cast<uint32_t>(len);
  if (off > 0xffff || n > 0xffff) return -EFAULT;
  if (uint64_t{off} + n > x.data_end - x.data) return -EINVAL;
  return 0;
}

// xdp_load_bytes(xdp, offset, buf, len): copies len packet bytes from offset into buf.
// The kernel leaves buf as it was on an error; we zero it, so that a run never reads what
// an earlier one left on the host stack.
uint64_t xdp_load_bytes(uint64_t xdp, uint64_t offset, uint64_t buf, uint64_t len, uint64_t,
                        RunContext* ctx) {
  XdpCtx* x = xdp_ctx(ctx, xdp);
  const auto n = static_cast<uint32_t>(len);
  if (!can_access(ctx, buf, n, true)) return err_code(EFAULT);
  if (x == nullptr) {
    std::memset(ptr(buf), 0, n);
    return err_code(EINVAL);
  }
  if (int64_t rc = packet_range(*x, offset, len); rc != 0) {
    std::memset(ptr(buf), 0, n);
    return err(rc);
  }
  std::memmove(ptr(buf), ptr(x->data + static_cast<uint32_t>(offset)), n);
  return 0;
}

// xdp_store_bytes(xdp, offset, buf, len): copies len bytes of buf into the packet at offset.
uint64_t xdp_store_bytes(uint64_t xdp, uint64_t offset, uint64_t buf, uint64_t len, uint64_t,
                         RunContext* ctx) {
  XdpCtx* x = xdp_ctx(ctx, xdp);
  if (x == nullptr) return err_code(EINVAL);
  const auto n = static_cast<uint32_t>(len);
  if (int64_t rc = packet_range(*x, offset, len); rc != 0) return err(rc);
  if (!can_access(ctx, buf, n, false)) return err_code(EFAULT);
  std::memmove(ptr(x->data + static_cast<uint32_t>(offset)), ptr(buf), n);
  return 0;
}

constexpr uint64_t kXdpAborted = 0;   // XDP_ABORTED
constexpr uint64_t kXdpRedirect = 4;  // XDP_REDIRECT
// redirect_map's flags: the action on a missing key in the low bits (XDP_ABORTED, _DROP,
// _PASS or _TX), and for devmaps BPF_F_BROADCAST and BPF_F_EXCLUDE_INGRESS.
constexpr uint64_t kXdpActionMask = 3;
constexpr uint64_t kFBroadcast = 1ULL << 3;
constexpr uint64_t kFExcludeIngress = 1ULL << 4;

// redirect_map(map, key, flags), as the kernel's __bpf_xdp_redirect_map: XDP_ABORTED for
// flags outside the map type's; a key without a target gives the flags' low bits (the
// default action) and clears the run's redirect, unless BPF_F_BROADCAST (devmaps: every
// target, the key unused); otherwise XDP_REDIRECT with the map, key, flags and target
// recorded (the last call decides).
uint64_t redirect_map(uint64_t map, uint64_t key, uint64_t flags, uint64_t, uint64_t,
                      RunContext* ctx) {
  BpfMap* m = arg_map(ctx, map);
  auto* rm = dynamic_cast<RedirectMap*>(m);
  HostEnv* env = host_env(ctx);
  if (rm == nullptr || env == nullptr) return kXdpAborted;
  const bool devmap = m->type() == MapType::kDevmap || m->type() == MapType::kDevmapHash;
  const uint64_t allowed = kXdpActionMask | (devmap ? kFBroadcast | kFExcludeIngress : 0);
  if ((flags & ~allowed) != 0) return kXdpAborted;
  RunRedirect r;
  r.resolved = rm->resolve(static_cast<uint32_t>(key), &r.target);
  if (!r.resolved && (flags & kFBroadcast) == 0) {
    env->redirect() = RunRedirect{};
    return flags & kXdpActionMask;
  }
  r.set = true;
  r.map_type = m->type();
  r.map = m;
  r.key = static_cast<uint32_t>(key);
  r.flags = flags;
  env->redirect() = r;
  return kXdpRedirect;
}

}  // namespace

uint64_t xdp_redirect(uint64_t ifindex, uint64_t flags, RunContext* ctx) {
  if (flags != 0) return kXdpAborted;
  if (HostEnv* env = host_env(ctx)) {
    RunRedirect r;
    r.set = true;
    r.key = static_cast<uint32_t>(ifindex);
    env->redirect() = r;
  }
  return kXdpRedirect;
}

void add_xdp_helpers(HelperTable& t) {
  using A = ArgKind;
  using R = RetKind;
  add_builtin(t, {helper_id::kXdpAdjustHead, "xdp_adjust_head", xdp_adjust_head, R::kInteger,
                  {A::kPtrToCtx, A::kScalar}, false});
  add_builtin(t, {helper_id::kXdpAdjustMeta, "xdp_adjust_meta", xdp_adjust_meta, R::kInteger,
                  {A::kPtrToCtx, A::kScalar}, false});
  add_builtin(t, {helper_id::kXdpAdjustTail, "xdp_adjust_tail", xdp_adjust_tail, R::kInteger,
                  {A::kPtrToCtx, A::kScalar}, false});
  add_builtin(t, {helper_id::kXdpLoadBytes, "xdp_load_bytes", xdp_load_bytes, R::kInteger,
                  {A::kPtrToCtx, A::kScalar, A::kPtrToUninitMem, A::kConstSize}, false});
  add_builtin(t, {helper_id::kXdpStoreBytes, "xdp_store_bytes", xdp_store_bytes, R::kInteger,
                  {A::kPtrToCtx, A::kScalar, A::kPtrToMem, A::kConstSize}, false});
  add_builtin(t, kernel_proto(helper_id::kRedirectMap, redirect_map));
}

}  // namespace bpfjit::builtin
