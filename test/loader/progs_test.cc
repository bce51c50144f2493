// The bpf-progs programs, loaded through the public API and run on every engine, against
// results computed independently here in C++ (reference models of each program's
// policy), including the maps' and global data's contents after the runs.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "bpfjit/runtime.h"
#include "runtime/engine.h"
#include "test/loader/loader_util.h"
#include "test/loader/packets.h"

namespace bpfjit {
namespace {

using testing::get_be16;
using testing::get_be32;
using testing::Packet;
using testing::prog_path;

constexpr uint64_t kXdpAborted = 0, kXdpDrop = 1, kXdpPass = 2, kXdpTx = 3;

// True when this build can prepare programs on `kind` (the JIT may not be linked in yet).
bool engine_available(EngineKind kind) {
  std::vector<Insn> exit_only(1);  // exit
  EngineOptions o;
  o.kind = kind;
  auto e = prepare_engine(exit_only, o);
  return e.ok() || e.error().code != ErrorCode::kUnsupported;
}

class ProgsTest : public ::testing::TestWithParam<std::tuple<EngineKind, std::string>> {
 protected:
  void SetUp() override {
    if (!engine_available(engine())) GTEST_SKIP() << "engine " << engine_kind_name(engine())
                                                   << " is not built";
  }
  EngineKind engine() const { return std::get<0>(GetParam()); }
  std::string variant() const { return std::get<1>(GetParam()); }

  std::unique_ptr<Object> load(const std::string& name, bool prepare = true) {
    auto obj = rt_.load_file(prog_path(name + "." + variant() + ".o"));
    EXPECT_TRUE(obj.ok()) << obj.error().to_string();
    if (!obj.ok()) return nullptr;
    if (prepare) {
      auto r = (*obj)->prepare_all(checked(engine()));
      EXPECT_TRUE(r.ok()) << r.error().to_string();
      if (!r.ok()) return nullptr;
    }
    return std::move(obj).value();
  }

  static uint64_t run(Program* p, std::vector<uint8_t>& data, const RunOptions& o = {}) {
    auto r = p->run(data, o);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? *r : ~0ULL;
  }

  // These tests compare the engines with C++ models on inputs of many sizes, so they run
  // the programs checked; test/loader/api_test.cc runs them verified against this mode.
  static PrepareOptions checked(EngineKind kind) {
    PrepareOptions o;
    o.engine = kind;
    o.safety = Safety::kChecked;
    return o;
  }

  static uint64_t array_u64(Map* m, uint32_t key) {
    uint64_t v = 0;
    EXPECT_TRUE(m->lookup(Map::bytes_of(key), Map::writable_bytes_of(v)).ok());
    return v;
  }

  template <typename T>
  static T var(Object& obj, const char* name) {
    auto v = obj.variable(name);
    EXPECT_TRUE(v.ok()) << name;
    T out{};
    if (v.ok()) {
      EXPECT_EQ(v->size(), sizeof(T)) << name;
      std::memcpy(&out, v->data(), std::min(sizeof(T), v->size()));
    }
    return out;
  }

  Runtime rt_;
};

// ---- xdp_filter ----------------------------------------------------------------------

struct XdpFilterModel {
  uint64_t stats[6] = {};  // ipv4, ipv6, tcp, udp, drop, other
  std::set<uint32_t> blocked;

