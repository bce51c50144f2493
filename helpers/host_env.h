// What helpers know about the program they serve, reached through RunContext::host.
//
// Two levels:
//  - ProgramEnv: one per loaded program, shared by all its runs and immutable while the
//    program can run: its maps, its program type, where trace_printk output goes;
//  - HostEnv: one per RunContext (per concurrent run): points at the running program's
//    ProgramEnv and holds the run's own state (outstanding ring buffer reservations).
//
// BpfMap handles. The loader puts the address of a `BpfMap` object into the register that a
// map-referencing lddw loads. Helpers never trust such a value: find_map() accepts it only
// when it is the address of one of the program's maps, so a forged handle (any scalar, in
// checked mode) gives an error return, never a host access.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bpfjit/host.h"
#include "bpfjit/types.h"
#include "helpers/maps.h"
#include "helpers/prototype.h"
#include "runtime/isa/machine.h"

namespace bpfjit {

struct SkbRun;  // helpers/skb_run.h
// Which shadow context a run's packet context is (HostEnv::set_packet_ctx).
enum class PacketCtxKind : uint8_t {
  kNone,
  kXdp,     // XdpCtx (helpers/program_types.h)
  kSkBuff,  // SkBuffCtx
};

struct ProgramEnv {
  std::string name;                        // for logs
  const ProgramType* type = nullptr;       // the program's type (nullptr: no restriction)
  std::vector<std::shared_ptr<BpfMap>> maps;  // every map the program references
  TraceSink trace;  // may be empty: trace_printk then only logs through spdlog
  // The runtime's clock, random generator and network (nullptr: the real host's, and
  // the default network; see host_environment()).
  HostEnvironment* host = nullptr;

  // The map whose address is `handle`, or nullptr.
  BpfMap* find_map(uint64_t handle) const;
  // The regions of all maps, to add to RunContext::regions for checked mode.
  std::vector<MemRegion> map_regions() const;
};

// What one run's redirect helpers asked for (bpf_redirect, bpf_redirect_map): the last
// call decides, as the kernel's per-CPU bpf_redirect_info. A failed redirect_map lookup
// clears it (map_type kUnspec, set false).
struct RunRedirect {
  bool set = false;
  MapType map_type = MapType::kUnspec;  // kUnspec: bpf_redirect to ifindex `key`
  const BpfMap* map = nullptr;          // redirect_map's map
  uint32_t key = 0;                     // bpf_redirect: the ifindex; else the map's key
  uint64_t flags = 0;                   // bpf_redirect: BPF_F_INGRESS (tc); redirect_map:
                                        // BPF_F_BROADCAST / BPF_F_EXCLUDE_INGRESS (devmap)
  RedirectTarget target;                // what the map's slot held (when it had one)
  bool resolved = false;                // target is valid
};

class HostEnv {
 public:
  // The most ring buffer reservations one run may hold at once; reserve returns null
  // beyond that.
  static constexpr size_t kMaxReservations = 32;

  explicit HostEnv(const ProgramEnv* program = nullptr) : program_(program) {}
  ~HostEnv() {
    discard_reservations();
    release_lock();
  }
  HostEnv(const HostEnv&) = delete;
  HostEnv& operator=(const HostEnv&) = delete;

  const ProgramEnv* program() const { return program_; }
  // A tail call switches to the target program's environment.
  void set_program(const ProgramEnv* program) { program_ = program; }

  // A host that reuses one HostEnv for many runs calls this before each run.
  void start_run() {
    tail_calls_ = 0;
    redirect_ = RunRedirect{};
    unpin_maps();
    release_lock();
  }
  // Drops the pinned inner maps (the runtime calls this after each run, as
  // discard_reservations).
  void unpin_maps();

  // Counts a tail call of this run; false once kMaxTailCalls have been taken, when
  // bpf_tail_call fails and the program goes on, as in the kernel.
  bool take_tail_call() {
    if (tail_calls_ >= kMaxTailCalls) return false;
    ++tail_calls_;
    return true;
  }

  // The program's map whose address is `handle`, or an inner map pinned in this run.
  BpfMap* find_map(uint64_t handle) const;

  // Keeps an inner map (from a map-in-map lookup) alive until the run ends and lets the
  // map helpers take its handle. The map's regions are added to the run's (for checked
  // mode): ctx->regions then points at this HostEnv's copy, the first region unchanged
  // (the engines cache it). False when the run already pins kMaxPinnedMaps.
  static constexpr size_t kMaxPinnedMaps = 64;
  bool pin_map(RunContext* ctx, std::shared_ptr<BpfMap> map);

