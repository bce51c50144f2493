// hash, percpu_hash, lru_hash and lru_percpu_hash: chained hashing over preallocated
// elements.
//
// Element i has its key at keys_[i] (a read-only region for programs), its value at
// values_[i] (all slots for per-CPU maps) and its bookkeeping (chain link, hash, LRU links,
// referenced bit) in host-only arrays. Buckets are guarded by a fixed set of striped
// mutexes; the free list has its own lock, taken inside a stripe lock, never the reverse.
//
// LRU. Updates and deletes of an lru_hash map are serialised under lru_mu_ (taken before
// any stripe lock); lookups only set the element's referenced bit. When the map is full,
// an insertion evicts from the tail of the list with a second chance: a referenced element
// is cleared and moved to the head, the first unreferenced one is evicted. This is the
// CLOCK approximation of LRU: an element looked up or updated since it last reached the
// tail survives one more round; among the unreferenced, the least recently inserted goes
// first. Like the kernel's LRU, it is approximate, but deterministic for one thread.
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <vector>

#include "helpers/maps.h"
#include "runtime/isa/semantics.h"
#include "helpers/maps/map_impl.h"

namespace bpfjit::maps {
namespace {

constexpr uint32_t kStripes = 64;

uint64_t random_seed() {
  static std::atomic<uint64_t> counter{std::random_device{}()};
  return counter.fetch_add(0x9e3779b97f4a7c15ULL, std::memory_order_relaxed);
}

class HashMap final : public BpfMap {
 public:
  explicit HashMap(const MapSpec& spec)
      : BpfMap(spec),
        lru_(spec.type == MapType::kLruHash || spec.type == MapType::kLruPercpuHash),
        n_(spec.max_entries),
        key_stride_(round_up8(spec.key_size)),
        slot_size_(round_up8(spec.value_size)),
        stride_(slot_size_ * slot_count()),
        seed_(random_seed()),
        keys_(key_stride_ * n_),
        values_(stride_ * n_),
        next_(std::make_unique<uint32_t[]>(n_)),
        hash_(std::make_unique<uint32_t[]>(n_)),
        stripes_(std::make_unique<std::mutex[]>(kStripes)) {
    uint32_t nb = 1;
    while (nb < n_) nb <<= 1;
    mask_ = nb - 1;
    buckets_ = std::make_unique<uint32_t[]>(nb);
    for (uint32_t b = 0; b < nb; ++b) buckets_[b] = kNil;
    free_.reserve(n_);
    for (uint32_t i = n_; i > 0; --i) free_.push_back(i - 1);
    if (lru_) {
      lru_prev_ = std::make_unique<uint32_t[]>(n_);
      lru_next_ = std::make_unique<uint32_t[]>(n_);
      ref_ = std::make_unique<std::atomic<uint8_t>[]>(n_);
    }
    add_region(values_.data(), values_.size(), true);
    add_region(keys_.data(), keys_.size(), false);
  }
  bool ok() const { return keys_.ok() && values_.ok(); }

  void* lookup(const void* key) override {
    uint32_t h = hash(key);
    uint32_t idx;
    {
      std::lock_guard lock(stripe(h & mask_));
      idx = find(h, key, nullptr);
    }
    if (idx == kNil) return nullptr;
    touch(idx);
    return slot(idx);
  }

  int64_t update(const void* key, const void* value, uint64_t flags) override {
    return store(key, value, flags, false);
  }
  int64_t host_update(const void* key, const void* value, uint64_t flags) override {
    return store(key, value, flags, true);
  }

  int64_t host_lookup(const void* key, void* value_out) override {
    uint32_t h = hash(key);
    std::lock_guard lock(stripe(h & mask_));
    uint32_t idx = find(h, key, nullptr);
    if (idx == kNil) return -ENOENT;
    sem::copy_shared(value_out, elem(idx), percpu() ? stride_ : spec_.value_size);
    return 0;
  }

  int64_t erase(const void* key) override {
    std::unique_lock<std::mutex> lru_lock;
    if (lru_) lru_lock = std::unique_lock(lru_mu_);
    uint32_t h = hash(key);
    uint32_t idx;
    {
      std::lock_guard lock(stripe(h & mask_));
      uint32_t* link = nullptr;
      idx = find(h, key, &link);
      if (idx == kNil) return -ENOENT;
      *link = next_[idx];
    }
    if (lru_) lru_unlink(idx);
    release(idx);
    return 0;
  }

