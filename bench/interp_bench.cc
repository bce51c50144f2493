// bpfjit-bench-interp: the interpreter against native code on the benchmark kernels.
//
// For each kernel (the four loop-heavy ones, or all with --all) and each -mcpu level, runs
// the natively compiled C and the interpreter on the same input, checks that both return
// the same value, times each (one warm-up, then the median of repeated runs; the input is
// refilled outside the timed region; the clock is the thread's CPU time, so that other
// processes on a shared machine disturb the figures less) and prints the interp/native ratio per kernel and
// their geometric mean. Exits non-zero when any result differs.
//
// --check runs every kernel once on each side without timing: a differential test of the
// interpreter against the C compiler, registered with CTest.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bench/kernels/kernels.h"
#include "runtime/interp/interpreter.h"
#include "runtime/isa/decode.h"

namespace bpfjit::bench {
namespace {

constexpr int kRuns = 9;

struct Options {
  bool all = false;    // every kernel, not only the loop-heavy four
  bool check = false;  // one untimed run per side: compare results only
};

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

template <typename Fn>
double median_seconds(const Kernel& k, std::vector<uint64_t>& storage, int runs, Fn&& fn) {
  auto* buf = reinterpret_cast<uint8_t*>(storage.data());
  std::vector<double> times;
  for (int i = 0; i <= runs; ++i) {  // run 0 is the warm-up
    k.fill(buf, k.input_size);
    double t0 = thread_seconds();
    fn(buf);
    double t1 = thread_seconds();
    if (i > 0 || runs == 0) times.push_back(t1 - t0);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

int run(const Options& opt) {
  if (!opt.check) {
    std::printf("%-16s %-4s %12s %12s %8s\n", "kernel", "cpu", "native ms", "interp ms",
                "ratio");
  }
  bool ok = true;
  double log_sum[2] = {0, 0};
  int count[2] = {0, 0};
  for (const Kernel& k : kernels()) {
    if (!opt.all && !k.loop_heavy) continue;
    for (int c = 0; c < 2; ++c) {
      const char* cpu = c == 0 ? "v3" : "v4";
      std::string path = kernel_path(k.name, cpu);
      auto insns = decode_bytes(read_file(path));
      if (!insns) {
        std::fprintf(stderr, "%s: %s\n", path.c_str(), insns.error().to_string().c_str());
        ok = false;
        continue;
      }
      auto exe = make_interpreter(std::move(*insns));
      if (!exe) {
        std::fprintf(stderr, "%s: %s\n", path.c_str(), exe.error().to_string().c_str());
        ok = false;
        continue;
      }
      std::vector<uint64_t> storage((k.input_size + 7) / 8);
      auto* buf = reinterpret_cast<uint8_t*>(storage.data());
      std::vector<uint8_t> stack(kStackSize);
      MemRegion region{reinterpret_cast<uint64_t>(buf),
                       reinterpret_cast<uint64_t>(buf) + k.input_size, true};
      RunContext ctx;
      ctx.stack = stack.data();
      ctx.regions = &region;
      ctx.region_count = 1;

      uint64_t native_r0 = 0, interp_r0 = 0;
      int runs = opt.check ? 0 : kRuns;
      double native_s = median_seconds(k, storage, runs, [&](uint8_t* b) {
        native_r0 = k.native(b, k.input_size);
      });
      double interp_s = median_seconds(k, storage, runs, [&](uint8_t* b) {
        interp_r0 = (*exe)->run(ctx, reinterpret_cast<uint64_t>(b), k.input_size);
      });
      if (ctx.trap.kind != TrapKind::kNone) {
        std::fprintf(stderr, "%s %s: %s\n", k.name, cpu, ctx.trap.to_string().c_str());
        ok = false;
        continue;
      }
      if (native_r0 != interp_r0) {
        std::fprintf(stderr, "%s %s: native returns 0x%llx, the interpreter 0x%llx\n", k.name,
                     cpu, static_cast<unsigned long long>(native_r0),
                     static_cast<unsigned long long>(interp_r0));
        ok = false;
        continue;
      }
      if (opt.check) {
        std::printf("%-16s %-4s both return 0x%llx\n", k.name, cpu,
                    static_cast<unsigned long long>(native_r0));
        continue;
      }
      double ratio = interp_s / native_s;
      log_sum[c] += std::log(ratio);
      ++count[c];
      std::printf("%-16s %-4s %12.3f %12.3f %7.2fx\n", k.name, cpu, native_s * 1e3,
                  interp_s * 1e3, ratio);
    }
  }
  for (int c = 0; c < 2; ++c) {
    if (count[c] == 0) continue;
    std::printf("geomean %s over %d kernels: %.2fx\n", c == 0 ? "v3" : "v4", count[c],
                std::exp(log_sum[c] / count[c]));
  }
  if (count[0] + count[1] > 0) {
    std::printf("geomean overall: %.2fx\n",
                std::exp((log_sum[0] + log_sum[1]) / (count[0] + count[1])));
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace bpfjit::bench

int main(int argc, char** argv) {
  bpfjit::bench::Options opt;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--all") == 0) {
      opt.all = true;
    } else if (std::strcmp(argv[i], "--check") == 0) {
      opt.check = true;
    } else {
      std::fprintf(stderr, "usage: %s [--all] [--check]\n", argv[0]);
      return 2;
    }
  }
  return bpfjit::bench::run(opt);
}
