// The BpfMap base class, the per-CPU slot registry and create_map()'s validation.
#include <bitset>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "helpers/maps.h"
#include "runtime/isa/semantics.h"
#include "helpers/maps/map_impl.h"
#include "helpers/map_types.h"

#include <linux/bpf.h>

namespace bpfjit {

static_assert(static_cast<uint32_t>(MapType::kHash) == BPF_MAP_TYPE_HASH);
static_assert(static_cast<uint32_t>(MapType::kArray) == BPF_MAP_TYPE_ARRAY);
static_assert(static_cast<uint32_t>(MapType::kProgArray) == BPF_MAP_TYPE_PROG_ARRAY);
static_assert(static_cast<uint32_t>(MapType::kPercpuHash) == BPF_MAP_TYPE_PERCPU_HASH);
static_assert(static_cast<uint32_t>(MapType::kPercpuArray) == BPF_MAP_TYPE_PERCPU_ARRAY);
static_assert(static_cast<uint32_t>(MapType::kLruHash) == BPF_MAP_TYPE_LRU_HASH);
static_assert(static_cast<uint32_t>(MapType::kQueue) == BPF_MAP_TYPE_QUEUE);
static_assert(static_cast<uint32_t>(MapType::kStack) == BPF_MAP_TYPE_STACK);
static_assert(static_cast<uint32_t>(MapType::kRingbuf) == BPF_MAP_TYPE_RINGBUF);
static_assert(kBpfAny == BPF_ANY && kBpfNoExist == BPF_NOEXIST && kBpfExist == BPF_EXIST);
static_assert(kMapFlagNoPrealloc == BPF_F_NO_PREALLOC);
static_assert(kMapFlagRdonlyProg == BPF_F_RDONLY_PROG);
static_assert(kRingbufNoWakeup == BPF_RB_NO_WAKEUP && kRingbufForceWakeup == BPF_RB_FORCE_WAKEUP);
static_assert(kRingbufAvailData == BPF_RB_AVAIL_DATA && kRingbufRingSize == BPF_RB_RING_SIZE &&
              kRingbufConsPos == BPF_RB_CONS_POS && kRingbufProdPos == BPF_RB_PROD_POS);
static_assert(kRingbufBusyBit == BPF_RINGBUF_BUSY_BIT &&
              kRingbufDiscardBit == BPF_RINGBUF_DISCARD_BIT &&
              kRingbufHeaderSize == BPF_RINGBUF_HDR_SZ);

// The per-CPU slot registry: ids are handed out lowest first and released at thread exit.
namespace {

struct SlotRegistry {
  std::mutex mu;
  std::bitset<kMaxCpuSlots> used;
  uint32_t overflow = 0;  // threads that found every id taken