  int64_t get_next_key(const void* key, void* next_key) override {
    uint64_t start = 0;
    if (key != nullptr) {
      uint32_t h = hash(key);
      uint32_t b = h & mask_;
      std::lock_guard lock(stripe(b));
      uint32_t idx = find(h, key, nullptr);
      if (idx != kNil) {
        if (next_[idx] != kNil) {
          std::memcpy(next_key, key_at(next_[idx]), spec_.key_size);
          return 0;
        }
        start = uint64_t{b} + 1;
      }
    }
    for (uint64_t b = start; b <= mask_; ++b) {
      std::lock_guard lock(stripe(static_cast<uint32_t>(b)));
      uint32_t head = buckets_[b];
      if (head != kNil) {
        std::memcpy(next_key, key_at(head), spec_.key_size);
        return 0;
      }
    }
    return -ENOENT;
  }

  int64_t for_each_elem(const std::function<bool(const void*, void*)>& fn) override {
    int64_t n = 0;
    std::vector<uint32_t> chain;
    for (uint64_t b = 0; b <= mask_; ++b) {
      chain.clear();
      {
        std::lock_guard lock(stripe(static_cast<uint32_t>(b)));
        for (uint32_t i = buckets_[b]; i != kNil; i = next_[i]) chain.push_back(i);
      }
      // The callback runs without locks: it may call helpers on this map.
      for (uint32_t i : chain) {
        ++n;
        if (!fn(key_at(i), slot(i))) return n;
      }
    }
    return n;
  }

 private:
  uint32_t hash(const void* key) const {
    const auto* p = static_cast<const uint8_t*>(key);
    uint64_t h = seed_ ^ (uint64_t{spec_.key_size} * 0x9e3779b97f4a7c15ULL);
    uint32_t left = spec_.key_size;
    while (left > 0) {
      uint64_t w = 0;
      uint32_t take = left < 8 ? left : 8;
      std::memcpy(&w, p, take);
      h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
      h ^= h >> 31;
      p += take;
      left -= take;
    }
    h ^= h >> 29;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 32;
    return static_cast<uint32_t>(h);
  }

  std::mutex& stripe(uint32_t bucket) const { return stripes_[bucket % kStripes]; }
  uint8_t* key_at(uint32_t i) const { return keys_.data() + uint64_t{i} * key_stride_; }
  uint8_t* elem(uint32_t i) const { return values_.data() + uint64_t{i} * stride_; }
  uint8_t* slot(uint32_t i) const {
    uint8_t* e = elem(i);
    return percpu() ? e + uint64_t{cpu_slot()} * slot_size_ : e;
  }

  // The element holding `key` in its bucket (stripe lock held), or kNil. When `link` is
  // given it receives the pointer to the chain link that points at the element.
  uint32_t find(uint32_t h, const void* key, uint32_t** link) const {
    uint32_t* at = &buckets_[h & mask_];
    while (*at != kNil) {
      uint32_t i = *at;
      if (hash_[i] == h && std::memcmp(key_at(i), key, spec_.key_size) == 0) {
        if (link != nullptr) *link = at;
        return i;
      }
      at = &next_[i];
    }
    return kNil;
  }

  void write_value(uint32_t idx, const void* value, bool host, bool fresh) {
    if (percpu()) {
      if (host) {
        sem::copy_shared(elem(idx), value, stride_);
        return;
      }
      if (fresh) std::memset(elem(idx), 0, stride_);
      sem::copy_shared(slot(idx), value, spec_.value_size);
      return;
    }
    copy_map_value(slot(idx), value, spec_, fresh);
  }

