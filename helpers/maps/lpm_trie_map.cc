// lpm_trie: longest-prefix match over keys laid out as struct bpf_lpm_trie_key (a u32
// prefix length in host order, then key_size - 4 bytes of data read most significant bit
// first), with the kernel's semantics (kernel/bpf/lpm_trie.c):
//  - lookup gives the value of the longest stored prefix that matches the key's first
//    prefixlen bits (stored prefixes longer than the key's prefixlen never match; a key
//    whose prefixlen is above data_size * 8 matches nothing);
//  - update and delete name a prefix exactly (prefixlen and its bits; bits past prefixlen
//    are ignored); prefixlen above data_size * 8 gives -EINVAL; a full trie gives -ENOSPC
//    for a new prefix; kBpfNoExist/kBpfExist as for hashes;
//  - get_next_key walks the kernel trie's postorder: a prefix comes after every longer
//    prefix it contains, and of two prefixes that differ, the one with a 0 at the first
//    differing bit comes first. An absent key restarts from the first.
//
// The kernel's trie is one way to find the longest prefix; this map keeps an index of
// (prefixlen, prefix bits) -> element, an open-addressing table, and looks the key up at
// each prefix length in use from the longest down. The order of get_next_key is kept in a
// sorted set. Values live in one preallocated arena (the map's region); one shared mutex
// lets lookups run together and serialises updates and deletes.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <shared_mutex>
#include <vector>

#include "helpers/maps.h"
#include "helpers/maps/map_impl.h"
#include "runtime/isa/semantics.h"

namespace bpfjit::maps {
namespace {

constexpr uint32_t kPrefixLenSize = 4;  // offsetof(struct bpf_lpm_trie_key, data)

uint32_t prefixlen_of(const void* key) {
  uint32_t n;
  std::memcpy(&n, key, sizeof n);
  return n;
}
const uint8_t* data_of(const void* key) { return static_cast<const uint8_t*>(key) + kPrefixLenSize; }

int bit_at(const uint8_t* data, uint32_t i) { return (data[i / 8] >> (7 - i % 8)) & 1; }

// The number of leading bits a and b share, at most `limit`.
uint32_t common_bits(const uint8_t* a, const uint8_t* b, uint32_t limit) {
  uint32_t n = 0;
  while (n + 8 <= limit && a[n / 8] == b[n / 8]) n += 8;
  while (n < limit && bit_at(a, n) == bit_at(b, n)) ++n;
  return n;
}

// A prefix: its length and a pointer to its data (bits past the length are ignored).
struct Prefix {
  uint32_t len;
  const uint8_t* data;
};

// The kernel trie's postorder (see the file comment).
struct PostOrder {
  using is_transparent = void;
  bool operator()(const Prefix& a, const Prefix& b) const {
    const uint32_t shorter = std::min(a.len, b.len);
    const uint32_t same = common_bits(a.data, b.data, shorter);
    if (same == shorter) return a.len > b.len;  // one contains the other: longer first
    return bit_at(a.data, same) < bit_at(b.data, same);
  }
};

class LpmTrieMap final : public BpfMap {
 public:
  explicit LpmTrieMap(const MapSpec& spec)
      : BpfMap(spec),
        data_size_(spec.key_size - kPrefixLenSize),
        max_prefixlen_(data_size_ * 8),
        value_stride_(round_up8(spec.value_size)),
        seed_(std::random_device{}()),
        keys_(std::make_unique<uint8_t[]>(size_t{data_size_} * spec.max_entries)),
        lens_(std::make_unique<uint32_t[]>(spec.max_entries)),
        hashes_(std::make_unique<uint64_t[]>(spec.max_entries)),
        values_(value_stride_ * spec.max_entries),
        per_len_(max_prefixlen_ + 1, 0) {
    uint64_t cap = 8;
    while (cap < uint64_t{spec.max_entries} * 2) cap <<= 1;
    table_.assign(cap, kNil);
    mask_ = cap - 1;
    free_.reserve(spec.max_entries);
    for (uint32_t i = spec.max_entries; i > 0; --i) free_.push_back(i - 1);
    add_region(values_.data(), values_.size(), true);
  }
  bool ok() const { return values_.ok(); }

  void* lookup(const void* key) override {
    std::shared_lock lock(mu_);
    uint32_t idx = longest_match(key);
    return idx == kNil ? nullptr : value_at(idx);
  }

  int64_t host_lookup(const void* key, void* value_out) override {
    std::shared_lock lock(mu_);
    uint32_t idx = longest_match(key);
    if (idx == kNil) return -ENOENT;
    sem::copy_shared(value_out, value_at(idx), spec_.value_size);
    return 0;
  }

  int64_t update(const void* key, const void* value, uint64_t flags) override {
    if (flags > kBpfExist) return -EINVAL;
    const uint32_t len = prefixlen_of(key);
    if (len > max_prefixlen_) return -EINVAL;
    std::unique_lock lock(mu_);
    const Prefix p{len, data_of(key)};
    const uint64_t h = hash(p);
    uint32_t idx = table_[find_slot(p, h)];
    if (idx != kNil) {
      if (flags == kBpfNoExist) return -EEXIST;
      // The kernel replaces the node with one holding the new key's data.
      std::memmove(key_at(idx), p.data, data_size_);
      sem::copy_shared(value_at(idx), value, spec_.value_size);
      return 0;
    }
    if (flags == kBpfExist) return -ENOENT;
    if (free_.empty()) return -ENOSPC;
    idx = free_.back();
    free_.pop_back();
    lens_[idx] = len;
    hashes_[idx] = h;
    std::memmove(key_at(idx), p.data, data_size_);
    sem::copy_shared(value_at(idx), value, spec_.value_size);
    table_[find_slot(p, h)] = idx;
    order_.insert(Prefix{len, key_at(idx)});
    if (per_len_[len]++ == 0) lens_in_use_changed();
    return 0;
  }