  uint64_t drop() {
    stats[4]++;
    return kXdpDrop;
  }
  uint64_t l4(const std::vector<uint8_t>& p, size_t at, uint8_t proto) {
    if (proto == testing::kTcp) {
      if (p.size() < at + 20) return drop();
      stats[2]++;
      return get_be16(p, at + 2) == 23 ? drop() : kXdpPass;
    }
    if (proto == testing::kUdp) {
      if (p.size() < at + 8) return drop();
      stats[3]++;
      return kXdpPass;
    }
    stats[5]++;
    return kXdpPass;
  }
  uint64_t run(const std::vector<uint8_t>& p) {
    if (p.size() < 14) return drop();
    uint16_t proto = get_be16(p, 12);
    size_t off = 14;
    if (proto == testing::kEthVlan) {
      if (p.size() < off + 4) return drop();
      proto = get_be16(p, off + 2);
      off += 4;
    }
    if (proto == testing::kEthIp) {
      if (p.size() < off + 20) return drop();
      const size_t ihl = (p[off] & 0x0f) * 4;
      if (ihl < 20 || off + ihl > p.size()) return drop();
      stats[0]++;
      if (blocked.count(get_be32(p, off + 12))) return drop();
      return l4(p, off + ihl, p[off + 9]);
    }
    if (proto == testing::kEthIpv6) {
      if (p.size() < off + 40) return drop();
      stats[1]++;
      return l4(p, off + 40, p[off + 6]);
    }
    stats[5]++;
    return kXdpPass;
  }
};

std::vector<std::vector<uint8_t>> filter_packets() {
  std::vector<std::vector<uint8_t>> out;
  out.push_back(Packet().eth(testing::kEthIp).ipv4(0x0a000001, 0x0a000002, testing::kTcp, 64, 20)
                    .tcp(40000, 80).bytes);
  out.push_back(Packet().eth(testing::kEthIp).ipv4(0x0a000001, 0x0a000002, testing::kTcp, 64, 20)
                    .tcp(40001, 23).bytes);
  out.push_back(Packet().eth(testing::kEthIp).ipv4(0x0a000003, 0x0a000002, testing::kUdp)
                    .udp(5000, 53).bytes);
  out.push_back(Packet().eth(testing::kEthIpv6).ipv6(testing::kUdp).udp(1, 2).bytes);
  out.push_back(Packet().eth(testing::kEthIpv6).ipv6(testing::kTcp, 20).tcp(1, 23).bytes);
  out.push_back(Packet().eth(testing::kEthArp).zeros(28).bytes);
  out.push_back(Packet().eth(testing::kEthIp).zeros(10).bytes);  // truncated IPv4
  out.push_back(Packet().eth(testing::kEthVlan).vlan(100, testing::kEthIp)
                    .ipv4(0x0a000004, 0x0a000002, testing::kUdp).udp(7, 9).bytes);
  out.push_back(Packet().eth(testing::kEthIp).ipv4(0x0a000005, 0x0a000002, testing::kTcp, 64, 20, 2)
                    .tcp(1234, 443).bytes);
  out.push_back(Packet().eth(testing::kEthIp).ipv4(0xc0a80001, 0x0a000002, testing::kUdp)
                    .udp(1, 2).bytes);  // blocked source
  out.push_back(Packet().eth(testing::kEthIp).ipv4(0x0a000001, 0x0a000002, testing::kIcmp)
                    .zeros(8).bytes);
  out.push_back(Packet().eth(testing::kEthIp).ipv4(0x0a000001, 0x0a000002, testing::kTcp)
                    .zeros(8).bytes);  // TCP header cut short
  out.push_back(std::vector<uint8_t>(6, 0xff));  // shorter than Ethernet
  return out;
}

TEST_P(ProgsTest, XdpFilter) {
  auto obj = load("xdp_filter");
  ASSERT_TRUE(obj);
  XdpFilterModel model;
  model.blocked.insert(0xc0a80001);
  const uint8_t blocked_key[4] = {0xc0, 0xa8, 0x00, 0x01};
  const uint8_t one = 1;
  ASSERT_TRUE(obj->map("blocked_src")->update(blocked_key, Map::bytes_of(one)).ok());
  Program* p = obj->program("xdp_filter");
  ASSERT_NE(p, nullptr);
  for (auto& pkt : filter_packets()) {
    const uint64_t want = model.run(pkt);
    EXPECT_EQ(run(p, pkt), want) << "packet of " << pkt.size() << " bytes";
  }
  for (uint32_t i = 0; i < 6; ++i) {
    EXPECT_EQ(array_u64(obj->map("stats"), i), model.stats[i]) << "stats[" << i << "]";
  }
}

// ---- flow_counter --------------------------------------------------------------------

TEST_P(ProgsTest, FlowCounter) {
  auto obj = load("flow_counter");
  ASSERT_TRUE(obj);
  Program* p = obj->program("count_flows");
  using Key = std::array<uint8_t, 16>;
  std::map<Key, std::pair<uint64_t, uint64_t>> want;
  std::vector<std::vector<uint8_t>> pkts;
  for (int i = 0; i < 12; ++i) {
    const uint8_t proto = i % 3 == 2 ? testing::kUdp : testing::kTcp;
    Packet pk;
    pk.eth(testing::kEthIp).ipv4(0x0a000001 + i % 4, 0x0a0000fe, proto, 64, 20 + i);
    if (proto == testing::kTcp) pk.tcp(1000 + i % 4, 80); else pk.udp(1000 + i % 4, 53, i);
    pk.zeros(i);
    pkts.push_back(pk.bytes);
  }
  pkts.push_back(Packet().eth(testing::kEthIp).ipv4(1, 2, testing::kIcmp).zeros(8).bytes);
  pkts.push_back(Packet().eth(testing::kEthIpv6).ipv6(testing::kUdp).udp(1, 2).bytes);
  for (auto& pkt : pkts) {
    EXPECT_EQ(run(p, pkt), kXdpPass);
    if (get_be16(pkt, 12) != testing::kEthIp) continue;
    const uint8_t proto = pkt[14 + 9];
    if (proto != testing::kTcp && proto != testing::kUdp) continue;
    Key k{};
    std::memcpy(&k[0], &pkt[14 + 12], 8);  // saddr, daddr as on the wire
    std::memcpy(&k[8], &pkt[34], 4);       // sport, dport
    k[12] = proto;
    want[k].first += 1;
    want[k].second += pkt.size();
  }
  std::map<Key, std::pair<uint64_t, uint64_t>> got;
  obj->map("flows")->for_each([&](std::span<const uint8_t> key, std::span<const uint8_t> value) {
    Key k;
    std::memcpy(k.data(), key.data(), 16);
    uint64_t v[2];
    std::memcpy(v, value.data(), 16);
    got[k] = {v[0], v[1]};
    return true;
  });
  EXPECT_EQ(got, want);
  EXPECT_EQ(want.size(), 8u);  // (source, protocol) pairs of the 12 TCP/UDP packets
}

// ---- rate_limit ----------------------------------------------------------------------

std::atomic<uint64_t> g_fake_now{0};

uint64_t fake_ktime(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return g_fake_now.load();
}

TEST_P(ProgsTest, RateLimit) {
  HelperProto clock;
  clock.id = 5;
  clock.name = "ktime_get_ns";
  clock.fn = fake_ktime;
  ASSERT_TRUE(rt_.register_helper(clock).ok());
  auto obj = load("rate_limit", false);
  ASSERT_TRUE(obj);
  // Configure through .rodata before preparing: 1 token per 100 us, bursts of 3.
  const uint64_t npt = 100000, burst = 3;
  std::memcpy(obj->variable("ns_per_token")->data(), &npt, 8);
  std::memcpy(obj->variable("burst")->data(), &burst, 8);
  ASSERT_TRUE(obj->prepare_all(checked(engine())).ok());
  Program* p = obj->program("rate_limit");

  struct Bucket { uint64_t tokens, last; };
  std::map<uint32_t, Bucket> model;
  uint64_t dropped = 0;
  uint64_t now = 1'000'000'000;
  for (int i = 0; i < 60; ++i) {
    const uint32_t src = 0x0a000001 + (i % 5 == 0 ? 1 : 0);
    now += (i % 7) * 30000;  // irregular arrivals: 0..180 us apart
    g_fake_now = now;
    auto pkt = Packet().eth(testing::kEthIp).ipv4(src, 0x0a0000fe, testing::kUdp).udp(1, 2).bytes;
    uint64_t want = kXdpPass;
    auto it = model.find(src);
    if (it == model.end()) {
      model[src] = Bucket{burst - 1, now};
    } else {
      Bucket& b = it->second;
      const uint64_t earned = (now - b.last) / npt;
      if (earned) {
        b.tokens = std::min(b.tokens + earned, burst);
        b.last += earned * npt;
      }
      if (b.tokens == 0) {
        ++dropped;
        want = kXdpDrop;
      } else {
        --b.tokens;
      }
    }
    EXPECT_EQ(run(p, pkt), want) << "packet " << i;
  }
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(var<uint64_t>(*obj, "dropped"), dropped);
  for (const auto& [src, b] : model) {
    const uint32_t key = __builtin_bswap32(src);
    uint64_t v[2];
    ASSERT_TRUE(obj->map("buckets")->lookup(Map::bytes_of(key), Map::writable_bytes_of(v)).ok());
    EXPECT_EQ(v[0], b.tokens);
    EXPECT_EQ(v[1], b.last);
  }
}

// ---- ringbuf_events ------------------------------------------------------------------

TEST_P(ProgsTest, RingbufEvents) {
  auto obj = load("ringbuf_events");
  ASSERT_TRUE(obj);
  Program* p = obj->program("packet_events");
  struct Event { uint32_t saddr, daddr, len; uint8_t proto, syn; uint16_t pad; };
  std::vector<Event> want;
  for (int i = 0; i < 10; ++i) {
    Packet pk;
    const uint8_t proto = i % 3 == 0 ? testing::kUdp : testing::kTcp;
    pk.eth(i == 9 ? testing::kEthIpv6 : testing::kEthIp);
    if (i == 9) {
      pk.ipv6(testing::kUdp).udp(1, 2);
    } else {
      pk.ipv4(0x0a000000 + i, 0x0a0000fe, proto, 64, 20);
      if (proto == testing::kTcp) pk.tcp(1000, 80, i % 2 ? 0x02 : 0x12); else pk.udp(1, 2, 12);
    }
    auto bytes = pk.bytes;
    EXPECT_EQ(run(p, bytes), kXdpPass);
    if (i == 9) continue;
    Event e{};
    std::memcpy(&e.saddr, &bytes[26], 4);
    std::memcpy(&e.daddr, &bytes[30], 4);
    e.len = static_cast<uint32_t>(bytes.size());
    e.proto = proto;
    e.syn = proto == testing::kTcp && (bytes[14 + 20 + 13] & 0x12) == 0x02;
    want.push_back(e);
  }
  Map* rb = obj->map("events");
  ASSERT_NE(rb, nullptr);
  std::vector<Event> got;
  auto consumed = rb->consume([&](std::span<const uint8_t> rec) {
    EXPECT_EQ(rec.size(), sizeof(Event));
    Event e{};
    std::memcpy(&e, rec.data(), std::min(rec.size(), sizeof(e)));
    got.push_back(e);
    return true;
  });
  ASSERT_TRUE(consumed.ok());
  EXPECT_EQ(*consumed, got.size());
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(std::memcmp(&got[i], &want[i], sizeof(Event)), 0) << "event " << i;
  }
  EXPECT_EQ(var<uint64_t>(*obj, "lost"), 0u);
}

// ---- tail_dispatch -------------------------------------------------------------------

TEST_P(ProgsTest, TailDispatch) {
  auto obj = load("tail_dispatch");
  ASSERT_TRUE(obj);
  ASSERT_TRUE(obj->set_tail_call("handlers", testing::kTcp, *obj->program("handle_tcp")).ok());
  ASSERT_TRUE(obj->set_tail_call("handlers", testing::kUdp, *obj->program("handle_udp")).ok());
  EXPECT_FALSE(obj->set_tail_call("handlers", 32, *obj->program("handle_udp")).ok());
  EXPECT_FALSE(obj->set_tail_call("hits", 0, *obj->program("handle_udp")).ok());
  Program* p = obj->program("dispatch");
  uint64_t hits[4] = {};
  struct Case { uint8_t proto; uint8_t ttl; bool ip; };
  const Case cases[] = {{testing::kTcp, 64, true}, {testing::kTcp, 10, true},
                        {testing::kUdp, 64, true}, {testing::kIcmp, 64, true},
                        {testing::kUdp, 1, true},  {0, 0, false}};
  for (const Case& c : cases) {
    Packet pk;
    if (c.ip) pk.eth(testing::kEthIp).ipv4(1, 2, c.proto, c.ttl).zeros(8);
    else pk.eth(testing::kEthArp).zeros(28);
    uint64_t want = kXdpPass;
    if (c.ip) {
      hits[0]++;
      if (c.proto == testing::kTcp) hits[1]++, want = c.ttl < 16 ? kXdpDrop : kXdpPass;
      else if (c.proto == testing::kUdp) hits[2]++, want = kXdpTx;
      else hits[3]++;
    }
    EXPECT_EQ(run(p, pk.bytes), want) << "proto " << int(c.proto);
  }
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(array_u64(obj->map("hits"), i), hits[i]) << i;
}

// ---- config_rodata -------------------------------------------------------------------

TEST_P(ProgsTest, ConfigFromRodata) {
  std::vector<uint8_t> buf(300);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<uint8_t>(i * 37 + 11);
  auto count = [&](uint32_t threshold, uint32_t mode, uint32_t limit) {
    uint32_t n = 0, sum = 0;
    for (uint32_t i = 0; i < std::min<uint32_t>(std::min<uint32_t>(limit, 1024), buf.size()); ++i) {
      if (buf[i] > threshold) n++, sum += buf[i];
    }
    return static_cast<uint64_t>(mode == 1 ? sum : n);
  };
  {
    auto obj = load("config_rodata");
    ASSERT_TRUE(obj);
    EXPECT_EQ(run(obj->program("above_threshold"), buf), count(100, 0, 256));
  }
  auto obj = load("config_rodata", false);
  ASSERT_TRUE(obj);
  auto ro = obj->global_data(".rodata");
  ASSERT_TRUE(ro.ok());
  EXPECT_TRUE(ro->readonly);
  const uint32_t threshold = 200, mode = 1, limit = 280;
  std::memcpy(obj->variable("threshold")->data(), &threshold, 4);
  std::memcpy(obj->variable("mode")->data(), &mode, 4);
  std::memcpy(obj->variable("limit")->data(), &limit, 4);
  ASSERT_TRUE(obj->prepare_all(checked(engine())).ok());
  EXPECT_EQ(run(obj->program("above_threshold"), buf), count(200, 1, 280));
}

// ---- globals -------------------------------------------------------------------------

TEST_P(ProgsTest, GlobalsInDataAndBss) {
  auto obj = load("globals");
  ASSERT_TRUE(obj);
  Program* p = obj->program("globals");
  const uint32_t steps[4] = {1, 10, 100, 1000};
  const char greeting[] = "hello";
  uint64_t total = 0;
  for (uint64_t calls = 1; calls <= 9; ++calls) {
    std::vector<uint8_t> buf(calls * 9);
    for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<uint8_t>(i + calls);
    for (size_t i = 0; i < std::min<size_t>(64, buf.size()); ++i) total += buf[i];
    const uint64_t want = static_cast<uint32_t>(1000 + calls * steps[calls & 3] +
                                                greeting[calls % 5]);
    EXPECT_EQ(run(p, buf) & 0xffffffff, want) << "call " << calls;
  }
  EXPECT_EQ(var<uint64_t>(*obj, "calls"), 9u);
  EXPECT_EQ(var<uint64_t>(*obj, "base"), 1000u);
  EXPECT_EQ(var<uint64_t>(*obj, "byte_total"), total);
}

// ---- call_chain ----------------------------------------------------------------------

TEST_P(ProgsTest, CallChain) {
  auto obj = load("call_chain");
  ASSERT_TRUE(obj);
  std::vector<uint32_t> words = {7, 0xdeadbeef, 3, 99999, 12, 0x80000000, 5};
  std::vector<uint8_t> buf(words.size() * 4);
  std::memcpy(buf.data(), words.data(), buf.size());
  uint64_t h = 0xcbf29ce484222325ULL;
  for (uint32_t w : words) h = (h ^ w) * 0x100000001b3ULL;
  const uint64_t checksum = (h >> 32) ^ (h & 0xffffffff);
  EXPECT_EQ(run(obj->program("word_checksum"), buf), checksum);
  EXPECT_EQ(run(obj->program("mem/max"), buf), 0xdeadbeefULL + (5 ^ 3));
  std::vector<uint8_t> tiny(3);
  EXPECT_EQ(run(obj->program("word_checksum"), tiny), 0u);
}

// ---- loops ---------------------------------------------------------------------------

TEST_P(ProgsTest, LoopsAndBpfLoop) {
  auto obj = load("loops");
  ASSERT_TRUE(obj);
  for (size_t len : {0u, 1u, 17u, 255u, 256u, 300u}) {
    std::vector<uint8_t> buf(len);
    for (size_t i = 0; i < len; ++i) buf[i] = static_cast<uint8_t>(i * 7 + 3);
    uint64_t acc = 0;
    for (size_t i = 0; i < std::min<size_t>(len, 256); ++i) acc += uint64_t(buf[i]) * buf[i];
    EXPECT_EQ(run(obj->program("sum_squares"), buf), acc) << len;
    const uint64_t iterations = len < 256 ? len + 1 : 256;  // the stopping call counts
    EXPECT_EQ(run(obj->program("sum_squares_loop"), buf), acc * 1000 + iterations) << len;
  }
}

// ---- strings -------------------------------------------------------------------------

TEST_P(ProgsTest, Strings) {
  auto obj = load("strings");
  ASSERT_TRUE(obj);
  struct Case { const char* cmd; int code; };
  for (const Case& c : {Case{"start", 1}, Case{"stop", 2}, Case{"status", 3},
                        Case{"stat", 0}, Case{"restart", 0}}) {
    std::vector<uint8_t> buf(c.cmd, c.cmd + strlen(c.cmd) + 1);
    EXPECT_EQ(run(obj->program("command"), buf), static_cast<uint64_t>(c.code)) << c.cmd;
    char want[64];
    const int n = snprintf(want, sizeof(want), "cmd=%d len=%zu first=%c", c.code, buf.size(),
                           c.cmd[0]);
    auto out = obj->variable("out");
    ASSERT_TRUE(out.ok());
    EXPECT_STREQ(reinterpret_cast<const char*>(out->data()), want);
    EXPECT_EQ(var<uint64_t>(*obj, "out_len"), static_cast<uint64_t>(n + 1));
  }
}

// ---- legacy_maps ---------------------------------------------------------------------

TEST_P(ProgsTest, LegacyMapHistogram) {
  auto obj = load("legacy_maps");
  ASSERT_TRUE(obj);
  uint64_t want[16] = {};
  for (int round = 0; round < 3; ++round) {
    std::vector<uint8_t> buf(50 + round * 60);
    for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<uint8_t>(i * i + round);
    const size_t n = std::min<size_t>(buf.size(), 128);
    for (size_t i = 0; i < n; ++i) want[buf[i] >> 4]++;
    EXPECT_EQ(run(obj->program("nibble_histogram"), buf), n);
  }
  for (uint32_t k = 0; k < 16; ++k) EXPECT_EQ(array_u64(obj->map("histogram"), k), want[k]) << k;
}

// ---- percpu --------------------------------------------------------------------------

TEST_P(ProgsTest, PercpuCounters) {
  auto obj = load("percpu");
  ASSERT_TRUE(obj);
  Map* m = obj->map("pcpu_stats");
  ASSERT_GT(m->value_slots(), 1u);
  uint64_t bytes = 0;
  for (int i = 0; i < 5; ++i) {
    std::vector<uint8_t> pkt(60 + i * 10);
    bytes += pkt.size();
    EXPECT_EQ(run(obj->program("percpu_count"), pkt), kXdpPass);
  }
  for (uint32_t key : {0u, 1u}) {
    std::vector<uint64_t> slots(m->value_bytes() / 8);
    ASSERT_TRUE(m->lookup(Map::bytes_of(key), std::span<uint8_t>(reinterpret_cast<uint8_t*>(slots.data()), slots.size() * 8)).ok());
    uint64_t sum = 0;
    int used = 0;
    for (uint64_t v : slots) sum += v, used += v != 0;
    EXPECT_EQ(sum, key == 0 ? 5u : bytes);
    EXPECT_EQ(used, 1);  // one thread ran them all
  }
}

// ---- queue_stack ---------------------------------------------------------------------

TEST_P(ProgsTest, QueueAndStack) {
  auto obj = load("queue_stack");
  ASSERT_TRUE(obj);
  std::vector<uint32_t> words = {11, 22, 33, 44, 55};
  std::vector<uint8_t> buf(words.size() * 4);
  std::memcpy(buf.data(), words.data(), buf.size());
  EXPECT_EQ(run(obj->program("queue_stack"), buf), (uint64_t{55} << 32) | (11 + 11));
  uint32_t v;
  std::vector<uint32_t> fifo, lifo;
  while (obj->map("fifo")->pop(Map::writable_bytes_of(v)).ok()) fifo.push_back(v);
  while (obj->map("lifo")->pop(Map::writable_bytes_of(v)).ok()) lifo.push_back(v);
  EXPECT_EQ(fifo, (std::vector<uint32_t>{22, 33, 44, 55}));
  EXPECT_EQ(lifo, (std::vector<uint32_t>{44, 33, 22, 11}));
}

// ---- ipv4_checksum -------------------------------------------------------------------

TEST_P(ProgsTest, TtlRouterChecksum) {
  auto obj = load("ipv4_checksum");
  ASSERT_TRUE(obj);
  Program* p = obj->program("ttl_router");
  for (uint8_t ttl : {64, 2, 255, 128}) {
    auto pkt = Packet().eth(testing::kEthIp).ipv4(0xc0a80101, 0x08080808, testing::kUdp, ttl)
                   .udp(1, 2).bytes;
    EXPECT_EQ(run(p, pkt), kXdpTx);
    EXPECT_EQ(pkt[14 + 8], ttl - 1);
    Packet check{pkt};
    EXPECT_EQ(check.ipv4_checksum(14, 20), 0) << "checksum no longer verifies, ttl " << int(ttl);
  }
  auto bad = Packet().eth(testing::kEthIp).ipv4(1, 2, testing::kUdp).udp(1, 2).bytes;
  bad[14 + 11] ^= 0x40;
  EXPECT_EQ(run(p, bad), kXdpDrop);
  auto dying = Packet().eth(testing::kEthIp).ipv4(1, 2, testing::kUdp, 1).udp(1, 2).bytes;
  EXPECT_EQ(run(p, dying), kXdpDrop);
  auto options = Packet().eth(testing::kEthIp).ipv4(1, 2, testing::kUdp, 9, 8, 1).udp(1, 2).bytes;
  EXPECT_EQ(run(p, options), kXdpPass);
  auto arp = Packet().eth(testing::kEthArp).zeros(28).bytes;
  EXPECT_EQ(run(p, arp), kXdpPass);
}

// ---- socket_filter -------------------------------------------------------------------

TEST_P(ProgsTest, SocketFilter) {
  auto obj = load("socket_filter");
  ASSERT_TRUE(obj);
  Program* p = obj->program("socket");  // by section name
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->type().name, "socket_filter");
  auto dns = Packet().eth(testing::kEthIp).ipv4(1, 2, testing::kUdp).udp(5353, 53, 30).zeros(30).bytes;
  EXPECT_EQ(run(p, dns), dns.size());
  auto reply = Packet().eth(testing::kEthIp).ipv4(1, 2, testing::kUdp).udp(53, 999).bytes;
  EXPECT_EQ(run(p, reply), reply.size());
  auto other = Packet().eth(testing::kEthIp).ipv4(1, 2, testing::kUdp).udp(5000, 5001).bytes;
  EXPECT_EQ(run(p, other), 0u);
  auto tcp = Packet().eth(testing::kEthIp).ipv4(1, 2, testing::kTcp, 64, 120).tcp(1, 2).zeros(100).bytes;
  EXPECT_EQ(run(p, tcp), 64u);
  auto small_tcp = Packet().eth(testing::kEthIp).ipv4(1, 2, testing::kTcp, 64, 20).tcp(1, 2).bytes;
  EXPECT_EQ(run(p, small_tcp), 54u);
  auto arp = Packet().eth(testing::kEthArp).zeros(28).bytes;
  EXPECT_EQ(run(p, arp), 0u);
}