  // Returns the id and whether this thread owns it (must release it).
  std::pair<uint32_t, bool> acquire() {
    std::lock_guard lock(mu);
    for (uint32_t i = 0; i < kMaxCpuSlots; ++i) {
      if (!used[i]) {
        used[i] = true;
        return {i, true};
      }
    }
    return {overflow++ % kMaxCpuSlots, false};
  }
  void release(uint32_t id) {
    std::lock_guard lock(mu);
    used[id] = false;
  }
};

SlotRegistry& slot_registry() {
  static auto* registry = new SlotRegistry;  // never destroyed: threads may exit late
  return *registry;
}

struct ThreadSlot {
  uint32_t id = 0;
  bool owned = false;
  ThreadSlot() { std::tie(id, owned) = slot_registry().acquire(); }
  ~ThreadSlot() {
    if (owned) slot_registry().release(id);
  }
};

// RunOptions::cpu of the run on this thread, or -1 (set_cpu_slot_override).
thread_local int64_t cpu_override = -1;

}  // namespace

uint32_t cpu_slot() {
  if (cpu_override >= 0) return static_cast<uint32_t>(cpu_override);
  thread_local ThreadSlot slot;
  return slot.id;
}

int64_t set_cpu_slot_override(int64_t cpu) {
  const int64_t old = cpu_override;
  cpu_override = cpu >= 0 && cpu < kMaxCpuSlots ? cpu : -1;
  return old;
}

// The map id registry: id -> the map while it exists.
namespace {

struct MapRegistry {
  std::mutex mu;
  uint32_t last = 0;
  std::unordered_map<uint32_t, std::weak_ptr<BpfMap>> maps;
};

MapRegistry& map_registry() {
  static auto* registry = new MapRegistry;  // never destroyed: maps may outlive statics
  return *registry;
}

}  // namespace

BpfMap::BpfMap(MapSpec spec) : spec_(std::move(spec)) {
  const MapTypeInfo* row = map_type_info(spec_.type);
  percpu_ = row != nullptr && row->percpu;
}

BpfMap::~BpfMap() {
  if (id_ == 0) return;
  MapRegistry& r = map_registry();
  std::lock_guard lock(r.mu);
  r.maps.erase(id_);
}

std::shared_ptr<BpfMap> BpfMap::by_id(uint32_t id) {
  MapRegistry& r = map_registry();
  std::lock_guard lock(r.mu);
  auto it = r.maps.find(id);
  return it != r.maps.end() ? it->second.lock() : nullptr;
}

bool MapOfMaps::fits(const BpfMap& map) const {
  if (spec_.inner == nullptr) return false;
  const MapSpec& t = *spec_.inner;
  const MapSpec& m = map.spec();
  return map.runnable() && m.type == t.type && m.key_size == t.key_size &&
         m.value_size == t.value_size && m.flags == t.flags &&
         m.max_entries == t.max_entries && m.map_extra == t.map_extra;
}

// Defaults: a type that has no such operation.
void* BpfMap::lookup(const void*) { return nullptr; }
int64_t BpfMap::update(const void*, const void*, uint64_t) { return -EINVAL; }
int64_t BpfMap::erase(const void*) { return -EINVAL; }
int64_t BpfMap::push(const void*, uint64_t) { return -EINVAL; }
int64_t BpfMap::pop(void*) { return -EINVAL; }
int64_t BpfMap::peek(void*) { return -EINVAL; }
int64_t BpfMap::get_next_key(const void*, void*) { return -EINVAL; }
int64_t BpfMap::for_each_elem(const std::function<bool(const void*, void*)>&) { return -EINVAL; }

uint32_t BpfMap::host_value_size() const {
  if (percpu()) return static_cast<uint32_t>(maps::round_up8(spec_.value_size)) * kMaxCpuSlots;
  return spec_.value_size;
}

int64_t BpfMap::host_lookup(const void* key, void* value_out) {
  void* v = lookup(key);
  if (v == nullptr) return -ENOENT;
  sem::copy_shared(value_out, v, spec_.value_size);
  return 0;
}

int64_t BpfMap::host_update(const void* key, const void* value, uint64_t flags) {
  return update(key, value, flags);
}

void BpfMap::for_each(const std::function<bool(const void* key, const void* value)>& fn) {
  std::vector<uint8_t> key(spec_.key_size), next(spec_.key_size), value(host_value_size());
  const void* prev = nullptr;
  while (get_next_key(prev, next.data()) == 0) {
    key.swap(next);
    prev = key.data();
    if (host_lookup(key.data(), value.data()) != 0) continue;  // deleted meanwhile
    if (!fn(key.data(), value.data())) return;
  }
}

void BpfMap::add_region(const void* start, size_t bytes, bool writable) {
  size_t n = regions_.size();
  auto lo = reinterpret_cast<uint64_t>(start);
  region_storage_[n] = MemRegion{lo, lo + bytes, writable};
  regions_ = std::span<const MemRegion>(region_storage_, n + 1);
}

namespace {

// Storage above this is refused (a typo in max_entries should not take the machine).
constexpr uint64_t kMaxStorage = 1ULL << 30;
constexpr uint32_t kMaxKeySize = 512;           // the kernel's MAX_BPF_STACK
constexpr uint32_t kMaxValueSize = 1U << 20;
constexpr uint32_t kMaxPercpuValueSize = 32768;  // the kernel's PCPU_MIN_UNIT_SIZE
constexpr uint32_t kMinRingbufSize = 4096;
constexpr uint32_t kMaxRingbufSize = 1U << 30;

Diagnostic spec_error(const MapSpec& spec, const std::string& what) {
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("map {}: {}", spec.name.empty() ? "(unnamed)" : spec.name, what));
}

Result<void> check_size(const MapSpec& spec, const char* field, uint32_t value, uint32_t lo,
                        uint32_t hi) {
  if (value < lo) return spec_error(spec, fmt::format("{} {} must be at least {}", field, value, lo));
  if (value > hi) return spec_error(spec, fmt::format("{} {} exceeds the limit of {}", field, value, hi));
  return {};
}

Result<void> check_rule(const MapSpec& spec, const char* field, uint32_t v, SizeRule rule,
                        uint32_t max) {
  const char* type = map_type_name(spec.type);
  bool ok = true;
  switch (rule) {
    case SizeRule::kAtLeastOne: return check_size(spec, field, v, 1, max);
    case SizeRule::kFour: ok = v == 4; break;
    case SizeRule::kFourOrEight: ok = v == 4 || v == 8; break;
    case SizeRule::kZero: ok = v == 0; break;
    case SizeRule::kLpmKey: ok = v >= 5 && v <= 260; break;
    case SizeRule::kCgroupStorageKey: ok = v == 8 || v == 16; break;
    case SizeRule::kMultipleOf8: ok = v >= 8 && v % 8 == 0 && v <= max; break;
  }
  if (ok) return {};
  return spec_error(spec, fmt::format("{} {} must be {} for {} maps", field, v,
                                      size_rule_text(rule), type));
}

Result<void> validate(const MapSpec& spec);

// The rules of single types that the table's columns do not cover.
Result<void> check_type_rules(const MapSpec& spec, const MapTypeInfo& row) {
  const bool of_maps = row.lookup == MapLookup::kInnerMapOrNull;
  // A map-in-map without a template (a legacy `maps` definition has none) loads, but no
  // map fits it: every set_inner gives -EINVAL.
  if (of_maps && spec.inner != nullptr) {
    const MapTypeInfo* in = map_type_info(spec.inner->type);
    if (in != nullptr && in->lookup == MapLookup::kInnerMapOrNull) {
      return spec_error(spec, fmt::format("an inner map cannot be a {} map", in->name));
    }
    if (in != nullptr && !in->runtime && in->type != MapType::kUnspec) {
      return spec_error(spec, fmt::format("inner maps of type {} are not supported at run time",
                                          in->name));
    }
    if (auto r = validate(*spec.inner); !r) {
      return spec_error(spec, fmt::format("inner map template: {}", r.error().message));
    }
  } else if (!of_maps && spec.inner != nullptr) {
    return spec_error(spec, fmt::format("{} maps have no inner map template", row.name));
  }
  if (row.impl == MapImpl::kLpmTrie && (spec.flags & kFlagNoPrealloc) == 0) {
    // The kernel's trie_alloc: nodes are allocated on update, never preallocated.
    return spec_error(spec, "lpm_trie maps need flag BPF_F_NO_PREALLOC (0x1)");
  }
  if (row.impl == MapImpl::kBloomFilter) {
    // The low 4 bits of map_extra: the number of hash functions (0: the default, 5).
    if ((spec.map_extra & ~uint64_t{0xf}) != 0) {
      return spec_error(spec, fmt::format("map_extra {:#x} must be 0 to 15 (the number of hash "
                                          "functions) for bloom_filter maps", spec.map_extra));
    }
  } else if (spec.map_extra != 0) {
    return spec_error(spec, fmt::format("map_extra {:#x} must be 0 for {} maps", spec.map_extra,
                                        row.name));
  }
  return {};
}

// Checks a spec against its type's row of map_types.def (and, for the types the runtime
// builds, the storage limits).
Result<void> validate(const MapSpec& spec) {
  const MapTypeInfo* row = map_type_info(spec.type);
  if (row == nullptr) {
    return spec_error(spec, fmt::format("map type {} is not a kernel map type",
                                        static_cast<uint32_t>(spec.type)));
  }
  const char* type = row->name;
  if (row->type == MapType::kUnspec) return spec_error(spec, "map type 0 (unspec) is not a map type");
  switch (row->max_entries) {
    case MaxEntriesRule::kAtLeastOne:
      if (spec.max_entries == 0) return spec_error(spec, "max_entries 0 must be at least 1");
      break;
    case MaxEntriesRule::kZero:
      if (spec.max_entries != 0) {
        return spec_error(spec, fmt::format("max_entries {} must be 0 for {} maps",
                                            spec.max_entries, type));
      }
      break;
    case MaxEntriesRule::kAny:
      break;
    case MaxEntriesRule::kOne:
      if (spec.max_entries != 1) {
        return spec_error(spec, fmt::format("max_entries {} must be 1 for {} maps",
                                            spec.max_entries, type));
      }
      break;
    case MaxEntriesRule::kRingSize:
      if (auto r = check_size(spec, "max_entries", spec.max_entries, kMinRingbufSize,
                              kMaxRingbufSize); !r) {
        return r;
      }
      if ((spec.max_entries & (spec.max_entries - 1)) != 0) {
        return spec_error(spec, fmt::format("max_entries {} must be a power of two for {} maps",
                                            spec.max_entries, type));
      }
      break;
  }
  const uint32_t bad_flags = spec.flags & ~row->flags;
  if (bad_flags != 0) {
    return spec_error(spec, fmt::format("flags {:#x} are not supported for {} maps", bad_flags, type));
  }
  const bool percpu = row->percpu;
  if (auto r = check_rule(spec, "key_size", spec.key_size, row->key, kMaxKeySize); !r) return r;
  if (auto r = check_rule(spec, "value_size", spec.value_size, row->value,
                          percpu ? kMaxPercpuValueSize : kMaxValueSize); !r) {
    return r;
  }
  if (auto r = check_type_rules(spec, *row); !r) return r;
  if (!row->runtime || row->value == SizeRule::kZero) return {};
  const uint64_t slots = percpu ? kMaxCpuSlots : 1;
  const uint64_t storage = uint64_t{spec.max_entries} * maps::round_up8(spec.value_size) * slots;
  if (storage > kMaxStorage) {
    return spec_error(spec, fmt::format("{} entries of {} bytes{} need {} bytes, the limit is {}",
                                        spec.max_entries, spec.value_size,
                                        percpu ? fmt::format(" in {} slots", slots) : "",
                                        storage, kMaxStorage));
  }
  return {};
}

// A map of a kernel type the runtime does not implement: it exists (objects that declare
// it load, the host sees its spec) and refuses every operation (BpfMap's defaults; the
// helpers and the API check runnable() first and report unsupported_error()).
class UnsupportedMap : public BpfMap {
 public:
  explicit UnsupportedMap(MapSpec spec) : BpfMap(std::move(spec)) { runnable_ = false; }
};

}  // namespace

