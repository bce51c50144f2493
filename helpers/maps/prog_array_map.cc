// prog_array: the tail-call table, index -> an opaque program handle owned by the runtime.
#include <cerrno>
#include <cstring>
#include <memory>

#include "helpers/maps.h"
#include "helpers/maps/map_impl.h"

namespace bpfjit {

ProgArrayMap::ProgArrayMap(MapSpec spec)
    : BpfMap(std::move(spec)),
      slots_(std::make_unique<std::atomic<const void*>[]>(spec_.max_entries)) {}

int64_t ProgArrayMap::set(uint32_t index, const void* prog) {
  if (index >= spec_.max_entries) return -E2BIG;
  slots_[index].store(prog, std::memory_order_release);
  return 0;
}

const void* ProgArrayMap::get(uint32_t index) const {
  if (index >= spec_.max_entries) return nullptr;
  return slots_[index].load(std::memory_order_acquire);
}

int64_t ProgArrayMap::erase(const void* key) {
  uint32_t index;
  std::memcpy(&index, key, sizeof index);
  if (index >= spec_.max_entries) return -EINVAL;
  return slots_[index].exchange(nullptr, std::memory_order_acq_rel) != nullptr ? 0 : -ENOENT;
}

int64_t ProgArrayMap::get_next_key(const void* key, void* next_key) {
  return maps::next_index(key, next_key, spec_.max_entries);
}

namespace maps {
std::shared_ptr<BpfMap> make_prog_array_map(const MapSpec& spec) {
  return std::make_shared<ProgArrayMap>(spec);
}
}  // namespace maps

}  // namespace bpfjit