// ---- multi_prog ----------------------------------------------------------------------

TEST_P(ProgsTest, SeveralProgramsShareDataAndText) {
  auto obj = load("multi_prog");
  ASSERT_TRUE(obj);
  auto cls = [](size_t len) -> uint64_t { return len < 64 ? 1 : len < 512 ? 2 : 3; };
  uint64_t runs = 0;
  for (size_t len : {14u, 64u, 600u}) {  // tc packets hold an Ethernet header at least
    std::vector<uint8_t> pkt(len);
    RunOptions o;
    o.mark = 0x27;
    EXPECT_EQ(run(obj->program("tc"), pkt), cls(len));
    EXPECT_EQ(run(obj->program("cls_mark"), pkt, o), cls(len) * 10 + 7);
    EXPECT_EQ(run(obj->program("xdp_len_class"), pkt), cls(len) == 3 ? kXdpDrop : kXdpPass);
    EXPECT_EQ(run(obj->program("custom/sum"), pkt), cls(len) + len);
    runs += 4;
  }
  EXPECT_EQ(var<uint64_t>(*obj, "seen"), runs);
}

// ---- crc32 ---------------------------------------------------------------------------

TEST_P(ProgsTest, Crc32AndSignedMean) {
  auto obj = load("crc32");
  ASSERT_TRUE(obj);
  for (size_t len : {0u, 1u, 9u, 100u, 512u, 600u}) {
    std::vector<uint8_t> buf(len);
    for (size_t i = 0; i < len; ++i) buf[i] = static_cast<uint8_t>(i * 131 + len);
    uint32_t crc = 0xffffffff;
    int64_t sum = 0, n = 0;
    for (size_t i = 0; i < std::min<size_t>(len, 512); ++i) {
      crc ^= buf[i];
      for (int b = 0; b < 8; ++b) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
      sum += static_cast<int8_t>(buf[i]);
      n++;
    }
    EXPECT_EQ(run(obj->program("crc32"), buf), uint64_t{~crc}) << len;
    EXPECT_EQ(static_cast<int64_t>(run(obj->program("signed_mean"), buf)), n ? sum / n : 0)
        << len;
  }
  std::string check = "123456789";  // the CRC-32 check value
  std::vector<uint8_t> cb(check.begin(), check.end());
  EXPECT_EQ(run(obj->program("crc32"), cb), 0xcbf43926u);
}

