// Maps under concurrent use: several threads hammer one map; the counts must be exact
// afterwards. Small and bounded so they also run under ThreadSanitizer.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "helpers/maps.h"
#include "helpers_test_util.h"

namespace bpfjit {
namespace {

using testing::must_create;

constexpr int kThreads = 4;

template <typename Fn>
void run_threads(Fn fn) {
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(fn, t);
  for (auto& t : threads) t.join();
}

TEST(MapConcurrencyTest, HashInsertDeleteFromManyThreads) {
  constexpr uint32_t kPerThread = 300;
  auto m = must_create({MapType::kHash, "h", 4, 8, kThreads * kPerThread, 0});
  run_threads([&](int t) {
    for (uint32_t i = 0; i < kPerThread; ++i) {
      uint32_t k = t * kPerThread + i;
      uint64_t v = uint64_t{k} * 3;
      ASSERT_EQ(m->update(&k, &v, kBpfNoExist), 0);
    }
    for (uint32_t i = 0; i < kPerThread; i += 2) {
      uint32_t k = t * kPerThread + i;
      ASSERT_EQ(m->erase(&k), 0);
    }
  });
  std::set<uint32_t> keys;
  m->for_each([&](const void* k, const void* v) {
    uint32_t key;
    uint64_t val;
    std::memcpy(&key, k, 4);
    std::memcpy(&val, v, 8);
    EXPECT_EQ(val, uint64_t{key} * 3);
    EXPECT_EQ(key % 2, 1u);
    keys.insert(key);
    return true;
  });
  EXPECT_EQ(keys.size(), kThreads * kPerThread / 2);
}

TEST(MapConcurrencyTest, HashSharedCountersAreExact) {
  constexpr int kIters = 2000;
  auto m = must_create({MapType::kHash, "h", 4, 8, 16, 0});
  run_threads([&](int) {
    for (int i = 0; i < kIters; ++i) {
      uint32_t k = i % 16;
      void* v = m->lookup(&k);
      if (v == nullptr) {
        uint64_t zero = 0;
        int64_t r = m->update(&k, &zero, kBpfNoExist);
        ASSERT_TRUE(r == 0 || r == -EEXIST) << r;
        v = m->lookup(&k);
      }
      ASSERT_NE(v, nullptr);
      std::atomic_ref<uint64_t>(*static_cast<uint64_t*>(v)).fetch_add(1);
    }
  });
  uint64_t total = 0;
  m->for_each([&](const void*, const void* v) {
    uint64_t val;
    std::memcpy(&val, v, 8);
    total += val;
    return true;
  });
  EXPECT_EQ(total, uint64_t{kThreads} * kIters);
}

TEST(MapConcurrencyTest, ArrayAtomicAddsAreExact) {
  constexpr int kIters = 5000;
  auto m = must_create({MapType::kArray, "a", 4, 8, 8, 0});
  run_threads([&](int) {
    for (int i = 0; i < kIters; ++i) {
      uint32_t k = i % 8;
      std::atomic_ref<uint64_t>(*static_cast<uint64_t*>(m->lookup(&k))).fetch_add(1);
    }
  });
  for (uint32_t k = 0; k < 8; ++k) {
    uint64_t v = 0;
    ASSERT_EQ(m->host_lookup(&k, &v), 0);
    EXPECT_EQ(v, uint64_t{kThreads} * kIters / 8) << k;
  }
}

TEST(MapConcurrencyTest, PercpuArrayNeedsNoAtomics) {
  constexpr int kIters = 5000;
  auto m = must_create({MapType::kPercpuArray, "pc", 4, 8, 1, 0});
  uint32_t k = 0;
  run_threads([&](int) {
    for (int i = 0; i < kIters; ++i) ++*static_cast<uint64_t*>(m->lookup(&k));
  });
  std::vector<uint64_t> all(kMaxCpuSlots);
  ASSERT_EQ(m->host_lookup(&k, all.data()), 0);
  uint64_t total = 0;
  for (uint64_t v : all) total += v;
  EXPECT_EQ(total, uint64_t{kThreads} * kIters);
}

TEST(MapConcurrencyTest, LruStaysConsistentUnderChurn) {
  constexpr uint32_t kMax = 64;
  auto m = must_create({MapType::kLruHash, "lru", 4, 4, kMax, 0});
  run_threads([&](int t) {
    for (uint32_t i = 0; i < 2000; ++i) {
      uint32_t k = (i * 7919 + t * 104729) % 1000;
      if (i % 3 == 0) {
        m->lookup(&k);
      } else if (i % 17 == 0) {
        m->erase(&k);
      } else {
        ASSERT_EQ(m->update(&k, &k, kBpfAny), 0);
      }
    }
  });
  std::set<uint32_t> keys;
  m->for_each([&](const void* k, const void* v) {
    EXPECT_EQ(std::memcmp(k, v, 4), 0);
    uint32_t key;
    std::memcpy(&key, k, 4);
    EXPECT_TRUE(keys.insert(key).second) << "duplicate key " << key;
    return true;
  });
  EXPECT_LE(keys.size(), kMax);
  EXPECT_GT(keys.size(), 0u);
  for (uint32_t k : keys) EXPECT_NE(m->lookup(&k), nullptr) << k;
}

TEST(MapConcurrencyTest, QueueLosesAndDuplicatesNothing) {
  constexpr uint32_t kPerThread = 500;
  auto m = must_create({MapType::kQueue, "q", 0, 4, kThreads * kPerThread, 0});
  std::vector<std::vector<uint32_t>> popped(kThreads);
  run_threads([&](int t) {
    for (uint32_t i = 0; i < kPerThread; ++i) {
      uint32_t v = t * kPerThread + i;
      ASSERT_EQ(m->push(&v, kBpfAny), 0);
      uint32_t out;
      if (i % 2 == 0 && m->pop(&out) == 0) popped[t].push_back(out);
    }
  });
  std::multiset<uint32_t> all;
  for (auto& p : popped) all.insert(p.begin(), p.end());
  uint32_t out;
  while (m->pop(&out) == 0) all.insert(out);
  EXPECT_EQ(all.size(), kThreads * kPerThread);
  for (uint32_t v = 0; v < kThreads * kPerThread; ++v) EXPECT_EQ(all.count(v), 1u) << v;
}

TEST(MapConcurrencyTest, RingbufProducersAndOneConsumer) {
  constexpr uint32_t kPerThread = 1000;
  auto rb = std::static_pointer_cast<RingbufMap>(
      must_create({MapType::kRingbuf, "rb", 0, 0, 4096, 0}));
  std::atomic<int> producing{kThreads};
  std::vector<uint32_t> next(kThreads, 0);
  uint64_t received = 0;
  bool in_order = true;
  auto on_record = [&](std::span<const uint8_t> rec) {
    uint32_t v[2];
    if (rec.size() != sizeof v) {
      in_order = false;
      return 0;
    }
    std::memcpy(v, rec.data(), sizeof v);
    if (v[0] >= kThreads || v[1] != next[v[0]]) in_order = false;
    if (v[0] < kThreads) next[v[0]] = v[1] + 1;
    ++received;
    return 0;
  };
  std::thread consumer([&] {
    while (producing.load() > 0) rb->poll(1, on_record);
    rb->consume(on_record);
  });
  run_threads([&](int t) {
    for (uint32_t i = 0; i < kPerThread; ++i) {
      uint32_t v[2] = {static_cast<uint32_t>(t), i};
      if (i % 2 == 0) {
        while (rb->output(v, sizeof v, 0) == -EAGAIN) std::this_thread::yield();
      } else {
        void* p;
        while ((p = rb->reserve(sizeof v, 0)) == nullptr) std::this_thread::yield();
        std::memcpy(p, v, sizeof v);
        rb->submit(p, 0);
      }
    }
    producing.fetch_sub(1);
  });
  consumer.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(received, uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(rb->query(kRingbufAvailData), 0u);
}

// lpm_trie: writers add and remove their own prefixes while readers look up; every
// lookup sees a consistent match (the value belongs to a prefix that matches).
TEST(MapConcurrencyTest, LpmTrieUpdatesAndLookups) {
  struct Key {
    uint32_t prefixlen;
    uint8_t addr[4];
  };
  auto m = must_create({MapType::kLpmTrie, "t", 8, 4, 256, kMapFlagNoPrealloc});
  Key base{8, {10, 0, 0, 0}};
  uint32_t base_value = 8;
  ASSERT_EQ(m->update(&base, &base_value, kBpfAny), 0);
  std::atomic<bool> bad{false};
  run_threads([&](int t) {
    for (uint32_t i = 0; i < 200; ++i) {
      // Thread t owns 10.t.x.0/24; the value is the prefix length.
      Key k{24, {10, static_cast<uint8_t>(t), static_cast<uint8_t>(i % 32), 0}};
      uint32_t v = 24;
      if (i % 3 == 2) {
        m->erase(&k);
      } else if (m->update(&k, &v, kBpfAny) != 0) {
        bad = true;
      }
      Key probe{32, {10, static_cast<uint8_t>((t + 1) % kThreads), static_cast<uint8_t>(i % 32), 7}};
      void* p = m->lookup(&probe);
      uint32_t got = 0;
      if (p == nullptr) {
        bad = true;  // the /8 always matches
      } else {
        got = __atomic_load_n(static_cast<uint32_t*>(p), __ATOMIC_RELAXED);  // as a program
        if (got != 8 && got != 24) bad = true;
      }
    }
  });
  EXPECT_FALSE(bad);
  uint32_t n = 0;
  Key k{}, next{};
  const void* prev = nullptr;
  while (m->get_next_key(prev, &next) == 0) {
    ++n;
    k = next;
    prev = &k;
  }
  EXPECT_GE(n, 1u);
  EXPECT_LE(n, 1u + kThreads * 32);
}

// bloom_filter: concurrent pushes lose no bit (no false negatives afterwards).
TEST(MapConcurrencyTest, BloomFilterPushesFromManyThreads) {
  auto m = must_create({MapType::kBloomFilter, "b", 0, 4, 2000, 0});
  run_threads([&](int t) {
    for (uint32_t i = 0; i < 400; ++i) {
      uint32_t v = t * 1000 + i;
      ASSERT_EQ(m->push(&v, kBpfAny), 0);
      ASSERT_EQ(m->peek(&v), 0);
    }
  });
  for (int t = 0; t < kThreads; ++t) {
    for (uint32_t i = 0; i < 400; ++i) {
      uint32_t v = t * 1000 + i;
      EXPECT_EQ(m->peek(&v), 0) << v;
    }
  }
}

// lru_percpu_hash: each thread counts in its own slot of shared keys; the totals are exact.
TEST(MapConcurrencyTest, LruPercpuHashCountsPerThread) {
  constexpr int kIters = 500;
  auto m = must_create({MapType::kLruPercpuHash, "l", 4, 8, 8, 0});
  run_threads([&](int) {
    for (int i = 0; i < kIters; ++i) {
      uint32_t k = i % 4;
      auto* v = static_cast<uint64_t*>(m->lookup(&k));
      if (v == nullptr) {
        uint64_t one = 1;
        // A racing insert of the same key may win; then count in the existing slot.
        if (m->update(&k, &one, kBpfNoExist) == 0) continue;
        v = static_cast<uint64_t*>(m->lookup(&k));
        ASSERT_NE(v, nullptr);
      }
      ++*v;
    }
  });
  std::vector<uint64_t> all(kMaxCpuSlots);
  uint64_t total = 0;
  for (uint32_t k = 0; k < 4; ++k) {
    ASSERT_EQ(m->host_lookup(&k, all.data()), 0);
    for (uint64_t x : all) total += x;
  }
  // An insert zeroes the other threads' slots, but each key is inserted once (4 keys in
  // 8 entries: no eviction) before anyone can count in it.
  EXPECT_EQ(total, uint64_t{kThreads} * kIters);
}

// Map-in-map: the host swaps inner maps while threads look up and use them; a lookup
// always gives a live map of the template.
TEST(MapConcurrencyTest, MapOfMapsSwapsUnderLookups) {
  MapSpec inner{MapType::kArray, "inner", 4, 8, 1, 0};
  MapSpec outer_spec{MapType::kArrayOfMaps, "outer", 4, 4, 1, 0};
  outer_spec.inner = std::make_shared<MapSpec>(inner);
  auto outer_map = must_create(outer_spec);
  auto& outer = static_cast<MapOfMaps&>(*outer_map);
  std::atomic<int> readers{kThreads};
  std::atomic<uint64_t> used{0};
  uint32_t k0 = 0;
  ASSERT_EQ(outer.set_inner(&k0, must_create(inner), kBpfAny), 0);
  std::thread host([&] {
    for (int i = 0; readers.load() > 0; ++i) {
      uint32_t k = 0;
      ASSERT_EQ(outer.set_inner(&k, must_create(inner), kBpfAny), 0);
      if (i % 5 == 4) outer.erase(&k);
    }
  });
  // Each reader goes on past its 2000 lookups until one found an inner map (a loaded
  // machine may keep the host away for all of them), for at most 10 seconds.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  run_threads([&](int) {
    uint64_t found = 0;
    for (int i = 0; i < 2000 || (found == 0 && std::chrono::steady_clock::now() < deadline);
         ++i) {
      uint32_t k = 0;
      std::shared_ptr<BpfMap> m = outer.inner(&k);
      if (m == nullptr) {
        std::this_thread::yield();
        continue;
      }
      auto* v = static_cast<uint64_t*>(m->lookup(&k));
      ASSERT_NE(v, nullptr);
      __atomic_fetch_add(v, 1, __ATOMIC_RELAXED);
      used.fetch_add(1);
      ++found;
    }
    readers.fetch_sub(1);
  });
  host.join();
  EXPECT_GT(used.load(), 0u);
}

// perf_event_array: threads write to their own CPU buffer while a consumer polls; every
// record arrives once, in order per CPU, or is counted lost.
TEST(MapConcurrencyTest, PerfEventArrayProducersAndAConsumer) {
  constexpr uint32_t kPerThread = 2000;
  auto m = must_create({MapType::kPerfEventArray, "events", 4, 4, 0, 0});
  auto& pe = static_cast<PerfEventArrayMap&>(*m);
  ASSERT_EQ(pe.open(4096), 0);
  std::atomic<int> producing{kThreads};
  uint64_t received = 0, lost = 0;
  std::map<uint32_t, uint32_t> last;  // producer -> last sequence number seen
  bool in_order = true;
  auto on_record = [&](uint32_t, std::span<const uint8_t> rec) {
    uint32_t v[2];
    std::memcpy(v, rec.data(), sizeof v);
    auto it = last.find(v[0]);
    if (it != last.end() && v[1] <= it->second) in_order = false;
    last[v[0]] = v[1];
    ++received;
    return true;
  };
  auto on_lost = [&](uint32_t, uint64_t n) { lost += n; };
  std::thread consumer([&] {
    while (producing.load() > 0) pe.poll(1, on_record, on_lost);
    pe.consume(on_record, on_lost);
  });
  run_threads([&](int t) {
    for (uint32_t i = 0; i < kPerThread; ++i) {
      uint32_t v[2] = {static_cast<uint32_t>(t), i};
      int64_t r = pe.output(PerfEventArrayMap::kCurrentCpu, v, sizeof v);
      ASSERT_TRUE(r == 0 || r == -ENOSPC) << r;
    }
    producing.fetch_sub(1);
  });
  consumer.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(received + lost, uint64_t{kThreads} * kPerThread);
}

}  // namespace
}  // namespace bpfjit
