// The host environment changed while programs run on other threads: runs see the old or
// the new clock and network, never a torn one (also run under ThreadSanitizer).
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bpfjit/runtime.h"

namespace bpfjit {
namespace {

TEST(HostEnvConcurrencyTest, RunsReadWhileTheHostChangesClockSeedAndNetwork) {
  Runtime rt;
  auto obj = rt.load_file(std::string(BPFJIT_BPF_PROGS_DIR) + "/xdp_fwd.v3.o");
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  ASSERT_TRUE((*obj)->prepare_all().ok());
  auto clock = rt.load_file(std::string(BPFJIT_BPF_PROGS_DIR) + "/host_clock.v3.o");
  ASSERT_TRUE(clock.ok()) << clock.error().to_string();
  ASSERT_TRUE((*clock)->prepare_all().ok());
  Program* fwd = (*obj)->program("xdp_fwd");
  Program* clk = (*clock)->program("host_clock");
  // 10.0.2.7 through device 2 when the network has it; FWD_DISABLED on lo otherwise.
  std::vector<uint8_t> pkt(100, 0);
  pkt[12] = 0x08;
  pkt[14] = 0x45;
  pkt[17] = 86;
  const uint8_t dst[4] = {10, 0, 2, 7};
  std::memcpy(pkt.data() + 30, dst, 4);
  HostNetwork with;
  with.devices[0].forwarding = true;
  with.devices.push_back(NetDevice{2, 1500, {2, 0, 0, 0, 0, 2}, true, {}, {}});
  Route r;
  r.prefix = {10, 0, 2, 0};
  r.prefix_len = 24;
  r.ifindex = 2;
  with.routes.push_back(r);
  with.neighbours.push_back(Neighbour{2, false, {10, 0, 2, 7}, {0xaa, 0, 0, 0, 0, 7}});

  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> runners;
  for (int t = 0; t < 2; ++t) {
    runners.emplace_back([&, t] {
      for (int i = 0; i < 300 && !stop.load(); ++i) {
        TestRunInput in;
        in.data = pkt;
        in.options.cpu = static_cast<uint32_t>(t);
        auto a = fwd->test_run(in);
        auto b = clk->test_run(in);
        // XDP_ABORTED (0: no devmap slot) when routed, XDP_PASS when not.
        if (!a.ok() || !b.ok() || (a->retval != 0 && a->retval != 2)) bad.fetch_add(1);
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    rt.host().set_network(i % 2 == 0 ? with : HostNetwork{});
    rt.host().set_time_ns(static_cast<uint64_t>(i) * 1000);
    rt.host().advance_time_ns(1);
    rt.host().set_prandom_seed(static_cast<uint64_t>(i));
  }
  stop.store(true);
  for (auto& th : runners) th.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace bpfjit
