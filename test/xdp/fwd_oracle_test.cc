// bpf-progs/xdp_fwd.c against the kernel: test/xdp/record_fwd.sh ran xdp_fwd and tc_fwd
// through BPF_PROG_TEST_RUN in a fresh network namespace with two veth devices, routes
// (one through a gateway with a locked MTU, a blackhole, IPv6) and permanent neighbours;
// test/xdp/fwd_kernel.tsv has every run's retval, data_out and the program's record of
// what bpf_fib_lookup and bpf_check_mtu answered. bpfjit, given the same network as a
// HostNetwork, must give the same on the interpreter and the JIT, verified and checked.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <string>
#include <vector>

#include "bpfjit/runtime.h"
#include "test/support/hex.h"
#include "test/support/tsv.h"

namespace bpfjit {
namespace {

std::array<uint8_t, 16> addr(int family, const char* s) {
  std::array<uint8_t, 16> a{};
  EXPECT_EQ(inet_pton(family, s, a.data()), 1) << s;
  return a;
}

// The namespace of record_fwd.sh, with the routes the kernel adds by itself that the
// recorded destinations can reach (the local table's entry for d2's address).
HostNetwork recorded_network() {
  HostNetwork net;
  net.devices[0].forwarding = true;
  net.devices.push_back(NetDevice{2, 1500, {2, 0, 0, 0, 0, 2}, true, {10, 0, 2, 1}, {}});
  NetDevice d3{3, 9000, {2, 0, 0, 0, 0, 3}, true, {}, {}};
  d3.ipv6 = addr(AF_INET6, "2001:db8:3::1");
  net.devices.push_back(d3);
  Route local;
  local.prefix = addr(AF_INET, "10.0.2.1");
  local.prefix_len = 32;
  local.type = RouteType::kLocal;
  local.table = 255;
  net.routes.push_back(local);
  Route r;
  r.prefix = addr(AF_INET, "10.0.2.0");
  r.prefix_len = 24;
  r.ifindex = 2;
  r.metric = 5;
  net.routes.push_back(r);
  r.prefix = addr(AF_INET, "10.9.0.0");
  r.prefix_len = 16;
  r.has_gateway = true;
  r.gateway = addr(AF_INET, "10.0.2.254");
  r.mtu = 1280;
  r.metric = 7;
  net.routes.push_back(r);
  Route bh;
  bh.prefix = addr(AF_INET, "10.66.0.0");
  bh.prefix_len = 16;
  bh.type = RouteType::kBlackhole;
  net.routes.push_back(bh);
  Route r6;
  r6.ipv6 = true;
  r6.prefix = addr(AF_INET6, "2001:db8:3::");
  r6.prefix_len = 64;
  r6.ifindex = 3;
  r6.metric = 1024;
  net.routes.push_back(r6);
  net.neighbours.push_back(Neighbour{2, false, addr(AF_INET, "10.0.2.7"), {0xaa, 0, 0, 0, 0, 7}});
  net.neighbours.push_back(
      Neighbour{2, false, addr(AF_INET, "10.0.2.254"), {0xaa, 0, 0, 0, 0, 0xfe}});
  net.neighbours.push_back(
      Neighbour{3, true, addr(AF_INET6, "2001:db8:3::9"), {0xbb, 0, 0, 0, 0, 9}});
  return net;
}

struct Row {
  int id = 0;
  std::string program;
  std::vector<uint8_t> ctx_in;
  std::vector<uint8_t> data_in;
  uint32_t retval = 0;
  std::string data_out;
  std::string obs;
};

std::vector<Row> kernel_rows() {
  std::vector<Row> rows;
  const std::string path = std::string(BPFJIT_XDP_DATA_DIR) + "/fwd_kernel.tsv";
  for (const std::vector<std::string>& f : testing::read_tsv(path)) {
    if (f.size() != 7) {
      ADD_FAILURE() << "bad row of " << f.size() << " fields";
      continue;
    }
    Row r;
    r.id = std::stoi(f[0]);
    r.program = f[1];
    r.ctx_in = testing::from_hex(f[2], "-");
    r.data_in = testing::from_hex(f[3]);
    r.retval = static_cast<uint32_t>(std::stoul(f[4]));
    r.data_out = f[5];
    r.obs = f[6];
    rows.push_back(std::move(r));
  }
  return rows;
}

struct Config {
  EngineKind engine;
  Safety safety;
};

class FwdOracleTest : public ::testing::TestWithParam<Config> {};

TEST_P(FwdOracleTest, EveryRecordedRunGivesTheKernelsAnswer) {
  const std::vector<Row> rows = kernel_rows();
  ASSERT_GE(rows.size(), 600u);
  Runtime rt;
  rt.host().set_network(recorded_network());
  auto obj = rt.load_file(std::string(BPFJIT_BPF_PROGS_DIR) + "/xdp_fwd.v3.o");
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  PrepareOptions po;
  po.engine = GetParam().engine;
  po.safety = GetParam().safety;
  auto prepared = (*obj)->prepare_all(po);
  ASSERT_TRUE(prepared.ok()) << prepared.error().to_string();
  const bool put = (*obj)->map("tx_port")->put<uint32_t, uint32_t>(2, 2).ok();
  ASSERT_TRUE(put);
  Map* obs = (*obj)->map("obs");
  const uint32_t key = 0;
  const std::span<const uint8_t> key_bytes(reinterpret_cast<const uint8_t*>(&key), 4);
  int mismatches = 0;
  for (const Row& row : rows) {
    std::vector<uint8_t> o(obs->value_bytes(), 0);
    ASSERT_TRUE(obs->update(key_bytes, o).ok());
    TestRunInput in;
    in.data = row.data_in;
    in.ctx = row.ctx_in;
    auto r = (*obj)->program(row.program)->test_run(in);
    std::string why;
    if (!r.ok()) {
      why = r.error().to_string();
    } else {
      ASSERT_TRUE(obs->lookup(key_bytes, o).ok());
      if (r->retval != row.retval) {
        why = "retval " + std::to_string(r->retval) + ", the kernel's " +
              std::to_string(row.retval);
      } else if (testing::to_hex(r->data_out) != row.data_out) {
        why = "data_out " + testing::to_hex(r->data_out).substr(0, 40) + ", the kernel's " +
              row.data_out.substr(0, 40);
      } else if (testing::to_hex(o) != row.obs) {
        why = "obs\n  bpfjit " + testing::to_hex(o) + "\n  kernel " + row.obs;
      }
    }
    if (!why.empty() && ++mismatches <= 5) {
      ADD_FAILURE() << "run " << row.id << " (" << row.program << ", "
                    << testing::to_hex(row.data_in).substr(0, 80) << "): " << why;
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << rows.size() << " runs";
}

INSTANTIATE_TEST_SUITE_P(
    Engines, FwdOracleTest,
    ::testing::Values(Config{EngineKind::kInterpreter, Safety::kVerified},
                      Config{EngineKind::kJit, Safety::kVerified},
                      Config{EngineKind::kInterpreter, Safety::kChecked},
                      Config{EngineKind::kJit, Safety::kChecked}),
    [](const ::testing::TestParamInfo<Config>& i) {
      return std::string(i.param.engine == EngineKind::kJit ? "jit" : "interp") +
             (i.param.safety == Safety::kChecked ? "_checked" : "_verified");
    });

}  // namespace
}  // namespace bpfjit
