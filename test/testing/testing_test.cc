// bpfjit/testing.h: each expectation passes when it should and fails, with the message a
// reader needs, when it should (gtest-spi's EXPECT_NONFATAL_FAILURE for the EXPECT_ forms,
// EXPECT_FATAL_FAILURE for the ASSERT_ forms and the fixture's load). Runs on both engines.
#include "bpfjit/testing.h"

#include <gtest/gtest-spi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using bpfjit::EngineKind;
using bpfjit::testing::PacketRun;
using bpfjit::testing::TcAction;
using bpfjit::testing::XdpAction;
using Bytes = std::vector<uint8_t>;

std::string prog_path(const std::string& name) {
  return std::string(BPFJIT_BPF_PROGS_DIR) + "/" + name;
}
std::string example_path(const std::string& name) {
  return std::string(BPFJIT_EXAMPLES_BPF_DIR) + "/" + name;
}

// An IPv4 TCP packet to `dport` from 10.0.0.5 (xdp_filter drops port 23, passes others).
Bytes tcp_packet(uint16_t dport) {
  Bytes p = {0x02, 0, 0, 0, 0, 0xbb, 0x02, 0, 0, 0, 0, 0xaa, 0x08, 0x00,  // Ethernet
             0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 5, 10, 0, 0, 1};
  Bytes tcp(20);
  tcp[2] = static_cast<uint8_t>(dport >> 8);
  tcp[3] = static_cast<uint8_t>(dport);
  tcp[12] = 0x50;
  p.insert(p.end(), tcp.begin(), tcp.end());
  return p;
}

// EXPECT_FATAL_FAILURE's statement cannot see locals: the fatal cases use these.
PacketRun g_run;
bpfjit::Map* g_map = nullptr;

class TestingHeaderTest : public bpfjit::testing::ProgramTest {
 protected:
  void SetUp() override { load(prog_path("xdp_filter.v3.o"), "xdp_filter"); }
};

TEST_P(TestingHeaderTest, RetvalPassesAndFailsWithNames) {
  auto drop = run_packet(tcp_packet(23));
  EXPECT_BPF_RETVAL(drop, XdpAction::kDrop);
  EXPECT_BPF_RETVAL(drop, 1);
  ASSERT_BPF_RETVAL(drop, XdpAction::kDrop);
  EXPECT_NONFATAL_FAILURE(EXPECT_BPF_RETVAL(drop, XdpAction::kPass),
                          "retval of drop is XDP_DROP (1), expected XDP_PASS (2)");
  // A plain number is named by the program's type.
  EXPECT_NONFATAL_FAILURE(EXPECT_BPF_RETVAL(drop, 3), "is XDP_DROP (1), expected XDP_TX (3)");
  EXPECT_NONFATAL_FAILURE(EXPECT_BPF_RETVAL(drop, 77), "expected 77");
  EXPECT_BPF_RETVAL(run_packet(tcp_packet(22)), XdpAction::kPass);

  g_run = *drop;
  EXPECT_FATAL_FAILURE(ASSERT_BPF_RETVAL(g_run, XdpAction::kAborted),
                       "is XDP_DROP (1), expected XDP_ABORTED (0)");
}

TEST_P(TestingHeaderTest, ARunThatFailedFailsTheExpectation) {
  auto refused = run_packet(Bytes(10));  // shorter than an Ethernet header: EINVAL
  ASSERT_FALSE(refused);
  EXPECT_NONFATAL_FAILURE(EXPECT_BPF_RETVAL(refused, XdpAction::kDrop), "refused failed: ");
  EXPECT_NONFATAL_FAILURE(EXPECT_BPF_PACKET_OUT(refused, Bytes(10)), "10 bytes");
}

