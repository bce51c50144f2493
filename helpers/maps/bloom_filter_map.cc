// bloom_filter: a bit array sized as the kernel's (kernel/bpf/bloom_filter.c): nr_hash_funcs
// (map_extra's low 4 bits, 0 meaning 5) times max_entries times 7/5 bits (about n*k/ln 2),
// rounded up to a power of two and at least 64, or 2^32 bits when that overflows.
// push (bpf_map_push_elem, the host's update) sets the value's k bits; peek
// (bpf_map_peek_elem, the host's lookup) gives 0 when all k are set and -ENOENT otherwise,
// so a pushed value always tests present (no false negatives) and an absent one may
// (false positives). The k bit positions come from one seeded 64-bit hash split in two
// (h1 + i * h2, double hashing); the seed is random unless BPF_F_ZERO_SEED. Bits are set
// with atomic ORs: no lock. Nothing is ever removed: pop, delete, update by key and
// lookup by key are refused as in the kernel.
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <random>

#include "helpers/map_types.h"
#include "helpers/maps.h"
#include "helpers/maps/map_impl.h"

namespace bpfjit::maps {
namespace {

class BloomFilterMap final : public BpfMap {
 public:
  explicit BloomFilterMap(const MapSpec& spec)
      : BpfMap(spec),
        nr_hash_funcs_(spec.map_extra == 0 ? 5 : static_cast<uint32_t>(spec.map_extra)),
        seed_((spec.flags & kFlagZeroSeed) != 0 ? 0 : std::random_device{}()),
        mask_(bit_count(spec.max_entries, nr_hash_funcs_) - 1),
        words_((mask_ + 1) / 8) {}
  bool ok() const { return words_.ok(); }

  int64_t push(const void* value, uint64_t flags) override {
    if (flags != kBpfAny) return -EINVAL;
    auto [h1, h2] = hashes(value);
    for (uint32_t i = 0; i < nr_hash_funcs_; ++i) {
      const uint64_t b = (h1 + i * h2) & mask_;
      word(b).fetch_or(uint64_t{1} << (b % 64), std::memory_order_relaxed);
    }
    return 0;
  }

  int64_t peek(void* value) override {
    auto [h1, h2] = hashes(value);
    for (uint32_t i = 0; i < nr_hash_funcs_; ++i) {
      const uint64_t b = (h1 + i * h2) & mask_;
      if ((word(b).load(std::memory_order_relaxed) & (uint64_t{1} << (b % 64))) == 0) {
        return -ENOENT;
      }
    }
    return 0;
  }

  // The host's bpf(BPF_MAP_UPDATE_ELEM) pushes, BPF_MAP_LOOKUP_ELEM peeks (the value
  // buffer is the value to test; its bytes are not changed).
  int64_t host_update(const void*, const void* value, uint64_t flags) override {
    return push(value, flags);
  }
  int64_t host_lookup(const void*, void* value) override { return peek(value); }

 private:
  static uint64_t bit_count(uint32_t max_entries, uint32_t nr_hash_funcs) {
    const uint64_t want = uint64_t{max_entries} * nr_hash_funcs / 5 * 7;
    if (want > (uint64_t{1} << 31)) return uint64_t{1} << 32;
    uint64_t bits = 64;
    while (bits < want) bits <<= 1;
    return bits;
  }

  std::atomic_ref<uint64_t> word(uint64_t bit) const {
    return std::atomic_ref<uint64_t>(reinterpret_cast<uint64_t*>(words_.data())[bit / 64]);
  }

  std::pair<uint64_t, uint64_t> hashes(const void* value) const {
    const auto* p = static_cast<const uint8_t*>(value);
    uint64_t h = seed_ ^ (uint64_t{spec_.value_size} * 0x9e3779b97f4a7c15ULL);
    for (uint32_t left = spec_.value_size; left > 0;) {
      uint64_t w = 0;
      const uint32_t take = left < 8 ? left : 8;
      std::memcpy(&w, p, take);
      h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
      h ^= h >> 31;
      p += take;
      left -= take;
    }
    uint64_t h2 = (h ^ (h >> 29)) * 0x94d049bb133111ebULL;
    h2 ^= h2 >> 32;
    return {h ^ (h >> 33), h2 | 1};  // an odd step visits distinct bits
  }

  const uint32_t nr_hash_funcs_;
  const uint64_t seed_;
  const uint64_t mask_;
  ZeroedBuffer words_;
};

}  // namespace

std::shared_ptr<BpfMap> make_bloom_filter_map(const MapSpec& spec) {
  auto map = std::make_shared<BloomFilterMap>(spec);
  return map->ok() ? map : nullptr;
}

}  // namespace bpfjit::maps
