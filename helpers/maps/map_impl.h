// Internal to helpers/maps: storage utilities and the constructors create_map() uses.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "helpers/maps.h"
#include "runtime/isa/semantics.h"

namespace bpfjit::maps {

inline constexpr uint32_t kNil = UINT32_MAX;

constexpr uint64_t round_up8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

// Writes a value into a map's storage as the kernel's copy_map_value does: every byte but
// the value's struct bpf_spin_lock (spec.spin_lock_off, -1 for none), which only
// bpf_spin_lock and bpf_spin_unlock change: it stays as it is, or is zero in an element
// that `fresh`ly comes into use.
inline void copy_map_value(void* dst, const void* src, const MapSpec& spec, bool fresh) {
  const int32_t lock = spec.spin_lock_off;
  if (lock < 0 || static_cast<uint64_t>(lock) + 4 > spec.value_size) {
    sem::copy_shared(dst, src, spec.value_size);
    return;
  }
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  const auto off = static_cast<uint32_t>(lock);
  sem::copy_shared(d, s, off);
  if (fresh) sem::store_word(d + off, uint32_t{0});
  sem::copy_shared(d + off + 4, s + off + 4, spec.value_size - off - 4);
}

// get_next_key of the types keyed by an index below `n` (arrays and their kin): the index
// after `key`, or 0 when `key` is null or out of range; -ENOENT after the last.
inline int64_t next_index(const void* key, void* next_key, uint32_t n) {
  uint32_t next = 0;
  if (key != nullptr) {
    uint32_t i;
    std::memcpy(&i, key, sizeof i);
    if (i < n) next = i + 1;
  }
  if (next >= n) return -ENOENT;
  std::memcpy(next_key, &next, sizeof next);
  return 0;
}

// Zero-filled, 64-byte aligned storage allocated once. Large buffers come from calloc's
// fresh pages, so untouched per-CPU slots cost no memory.
class ZeroedBuffer {
 public:
  ZeroedBuffer() = default;
  explicit ZeroedBuffer(size_t bytes)
      : bytes_(bytes), raw_(static_cast<uint8_t*>(std::calloc(bytes + 64, 1))) {}
  ~ZeroedBuffer() { std::free(raw_); }
  ZeroedBuffer(const ZeroedBuffer&) = delete;
  ZeroedBuffer& operator=(const ZeroedBuffer&) = delete;

  bool ok() const { return raw_ != nullptr; }
  uint8_t* data() const {
    auto p = reinterpret_cast<uintptr_t>(raw_);
    return reinterpret_cast<uint8_t*>((p + 63) & ~uintptr_t{63});
  }
  size_t size() const { return bytes_; }

 private:
  size_t bytes_ = 0;
  uint8_t* raw_ = nullptr;
};

// Each returns nullptr when the storage cannot be allocated; the spec is already valid.
std::shared_ptr<BpfMap> make_array_map(const MapSpec& spec);
std::shared_ptr<BpfMap> make_hash_map(const MapSpec& spec);
std::shared_ptr<BpfMap> make_queue_map(const MapSpec& spec);
std::shared_ptr<BpfMap> make_ringbuf_map(const MapSpec& spec);
std::shared_ptr<BpfMap> make_prog_array_map(const MapSpec& spec);
std::shared_ptr<BpfMap> make_lpm_trie_map(const MapSpec& spec);
std::shared_ptr<BpfMap> make_bloom_filter_map(const MapSpec& spec);
std::shared_ptr<BpfMap> make_map_of_maps(const MapSpec& spec);
std::shared_ptr<BpfMap> make_redirect_map(const MapSpec& spec);
std::shared_ptr<BpfMap> make_perf_event_map(const MapSpec& spec);

}  // namespace bpfjit::maps