  // Ring buffer reservations of this run. add_ returns false when kMaxReservations are
  // outstanding; take_ removes and returns the ring buffer `data` was reserved from, or
  // nullptr when `data` is not an outstanding reservation of this run.
  bool add_reservation(RingbufMap* rb, void* data);
  RingbufMap* take_reservation(uint64_t data);
  size_t reservations_outstanding() const { return reservation_count_; }
  // Discards every outstanding reservation (a program that did not release one, possible
  // in checked mode, would otherwise block its ring buffer). The runtime calls this after
  // each run; the destructor calls it too.
  void discard_reservations();

  // The bpf_spin_lock this run holds (one at a time, as the verifier proves for verified
  // programs). take_lock() returns false when the run already holds one; give_lock() false
  // when `word` is not the one it holds. release_lock() frees a lock the run still holds
  // (an unverified program that forgot its unlock would otherwise block every later run);
  // the runtime calls it after each run, and the destructor too.
  bool take_lock(uint32_t* word);
  bool give_lock(uint32_t* word);
  void release_lock();

  // The sk_buff of an skb program's run (sched_cls, sched_act, cgroup_skb), which the skb
  // helpers read and change; nullptr for other programs.
  SkbRun* skb() const { return skb_; }
  void set_skb(SkbRun* skb) { skb_ = skb; }
  // The run's packet context: the shadow struct r1 points to (XdpCtx for xdp; kind says
  // which) and the entry of RunContext::regions that covers the packet, for the helpers
  // that move the packet (xdp_adjust_head, ...). A helper takes the context from here,
  // never from a pointer the program passes, which it only compares: in a checked run a
  // program could pass any readable bytes. `region` may be null (no checked regions).
  void set_packet_ctx(PacketCtxKind kind, void* ctx, MemRegion* region) {
    packet_kind_ = kind;
    packet_ctx_ = ctx;
    packet_region_ = region;
  }
  // The run's context of `kind` when `addr` is its address, else nullptr.
  template <typename T>
  T* packet_ctx(PacketCtxKind kind, uint64_t addr) const {
    if (packet_kind_ != kind || packet_ctx_ == nullptr ||
        reinterpret_cast<uint64_t>(packet_ctx_) != addr) {
      return nullptr;
    }
    return static_cast<T*>(packet_ctx_);
  }
  // The run's context of `kind`, or nullptr.
  template <typename T>
  T* packet_ctx(PacketCtxKind kind) const {
    return packet_kind_ == kind ? static_cast<T*>(packet_ctx_) : nullptr;
  }
  // The packet moved to [start, end): checked runs may now access exactly that.
  void set_packet_bounds(uint64_t start, uint64_t end) {
    if (packet_region_ != nullptr) {
      packet_region_->start = start;
      packet_region_->end = end;
    }
  }

  // The run's redirect (bpf_redirect of every type, bpf_redirect_map of xdp).
  RunRedirect& redirect() { return redirect_; }
  const RunRedirect& redirect() const { return redirect_; }

  // Why a helper stopped the run (RunContext::fault()) when the trap alone does not say:
  // e.g. a helper call on a map of a type the runtime does not implement. Empty otherwise.
  const std::string& fault_message() const { return fault_message_; }
  void set_fault_message(std::string message) { fault_message_ = std::move(message); }

 private:
  std::string fault_message_;
  PacketCtxKind packet_kind_ = PacketCtxKind::kNone;
  void* packet_ctx_ = nullptr;
  MemRegion* packet_region_ = nullptr;
  std::vector<std::shared_ptr<BpfMap>> pinned_;
  std::vector<MemRegion> regions_;  // checked mode: the run's regions and the pinned maps'
  uint32_t tail_calls_ = 0;
  SkbRun* skb_ = nullptr;
  RunRedirect redirect_;
  struct Reservation {
    RingbufMap* rb = nullptr;
    void* data = nullptr;
  };
  const ProgramEnv* program_ = nullptr;
  uint32_t* held_lock_ = nullptr;
  std::array<Reservation, kMaxReservations> reservations_{};
  size_t reservation_count_ = 0;
};

// The HostEnv of a run, or nullptr when the runtime set none.
inline HostEnv* host_env(RunContext* ctx) {
  return ctx != nullptr ? static_cast<HostEnv*>(ctx->host) : nullptr;
}

// The host environment of a run's program, or the process's default one (the real
// clocks, system randomness, the default network) when it has none.
HostEnvironment& host_environment(RunContext* ctx);

// For the duration of a run on this thread, cpu_slot() (get_smp_processor_id and the
// per-CPU map slots) answers `cpu` instead of the thread's own slot (RunOptions::cpu).
// Restores the previous answer when it ends; `cpu` must be below kMaxCpuSlots.
class CpuOverride {
 public:
  explicit CpuOverride(int64_t cpu);  // -1: no override
  ~CpuOverride();
  CpuOverride(const CpuOverride&) = delete;
  CpuOverride& operator=(const CpuOverride&) = delete;

 private:
  int64_t saved_;
};

}  // namespace bpfjit
