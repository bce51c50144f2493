// BpfMap semantics and errors, one type at a time, through the program-side and host-side APIs.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "helpers/maps.h"
#include "helpers/map_types.h"
#include "helpers_test_util.h"

namespace bpfjit {
namespace {

using testing::addr;
using testing::must_create;

bool in_region(const BpfMap& m, const void* p, uint32_t size, bool write) {
  for (const MemRegion& r : m.regions()) {
    if (addr(p) >= r.start && addr(p) + size <= r.end && (r.writable || !write)) return true;
  }
  return false;
}

std::string create_error(MapSpec spec) {
  auto r = create_map(spec);
  return r.ok() ? "created" : r.error().message;
}

TEST(CreateMapTest, RefusesBadSpecsWithTheFacts) {
  EXPECT_EQ(create_error({MapType::kArray, "a", 8, 4, 4, 0}), "map a: key_size 8 must be 4 for array maps");
  EXPECT_EQ(create_error({MapType::kHash, "h", 4, 8, 0, 0}), "map h: max_entries 0 must be at least 1");
  EXPECT_EQ(create_error({MapType::kHash, "h", 0, 8, 4, 0}), "map h: key_size 0 must be at least 1");
  EXPECT_EQ(create_error({MapType::kHash, "h", 4, 0, 4, 0}), "map h: value_size 0 must be at least 1");
  EXPECT_EQ(create_error({MapType::kHash, "h", 600, 8, 4, 0}),
            "map h: key_size 600 exceeds the limit of 512");
  EXPECT_EQ(create_error({MapType::kRingbuf, "rb", 0, 0, 5000, 0}),
            "map rb: max_entries 5000 must be a power of two for ringbuf maps");
  EXPECT_EQ(create_error({MapType::kRingbuf, "rb", 0, 0, 1024, 0}),
            "map rb: max_entries 1024 must be at least 4096");
  EXPECT_EQ(create_error({MapType::kQueue, "q", 4, 4, 4, 0}), "map q: key_size 4 must be 0 for queue maps");
  EXPECT_EQ(create_error({MapType::kArray, "a", 4, 4, 4, 0x40}),
            "map a: flags 0x40 are not supported for array maps");
  EXPECT_EQ(create_error({MapType::kProgArray, "p", 4, 8, 4, 0}),
            "map p: value_size 8 must be 4 for prog_array maps");
  EXPECT_EQ(create_error({static_cast<MapType>(99), "x", 4, 4, 4, 0}),
            "map x: map type 99 is not a kernel map type");
  std::string big = create_error({MapType::kPercpuArray, "pc", 4, 8192, 100000, 0});
  EXPECT_NE(big.find("the limit is 1073741824"), std::string::npos) << big;
  EXPECT_EQ(create_error({MapType::kHash, "h", 4, 8, 16, kMapFlagNoPrealloc}), "created");
}

TEST(CreateMapTest, EveryKernelTypeHasARow) {
  auto table = map_type_table();
  ASSERT_EQ(table.size(), 33u);  // unspec .. cgrp_storage
  for (uint32_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(table[i].number, i);
    ASSERT_NE(map_type_name(static_cast<MapType>(i)), nullptr) << i;
    EXPECT_EQ(map_type_info_by_name(table[i].name), &table[i]);
  }
  EXPECT_EQ(map_type_info_by_name("perf_event_array")->type, MapType::kPerfEventArray);
  EXPECT_EQ(map_type_info_by_name("nope"), nullptr);
  EXPECT_EQ(map_type_info(33u), nullptr);
  // The runtime implements exactly these.
  std::vector<std::string> runnable;
  for (const MapTypeInfo& row : table) {
    if (row.runtime) runnable.push_back(row.name);
  }
  EXPECT_EQ(runnable, (std::vector<std::string>{
                          "hash", "array", "prog_array", "perf_event_array", "percpu_hash",
                          "percpu_array", "lru_hash", "lru_percpu_hash", "lpm_trie",
                          "array_of_maps", "hash_of_maps", "devmap", "cpumap", "xskmap",
                          "queue", "stack", "devmap_hash", "ringbuf", "bloom_filter"}));
  EXPECT_EQ(map_type_info(MapType::kArrayOfMaps)->lookup, MapLookup::kInnerMapOrNull);
  EXPECT_EQ(map_type_info(MapType::kSockmap)->lookup, MapLookup::kSocketOrNull);
  EXPECT_EQ(map_type_info(MapType::kRingbuf)->lookup, MapLookup::kNotAllowed);
  EXPECT_EQ(map_type_info(MapType::kHash)->lookup, MapLookup::kValueOrNull);
  EXPECT_TRUE(map_type_info(MapType::kProgArray)->ops & kOpTailCall);
  EXPECT_TRUE(map_type_info(MapType::kDevmap)->ops & kOpRedirectMap);
  EXPECT_FALSE(map_type_info(MapType::kQueue)->ops & kOpLookup);
}

TEST(CreateMapTest, UnimplementedTypesAreCheckedAndRefuseEverything) {
  EXPECT_EQ(create_error({MapType::kLpmTrie, "p", 4, 4, 4, 1}),
            "map p: key_size 4 must be 5 to 260 (a u32 prefix length and the data) for "
            "lpm_trie maps");
  EXPECT_EQ(create_error({MapType::kSkStorage, "s", 4, 8, 5, 1}),
            "map s: max_entries 5 must be 0 for sk_storage maps");
  EXPECT_EQ(create_error({MapType::kDevmap, "d", 4, 6, 4, 0}),
            "map d: value_size 6 must be 4 or 8 for devmap maps");
  EXPECT_EQ(create_error({MapType::kStackTrace, "st", 4, 12, 4, 0}),
            "map st: value_size 12 must be a positive multiple of 8 for stack_trace maps");
  EXPECT_EQ(create_error({MapType::kUnspec, "u", 4, 4, 4, 0}),
            "map u: map type 0 (unspec) is not a map type");
  auto m = must_create({MapType::kSockmap, "socks", 4, 4, 4, 0});
  EXPECT_FALSE(m->runnable());
  EXPECT_EQ(m->unsupported_error(), "map 'socks' of type sockmap is not supported at run time");
  uint32_t k = 0, v = 0;
  EXPECT_EQ(m->lookup(&k), nullptr);
  EXPECT_LT(m->update(&k, &v, 0), 0);
  EXPECT_TRUE(must_create({MapType::kArray, "a", 4, 4, 1, 0})->runnable());
}

TEST(CreateMapTest, KernelTypeNumbers) {
  ASSERT_TRUE(map_type_from_kernel(27).ok());
  EXPECT_EQ(*map_type_from_kernel(27), MapType::kRingbuf);
  EXPECT_STREQ(map_type_name(MapType::kLruHash), "lru_hash");
  auto bad = map_type_from_kernel(99);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "map type 99 is not a kernel map type");
  EXPECT_FALSE(map_type_from_kernel(0).ok());  // unspec
  ASSERT_TRUE(map_type_from_kernel(12).ok());
  EXPECT_EQ(*map_type_from_kernel(12), MapType::kArrayOfMaps);
}

TEST(ArrayMapTest, KernelSemantics) {
  auto m = must_create({MapType::kArray, "a", 4, 12, 4, 0});
  uint32_t k = 2;
  auto* v = static_cast<uint8_t*>(m->lookup(&k));
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(in_region(*m, v, 12, true));
  EXPECT_EQ(v[0], 0);  // zeroed at creation
  uint8_t val[12] = {7, 8, 9};
  EXPECT_EQ(m->update(&k, val, kBpfAny), 0);
  EXPECT_EQ(v[1], 8);
  EXPECT_EQ(m->update(&k, val, kBpfExist), 0);
  EXPECT_EQ(m->update(&k, val, kBpfNoExist), -EEXIST);
  EXPECT_EQ(m->update(&k, val, 7), -EINVAL);
  uint32_t out_of_range = 4;
  EXPECT_EQ(m->lookup(&out_of_range), nullptr);
  EXPECT_EQ(m->update(&out_of_range, val, kBpfAny), -E2BIG);
  EXPECT_EQ(m->erase(&k), -EINVAL);
  uint8_t host[12];
  EXPECT_EQ(m->host_lookup(&k, host), 0);
  EXPECT_EQ(host[2], 9);
  EXPECT_EQ(m->host_lookup(&out_of_range, host), -ENOENT);
}

TEST(ArrayMapTest, GetNextKeyWalksIndices) {
  auto m = must_create({MapType::kArray, "a", 4, 4, 3, 0});
  uint32_t next = 99;
  ASSERT_EQ(m->get_next_key(nullptr, &next), 0);
  EXPECT_EQ(next, 0u);
  uint32_t k = 1;
  ASSERT_EQ(m->get_next_key(&k, &next), 0);
  EXPECT_EQ(next, 2u);
  k = 2;
  EXPECT_EQ(m->get_next_key(&k, &next), -ENOENT);
  k = 50;  // absent: restart from the first
  ASSERT_EQ(m->get_next_key(&k, &next), 0);
  EXPECT_EQ(next, 0u);
}

TEST(HashMapTest, KernelSemantics) {
  auto m = must_create({MapType::kHash, "h", 8, 4, 2, 0});
  uint64_t k1 = 1, k2 = 2, k3 = 3;
  uint32_t v = 10;
  EXPECT_EQ(m->lookup(&k1), nullptr);
  EXPECT_EQ(m->update(&k1, &v, kBpfExist), -ENOENT);
  EXPECT_EQ(m->update(&k1, &v, kBpfNoExist), 0);
  EXPECT_EQ(m->update(&k1, &v, kBpfNoExist), -EEXIST);
  v = 20;
  EXPECT_EQ(m->update(&k2, &v, kBpfAny), 0);
  EXPECT_EQ(m->update(&k3, &v, kBpfAny), -E2BIG);  // full
  v = 11;
  EXPECT_EQ(m->update(&k1, &v, kBpfExist), 0);  // existing keys still update when full
  auto* p = static_cast<uint32_t*>(m->lookup(&k1));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 11u);
  EXPECT_TRUE(in_region(*m, p, 4, true));
  EXPECT_EQ(m->update(&k1, &v, 4), -EINVAL);
  EXPECT_EQ(m->erase(&k1), 0);
  EXPECT_EQ(m->erase(&k1), -ENOENT);
  EXPECT_EQ(m->lookup(&k1), nullptr);
  EXPECT_EQ(m->update(&k3, &v, kBpfAny), 0);  // the freed element is reused
  uint32_t out = 0;
  EXPECT_EQ(m->host_lookup(&k3, &out), 0);
  EXPECT_EQ(out, 11u);
  EXPECT_EQ(m->host_lookup(&k1, &out), -ENOENT);
}

