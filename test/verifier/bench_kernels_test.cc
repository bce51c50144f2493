// The verifier on the benchmark kernels (bench/kernels/*.c, compiled by clang-19 for
// -mcpu=v3 and v4): every one is accepted on the `mem` type with the buffer size the bench
// gives it, so that each has trusted-mode (no runtime checks) figures. Their loops run up
// to a million times: the counted ones are proven through loop summaries.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "runtime/isa/decode.h"
#include "verifier/verifier.h"

namespace bpfjit::verifier {
namespace {

#ifdef BPFJIT_KERNELS_DIR
}  // namespace
}  // namespace bpfjit::verifier
#include "bench/kernels/kernels.h"
namespace bpfjit::verifier {
namespace {

class BenchKernelTest : public ::testing::TestWithParam<const char*> {};

TEST_P(BenchKernelTest, AcceptedWithItsBenchBufferSize) {
  const char* cpu = GetParam();
  for (const bench::Kernel& k : bench::kernels()) {
    SCOPED_TRACE(std::string(k.name) + "." + cpu);
    std::string path = bench::kernel_path(k.name, cpu);
    std::ifstream f(path, std::ios::binary);
    ASSERT_TRUE(f) << "cannot open " << path;
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                               std::istreambuf_iterator<char>());
    auto insns = decode_bytes(bytes);
    ASSERT_TRUE(insns.ok()) << insns.error().to_string();
    const ProgramType* mem = runtime_platform().find_type("mem");
    ASSERT_NE(mem, nullptr);
    VerifyInput in{*insns, {}, {}, *mem, {}, k.input_size, runtime_platform()};
    VerifyResult r = verify(in);
    EXPECT_TRUE(r.accepted) << r.error_text();
    // The bench's verify column stays in milliseconds: no kernel needs the search to
    // follow its loop trip by trip (or split on values that decide nothing).
    EXPECT_LT(r.stats.insns_processed, 20'000u);
    // Every load and store of a kernel reaches the buffer through a proven offset.
    if (r.accepted) {
      for (size_t pc = 0; pc < insns->size(); ++pc) {
        Form form = form_of((*insns)[pc].op);
        if (form == Form::kLdx || form == Form::kStx || form == Form::kSt) {
          EXPECT_TRUE(r.insn_flags[pc] & kFlagMemSafe) << "insn " << pc;
        }
      }
    }
    std::printf("%-16s %s: %s in %lld us, %llu insns processed, %llu states\n", k.name, cpu,
                r.accepted ? "accepted" : "rejected", static_cast<long long>(r.stats.time.count()),
                static_cast<unsigned long long>(r.stats.insns_processed),
                static_cast<unsigned long long>(r.stats.states_stored));
  }
}

INSTANTIATE_TEST_SUITE_P(Cpu, BenchKernelTest, ::testing::Values("v3", "v4"));

#else

TEST(BenchKernelTest, AcceptedWithItsBenchBufferSize) {
  GTEST_SKIP() << "the bench kernels are not built (no bpfjit_bench_kernels target)";
}

#endif

}  // namespace
}  // namespace bpfjit::verifier
