// Tail calls that the JIT continues in place (jit.h jit_can_tail_jump): the run jumps into
// the target's code instead of returning to the runtime's loop. Every case runs on a JIT
// mode and on the interpreter with the same safety, which is the reference: results, map
// counts and errors must agree; jit_tail_jumps() says how many tail calls jumped.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bpfjit/runtime.h"
#include "jit/jit.h"
#include "test/loader/loader_util.h"

namespace bpfjit {
namespace {

using testing::prog_path;

constexpr uint64_t kXdpAborted = 0, kXdpDrop = 1, kXdpPass = 2, kXdpTx = 3;

struct Mode {
  const char* name;
  EngineKind engine;
  Safety safety;
  bool harden;
};

const Mode kJitModes[] = {
    {"trusted", EngineKind::kJit, Safety::kVerified, false},
    {"checked", EngineKind::kJit, Safety::kChecked, false},
    {"hardened", EngineKind::kJit, Safety::kVerified, true},
};

Mode interp_like(const Mode& m) { return {"interp", EngineKind::kInterpreter, m.safety, false}; }
// The JIT in the other safety: code a tail call cannot jump into.
Mode other_safety(const Mode& m) {
  return {"other", EngineKind::kJit,
          m.safety == Safety::kChecked ? Safety::kVerified : Safety::kChecked, false};
}

// What one run did.
struct Outcome {
  bool ok = false;
  uint64_t r0 = 0;
  std::string error;
  std::array<uint64_t, 6> seen{};
  uint64_t leaf_seen = 0;
  uint64_t jumps = 0;  // jit_tail_jumps() during the run

