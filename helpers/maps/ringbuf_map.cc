// ringbuf: a multi-producer, single-consumer ring of variable-size records with the
// kernel's record header (u32 length with busy/discard bits, u32 offset of the record).
//
// Positions are free-running byte counters (producer and consumer); a record starts at
// pos & mask. Producers reserve under a lock and commit without it (clearing the busy bit
// with a release store); the consumer reads headers with acquire loads and stops at the
// first busy record, so it sees committed records in reservation order. Records never wrap
// the end of the data area: a reservation that would is preceded by a discarded padding
// record that fills the rest of the area.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>

#include <spdlog/spdlog.h>

#include "helpers/log.h"
#include "helpers/maps.h"
#include "helpers/maps/map_impl.h"

namespace bpfjit {

namespace {
constexpr uint32_t kLenMask = ~(kRingbufBusyBit | kRingbufDiscardBit);
}

struct RingbufMap::State {
  explicit State(uint32_t size) : data(size), mask(size - 1) {}

  maps::ZeroedBuffer data;
  uint64_t mask;
  std::mutex producer_mu;
  std::atomic<uint64_t> producer_pos{0};
  std::mutex consumer_mu;
  std::atomic<uint64_t> consumer_pos{0};
  std::mutex wait_mu;
  std::condition_variable wait_cv;

  std::atomic_ref<uint32_t> header(uint64_t pos) const {
    return std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(data.data() + (pos & mask)));
  }
  void set_offset_word(uint64_t pos) const {
    uint32_t off = static_cast<uint32_t>(pos & mask);
    std::memcpy(data.data() + (pos & mask) + 4, &off, sizeof off);
  }
  void wake() {
    std::lock_guard lock(wait_mu);
    wait_cv.notify_all();
  }
};

RingbufMap::RingbufMap(MapSpec spec)
    : BpfMap(std::move(spec)), s_(std::make_unique<State>(spec_.max_entries)) {
  if (s_->data.ok()) add_region(s_->data.data(), s_->data.size(), true);
}

RingbufMap::~RingbufMap() = default;

void* RingbufMap::reserve(uint64_t size, uint64_t flags) {
  if (flags != 0 || !s_->data.ok()) return nullptr;
  uint64_t ring = s_->mask + 1;
  if (size > kLenMask || size > ring - kRingbufHeaderSize) return nullptr;
  uint64_t total = maps::round_up8(size + kRingbufHeaderSize);
  std::lock_guard lock(s_->producer_mu);
  uint64_t pos = s_->producer_pos.load(std::memory_order_relaxed);
  uint64_t used = pos - s_->consumer_pos.load(std::memory_order_acquire);
  uint64_t off = pos & s_->mask;
  uint64_t pad = off + total > ring ? ring - off : 0;
  if (used + pad + total > ring) return nullptr;
  if (pad != 0) {
    s_->set_offset_word(pos);
    s_->header(pos).store(static_cast<uint32_t>(pad - kRingbufHeaderSize) | kRingbufDiscardBit,
                          std::memory_order_release);
    pos += pad;
  }
  s_->set_offset_word(pos);
  s_->header(pos).store(static_cast<uint32_t>(size) | kRingbufBusyBit, std::memory_order_relaxed);
  s_->producer_pos.store(pos + total, std::memory_order_release);
  return s_->data.data() + (pos & s_->mask) + kRingbufHeaderSize;
}

void RingbufMap::submit(void* data, uint64_t flags) {
  auto hdr = s_->header(static_cast<uint8_t*>(data) - kRingbufHeaderSize - s_->data.data());
  hdr.store(hdr.load(std::memory_order_relaxed) & ~kRingbufBusyBit, std::memory_order_release);
  if ((flags & kRingbufNoWakeup) == 0) s_->wake();
}

void RingbufMap::discard(void* data, uint64_t flags) {
  auto hdr = s_->header(static_cast<uint8_t*>(data) - kRingbufHeaderSize - s_->data.data());
  hdr.store((hdr.load(std::memory_order_relaxed) & ~kRingbufBusyBit) | kRingbufDiscardBit,
            std::memory_order_release);
  if ((flags & kRingbufNoWakeup) == 0) s_->wake();
}

int64_t RingbufMap::output(const void* data, uint64_t size, uint64_t flags) {
  if ((flags & ~(kRingbufNoWakeup | kRingbufForceWakeup)) != 0) return -EINVAL;
  if (size > kLenMask || size > s_->mask + 1 - kRingbufHeaderSize) return -EINVAL;
  void* rec = reserve(size, 0);
  if (rec == nullptr) return -EAGAIN;
  std::memmove(rec, data, size);
  submit(rec, flags);
  return 0;
}

uint64_t RingbufMap::query(uint64_t what) const {
  uint64_t prod = s_->producer_pos.load(std::memory_order_acquire);
  uint64_t cons = s_->consumer_pos.load(std::memory_order_acquire);
  switch (what) {
    case kRingbufAvailData: return prod - cons;
    case kRingbufRingSize: return s_->mask + 1;
    case kRingbufConsPos: return cons;
    case kRingbufProdPos: return prod;
    default: return 0;
  }
}

bool RingbufMap::contains(const void* p) const {
  auto* b = static_cast<const uint8_t*>(p);
  return b >= s_->data.data() && b < s_->data.data() + s_->data.size();
}

int64_t RingbufMap::consume(const RecordFn& fn) {
  std::lock_guard lock(s_->consumer_mu);
  uint64_t cons = s_->consumer_pos.load(std::memory_order_relaxed);
  uint64_t ring = s_->mask + 1;
  int64_t n = 0;
  while (true) {
    uint64_t prod = s_->producer_pos.load(std::memory_order_acquire);
    if (cons >= prod) break;
    uint32_t hdr = s_->header(cons).load(std::memory_order_acquire);
    if ((hdr & kRingbufBusyBit) != 0) break;
    uint64_t len = hdr & kLenMask;
    uint64_t total = maps::round_up8(len + kRingbufHeaderSize);
    uint64_t off = cons & s_->mask;
    if (off + total > ring || cons + total > prod) {
      // A program wrote over a header: nothing after it can be trusted.
      logger().warn("ringbuf {}: corrupted record header {:#x} at offset {}, dropping {} bytes",
                   spec_.name, hdr, off, prod - cons);
      s_->consumer_pos.store(prod, std::memory_order_release);
      return n;
    }
    int r = 0;
    if ((hdr & kRingbufDiscardBit) == 0) {
      ++n;
      r = fn(std::span<const uint8_t>(s_->data.data() + off + kRingbufHeaderSize, len));
    }
    cons += total;
    s_->consumer_pos.store(cons, std::memory_order_release);
    if (r != 0) return r;
  }
  return n;
}

int64_t RingbufMap::poll(int timeout_ms, const RecordFn& fn) {
  auto ready = [&] {
    uint64_t cons = s_->consumer_pos.load(std::memory_order_acquire);
    if (s_->producer_pos.load(std::memory_order_acquire) == cons) return false;
    return (s_->header(cons).load(std::memory_order_acquire) & kRingbufBusyBit) == 0;
  };
  {
    std::unique_lock lock(s_->wait_mu);
    if (timeout_ms < 0) {
      s_->wait_cv.wait(lock, ready);
    } else {
      s_->wait_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), ready);
    }
  }
  return consume(fn);
}

namespace maps {
std::shared_ptr<BpfMap> make_ringbuf_map(const MapSpec& spec) {
  auto map = std::make_shared<RingbufMap>(spec);
  return map->regions().empty() ? nullptr : map;
}
}  // namespace maps

}  // namespace bpfjit
