// devmap, devmap_hash, cpumap and xskmap: the targets of bpf_redirect_map, stored with the
// kernel's value layouts and update/delete errors (kernel/bpf/devmap.c, cpumap.c,
// net/xdp/xskmap.c). There are no devices, CPU queues or programs attached to entries
// here: a slot records what the host put in and resolve() hands it to a redirect.
//  - devmap (array) / devmap_hash: value u32 ifindex or {u32 ifindex; s32 prog fd}. An
//    ifindex of 0 clears a devmap slot and is refused by devmap_hash; any other ifindex
//    is taken as is (no device lookup). A prog fd above 0 (an entry program) is refused
//    with -EOPNOTSUPP. A stored 8-byte value reads back {ifindex, 0}.
//  - cpumap: value u32 qsize or {u32 qsize; s32 prog fd}, indexed by CPU (a thread slot
//    here, so keys from kMaxCpuSlots on give -ENODEV); qsize 0 clears the slot, above
//    16384 gives -EOVERFLOW.
//  - xskmap: value u32 AF_XDP socket fd, checked to be one (SO_DOMAIN); the map does not
//    own the fd. The host cannot read it back (-EOPNOTSUPP, as in the kernel); a program's
//    lookup gives a struct bpf_xdp_sock whose queue_id is the slot's index.
// The array types take no kBpfNoExist (every slot exists: -EEXIST) and never skip empty
// slots in get_next_key, as the kernel's; deleting an empty array slot succeeds.
// Writers take a mutex; programs read values in place (a concurrent update may tear a
// value, as with arrays).
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "helpers/maps.h"
#include "helpers/maps/map_impl.h"
#include "runtime/isa/semantics.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif

namespace bpfjit::maps {
namespace {

constexpr uint32_t kMaxCpumapQsize = 16384;

struct Entry {
  uint32_t first;  // ifindex, qsize or socket fd
  int32_t prog_fd;
};

Entry read_entry(const void* value, uint32_t size) {
  Entry e{0, 0};
  std::memcpy(&e.first, value, sizeof e.first);
  if (size >= sizeof(Entry)) std::memcpy(&e.prog_fd, static_cast<const uint8_t*>(value) + 4, 4);
  return e;
}

uint32_t key_u32(const void* key) {
  uint32_t k;
  std::memcpy(&k, key, sizeof k);
  return k;
}

// 0 when fd is an AF_XDP socket, else the kernel's error for it.
int64_t check_xsk_fd(uint32_t fd) {
  int domain = 0;
  socklen_t len = sizeof domain;
  if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) {
    return errno == ENOTSOCK ? -ENOTSOCK : -EBADF;
  }
  return domain == AF_XDP ? 0 : -EOPNOTSUPP;
}

// devmap, cpumap, xskmap: a slot per index.
class RedirectMapImpl final : public RedirectMap {
 public:
  explicit RedirectMapImpl(const MapSpec& spec)
      : RedirectMap(spec), stride_(round_up8(spec.value_size)) {
    values_ = std::make_unique<ZeroedBuffer>(stride_ * spec.max_entries);
    present_ = std::make_unique<std::atomic<uint8_t>[]>(spec.max_entries);
    if (spec.type == MapType::kXskmap) {
      queue_ids_ = std::make_unique<uint32_t[]>(spec.max_entries);
      for (uint32_t i = 0; i < spec.max_entries; ++i) queue_ids_[i] = i;
      add_region(queue_ids_.get(), sizeof(uint32_t) * spec.max_entries, false);
    } else {
      add_region(values_->data(), values_->size(), false);
    }
  }
  bool ok() const { return values_->ok(); }

  void* lookup(const void* key) override {
    const uint32_t i = key_u32(key);
    if (i >= spec_.max_entries || !present(i)) return nullptr;
    return spec_.type == MapType::kXskmap ? static_cast<void*>(&queue_ids_[i]) : slot(i);
  }

