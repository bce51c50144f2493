// skb programs beyond the kernel's recorded runs: the program types' context rules and
// helper sets, the sk_buff a run starts with, the checksum arithmetic against a plain
// reference, and what a run reports to its caller (redirects, clones, ctx_out) on both
// engines.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include <linux/bpf.h>

#include "bpfjit/runtime.h"
#include "helpers/csum.h"
#include "helpers/helper_table.h"
#include "helpers/program_types.h"
#include "helpers/skb_run.h"

namespace bpfjit {
namespace {

bool can(const ProgramType& t, uint32_t off, uint32_t size, bool write) {
  return map_ctx_access(t, off, size, write, 0).ok();
}

TEST(SkbProgramTypes, ContextRulesAreTheKernels) {
  const ProgramType& tc = sched_cls_program_type();
  const ProgramType& cg = cgroup_skb_program_type();
  EXPECT_EQ(tc.kernel_type, static_cast<uint32_t>(BPF_PROG_TYPE_SCHED_CLS));
  EXPECT_EQ(sched_act_program_type().kernel_type, static_cast<uint32_t>(BPF_PROG_TYPE_SCHED_ACT));
  EXPECT_EQ(cg.kernel_type, static_cast<uint32_t>(BPF_PROG_TYPE_CGROUP_SKB));
  // Read-only for both, writable for both, writable for tc only.
  EXPECT_TRUE(can(tc, offsetof(__sk_buff, len), 4, false));
  EXPECT_FALSE(can(tc, offsetof(__sk_buff, len), 4, true));
  EXPECT_TRUE(can(cg, offsetof(__sk_buff, mark), 4, true));
  EXPECT_TRUE(can(tc, offsetof(__sk_buff, tc_index), 4, true));
  EXPECT_FALSE(can(cg, offsetof(__sk_buff, tc_index), 4, true));
  EXPECT_TRUE(can(tc, offsetof(__sk_buff, tc_classid), 4, true));
  EXPECT_FALSE(can(cg, offsetof(__sk_buff, tc_classid), 4, false));
  // Socket fields: cgroup_skb only; data_meta, wire_len: tc only.
  EXPECT_TRUE(can(cg, offsetof(__sk_buff, remote_ip4), 4, false));
  EXPECT_FALSE(can(tc, offsetof(__sk_buff, remote_ip4), 4, false));
  EXPECT_TRUE(can(tc, offsetof(__sk_buff, data_meta), 4, false));
  EXPECT_FALSE(can(cg, offsetof(__sk_buff, data_meta), 4, false));
  EXPECT_FALSE(can(cg, offsetof(__sk_buff, wire_len), 4, false));
  // Loaded whole only: remote_ip4, tstamp; narrow loads of the others.
  EXPECT_FALSE(can(cg, offsetof(__sk_buff, remote_ip4), 2, false));
  EXPECT_FALSE(can(tc, offsetof(__sk_buff, tstamp), 4, false));
  EXPECT_TRUE(can(tc, offsetof(__sk_buff, protocol), 2, false));
  // The packet pointers land on the shadow's u64s; the kernel-only sk pointer is absent.
  auto data = map_ctx_access(tc, offsetof(__sk_buff, data), 4, false, 0);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->shadow_offset, offsetof(SkBuffCtx, data));
  EXPECT_EQ(data->shadow_size, 8u);
  EXPECT_FALSE(can(tc, offsetof(__sk_buff, sk), 8, false));
  // Helpers: the kernel's table decides.
  HelperTable table = HelperTable::builtin();
  EXPECT_TRUE(check_helper_allowed(tc, table, BPF_FUNC_skb_store_bytes, 0).ok());
  EXPECT_FALSE(check_helper_allowed(cg, table, BPF_FUNC_skb_store_bytes, 0).ok());
  EXPECT_TRUE(check_helper_allowed(cg, table, BPF_FUNC_skb_load_bytes_relative, 0).ok());
  EXPECT_FALSE(check_helper_allowed(cg, table, BPF_FUNC_redirect, 0).ok());
  // "tc" names sched_cls.
  ProgramTypeRegistry reg = ProgramTypeRegistry::builtin();
  ASSERT_NE(reg.find("tc"), nullptr);
  EXPECT_EQ(reg.find("tc")->name, "sched_cls");
}

std::vector<uint8_t> udp4(uint32_t payload) {
  std::vector<uint8_t> p(14 + 20 + 8 + payload, 0);
  p[0] = 0x01;  // multicast destination
  p[12] = 0x08;
  p[14] = 0x45;
  p[23] = 17;
  const uint8_t src[4] = {192, 168, 1, 2}, dst[4] = {10, 0, 0, 9};
  std::memcpy(&p[26], src, 4);
  std::memcpy(&p[30], dst, 4);
  return p;
}

TEST(SkbRunTest, StartsAsTheKernelsTestRun) {
  auto pkt = udp4(10);
  SkbRun run;
  ASSERT_TRUE(skb_run_start(run, sched_cls_program_type(), pkt, 1, 5).ok());
  EXPECT_EQ(run.ctx.len, pkt.size());
  EXPECT_EQ(run.ctx.protocol, 0x0008u);  // htons(ETH_P_IP) as loaded
  EXPECT_EQ(run.ctx.pkt_type, 2u);       // PACKET_MULTICAST
  EXPECT_EQ(run.ctx.mark, 5u);
  EXPECT_EQ(run.ctx.ifindex, 1u);
  EXPECT_EQ(run.ctx.ingress_ifindex, 0u);
  EXPECT_EQ(run.ctx.data, reinterpret_cast<uint64_t>(run.buf + SkbRun::kHeadroom));
  EXPECT_EQ(run.ctx.data_end - run.ctx.data, pkt.size());
  EXPECT_EQ(run.ctx.data_meta, run.ctx.data);
  EXPECT_EQ(run.ctx.family, 2u);
  EXPECT_EQ(run.ctx.local_ip4, 0x0201a8c0u);   // the source, 192.168.1.2
  EXPECT_EQ(run.ctx.remote_ip4, 0x0900000au);  // the destination
  ASSERT_TRUE(skb_run_start(run, cgroup_skb_program_type(), pkt, 1, 0).ok());
  EXPECT_EQ(run.ctx.len, pkt.size() - 14);
  EXPECT_EQ(run.ctx.data, reinterpret_cast<uint64_t>(run.buf + SkbRun::kHeadroom + 14));
  uint8_t out[SkbRun::kBufferSize];
  ASSERT_EQ(skb_run_data_out(run, out), pkt.size());
  EXPECT_EQ(std::vector<uint8_t>(out, out + 14), std::vector<uint8_t>(14, 0));
  EXPECT_EQ(std::vector<uint8_t>(out + 14, out + pkt.size()),
            std::vector<uint8_t>(pkt.begin() + 14, pkt.end()));
  // The kernel's refusals.
  std::vector<uint8_t> short_eth(13, 0), short_ip(14 + 19, 0), big(SkbRun::kMaxPacket + 1, 0);
  short_ip[12] = 0x08;
  EXPECT_FALSE(skb_run_start(run, sched_cls_program_type(), short_eth, 1, 0).ok());
  EXPECT_FALSE(skb_run_start(run, sched_cls_program_type(), short_ip, 1, 0).ok());
  EXPECT_FALSE(skb_run_start(run, sched_cls_program_type(), big, 1, 0).ok());
  big.pop_back();
  EXPECT_TRUE(skb_run_start(run, sched_cls_program_type(), big, 1, 0).ok());
}

// The one's complement sum of 16-bit words, the slow obvious way (host order words).
uint32_t reference_sum(const uint8_t* p, size_t n, uint32_t seed) {
  uint64_t s = seed;
  for (size_t i = 0; i < n; i += 2) {
    uint16_t w = p[i];
    if (i + 1 < n) w = static_cast<uint16_t>(w | p[i + 1] << 8);
    s += w;
  }
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint32_t>(s);
}

TEST(CsumTest, PartialAgreesWithTheDefinition) {
  std::mt19937 gen(7);
  std::vector<uint8_t> buf(300);
  for (size_t len = 0; len < buf.size(); ++len) {
    for (auto& b : buf) b = static_cast<uint8_t>(gen());
    const uint32_t seed = gen();
    const uint32_t got = csum::partial(buf.data(), len, seed);
    // Equal modulo 0xffff: the same 16-bit checksum once folded.
    EXPECT_EQ(reference_sum(reinterpret_cast<const uint8_t*>(&got), 4, 0) % 0xffff,
              reference_sum(buf.data(), len, reference_sum(reinterpret_cast<const uint8_t*>(&seed), 4, 0)) % 0xffff)
        << len;
  }
}

TEST(CsumTest, IncrementalUpdatesEqualARecomputation) {
  // An IPv4 header with a correct checksum; change its source address both ways.
  uint8_t ip[20] = {0x45, 0, 0, 40, 0x1c, 0x46, 0x40, 0, 64, 6, 0, 0, 10, 1, 2, 3, 10, 0, 0, 1};
  auto header_csum = [&] {
    uint8_t copy[20];
    std::memcpy(copy, ip, 20);
    copy[10] = copy[11] = 0;
    return static_cast<uint16_t>(~reference_sum(copy, 20, 0));
  };
  uint16_t sum = header_csum();
  std::memcpy(&ip[10], &sum, 2);
  uint32_t from, to;
  std::memcpy(&from, &ip[12], 4);
  const uint8_t now[4] = {192, 0, 2, 1};
  std::memcpy(&to, now, 4);
  std::memcpy(&ip[12], now, 4);
  EXPECT_EQ(csum::replace4(sum, from, to), header_csum());
  uint16_t from16, to16;
  std::memcpy(&from16, now, 2);
  const uint8_t now16[2] = {172, 16};
  std::memcpy(&to16, now16, 2);
  const uint16_t sum2 = csum::replace4(sum, from, to);
  std::memcpy(&ip[12], now16, 2);
  EXPECT_EQ(csum::replace2(sum2, from16, to16), header_csum());
}

class SkbRunOutputTest : public ::testing::TestWithParam<EngineKind> {};

TEST_P(SkbRunOutputTest, ReportsRedirectsClonesAndCtxOut) {
  Runtime rt;
  auto obj = rt.load_file(std::string(BPFJIT_BPF_PROGS_DIR) + "/tc_redirect.v3.o");
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  Program* p = (*obj)->program("tc_redirect");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->type().name, "sched_act");  // section "action"
  PrepareOptions po;
  po.engine = GetParam();
  ASSERT_TRUE(p->prepare(po).ok());
  auto pkt = udp4(4);
  SkbRunOutput out;
  RunOptions o;
  o.ifindex = 3;
  o.skb_out = &out;
  auto r = p->run(pkt, o);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 7u);  // TC_ACT_REDIRECT
  EXPECT_TRUE(out.redirected);
  EXPECT_EQ(out.redirect_ifindex, 4u);
  EXPECT_EQ(out.redirect_flags, 0u);
  ASSERT_EQ(out.clone_redirects.size(), 2u);
  EXPECT_EQ(out.clone_redirects[0], (std::pair<uint32_t, uint64_t>{4, 0}));
  EXPECT_EQ(out.clone_redirects[1], (std::pair<uint32_t, uint64_t>{9, BPF_F_INGRESS}));
  ASSERT_EQ(out.ctx_out.size(), sizeof(__sk_buff));
  __sk_buff c;
  std::memcpy(&c, out.ctx_out.data(), sizeof c);
  EXPECT_EQ(c.mark, 0x42u);
  EXPECT_EQ(c.priority, 7u);
  EXPECT_EQ(c.ifindex, 3u);
  EXPECT_EQ(c.cb[0], 0u);
  EXPECT_EQ(c.cb[1], 0u);
  EXPECT_EQ(c.cb[2], static_cast<uint32_t>(-EINVAL));
  EXPECT_EQ(c.tc_index, 0u);  // the kernel's ctx_out leaves it out
  EXPECT_EQ(out.data_out, pkt);
  // A packet the kernel would refuse is refused with the reason.
  std::vector<uint8_t> tiny(10, 0);
  auto bad = p->run(tiny, o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("Ethernet header"), std::string::npos);
  // "--type tc" also works: the override names sched_cls.
  LoadSettings ls;
  ls.program_type = "tc";
  auto as_tc = rt.load_file(std::string(BPFJIT_BPF_PROGS_DIR) + "/tc_redirect.v3.o", ls);
  ASSERT_TRUE(as_tc.ok()) << as_tc.error().to_string();
  EXPECT_EQ((*as_tc)->program("tc_redirect")->type().name, "sched_cls");
}

