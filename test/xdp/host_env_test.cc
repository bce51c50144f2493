// The host environment (bpfjit/host.h) as programs see it, on the interpreter and the JIT:
// a fixed clock (ktime_get_ns, ktime_get_boot_ns, ktime_get_coarse_ns, jiffies64), a seeded
// get_prandom_u32, RunOptions::cpu (get_smp_processor_id and the per-CPU slot), and
// bpf-progs/xdp_fwd.c's forwarding through the host network: bpf_fib_lookup,
// bpf_check_mtu, bpf_redirect_map to a devmap (xdp) and bpf_redirect (tc), with the
// redirect reported in TestRunResult::redirect.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstring>
#include <string>
#include <vector>

#include "bpfjit/runtime.h"

namespace bpfjit {
namespace {

struct HostSeen {
  uint64_t ktime, boot, coarse, jiffies;
  uint32_t rand[2];
  uint32_t cpu, pad;
};

struct FwdObs {
  int64_t fib_rc;
  int64_t mtu_rc;
  uint32_t ifindex;
  uint32_t mtu_result;
  uint32_t rt_metric;
  uint32_t family;
  uint32_t mtu_len;
  uint32_t src[4];
  uint32_t dst[4];
  uint8_t smac[6];
  uint8_t dmac[6];
};

constexpr uint32_t kXdpDrop = 1, kXdpPass = 2, kXdpRedirect = 4;
constexpr uint32_t kTcOk = 0, kTcShot = 2, kTcRedirect = 7;

std::array<uint8_t, 16> ip4(const char* s) {
  std::array<uint8_t, 16> a{};
  EXPECT_EQ(inet_pton(AF_INET, s, a.data()), 1) << s;
  return a;
}
std::array<uint8_t, 16> ip6(const char* s) {
  std::array<uint8_t, 16> a{};
  EXPECT_EQ(inet_pton(AF_INET6, s, a.data()), 1) << s;
  return a;
}

// An Ethernet + IPv4 (UDP) packet of `len` bytes; `steer` are the first 5 bytes of the
// source MAC (xdp_fwd.c's steering).
std::vector<uint8_t> ipv4_packet(const char* src, const char* dst, size_t len,
                                 std::array<uint8_t, 5> steer = {}) {
  std::vector<uint8_t> p(len, 0);
  std::memcpy(p.data() + 6, steer.data(), steer.size());
  p[12] = 0x08;
  p[14] = 0x45;
  const auto tot = static_cast<uint16_t>(len - 14);
  p[16] = static_cast<uint8_t>(tot >> 8);
  p[17] = static_cast<uint8_t>(tot);
  p[22] = 64;
  p[23] = 17;
  std::memcpy(p.data() + 26, ip4(src).data(), 4);
  std::memcpy(p.data() + 30, ip4(dst).data(), 4);
  return p;
}

std::vector<uint8_t> ipv6_packet(const char* src, const char* dst, size_t len,
                                 std::array<uint8_t, 5> steer = {}) {
  std::vector<uint8_t> p(len, 0);
  std::memcpy(p.data() + 6, steer.data(), steer.size());
  p[12] = 0x86;
  p[13] = 0xdd;
  p[14] = 0x60;
  const auto payload = static_cast<uint16_t>(len - 54);
  p[18] = static_cast<uint8_t>(payload >> 8);
  p[19] = static_cast<uint8_t>(payload);
  p[20] = 17;
  p[21] = 64;
  std::memcpy(p.data() + 22, ip6(src).data(), 16);
  std::memcpy(p.data() + 38, ip6(dst).data(), 16);
  return p;
}

// Two Ethernet devices beside loopback, routes through both, neighbours on them.
HostNetwork test_network() {
  HostNetwork net;
  net.devices[0].forwarding = true;
  net.devices.push_back(NetDevice{2, 1500, {2, 0, 0, 0, 0, 2}, true, {10, 0, 2, 1}, {}});
  NetDevice d3{3, 9000, {2, 0, 0, 0, 0, 3}, true, {}, {}};
  d3.ipv6 = ip6("2001:db8:3::1");
  net.devices.push_back(d3);
  Route r;
  r.prefix = ip4("10.0.2.0");
  r.prefix_len = 24;
  r.ifindex = 2;
  r.metric = 5;
  net.routes.push_back(r);
  r.prefix = ip4("10.9.0.0");  // via a gateway on device 2, with a small MTU
  r.prefix_len = 16;
  r.has_gateway = true;
  r.gateway = ip4("10.0.2.254");
  r.mtu = 1280;
  r.metric = 7;
  net.routes.push_back(r);
  Route bh;
  bh.prefix = ip4("10.66.0.0");
  bh.prefix_len = 16;
  bh.type = RouteType::kBlackhole;
  net.routes.push_back(bh);
  Route r6;
  r6.ipv6 = true;
  r6.prefix = ip6("2001:db8:3::");
  r6.prefix_len = 64;
  r6.ifindex = 3;
  r6.metric = 1024;
  net.routes.push_back(r6);
  net.neighbours.push_back(Neighbour{2, false, ip4("10.0.2.7"), {0xaa, 0, 0, 0, 0, 7}});
  net.neighbours.push_back(Neighbour{2, false, ip4("10.0.2.254"), {0xaa, 0, 0, 0, 0, 0xfe}});
  net.neighbours.push_back(Neighbour{3, true, ip6("2001:db8:3::9"), {0xbb, 0, 0, 0, 0, 9}});
  return net;
}

class HostEnvTest : public ::testing::TestWithParam<EngineKind> {
 protected:
  Program* load(const char* object, const char* program) {
    auto obj = rt_.load_file(std::string(BPFJIT_BPF_PROGS_DIR) + "/" + object);
    EXPECT_TRUE(obj.ok()) << obj.error().to_string();
    if (!obj.ok()) return nullptr;
    obj_ = std::move(obj).value();
    Program* p = obj_->program(program);
    EXPECT_NE(p, nullptr);
    PrepareOptions po;
    po.engine = GetParam();
    auto r = p->prepare(po);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? p : nullptr;
  }
  TestRunResult test_run(Program* p, const std::vector<uint8_t>& packet,
                         RunOptions opts = {}) {
    TestRunInput in;
    in.data = packet;
    in.options = opts;
    auto r = p->test_run(in);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? std::move(r).value() : TestRunResult{};
  }
  HostSeen seen() {
    auto v = obj_->map("seen")->get<uint32_t, HostSeen>(0);
    EXPECT_TRUE(v.ok());
    return v.ok() ? *v : HostSeen{};
  }
  FwdObs obs() {
    auto v = obj_->map("obs")->get<uint32_t, FwdObs>(0);
    EXPECT_TRUE(v.ok());
    return v.ok() ? *v : FwdObs{};
  }