TEST_P(TestingHeaderTest, PacketOutPassesAndShowsAHexDiff) {
  Bytes packet = tcp_packet(22);
  auto run = run_packet(packet);
  EXPECT_BPF_PACKET_OUT(run, packet);  // xdp_filter leaves packets as they are
  ASSERT_BPF_PACKET_OUT(run, packet);

  Bytes other = packet;
  other[33] = 0x99;  // the last byte of the destination address
  EXPECT_NONFATAL_FAILURE(EXPECT_BPF_PACKET_OUT(run, other),
                          "differs from other at offset 33 (0x21): got 0x01, want 0x99; got 54 "
                          "bytes, want 54");
  // The rows from one before the difference to one after, with a mark under the byte.
  EXPECT_NONFATAL_FAILURE(
      EXPECT_BPF_PACKET_OUT(run, other),
      "\n  0010 got  00 28 00 01 40 00 40 06 00 00 0a 00 00 05 0a 00"
      "\n       want 00 28 00 01 40 00 40 06 00 00 0a 00 00 05 0a 00"
      "\n  0020 got  00 01 00 00 00 16 00 00 00 00 00 00 00 00 50 00"
      "\n       want 00 99 00 00 00 16 00 00 00 00 00 00 00 00 50 00"
      "\n               ^^"
      "\n  0030 got  00 00 00 00 00 00 -- -- -- -- -- -- -- -- -- --"
      "\n       want 00 00 00 00 00 00 -- -- -- -- -- -- -- -- -- --");
  Bytes longer = packet;
  longer.push_back(0);
  EXPECT_NONFATAL_FAILURE(EXPECT_BPF_PACKET_OUT(run, longer),
                          "at offset 54 (0x36): got 54 bytes, want 55");
  EXPECT_NONFATAL_FAILURE(EXPECT_BPF_PACKET_OUT(run, longer),
                          "\n       want 00 00 00 00 00 00 00 -- -- -- -- -- -- -- -- --"
                          "\n                              ^^");

  g_run = *run;
  EXPECT_FATAL_FAILURE(ASSERT_BPF_PACKET_OUT(g_run, Bytes(54)), "at offset 0 (0): got 0x02");
}

