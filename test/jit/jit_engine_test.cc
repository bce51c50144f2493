// Engine selection with the JIT: kJit and kAuto take the JIT, kAuto falls back to the
// interpreter (and logs why) when the JIT refuses a program or the host lacks a feature.
#include <gtest/gtest.h>

#include <mutex>
#include <string>

#include "bpfjit/log.h"
#include "runtime/engine.h"
#include "test/jit/jit_test_util.h"

namespace bpfjit {
namespace {

using test::ProgBuilder;
using test::TestMachine;

// Captures bpfjit's log for the test's lifetime.
class LogCapture {
 public:
  LogCapture() {
    set_log_sink(
        [this](LogLevel, std::string_view msg) {
          std::lock_guard<std::mutex> lock(mu_);
          out_ += std::string(msg) + "\n";
        },
        LogLevel::kDebug);
  }
  ~LogCapture() { set_log_sink(nullptr); }
  std::string text() const {
    std::lock_guard<std::mutex> lock(mu_);
    return out_;
  }

 private:
  mutable std::mutex mu_;
  std::string out_;
};

std::vector<Insn> simple_program() {
  ProgBuilder p;
  p.op(Op::kMov64Imm, 0, 0, 0, 40).op(Op::kAdd64Imm, 0, 0, 0, 2).op(Op::kExit);
  return p.insns();
}

TEST(JitEngineTest, JitAndAutoChooseTheJit) {
  for (EngineKind kind : {EngineKind::kJit, EngineKind::kAuto}) {
    EngineOptions o;
    o.kind = kind;
    auto exe = prepare_engine(simple_program(), o);
    ASSERT_TRUE(exe.ok()) << exe.error().to_string();
    EXPECT_STREQ((*exe)->engine_name(), "jit (checked)");
    TestMachine m;
    EXPECT_EQ(m.run(**exe), 42u);
  }
  EngineOptions o;
  o.kind = EngineKind::kJit;
  o.trusted = true;
  auto exe = prepare_engine(simple_program(), o);
  ASSERT_TRUE(exe.ok());
  EXPECT_STREQ((*exe)->engine_name(), "jit (trusted)");
}

TEST(JitEngineTest, AutoFallsBackToTheInterpreterAndSaysWhy) {
  ProgBuilder btf;  // the kfunc call is never reached
  btf.op(Op::kMov64Imm, 0, 0, 0, 7).op(Op::kJa, 0, 0, 1).op(Op::kCallBtf, 0, 2, 0, 3).op(Op::kExit);
  ProgBuilder abs;
  abs.op(Op::kMov64Imm, 0, 0, 0, 7).op(Op::kJa, 0, 0, 1).op(Op::kLdAbsW, 0, 0, 0, 0).op(Op::kExit);
  for (const auto& insns : {btf.insns(), abs.insns()}) {
    LogCapture log;
    EngineOptions o;
    o.kind = EngineKind::kAuto;
    o.name = "fallback_prog";
    auto exe = prepare_engine(insns, o);
    ASSERT_TRUE(exe.ok()) << exe.error().to_string();
    EXPECT_STREQ((*exe)->engine_name(), "interpreter");
    TestMachine m;
    EXPECT_EQ(m.run(**exe), 7u);
    EXPECT_NE(log.text().find("fallback_prog"), std::string::npos) << log.text();
    EXPECT_NE(log.text().find("insn 2"), std::string::npos) << log.text();
    // kJit refuses instead of falling back.
    o.kind = EngineKind::kJit;
    auto jit = prepare_engine(insns, o);
    ASSERT_FALSE(jit.ok());
    EXPECT_EQ(jit.error().insn, 2u);
  }
}

TEST(JitEngineTest, AutoFallsBackWhenTheCpuLacksAFeature) {
  LogCapture log;
  EngineOptions o;
  o.kind = EngineKind::kAuto;
  o.simulate_missing_cpu_feature = true;
  auto exe = prepare_engine(simple_program(), o);
  ASSERT_TRUE(exe.ok());
  EXPECT_STREQ((*exe)->engine_name(), "interpreter");
  EXPECT_NE(log.text().find("cpu"), std::string::npos) << log.text();
  TestMachine m;
  EXPECT_EQ(m.run(**exe), 42u);
}

}  // namespace
}  // namespace bpfjit
