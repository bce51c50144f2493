// The helper table: the whitelist of functions a program may call, indexed by the kernel's
// helper ids (enum bpf_func_id in <linux/bpf.h>).
//
// Each entry is a HelperProto: the id, the kernel's name without "bpf_", the function (the
// HelperFn shape from runtime/isa/machine.h), the prototype the verifier checks calls
// against, and whether every program type may call it (`general`). HelperTable::builtin()
// holds the helpers bpfjit implements; a host adds its own with add().
//
// Helpers reach the running program's state through RunContext::host (a HostEnv,
// helpers/host_env.h). Every helper treats its arguments as untrusted: map handles are
// checked against the program's maps, pointers into program memory with
// RunContext::accessible(); a bad argument gives an error return (-EINVAL, -EFAULT, or a
// null pointer), never a host crash.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "helpers/prototype.h"
#include "runtime/isa/machine.h"
#include "runtime/isa/result.h"

namespace bpfjit {

// The ids of the built-in helpers (the kernel's numbers).
namespace helper_id {
inline constexpr uint32_t kMapLookupElem = kHelperMapLookupElem;  // machine.h, for the JIT
inline constexpr uint32_t kMapUpdateElem = 2;
inline constexpr uint32_t kMapDeleteElem = 3;
inline constexpr uint32_t kProbeRead = 4;
inline constexpr uint32_t kKtimeGetNs = 5;
inline constexpr uint32_t kTracePrintk = 6;
inline constexpr uint32_t kGetPrandomU32 = 7;
inline constexpr uint32_t kGetSmpProcessorId = 8;
inline constexpr uint32_t kTailCall = 12;  // == kHelperTailCall
inline constexpr uint32_t kGetCurrentPidTgid = 14;
inline constexpr uint32_t kPerfEventOutput = 25;
inline constexpr uint32_t kSkbLoadBytes = 26;  // socket_filter only
inline constexpr uint32_t kXdpAdjustHead = 44;  // xdp only, as the four below
inline constexpr uint32_t kXdpAdjustMeta = 54;
inline constexpr uint32_t kXdpAdjustTail = 65;
inline constexpr uint32_t kXdpLoadBytes = 189;
inline constexpr uint32_t kXdpStoreBytes = 190;
inline constexpr uint32_t kProbeReadStr = 45;
inline constexpr uint32_t kMapPushElem = 87;
inline constexpr uint32_t kMapPopElem = 88;
inline constexpr uint32_t kMapPeekElem = 89;
inline constexpr uint32_t kSpinLock = 93;
inline constexpr uint32_t kSpinUnlock = 94;
inline constexpr uint32_t kProbeReadUser = 112;
inline constexpr uint32_t kProbeReadKernel = 113;
inline constexpr uint32_t kProbeReadUserStr = 114;
inline constexpr uint32_t kProbeReadKernelStr = 115;
inline constexpr uint32_t kRingbufOutput = 130;
inline constexpr uint32_t kRingbufReserve = 131;
inline constexpr uint32_t kRingbufSubmit = 132;
inline constexpr uint32_t kRingbufDiscard = 133;
inline constexpr uint32_t kRingbufQuery = 134;
inline constexpr uint32_t kForEachMapElem = 164;
inline constexpr uint32_t kSnprintf = 165;
inline constexpr uint32_t kLoop = 181;
inline constexpr uint32_t kStrncmp = 182;
inline constexpr uint32_t kKtimeGetBootNs = 125;
inline constexpr uint32_t kJiffies64 = 118;
inline constexpr uint32_t kKtimeGetCoarseNs = 160;  // the network types, as the ones below
inline constexpr uint32_t kRedirect = 23;
inline constexpr uint32_t kRedirectMap = 51;  // xdp only
inline constexpr uint32_t kFibLookup = 69;
inline constexpr uint32_t kCheckMtu = 163;
}  // namespace helper_id

// The kernel's cap on bpf_loop's iteration count.
inline constexpr uint64_t kMaxLoopIterations = 1ULL << 23;

class HelperTable {
 public:
  // Ids must be below this (the dense table has one slot per id).
  static constexpr uint32_t kMaxHelperId = 4096;

  // An empty table.
  HelperTable() = default;
  // A table holding every built-in helper.
  static HelperTable builtin();

  // Registers a helper. Refused with kInvalidArgument: id 0 or >= kMaxHelperId, an id or a
  // name already present, an empty name, a null fn.
  Result<void> add(HelperProto proto);

  const HelperProto* find(uint32_t id) const;
  // By name, with or without the "bpf_" prefix.
  const HelperProto* find(std::string_view name) const;
  // Every registered helper, in id order.
  std::vector<const HelperProto*> all() const;

  // The dense function table indexed by id (null where no helper is registered), what
  // RunContext::helpers and EngineOptions::helpers take. fns() stays valid until the next
  // add(); dense() is a copy.
  std::span<const HelperFn> fns() const { return fns_; }
  std::vector<HelperFn> dense() const { return fns_; }

 private:
  std::vector<HelperProto> protos_;  // indexed by id; id 0 means no helper
  std::vector<HelperFn> fns_;
};

}  // namespace bpfjit
