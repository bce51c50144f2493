// perf_event_array: per-CPU event buffers (see PerfEventArrayMap in helpers/maps.h). Each
// buffer is a RingbufMap: its producer lock serialises writers of one CPU (threads that
// share a slot id) and its consumer takes committed records in order. The map adds the
// index rule of bpf_perf_event_output, the raw sample padding, lost-record counts and a
// wakeup shared by all CPUs for poll().
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "helpers/maps.h"
#include "helpers/maps/map_impl.h"

namespace bpfjit::maps {
namespace {

// A perf sample's header.size is a u16: the raw data (a u32 size and the padded bytes)
// and the 8-byte perf_event_header and sample-type words must fit.
constexpr uint64_t kMaxRawSize = 0xffff - 32;

class PerfEventMap final : public PerfEventArrayMap {
 public:
  explicit PerfEventMap(const MapSpec& spec)
      : PerfEventArrayMap(spec),
        cpus_(spec.max_entries == 0 ? kMaxCpuSlots : spec.max_entries),
        buffers_(cpus_),
        lost_(std::make_unique<std::atomic<uint64_t>[]>(cpus_)) {}

  uint32_t cpu_count() const override { return cpus_; }

  int64_t open(uint32_t bytes) override {
    if (bytes < 4096 || (bytes & (bytes - 1)) != 0) return -EINVAL;
    std::lock_guard lock(open_mu_);
    for (auto& b : buffers_) {
      if (b.load(std::memory_order_acquire) != nullptr) continue;
      MapSpec ring;
      ring.type = MapType::kRingbuf;
      ring.name = spec_.name;
      ring.max_entries = bytes;
      auto rb = make_ringbuf_map(ring);
      if (rb == nullptr) return -ENOMEM;
      owned_.push_back(std::static_pointer_cast<RingbufMap>(rb));
      b.store(owned_.back().get(), std::memory_order_release);
    }
    return 0;
  }

  using PerfEventArrayMap::output;
  int64_t output(uint64_t flags, const void* data, uint64_t size,
                 std::span<const uint8_t> tail) override {
    if ((flags & ~kIndexMask) != 0) return -EINVAL;
    const uint64_t index = flags == kCurrentCpu ? cpu_slot() : flags;
    if (index >= cpus_) return -E2BIG;
    const uint64_t padded = round_up8(size + tail.size() + 4) - 4;
    if (padded > kMaxRawSize) return -E2BIG;
    RingbufMap* rb = buffers_[index].load(std::memory_order_acquire);
    if (rb == nullptr) return -ENOENT;
    auto* rec = static_cast<uint8_t*>(rb->reserve(padded, 0));
    if (rec == nullptr) {
      lost_[index].fetch_add(1, std::memory_order_relaxed);
      return -ENOSPC;
    }
    std::memmove(rec, data, size);
    if (!tail.empty()) std::memcpy(rec + size, tail.data(), tail.size());
    std::memset(rec + size + tail.size(), 0, padded - size - tail.size());
    rb->submit(rec, kRingbufNoWakeup);
    {
      std::lock_guard lock(wait_mu_);
      ++produced_;
    }
    wait_cv_.notify_all();
    return 0;
  }

  int64_t consume(const RecordFn& fn, const LostFn& lost) override {
    int64_t n = 0;
    for (uint32_t cpu = 0; cpu < cpus_; ++cpu) {
      RingbufMap* rb = buffers_[cpu].load(std::memory_order_acquire);
      if (rb == nullptr) continue;
      if (uint64_t l = lost_[cpu].exchange(0, std::memory_order_relaxed); l != 0 && lost) {
        lost(cpu, l);
      }
      bool stop = false;
      rb->consume([&](std::span<const uint8_t> rec) {
        ++n;
        stop = !fn(cpu, rec);
        return stop ? 1 : 0;
      });
      if (stop) break;
    }
    return n;
  }

  int64_t poll(int timeout_ms, const RecordFn& fn, const LostFn& lost) override {
    {
      std::unique_lock lock(wait_mu_);
      auto ready = [&] { return produced_ != consumed_; };
      if (timeout_ms < 0) {
        wait_cv_.wait(lock, ready);
      } else {
        wait_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), ready);
      }
      consumed_ = produced_;
    }
    return consume(fn, lost);
  }

  // The keys are the CPU indices (the host cannot read or write the slots: open() fills
  // them).
  int64_t get_next_key(const void* key, void* next_key) override {
    return next_index(key, next_key, cpus_);
  }

 private:
  const uint32_t cpus_;
  std::vector<std::atomic<RingbufMap*>> buffers_;
  std::unique_ptr<std::atomic<uint64_t>[]> lost_;
  std::mutex open_mu_;
  std::vector<std::shared_ptr<RingbufMap>> owned_;
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  uint64_t produced_ = 0;
  uint64_t consumed_ = 0;
};

}  // namespace

std::shared_ptr<BpfMap> make_perf_event_map(const MapSpec& spec) {
  return std::make_shared<PerfEventMap>(spec);
}

}  // namespace bpfjit::maps
