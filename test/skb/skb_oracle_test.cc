// The skb programs of bpf-progs (tc_nat, skb_fields, skb_resize, socket_view) on every
// packet of kernel_skb_runs.tsv, on both engines, against the kernel's recorded
// BPF_PROG_TEST_RUN answers (test/skb/record.sh): the return value or the refusal, the
// packet the run gives back (data_out), the context (ctx_out) of the runs given a ctx_in,
// and the contents of the programs' `out` map, byte for byte. Runs without a context go
// through Program::run (a socket filter's through Program::test_run, which alone gives it
// the kernel's view from the network header); runs with one through Program::test_run.
// Verified programs, and the same unverified with every access checked at run time.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bpfjit/runtime.h"
#include "test/support/hex.h"

namespace bpfjit {
namespace {

struct Row {
  std::string object, program, packet, packet_hex, ctx_in_hex, result, data_out_hex,
      ctx_out_hex, out;
};

std::vector<Row> read_rows() {
  std::vector<Row> rows;
  std::ifstream in(std::string(BPFJIT_SKB_DATA_DIR) + "/kernel_skb_runs.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, '\t')) f.push_back(field);
    if (f.size() != 9) continue;
    rows.push_back({f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]});
  }
  return rows;
}

std::vector<uint8_t> from_hex(const std::string& h) { return testing::from_hex(h, "."); }
std::string to_hex(const std::vector<uint8_t>& b) { return testing::to_hex(b, "."); }

std::string out_slots(Map* m) {
  std::string s;
  for (uint32_t k = 0; k < 64; ++k) {
    uint64_t v = 0;
    (void)m->lookup(Map::bytes_of(k), Map::writable_bytes_of(v));
    std::stringstream x;
    x << std::hex << v;
    s += (k ? "," : "") + x.str();
  }
  return s;
}

class SkbOracleTest
    : public ::testing::TestWithParam<std::tuple<EngineKind, const char*, Safety>> {};

TEST_P(SkbOracleTest, MatchesTheKernelsTestRuns) {
  const auto [engine, variant, safety] = GetParam();
  const std::vector<Row> rows = read_rows();
  ASSERT_GE(rows.size(), 2000u) << "kernel_skb_runs.tsv is missing or short";
  Runtime rt;
  std::map<std::string, std::unique_ptr<Object>> objects;
  size_t runs = 0;
  size_t mismatches = 0;
  for (const Row& row : rows) {
    SCOPED_TRACE(row.program + " on " + row.packet);
    auto& obj = objects[row.object];
    if (!obj) {
      std::string file = row.object;
      file.replace(file.find(".v3.o"), 5, std::string(".") + variant + ".o");
      auto loaded = rt.load_file(std::string(BPFJIT_BPF_PROGS_DIR) + "/" + file);
      ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
      obj = std::move(loaded).value();
      PrepareOptions po;
      po.engine = engine;
      po.safety = safety;
      auto r = obj->prepare_all(po);
      ASSERT_TRUE(r.ok()) << r.error().to_string();
    }
    Program* p = obj->program(row.program);
    ASSERT_NE(p, nullptr);
    Map* out = obj->map("out");
    if (out != nullptr) {
      for (uint32_t k = 0; k < 64; ++k) ASSERT_TRUE((out->put<uint32_t, uint64_t>(k, 0).ok()));
    }
    std::vector<uint8_t> packet = from_hex(row.packet_hex);
    const bool with_ctx = row.ctx_in_hex != "-";
    const bool socket_filter = p->type().name == "socket_filter";
    Result<uint64_t> r = make_error(ErrorCode::kInvalidArgument, "not run");
    std::string data_out = "-";
    std::string ctx_out = "-";
    if (with_ctx || socket_filter) {
      const std::vector<uint8_t> ctx_in = with_ctx ? from_hex(row.ctx_in_hex) : std::vector<uint8_t>{};
      TestRunInput in;
      in.data = packet;
      in.ctx = ctx_in;
      auto t = p->test_run(in);
      if (t.ok()) {
        r = t->r0;
        data_out = to_hex(t->data_out);
        if (with_ctx) ctx_out = to_hex(t->ctx_out);
      } else {
        r = t.error();
      }
    } else {
      SkbRunOutput skb;
      RunOptions o;
      o.skb_out = &skb;
      r = p->run(packet, o);
      if (r.ok()) data_out = to_hex(skb.data_out);
      if (r.ok() && p->name() == "tc_nat") {
        // The caller's buffer holds the packet as the program left it.
        EXPECT_EQ(to_hex(packet), row.data_out_hex);
      }
    }
    ++runs;
    std::string result;
    if (r.ok()) {
      std::stringstream x;
      x << "ret=0x" << std::hex << (*r & 0xffffffffu);
      result = x.str();
    } else if (r.error().code == ErrorCode::kInvalidArgument) {
      result = "err=-22";  // -EINVAL
    } else if (r.error().code == ErrorCode::kNoSpace) {
      result = "err=-7";  // -E2BIG
    } else {
      result = r.error().to_string();
    }
    const std::string slots = r.ok() && out != nullptr ? out_slots(out) : "-";
    const bool same = result == row.result && data_out == row.data_out_hex &&
                      ctx_out == row.ctx_out_hex && slots == row.out;
    if (!same) ++mismatches;
    EXPECT_EQ(result, row.result);
    EXPECT_EQ(data_out, row.data_out_hex);
    EXPECT_EQ(ctx_out, row.ctx_out_hex);
    EXPECT_EQ(slots, row.out);
  }
  EXPECT_EQ(mismatches, 0u) << "of " << runs << " runs";
  RecordProperty("runs", static_cast<int>(runs));
}

INSTANTIATE_TEST_SUITE_P(Engines, SkbOracleTest,
                         ::testing::Combine(::testing::Values(EngineKind::kInterpreter,
                                                             EngineKind::kJit),
                                            ::testing::Values("v3", "v4"),
                                            ::testing::Values(Safety::kVerified,
                                                              Safety::kChecked)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) == EngineKind::kJit
                                                  ? "jit"
                                                  : "interp") +
                                  "_" + std::get<1>(info.param) +
                                  (std::get<2>(info.param) == Safety::kChecked ? "_checked"
                                                                               : "");
                         });

}  // namespace
}  // namespace bpfjit