TEST(HashMapTest, GetNextKeyVisitsEveryKeyOnce) {
  auto m = must_create({MapType::kHash, "h", 4, 4, 100, 0});
  for (uint32_t k = 0; k < 100; k += 2) ASSERT_EQ(m->update(&k, &k, kBpfAny), 0);
  std::multiset<uint32_t> seen;
  uint32_t key = 0, next = 0;
  const void* prev = nullptr;
  while (m->get_next_key(prev, &next) == 0) {
    seen.insert(next);
    key = next;
    prev = &key;
    ASSERT_LE(seen.size(), 50u);
  }
  EXPECT_EQ(seen.size(), 50u);
  for (uint32_t k = 0; k < 100; k += 2) EXPECT_EQ(seen.count(k), 1u) << k;
  uint32_t absent = 1;  // an absent key restarts from the first
  ASSERT_EQ(m->get_next_key(&absent, &next), 0);
  EXPECT_EQ(next % 2, 0u);
}

TEST(HashMapTest, HostForEachAndProgramForEach) {
  auto m = must_create({MapType::kHash, "h", 4, 8, 8, 0});
  for (uint32_t k = 1; k <= 5; ++k) {
    uint64_t v = k * 100;
    ASSERT_EQ(m->update(&k, &v, kBpfAny), 0);
  }
  uint64_t sum = 0;
  m->for_each([&](const void* k, const void* v) {
    uint32_t key;
    uint64_t val;
    std::memcpy(&key, k, 4);
    std::memcpy(&val, v, 8);
    EXPECT_EQ(val, key * 100u);
    sum += val;
    return true;
  });
  EXPECT_EQ(sum, 1500u);
  int64_t n = m->for_each_elem([&](const void* k, void* v) {
    EXPECT_TRUE(in_region(*m, k, 4, false));
    EXPECT_FALSE(in_region(*m, k, 4, true));  // keys are read-only to programs
    EXPECT_TRUE(in_region(*m, v, 8, true));
    return true;
  });
  EXPECT_EQ(n, 5);
  EXPECT_EQ(m->for_each_elem([](const void*, void*) { return false; }), 1);
}