  bool same_as(const Outcome& o) const {
    return ok == o.ok && r0 == o.r0 && error == o.error && seen == o.seen &&
           leaf_seen == o.leaf_seen;
  }
  std::string str() const {
    std::string s = ok ? "r0 " + std::to_string(r0) : "error '" + error + "'";
    s += ", seen";
    for (uint64_t v : seen) s += " " + std::to_string(v);
    return s + ", leaf " + std::to_string(leaf_seen) + ", jumps " + std::to_string(jumps);
  }
};

struct Case {
  std::string start = "entry";
  std::vector<std::pair<uint32_t, std::string>> slots;  // prog_array index -> program
  std::map<std::string, Mode> prepared_as;  // programs prepared other than the mode
  std::vector<std::string> unprepared;
  size_t packet_size = 64;
  uint64_t budget = UINT64_MAX;
};

const char* const kPrograms[] = {"entry", "pong", "sub_entry", "leaf", "spin"};

Outcome run_case(const Mode& mode, const Case& c) {
  Outcome out;
  Runtime rt;
  auto obj = rt.load_file(prog_path("tail_jump.v3.o"));
  EXPECT_TRUE(obj.ok()) << obj.error().to_string();
  if (!obj.ok()) return out;
  Object& o = **obj;
  for (const auto& [slot, name] : c.slots) {
    auto r = o.set_tail_call("jumps", slot, *o.program(name));
    EXPECT_TRUE(r.ok()) << r.error().to_string();
  }
  for (const char* name : kPrograms) {
    if (std::find(c.unprepared.begin(), c.unprepared.end(), name) != c.unprepared.end()) continue;
    auto it = c.prepared_as.find(name);
    const Mode& m = it != c.prepared_as.end() ? it->second : mode;
    PrepareOptions po;
    po.engine = m.engine;
    po.safety = m.safety;
    po.harden = m.harden;
    auto r = o.program(name)->prepare(po);
    EXPECT_TRUE(r.ok()) << name << ": " << r.error().to_string();
  }
  std::vector<uint8_t> pkt(c.packet_size, 0x11);
  RunOptions ro;
  ro.budget = c.budget;
  const uint64_t before = jit_tail_jumps();
  auto r = o.program(c.start)->run(pkt, ro);
  out.jumps = jit_tail_jumps() - before;
  out.ok = r.ok();
  if (r.ok()) {
    out.r0 = *r;
  } else {
    out.error = r.error().message;
  }
  for (uint32_t i = 0; i < out.seen.size(); ++i) {
    out.seen[i] = o.map("seen")->get<uint32_t, uint64_t>(i).value();
  }
  out.leaf_seen = o.map("leaf_seen")->get<uint32_t, uint64_t>(0).value();
  return out;
}

class TailJumpTest : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override {
    if (!jit_available()) GTEST_SKIP() << "no jit on this host";
  }
  // Runs `c` on the mode and on the interpreter; they must agree.
  Outcome run_both(const Case& c) {
    Outcome ref = run_case(interp_like(GetParam()), c);
    Outcome got = run_case(GetParam(), c);
    EXPECT_TRUE(got.same_as(ref)) << "jit: " << got.str() << "\ninterp: " << ref.str();
    EXPECT_EQ(ref.jumps, 0u) << "the interpreter never jumps";
    return got;
  }
};

TEST_P(TailJumpTest, JumpsIntoTheTarget) {
  Case c;
  c.slots = {{0, "leaf"}};
  Outcome o = run_both(c);
  EXPECT_TRUE(o.ok) << o.str();
  EXPECT_EQ(o.r0, kXdpTx);
  EXPECT_EQ(o.seen[0], 1u);
  EXPECT_EQ(o.seen[1], 0u);
  EXPECT_EQ(o.leaf_seen, 1u);  // the leaf's own map: the run switched to its program
  EXPECT_EQ(o.jumps, 1u);
  // The target starts with the run's r1 (the context): a short packet changes its verdict.
  c.packet_size = 14;
  Outcome s = run_both(c);
  EXPECT_EQ(s.r0, kXdpAborted) << s.str();
  EXPECT_EQ(s.jumps, 1u);
}

TEST_P(TailJumpTest, ChainOf33AndThe34thFails) {
  Case c;
  c.slots = {{0, "entry"}};  // entry -> itself until the count runs out
  Outcome o = run_both(c);
  EXPECT_TRUE(o.ok) << o.str();
  EXPECT_EQ(o.r0, kXdpPass);
  EXPECT_EQ(o.seen[0], 34u);  // the first run and 33 tail calls
  EXPECT_EQ(o.seen[1], 1u);   // only the last one went on after bpf_tail_call
  EXPECT_EQ(o.jumps, 33u);
}

TEST_P(TailJumpTest, PingPongBetweenPrograms) {
  Case c;
  c.slots = {{0, "pong"}, {3, "entry"}};
  Outcome o = run_both(c);
  EXPECT_TRUE(o.ok) << o.str();
  EXPECT_EQ(o.r0, kXdpDrop);  // the 34th run is pong's, whose tail call fails
  EXPECT_EQ(o.seen[0], 17u);
  EXPECT_EQ(o.seen[2], 17u);
  EXPECT_EQ(o.seen[3], 1u);
  EXPECT_EQ(o.jumps, 33u);
}

// entry -> pong (jump) -> sub_entry on the interpreter (back to the runtime) -> entry
// (started by the runtime) -> pong (jump) ...: the count spans both kinds of tail call.
TEST_P(TailJumpTest, CountSpansJumpsAndRuntimeRestarts) {
  Case c;
  c.slots = {{0, "pong"}, {3, "sub_entry"}, {1, "entry"}};
  c.prepared_as = {{"sub_entry", interp_like(GetParam())}};
  Outcome o = run_both(c);
  EXPECT_TRUE(o.ok) << o.str();
  EXPECT_EQ(o.r0, kXdpPass);  // run 34 is entry's
  EXPECT_EQ(o.seen[0], 12u);
  EXPECT_EQ(o.seen[2], 11u);
  EXPECT_EQ(o.seen[4], 11u);
  EXPECT_EQ(o.seen[1], 1u);
  EXPECT_EQ(o.jumps, 11u);  // entry -> pong only
}

TEST_P(TailJumpTest, FromASubprogram) {
  Case c;
  c.start = "sub_entry";
  c.slots = {{1, "leaf"}};
  Outcome o = run_both(c);
  EXPECT_TRUE(o.ok) << o.str();
  EXPECT_EQ(o.r0, kXdpTx);
  EXPECT_EQ(o.seen[4], 1u);
  EXPECT_EQ(o.seen[5], 0u);  // the caller's frame is gone
  EXPECT_EQ(o.leaf_seen, 1u);
  EXPECT_EQ(o.jumps, 1u);
  // Empty slot: the subprogram returns and the caller goes on.
  c.slots.clear();
  Outcome e = run_both(c);
  EXPECT_EQ(e.r0, 7u) << e.str();
  EXPECT_EQ(e.seen[5], 1u);
  EXPECT_EQ(e.jumps, 0u);
}

// 33 tail calls, each from inside a bpf-to-bpf call: nothing of a caller's frame may stay.
TEST_P(TailJumpTest, ChainFromASubprogram) {
  Case c;
  c.start = "sub_entry";
  c.slots = {{1, "sub_entry"}};
  Outcome o = run_both(c);
  EXPECT_TRUE(o.ok) << o.str();
  EXPECT_EQ(o.r0, 7u);
  EXPECT_EQ(o.seen[4], 34u);
  EXPECT_EQ(o.seen[5], 1u);
  EXPECT_EQ(o.jumps, 33u);
}

TEST_P(TailJumpTest, TrapInTheTargetNamesIt) {
  if (GetParam().safety != Safety::kChecked) GTEST_SKIP() << "trusted code counts no budget";
  Case c;
  c.slots = {{0, "spin"}};
  c.budget = 100;
  Outcome o = run_case(GetParam(), c);
  Outcome ref = run_case(interp_like(GetParam()), c);
  ASSERT_FALSE(o.ok);
  ASSERT_FALSE(ref.ok);
  EXPECT_NE(o.error.find("program spin: "), std::string::npos) << o.error;
  EXPECT_NE(o.error.find("budget"), std::string::npos) << o.error;
  EXPECT_NE(ref.error.find("program spin: "), std::string::npos) << ref.error;
  EXPECT_EQ(o.jumps, 1u);
}

TEST_P(TailJumpTest, InterpreterTargetFallsBack) {
  Case c;
  c.slots = {{0, "leaf"}};
  c.prepared_as = {{"leaf", interp_like(GetParam())}};
  Outcome o = run_both(c);
  EXPECT_EQ(o.r0, kXdpTx) << o.str();
  EXPECT_EQ(o.leaf_seen, 1u);
  EXPECT_EQ(o.jumps, 0u);
}

TEST_P(TailJumpTest, OtherSafetyFallsBack) {
  Case c;
  c.slots = {{0, "leaf"}};
  c.prepared_as = {{"leaf", other_safety(GetParam())}};
  Outcome o = run_case(GetParam(), c);
  EXPECT_TRUE(o.ok) << o.str();
  EXPECT_EQ(o.r0, kXdpTx);
  EXPECT_EQ(o.leaf_seen, 1u);
  EXPECT_EQ(o.jumps, 0u);
}

TEST_P(TailJumpTest, UnpreparedTargetIsTheSameError) {
  Case c;
  c.slots = {{0, "leaf"}};
  c.unprepared = {"leaf"};
  Outcome o = run_both(c);
  ASSERT_FALSE(o.ok);
  EXPECT_EQ(o.error, "program entry: tail call to leaf, which is not prepared");
  EXPECT_EQ(o.jumps, 0u);
  // After a jump, the runtime names the program the run had jumped into.
  c.slots = {{0, "pong"}, {3, "leaf"}};
  Outcome p = run_both(c);
  ASSERT_FALSE(p.ok);
  EXPECT_EQ(p.error, "program pong: tail call to leaf, which is not prepared");
  EXPECT_EQ(p.jumps, 1u);
}

INSTANTIATE_TEST_SUITE_P(Modes, TailJumpTest, ::testing::ValuesIn(kJitModes),
                         [](const ::testing::TestParamInfo<Mode>& i) { return i.param.name; });

}  // namespace
}  // namespace bpfjit
