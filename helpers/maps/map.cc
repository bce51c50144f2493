// The BpfMap base class, the per-CPU slot registry and create_map()'s validation.
#include <bitset>
#include <cerrno>
#include <cstring>
#include <mutex>
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

}  // namespace

uint32_t cpu_slot() {
  thread_local ThreadSlot slot;
  return slot.id;
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
  const bool percpu = spec.type == MapType::kPercpuArray || spec.type == MapType::kPercpuHash ||
                      spec.type == MapType::kLruPercpuHash ||
                      spec.type == MapType::kPercpuCgroupStorage;
  if (auto r = check_rule(spec, "key_size", spec.key_size, row->key, kMaxKeySize); !r) return r;
  if (auto r = check_rule(spec, "value_size", spec.value_size, row->value,
                          percpu ? kMaxPercpuValueSize : kMaxValueSize); !r) {
    return r;
  }
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
  switch (spec.type) {
    case MapType::kArray:
    case MapType::kPercpuArray:
      map = maps::make_array_map(spec);
      break;
    case MapType::kHash:
    case MapType::kPercpuHash:
    case MapType::kLruHash:
      map = maps::make_hash_map(spec);
      break;
    case MapType::kQueue:
    case MapType::kStack:
      map = maps::make_queue_map(spec);
      break;
    case MapType::kRingbuf:
      map = maps::make_ringbuf_map(spec);
      break;
    case MapType::kProgArray:
      map = maps::make_prog_array_map(spec);
      break;
    case MapType::kUnspec:
    case MapType::kPerfEventArray:
    case MapType::kStackTrace:
    case MapType::kCgroupArray:
    case MapType::kLruPercpuHash:
    case MapType::kLpmTrie:
    case MapType::kArrayOfMaps:
    case MapType::kHashOfMaps:
    case MapType::kDevmap:
    case MapType::kSockmap:
    case MapType::kCpumap:
    case MapType::kXskmap:
    case MapType::kSockhash:
    case MapType::kCgroupStorage:
    case MapType::kReuseportSockarray:
    case MapType::kPercpuCgroupStorage:
    case MapType::kSkStorage:
    case MapType::kDevmapHash:
    case MapType::kStructOps:
    case MapType::kInodeStorage:
    case MapType::kTaskStorage:
    case MapType::kBloomFilter:
    case MapType::kUserRingbuf:
    case MapType::kCgrpStorage:
      map = std::make_shared<UnsupportedMap>(spec);
      break;
  }
  if (map == nullptr) return spec_error(spec, "out of memory for the map's storage");
  return map;
}

}  // namespace bpfjit