std::string param_name(const ::testing::TestParamInfo<ProgsTest::ParamType>& info) {
  std::string n = std::string(engine_kind_name(std::get<0>(info.param))) + "_" +
                  std::get<1>(info.param);
  for (char& c : n) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return n;
}

// real_loops: loops the verifier proves as real programs write them; run on both engines.
TEST_P(ProgsTest, RealLoops) {
  auto obj = load("real_loops");
  ASSERT_TRUE(obj);
  std::vector<uint8_t> pkt(64, 0);
  int acc = 0;
  for (int i = 0; i < 200; i++) acc += ((i + acc) * 7 + 3) & 0xff;
  EXPECT_EQ(run(obj->program("loop_calls"), pkt), static_cast<uint64_t>(acc & 3));

  Map* values = obj->map("values");
  ASSERT_NE(values, nullptr);
  const uint32_t key = 0;
  std::array<uint64_t, 64> v{};
  for (size_t i = 0; i < v.size(); ++i) v[i] = (i * 37 + 11) % 101;
  ASSERT_TRUE(values->update(Map::bytes_of(key), Map::bytes_of(v)).ok());
  EXPECT_EQ(run(obj->program("nested_sort"), pkt), 2u);
  std::array<uint64_t, 64> sorted{};
  ASSERT_TRUE(values->lookup(Map::bytes_of(key), Map::writable_bytes_of(sorted)).ok());
  std::array<uint64_t, 64> want = v;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(sorted, want);

  for (uint64_t n : {0u, 1u, 10u, 60u, 61u}) {
    std::array<uint64_t, 64> w{};
    w[0] = n;
    for (size_t i = 1; i < w.size(); ++i) w[i] = i;
    ASSERT_TRUE(values->update(Map::bytes_of(key), Map::bytes_of(w)).ok());
    uint64_t s = 0;
    for (uint64_t i = 0; i < n && n <= 60; ++i) s += w[i + 1];
    const uint64_t expect = n > 60 ? 0 : (s & 1 ? 1 : 2);
    EXPECT_EQ(run(obj->program("count_from_memory"), pkt), expect) << "n " << n;
  }
}

