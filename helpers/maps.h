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
// producers take one lock each. lpm_trie and the map-in-map types take a shared mutex
// (lookups together, writers alone); bloom_filter sets bits atomically without a lock;
// the redirect maps serialise writers; perf_event_array is a ring buffer per CPU.
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
// this id. A run with RunOptions::cpu uses that CPU's slot instead (runs on several
// threads with the same cpu then share its values, as they race on it).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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

class BpfMap;

// The bytes a map of `spec` may hold, as a map memory budget counts them: max_entries keys
// and values (each rounded up to 8 bytes, a value once per per-CPU slot), or a ring
// buffer's data bytes; 0 for types the runtime does not implement.
uint64_t map_memory_bytes(const MapSpec& spec);

// A budget of map memory shared by the maps of one runtime (Runtime::set_map_memory_limit).
// create_map(spec, budget) charges map_memory_bytes(spec) before it allocates anything and
// the map gives the bytes back when it is destroyed (the budget lives as long as its last
// map). Thread-safe.
class MapMemoryBudget {
 public:
  explicit MapMemoryBudget(uint64_t limit) : limit_(limit) {}
  void set_limit(uint64_t bytes) { limit_.store(bytes); }  // 0: no limit
  uint64_t limit() const { return limit_.load(); }
  uint64_t used() const { return used_.load(); }
  // Charges `bytes` for the map `name`, or an error naming the map, its size, the limit
  // and what is in use. The charge is given back when the returned token is destroyed.
  static Result<std::shared_ptr<void>> charge(const std::shared_ptr<MapMemoryBudget>& budget,
                                              const std::string& name, uint64_t bytes);

 private:
  std::atomic<uint64_t> limit_;
  std::atomic<uint64_t> used_{0};
};

// Per-CPU slots: the number of distinct ids and the id of the calling thread.
inline constexpr uint32_t kMaxCpuSlots = 128;
uint32_t cpu_slot();
// Makes cpu_slot() answer `cpu` on this thread (-1: the thread's own slot again); returns
// the previous override. A run with RunOptions::cpu sets it (CpuOverride, host_env.h).
int64_t set_cpu_slot_override(int64_t cpu);

class BpfMap {
 public:
  virtual ~BpfMap();
  BpfMap(const BpfMap&) = delete;
  BpfMap& operator=(const BpfMap&) = delete;

  MapType type() const { return spec_.type; }
  const std::string& name() const { return spec_.name; }
  uint32_t key_size() const { return spec_.key_size; }
  uint32_t value_size() const { return spec_.value_size; }
  uint32_t max_entries() const { return spec_.max_entries; }
  uint32_t flags() const { return spec_.flags; }
  const MapSpec& spec() const { return spec_; }
  // The map's id, as the kernel's map ids: 1, 2, ... in creation order, never reused in a
  // process. Hosts name inner maps of array_of_maps and hash_of_maps by it.
  uint32_t id() const { return id_; }
  // The map created by create_map with that id while it exists, or nullptr.
  static std::shared_ptr<BpfMap> by_id(uint32_t id);
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

  bool percpu() const { return percpu_; }

  // Where lookup() finds a value, for the array types (array, percpu_array), so that an
  // engine can do their lookups in place: the value of index i < max_entries is at
  // values + i * stride, plus cpu_slot() * cpu_stride for per-CPU maps (cpu_stride 0
  // otherwise). Stable for the map's lifetime. nullopt for every other type.
  struct ArrayLayout {
    uint8_t* values = nullptr;
    uint64_t stride = 0;
    uint64_t cpu_stride = 0;
    uint32_t max_entries = 0;
  };
  virtual std::optional<ArrayLayout> array_layout() const { return std::nullopt; }

 protected:
  explicit BpfMap(MapSpec spec);
  // Adds a region to regions() (at most two).
  void add_region(const void* start, size_t bytes, bool writable);

  MapSpec spec_;
  bool runnable_ = true;  // false only in the map of an unimplemented type

 private:
  friend Result<std::shared_ptr<BpfMap>> create_map(const MapSpec& spec);
  friend Result<std::shared_ptr<BpfMap>> create_map(const MapSpec& spec,
                                                    const std::shared_ptr<MapMemoryBudget>&);
  bool percpu_ = false;
  std::shared_ptr<void> charge_;  // the map's charge on its budget, given back with it
  uint32_t id_ = 0;  // 0 until create_map registers the map
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

// array_of_maps and hash_of_maps: slots holding other maps that match MapSpec::inner, the
// template (a map-in-map created without one, as from a legacy `maps` definition, takes
// no map). Slots keep their maps alive. The host puts a
// map in with set_inner() or host_update() with the map's id as the 4-byte value; a host
// lookup gives the id back, as the kernel's bpf(BPF_MAP_LOOKUP_ELEM) does. A program's
// bpf_map_lookup_elem gives the inner map itself (its BpfMap address, the handle the map
// helpers take; the helper keeps it alive for the run through HostEnv::pin_map).
class MapOfMaps : public BpfMap {
 public:
  // The map at `key`, or nullptr (empty slot, absent key, index out of range).
  virtual std::shared_ptr<BpfMap> inner(const void* key) = 0;
  // Puts `map` at `key`. 0, -EINVAL (map null, not matching the template, or bad flags:
  // array_of_maps takes kBpfAny only, as the kernel), -E2BIG (index out of range or the
  // hash full), -EEXIST or -ENOENT (kBpfNoExist / kBpfExist on hash_of_maps).
  virtual int64_t set_inner(const void* key, std::shared_ptr<BpfMap> map, uint64_t flags) = 0;
  // True when `map` matches the template: type, key and value sizes, flags and
  // max_entries, as the kernel's bpf_map_meta_equal.
  bool fits(const BpfMap& map) const;

