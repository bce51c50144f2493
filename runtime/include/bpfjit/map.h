/// @file
/// A map as the host sees it: typed copies of keys and values in and out, iteration, and
/// the consumer side of ring buffers. Programs use the same map through helpers at the
/// same time; every call here is safe under concurrent use from any number of threads.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <type_traits>

#include "bpfjit/result.h"
#include "bpfjit/types.h"

namespace bpfjit {

class BpfMap;

/// A map of a loaded object (Object::map) or one the host created (Runtime::create_map).
///
/// Keys and values are copied. A value buffer holds value_bytes(): value_size() for most
/// types; for per-CPU maps, value_slots() values of round_up(value_size(), 8) bytes each,
/// the layout of the kernel's bpf(BPF_MAP_LOOKUP_ELEM) for per-CPU maps. Errors: kNotFound
/// (no such key, empty queue), kExists (kBpfNoExist and the key is present), kNoSpace
/// (full, or an array index out of range), kInvalidArgument (wrong sizes or flags, or an
/// operation the type lacks).
class Map {
 public:
  ~Map();
  Map(const Map&) = delete;
  Map& operator=(const Map&) = delete;

  /// Its name.
  const std::string& name() const;
  /// Its type.
  MapType type() const;
  /// Its shape: type, name, key and value sizes, capacity, flags.
  const MapSpec& spec() const;
  /// Bytes of a key.
  uint32_t key_size() const { return spec().key_size; }
  /// Bytes of one value.
  uint32_t value_size() const { return spec().value_size; }
  /// Capacity (ringbuf: data bytes).
  uint32_t max_entries() const { return spec().max_entries; }
  /// Values per key: the number of thread slots for per-CPU maps, else 1.
  uint32_t value_slots() const;
  /// Bytes of a host value buffer (see the class comment).
  uint32_t value_bytes() const;

  /// Copies the value of `key` into `value` (value_bytes() bytes).
  Result<void> lookup(std::span<const uint8_t> key, std::span<uint8_t> value) const;
  /// Creates or replaces the value of `key`; flags: kBpfAny, kBpfNoExist or kBpfExist.
  Result<void> update(std::span<const uint8_t> key, std::span<const uint8_t> value,
                      uint64_t flags = kBpfAny);
  /// Deletes `key` (arrays cannot delete: kInvalidArgument).
  Result<void> erase(std::span<const uint8_t> key);
  /// Writes the key after `key` (or the first key when `key` is empty) to `next_key`;
  /// false when there is none.
  Result<bool> next_key(std::span<const uint8_t> key, std::span<uint8_t> next_key) const;
  /// Calls fn(key, value) for each element, in next_key order, until fn returns false.
  /// Elements added or removed meanwhile may be missed. Returns the number visited.
  size_t for_each(
      const std::function<bool(std::span<const uint8_t> key, std::span<const uint8_t> value)>&
          fn) const;

  /// Queue and stack: adds a value (flags kBpfExist: a full map drops its oldest value).
  Result<void> push(std::span<const uint8_t> value, uint64_t flags = kBpfAny);
  /// Queue and stack: removes the next value into `value`; kNotFound when empty.
  Result<void> pop(std::span<uint8_t> value);
  /// Queue and stack: copies the next value without removing it.
  Result<void> peek(std::span<uint8_t> value) const;

  /// Ring buffers: calls fn on each committed record, oldest first, until fn returns false
  /// (that record counts as consumed). Returns the number of records consumed. One
  /// consumer runs at a time; concurrent calls wait for each other.
  Result<size_t> consume(const std::function<bool(std::span<const uint8_t> record)>& fn);
  /// Ring buffers: as consume, after waiting up to `timeout_ms` (negative: no limit) for
  /// at least one record.
  Result<size_t> poll(int timeout_ms,
                      const std::function<bool(std::span<const uint8_t> record)>& fn);
  /// Ring buffers: bytes committed and not yet consumed.
  uint64_t pending_bytes() const;

  /// The map's id (1, 2, ... in creation order, never reused in the process), as the
  /// kernel's map ids: the 4-byte value that puts this map in an array_of_maps or
  /// hash_of_maps slot with update(), and what lookup() of such a slot gives back.
  uint32_t id() const;
  /// array_of_maps and hash_of_maps: puts `inner` at `key`. `inner` must match the outer
  /// map's inner template (MapSpec::inner: type, key and value sizes, flags, max_entries):
  /// kInvalidArgument otherwise. array_of_maps takes kBpfAny only, as in the kernel.
  Result<void> set_inner(std::span<const uint8_t> key, const Map& inner,
                         uint64_t flags = kBpfAny);

  /// perf_event_array: opens an event buffer of `bytes_per_cpu` (a power of two, at least
  /// 4096) for each CPU slot, as libbpf's perf_buffer__new does; bpf_perf_event_output
  /// into a CPU whose buffer is not open fails with -ENOENT. Opening again keeps the
  /// buffers and their records.
  Result<void> open_perf_buffers(uint32_t bytes_per_cpu);
  /// perf_event_array: calls fn(cpu, record) for each record, CPU by CPU (each CPU's in
  /// order) until fn returns false. A record is the program's data padded with zeros to
  /// round_up(size + 4, 8) - 4 bytes, as libbpf's sample callback sees it. `lost`, when
  /// given, first gets the number of records each CPU dropped since the last call (its
  /// buffer was full). Returns the number of records consumed.
  using PerfRecordFn = std::function<bool(uint32_t cpu, std::span<const uint8_t> record)>;
  using PerfLostFn = std::function<void(uint32_t cpu, uint64_t count)>;
  Result<size_t> perf_consume(const PerfRecordFn& fn, const PerfLostFn& lost = nullptr);
  /// perf_event_array: as perf_consume, after waiting up to `timeout_ms` (negative: no
  /// limit) for a record.
  Result<size_t> perf_poll(int timeout_ms, const PerfRecordFn& fn,
                           const PerfLostFn& lost = nullptr);

  /// Typed lookup for trivially copyable keys and values of the map's sizes.
  template <typename K, typename V>
  Result<V> get(const K& key) const {
    V value{};
    if (auto r = lookup(bytes_of(key), writable_bytes_of(value)); !r) return r.take_error();
    return value;
  }
  /// Typed update for trivially copyable keys and values of the map's sizes.
  template <typename K, typename V>
  Result<void> put(const K& key, const V& value, uint64_t flags = kBpfAny) {
    return update(bytes_of(key), bytes_of(value), flags);
  }

  /// The bytes of a trivially copyable value.
  template <typename T>
  static std::span<const uint8_t> bytes_of(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>, "keys and values are copied as bytes");
    return {reinterpret_cast<const uint8_t*>(&v), sizeof(T)};
  }
  /// The writable bytes of a trivially copyable value.
  template <typename T>
  static std::span<uint8_t> writable_bytes_of(T& v) {
    static_assert(std::is_trivially_copyable_v<T>, "keys and values are copied as bytes");
    return {reinterpret_cast<uint8_t*>(&v), sizeof(T)};
  }

 private:
  friend class Runtime;
  friend class Object;
  friend struct MapAccess;
  explicit Map(std::shared_ptr<BpfMap> impl);
  std::shared_ptr<BpfMap> impl_;
};

}  // namespace bpfjit