  int64_t host_lookup(const void* key, void* value_out) override {
    if (spec_.type == MapType::kXskmap) return -EOPNOTSUPP;
    std::lock_guard lock(mu_);
    const uint32_t i = key_u32(key);
    if (i >= spec_.max_entries || !present(i)) return -ENOENT;
    sem::copy_shared(value_out, slot(i), spec_.value_size);
    return 0;
  }

  int64_t update(const void* key, const void* value, uint64_t flags) override {
    if (flags > kBpfExist) return -EINVAL;
    const uint32_t k = key_u32(key);
    const Entry e = read_entry(value, spec_.value_size);
    if (k >= spec_.max_entries) return -E2BIG;
    std::lock_guard lock(mu_);
    if (spec_.type == MapType::kXskmap) {
      if (int64_t r = check_xsk_fd(e.first); r != 0) return r;
      const bool old = present(k);
      if (old && flags == kBpfNoExist) return -EEXIST;
      if (!old && flags == kBpfExist) return -ENOENT;
    } else {  // devmap, cpumap
      if (flags == kBpfNoExist) return -EEXIST;
      if (spec_.type == MapType::kCpumap) {
        if (e.first > kMaxCpumapQsize) return -EOVERFLOW;
        if (k >= kMaxCpuSlots) return -ENODEV;
      }
      if (e.first == 0) {  // clears the slot (a program with it is refused)
        if (e.prog_fd > 0) return -EINVAL;
        present_[k].store(0, std::memory_order_release);
        return 0;
      }
      if (e.prog_fd > 0) return -EOPNOTSUPP;
    }
    // The program fd becomes the attached program's id: 0, none.
    const Entry kept{e.first, 0};
    std::memcpy(slot(k), &kept, spec_.value_size);
    present_[k].store(1, std::memory_order_release);
    return 0;
  }

  int64_t erase(const void* key) override {
    const uint32_t k = key_u32(key);
    if (k >= spec_.max_entries) return -EINVAL;
    std::lock_guard lock(mu_);
    present_[k].store(0, std::memory_order_release);
    return 0;
  }

  int64_t get_next_key(const void* key, void* next_key) override {
    return next_index(key, next_key, spec_.max_entries);
  }

  bool resolve(uint32_t key, RedirectTarget* out) override {
    Entry e{0, 0};
    {
      std::lock_guard lock(mu_);
      if (key >= spec_.max_entries || !present(key)) return false;
      std::memcpy(&e, slot(key), spec_.value_size);
    }
    *out = RedirectTarget{};
    out->type = spec_.type;
    out->key = key;
    if (spec_.type == MapType::kCpumap) {
      out->qsize = e.first;
    } else if (spec_.type == MapType::kXskmap) {
      out->xsk_fd = e.first;
    } else {
      out->ifindex = e.first;
    }
    return true;
  }

 private:
  bool present(uint32_t i) const { return present_[i].load(std::memory_order_acquire) != 0; }
  uint8_t* slot(uint32_t i) const { return values_->data() + uint64_t{i} * stride_; }

  const uint64_t stride_;
  std::unique_ptr<ZeroedBuffer> values_;    // the array types: a value per slot
  std::unique_ptr<std::atomic<uint8_t>[]> present_;
  std::unique_ptr<uint32_t[]> queue_ids_;   // xskmap: what programs read as queue_id
  std::mutex mu_;
};


// devmap_hash: the kernel's table of roundup_pow_of_two(max_entries) buckets chosen by
// key & (buckets - 1), each a chain with the newest element first (an update moves its
// element to the front); get_next_key walks the chain, then the following buckets.
class DevmapHash final : public RedirectMap {
 public:
  explicit DevmapHash(const MapSpec& spec)
      : RedirectMap(spec), values_(sizeof(Entry) * spec.max_entries),
        keys_(spec.max_entries) {
    uint32_t n = 1;
    while (n < spec.max_entries) n <<= 1;
    buckets_.resize(n);
    for (uint32_t i = spec.max_entries; i > 0; --i) free_.push_back(i - 1);
    add_region(values_.data(), values_.size(), false);
  }
  bool ok() const { return values_.ok(); }