// Program::test_run of an skb program gives what run() reports through skb_out: data_out,
// ctx_out and retval; ctx_in is refused for now.
TEST_P(SkbRunOutputTest, TestRunGivesDataOutAndCtxOut) {
  Runtime rt;
  auto obj = rt.load_file(std::string(BPFJIT_BPF_PROGS_DIR) + "/tc_redirect.v3.o");
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  Program* p = (*obj)->program("tc_redirect");
  ASSERT_NE(p, nullptr);
  PrepareOptions po;
  po.engine = GetParam();
  ASSERT_TRUE(p->prepare(po).ok());
  auto pkt = udp4(4);
  SkbRunOutput direct;
  RunOptions o;
  o.skb_out = &direct;
  auto copy = pkt;
  auto r = p->run(copy, o);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  TestRunInput in;
  in.data = pkt;
  in.repeat = 3;
  auto t = p->test_run(in);
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  EXPECT_EQ(t->retval, 7u);  // TC_ACT_REDIRECT
  EXPECT_EQ(t->data_out, direct.data_out);
  EXPECT_EQ(t->ctx_out, direct.ctx_out);
  ASSERT_EQ(t->ctx_out.size(), sizeof(__sk_buff));
  std::vector<uint8_t> ctx(sizeof(__sk_buff), 0);
  ctx[0] = 1;  // len: a field ctx_in may not set (netdiff_tests has the settable ones)
  in.ctx = ctx;
  auto refused = p->test_run(in);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("ctx_in"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Engines, SkbRunOutputTest,
                         ::testing::Values(EngineKind::kInterpreter, EngineKind::kJit),
                         [](const auto& info) {
                           return std::string(info.param == EngineKind::kJit ? "jit" : "interp");
                         });

}  // namespace
}  // namespace bpfjit
