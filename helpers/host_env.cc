#include "helpers/host_env.h"

#include <atomic>

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

}  // namespace bpfjit
