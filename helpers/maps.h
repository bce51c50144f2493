// eBPF maps: the kernel's map types with the kernel's semantics, in host memory.
//
// Two sides use a map:
//  - programs, through helpers (helpers/helper_table.h): lookup() hands out a pointer to the
//    value, update()/erase()/push()/pop()/peek() take pointers into program memory; errors
//    are the negative errno values the kernel's helpers return (-ENOENT, -EEXIST, -E2BIG,
//    -EINVAL, -ENOMEM, -EBUSY, -EPERM);
//  - the host, through the host_* calls, which copy keys and values in and out (for per-CPU
//    maps, all slots at once: slot_count() values of round_up(value_size, 8) bytes each, the
//    layout the kernel's bpf(BPF_MAP_LOOKUP_ELEM) uses for per-CPU maps).
//
// Storage. Every map preallocates its element storage when it is created (an arena of
// max_entries elements with a free list): no allocation happens while a program runs, and
// every value pointer handed to a program points inside regions(). Keys, links and other
// bookkeeping live in separate host-only memory, so a program that writes anywhere inside
// regions() (checked mode allows it) can corrupt values but never the map's structure. An
// element deleted while a program still holds its pointer is recycled: the pointer still
// points at map memory, as with the kernel's preallocated maps.
//
// Thread safety. Every call is safe under concurrent use from any number of programs and
// host threads. Hash maps lock per bucket stripe; LRU maps additionally serialise updates
// and deletes under one lock; array maps take no lock (updates copy in place, so a
// concurrent reader may see a torn value, as in the kernel); queue/stack and ringbuf
// producers take one lock each.
//
// LRU. lru_hash evicts with a second-chance (CLOCK) approximation of LRU: a lookup or
// update marks the element referenced; eviction walks from the least recently inserted,
// giving referenced elements one more round. It differs from true LRU only among elements
// used since their last round, which leave in insertion order. Deterministic for one thread.
//
// Per-CPU maps. A thread gets a slot id in [0, kMaxCpuSlots) the first time it asks
// (cpu_slot()); the id is released when the thread exits and reused by a later thread.
// When more than kMaxCpuSlots threads hold ids at once, later threads share ids
// (id = n % kMaxCpuSlots): their updates of a per-CPU value may then race with each other
// (lost increments), but never touch memory outside the map. get_smp_processor_id returns
// this id.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "bpfjit/types.h"
#include "runtime/isa/machine.h"
#include "runtime/isa/result.h"

namespace bpfjit {

// Parses a kernel type number (any type of helpers/maps/map_types.def but unspec); an error
// names the number when the kernel has no such type.
Result<MapType> map_type_from_kernel(uint32_t type);

// Map creation flags we accept (others are refused by create_map).
inline constexpr uint32_t kMapFlagNoPrealloc = 1U << 0;  // BPF_F_NO_PREALLOC: accepted for
                                                         // hash maps, storage is still
                                                         // preallocated
inline constexpr uint32_t kMapFlagRdonlyProg = 1U << 7;  // BPF_F_RDONLY_PROG: accepted,
                                                         // not enforced

// Ring buffer flags and query selectors (BPF_RB_*).
inline constexpr uint64_t kRingbufNoWakeup = 1;
inline constexpr uint64_t kRingbufForceWakeup = 2;
inline constexpr uint64_t kRingbufAvailData = 0;
inline constexpr uint64_t kRingbufRingSize = 1;
inline constexpr uint64_t kRingbufConsPos = 2;
inline constexpr uint64_t kRingbufProdPos = 3;

// Ring buffer record header bits (BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT) and the
// header size (BPF_RINGBUF_HDR_SZ).
inline constexpr uint32_t kRingbufBusyBit = 1U << 31;
inline constexpr uint32_t kRingbufDiscardBit = 1U << 30;
inline constexpr uint32_t kRingbufHeaderSize = 8;

// Per-CPU slots: the number of distinct ids and the id of the calling thread.
inline constexpr uint32_t kMaxCpuSlots = 128;
uint32_t cpu_slot();

class BpfMap {
 public:
  virtual ~BpfMap() = default;
  BpfMap(const BpfMap&) = delete;
  BpfMap& operator=(const BpfMap&) = delete;

  MapType type() const { return spec_.type; }
  const std::string& name() const { return spec_.name; }
  uint32_t key_size() const { return spec_.key_size; }
  uint32_t value_size() const { return spec_.value_size; }
  uint32_t max_entries() const { return spec_.max_entries; }
  uint32_t flags() const { return spec_.flags; }
  const MapSpec& spec() const { return spec_; }
  // False for the kernel map types the runtime does not implement (helpers/maps/
  // map_types.def): such a map refuses every operation, and the helpers and the API report
  // unsupported_error() instead: "map 'events' of type perf_event_array is not supported at
  // run time".
  bool runnable() const { return runnable_; }
  std::string unsupported_error() const;

  // Program side (the helpers' semantics). Pointers are host pointers the helper has
  // already checked: key_size() bytes for keys, value_size() bytes for values.

