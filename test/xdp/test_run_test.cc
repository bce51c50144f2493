// Program::test_run against the kernel: bpf-progs/xdp_adjust.c (every XDP packet helper,
// steered by the packet's bytes) on the inputs test/xdp/record.sh ran through the kernel's
// BPF_PROG_TEST_RUN, whose answers are in test/xdp/xdp_adjust_kernel.tsv. Each input must
// give the kernel's verdict, retval, data_out and ctx_out to the byte, on the interpreter
// and the JIT, verified and checked. No kernel needed.
#include <gtest/gtest.h>

#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <linux/bpf.h>

#include "bpfjit/runtime.h"
#include "test/support/hex.h"
#include "test/support/tsv.h"

namespace bpfjit {
namespace {

template <typename T>
std::span<const uint8_t> as_bytes(const T& v) {
  return {reinterpret_cast<const uint8_t*>(&v), sizeof v};
}

std::string hex(std::span<const uint8_t> b) { return testing::to_hex(b); }
std::vector<uint8_t> unhex(const std::string& s) { return testing::from_hex(s, "-"); }

struct Row {
  int id = 0;
  uint32_t repeat = 1;
  std::vector<uint8_t> ctx_in;
  std::vector<uint8_t> data_in;
  std::string result;  // "ok" or the errno name
  uint32_t retval = 0;
  std::string data_out;  // hex
  std::string ctx_out;   // hex or "-"
};

std::vector<Row> kernel_rows() {
  std::vector<Row> rows;
  const std::string path = std::string(BPFJIT_XDP_DATA_DIR) + "/xdp_adjust_kernel.tsv";
  for (const std::vector<std::string>& f : testing::read_tsv(path)) {
    if (f.size() != 8) {
      ADD_FAILURE() << "bad row of " << f.size() << " fields";
      continue;
    }
    Row r;
    r.id = std::stoi(f[0]);
    r.repeat = static_cast<uint32_t>(std::stoul(f[1]));
    r.ctx_in = unhex(f[2]);
    r.data_in = unhex(f[3]);
    r.result = f[4];
    if (r.result == "ok") r.retval = static_cast<uint32_t>(std::stoul(f[5]));
    r.data_out = f[6] == "-" ? "" : f[6];
    r.ctx_out = f[7];
    rows.push_back(std::move(r));
  }
  return rows;
}

struct Config {
  const char* object;
  EngineKind engine;
  Safety safety;
};

std::string config_name(const ::testing::TestParamInfo<Config>& info) {
  std::string n = info.param.object;
  n = n.substr(n.find('.') + 1, 2);
  n += info.param.engine == EngineKind::kJit ? "_jit" : "_interp";
  n += info.param.safety == Safety::kChecked ? "_checked" : "_verified";
  return n;
}

class KernelTestRunTest : public ::testing::TestWithParam<Config> {};

TEST_P(KernelTestRunTest, EveryRecordedRunGivesTheKernelsAnswer) {
  const Config& c = GetParam();
  const std::vector<Row> rows = kernel_rows();
  ASSERT_GE(rows.size(), 400u);
  Runtime rt;
  auto obj = rt.load_file(std::string(BPFJIT_BPF_PROGS_DIR) + "/" + c.object);
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  Program* p = (*obj)->program("xdp_adjust");
  ASSERT_NE(p, nullptr);
  PrepareOptions po;
  po.engine = c.engine;
  po.safety = c.safety;
  auto prepared = p->prepare(po);
  ASSERT_TRUE(prepared.ok()) << prepared.error().to_string();

  int mismatches = 0;
  int refused = 0;
  for (const Row& row : rows) {
    TestRunInput in;
    in.data = row.data_in;
    in.ctx = row.ctx_in;
    in.repeat = row.repeat;
    auto r = p->test_run(in);
    std::string why;
    if (row.result != "ok") {
      ++refused;
      if (r.ok()) why = "the kernel refused the run (" + row.result + "), bpfjit ran it";
      else if (r.error().code != ErrorCode::kInvalidArgument) why = r.error().to_string();
    } else if (!r.ok()) {
      why = "bpfjit refused the run: " + r.error().to_string();
    } else if (r->retval != row.retval) {
      why = "retval " + std::to_string(r->retval) + ", the kernel's " + std::to_string(row.retval);
    } else if (hex(r->data_out) != row.data_out) {
      why = "data_out\n  bpfjit " + hex(r->data_out).substr(0, 160) + "\n  kernel " +
            row.data_out.substr(0, 160);
    } else if (row.ctx_out != "-" && hex(r->ctx_out) != row.ctx_out) {
      why = "ctx_out " + hex(r->ctx_out) + ", the kernel's " + row.ctx_out;
    }
    if (!why.empty() && ++mismatches <= 5) {
      ADD_FAILURE() << "input " << row.id << " (" << row.data_in.size() << " bytes, repeat "
                    << row.repeat << "): " << why;
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << rows.size() << " inputs";
  EXPECT_GT(refused, 10);
}

INSTANTIATE_TEST_SUITE_P(
    Engines, KernelTestRunTest,
    ::testing::Values(Config{"xdp_adjust.v3.o", EngineKind::kInterpreter, Safety::kVerified},
                      Config{"xdp_adjust.v3.o", EngineKind::kJit, Safety::kVerified},
                      Config{"xdp_adjust.v4.o", EngineKind::kInterpreter, Safety::kVerified},
                      Config{"xdp_adjust.v4.o", EngineKind::kJit, Safety::kVerified},
                      Config{"xdp_adjust.v3.o", EngineKind::kInterpreter, Safety::kChecked},
                      Config{"xdp_adjust.v3.o", EngineKind::kJit, Safety::kChecked}),
    config_name);

class XdpRunTest : public ::testing::TestWithParam<EngineKind> {
 protected:
  void SetUp() override {
    auto obj = rt_.load_file(std::string(BPFJIT_BPF_PROGS_DIR) + "/xdp_adjust.v4.o");
    ASSERT_TRUE(obj.ok()) << obj.error().to_string();
    obj_ = std::move(*obj);
    prog_ = obj_->program("xdp_adjust");
    PrepareOptions po;
    po.engine = GetParam();
    ASSERT_TRUE(prog_->prepare(po).ok());
  }
  Runtime rt_;
  std::unique_ptr<Object> obj_;
  Program* prog_ = nullptr;
};

// Controls: no metadata (c0 = 0), head moved by +2, tail by -4, an 8-byte load at 8
// stored reversed at 4.
std::vector<uint8_t> packet_with_controls(size_t len) {
  std::vector<uint8_t> p(len);
  for (size_t i = 0; i < len; ++i) p[i] = static_cast<uint8_t>(i);
  p[0] = 0;
  p[1] = 2;
  p[2] = 0xff;
  p[3] = 8;
  return p;
}

TEST_P(XdpRunTest, TestRunGivesThePacketAsTheProgramLeftIt) {
  const std::vector<uint8_t> pkt = packet_with_controls(64);
  TestRunInput in;
  in.data = pkt;
  auto r = prog_->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->retval, 0u);  // every helper succeeded
  // Head +2, tail -4: bytes 2..59; then bytes 8..15 of the new packet (10..17 of the old)
  // reversed at offset 4, and byte 0 holds the number of failed helpers.
  std::vector<uint8_t> want(pkt.begin() + 2, pkt.end() - 4);
  for (int i = 0; i < 8; ++i) want[4 + i] = static_cast<uint8_t>(17 - i);
  want[0] = 0;
  EXPECT_EQ(hex(r->data_out), hex(want));
  xdp_md md{};
  ASSERT_EQ(r->ctx_out.size(), sizeof md);
  std::memcpy(&md, r->ctx_out.data(), sizeof md);
  EXPECT_EQ(md.data, 0u);
  EXPECT_EQ(md.data_end, 58u);
}

TEST_P(XdpRunTest, TestRunTakesMetadataFromCtxIn) {
  std::vector<uint8_t> data(8, 0xee);  // 8 bytes of metadata, then the packet
  const std::vector<uint8_t> pkt = packet_with_controls(64);
  data.insert(data.end(), pkt.begin(), pkt.end());
  xdp_md md{};
  md.data = 8;
  md.data_end = static_cast<uint32_t>(data.size());
  md.ingress_ifindex = 1;
  std::vector<uint8_t> ctx(sizeof md);
  std::memcpy(ctx.data(), &md, sizeof md);
  TestRunInput in;
  in.data = data;
  in.ctx = ctx;
  auto r = prog_->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  // The program writes its controls into the metadata's first word.
  ASSERT_EQ(r->data_out.size(), 8u + 58u);
  EXPECT_EQ(hex(std::span(r->data_out).subspan(0, 8)), "0002ff08" "eeeeeeee");
  std::memcpy(&md, r->ctx_out.data(), sizeof md);
  EXPECT_EQ(md.data, 8u);
  EXPECT_EQ(md.data_end, 66u);
  EXPECT_EQ(md.ingress_ifindex, 1u);
}

TEST_P(XdpRunTest, RepeatedRunsStartFromWhatTheLastLeft) {
  const std::vector<uint8_t> pkt = packet_with_controls(64);
  TestRunInput in;
  in.data = pkt;
  in.repeat = 2;
  auto twice = prog_->test_run(in);
  ASSERT_TRUE(twice.ok()) << twice.error().to_string();
  EXPECT_EQ(prog_->stats().runs, 2u);
  in.repeat = 1;
  auto first = prog_->test_run(in);
  ASSERT_TRUE(first.ok());
  in.data = first->data_out;
  auto second = prog_->test_run(in);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(hex(twice->data_out), hex(second->data_out));
  EXPECT_NE(hex(twice->data_out), hex(first->data_out));
  EXPECT_EQ(prog_->stats().runs, 4u);
}

TEST_P(XdpRunTest, TestRunRefusesWhatTheKernelRefuses) {
  std::vector<uint8_t> short_packet(13);
  TestRunInput in;
  in.data = short_packet;
  auto r = prog_->test_run(in);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("13 bytes"), std::string::npos) << r.error().message;
}

TEST_P(XdpRunTest, RunCopiesThePacketBackWhenItsLengthIsUnchanged) {
  // Controls that move nothing: only the load/store and the first byte change.
  std::vector<uint8_t> pkt(32);
  for (size_t i = 0; i < pkt.size(); ++i) pkt[i] = static_cast<uint8_t>(i);
  pkt[0] = pkt[1] = pkt[2] = 0;
  pkt[3] = 16;
  auto r0 = prog_->run(pkt);
  ASSERT_TRUE(r0.ok()) << r0.error().to_string();
  EXPECT_EQ(*r0, 0u);
  EXPECT_EQ(pkt[8], 23);  // bytes 16..23 reversed at 8
  EXPECT_EQ(pkt[15], 16);
}


// A host update never writes a value's bpf_spin_lock, and a lookup reads it as zero, as in
// the kernel (copy_map_value): a value of all ones from the host leaves spin_counter's
// lock (at 8) free, so the program takes it and runs instead of spinning forever.
TEST_P(XdpRunTest, HostUpdatesLeaveTheSpinLockAlone) {
  Runtime rt;
  auto obj = rt.load_file(std::string(BPFJIT_BPF_PROGS_DIR) + "/spin_counter.v4.o");
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  Program* prog = (*obj)->program("count_locked");
  ASSERT_NE(prog, nullptr);
  PrepareOptions po;
  po.engine = GetParam();
  ASSERT_TRUE(prog->prepare(po).ok());
  Map* totals = (*obj)->map("totals");
  ASSERT_NE(totals, nullptr);
  ASSERT_EQ(totals->value_size(), 24u);
  const uint32_t key = 0;
  const std::vector<uint8_t> ones(24, 0xff);
  ASSERT_TRUE(totals->update(as_bytes(key), ones).ok());
  std::vector<uint8_t> v(24);
  ASSERT_TRUE(totals->lookup(as_bytes(key), v).ok());
  EXPECT_EQ(std::vector<uint8_t>(v.begin() + 8, v.begin() + 12), std::vector<uint8_t>(4, 0));
  EXPECT_EQ(v[0], 0xff);
  EXPECT_EQ(v[12], 0xff);
  const std::vector<uint8_t> pkt(64, 0);  // 64 bytes: slot 0
  TestRunInput in;
  in.data = pkt;
  auto r = prog->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->retval, 2u);  // XDP_PASS
  ASSERT_TRUE(totals->lookup(as_bytes(key), v).ok());
  uint64_t packets, bytes;
  std::memcpy(&packets, v.data(), 8);
  std::memcpy(&bytes, v.data() + 16, 8);
  EXPECT_EQ(packets, 0u);  // all ones + 1
  EXPECT_EQ(bytes, 63u);   // all ones + 64
}

INSTANTIATE_TEST_SUITE_P(Engines, XdpRunTest,
                         ::testing::Values(EngineKind::kInterpreter, EngineKind::kJit),
                         [](const ::testing::TestParamInfo<EngineKind>& i) {
                           return std::string(i.param == EngineKind::kJit ? "jit" : "interp");
                         });

}  // namespace
}  // namespace bpfjit
