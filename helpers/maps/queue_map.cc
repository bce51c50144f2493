// queue (FIFO) and stack (LIFO): max_entries values in a ring, under one lock. Programs
// never get pointers into it (values are copied out by pop and peek), so it has no regions.
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>

#include "helpers/maps.h"
#include "helpers/maps/map_impl.h"

namespace bpfjit::maps {
namespace {

class QueueMap final : public BpfMap {
 public:
  explicit QueueMap(const MapSpec& spec)
      : BpfMap(spec), fifo_(spec.type == MapType::kQueue), ring_(uint64_t{spec.value_size} * spec.max_entries) {}
  bool ok() const { return ring_.ok(); }

  // Push with kBpfExist on a full map drops the oldest element, as the kernel does for
  // both queue and stack.
  int64_t push(const void* value, uint64_t flags) override {
    if (flags != kBpfAny && flags != kBpfExist) return -EINVAL;
    std::lock_guard lock(mu_);
    if (count_ == spec_.max_entries) {
      if (flags != kBpfExist) return -E2BIG;
      tail_ = advance(tail_);
      --count_;
    }
    std::memcpy(at(head_), value, spec_.value_size);
    head_ = advance(head_);
    ++count_;
    return 0;
  }
  int64_t pop(void* value) override { return take(value, true); }
  int64_t peek(void* value) override { return take(value, false); }

  // The kernel routes map_update_elem to push and map_lookup_elem (host side) to peek.
  int64_t update(const void*, const void* value, uint64_t flags) override {
    return push(value, flags);
  }
  int64_t host_lookup(const void*, void* value_out) override { return peek(value_out); }
  int64_t host_update(const void*, const void* value, uint64_t flags) override {
    return push(value, flags);
  }

 private:
  uint32_t advance(uint32_t i) const { return i + 1 == spec_.max_entries ? 0 : i + 1; }
  uint32_t back(uint32_t i) const { return i == 0 ? spec_.max_entries - 1 : i - 1; }
  uint8_t* at(uint32_t i) const { return ring_.data() + uint64_t{i} * spec_.value_size; }

  int64_t take(void* value, bool remove) {
    std::lock_guard lock(mu_);
    if (count_ == 0) return -ENOENT;
    uint32_t i = fifo_ ? tail_ : back(head_);
    std::memcpy(value, at(i), spec_.value_size);
    if (remove) {
      if (fifo_) {
        tail_ = advance(tail_);
      } else {
        head_ = i;
      }
      --count_;
    }
    return 0;
  }

  const bool fifo_;
  ZeroedBuffer ring_;
  std::mutex mu_;
  uint32_t head_ = 0;  // where the next push goes
  uint32_t tail_ = 0;  // the oldest element
  uint32_t count_ = 0;
};

}  // namespace

std::shared_ptr<BpfMap> make_queue_map(const MapSpec& spec) {
  auto map = std::make_shared<QueueMap>(spec);
  return map->ok() ? map : nullptr;
}

}  // namespace bpfjit::maps