  void* lookup(const void* key) override {
    std::lock_guard lock(mu_);
    const uint32_t e = find(key_u32(key));
    return e == kNil ? nullptr : entry(e);
  }

  int64_t host_lookup(const void* key, void* value_out) override {
    std::lock_guard lock(mu_);
    const uint32_t e = find(key_u32(key));
    if (e == kNil) return -ENOENT;
    std::memcpy(value_out, entry(e), spec_.value_size);
    return 0;
  }

  int64_t update(const void* key, const void* value, uint64_t flags) override {
    const Entry v = read_entry(value, spec_.value_size);
    if (flags > kBpfExist || v.first == 0) return -EINVAL;
    if (v.prog_fd > 0) return -EOPNOTSUPP;
    const uint32_t k = key_u32(key);
    std::lock_guard lock(mu_);
    uint32_t e = find(k);
    if (e != kNil && flags == kBpfNoExist) return -EEXIST;  // the kernel checks no more
    if (e != kNil) {
      unlink(k, e);
    } else {
      if (free_.empty()) return -E2BIG;
      e = free_.back();
      free_.pop_back();
      keys_[e] = k;
    }
    *entry(e) = Entry{v.first, 0};
    auto& chain = buckets_[k & (buckets_.size() - 1)];
    chain.insert(chain.begin(), e);
    return 0;
  }

  int64_t erase(const void* key) override {
    const uint32_t k = key_u32(key);
    std::lock_guard lock(mu_);
    const uint32_t e = find(k);
    if (e == kNil) return -ENOENT;
    unlink(k, e);
    free_.push_back(e);
    return 0;
  }

  int64_t get_next_key(const void* key, void* next_key) override {
    std::lock_guard lock(mu_);
    size_t b = 0;
    if (key != nullptr) {
      const uint32_t k = key_u32(key);
      const auto& chain = buckets_[k & (buckets_.size() - 1)];
      for (size_t i = 0; i < chain.size(); ++i) {
        if (keys_[chain[i]] != k) continue;
        if (i + 1 < chain.size()) return put_key(keys_[chain[i + 1]], next_key);
        b = (k & (buckets_.size() - 1)) + 1;
        break;
      }
    }
    for (; b < buckets_.size(); ++b) {
      if (!buckets_[b].empty()) return put_key(keys_[buckets_[b].front()], next_key);
    }
    return -ENOENT;
  }

  bool resolve(uint32_t key, RedirectTarget* out) override {
    std::lock_guard lock(mu_);
    const uint32_t e = find(key);
    if (e == kNil) return false;
    *out = RedirectTarget{};
    out->type = spec_.type;
    out->key = key;
    out->ifindex = entry(e)->first;
    return true;
  }

 private:
  Entry* entry(uint32_t e) const { return reinterpret_cast<Entry*>(values_.data()) + e; }
  uint32_t find(uint32_t k) const {
    for (uint32_t e : buckets_[k & (buckets_.size() - 1)]) {
      if (keys_[e] == k) return e;
    }
    return kNil;
  }
  void unlink(uint32_t k, uint32_t e) {
    auto& chain = buckets_[k & (buckets_.size() - 1)];
    chain.erase(std::find(chain.begin(), chain.end(), e));
  }
  static int64_t put_key(uint32_t k, void* next_key) {
    std::memcpy(next_key, &k, sizeof k);
    return 0;
  }

  ZeroedBuffer values_;          // an Entry per element (value_size bytes of it are used)
  std::vector<uint32_t> keys_;   // the key per element
  std::vector<std::vector<uint32_t>> buckets_;
  std::vector<uint32_t> free_;
  std::mutex mu_;
};

}  // namespace

std::shared_ptr<BpfMap> make_redirect_map(const MapSpec& spec) {
  if (spec.type == MapType::kDevmapHash) {
    auto map = std::make_shared<DevmapHash>(spec);
    return map->ok() ? map : nullptr;
  }
  auto map = std::make_shared<RedirectMapImpl>(spec);
  return map->ok() ? map : nullptr;
}

}  // namespace bpfjit::maps