std::string BpfMap::unsupported_error() const {
  const char* type = map_type_name(spec_.type);
  return fmt::format("map '{}' of type {} is not supported at run time", spec_.name,
                     type != nullptr ? type : "?");
}

Result<std::shared_ptr<BpfMap>> create_map(const MapSpec& spec) {
  if (auto r = validate(spec); !r) return r.take_error();
  std::shared_ptr<BpfMap> map;
  switch (map_type_info(spec.type)->impl) {
    case MapImpl::kArray: map = maps::make_array_map(spec); break;
    case MapImpl::kHash: map = maps::make_hash_map(spec); break;
    case MapImpl::kQueue: map = maps::make_queue_map(spec); break;
    case MapImpl::kRingbuf: map = maps::make_ringbuf_map(spec); break;
    case MapImpl::kProgArray: map = maps::make_prog_array_map(spec); break;
    case MapImpl::kLpmTrie: map = maps::make_lpm_trie_map(spec); break;
    case MapImpl::kBloomFilter: map = maps::make_bloom_filter_map(spec); break;
    case MapImpl::kMapOfMaps: map = maps::make_map_of_maps(spec); break;
    case MapImpl::kRedirect: map = maps::make_redirect_map(spec); break;
    case MapImpl::kPerfEvent: map = maps::make_perf_event_map(spec); break;
    case MapImpl::kNone: map = std::make_shared<UnsupportedMap>(spec); break;
  }
  if (map == nullptr) return spec_error(spec, "out of memory for the map's storage");
  MapRegistry& r = map_registry();
  std::lock_guard lock(r.mu);
  map->id_ = ++r.last;
  r.maps.emplace(map->id_, map);
  return map;
}