TEST(LruHashTest, EvictsTheLeastRecentlyUsed) {
  auto m = must_create({MapType::kLruHash, "lru", 4, 4, 3, 0});
  for (uint32_t k = 1; k <= 3; ++k) ASSERT_EQ(m->update(&k, &k, kBpfAny), 0);
  uint32_t k4 = 4;
  ASSERT_EQ(m->update(&k4, &k4, kBpfAny), 0);  // full: 1, the oldest, goes
  uint32_t k = 1;
  EXPECT_EQ(m->lookup(&k), nullptr);
  k = 2;
  ASSERT_NE(m->lookup(&k), nullptr);  // 2 is used again: 3 is now the least recent
  uint32_t k5 = 5;
  ASSERT_EQ(m->update(&k5, &k5, kBpfAny), 0);
  k = 3;
  EXPECT_EQ(m->lookup(&k), nullptr);
  for (uint32_t present : {2u, 4u, 5u}) {
    auto* v = static_cast<uint32_t*>(m->lookup(&present));
    ASSERT_NE(v, nullptr) << present;
    EXPECT_EQ(*v, present);
  }
  int present = 0;
  m->for_each([&](const void*, const void*) { return ++present, true; });
  EXPECT_EQ(present, 3);
  EXPECT_EQ(m->erase(&k5), 0);
  EXPECT_EQ(m->erase(&k5), -ENOENT);
}