  // A pointer to the value (this thread's slot for per-CPU maps), or nullptr when the key
  // is absent or the type has no lookup (queue, stack, ringbuf, prog_array).
  virtual void* lookup(const void* key);
  // kBpfAny, kBpfNoExist or kBpfExist. 0 or -EEXIST, -ENOENT, -E2BIG (full or index out of
  // range), -EINVAL (bad flags or the type has no update). On per-CPU maps it writes this
  // thread's slot (a new element's other slots are zeroed).
  virtual int64_t update(const void* key, const void* value, uint64_t flags);
  // 0, -ENOENT, or -EINVAL (arrays cannot delete).
  virtual int64_t erase(const void* key);
  // Queue and stack: push (kBpfExist overwrites the oldest element when full, otherwise a
  // full map gives -E2BIG), pop and peek (-ENOENT when empty). Others return -EINVAL.
  virtual int64_t push(const void* value, uint64_t flags);
  virtual int64_t pop(void* value);
  virtual int64_t peek(void* value);
  // The key after `key` in the map's iteration order, or the first key when `key` is
  // nullptr or absent. 0, or -ENOENT after the last key; -EINVAL for types without keys.
  virtual int64_t get_next_key(const void* key, void* next_key);
  // bpf_for_each_map_elem: calls fn(key, value) for each element with pointers a program
  // may read (keys, in a read-only region) and write (values; this thread's slot for
  // per-CPU maps); fn returns false to stop. Returns the number of elements passed to fn,
  // or -EINVAL for types without elements (queue, stack, ringbuf, prog_array).
  virtual int64_t for_each_elem(const std::function<bool(const void* key, void* value)>& fn);

  // Host side: copies in and out. Value buffers hold host_value_size() bytes.
  uint32_t slot_count() const { return percpu() ? kMaxCpuSlots : 1; }
  uint32_t host_value_size() const;
  // Copies the value (all slots for per-CPU maps) out. 0 or -ENOENT (-EINVAL for types
  // without lookup).
  virtual int64_t host_lookup(const void* key, void* value_out);
  // Writes the value (all slots for per-CPU maps). Same results as update().
  virtual int64_t host_update(const void* key, const void* value, uint64_t flags);
  int64_t host_erase(const void* key) { return erase(key); }
  // Calls fn(key, value) for each element in get_next_key order with the host-side value
  // layout; fn returns false to stop. Elements added or removed meanwhile may be missed.
  void for_each(const std::function<bool(const void* key, const void* value)>& fn);

  // The memory programs may touch in this map, for checked mode: the value storage
  // (writable) and, for hash and array maps, the key storage (read-only, for
  // bpf_for_each_map_elem's key pointers). Stable for the map's lifetime.
  std::span<const MemRegion> regions() const { return regions_; }

  bool percpu() const {
    return spec_.type == MapType::kPercpuArray || spec_.type == MapType::kPercpuHash;
  }

 protected:
  explicit BpfMap(MapSpec spec) : spec_(std::move(spec)) {}
  // Adds a region to regions() (at most two).
  void add_region(const void* start, size_t bytes, bool writable);

  MapSpec spec_;
  bool runnable_ = true;  // false only in the map of an unimplemented type

 private:
  MemRegion region_storage_[2];
  std::span<const MemRegion> regions_;
};

// The program array of tail calls: index -> an opaque program handle (the runtime's).
class ProgArrayMap : public BpfMap {
 public:
  explicit ProgArrayMap(MapSpec spec);
  // 0, or -E2BIG when index >= max_entries. A null handle clears the slot.
  int64_t set(uint32_t index, const void* prog);
  // The handle at index, or nullptr (empty slot or out of range).
  const void* get(uint32_t index) const;
  int64_t erase(const void* key) override;
  int64_t get_next_key(const void* key, void* next_key) override;

 private:
  std::unique_ptr<std::atomic<const void*>[]> slots_;
};

// The ring buffer: max_entries is the data size in bytes, a power of two, at least 4096.
// Records are laid out as in the kernel: an 8-byte header (u32 length with the busy and
// discard bits, u32 reserved) followed by the data, rounded up to 8 bytes. A record never
// wraps around the end of the data area: when it would, the producer fills the rest with
// a discarded padding record and starts the record at offset 0 (the consumer skips it).
// Producers are serialised by a lock; the consumer sees only committed records, in order.
class RingbufMap : public BpfMap {
 public:
  explicit RingbufMap(MapSpec spec);
  ~RingbufMap() override;

  // Producer side (the helpers). reserve() returns nullptr when there is no room or size
  // is larger than the data area allows; flags other than 0 give nullptr.
  void* reserve(uint64_t size, uint64_t flags);
  // `data` must be a pointer reserve() returned and not yet released (the helpers check
  // this through HostEnv). flags: 0, kRingbufNoWakeup or kRingbufForceWakeup.
  void submit(void* data, uint64_t flags);
  void discard(void* data, uint64_t flags);
  // reserve + copy + submit: 0, -EAGAIN when there is no room, -EINVAL on bad flags/size.
  int64_t output(const void* data, uint64_t size, uint64_t flags);
  // kRingbufAvailData, kRingbufRingSize, kRingbufConsPos, kRingbufProdPos; 0 otherwise.
  uint64_t query(uint64_t what) const;
  // True when `p` lies in the data area.
  bool contains(const void* p) const;

  // Consumer side (one consumer at a time; concurrent consumers are serialised). fn gets
  // each committed, non-discarded record in order; returning non-zero stops after that
  // record. Returns the number of records passed to fn, or fn's non-zero value (negative
  // values as is). A corrupted header (a program may write anywhere in the data area) ends
  // consumption and drops everything produced so far.
  using RecordFn = std::function<int(std::span<const uint8_t> record)>;
  int64_t consume(const RecordFn& fn);
  // Waits up to timeout_ms (negative: forever) for a committed record, then consumes.
  int64_t poll(int timeout_ms, const RecordFn& fn);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Validates the spec (type, sizes, max_entries, flags) and builds the map with its storage.
// Errors name the map and the fact: "map counts: value_size 0 must be at least 1".
Result<std::shared_ptr<BpfMap>> create_map(const MapSpec& spec);

}  // namespace bpfjit