 protected:
  using BpfMap::BpfMap;
};

// What a devmap, devmap_hash, cpumap or xskmap slot names, for bpf_redirect_map.
struct RedirectTarget {
  MapType type = MapType::kDevmap;
  uint32_t key = 0;      // the slot (devmap, xskmap: index; cpumap: the CPU)
  uint32_t ifindex = 0;  // devmap, devmap_hash: the device
  uint32_t qsize = 0;    // cpumap: the queue size
  uint32_t xsk_fd = 0;   // xskmap: the AF_XDP socket
};

// devmap, devmap_hash, cpumap and xskmap: storage with the kernel's value layouts
// (devmap: u32 ifindex or struct bpf_devmap_val {u32 ifindex; u32 prog fd/id}; cpumap: u32
// qsize or struct bpf_cpumap_val {u32 qsize; u32 prog fd/id}; xskmap: u32 socket fd), the
// kernel's update/delete errors, and resolve() for bpf_redirect_map.
class RedirectMap : public BpfMap {
 public:
  // The target at `key`, or false when the slot is empty or out of range.
  virtual bool resolve(uint32_t key, RedirectTarget* out) = 0;

 protected:
  using BpfMap::BpfMap;
};

// perf_event_array: one event buffer per CPU (thread slot; max_entries of them, or
// kMaxCpuSlots when max_entries is 0), in the place of the kernel's perf events. The host
// opens the buffers (open(), as libbpf's perf_buffer__new opens a perf event per CPU and
// puts it in the map) and consumes their records; bpf_perf_event_output writes a record
// into the buffer its flags name. A record is what libbpf's sample callback gets: the
// data padded with zeros to round_up(size + 4, 8) - 4 bytes (the kernel's raw sample).
// A full buffer drops the record and counts it lost (-ENOSPC to the program).
class PerfEventArrayMap : public BpfMap {
 public:
  // BPF_F_INDEX_MASK and BPF_F_CURRENT_CPU.
  static constexpr uint64_t kIndexMask = 0xffffffffULL;
  static constexpr uint64_t kCurrentCpu = kIndexMask;

  // The number of buffers (CPU slots).
  virtual uint32_t cpu_count() const = 0;
  // Opens a buffer of `bytes` (a power of two, at least 4096) for every CPU: 0, or -EINVAL
  // for a bad size. Buffers already open keep their records.
  virtual int64_t open(uint32_t bytes) = 0;
  // bpf_perf_event_output: 0, -EINVAL (flags other than an index), -E2BIG (index beyond
  // the buffers, or a record too large for a perf sample), -ENOENT (buffer not open),
  // -ENOSPC (buffer full: the record is lost). `tail` follows `data` in the record: the
  // packet bytes BPF_F_CTXLEN_MASK asks for (the helper takes them from the context).
  virtual int64_t output(uint64_t flags, const void* data, uint64_t size,
                         std::span<const uint8_t> tail) = 0;
  int64_t output(uint64_t flags, const void* data, uint64_t size) {
    return output(flags, data, size, {});
  }
  // Consumer side: fn(cpu, record) for each record, CPU by CPU, each CPU's in order; fn
  // returning false stops after that record. lost(cpu, count) first reports the records
  // dropped on a CPU since the last call (may be empty). Returns the number of records.
  using RecordFn = std::function<bool(uint32_t cpu, std::span<const uint8_t> record)>;
  using LostFn = std::function<void(uint32_t cpu, uint64_t count)>;
  virtual int64_t consume(const RecordFn& fn, const LostFn& lost) = 0;
  // Waits up to timeout_ms (negative: forever) for a record, then consumes.
  virtual int64_t poll(int timeout_ms, const RecordFn& fn, const LostFn& lost) = 0;

 protected:
  using BpfMap::BpfMap;
};

// Validates the spec (type, sizes, max_entries, flags) and builds the map with its storage.
// Errors name the map and the fact: "map counts: value_size 0 must be at least 1".
Result<std::shared_ptr<BpfMap>> create_map(const MapSpec& spec);
// As create_map, charging the map's memory to `budget` first (nullptr: no budget).
Result<std::shared_ptr<BpfMap>> create_map(const MapSpec& spec,
                                           const std::shared_ptr<MapMemoryBudget>& budget);

}  // namespace bpfjit