  int64_t erase(const void* key) override {
    const uint32_t len = prefixlen_of(key);
    if (len > max_prefixlen_) return -EINVAL;
    std::unique_lock lock(mu_);
    const Prefix p{len, data_of(key)};
    uint64_t slot = find_slot(p, hash(p));
    uint32_t idx = table_[slot];
    if (idx == kNil) return -ENOENT;
    order_.erase(Prefix{len, key_at(idx)});
    remove_slot(slot);
    if (--per_len_[len] == 0) lens_in_use_changed();
    free_.push_back(idx);
    return 0;
  }

  int64_t get_next_key(const void* key, void* next_key) override {
    std::shared_lock lock(mu_);
    if (order_.empty()) return -ENOENT;
    auto next = order_.begin();
    if (key != nullptr && prefixlen_of(key) <= max_prefixlen_) {
      const Prefix p{prefixlen_of(key), data_of(key)};
      if (table_[find_slot(p, hash(p))] != kNil) {
        next = order_.upper_bound(p);
        if (next == order_.end()) return -ENOENT;
      }
    }
    auto* out = static_cast<uint8_t*>(next_key);
    std::memcpy(out, &next->len, sizeof next->len);
    std::memcpy(out + kPrefixLenSize, next->data, data_size_);
    return 0;
  }

 private:
  uint8_t* key_at(uint32_t i) const { return keys_.get() + size_t{i} * data_size_; }
  uint8_t* value_at(uint32_t i) const { return values_.data() + uint64_t{i} * value_stride_; }

  // A hash of the prefix length and the prefix's bits (the bits past it cleared).
  uint64_t hash(const Prefix& p) const {
    uint64_t h = seed_ ^ (uint64_t{p.len} * 0x9e3779b97f4a7c15ULL);
    const uint32_t full = p.len / 8;
    uint32_t i = 0;
    for (; i + 8 <= full; i += 8) {
      uint64_t w;
      std::memcpy(&w, p.data + i, 8);
      h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
      h ^= h >> 31;
    }
    uint64_t w = 0;
    for (uint32_t j = 0; i + j < full; ++j) w |= uint64_t{p.data[i + j]} << (8 * j);
    if (p.len % 8 != 0) {
      const uint8_t keep = static_cast<uint8_t>(0xff00 >> (p.len % 8));
      w ^= uint64_t{static_cast<uint8_t>(p.data[full] & keep)} << 56;
    }
    h = (h ^ w) * 0x94d049bb133111ebULL;
    h ^= h >> 29;
    return h;
  }

  bool same_prefix(uint32_t idx, const Prefix& p) const {
    return lens_[idx] == p.len && common_bits(key_at(idx), p.data, p.len) == p.len;
  }

  // The table slot holding prefix p, or the empty slot where it would go.
  uint64_t find_slot(const Prefix& p, uint64_t h) const {
    uint64_t s = h & mask_;
    while (table_[s] != kNil && !(hashes_[table_[s]] == h && same_prefix(table_[s], p))) {
      s = (s + 1) & mask_;
    }
    return s;
  }

  // Empties slot s and moves later entries of its probe run back (linear probing
  // deletion without tombstones).
  void remove_slot(uint64_t s) {
    uint64_t hole = s;
    for (uint64_t j = (s + 1) & mask_; table_[j] != kNil; j = (j + 1) & mask_) {
      const uint64_t home = hashes_[table_[j]] & mask_;
      // Move j to the hole unless its home lies cyclically in (hole, j].
      const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!stays) {
        table_[hole] = table_[j];
        hole = j;
      }
    }
    table_[hole] = kNil;
  }

  void lens_in_use_changed() {
    lens_in_use_.clear();
    for (uint32_t l = max_prefixlen_ + 1; l > 0; --l) {
      if (per_len_[l - 1] != 0) lens_in_use_.push_back(l - 1);
    }
  }

  // The element of the longest stored prefix matching the key (shared lock held). A key
  // whose prefixlen exceeds the maximum matches nothing (the recorded kernel's answer).
  uint32_t longest_match(const void* key) const {
    const uint32_t len = prefixlen_of(key);
    if (len > max_prefixlen_) return kNil;
    for (uint32_t l : lens_in_use_) {  // longest first
      if (l > len) continue;
      const Prefix p{l, data_of(key)};
      uint32_t idx = table_[find_slot(p, hash(p))];
      if (idx != kNil) return idx;
    }
    return kNil;
  }

  const uint32_t data_size_;
  const uint32_t max_prefixlen_;
  const uint64_t value_stride_;
  const uint64_t seed_;
  std::unique_ptr<uint8_t[]> keys_;     // data_size_ bytes per element, host-only
  std::unique_ptr<uint32_t[]> lens_;    // prefix length per element
  std::unique_ptr<uint64_t[]> hashes_;  // hash per element
  ZeroedBuffer values_;
  mutable std::shared_mutex mu_;
  std::vector<uint32_t> table_;  // element index or kNil
  uint64_t mask_ = 0;
  std::vector<uint32_t> free_;
  std::vector<uint32_t> per_len_;      // elements per prefix length
  std::vector<uint32_t> lens_in_use_;  // the lengths with elements, longest first
  std::set<Prefix, PostOrder> order_;  // get_next_key order
};

}  // namespace

std::shared_ptr<BpfMap> make_lpm_trie_map(const MapSpec& spec) {
  auto map = std::make_shared<LpmTrieMap>(spec);
  return map->ok() ? map : nullptr;
}

}  // namespace bpfjit::maps
