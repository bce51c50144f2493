// bpf_fib_lookup and bpf_check_mtu for xdp and tc programs, answered from the runtime's
// host network (helpers/fib.h). One function per helper serves both kinds of programs, as
// the kernel's two prototypes of each: the run's sk_buff (HostEnv::skb) says which.
#include <cerrno>
#include <cstring>

#include "helpers/fib.h"
#include "helpers/helpers/builtin.h"
#include "helpers/program_types.h"
#include "helpers/skb_run.h"

namespace bpfjit::builtin {
namespace {

// fib_lookup(ctx, params, plen, flags): -EINVAL when plen is below sizeof(struct
// bpf_fib_lookup) or flags has unknown bits, -EAFNOSUPPORT for a family other than AF_INET
// and AF_INET6, -ENODEV when params->ifindex is no device, else a BPF_FIB_LKUP_RET_* code.
// An xdp program's lookup always checks tot_len against the route's MTU; a tc program's
// does when tot_len is not 0, and otherwise checks the packet against the egress
// device's MTU after a successful lookup (mtu_result is then the device's MTU).
uint64_t fib_lookup(uint64_t, uint64_t params, uint64_t plen, uint64_t flags, uint64_t,
                    RunContext* ctx) {
  HostEnv* env = host_env(ctx);
  if (static_cast<int32_t>(plen) < static_cast<int32_t>(sizeof(FibParams))) {
    return err_code(EINVAL);
  }
  if ((static_cast<uint32_t>(flags) & ~kFibLookupFlags) != 0) return err_code(EINVAL);
  // The verifier proved plen readable bytes; the helper also writes them (a checked run
  // proves nothing).
  if (env == nullptr || !can_access(ctx, params, sizeof(FibParams), true)) {
    return err_code(EFAULT);
  }
  FibParams p;
  std::memcpy(&p, ptr(params), sizeof p);
  const auto net = host_environment(ctx).network();
  SkbRun* skb = env->skb();
  const bool check_mtu = skb == nullptr || p.tot_len != 0;
  int64_t rc = bpfjit::fib_lookup(*net, p, static_cast<uint32_t>(flags), check_mtu);
  if (rc == kFibRetSuccess && !check_mtu) {
    // is_skb_forwardable on the egress device; mtu_result its MTU.
    const NetDevice* dev = net->device(p.ifindex);
    if (skb->len > uint64_t{dev->mtu} + kDevHardHeaderLen + kVlanHeaderLen) {
      rc = kFibRetFragNeeded;
    }
    p.tot_len = static_cast<uint16_t>(dev->mtu);
  }
  std::memcpy(ptr(params), &p, sizeof p);
  return err(rc);
}

// check_mtu(ctx, ifindex, mtu_len, len_diff, flags): whether the packet, grown by
// len_diff, fits the MTU of device `ifindex` (0: the run's device); *mtu_len in: 0 for the
// packet's own length, else an L3 length to check instead; out: the device's MTU. xdp
// takes no flags; tc takes BPF_MTU_CHK_SEGS only with len_diff and *mtu_len 0.
uint64_t check_mtu(uint64_t, uint64_t ifindex, uint64_t mtu_len, uint64_t len_diff,
                   uint64_t flags, RunContext* ctx) {
  HostEnv* env = host_env(ctx);
  if (env == nullptr || !can_access(ctx, mtu_len, 4, true)) return err_code(EFAULT);
  SkbRun* skb = env->skb();
  XdpCtx* xdp = nullptr;
  uint32_t in;
  std::memcpy(&in, ptr(mtu_len), sizeof in);
  const auto diff = static_cast<int32_t>(static_cast<uint32_t>(len_diff));
  uint32_t dev_ifindex = static_cast<uint32_t>(ifindex);
  int64_t len = 0;
  if (skb != nullptr) {
    if ((flags & ~kMtuChkSegs) != 0) return err_code(EINVAL);
    if ((flags & kMtuChkSegs) != 0 && (diff != 0 || in != 0)) return err_code(EINVAL);
    if (dev_ifindex == 0) dev_ifindex = skb->ctx.ifindex;
    len = skb->len;
  } else {
    if (flags != 0) return err_code(EINVAL);
    xdp = env->packet_ctx<XdpCtx>(PacketCtxKind::kXdp);
    if (xdp == nullptr) return err_code(EINVAL);
    if (dev_ifindex == 0) dev_ifindex = xdp->ingress_ifindex;
    len = static_cast<int64_t>(xdp->data_end - xdp->data);
  }
  const auto net = host_environment(ctx).network();
  const NetDevice* dev = net->device(dev_ifindex);
  if (dev == nullptr) return err_code(ENODEV);
  const int64_t dev_len = int64_t{dev->mtu} + kDevHardHeaderLen;
  // *mtu_len, when set, is an L3 length (as fib_lookup's tot_len).
  if (in != 0) len = int64_t{in} + kDevHardHeaderLen;
  len += diff;
  // A test run's sk_buff is never GSO: SEGS changes nothing.
  const int64_t rc = len > dev_len ? kMtuChkRetFragNeeded : kMtuChkRetSuccess;
  std::memcpy(ptr(mtu_len), &dev->mtu, sizeof dev->mtu);
  return static_cast<uint64_t>(rc);
}

}  // namespace

void add_net_helpers(HelperTable& t) {
  add_builtin(t, kernel_proto(helper_id::kFibLookup, fib_lookup));
  add_builtin(t, kernel_proto(helper_id::kCheckMtu, check_mtu));
}

}  // namespace bpfjit::builtin