// ---- route_guard: lpm_trie, bloom_filter, perf_event_array, array_of_maps --------------

TEST_P(ProgsTest, RouteGuardUsesTheKernelMapTypes) {
  auto obj = load("route_guard");
  ASSERT_TRUE(obj);
  // Verified as well as checked: the verifier accepts the map-in-map lookup, the bloom
  // filter peek and the perf event output.
  PrepareOptions verified;
  verified.engine = engine();
  Program* p = obj->program("route_guard");
  ASSERT_NE(p, nullptr);
  auto prepared = p->prepare(verified);
  ASSERT_TRUE(prepared.ok()) << prepared.error().to_string();

  struct RouteKey {
    uint32_t prefixlen;
    uint8_t addr[4];
  };
  auto route = [&](uint32_t len, uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint32_t cls) {
    RouteKey k{len, {a, b, c, d}};
    ASSERT_TRUE(obj->map("routes")->update(Map::bytes_of(k), Map::bytes_of(cls)).ok());
  };
  route(8, 10, 0, 0, 0, 1);
  route(24, 10, 1, 2, 0, 2);
  route(32, 10, 1, 2, 3, 1);
  const uint32_t bad_dst = 0x08080808;  // network order and host order agree
  ASSERT_TRUE(obj->map("blocked")->push(Map::bytes_of(bad_dst)).ok());
  Map* events = obj->map("events");
  ASSERT_TRUE(events->open_perf_buffers(4096).ok());

  auto pkt = [](uint32_t src, uint32_t dst) {
    return Packet().eth(testing::kEthIp).ipv4(src, dst, testing::kUdp).udp(1, 2).bytes;
  };
  auto p1 = pkt(0x0a090909, 0x01020304);  // 10.9.9.9: /8, class 1
  auto p2 = pkt(0x0a010209, 0x01020304);  // 10.1.2.9: /24, class 2
  auto p3 = pkt(0x0a010203, 0x01020304);  // 10.1.2.3: /32, class 1
  auto p4 = pkt(0x0b000001, 0x01020304);  // no route
  auto p5 = pkt(0x0a010209, bad_dst);     // blocked
  EXPECT_EQ(run(p, p1), kXdpPass);
  EXPECT_EQ(run(p, p2), kXdpTx);
  EXPECT_EQ(run(p, p3), kXdpPass);
  EXPECT_EQ(run(p, p4), kXdpAborted);
  EXPECT_EQ(run(p, p5), kXdpDrop);
  EXPECT_EQ(array_u64(obj->map("counts_a"), 1), 2u);
  EXPECT_EQ(array_u64(obj->map("counts_a"), 2), 1u);

  struct Event {
    uint32_t src, dst, cls;
  };
  std::vector<Event> seen;
  auto n = events->perf_consume([&](uint32_t, std::span<const uint8_t> rec) {
    EXPECT_EQ(rec.size(), 12u);  // round_up(12 + 4, 8) - 4
    Event e{};
    std::memcpy(&e, rec.data(), sizeof e);
    seen.push_back(e);
    return true;
  });
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].src, 0x0902010au);  // 10.1.2.9 as the program read it
  EXPECT_EQ(seen[0].dst, bad_dst);
  EXPECT_EQ(seen[0].cls, 2u);

  // The host swaps the class table: later packets count in the new one.
  auto fresh = rt_.create_map(obj->map("counts_a")->spec());
  ASSERT_TRUE(fresh.ok()) << fresh.error().to_string();
  const uint32_t slot = 0;
  ASSERT_TRUE(obj->map("tables")->set_inner(Map::bytes_of(slot), **fresh).ok());
  EXPECT_EQ(run(p, p2), kXdpTx);
  EXPECT_EQ(array_u64(fresh->get(), 2), 1u);
  EXPECT_EQ(array_u64(obj->map("counts_a"), 2), 1u);
  // An empty slot: the program skips counting.
  ASSERT_TRUE(obj->map("tables")->erase(Map::bytes_of(slot)).ok());
  EXPECT_EQ(run(p, p2), kXdpTx);
  EXPECT_EQ(array_u64(fresh->get(), 2), 1u);
}