  Runtime rt_;
  std::unique_ptr<Object> obj_;
};

TEST_P(HostEnvTest, AFixedClockMovesOnlyWhenTheHostMovesIt) {
  Program* p = load("host_clock.v3.o", "host_clock");
  ASSERT_NE(p, nullptr);
  const std::vector<uint8_t> pkt(64, 0);
  rt_.host().set_time_ns(5'000'000'000);
  rt_.host().set_boot_offset_ns(7);
  EXPECT_EQ(test_run(p, pkt).retval, kXdpPass);
  HostSeen s = seen();
  EXPECT_EQ(s.ktime, 5'000'000'000u);
  EXPECT_EQ(s.boot, 5'000'000'007u);
  EXPECT_EQ(s.coarse, 5'000'000'000u);
  EXPECT_EQ(s.jiffies, HostEnvironment::kInitialJiffies + 5 * HostEnvironment::kHz);
  test_run(p, pkt);
  EXPECT_EQ(seen().ktime, 5'000'000'000u);  // did not move by itself
  rt_.host().advance_time_ns(4'000'000);    // one jiffy at 250 Hz
  test_run(p, pkt);
  s = seen();
  EXPECT_EQ(s.ktime, 5'004'000'000u);
  EXPECT_EQ(s.jiffies, HostEnvironment::kInitialJiffies + 5 * HostEnvironment::kHz + 1);
  rt_.host().use_real_clock();
  test_run(p, pkt);
  s = seen();
  EXPECT_NE(s.ktime, 5'004'000'000u);
  EXPECT_GE(s.boot, s.ktime);  // CLOCK_BOOTTIME never runs behind CLOCK_MONOTONIC
}

TEST_P(HostEnvTest, ASeedMakesPrandomASequence) {
  Program* p = load("host_clock.v3.o", "host_clock");
  ASSERT_NE(p, nullptr);
  const std::vector<uint8_t> pkt(64, 0);
  rt_.host().set_prandom_seed(42);
  test_run(p, pkt);
  const HostSeen a = seen();
  test_run(p, pkt);
  const HostSeen b = seen();
  EXPECT_NE(a.rand[0], a.rand[1]);
  EXPECT_NE(a.rand[0], b.rand[0]);  // the sequence goes on across runs
  rt_.host().set_prandom_seed(42);  // and starts again from the seed
  test_run(p, pkt);
  HostSeen c = seen();
  EXPECT_EQ(c.rand[0], a.rand[0]);
  EXPECT_EQ(c.rand[1], a.rand[1]);
  rt_.host().set_prandom_seed(43);
  test_run(p, pkt);
  c = seen();
  EXPECT_NE(c.rand[0], a.rand[0]);
}

TEST_P(HostEnvTest, TheRunsCpuIsTheProcessorIdAndThePerCpuSlot) {
  Program* p = load("host_clock.v3.o", "host_clock");
  ASSERT_NE(p, nullptr);
  const std::vector<uint8_t> pkt(64, 0);
  RunOptions o;
  o.cpu = 5;
  test_run(p, pkt, o);
  test_run(p, pkt, o);
  EXPECT_EQ(seen().cpu, 5u);
  o.cpu = 9;
  test_run(p, pkt, o);
  EXPECT_EQ(seen().cpu, 9u);
  Map* runs = obj_->map("runs");
  std::vector<uint8_t> v(runs->value_bytes());
  const uint32_t key = 0;
  ASSERT_TRUE(runs->lookup({reinterpret_cast<const uint8_t*>(&key), 4}, v).ok());
  uint64_t n5 = 0, n9 = 0;
  std::memcpy(&n5, v.data() + 5 * 8, 8);
  std::memcpy(&n9, v.data() + 9 * 8, 8);
  EXPECT_EQ(n5, 2u);
  EXPECT_EQ(n9, 1u);
  o.cpu = 128;  // no such per-CPU slot
  TestRunInput in;
  in.data = pkt;
  in.options = o;
  auto r = p->test_run(in);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(HostEnvTest, XdpForwardsThroughTheRouteNeighbourAndDevmap) {
  Program* p = load("xdp_fwd.v3.o", "xdp_fwd");
  ASSERT_NE(p, nullptr);
  rt_.host().set_network(test_network());
  const bool put = obj_->map("tx_port")->put<uint32_t, uint32_t>(2, 2).ok();
  ASSERT_TRUE(put);
  TestRunResult r = test_run(p, ipv4_packet("10.0.1.1", "10.0.2.7", 100));
  EXPECT_EQ(r.retval, kXdpRedirect);
  FwdObs o = obs();
  EXPECT_EQ(o.fib_rc, 0);
  EXPECT_EQ(o.ifindex, 2u);
  EXPECT_EQ(o.rt_metric, 5u);
  EXPECT_EQ(o.mtu_result, 1500u);  // xdp lookups always check: the route's MTU
  EXPECT_EQ(o.mtu_rc, 0);
  EXPECT_EQ(o.mtu_len, 1500u);
  EXPECT_EQ(std::vector<uint8_t>(r.data_out.begin(), r.data_out.begin() + 12),
            (std::vector<uint8_t>{0xaa, 0, 0, 0, 0, 7, 2, 0, 0, 0, 0, 2}));
  EXPECT_EQ(r.redirect.kind, Redirect::Kind::kIfindex);
  EXPECT_EQ(r.redirect.map, "tx_port");
  EXPECT_EQ(r.redirect.key, 2u);
  EXPECT_EQ(r.redirect.target, 2u);

  // Through the gateway: the next hop's neighbour, the destination rewritten.
  r = test_run(p, ipv4_packet("10.0.1.1", "10.9.1.1", 100));
  o = obs();
  EXPECT_EQ(o.fib_rc, 0);
  EXPECT_EQ(o.dmac[5], 0xfe);
  EXPECT_EQ(std::memcmp(&o.dst[0], ip4("10.0.2.254").data(), 4), 0);
  EXPECT_EQ(o.mtu_result, 1280u);
  // Above the route's MTU: FRAG_NEEDED with the MTU, and the program drops.
  r = test_run(p, ipv4_packet("10.0.1.1", "10.9.1.1", 1400));
  EXPECT_EQ(r.retval, kXdpDrop);
  EXPECT_EQ(obs().fib_rc, 8);
  EXPECT_EQ(obs().mtu_result, 1280u);
  // Blackhole, no route, no neighbour.
  test_run(p, ipv4_packet("10.0.1.1", "10.66.0.1", 100));
  EXPECT_EQ(obs().fib_rc, 1);
  r = test_run(p, ipv4_packet("10.0.1.1", "192.0.2.1", 100));
  EXPECT_EQ(r.retval, kXdpPass);
  EXPECT_EQ(obs().fib_rc, 4);
  EXPECT_EQ(r.redirect.kind, Redirect::Kind::kNone);
  test_run(p, ipv4_packet("10.0.1.1", "10.0.2.8", 100));
  EXPECT_EQ(obs().fib_rc, 7);
  // SKIP_NEIGH (flags 4): no neighbour needed, no MACs.
  test_run(p, ipv4_packet("10.0.1.1", "10.0.2.8", 100, {4}));
  EXPECT_EQ(obs().fib_rc, 0);
  // SRC (flags 16): the device's address.
  test_run(p, ipv4_packet("10.0.1.1", "10.0.2.7", 100, {16}));
  o = obs();
  EXPECT_EQ(std::memcmp(&o.src[0], ip4("10.0.2.1").data(), 4), 0);
  // DIRECT|TBID with a table that has no routes: NOT_FWDED.
  test_run(p, ipv4_packet("10.0.1.1", "10.0.2.7", 100, {9, 0, 7}));
  EXPECT_EQ(obs().fib_rc, 4);
  // OUTPUT from device 3 (the ingress device of ctx_in): the route through device 2 does
  // not match; from device 2 it does.
  auto pkt = ipv4_packet("10.0.1.1", "10.0.2.7", 100, {2});
  for (uint32_t dev : {3u, 2u}) {
    const uint32_t md[6] = {0, static_cast<uint32_t>(pkt.size()), 0, dev, 0, 0};
    TestRunInput in;
    in.data = pkt;
    in.ctx = {reinterpret_cast<const uint8_t*>(md), sizeof md};
    ASSERT_TRUE(p->test_run(in).ok());
    EXPECT_EQ(obs().fib_rc, dev == 3 ? 4 : 0) << dev;
  }
}

TEST_P(HostEnvTest, XdpRedirectMapFallsBackToTheFlagsAction) {
  Program* p = load("xdp_fwd.v3.o", "xdp_fwd");
  ASSERT_NE(p, nullptr);
  rt_.host().set_network(test_network());
  // tx_port has no slot 2: the default action in the flags' low bits.
  TestRunResult r = test_run(p, ipv4_packet("10.0.1.1", "10.0.2.7", 100, {0, 1}));
  EXPECT_EQ(r.retval, kXdpDrop);
  EXPECT_EQ(r.redirect.kind, Redirect::Kind::kNone);
  r = test_run(p, ipv4_packet("10.0.1.1", "10.0.2.7", 100, {0, 2}));
  EXPECT_EQ(r.retval, kXdpPass);
  // BPF_F_BROADCAST redirects with no slot; an unknown flag aborts.
  r = test_run(p, ipv4_packet("10.0.1.1", "10.0.2.7", 100, {0, 8}));
  EXPECT_EQ(r.retval, kXdpRedirect);
  EXPECT_EQ(r.redirect.kind, Redirect::Kind::kIfindex);
  EXPECT_EQ(r.redirect.flags, 8u);
  EXPECT_EQ(r.redirect.target, 0u);
}

TEST_P(HostEnvTest, XdpRedirectMapToACpumapNamesTheCpu) {
  Program* p = load("xdp_fwd.v3.o", "xdp_to_cpu");
  ASSERT_NE(p, nullptr);
  const bool put = obj_->map("cpu_map")->put<uint32_t, uint32_t>(3, 256).ok();  // qsize 256
  ASSERT_TRUE(put);
  std::vector<uint8_t> pkt(64, 0);
  pkt[0] = 3;
  TestRunResult r = test_run(p, pkt);
  EXPECT_EQ(r.retval, kXdpRedirect);
  EXPECT_EQ(r.redirect.kind, Redirect::Kind::kCpu);
  EXPECT_EQ(r.redirect.target, 3u);
  EXPECT_EQ(r.redirect.value, 256u);
  EXPECT_EQ(r.redirect.map, "cpu_map");
  pkt[0] = 4;  // an empty slot: XDP_PASS from the flags, no redirect
  r = test_run(p, pkt);
  EXPECT_EQ(r.retval, kXdpPass);
  EXPECT_EQ(r.redirect.kind, Redirect::Kind::kNone);
}

TEST_P(HostEnvTest, TheDefaultNetworkIsAFreshNamespacesLoopback) {
  Program* p = load("xdp_fwd.v3.o", "xdp_fwd");
  ASSERT_NE(p, nullptr);
  TestRunResult r = test_run(p, ipv4_packet("10.0.1.1", "10.0.2.7", 100));
  EXPECT_EQ(r.retval, kXdpPass);
  FwdObs o = obs();
  EXPECT_EQ(o.fib_rc, 5);  // FWD_DISABLED on lo
  EXPECT_EQ(o.mtu_rc, 0);
  EXPECT_EQ(o.mtu_len, 65536u);
  // check_mtu with a len_diff that passes lo's MTU + 14.
  test_run(p, ipv4_packet("10.0.1.1", "10.0.2.7", 100, {0, 0, 0, 0x7f}));
  EXPECT_EQ(obs().mtu_rc, 0);
  HostNetwork none;  // not even the run's device: -ENODEV
  none.devices.clear();
  rt_.host().set_network(none);
  test_run(p, ipv4_packet("10.0.1.1", "10.0.2.7", 100));
  EXPECT_EQ(obs().fib_rc, -19);
  EXPECT_EQ(obs().mtu_rc, -19);
}

TEST_P(HostEnvTest, XdpIpv6ForwardsAndLinkLocalIsNotForwarded) {
  Program* p = load("xdp_fwd.v3.o", "xdp_fwd");
  ASSERT_NE(p, nullptr);
  rt_.host().set_network(test_network());
  test_run(p, ipv6_packet("2001:db8:1::1", "2001:db8:3::9", 200));
  FwdObs o = obs();
  EXPECT_EQ(o.fib_rc, 0);
  EXPECT_EQ(o.ifindex, 3u);
  EXPECT_EQ(o.rt_metric, 1024u);
  EXPECT_EQ(o.mtu_result, 9000u);
  EXPECT_EQ(o.dmac[0], 0xbb);
  test_run(p, ipv6_packet("fe80::1", "2001:db8:3::9", 200));
  EXPECT_EQ(obs().fib_rc, 4);
  test_run(p, ipv6_packet("2001:db8:1::1", "2001:db8:3::9", 200, {16}));
  o = obs();
  EXPECT_EQ(std::memcmp(o.src, ip6("2001:db8:3::1").data(), 16), 0);
}

TEST_P(HostEnvTest, TcForwardsWithBpfRedirectAndChecksTheSkb) {
  Program* p = load("xdp_fwd.v3.o", "tc_fwd");
  ASSERT_NE(p, nullptr);
  rt_.host().set_network(test_network());
  TestRunResult r = test_run(p, ipv4_packet("10.0.1.1", "10.0.2.7", 100));
  EXPECT_EQ(r.retval, kTcRedirect);
  EXPECT_EQ(r.redirect.kind, Redirect::Kind::kIfindex);
  EXPECT_EQ(r.redirect.target, 2u);
  EXPECT_TRUE(r.redirect.map.empty());
  EXPECT_EQ(obs().mtu_result, 1500u);
  // Without tot_len, the skb against the egress device's MTU after the lookup.
  r = test_run(p, ipv4_packet("10.0.1.1", "10.9.1.1", 1400, {0, 0, 0, 0, 1}));
  EXPECT_EQ(obs().fib_rc, 0);  // 1400 <= 1500 + 14 + 4: the route's MTU is not used
  EXPECT_EQ(obs().mtu_result, 1500u);
  r = test_run(p, ipv4_packet("10.0.1.1", "10.9.1.1", 1400));
  EXPECT_EQ(r.retval, kTcShot);
  EXPECT_EQ(obs().fib_rc, 8);
  r = test_run(p, ipv4_packet("10.0.1.1", "192.0.2.1", 100));
  EXPECT_EQ(r.retval, kTcOk);
  // check_mtu on the skb: lo by default, with len_diff.
  test_run(p, ipv4_packet("10.0.1.1", "192.0.2.1", 100, {0, 0, 0, 0x10}));
  EXPECT_EQ(obs().mtu_rc, 0);
  EXPECT_EQ(obs().mtu_len, 65536u);
}

INSTANTIATE_TEST_SUITE_P(Engines, HostEnvTest,
                         ::testing::Values(EngineKind::kInterpreter, EngineKind::kJit),
                         [](const ::testing::TestParamInfo<EngineKind>& i) {
                           return std::string(i.param == EngineKind::kJit ? "jit" : "interp");
                         });

}  // namespace
}  // namespace bpfjit
