// A GoogleTest suite for an XDP program (xdp_guard.bpf.c), written with bpfjit/testing.h:
// every test runs on the interpreter and on the JIT, and checks the verdict, the packet the
// program sends back and the counters it keeps.
//
// Usage: example_gtest_xdp [gtest flags]; the objects are found in $XDP_GUARD_DIR, else in
// the directory the build compiled them into.
#include <bpfjit/testing.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using bpfjit::testing::XdpAction;
using Bytes = std::vector<uint8_t>;

std::string object_path(const std::string& name) {
  const char* dir = std::getenv("XDP_GUARD_DIR");
  return std::string(dir != nullptr ? dir : XDP_GUARD_DIR) + "/" + name;
}

// --- Building packets: Ethernet, IPv4 (with its checksum), then the protocol's header.

constexpr uint8_t kTcp = 6, kUdp = 17, kIcmp = 1;

void put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}

uint16_t checksum(const Bytes& b, size_t from, size_t to) {
  uint32_t sum = 0;
  for (size_t i = from; i < to; i += 2) {
    sum += static_cast<uint32_t>(b[i] << 8) + (i + 1 < to ? b[i + 1] : 0);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// 10.0.0.<src> -> 10.0.0.<dst>, `l4` as the payload of protocol `proto`.
Bytes ipv4_packet(uint8_t src, uint8_t dst, uint8_t proto, const Bytes& l4) {
  Bytes p = {0x02, 0, 0, 0, 0, 0xbb, 0x02, 0, 0, 0, 0, 0xaa, 0x08, 0x00,  // Ethernet
             0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, proto, 0, 0,                // IPv4
             10, 0, 0, src, 10, 0, 0, dst};
  p.insert(p.end(), l4.begin(), l4.end());
  put16(p, 16, static_cast<uint16_t>(20 + l4.size()));
  put16(p, 24, checksum(p, 14, 34));
  return p;
}

Bytes tcp_packet(uint8_t src, uint16_t dport) {
  Bytes tcp(20);
  put16(tcp, 0, 40000);
  put16(tcp, 2, dport);
  tcp[12] = 0x50;
  tcp[13] = 0x02;  // SYN
  return ipv4_packet(src, 1, kTcp, tcp);
}

Bytes icmp_echo(uint8_t type, const Bytes& payload) {
  Bytes icmp = {type, 0, 0, 0, 0x12, 0x34, 0, 1};
  icmp.insert(icmp.end(), payload.begin(), payload.end());
  Bytes p = ipv4_packet(7, 1, kIcmp, icmp);
  put16(p, 36, checksum(p, 34, p.size()));
  return p;
}

// --- The suite

class XdpGuardTest : public bpfjit::testing::ProgramTest {
 protected:
  void SetUp() override { load(object_path("xdp_guard.o"), "xdp_guard"); }

  void block(uint8_t host) {
    uint32_t addr = 10 | 0u << 8 | 0u << 16 | static_cast<uint32_t>(host) << 24;  // as on the wire
    ASSERT_TRUE(map("blocked")->put(addr, uint8_t{1}));
  }
};

TEST_P(XdpGuardTest, DropsTelnetAndPassesSsh) {
  Bytes telnet = tcp_packet(5, 23);
  auto run = run_packet(telnet);
  EXPECT_BPF_RETVAL(run, XdpAction::kDrop);
  EXPECT_BPF_PACKET_OUT(run, telnet);  // a dropped packet is left as it was

  EXPECT_BPF_RETVAL(run_packet(tcp_packet(5, 22)), XdpAction::kPass);
  EXPECT_BPF_RETVAL(run_packet(ipv4_packet(5, 1, kUdp, Bytes(8))), XdpAction::kPass);
}

TEST_P(XdpGuardTest, DropsBlockedSources) {
  ASSERT_NO_FATAL_FAILURE(block(9));
  EXPECT_BPF_RETVAL(run_packet(tcp_packet(9, 22)), XdpAction::kDrop);
  EXPECT_BPF_RETVAL(run_packet(tcp_packet(8, 22)), XdpAction::kPass);
}

TEST_P(XdpGuardTest, AnswersPings) {
  Bytes request = icmp_echo(8, {'p', 'i', 'n', 'g'});
  Bytes reply = icmp_echo(0, {'p', 'i', 'n', 'g'});  // 10.0.0.7 -> 10.0.0.1, swapped below
  for (size_t i = 0; i < 6; ++i) std::swap(reply[i], reply[6 + i]);
  for (size_t i = 0; i < 4; ++i) std::swap(reply[26 + i], reply[30 + i]);

  auto run = run_packet(request);
  ASSERT_BPF_RETVAL(run, XdpAction::kTx);
  EXPECT_BPF_PACKET_OUT(run, reply);
  EXPECT_EQ(checksum(run->data_out, 34, run->data_out.size()), 0);  // still a valid ICMP sum

  // Echo replies themselves are not answered.
  EXPECT_BPF_RETVAL(run_packet(reply), XdpAction::kPass);
}

TEST_P(XdpGuardTest, AbortsOnTruncatedHeaders) {
  Bytes telnet = tcp_packet(5, 23);
  telnet.resize(14 + 20 + 10);  // half a TCP header
  EXPECT_BPF_RETVAL(run_packet(telnet), XdpAction::kAborted);
  Bytes ip_options = tcp_packet(5, 23);
  ip_options[14] = 0x4f;  // 60 bytes of IPv4 header: more than the packet has
  EXPECT_BPF_RETVAL(run_packet(ip_options), XdpAction::kAborted);
}

TEST_P(XdpGuardTest, CountsVerdicts) {
  EXPECT_BPF_RETVAL(run_packet(tcp_packet(5, 23)), XdpAction::kDrop);
  EXPECT_BPF_RETVAL(run_packet(tcp_packet(5, 23)), XdpAction::kDrop);
  EXPECT_BPF_RETVAL(run_packet(icmp_echo(8, {})), XdpAction::kTx);
  EXPECT_BPF_MAP_VALUE(map("verdicts"), uint32_t{1}, uint64_t{2});  // XDP_DROP
  EXPECT_BPF_MAP_VALUE(map("verdicts"), uint32_t{2}, uint64_t{0});  // XDP_PASS
  EXPECT_BPF_MAP_VALUE(map("verdicts"), uint32_t{3}, uint64_t{1});  // XDP_TX
}

INSTANTIATE_TEST_SUITE_P(Engines, XdpGuardTest, bpfjit::testing::engines(),
                         bpfjit::testing::engine_param_name);

// The variant that reads the TCP header unchecked: the verifier's refusal is the test's
// failure message. (Here the refusal is what we expect.)
TEST(XdpGuardRefused, TheVerifierSaysWhy) {
  bpfjit::Runtime rt;
  bpfjit::testing::LoadedProgram loaded;
  auto r = bpfjit::testing::load_program(rt, object_path("xdp_guard_refused.o"), "xdp_guard",
                                         &loaded);
  ASSERT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("cannot prepare xdp_guard"), std::string::npos)
      << r.message();
  EXPECT_NE(std::string(r.message()).find("insn "), std::string::npos) << r.message();
}

}  // namespace