INSTANTIATE_TEST_SUITE_P(Engines, ProgsTest,
                         ::testing::Combine(::testing::Values(EngineKind::kInterpreter,
                                                              EngineKind::kJit),
                                            ::testing::Values("v3", "v4")),
                         param_name);

// Objects from clang-14 (older ISA levels, some without BTF) run the same way.
class Clang14Test : public ::testing::TestWithParam<EngineKind> {
 protected:
  void SetUp() override {
    if (!engine_available(GetParam())) GTEST_SKIP() << "engine is not built";
  }
};

TEST_P(Clang14Test, OlderToolchainObjects) {
  Runtime rt;
  auto load = [&](const char* file) {
    auto obj = rt.load_file(prog_path(file));
    EXPECT_TRUE(obj.ok()) << obj.error().to_string();
    PrepareOptions o;
    o.engine = GetParam();
    o.safety = Safety::kChecked;
    auto r = (*obj)->prepare_all(o);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return std::move(obj).value();
  };
  {
    auto obj = load("legacy_maps.clang14.v1.nobtf.o");
    EXPECT_FALSE(obj->has_btf());
    std::vector<uint8_t> buf = {0x01, 0x12, 0x13, 0xf0};
    EXPECT_EQ(*obj->program("nibble_histogram")->run(buf), 4u);
    uint32_t key = 1;
    uint64_t v = 0;
    ASSERT_TRUE(obj->map("histogram")->lookup(Map::bytes_of(key), Map::writable_bytes_of(v)).ok());
    EXPECT_EQ(v, 2u);
  }
  {
    auto obj = load("call_chain.clang14.v3.nobtf.o");
    std::vector<uint8_t> buf = {9, 0, 0, 0, 4, 0, 0, 0};
    EXPECT_EQ(*obj->program("word_max")->run(buf), 9u + (5 ^ 3));
  }
  {
    auto obj = load("crc32.clang14.v2.nobtf.o");
    std::vector<uint8_t> cb = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
    // clang-14 without ALU32 leaves the upper half of a u32 return value undefined
    EXPECT_EQ(*obj->program("crc32")->run(cb) & 0xffffffff, 0xcbf43926u);
  }
  {
    auto obj = load("loops.clang14.v3.o");
    std::vector<uint8_t> buf = {1, 2, 3};
    EXPECT_EQ(*obj->program("sum_squares_loop")->run(buf), 14u * 1000 + 4);
  }
  {
    auto obj = load("xdp_filter.clang14.v3.o");
    auto pkt = Packet().eth(testing::kEthIp).ipv4(1, 2, testing::kTcp, 64, 20).tcp(1, 23).bytes;
    EXPECT_EQ(*obj->program("xdp_filter")->run(pkt), kXdpDrop);
  }
  {
    auto obj = load("globals.clang14.v2.o");
    std::vector<uint8_t> buf(4, 1);
    EXPECT_EQ(*obj->program("globals")->run(buf), 1000u + 10 + 'e');
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, Clang14Test,
                         ::testing::Values(EngineKind::kInterpreter, EngineKind::kJit),
                         [](const auto& info) { return std::string(engine_kind_name(info.param)); });

}  // namespace
}  // namespace bpfjit
