// array and percpu_array: max_entries values indexed by a u32 key, all present from the
// start (zeroed), never deleted. Values are copied in place without a lock.
#include <cerrno>
#include <cstring>
#include <memory>

#include "helpers/maps.h"
#include "runtime/isa/semantics.h"
#include "helpers/maps/map_impl.h"

namespace bpfjit::maps {
namespace {

class ArrayMap final : public BpfMap {
 public:
  explicit ArrayMap(const MapSpec& spec)
      : BpfMap(spec),
        slot_size_(round_up8(spec.value_size)),
        stride_(slot_size_ * slot_count()),
        values_(stride_ * spec.max_entries),
        keys_(std::make_unique<uint32_t[]>(spec.max_entries)) {
    for (uint32_t i = 0; i < spec.max_entries; ++i) keys_[i] = i;
    add_region(values_.data(), values_.size(), true);
    add_region(keys_.get(), sizeof(uint32_t) * spec.max_entries, false);
  }
  bool ok() const { return values_.ok(); }

  void* lookup(const void* key) override {
    uint32_t i = index(key);
    return i < spec_.max_entries ? slot(i) : nullptr;
  }

  int64_t update(const void* key, const void* value, uint64_t flags) override {
    uint32_t i = index(key);
    if (int64_t r = check(i, flags); r != 0) return r;
    copy_map_value(slot(i), value, spec_, false);
    return 0;
  }

  int64_t host_lookup(const void* key, void* value_out) override {
    uint32_t i = index(key);
    if (i >= spec_.max_entries) return -ENOENT;
    sem::copy_shared(value_out, elem(i), percpu() ? stride_ : spec_.value_size);
    return 0;
  }

  int64_t host_update(const void* key, const void* value, uint64_t flags) override {
    uint32_t i = index(key);
    if (int64_t r = check(i, flags); r != 0) return r;
    if (percpu()) {
      sem::copy_shared(elem(i), value, stride_);
    } else {
      copy_map_value(elem(i), value, spec_, false);
    }
    return 0;
  }

  int64_t erase(const void*) override { return -EINVAL; }

  std::optional<ArrayLayout> array_layout() const override {
    return ArrayLayout{values_.data(), stride_, percpu() ? slot_size_ : 0, spec_.max_entries};
  }

  int64_t get_next_key(const void* key, void* next_key) override {
    return next_index(key, next_key, spec_.max_entries);
  }

  int64_t for_each_elem(const std::function<bool(const void*, void*)>& fn) override {
    int64_t n = 0;
    for (uint32_t i = 0; i < spec_.max_entries; ++i) {
      ++n;
      if (!fn(&keys_[i], slot(i))) break;
    }
    return n;
  }

 private:
  static uint32_t index(const void* key) {
    uint32_t i;
    std::memcpy(&i, key, sizeof i);
    return i;
  }
  int64_t check(uint32_t i, uint64_t flags) const {
    if (flags > kBpfExist) return -EINVAL;
    if (i >= spec_.max_entries) return -E2BIG;
    if (flags == kBpfNoExist) return -EEXIST;  // every element exists
    return 0;
  }
  uint8_t* elem(uint32_t i) const { return values_.data() + uint64_t{i} * stride_; }
  // The calling thread's slot of element i.
  uint8_t* slot(uint32_t i) const {
    uint8_t* e = elem(i);
    return percpu() ? e + uint64_t{cpu_slot()} * slot_size_ : e;
  }

  uint64_t slot_size_;
  uint64_t stride_;
  ZeroedBuffer values_;
  std::unique_ptr<uint32_t[]> keys_;  // keys_[i] == i: what for_each_elem's key points at
};

}  // namespace

std::shared_ptr<BpfMap> make_array_map(const MapSpec& spec) {
  auto map = std::make_shared<ArrayMap>(spec);
  return map->ok() ? map : nullptr;
}

}  // namespace bpfjit::maps
