#include "helpers/host_env.h"

#include <time.h>

#include <atomic>
#include <random>

namespace bpfjit {

BpfMap* ProgramEnv::find_map(uint64_t handle) const {
  for (const auto& m : maps) {
    if (reinterpret_cast<uint64_t>(m.get()) == handle) return m.get();
  }
  return nullptr;
}

std::vector<MemRegion> ProgramEnv::map_regions() const {
  std::vector<MemRegion> out;
  for (const auto& m : maps) {
    auto r = m->regions();
    out.insert(out.end(), r.begin(), r.end());
  }
  return out;
}

BpfMap* HostEnv::find_map(uint64_t handle) const {
  if (program_ != nullptr) {
    if (BpfMap* m = program_->find_map(handle)) return m;
  }
  for (const auto& m : pinned_) {
    if (reinterpret_cast<uint64_t>(m.get()) == handle) return m.get();
  }
  return nullptr;
}

bool HostEnv::pin_map(RunContext* ctx, std::shared_ptr<BpfMap> map) {
  for (const auto& m : pinned_) {
    if (m == map) return true;
  }
  if (pinned_.size() == kMaxPinnedMaps) return false;
  if (ctx != nullptr && !map->regions().empty()) {
    std::vector<MemRegion> all;
    if (ctx->regions != nullptr) all.assign(ctx->regions, ctx->regions + ctx->region_count);
    all.insert(all.end(), map->regions().begin(), map->regions().end());
    regions_.swap(all);
    ctx->regions = regions_.data();
    ctx->region_count = static_cast<uint32_t>(regions_.size());
  }
  pinned_.push_back(std::move(map));
  return true;
}

void HostEnv::unpin_maps() { pinned_.clear(); }

bool HostEnv::add_reservation(RingbufMap* rb, void* data) {
  if (reservation_count_ == kMaxReservations) return false;
  reservations_[reservation_count_++] = {rb, data};
  return true;
}

RingbufMap* HostEnv::take_reservation(uint64_t data) {
  for (size_t i = 0; i < reservation_count_; ++i) {
    if (reinterpret_cast<uint64_t>(reservations_[i].data) != data) continue;
    RingbufMap* rb = reservations_[i].rb;
    reservations_[i] = reservations_[--reservation_count_];
    return rb;
  }
  return nullptr;
}

void HostEnv::discard_reservations() {
  for (size_t i = 0; i < reservation_count_; ++i) {
    reservations_[i].rb->discard(reservations_[i].data, kRingbufNoWakeup);
  }
  reservation_count_ = 0;
}

// The lock word: 0 free, 1 taken (struct bpf_spin_lock's u32).
bool HostEnv::take_lock(uint32_t* word) {
  if (held_lock_ != nullptr) return false;
  std::atomic_ref<uint32_t> lock(*word);
  for (;;) {
    if (lock.exchange(1, std::memory_order_acquire) == 0) break;
    while (lock.load(std::memory_order_relaxed) != 0) __builtin_ia32_pause();
  }
  held_lock_ = word;
  return true;
}

bool HostEnv::give_lock(uint32_t* word) {
  if (held_lock_ == nullptr || held_lock_ != word) return false;
  std::atomic_ref<uint32_t>(*word).store(0, std::memory_order_release);
  held_lock_ = nullptr;
  return true;
}

void HostEnv::release_lock() {
  if (held_lock_ != nullptr) give_lock(held_lock_);
}

// ---------------------------------------------------------------------------------------
// The public helper-side calls (bpfjit/program_type.h)

uint8_t* helper_memory(RunContext* ctx, uint64_t addr, uint64_t size, bool write) {
  if (ctx == nullptr || size > UINT32_MAX) return nullptr;
  if (!ctx->accessible(addr, static_cast<uint32_t>(size), write)) return nullptr;
  return reinterpret_cast<uint8_t*>(addr);
}

void* helper_user_data(RunContext* ctx) { return ctx == nullptr ? nullptr : ctx->user; }

void helper_fail(RunContext* ctx) {
  if (ctx != nullptr) ctx->fault();
}

// ---------------------------------------------------------------------------------------
// HostEnvironment (bpfjit/host.h)

namespace {

uint64_t clock_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

// splitmix64's finaliser: the n-th number of a seeded sequence, from seed + n.
uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// xorshift64*, one state per thread, seeded from the system's entropy.
uint32_t thread_prandom() {
  thread_local uint64_t state = [] {
    std::random_device rd;
    uint64_t s = (uint64_t{rd()} << 32) ^ rd();
    return s != 0 ? s : 0x9e3779b97f4a7c15ULL;
  }();
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return static_cast<uint32_t>((state * 0x2545f4914f6cdd1dULL) >> 32);
}

}  // namespace

const NetDevice* HostNetwork::device(uint32_t ifindex) const {
  for (const NetDevice& d : devices) {
    if (d.ifindex == ifindex) return &d;
  }
  return nullptr;
}

HostEnvironment::HostEnvironment() : net_(std::make_shared<const HostNetwork>()) {}
HostEnvironment::~HostEnvironment() = default;

void HostEnvironment::set_time_ns(uint64_t ns) {
  time_ns_.store(ns, std::memory_order_relaxed);
  fixed_.store(true, std::memory_order_release);
}

void HostEnvironment::advance_time_ns(uint64_t ns) {
  if (!fixed_.load(std::memory_order_acquire)) set_time_ns(clock_ns(CLOCK_MONOTONIC));
  time_ns_.fetch_add(ns, std::memory_order_relaxed);
}

void HostEnvironment::set_boot_offset_ns(uint64_t ns) {
  boot_offset_ns_.store(ns, std::memory_order_relaxed);
}

void HostEnvironment::use_real_clock() { fixed_.store(false, std::memory_order_release); }
bool HostEnvironment::clock_fixed() const { return fixed_.load(std::memory_order_acquire); }

uint64_t HostEnvironment::ktime_ns() const {
  if (clock_fixed()) return time_ns_.load(std::memory_order_relaxed);
  return clock_ns(CLOCK_MONOTONIC);
}

uint64_t HostEnvironment::boot_ns() const {
  if (clock_fixed()) {
    return time_ns_.load(std::memory_order_relaxed) +
           boot_offset_ns_.load(std::memory_order_relaxed);
  }
  return clock_ns(CLOCK_BOOTTIME);
}

uint64_t HostEnvironment::coarse_ns() const {
  if (clock_fixed()) return time_ns_.load(std::memory_order_relaxed);
  return clock_ns(CLOCK_MONOTONIC_COARSE);
}

uint64_t HostEnvironment::jiffies64() const {
  const uint64_t ns = ktime_ns();
  // ns * kHz / 1e9 without overflow: whole seconds, then the rest.
  return kInitialJiffies + ns / 1000000000ULL * kHz + ns % 1000000000ULL * kHz / 1000000000ULL;
}

void HostEnvironment::set_prandom_seed(uint64_t seed) {
  seed_.store(seed, std::memory_order_relaxed);
  draws_.store(0, std::memory_order_relaxed);
  seeded_.store(true, std::memory_order_release);
}

void HostEnvironment::use_real_prandom() { seeded_.store(false, std::memory_order_release); }

uint32_t HostEnvironment::prandom_u32() {
  if (!seeded_.load(std::memory_order_acquire)) return thread_prandom();
  const uint64_t n = draws_.fetch_add(1, std::memory_order_relaxed);
  return static_cast<uint32_t>(mix64(seed_.load(std::memory_order_relaxed) + n) >> 32);
}

void HostEnvironment::set_network(HostNetwork net) {
  auto next = std::make_shared<const HostNetwork>(std::move(net));
  std::lock_guard lock(net_mu_);
  net_.swap(next);
}

std::shared_ptr<const HostNetwork> HostEnvironment::network() const {
  std::lock_guard lock(net_mu_);
  return net_;
}

HostEnvironment& host_environment(RunContext* ctx) {
  static auto* fallback = new HostEnvironment;  // never destroyed: threads may run late
  HostEnv* env = host_env(ctx);
  if (env != nullptr && env->program() != nullptr && env->program()->host != nullptr) {
    return *env->program()->host;
  }
  return *fallback;
}

CpuOverride::CpuOverride(int64_t cpu) : saved_(cpu >= 0 ? set_cpu_slot_override(cpu) : -2) {}
CpuOverride::~CpuOverride() {
  if (saved_ != -2) set_cpu_slot_override(saved_);
}

}  // namespace bpfjit
