// The public API under concurrent use, as a service uses it: one prepared program run from
// many threads while the host reads and writes its maps, reads its counters, consumes its
// ring buffer and reloads the object. Built and run under ThreadSanitizer (label tsan).
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "bpfjit/runtime.h"
#include "test/loader/loader_util.h"

namespace bpfjit {
namespace {

using testing::prog_path;

constexpr uint64_t kXdpDrop = 1, kXdpPass = 2;

// An Ethernet + IPv4 + TCP packet from 10.0.0.`src` to port `dport` (SYN when `syn`).
std::vector<uint8_t> tcp_packet(uint8_t src, uint16_t dport, bool syn = false) {
  std::vector<uint8_t> p = {2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0x08, 0x00,
                            0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, src, 10, 0, 0, 2,
                            0x9c, 0x40, static_cast<uint8_t>(dport >> 8),
                            static_cast<uint8_t>(dport)};
  p.resize(54);
  p[46] = 0x50;
  p[47] = syn ? 0x02 : 0x10;
  return p;
}

Result<uint64_t> stat(const Object& obj, uint32_t key) {
  return obj.map("stats")->get<uint32_t, uint64_t>(key);
}

class ApiConcurrencyTest : public ::testing::TestWithParam<EngineKind> {
 protected:
  PrepareOptions options() const {
    PrepareOptions o;
    o.engine = GetParam();
    return o;
  }
};

// Workers run xdp_filter while the host blocks and unblocks a source address, reads the
// counters and the program's stats. Every verdict matches the block list as the worker saw
// it before and after its run, and no count is lost.
TEST_P(ApiConcurrencyTest, RunsWhileTheHostUsesMapsAndCounters) {
  Runtime rt;
  auto obj = rt.load_file(prog_path("xdp_filter.v4.o"));
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  Program* p = (*obj)->program("xdp_filter");
  ASSERT_TRUE(p->prepare(options()).ok());
  Map* blocked = (*obj)->map("blocked_src");
  const uint8_t toggled[4] = {10, 0, 0, 9};  // source 10.0.0.9 is blocked and unblocked
  const uint8_t one = 1;

  constexpr int kThreads = 4, kRuns = 300;
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::atomic<uint64_t> host_reads{0};
  std::thread host([&] {
    while (!stop.load()) {
      (void)blocked->update(toggled, Map::bytes_of(one));
      (void)stat(**obj, 0);
      (void)p->stats();
      (void)blocked->erase(toggled);
      host_reads.fetch_add(1);
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      // Start once the host is in its loop, so that the runs overlap its map updates even
      // on a loaded machine.
      while (host_reads.load() == 0) std::this_thread::yield();
      for (int i = 0; i < kRuns; ++i) {
        // Sources 1..8 are never blocked: telnet (23) is dropped, everything else passes.
        // Source 9 may be blocked or not at any moment: drop or pass are both right.
        const uint8_t src = static_cast<uint8_t>(1 + (i + t) % 9);
        const uint16_t dport = i % 3 == 0 ? 23 : 80;
        auto pkt = tcp_packet(src, dport);
        auto r = p->run(pkt);
        if (!r.ok()) {
          ++wrong;
          continue;
        }
        const bool ok = src == 9 ? (*r == kXdpDrop || *r == kXdpPass)
                                 : *r == (dport == 23 ? kXdpDrop : kXdpPass);
        if (!ok) ++wrong;
      }
    });
  }
  for (auto& w : workers) w.join();
  stop = true;
  host.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(host_reads.load(), 0u);
  auto ipv4 = stat(**obj, 0);  // STAT_IPV4: every packet, counted with atomic adds
  ASSERT_TRUE(ipv4.ok());
  EXPECT_EQ(*ipv4, uint64_t{kThreads} * kRuns);
  EXPECT_EQ(p->stats().runs, uint64_t{kThreads} * kRuns);
  EXPECT_EQ(p->stats().errors, 0u);
}

// Producers fill the ring buffer from several threads while the host consumes it; batches
// stay below the ring's size so that nothing may be dropped: every event arrives once.
TEST_P(ApiConcurrencyTest, RingbufProducersAndAConsumer) {
  Runtime rt;
  auto obj = rt.load_file(prog_path("ringbuf_events.v4.o"));
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  Program* p = (*obj)->program("packet_events");
  ASSERT_TRUE(p->prepare(options()).ok());
  Map* events = (*obj)->map("events");

  constexpr int kThreads = 3, kBatches = 12, kPerBatch = 20;  // 60 events of 24 bytes < 4 KiB
  std::atomic<uint64_t> consumed{0};
  std::atomic<uint64_t> per_source[kThreads] = {};
  std::atomic<bool> done{false};
  auto drain = [&] {
    auto n = events->consume([&](std::span<const uint8_t> rec) {
      if (rec.size() >= 4 && rec[3] >= 1 && rec[3] <= kThreads) per_source[rec[3] - 1]++;
      return true;
    });
    if (n.ok()) consumed += *n;
  };
  std::thread consumer([&] {
    while (!done.load()) drain();
  });
  std::barrier sync(kThreads + 1);
  std::vector<std::thread> producers;
  std::atomic<int> failed{0};
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        for (int i = 0; i < kPerBatch; ++i) {
          auto pkt = tcp_packet(static_cast<uint8_t>(t + 1), 80, i % 2 == 0);
          auto r = p->run(pkt);
          if (!r.ok() || *r != kXdpPass) ++failed;
        }
        sync.arrive_and_wait();  // the batch is produced
        sync.arrive_and_wait();  // the host has drained it
      }
    });
  }
  for (int b = 0; b < kBatches; ++b) {
    sync.arrive_and_wait();
    while (events->pending_bytes() != 0) std::this_thread::yield();
    sync.arrive_and_wait();
  }
  for (auto& t : producers) t.join();
  done = true;
  consumer.join();
  drain();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(consumed.load(), uint64_t{kThreads} * kBatches * kPerBatch);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(per_source[t].load(), uint64_t{kBatches} * kPerBatch) << "source " << t + 1;
  }
  auto lost = (*obj)->variable("lost");
  ASSERT_TRUE(lost.ok());
  uint64_t lost_count = 1;
  std::memcpy(&lost_count, lost->data(), sizeof(lost_count));
  EXPECT_EQ(lost_count, 0u);
}

