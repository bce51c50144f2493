// array_of_maps and hash_of_maps: slots holding the ids of inner maps (BpfMap::id()), and a
// table id -> (map, number of slots holding it) that keeps each inner map alive while a
// slot holds it. The slots are a u32 array (array_of_maps) or a hash map with u32 values
// (hash_of_maps, built by make_hash_map, so it has the hash's flags and errors).
//
// The kernel's semantics: array_of_maps updates take BPF_ANY only and a delete of an empty
// slot gives -ENOENT; hash_of_maps behaves as a hash. The host's lookup gives the inner
// map's id; its update takes one (an id that names no map gives -EBADF, as a bad fd does).
// Programs may only look up (the verifier allows nothing else), which gives the inner map.
//
// One shared mutex: lookups share it, updates and deletes take it alone, so a lookup never
// sees a slot whose map was already released.
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "helpers/maps.h"
#include "helpers/maps/map_impl.h"

namespace bpfjit::maps {
namespace {

class MapOfMapsImpl final : public MapOfMaps {
 public:
  explicit MapOfMapsImpl(const MapSpec& spec)
      : MapOfMaps(spec), array_(spec.type == MapType::kArrayOfMaps) {
    if (array_) {
      slots_ = std::make_unique<uint32_t[]>(spec.max_entries);
    } else {
      MapSpec ids = spec;
      ids.type = MapType::kHash;
      ids.value_size = sizeof(uint32_t);
      ids.flags &= kMapFlagNoPrealloc;
      ids.inner = nullptr;
      ids_ = make_hash_map(ids);
    }
  }
  bool ok() const { return array_ || ids_ != nullptr; }

  std::shared_ptr<BpfMap> inner(const void* key) override {
    std::shared_lock lock(mu_);
    auto it = held_.find(slot_id(key));
    return it != held_.end() ? it->second.map : nullptr;
  }

  // The raw inner map (the helper uses inner(), which keeps it alive).
  void* lookup(const void* key) override { return inner(key).get(); }

  int64_t set_inner(const void* key, std::shared_ptr<BpfMap> map, uint64_t flags) override {
    if (map == nullptr || !fits(*map)) return -EINVAL;
    if (array_ && flags != kBpfAny) return -EINVAL;
    std::unique_lock lock(mu_);
    const uint32_t id = map->id();
    const uint32_t old = slot_id(key);
    if (array_) {
      const uint32_t i = index(key);
      if (i >= spec_.max_entries) return -E2BIG;
      slots_[i] = id;
    } else if (int64_t r = ids_->update(key, &id, flags); r != 0) {
      return r;
    }
    Held& h = held_[id];
    h.map = std::move(map);
    ++h.slots;
    release(old);
    return 0;
  }

  int64_t erase(const void* key) override {
    std::unique_lock lock(mu_);
    const uint32_t old = slot_id(key);
    if (array_) {
      const uint32_t i = index(key);
      if (i >= spec_.max_entries) return -E2BIG;
      if (old == 0) return -ENOENT;
      slots_[i] = 0;
    } else if (int64_t r = ids_->erase(key); r != 0) {
      return r;
    }
    release(old);
    return 0;
  }

  int64_t update(const void*, const void*, uint64_t) override { return -EINVAL; }

  int64_t host_lookup(const void* key, void* value_out) override {
    std::shared_lock lock(mu_);
    const uint32_t id = slot_id(key);
    if (id == 0) return -ENOENT;
    std::memcpy(value_out, &id, sizeof id);
    return 0;
  }

  int64_t host_update(const void* key, const void* value, uint64_t flags) override {
    uint32_t id;
    std::memcpy(&id, value, sizeof id);
    std::shared_ptr<BpfMap> map = by_id(id);
    if (map == nullptr) return -EBADF;
    return set_inner(key, std::move(map), flags);
  }

  int64_t get_next_key(const void* key, void* next_key) override {
    if (!array_) return ids_->get_next_key(key, next_key);
    return next_index(key, next_key, spec_.max_entries);
  }

 private:
  struct Held {
    std::shared_ptr<BpfMap> map;
    uint32_t slots = 0;
  };

  static uint32_t index(const void* key) {
    uint32_t i;
    std::memcpy(&i, key, sizeof i);
    return i;
  }

  // The id in the slot of `key`, 0 when empty or absent (mu_ held).
  uint32_t slot_id(const void* key) const {
    if (array_) {
      const uint32_t i = index(key);
      return i < spec_.max_entries ? slots_[i] : 0;
    }
    uint32_t id = 0;
    return ids_->host_lookup(key, &id) == 0 ? id : 0;
  }

  // One slot less holds map `id` (0: none); the last one releases it (mu_ held alone).
  void release(uint32_t id) {
    if (id == 0) return;
    auto it = held_.find(id);
    if (it != held_.end() && --it->second.slots == 0) held_.erase(it);
  }

  const bool array_;
  std::unique_ptr<uint32_t[]> slots_;  // array_of_maps: the id per index, 0 when empty
  std::shared_ptr<BpfMap> ids_;        // hash_of_maps: key -> id
  mutable std::shared_mutex mu_;
  std::unordered_map<uint32_t, Held> held_;
};

}  // namespace

std::shared_ptr<BpfMap> make_map_of_maps(const MapSpec& spec) {
  auto map = std::make_shared<MapOfMapsImpl>(spec);
  return map->ok() ? map : nullptr;
}

}  // namespace bpfjit::maps
