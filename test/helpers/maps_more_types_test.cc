// The map types added to the runtime after the first set: lpm_trie, bloom_filter,
// lru_percpu_hash, array_of_maps/hash_of_maps, devmap/devmap_hash/cpumap/xskmap and
// perf_event_array, each against the kernel's semantics (kernel/bpf/*.c) through the
// program-side calls, the host-side calls and, where a helper is involved, the helper.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <random>
#include <thread>
#include <vector>

#include "helpers/helper_table.h"
#include "helpers/map_types.h"
#include "helpers/maps.h"
#include "helpers_test_util.h"

namespace bpfjit {
namespace {

using testing::addr;
using testing::HelperEnv;
using testing::must_create;

std::string create_error(const MapSpec& spec) {
  auto r = create_map(spec);
  return r.ok() ? "created" : r.error().message;
}

// ---- lpm_trie ------------------------------------------------------------------------

struct Ipv4Key {
  uint32_t prefixlen;
  uint8_t addr[4];
};

Ipv4Key v4(uint32_t len, uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return Ipv4Key{len, {a, b, c, d}};
}

std::shared_ptr<BpfMap> ipv4_trie(uint32_t max_entries) {
  return must_create({MapType::kLpmTrie, "routes", 8, 4, max_entries, kMapFlagNoPrealloc});
}

int64_t put(BpfMap& m, const Ipv4Key& k, uint32_t v, uint64_t flags = kBpfAny) {
  return m.update(&k, &v, flags);
}

// The value the longest match gives, or -1.
int64_t match(BpfMap& m, const Ipv4Key& k) {
  void* v = m.lookup(&k);
  if (v == nullptr) return -1;
  uint32_t out;
  std::memcpy(&out, v, 4);
  return out;
}

TEST(LpmTrieTest, CreationFollowsTheKernel) {
  EXPECT_EQ(create_error({MapType::kLpmTrie, "t", 8, 4, 16, 0}),
            "map t: lpm_trie maps need flag BPF_F_NO_PREALLOC (0x1)");
  EXPECT_EQ(create_error({MapType::kLpmTrie, "t", 4, 4, 16, kMapFlagNoPrealloc}),
            "map t: key_size 4 must be 5 to 260 (a u32 prefix length and the data) for "
            "lpm_trie maps");
  EXPECT_EQ(create_error({MapType::kLpmTrie, "t", 261, 4, 16, kMapFlagNoPrealloc}),
            "map t: key_size 261 must be 5 to 260 (a u32 prefix length and the data) for "
            "lpm_trie maps");
  EXPECT_EQ(create_error({MapType::kLpmTrie, "t", 8, 4, 16, kMapFlagNoPrealloc | 0x40}),
            "map t: flags 0x40 are not supported for lpm_trie maps");
  EXPECT_EQ(create_error({MapType::kLpmTrie, "t", 260, 1, 1, kMapFlagNoPrealloc}), "created");
}

TEST(LpmTrieTest, LookupGivesTheLongestMatchingPrefix) {
  auto m = ipv4_trie(16);
  ASSERT_EQ(put(*m, v4(8, 10, 0, 0, 0), 1), 0);
  ASSERT_EQ(put(*m, v4(16, 10, 1, 0, 0), 2), 0);
  ASSERT_EQ(put(*m, v4(24, 10, 1, 2, 0), 3), 0);
  ASSERT_EQ(put(*m, v4(16, 192, 168, 0, 0), 4), 0);
  EXPECT_EQ(match(*m, v4(32, 10, 1, 2, 3)), 3);
  EXPECT_EQ(match(*m, v4(32, 10, 1, 9, 9)), 2);
  EXPECT_EQ(match(*m, v4(32, 10, 200, 0, 1)), 1);
  EXPECT_EQ(match(*m, v4(32, 192, 168, 77, 1)), 4);
  EXPECT_EQ(match(*m, v4(32, 11, 1, 2, 3)), -1);
  // The key's prefixlen bounds the match: /24 and /16 entries are longer than /12.
  EXPECT_EQ(match(*m, v4(12, 10, 1, 2, 3)), 1);
  EXPECT_EQ(match(*m, v4(16, 10, 1, 2, 3)), 2);
  EXPECT_EQ(match(*m, v4(7, 10, 1, 2, 3)), -1);
  // Above the maximum matches nothing, as in the kernel.
  EXPECT_EQ(match(*m, v4(33, 10, 1, 2, 3)), -1);
  // A /0 entry matches everything.
  ASSERT_EQ(put(*m, v4(0, 0, 0, 0, 0), 9), 0);
  EXPECT_EQ(match(*m, v4(32, 11, 1, 2, 3)), 9);
  EXPECT_EQ(match(*m, v4(0, 10, 1, 2, 3)), 9);
  // Prefixes that end inside a byte.
  ASSERT_EQ(put(*m, v4(13, 172, 16, 0, 0), 5), 0);  // 172.16.0.0/13: 172.16-172.23
  EXPECT_EQ(match(*m, v4(32, 172, 23, 255, 1)), 5);
  EXPECT_EQ(match(*m, v4(32, 172, 24, 0, 1)), 9);
  // The host's lookup is the same longest-prefix match (bpf(BPF_MAP_LOOKUP_ELEM)).
  uint32_t out = 0;
  auto key = v4(32, 10, 1, 2, 200);
  ASSERT_EQ(m->host_lookup(&key, &out), 0);
  EXPECT_EQ(out, 3u);
  ASSERT_NE(m->regions().size(), 0u);
}

TEST(LpmTrieTest, UpdateAndDeleteNameAPrefixExactly) {
  auto m = ipv4_trie(2);
  EXPECT_EQ(put(*m, v4(16, 10, 1, 0, 0), 1, kBpfExist), -ENOENT);
  EXPECT_EQ(put(*m, v4(16, 10, 1, 0, 0), 1, kBpfNoExist), 0);
  // Bits past the prefix do not make another key.
  EXPECT_EQ(put(*m, v4(16, 10, 1, 99, 99), 2, kBpfNoExist), -EEXIST);
  EXPECT_EQ(put(*m, v4(16, 10, 1, 99, 99), 2, kBpfExist), 0);
  EXPECT_EQ(match(*m, v4(32, 10, 1, 0, 1)), 2);
  EXPECT_EQ(put(*m, v4(33, 10, 1, 0, 0), 1), -EINVAL);
  EXPECT_EQ(put(*m, v4(8, 10, 0, 0, 0), 1, 3), -EINVAL);
  EXPECT_EQ(put(*m, v4(8, 10, 0, 0, 0), 3), 0);
  // Full: a new prefix gives -ENOSPC, replacing one still works.
  EXPECT_EQ(put(*m, v4(24, 10, 1, 2, 0), 4), -ENOSPC);
  EXPECT_EQ(put(*m, v4(8, 10, 0, 0, 0), 5), 0);
  EXPECT_EQ(match(*m, v4(32, 10, 7, 0, 1)), 5);
  // Delete: exact prefix only.
  auto k15 = v4(15, 10, 1, 0, 0);
  auto k33 = v4(33, 10, 1, 0, 0);
  auto k16 = v4(16, 10, 1, 255, 0);
  EXPECT_EQ(m->erase(&k15), -ENOENT);
  EXPECT_EQ(m->erase(&k33), -EINVAL);
  EXPECT_EQ(m->erase(&k16), 0);
  EXPECT_EQ(m->erase(&k16), -ENOENT);
  EXPECT_EQ(match(*m, v4(32, 10, 1, 0, 1)), 5);
  EXPECT_EQ(put(*m, v4(24, 10, 1, 2, 0), 4), 0);  // room again
}

// The order of kernel/bpf/lpm_trie.c's trie_get_next_key example: more specific first.
TEST(LpmTrieTest, GetNextKeyWalksThePostorder) {
  auto m = ipv4_trie(16);
  ASSERT_EQ(put(*m, v4(16, 192, 168, 0, 0), 1), 0);
  ASSERT_EQ(put(*m, v4(24, 192, 168, 128, 0), 2), 0);
  ASSERT_EQ(put(*m, v4(24, 192, 168, 0, 0), 3), 0);
  ASSERT_EQ(put(*m, v4(24, 192, 168, 1, 0), 4), 0);
  ASSERT_EQ(put(*m, v4(8, 10, 0, 0, 0), 5), 0);
  std::vector<std::pair<uint32_t, uint8_t>> seen;  // prefixlen, third byte
  Ipv4Key k{}, next{};
  const void* prev = nullptr;
  while (m->get_next_key(prev, &next) == 0) {
    seen.push_back({next.prefixlen, next.addr[0] == 10 ? 10 : next.addr[2]});
    k = next;
    prev = &k;
  }
  const std::vector<std::pair<uint32_t, uint8_t>> want = {
      {8, 10}, {24, 0}, {24, 1}, {24, 128}, {16, 0}};
  EXPECT_EQ(seen, want);
  // An absent key restarts from the first; prefixlen above the maximum too.
  auto absent = v4(24, 192, 168, 2, 0);
  ASSERT_EQ(m->get_next_key(&absent, &next), 0);
  EXPECT_EQ(next.prefixlen, 8u);
  auto bad = v4(40, 192, 168, 0, 0);
  ASSERT_EQ(m->get_next_key(&bad, &next), 0);
  EXPECT_EQ(next.prefixlen, 8u);
  auto empty = ipv4_trie(4);
  EXPECT_EQ(empty->get_next_key(nullptr, &next), -ENOENT);
}

// Random prefixes against a brute-force model of the longest match.
TEST(LpmTrieTest, AgreesWithABruteForceModel) {
  auto m = ipv4_trie(512);
  std::mt19937 rng(7);
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> model;  // (len, masked addr) -> value
  auto mask = [](uint32_t len) { return len == 0 ? 0u : ~0u << (32 - len); };
  auto key_of = [](uint32_t len, uint32_t a) {
    return v4(len, a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
  };
  for (int i = 0; i < 2000; ++i) {
    const uint32_t len = rng() % 33;
    const uint32_t a = (rng() & 0x0f0f0f0f) | 0x0a000000;  // a small address space
    const auto k = key_of(len, a);
    if (rng() % 4 == 0) {
      const bool had = model.erase({len, a & mask(len)}) != 0;
      EXPECT_EQ(m->erase(&k), had ? 0 : -ENOENT);
    } else if (model.size() < 512 || model.count({len, a & mask(len)}) != 0) {
      const uint32_t v = static_cast<uint32_t>(i);
      ASSERT_EQ(put(*m, k, v), 0);
      model[{len, a & mask(len)}] = v;
    }
    const uint32_t probe = (rng() & 0x0f0f0f0f) | 0x0a000000;
    int64_t want = -1;
    for (int32_t l = 32; l >= 0 && want < 0; --l) {
      auto it = model.find({l, probe & mask(l)});
      if (it != model.end()) want = it->second;
    }
    ASSERT_EQ(match(*m, key_of(32, probe)), want) << "step " << i;
  }
  size_t n = 0;
  Ipv4Key k{}, next{};
  const void* prev = nullptr;
  while (m->get_next_key(prev, &next) == 0) {
    ++n;
    k = next;
    prev = &k;
  }
  EXPECT_EQ(n, model.size());
}

// ---- bloom_filter --------------------------------------------------------------------

TEST(BloomFilterTest, CreationFollowsTheKernel) {
  EXPECT_EQ(create_error({MapType::kBloomFilter, "b", 4, 4, 100, 0}),
            "map b: key_size 4 must be 0 for bloom_filter maps");
  MapSpec s{MapType::kBloomFilter, "b", 0, 4, 100, 0};
  s.map_extra = 16;
  EXPECT_EQ(create_error(s),
            "map b: map_extra 0x10 must be 0 to 15 (the number of hash functions) for "
            "bloom_filter maps");
  MapSpec h{MapType::kHash, "h", 4, 4, 100, 0};
  h.map_extra = 1;
  EXPECT_EQ(create_error(h), "map h: map_extra 0x1 must be 0 for hash maps");
  s.map_extra = 3;
  EXPECT_EQ(create_error(s), "created");
}

TEST(BloomFilterTest, NoFalseNegativesAndFewFalsePositives) {
  for (uint64_t k : {0, 1, 3, 15}) {
    MapSpec s{MapType::kBloomFilter, "b", 0, 8, 1000, 0};
    s.map_extra = k;
    auto m = must_create(s);
    for (uint64_t v = 0; v < 1000; ++v) {
      uint64_t x = v * 7919;
      ASSERT_EQ(m->push(&x, kBpfAny), 0);
    }
    for (uint64_t v = 0; v < 1000; ++v) {
      uint64_t x = v * 7919;
      ASSERT_EQ(m->peek(&x), 0) << "false negative for " << x << " with k " << k;
    }
    int positives = 0;
    for (uint64_t v = 0; v < 10000; ++v) {
      uint64_t x = v * 7919 + 1;
      if (m->peek(&x) == 0) ++positives;
    }
    // The kernel's sizing: bits = max_entries * k * 7 / 5, rounded up to a power of two;
    // the expected false-positive rate is (1 - e^(-k n / bits))^k.
    const double nk = k == 0 ? 5.0 : static_cast<double>(k);
    double bits = 64;
    while (bits < 1000 * nk / 5 * 7) bits *= 2;
    const double rate = std::pow(1 - std::exp(-nk * 1000 / bits), nk);
    EXPECT_LT(positives, 10000 * (1.5 * rate + 0.005)) << "k " << k << ", rate " << rate;
  }
}

TEST(BloomFilterTest, OnlyPushAndPeek) {
  auto m = must_create({MapType::kBloomFilter, "b", 0, 4, 10, 0});
  uint32_t x = 42;
  EXPECT_EQ(m->peek(&x), -ENOENT);
  EXPECT_EQ(m->push(&x, kBpfExist), -EINVAL);
  EXPECT_EQ(m->push(&x, kBpfAny), 0);
  EXPECT_EQ(m->peek(&x), 0);
  EXPECT_EQ(m->pop(&x), -EINVAL);
  EXPECT_EQ(m->erase(&x), -EINVAL);
  EXPECT_EQ(m->lookup(&x), nullptr);
  EXPECT_EQ(m->get_next_key(nullptr, &x), -EINVAL);
  // The host's update pushes and its lookup tests.
  uint32_t y = 7;
  EXPECT_EQ(m->host_lookup(nullptr, &y), -ENOENT);
  EXPECT_EQ(m->host_update(nullptr, &y, kBpfAny), 0);
  EXPECT_EQ(m->host_lookup(nullptr, &y), 0);
  EXPECT_EQ(y, 7u);
  // BPF_F_ZERO_SEED: two filters agree bit for bit.
  auto a = must_create({MapType::kBloomFilter, "a", 0, 4, 10, kFlagZeroSeed});
  auto b = must_create({MapType::kBloomFilter, "b", 0, 4, 10, kFlagZeroSeed});
  for (uint32_t v = 0; v < 5; ++v) ASSERT_EQ(a->push(&v, 0), 0);
  for (uint32_t v = 0; v < 5; ++v) ASSERT_EQ(b->push(&v, 0), 0);
  for (uint32_t v = 0; v < 1000; ++v) EXPECT_EQ(a->peek(&v), b->peek(&v)) << v;
}

// ---- lru_percpu_hash -----------------------------------------------------------------

TEST(LruPercpuHashTest, PerThreadValuesAndEviction) {
  auto m = must_create({MapType::kLruPercpuHash, "l", 4, 8, 2, 0});
  ASSERT_TRUE(m->percpu());
  EXPECT_EQ(m->slot_count(), kMaxCpuSlots);
  uint32_t k1 = 1, k2 = 2, k3 = 3;
  uint64_t v = 10;
  ASSERT_EQ(m->update(&k1, &v, kBpfAny), 0);
  const uint32_t me = cpu_slot();
  uint32_t other = 0;
  std::thread([&] {
    other = cpu_slot();
    uint64_t w = 20;
    void* p = m->lookup(&k1);
    ASSERT_NE(p, nullptr);
    std::memcpy(p, &w, 8);
  }).join();
  ASSERT_NE(me, other);
  std::vector<uint64_t> all(kMaxCpuSlots);
  ASSERT_EQ(m->host_lookup(&k1, all.data()), 0);
  EXPECT_EQ(all[me], 10u);
  EXPECT_EQ(all[other], 20u);
  // k1 was used; k2 is the least recently used when k3 comes in.
  ASSERT_EQ(m->update(&k2, &v, kBpfAny), 0);
  ASSERT_NE(m->lookup(&k1), nullptr);
  ASSERT_EQ(m->update(&k3, &v, kBpfAny), 0);
  EXPECT_NE(m->lookup(&k1), nullptr);
  EXPECT_EQ(m->lookup(&k2), nullptr);
  EXPECT_NE(m->lookup(&k3), nullptr);
}

// ---- array_of_maps and hash_of_maps --------------------------------------------------

MapSpec of_maps(MapType type, uint32_t key_size, const MapSpec& inner) {
  MapSpec s{type, "outer", key_size, 4, 4, 0};
  s.inner = std::make_shared<MapSpec>(inner);
  return s;
}

const MapSpec kInner{MapType::kArray, "inner", 4, 8, 2, 0};

TEST(MapOfMapsTest, CreationChecksTheTemplate) {
  MapSpec nested = of_maps(MapType::kArrayOfMaps, 4, kInner);
  EXPECT_EQ(create_error(of_maps(MapType::kArrayOfMaps, 4, nested)),
            "map outer: an inner map cannot be a array_of_maps map");
  EXPECT_EQ(create_error(of_maps(MapType::kArrayOfMaps, 4, {MapType::kArray, "i", 8, 8, 2, 0})),
            "map outer: inner map template: map i: key_size 8 must be 4 for array maps");
  MapSpec h{MapType::kHash, "h", 4, 4, 4, 0};
  h.inner = std::make_shared<MapSpec>(kInner);
  EXPECT_EQ(create_error(h), "map h: hash maps have no inner map template");
  // Without a template (legacy definitions) the map exists and takes nothing.
  auto bare = must_create({MapType::kArrayOfMaps, "bare", 4, 4, 4, 0});
  auto inner = must_create(kInner);
  uint32_t k = 0;
  EXPECT_EQ(static_cast<MapOfMaps&>(*bare).set_inner(&k, inner, kBpfAny), -EINVAL);
}

TEST(MapOfMapsTest, ArrayOfMapsHoldsMapsByIdAndKeepsThemAlive) {
  auto outer_map = must_create(of_maps(MapType::kArrayOfMaps, 4, kInner));
  auto& outer = static_cast<MapOfMaps&>(*outer_map);
  auto a = must_create(kInner);
  auto wrong = must_create({MapType::kArray, "wrong", 4, 8, 3, 0});  // max_entries differs
  ASSERT_NE(a->id(), 0u);
  EXPECT_EQ(BpfMap::by_id(a->id()), a);
  uint32_t k1 = 1, k9 = 9;
  uint32_t id = a->id();
  EXPECT_EQ(outer.host_update(&k1, &id, kBpfNoExist), -EINVAL);  // array: BPF_ANY only
  EXPECT_EQ(outer.host_update(&k9, &id, kBpfAny), -E2BIG);
  uint32_t bad_id = 0xfffffff0;
  EXPECT_EQ(outer.host_update(&k1, &bad_id, kBpfAny), -EBADF);
  uint32_t wrong_id = wrong->id();
  EXPECT_EQ(outer.host_update(&k1, &wrong_id, kBpfAny), -EINVAL);
  ASSERT_EQ(outer.host_update(&k1, &id, kBpfAny), 0);
  uint32_t got = 0;
  ASSERT_EQ(outer.host_lookup(&k1, &got), 0);
  EXPECT_EQ(got, id);
  uint32_t k0 = 0;
  EXPECT_EQ(outer.host_lookup(&k0, &got), -ENOENT);
  EXPECT_EQ(outer.inner(&k0), nullptr);
  // The slot keeps the map alive after the host lets go of it.
  BpfMap* raw = a.get();
  a.reset();
  auto held = outer.inner(&k1);
  ASSERT_EQ(held.get(), raw);
  EXPECT_EQ(outer.lookup(&k1), raw);
  held.reset();
  EXPECT_NE(BpfMap::by_id(id), nullptr);
  EXPECT_EQ(outer.erase(&k1), 0);
  EXPECT_EQ(outer.erase(&k1), -ENOENT);
  EXPECT_EQ(outer.erase(&k9), -E2BIG);
  EXPECT_EQ(BpfMap::by_id(id), nullptr);  // released with its last slot
  uint64_t v = 1;
  EXPECT_EQ(outer.update(&k0, &v, kBpfAny), -EINVAL);  // programs cannot update
}

TEST(MapOfMapsTest, HashOfMapsHasHashSemantics) {
  auto outer_map = must_create(of_maps(MapType::kHashOfMaps, 8, kInner));
  auto& outer = static_cast<MapOfMaps&>(*outer_map);
  auto a = must_create(kInner);
  auto b = must_create(kInner);
  uint64_t k = 77;
  EXPECT_EQ(outer.set_inner(&k, a, kBpfExist), -ENOENT);
  ASSERT_EQ(outer.set_inner(&k, a, kBpfNoExist), 0);
  EXPECT_EQ(outer.set_inner(&k, b, kBpfNoExist), -EEXIST);
  ASSERT_EQ(outer.set_inner(&k, b, kBpfExist), 0);
  EXPECT_EQ(outer.inner(&k), b);
  uint64_t next = 0;
  ASSERT_EQ(outer.get_next_key(nullptr, &next), 0);
  EXPECT_EQ(next, 77u);
  EXPECT_EQ(outer.erase(&k), 0);
  EXPECT_EQ(outer.erase(&k), -ENOENT);
  EXPECT_EQ(outer.inner(&k), nullptr);
}

// A program's lookup gives the inner map, and the map helpers work on it.
TEST(MapOfMapsTest, ProgramsUseTheInnerMapThroughHelpers) {
  HelperEnv h;
  auto outer_map = must_create(of_maps(MapType::kArrayOfMaps, 4, kInner));
  auto inner = must_create(kInner);
  BpfMap* outer = h.add_map(outer_map);
  uint32_t slot = 2;
  ASSERT_EQ(static_cast<MapOfMaps*>(outer)->set_inner(&slot, inner, kBpfAny), 0);
  uint8_t* key = h.stack_at(8);
  std::memcpy(key, &slot, 4);
  const uint64_t handle = h.call(helper_id::kMapLookupElem, addr(outer), addr(key));
  ASSERT_EQ(handle, addr(inner.get()));
  // map_update_elem on the inner map, by the handle the lookup gave.
  uint32_t index = 1;
  uint64_t value = 0xabcdef;
  std::memcpy(key, &index, 4);
  uint8_t* val = h.stack_at(16);
  std::memcpy(val, &value, 8);
  EXPECT_EQ(HelperEnv::sgn(h.call(helper_id::kMapUpdateElem, handle, addr(key), addr(val), 0)), 0);
  uint64_t got = 0;
  ASSERT_EQ(inner->host_lookup(&index, &got), 0);
  EXPECT_EQ(got, value);
  // The value pointer of the inner map is inside the run's regions (checked mode).
  const uint64_t vp = h.call(helper_id::kMapLookupElem, handle, addr(key));
  ASSERT_NE(vp, 0u);
  EXPECT_TRUE(h.ctx().accessible(vp, 8, true));
  // Empty slot: null. A handle never looked up in this run is refused.
  uint32_t empty = 0;
  std::memcpy(key, &empty, 4);
  EXPECT_EQ(h.call(helper_id::kMapLookupElem, addr(outer), addr(key)), 0u);
  auto other = must_create(kInner);
  EXPECT_EQ(HelperEnv::sgn(h.call(helper_id::kMapUpdateElem, addr(other.get()), addr(key),
                                  addr(val), 0)),
            -EINVAL);
  // The pin ends with the run.
  h.env().unpin_maps();
  EXPECT_EQ(h.env().find_map(handle), nullptr);
}

// ---- devmap, devmap_hash, cpumap, xskmap ---------------------------------------------

struct DevVal {
  uint32_t ifindex;
  int32_t prog_fd;
};

TEST(RedirectMapTest, DevmapAsTheKernel) {
  auto m = must_create({MapType::kDevmap, "tx", 4, 8, 4, 0});
  auto& r = static_cast<RedirectMap&>(*m);
  uint32_t k = 1, k9 = 9;
  DevVal v{7, -1}, out{};
  EXPECT_EQ(m->host_update(&k, &v, kBpfNoExist), -EEXIST);
  EXPECT_EQ(m->host_update(&k9, &v, kBpfAny), -E2BIG);
  EXPECT_EQ(m->host_update(&k, &v, 3), -EINVAL);
  EXPECT_EQ(m->host_lookup(&k, &out), -ENOENT);
  ASSERT_EQ(m->host_update(&k, &v, kBpfAny), 0);
  ASSERT_EQ(m->host_lookup(&k, &out), 0);
  EXPECT_EQ(out.ifindex, 7u);
  EXPECT_EQ(out.prog_fd, 0);  // the program id: none
  DevVal with_prog{7, 5};
  EXPECT_EQ(m->host_update(&k, &with_prog, kBpfAny), -EOPNOTSUPP);
  RedirectTarget t;
  ASSERT_TRUE(r.resolve(1, &t));
  EXPECT_EQ(t.ifindex, 7u);
  EXPECT_EQ(t.type, MapType::kDevmap);
  EXPECT_FALSE(r.resolve(0, &t));
  EXPECT_FALSE(r.resolve(99, &t));
  auto* pv = static_cast<DevVal*>(m->lookup(&k));
  ASSERT_NE(pv, nullptr);
  EXPECT_EQ(pv->ifindex, 7u);
  // ifindex 0 clears the slot; delete of an empty slot succeeds, beyond the end -EINVAL.
  DevVal zero{0, 0};
  ASSERT_EQ(m->host_update(&k, &zero, kBpfAny), 0);
  EXPECT_FALSE(r.resolve(1, &t));
  EXPECT_EQ(m->erase(&k), 0);
  EXPECT_EQ(m->erase(&k9), -EINVAL);
  // get_next_key walks every index, empty or not.
  uint32_t next = 0;
  ASSERT_EQ(m->get_next_key(&k, &next), 0);
  EXPECT_EQ(next, 2u);
}

TEST(RedirectMapTest, DevmapHashAsTheKernel) {
  auto m = must_create({MapType::kDevmapHash, "tx", 4, 4, 2, 0});
  auto& r = static_cast<RedirectMap&>(*m);
  uint32_t k = 100, ifindex = 3, zero = 0;
  EXPECT_EQ(m->host_update(&k, &zero, kBpfAny), -EINVAL);
  ASSERT_EQ(m->host_update(&k, &ifindex, kBpfExist), 0);  // the kernel checks NOEXIST only
  EXPECT_EQ(m->host_update(&k, &ifindex, kBpfNoExist), -EEXIST);
  uint32_t k2 = 200, k3 = 300;
  ASSERT_EQ(m->host_update(&k2, &ifindex, kBpfAny), 0);
  EXPECT_EQ(m->host_update(&k3, &ifindex, kBpfAny), -E2BIG);
  RedirectTarget t;
  ASSERT_TRUE(r.resolve(100, &t));
  EXPECT_EQ(t.ifindex, 3u);
  EXPECT_FALSE(r.resolve(300, &t));
  EXPECT_NE(m->lookup(&k), nullptr);
  EXPECT_EQ(m->erase(&k), 0);
  EXPECT_EQ(m->erase(&k), -ENOENT);
}

TEST(RedirectMapTest, CpumapAsTheKernel) {
  auto m = must_create({MapType::kCpumap, "cpus", 4, 4, 200, 0});
  auto& r = static_cast<RedirectMap&>(*m);
  uint32_t k = 3, q = 192, too_big = 16385, k150 = 150, k200 = 200;
  EXPECT_EQ(m->host_update(&k, &too_big, kBpfAny), -EOVERFLOW);
  EXPECT_EQ(m->host_update(&k150, &q, kBpfAny), -ENODEV);  // no such CPU slot
  EXPECT_EQ(m->host_update(&k200, &q, kBpfAny), -E2BIG);
  EXPECT_EQ(m->host_update(&k, &q, kBpfNoExist), -EEXIST);
  ASSERT_EQ(m->host_update(&k, &q, kBpfAny), 0);
  RedirectTarget t;
  ASSERT_TRUE(r.resolve(3, &t));
  EXPECT_EQ(t.qsize, 192u);
  uint32_t out = 0;
  ASSERT_EQ(m->host_lookup(&k, &out), 0);
  EXPECT_EQ(out, 192u);
  uint32_t zero = 0;
  ASSERT_EQ(m->host_update(&k, &zero, kBpfAny), 0);  // qsize 0 deletes
  EXPECT_EQ(m->host_lookup(&k, &out), -ENOENT);
  EXPECT_EQ(m->erase(&k200), -EINVAL);
}

TEST(RedirectMapTest, XskmapTakesOnlyXdpSockets) {
  auto m = must_create({MapType::kXskmap, "xsks", 4, 4, 4, 0});
  auto& r = static_cast<RedirectMap&>(*m);
  uint32_t k = 2;
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  uint32_t fd = static_cast<uint32_t>(pipe_fds[0]);
  EXPECT_EQ(m->host_update(&k, &fd, kBpfAny), -ENOTSOCK);
  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(udp, 0);
  fd = static_cast<uint32_t>(udp);
  EXPECT_EQ(m->host_update(&k, &fd, kBpfAny), -EOPNOTSUPP);
  uint32_t closed = 100000;
  EXPECT_EQ(m->host_update(&k, &closed, kBpfAny), -EBADF);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  close(udp);
  uint32_t out;
  EXPECT_EQ(m->host_lookup(&k, &out), -EOPNOTSUPP);
  EXPECT_EQ(m->erase(&k), 0);
  int xsk = socket(44 /* AF_XDP */, SOCK_RAW, 0);
  if (xsk < 0) GTEST_SKIP() << "no AF_XDP sockets here: " << std::strerror(errno);
  fd = static_cast<uint32_t>(xsk);
  EXPECT_EQ(m->host_update(&k, &fd, kBpfExist), -ENOENT);
  ASSERT_EQ(m->host_update(&k, &fd, kBpfNoExist), 0);
  EXPECT_EQ(m->host_update(&k, &fd, kBpfNoExist), -EEXIST);
  RedirectTarget t;
  ASSERT_TRUE(r.resolve(2, &t));
  EXPECT_EQ(t.xsk_fd, fd);
  auto* queue_id = static_cast<uint32_t*>(m->lookup(&k));
  ASSERT_NE(queue_id, nullptr);
  EXPECT_EQ(*queue_id, 2u);
  close(xsk);
}

// ---- perf_event_array ----------------------------------------------------------------

TEST(PerfEventArrayTest, OutputFollowsTheHelperRules) {
  auto m = must_create({MapType::kPerfEventArray, "events", 4, 4, 0, 0});
  auto& pe = static_cast<PerfEventArrayMap&>(*m);
  EXPECT_EQ(pe.cpu_count(), kMaxCpuSlots);  // max_entries 0: one per CPU
  const char data[5] = {'a', 'b', 'c', 'd', 'e'};
  EXPECT_EQ(pe.output(0, data, 5), -ENOENT);  // not open
  EXPECT_EQ(pe.open(1000), -EINVAL);
  ASSERT_EQ(pe.open(4096), 0);
  EXPECT_EQ(pe.output(uint64_t{1} << 32, data, 5), -EINVAL);
  EXPECT_EQ(pe.output(kMaxCpuSlots, data, 5), -E2BIG);
  ASSERT_EQ(pe.output(3, data, 5), 0);
  ASSERT_EQ(pe.output(PerfEventArrayMap::kCurrentCpu, data, 2), 0);
  std::vector<std::pair<uint32_t, std::vector<uint8_t>>> got;
  auto n = pe.consume(
      [&](uint32_t cpu, std::span<const uint8_t> rec) {
        got.push_back({cpu, {rec.begin(), rec.end()}});
        return true;
      },
      nullptr);
  EXPECT_EQ(n, 2);
  ASSERT_EQ(got.size(), 2u);
  const uint32_t me = cpu_slot();
  // CPU by CPU; the raw sample is padded to round_up(size + 4, 8) - 4 bytes with zeros.
  const auto first = me < 3 ? got[0] : got[1];
  const auto second = me < 3 ? got[1] : got[0];
  EXPECT_EQ(first.first, me);
  EXPECT_EQ(first.second, (std::vector<uint8_t>{'a', 'b', 0, 0}));
  EXPECT_EQ(second.first, 3u);
  EXPECT_EQ(second.second, (std::vector<uint8_t>{'a', 'b', 'c', 'd', 'e', 0, 0, 0, 0, 0, 0, 0}));
}

TEST(PerfEventArrayTest, AFullBufferLosesRecordsAndCountsThem) {
  auto m = must_create({MapType::kPerfEventArray, "events", 4, 4, 2, 0});
  auto& pe = static_cast<PerfEventArrayMap&>(*m);
  ASSERT_EQ(pe.open(4096), 0);
  std::vector<uint8_t> big(1020);
  int ok = 0, lost = 0;
  for (int i = 0; i < 10; ++i) {
    int64_t r = pe.output(1, big.data(), big.size());
    if (r == 0) ++ok;
    if (r == -ENOSPC) ++lost;
  }
  EXPECT_EQ(ok, 3);  // 3 records of 1024 + 8 bytes fit in 4096
  EXPECT_EQ(lost, 7);
  uint64_t lost_seen = 0;
  auto n = pe.consume([](uint32_t, std::span<const uint8_t>) { return true; },
                      [&](uint32_t cpu, uint64_t count) {
                        EXPECT_EQ(cpu, 1u);
                        lost_seen += count;
                      });
  EXPECT_EQ(n, 3);
  EXPECT_EQ(lost_seen, 7u);
  EXPECT_EQ(pe.output(1, big.data(), big.size()), 0);  // room again
  EXPECT_EQ(pe.output(1, big.data(), 70000), -E2BIG);
}

TEST(PerfEventArrayTest, PollWakesOnOutputFromAnotherThread) {
  auto m = must_create({MapType::kPerfEventArray, "events", 4, 4, 4, 0});
  auto& pe = static_cast<PerfEventArrayMap&>(*m);
  ASSERT_EQ(pe.open(8192), 0);
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    uint32_t v = 42;
    EXPECT_EQ(pe.output(0, &v, 4), 0);
  });
  uint32_t seen = 0;
  auto n = pe.poll(5000, [&](uint32_t, std::span<const uint8_t> rec) {
    std::memcpy(&seen, rec.data(), 4);
    return true;
  }, nullptr);
  producer.join();
  EXPECT_EQ(n, 1);
  EXPECT_EQ(seen, 42u);
}

TEST(PerfEventArrayTest, TheHelperWritesARecord) {
  HelperEnv h;
  BpfMap* m = h.add_map(MapSpec{MapType::kPerfEventArray, "events", 4, 4, 2, 0});
  auto* pe = static_cast<PerfEventArrayMap*>(m);
  ASSERT_EQ(pe->open(4096), 0);
  uint8_t* data = h.stack_at(16);
  std::memcpy(data, "hello, perf!", 12);
  EXPECT_EQ(HelperEnv::sgn(h.call(helper_id::kPerfEventOutput, 0, addr(m), 1, addr(data), 12)),
            0);
  EXPECT_EQ(HelperEnv::sgn(h.call(helper_id::kPerfEventOutput, 0, addr(m), 2, addr(data), 12)),
            -E2BIG);
  // Memory the program may not read.
  EXPECT_EQ(HelperEnv::sgn(h.call(helper_id::kPerfEventOutput, 0, addr(m), 1, 16, 12)),
            -EFAULT);
  std::string rec;
  pe->consume([&](uint32_t cpu, std::span<const uint8_t> r) {
    EXPECT_EQ(cpu, 1u);
    rec.assign(reinterpret_cast<const char*>(r.data()), 12);
    EXPECT_EQ(r.size(), 12u);
    return true;
  }, nullptr);
  EXPECT_EQ(rec, "hello, perf!");
}

// ---- the kernel's answers ------------------------------------------------------------

std::vector<uint8_t> unhex(const std::string& h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoul(h.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string hex(const void* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t b = static_cast<const uint8_t*>(p)[i];
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

// Replays test/helpers/kernel_maps/kernel_map_ops.tsv, host operations the kernel answered
// (recorded by record.py next to it), on bpfjit's maps: every answer must be the kernel's.
TEST(KernelMapOpsTest, HostOperationsAnswerAsTheKernel) {
  std::ifstream in(BPFJIT_KERNEL_MAP_OPS);
  ASSERT_TRUE(in) << BPFJIT_KERNEL_MAP_OPS;
  std::shared_ptr<BpfMap> m;
  std::string line;
  int lineno = 0, checked = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string w; std::getline(ss, w, '\t');) f.push_back(w);
    SCOPED_TRACE("line " + std::to_string(lineno) + ": " + line);
    const std::string& op = f[0];
    ++checked;
    if (op == "map") {
      const MapTypeInfo* row = map_type_info_by_name(f[1]);
      ASSERT_NE(row, nullptr);
      MapSpec spec{row->type, "k", static_cast<uint32_t>(std::stoul(f[2])),
                   static_cast<uint32_t>(std::stoul(f[3])),
                   static_cast<uint32_t>(std::stoul(f[4])),
                   static_cast<uint32_t>(std::stoul(f[5]))};
      spec.map_extra = std::stoull(f[6]);
      auto r = create_map(spec);
      EXPECT_EQ(r.ok(), f[7] == "0") << (r.ok() ? "created" : r.error().message);
      m = r.ok() ? *r : nullptr;
      continue;
    }
    ASSERT_NE(m, nullptr);
    const std::vector<uint8_t> a = unhex(f[1]);
    if (op == "update") {
      EXPECT_EQ(m->host_update(a.data(), unhex(f[2]).data(), std::stoull(f[3])), std::stoll(f[4]));
    } else if (op == "lookup") {
      std::vector<uint8_t> v(m->host_value_size());
      const int64_t r = m->host_lookup(a.data(), v.data());
      EXPECT_EQ(r == 0 ? hex(v.data(), v.size()) : std::to_string(r), f[2]);
    } else if (op == "delete") {
      EXPECT_EQ(m->erase(a.data()), std::stoll(f[2]));
    } else if (op == "next") {
      std::vector<uint8_t> next(m->key_size());
      const int64_t r = m->get_next_key(f[1] == "-" ? nullptr : a.data(), next.data());
      EXPECT_EQ(r == 0 ? hex(next.data(), next.size()) : std::to_string(r), f[2]);
    } else if (op == "push") {
      EXPECT_EQ(m->host_update(nullptr, a.data(), std::stoull(f[2])), std::stoll(f[3]));
    } else if (op == "peek") {
      std::vector<uint8_t> v = a;
      EXPECT_EQ(m->host_lookup(nullptr, v.data()), std::stoll(f[2]));
    } else {
      ADD_FAILURE() << "unknown operation " << op;
    }
  }
  EXPECT_GT(checked, 800);
}

// Every type the table marks runnable is built by create_map as a working map.
TEST(MapTypeTableTest, RunnableColumnMatchesTheMaps) {
  for (const MapTypeInfo& row : map_type_table()) {
    if (row.type == MapType::kUnspec) continue;
    EXPECT_EQ(row.runtime, row.impl != MapImpl::kNone) << row.name;
  }
  for (MapType t : {MapType::kLpmTrie, MapType::kBloomFilter, MapType::kLruPercpuHash,
                    MapType::kArrayOfMaps, MapType::kHashOfMaps, MapType::kDevmap,
                    MapType::kDevmapHash, MapType::kCpumap, MapType::kXskmap,
                    MapType::kPerfEventArray}) {
    EXPECT_TRUE(map_type_info(t)->runtime) << map_type_name(t);
  }
  EXPECT_TRUE(map_type_info(MapType::kLruPercpuHash)->percpu);
  EXPECT_FALSE(map_type_info(MapType::kLruHash)->percpu);
}

}  // namespace
}  // namespace bpfjit
