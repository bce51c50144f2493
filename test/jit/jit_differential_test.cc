// Random programs (progen) on the interpreter and the JIT: they must agree on r0, the trap,
// the input memory and the stack. On a mismatch the test prints a shrunk reproducer.
#include <gtest/gtest.h>

#include "test/jit/differential.h"
#include "test/jit/progen.h"

namespace bpfjit::test {
namespace {

#ifdef BPFJIT_JIT_FUZZ_SEEDS
constexpr uint64_t kSeeds = BPFJIT_JIT_FUZZ_SEEDS;
#else
constexpr uint64_t kSeeds = 20000;
#endif

void check_seeds(uint64_t first, uint64_t count, bool trusted, bool harden = false) {
  ProgenOptions po;
  if (trusted) po.wild_access_permille = 0;
  DiffOptions d;
  d.trusted = trusted;
  d.harden = harden;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    auto prog = generate_program(seed, po);
    d.input_seed = seed;
    auto diff = diff_engines(prog, d);
    if (diff) {
      auto small = shrink_mismatch(prog, d);
      FAIL() << "seed " << seed << ": " << *diff << "\nreproducer (" << small.size()
             << " slots):\n" << program_text(small);
    }
  }
}

TEST(JitDifferentialTest, CheckedJitAgreesWithTheInterpreter) { check_seeds(1, kSeeds, false); }

TEST(JitDifferentialTest, TrustedJitAgreesOnInBoundsPrograms) {
  check_seeds(1'000'000, kSeeds / 4, true);
}

// Constant blinding changes how every immediate reaches the code, not what it computes.
TEST(JitDifferentialTest, HardenedCheckedJitAgreesWithTheInterpreter) {
  check_seeds(2'000'000, kSeeds / 2, false, true);
}

TEST(JitDifferentialTest, HardenedTrustedJitAgreesOnInBoundsPrograms) {
  check_seeds(3'000'000, kSeeds / 4, true, true);
}

TEST(JitDifferentialTest, GeneratedProgramsCoverEveryOpcodeClass) {
  // The generator is only useful if it reaches every form the engines run.
  std::vector<bool> seen(kNumOps, false);
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    for (const Insn& in : generate_program(seed)) seen[static_cast<size_t>(in.op)] = true;
  }
  for (size_t i = 0; i + 1 < kNumOps; ++i) {
    auto op = static_cast<Op>(i);
    Form f = form_of(op);
    bool refused = f == Form::kLdAbs || f == Form::kLdInd || f == Form::kCallBtf ||
                   (f == Form::kLddw && lddw_kind(op) != LddwKind::kImm64);
    if (!refused) {
      EXPECT_TRUE(seen[i]) << op_info(op).name << " never generated";
    }
  }
}

}  // namespace
}  // namespace bpfjit::test
