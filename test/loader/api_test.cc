// The public API as a host uses it: only bpfjit/runtime.h. Loads an object, runs its
// programs (also from many threads at once), reads maps and variables, and gets errors as
// values.
#include <gtest/gtest.h>

#include <thread>

#include "bpfjit/runtime.h"
#include "test/loader/loader_util.h"

namespace bpfjit {
namespace {

using testing::prog_path;

std::vector<uint8_t> tcp_packet(uint16_t dport) {
  std::vector<uint8_t> p = {2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0x08, 0x00,
                            0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
                            0x9c, 0x40, static_cast<uint8_t>(dport >> 8),
                            static_cast<uint8_t>(dport)};
  p.resize(54);
  p[46] = 0x50;
  return p;
}

TEST(ApiTest, HostLoadsRunsAndReadsMaps) {
  Runtime rt;
  auto obj = rt.load_file(prog_path("xdp_filter.v4.o"));
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  Object& o = **obj;
  ASSERT_EQ(o.programs().size(), 1u);
  Program* p = o.program("xdp_filter");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(o.program("xdp"), p);  // by section name
  EXPECT_EQ(o.program("nope"), nullptr);
  EXPECT_EQ(p->type().name, "xdp");
  EXPECT_FALSE(p->insns().empty());
  EXPECT_EQ(p->maps().size(), 2u);
  EXPECT_FALSE(p->prepared());

  auto pkt = tcp_packet(23);
  auto unprepared = p->run(pkt);
  ASSERT_FALSE(unprepared.ok());
  EXPECT_EQ(unprepared.error().code, ErrorCode::kInvalidArgument);

  ASSERT_TRUE(p->prepare(EngineKind::kAuto).ok());
  EXPECT_TRUE(p->prepared());
  auto r = p->run(pkt);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 1u);  // XDP_DROP: telnet

  Map* stats = o.map("stats");
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(o.map("nope"), nullptr);
  uint32_t key = 4;  // STAT_DROP
  uint64_t v = 0;
  ASSERT_EQ(stats->host_lookup(&key, &v), 0);
  EXPECT_EQ(v, 1u);
  EXPECT_EQ(o.maps().size(), 2u);
}

TEST(ApiTest, PreparedProgramRunsOnManyThreads) {
  Runtime rt;
  auto obj = rt.load_file(prog_path("xdp_filter.v3.o"));
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  Program* p = (*obj)->program("xdp_filter");
  ASSERT_TRUE(p->prepare(EngineKind::kAuto).ok());
  constexpr int kThreads = 4, kRuns = 400;
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRuns; ++i) {
        auto pkt = tcp_packet((i + t) % 2 ? 23 : 80);
        auto r = p->run(pkt);
        if (!r.ok() || *r != ((i + t) % 2 ? 1u : 2u)) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  // The program counts with atomic adds: no update is lost.
  uint32_t key = 0;  // STAT_IPV4
  uint64_t v = 0;
  ASSERT_EQ((*obj)->map("stats")->host_lookup(&key, &v), 0);
  EXPECT_EQ(v, uint64_t{kThreads} * kRuns);
}

TEST(ApiTest, RunFaultIsAnError) {
  Runtime rt;
  auto obj = rt.load_file(prog_path("crc32.v3.o"));
  ASSERT_TRUE(obj.ok());
  Program* p = (*obj)->program("crc32");
  ASSERT_TRUE(p->prepare(EngineKind::kInterpreter).ok());
  std::vector<uint8_t> buf(400, 7);
  RunOptions o;
  o.budget = 50;
  auto r = p->run(buf, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRuntime);
  EXPECT_NE(r.error().message.find("budget"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("insn"), std::string::npos);
}

TEST(ApiTest, TailCallLimit) {
  Runtime rt;
  auto obj = rt.load_file(prog_path("tail_dispatch.v3.o"));
  ASSERT_TRUE(obj.ok());
  Program* d = (*obj)->program("dispatch");
  ASSERT_TRUE((*obj)->set_tail_call("handlers", 6, *d).ok());  // TCP -> itself, forever
  auto pkt = tcp_packet(80);
  auto unprepared = d->run(pkt);
  EXPECT_FALSE(unprepared.ok());
  ASSERT_TRUE((*obj)->prepare_all(EngineKind::kInterpreter).ok());
  auto r = d->run(pkt);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("more than 33 tail calls"), std::string::npos)
      << r.error().message;
  uint32_t key = 0;
  uint64_t v = 0;
  ASSERT_EQ((*obj)->map("hits")->host_lookup(&key, &v), 0);
  EXPECT_EQ(v, 34u);  // the first run and 33 tail calls
}

TEST(ApiTest, ErrorsAreValues) {
  Runtime rt;
  auto missing = rt.load_file("/nonexistent/x.o");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  std::vector<uint8_t> junk(64, 0);
  auto bad = rt.load_bytes(junk);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kLoad);
  auto obj = rt.load_file(prog_path("globals.v3.o"));
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ((*obj)->variable("nope").error().code, ErrorCode::kNotFound);
  EXPECT_EQ((*obj)->global_data("nope").error().code, ErrorCode::kNotFound);
  EXPECT_FALSE((*obj)->set_tail_call("nope", 0, *(*obj)->programs()[0]).ok());
  LoadSettings s;
  s.program_type = "no_such_type";
  EXPECT_FALSE(rt.load_file(prog_path("globals.v3.o"), s).ok());
}

TEST(ApiTest, HostHelperReplacesBuiltin) {
  Runtime rt;
  HelperProto p;
  p.id = 7;  // get_prandom_u32
  p.name = "get_prandom_u32";
  p.fn = [](uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) -> uint64_t {
    return 4;
  };
  ASSERT_TRUE(rt.register_helper(p).ok());
  ASSERT_NE(rt.helpers().find(7), nullptr);
  EXPECT_EQ(rt.helpers().find(7)->fn, p.fn);
  EXPECT_NE(rt.helpers().find(1), nullptr);  // the other built-ins stay
}

}  // namespace
}  // namespace bpfjit