TEST(LruHashTest, AnUpdateCountsAsAUse) {
  auto m = must_create({MapType::kLruHash, "lru", 4, 4, 3, 0});
  for (uint32_t k = 1; k <= 3; ++k) ASSERT_EQ(m->update(&k, &k, kBpfAny), 0);
  uint32_t k = 1, v = 10;
  ASSERT_EQ(m->update(&k, &v, kBpfExist), 0);
  uint32_t k4 = 4;
  ASSERT_EQ(m->update(&k4, &k4, kBpfAny), 0);  // 1 was used: 2 goes
  EXPECT_NE(m->lookup(&k), nullptr);
  k = 2;
  EXPECT_EQ(m->lookup(&k), nullptr);
  // The map stays full, never over: every insertion of a new key evicts exactly one.
  for (uint32_t n = 100; n < 200; ++n) ASSERT_EQ(m->update(&n, &n, kBpfNoExist), 0);
  int present = 0;
  m->for_each([&](const void* key, const void* val) {
    EXPECT_EQ(std::memcmp(key, val, 4), 0);
    return ++present, true;
  });
  EXPECT_EQ(present, 3);
}

TEST(PercpuArrayTest, EachThreadHasItsOwnSlot) {
  auto m = must_create({MapType::kPercpuArray, "pc", 4, 4, 2, 0});
  EXPECT_EQ(m->slot_count(), kMaxCpuSlots);
  EXPECT_EQ(m->host_value_size(), 8 * kMaxCpuSlots);  // value_size rounded up to 8, per slot
  uint32_t k = 1;
  uint32_t mine = 111;
  ASSERT_EQ(m->update(&k, &mine, kBpfAny), 0);
  uint32_t my_slot = cpu_slot();
  uint32_t other_slot = 0;
  uint32_t seen_by_other = 99;
  std::thread t([&] {
    other_slot = cpu_slot();
    seen_by_other = *static_cast<uint32_t*>(m->lookup(&k));
    uint32_t theirs = 222;
    EXPECT_EQ(m->update(&k, &theirs, kBpfAny), 0);
  });
  t.join();
  EXPECT_NE(my_slot, other_slot);
  EXPECT_EQ(seen_by_other, 0u);
  EXPECT_EQ(*static_cast<uint32_t*>(m->lookup(&k)), 111u);
  std::vector<uint8_t> all(m->host_value_size());
  ASSERT_EQ(m->host_lookup(&k, all.data()), 0);
  uint32_t a, b;
  std::memcpy(&a, &all[8 * my_slot], 4);
  std::memcpy(&b, &all[8 * other_slot], 4);
  EXPECT_EQ(a, 111u);
  EXPECT_EQ(b, 222u);
  // Host update writes every slot.
  for (uint32_t s = 0; s < kMaxCpuSlots; ++s) std::memcpy(&all[8 * s], &s, 4);
  ASSERT_EQ(m->host_update(&k, all.data(), kBpfAny), 0);
  EXPECT_EQ(*static_cast<uint32_t*>(m->lookup(&k)), my_slot);
}

TEST(PercpuArrayTest, SlotsAreReleasedWhenThreadsExit) {
  std::set<uint32_t> slots;
  for (int i = 0; i < 3 * static_cast<int>(kMaxCpuSlots); ++i) {
    std::thread t([&] { slots.insert(cpu_slot()); });
    t.join();
  }
  // Sequential threads reuse released ids instead of running out.
  EXPECT_LE(slots.size(), 3u);
  for (uint32_t s : slots) EXPECT_LT(s, kMaxCpuSlots);
}