// Hot reload: workers keep running "the current object" while the host loads and prepares
// a new one that reuses the old one's maps, then swaps it in. No run fails and no count is
// lost across the swaps.
TEST_P(ApiConcurrencyTest, HotReloadKeepsRunsFlowingAndCountsWhole) {
  Runtime rt;
  auto first = rt.load_file(prog_path("xdp_filter.v4.o"));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE((*first)->prepare_all(options()).ok());
  std::shared_ptr<Object> current(std::move(first).value());
  std::mutex mu;  // guards `current` (the pointer, not the object)
  auto snapshot = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return current;
  };
  std::shared_ptr<Map> stats = current->shared_map("stats");

  constexpr int kThreads = 3, kRuns = 1500, kReloads = 5;
  std::atomic<int> failed{0};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> runs_done{0};
  std::atomic<int> reloads{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&] {
      // At least kRuns each, and on until every reload has happened.
      for (int i = 0; i < kRuns || (reloads.load() < kReloads && !stop.load()); ++i) {
        std::shared_ptr<Object> obj = snapshot();
        auto pkt = tcp_packet(1, 80);
        auto r = obj->program("xdp_filter")->run(pkt);
        if (!r.ok() || *r != kXdpPass) ++failed;
        runs_done.fetch_add(1);
      }
    });
  }
  std::thread reloader([&] {
    for (int n = 0; n < kReloads && !stop.load(); ++n) {
      // Reload while the workers are mid-stream: after each sixth of their first runs.
      const uint64_t mark = uint64_t{kThreads} * kRuns * (n + 1) / (kReloads + 1);
      while (runs_done.load() < mark && !stop.load()) std::this_thread::yield();
      LoadSettings reuse;
      reuse.reuse_maps = {stats, snapshot()->shared_map("blocked_src")};
      auto next = rt.load_file(prog_path(n % 2 ? "xdp_filter.v4.o" : "xdp_filter.v3.o"), reuse);
      if (!next.ok() || !(*next)->prepare_all(options()).ok()) {
        ++failed;
        return;
      }
      std::shared_ptr<Object> fresh(std::move(next).value());
      std::lock_guard<std::mutex> lock(mu);
      current = std::move(fresh);  // the old object dies with its last running worker
      reloads.fetch_add(1);
    }
  });
  reloader.join();
  stop = true;  // only matters when a reload failed
  for (auto& w : workers) w.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(reloads.load(), kReloads);
  EXPECT_GE(runs_done.load(), uint64_t{kThreads} * kRuns);
  auto ipv4 = stats->get<uint32_t, uint64_t>(0);
  ASSERT_TRUE(ipv4.ok());
  EXPECT_EQ(*ipv4, runs_done.load());
}

// spin_counter updates two counters of an array value under its bpf_spin_lock, from many
// threads at once: the lock must really exclude (a lost update would break bytes ==
// packets * length), in verified and in checked runs, and leave the lock free.
TEST_P(ApiConcurrencyTest, SpinLockKeepsTwoCountersConsistent) {
  struct Totals {
    uint64_t packets;
    uint32_t lock;
    uint32_t max_len;
    uint64_t bytes;
  };
  for (Safety safety : {Safety::kVerified, Safety::kChecked}) {
    SCOPED_TRACE(safety == Safety::kVerified ? "verified" : "checked");
    Runtime rt;
    auto obj = rt.load_file(prog_path("spin_counter.v4.o"));
    ASSERT_TRUE(obj.ok()) << obj.error().to_string();
    Program* p = (*obj)->program("count_locked");
    PrepareOptions o = options();
    o.safety = safety;
    auto prepared = p->prepare(o);
    ASSERT_TRUE(prepared.ok()) << prepared.error().to_string();
    constexpr int kThreads = 4, kRuns = 3000;
    std::atomic<int> failed{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < kThreads; ++w) {
      workers.emplace_back([&, w] {
        // Thread w sends 64 + w bytes: slot w, one length per slot.
        std::vector<uint8_t> packet(64 + w, 0xab);
        for (int i = 0; i < kRuns; ++i) {
          auto r = p->run(packet);
          if (!r.ok() || *r != kXdpPass) failed.fetch_add(1);
        }
      });
    }
    for (auto& t : workers) t.join();
    EXPECT_EQ(failed.load(), 0);
    for (uint32_t slot = 0; slot < kThreads; ++slot) {
      auto t = (*obj)->map("totals")->get<uint32_t, Totals>(slot);
      ASSERT_TRUE(t.ok()) << t.error().to_string();
      EXPECT_EQ(t->packets, uint64_t{kRuns}) << "slot " << slot;
      EXPECT_EQ(t->bytes, uint64_t{kRuns} * (64 + slot)) << "slot " << slot;
      EXPECT_EQ(t->max_len, 64 + slot);
      EXPECT_EQ(t->lock, 0u) << "the lock is left taken";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, ApiConcurrencyTest,
                         ::testing::Values(EngineKind::kInterpreter, EngineKind::kJit),
                         [](const auto& info) {
                           return info.param == EngineKind::kJit ? std::string("jit")
                                                                 : std::string("interp");
                         });

}  // namespace
}  // namespace bpfjit
