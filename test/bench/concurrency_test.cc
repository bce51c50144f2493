// Concurrent runs of one loaded program with shared maps: every count a run adds must be
// in the maps afterwards, on every engine. Labelled `tsan`: the test command runs it again
// under ThreadSanitizer.
#include <gtest/gtest.h>

#include "bench/harness/concurrency.h"

namespace bpfjit::bench {
namespace {

class ConcurrencyTest : public ::testing::TestWithParam<Engine> {};

// Fewer runs under the sanitizers, which slow the interpreter and the maps down.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr uint64_t kRunsPerThread = 3000;
#else
constexpr uint64_t kRunsPerThread = 20000;
#endif

TEST_P(ConcurrencyTest, SharedMapCountsAreExactForEveryThreadCount) {
  for (uint32_t threads : {1u, 2u, 4u}) {
    ConcurrencyPoint p = run_concurrency(GetParam(), threads, kRunsPerThread);
    ASSERT_TRUE(p.error.empty()) << threads << " threads: " << p.error;
    EXPECT_EQ(p.runs, threads * kRunsPerThread);
    EXPECT_EQ(p.array_sum, threads * kRunsPerThread) << threads << " threads, array map";
    EXPECT_EQ(p.hash_sum, threads * kRunsPerThread) << threads << " threads, hash map";
    EXPECT_TRUE(p.exact);
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, ConcurrencyTest,
                         ::testing::Values(Engine::kInterp, Engine::kJitChecked,
                                           Engine::kNative),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           switch (info.param) {
                             case Engine::kInterp: return std::string("Interp");
                             case Engine::kJitChecked: return std::string("JitChecked");
                             case Engine::kJitTrusted: return std::string("JitTrusted");
                             case Engine::kNative: return std::string("Native");
                           }
                           return std::string("Unknown");
                         });

}  // namespace
}  // namespace bpfjit::bench