TEST(PercpuHashTest, ProgramUpdateZeroesOtherSlotsOfANewElement) {
  auto m = must_create({MapType::kPercpuHash, "ph", 4, 8, 4, 0});
  std::vector<uint8_t> all(m->host_value_size(), 0xab);
  uint32_t k = 7;
  ASSERT_EQ(m->host_update(&k, all.data(), kBpfAny), 0);
  ASSERT_EQ(m->erase(&k), 0);
  uint64_t v = 5;
  ASSERT_EQ(m->update(&k, &v, kBpfNoExist), 0);  // reuses the element full of 0xab
  ASSERT_EQ(m->host_lookup(&k, all.data()), 0);
  for (uint32_t s = 0; s < kMaxCpuSlots; ++s) {
    uint64_t got;
    std::memcpy(&got, &all[8 * s], 8);
    EXPECT_EQ(got, s == cpu_slot() ? 5u : 0u) << "slot " << s;
  }
  EXPECT_EQ(*static_cast<uint64_t*>(m->lookup(&k)), 5u);
}

TEST(QueueMapTest, FifoOrderFullAndOverwrite) {
  auto m = must_create({MapType::kQueue, "q", 0, 4, 3, 0});
  for (uint32_t v = 1; v <= 3; ++v) ASSERT_EQ(m->push(&v, kBpfAny), 0);
  uint32_t v = 4;
  EXPECT_EQ(m->push(&v, kBpfAny), -E2BIG);
  EXPECT_EQ(m->push(&v, kBpfExist), 0);  // drops 1, the oldest
  EXPECT_EQ(m->push(&v, kBpfNoExist), -EINVAL);
  uint32_t out = 0;
  ASSERT_EQ(m->peek(&out), 0);
  EXPECT_EQ(out, 2u);
  for (uint32_t want : {2u, 3u, 4u}) {
    ASSERT_EQ(m->pop(&out), 0);
    EXPECT_EQ(out, want);
  }
  EXPECT_EQ(m->pop(&out), -ENOENT);
  EXPECT_EQ(m->peek(&out), -ENOENT);
  EXPECT_EQ(m->lookup(&out), nullptr);
  EXPECT_EQ(m->erase(nullptr), -EINVAL);
  EXPECT_TRUE(m->regions().empty());
}

TEST(StackMapTest, LifoOrderAndOverwriteDropsTheOldest) {
  auto m = must_create({MapType::kStack, "s", 0, 4, 3, 0});
  for (uint32_t v = 1; v <= 3; ++v) ASSERT_EQ(m->update(nullptr, &v, kBpfAny), 0);
  uint32_t v = 4;
  EXPECT_EQ(m->push(&v, kBpfAny), -E2BIG);
  EXPECT_EQ(m->push(&v, kBpfExist), 0);  // drops 1
  uint32_t out = 0;
  for (uint32_t want : {4u, 3u, 2u}) {
    ASSERT_EQ(m->pop(&out), 0);
    EXPECT_EQ(out, want);
  }
  EXPECT_EQ(m->pop(&out), -ENOENT);
  v = 9;
  ASSERT_EQ(m->push(&v, kBpfAny), 0);
  ASSERT_EQ(m->host_lookup(nullptr, &out), 0);  // host lookup peeks
  EXPECT_EQ(out, 9u);
}

TEST(ProgArrayMapTest, HoldsHandles) {
  auto m = must_create({MapType::kProgArray, "progs", 4, 4, 4, 0});
  auto* pa = static_cast<ProgArrayMap*>(m.get());
  int prog = 0;
  EXPECT_EQ(pa->set(1, &prog), 0);
  EXPECT_EQ(pa->set(4, &prog), -E2BIG);
  EXPECT_EQ(pa->get(1), &prog);
  EXPECT_EQ(pa->get(0), nullptr);
  EXPECT_EQ(pa->get(100), nullptr);
  uint32_t k = 1;
  EXPECT_EQ(m->lookup(&k), nullptr);  // programs cannot read handles
  EXPECT_EQ(m->erase(&k), 0);
  EXPECT_EQ(m->erase(&k), -ENOENT);
  EXPECT_EQ(pa->get(1), nullptr);
}

}  // namespace
}  // namespace bpfjit