uint64_t map_memory_bytes(const MapSpec& spec) {
  const MapTypeInfo* row = map_type_info(spec.type);
  if (row == nullptr || !row->runtime) return 0;
  if (row->impl == MapImpl::kRingbuf) return spec.max_entries;
  const uint64_t slots = row->percpu ? kMaxCpuSlots : 1;
  return uint64_t{spec.max_entries} *
         (maps::round_up8(spec.key_size) + maps::round_up8(spec.value_size) * slots);
}

Result<std::shared_ptr<void>> MapMemoryBudget::charge(
    const std::shared_ptr<MapMemoryBudget>& budget, const std::string& name, uint64_t bytes) {
  uint64_t used = budget->used_.load();
  for (;;) {
    const uint64_t limit = budget->limit_.load();
    if (limit != 0 && (bytes > limit || used > limit - bytes)) {
      return make_error(ErrorCode::kNoSpace,
                        fmt::format("map {}: needs {} bytes, the runtime's map memory limit is "
                                    "{} bytes and {} are in use",
                                    name.empty() ? "(unnamed)" : name, bytes, limit, used));
    }
    if (budget->used_.compare_exchange_weak(used, used + bytes)) break;
  }
  // The token gives the bytes back when the map that holds it is destroyed.
  return std::shared_ptr<void>(nullptr, [budget, bytes](void*) { budget->used_ -= bytes; });
}

Result<std::shared_ptr<BpfMap>> create_map(const MapSpec& spec,
                                           const std::shared_ptr<MapMemoryBudget>& budget) {
  std::shared_ptr<void> token;
  if (budget != nullptr) {
    if (auto r = validate(spec); !r) return r.take_error();
    auto charged = MapMemoryBudget::charge(budget, spec.name, map_memory_bytes(spec));
    if (!charged) return charged.take_error();
    token = std::move(charged).value();
  }
  auto map = create_map(spec);
  if (!map) return map.take_error();  // the token gives the charge back
  (*map)->charge_ = std::move(token);
  return map;
}

}  // namespace bpfjit