TEST_P(TestingHeaderTest, MapValuePassesAndFailsWithTheKey) {
  ASSERT_TRUE(run_packet(tcp_packet(23)));
  ASSERT_TRUE(run_packet(tcp_packet(22)));
  bpfjit::Map* stats = map("stats");  // STAT_IPV4 0, STAT_TCP 2, STAT_DROP 4
  EXPECT_BPF_MAP_VALUE(stats, uint32_t{0}, uint64_t{2});
  EXPECT_BPF_MAP_VALUE(*stats, uint32_t{4}, uint64_t{1});
  EXPECT_BPF_MAP_VALUE(stats, Bytes({2, 0, 0, 0}), Bytes({2, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_NONFATAL_FAILURE(EXPECT_BPF_MAP_VALUE(stats, uint32_t{4}, uint64_t{3}),
                          "map stats (stats) at key uint32_t{4} = 4 (04 00 00 00): value is 1 "
                          "(01 00 00 00 00 00 00 00), expected 3 (03 00 00 00 00 00 00 00)");
  EXPECT_NONFATAL_FAILURE(EXPECT_BPF_MAP_VALUE(stats, uint32_t{4}, uint32_t{1}),
                          "has 4 bytes, the map's values 8");
  EXPECT_NONFATAL_FAILURE(EXPECT_BPF_MAP_VALUE(stats, uint32_t{99}, uint64_t{0}),
                          "at key uint32_t{99}");
  EXPECT_NONFATAL_FAILURE(EXPECT_BPF_MAP_VALUE(map("blocked_src"), uint32_t{5}, uint8_t{1}),
                          "map blocked_src");
  EXPECT_NONFATAL_FAILURE(EXPECT_BPF_MAP_VALUE(map("no_such_map"), uint32_t{0}, uint64_t{0}),
                          "map(\"no_such_map\") is null");

  g_map = stats;
  EXPECT_FATAL_FAILURE(ASSERT_BPF_MAP_VALUE(g_map, uint32_t{0}, uint64_t{7}),
                       "value is 2 (02 00 00 00 00 00 00 00), expected 7");
}

INSTANTIATE_TEST_SUITE_P(Engines, TestingHeaderTest, bpfjit::testing::engines(),
                         bpfjit::testing::engine_param_name);

// tc verdicts are named TC_ACT_*: tc_nat gives TC_ACT_UNSPEC for what is not IPv4 TCP/UDP.
TEST(TestingHeader, TcVerdictsHaveTheirNames) {
  bpfjit::Runtime rt;
  bpfjit::testing::LoadedProgram tc;
  ASSERT_TRUE(bpfjit::testing::load_program(rt, prog_path("tc_nat.v3.o"), "tc_nat", &tc));
  Bytes arp(60);
  arp[12] = 0x08;
  arp[13] = 0x06;
  auto run = bpfjit::testing::run_packet(*tc.program, arp);
  EXPECT_BPF_RETVAL(run, TcAction::kUnspec);
  EXPECT_BPF_RETVAL(run, 0xffffffffu);
  EXPECT_NONFATAL_FAILURE(EXPECT_BPF_RETVAL(run, TcAction::kShot),
                          "is TC_ACT_UNSPEC (0xffffffff), expected TC_ACT_SHOT (2)");
  EXPECT_NONFATAL_FAILURE(EXPECT_BPF_RETVAL(run, 7), "expected TC_ACT_REDIRECT (7)");
}

TEST(TestingHeader, VerdictNames) {
  using bpfjit::testing::VerdictKind;
  using bpfjit::testing::verdict_name;
  EXPECT_EQ(verdict_name(4, VerdictKind::kXdp), "XDP_REDIRECT (4)");
  EXPECT_EQ(verdict_name(5, VerdictKind::kXdp), "5");
  EXPECT_EQ(verdict_name(8, VerdictKind::kTc), "TC_ACT_TRAP (8)");
  EXPECT_EQ(verdict_name(2, VerdictKind::kNone), "2");
  EXPECT_EQ(verdict_name(0x10000, VerdictKind::kNone), "0x10000");
}

// load(): the loader's and the verifier's messages fail the test.
class TestingHeaderLoadTest : public ::testing::TestWithParam<EngineKind> {};

// A ProgramTest to call load() on inside a TestingHeaderLoadTest (it reads that parameter).
struct Loader : bpfjit::testing::ProgramTest {
  void TestBody() override {}
  using ProgramTest::load;
};

TEST_P(TestingHeaderLoadTest, FailuresCarryTheMessage) {
  bpfjit::Runtime rt;
  bpfjit::testing::LoadedProgram loaded;
  auto missing = bpfjit::testing::load_program(rt, "/nonexistent/x.o", "x", &loaded);
  ASSERT_FALSE(missing);
  EXPECT_NE(std::string(missing.message()).find("cannot load /nonexistent/x.o: "),
            std::string::npos)
      << missing.message();

  auto no_prog = bpfjit::testing::load_program(rt, prog_path("xdp_filter.v3.o"), "nope", &loaded);
  ASSERT_FALSE(no_prog);
  EXPECT_NE(std::string(no_prog.message()).find("has no program nope (programs: xdp_filter)"),
            std::string::npos)
      << no_prog.message();

  bpfjit::PrepareOptions opts;
  opts.engine = GetParam();
  auto refused = bpfjit::testing::load_program(rt, example_path("xdp_guard_refused.o"),
                                               "xdp_guard", &loaded, opts);
  ASSERT_FALSE(refused);
  EXPECT_NE(std::string(refused.message()).find("cannot prepare xdp_guard of "),
            std::string::npos)
      << refused.message();
  EXPECT_NE(std::string(refused.message()).find("insn "), std::string::npos)
      << refused.message();
  EXPECT_EQ(loaded.program, nullptr);

  ASSERT_TRUE(bpfjit::testing::load_program(rt, prog_path("xdp_filter.v3.o"), "xdp_filter",
                                            &loaded, opts));
  EXPECT_TRUE(loaded.program->prepared());
  EXPECT_NE(loaded.map("stats"), nullptr);
  const char* engine = loaded.program->engine_name();
  EXPECT_EQ(std::string(engine), GetParam() == EngineKind::kJit ? "jit (trusted)" : "interpreter");
}

// The fixture's load() is an ASSERT: a refused program is a fatal failure.
TEST_P(TestingHeaderLoadTest, FixtureLoadIsFatal) {
  EXPECT_FATAL_FAILURE(
      {
        Loader loader;
        loader.load(BPFJIT_EXAMPLES_BPF_DIR "/xdp_guard_refused.o", "xdp_guard");
      },
      "cannot prepare xdp_guard");
  EXPECT_FATAL_FAILURE(
      {
        Loader loader;
        loader.load("/nonexistent/x.o", "x");
      },
      "cannot load /nonexistent/x.o");
  Loader loader;
  loader.load(BPFJIT_BPF_PROGS_DIR "/xdp_filter.v3.o", "xdp_filter");
  EXPECT_FALSE(HasFailure());
}

INSTANTIATE_TEST_SUITE_P(Engines, TestingHeaderLoadTest, bpfjit::testing::engines(),
                         bpfjit::testing::engine_param_name);

}  // namespace