  int64_t store(const void* key, const void* value, uint64_t flags, bool host) {
    if (flags > kBpfExist) return -EINVAL;
    std::unique_lock<std::mutex> lru_lock;
    if (lru_) lru_lock = std::unique_lock(lru_mu_);
    uint32_t h = hash(key);
    uint32_t b = h & mask_;
    {
      std::lock_guard lock(stripe(b));
      uint32_t idx = find(h, key, nullptr);
      if (idx != kNil) {
        if (flags == kBpfNoExist) return -EEXIST;
        write_value(idx, value, host, false);
        touch(idx);
        return 0;
      }
      if (flags == kBpfExist) return -ENOENT;
      if (!lru_) {
        idx = acquire();
        if (idx == kNil) return -E2BIG;
        init(idx, h, key, value, host);
        return 0;
      }
    }
    // lru_hash: lru_mu_ keeps other writers away while the stripe lock is dropped to
    // evict (the victim may live under another stripe).
    uint32_t idx = acquire();
    if (idx == kNil) idx = evict();
    std::lock_guard lock(stripe(b));
    init(idx, h, key, value, host);
    lru_push_head(idx);
    return 0;
  }

  // Fills element idx and links it at the head of its bucket (stripe lock held).
  void init(uint32_t idx, uint32_t h, const void* key, const void* value, bool host) {
    hash_[idx] = h;
    std::memmove(key_at(idx), key, spec_.key_size);
    write_value(idx, value, host, true);
    uint32_t b = h & mask_;
    next_[idx] = buckets_[b];
    buckets_[b] = idx;
    if (lru_) ref_[idx].store(0, std::memory_order_relaxed);
  }

  uint32_t acquire() {
    std::lock_guard lock(free_mu_);
    if (free_.empty()) return kNil;
    uint32_t idx = free_.back();
    free_.pop_back();
    return idx;
  }
  void release(uint32_t idx) {
    std::lock_guard lock(free_mu_);
    free_.push_back(idx);
  }

  void touch(uint32_t idx) {
    if (lru_ && ref_[idx].load(std::memory_order_relaxed) == 0) {
      ref_[idx].store(1, std::memory_order_relaxed);
    }
  }

  // LRU list, under lru_mu_.
  void lru_push_head(uint32_t idx) {
    lru_prev_[idx] = kNil;
    lru_next_[idx] = lru_head_;
    if (lru_head_ != kNil) lru_prev_[lru_head_] = idx;
    lru_head_ = idx;
    if (lru_tail_ == kNil) lru_tail_ = idx;
  }
  void lru_unlink(uint32_t idx) {
    uint32_t p = lru_prev_[idx], n = lru_next_[idx];
    (p != kNil ? lru_next_[p] : lru_head_) = n;
    (n != kNil ? lru_prev_[n] : lru_tail_) = p;
  }
  // Removes the least recently used element from its bucket and the list (lru_mu_ held,
  // the map full, so the list is not empty).
  uint32_t evict() {
    uint32_t victim = lru_tail_;
    while (ref_[victim].load(std::memory_order_relaxed) != 0) {
      ref_[victim].store(0, std::memory_order_relaxed);
      lru_unlink(victim);
      lru_push_head(victim);
      victim = lru_tail_;
    }
    lru_unlink(victim);
    uint32_t b = hash_[victim] & mask_;
    std::lock_guard lock(stripe(b));
    uint32_t* at = &buckets_[b];
    while (*at != victim) at = &next_[*at];
    *at = next_[victim];
    return victim;
  }

  const bool lru_;
  const uint32_t n_;
  const uint64_t key_stride_;
  const uint64_t slot_size_;
  const uint64_t stride_;
  const uint64_t seed_;
  ZeroedBuffer keys_;
  ZeroedBuffer values_;
  std::unique_ptr<uint32_t[]> next_;
  std::unique_ptr<uint32_t[]> hash_;
  std::unique_ptr<uint32_t[]> buckets_;
  uint32_t mask_ = 0;
  std::unique_ptr<std::mutex[]> stripes_;
  std::mutex free_mu_;
  std::vector<uint32_t> free_;
  std::mutex lru_mu_;
  std::unique_ptr<uint32_t[]> lru_prev_;
  std::unique_ptr<uint32_t[]> lru_next_;
  std::unique_ptr<std::atomic<uint8_t>[]> ref_;
  uint32_t lru_head_ = kNil;
  uint32_t lru_tail_ = kNil;
};

}  // namespace

std::shared_ptr<BpfMap> make_hash_map(const MapSpec& spec) {
  auto map = std::make_shared<HashMap>(spec);
  return map->ok() ? map : nullptr;
}

}  // namespace bpfjit::maps
