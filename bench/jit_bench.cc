// bpfjit-bench-jit: the JIT (checked and trusted) and the interpreter against native code
// on the eight benchmark kernels, at -mcpu=v3 and v4.
//
// Every engine's result must equal the native one. Times are medians of repeated runs
// (after a warm-up; the input is refilled outside the timed region) on the thread's CPU
// clock. Prints each engine/native ratio and their geometric means. The trusted JIT runs
// without memory checks although no verifier has proven these programs yet: its figures
// are for reference only.
//
// --check: one untimed run per engine, results compared (registered with CTest).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "bench/kernels/kernels.h"
#include "jit/jit.h"
#include "runtime/interp/interpreter.h"
#include "runtime/isa/decode.h"

namespace bpfjit::bench {
namespace {

enum Engine { kNative, kChecked, kTrusted, kInterp, kNumEngines };
constexpr const char* kEngineNames[kNumEngines] = {"native", "jit checked",
                                                   "jit trusted*", "interp"};

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Bench {
  const Kernel& kernel;
  std::vector<uint64_t> storage;
  std::vector<uint8_t> stack = std::vector<uint8_t>(kStackSize);
  MemRegion region{};
  RunContext ctx;

  explicit Bench(const Kernel& k) : kernel(k), storage((k.input_size + 7) / 8) {
    region = MemRegion{reinterpret_cast<uint64_t>(buf()),
                       reinterpret_cast<uint64_t>(buf()) + k.input_size, true};
    ctx.stack = stack.data();
    ctx.regions = &region;
    ctx.region_count = 1;
  }
  uint8_t* buf() { return reinterpret_cast<uint8_t*>(storage.data()); }

  // Runs `exe` (native when null) `runs` times after a warm-up; the median time.
  double time(const Executable* exe, int runs, uint64_t& r0) {
    std::vector<double> samples;
    for (int i = 0; i <= runs; ++i) {
      kernel.fill(buf(), kernel.input_size);
      double t0 = cpu_now();
      r0 = exe == nullptr ? kernel.native(buf(), kernel.input_size)
                          : exe->run(ctx, reinterpret_cast<uint64_t>(buf()), kernel.input_size);
      double t1 = cpu_now();
      if (i > 0 || runs == 0) samples.push_back(t1 - t0);
    }
    std::sort(samples.begin(), samples.end());
    return samples[samples.size() / 2];
  }
};

int run(bool check, int runs) {
  bool ok = true;
  double log_sum[kNumEngines] = {};
  int count = 0;
  if (!check) {
    std::printf("%-16s %-3s %10s %10s %10s %10s %8s %8s %8s\n", "kernel", "cpu", "native ms",
                "checked", "trusted*", "interp", "chk/nat", "trs/nat", "int/nat");
  }
  for (const Kernel& k : kernels()) {
    for (const char* cpu : {"v3", "v4"}) {
      std::string path = kernel_path(k.name, cpu);
      std::ifstream in(path, std::ios::binary);
      std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      auto insns = decode_bytes(bytes);
      if (!insns) {
        std::fprintf(stderr, "%s: %s\n", path.c_str(), insns.error().to_string().c_str());
        ok = false;
        continue;
      }
      std::unique_ptr<Executable> exes[kNumEngines];
      JitOptions jo;
      jo.name = std::string(k.name) + "_" + cpu;
      auto checked = jit_compile(*insns, jo);
      jo.checked = false;
      auto trusted = jit_compile(*insns, jo);
      auto interp = make_interpreter(*insns);
      if (!checked || !trusted || !interp) {
        std::fprintf(stderr, "%s: an engine refused the program\n", path.c_str());
        ok = false;
        continue;
      }
      exes[kChecked] = std::move(*checked);
      exes[kTrusted] = std::move(*trusted);
      exes[kInterp] = std::move(*interp);
      Bench b(k);
      double secs[kNumEngines];
      uint64_t r0[kNumEngines];
      for (int e = 0; e < kNumEngines; ++e) {
        secs[e] = b.time(exes[e].get(), check ? 0 : runs, r0[e]);
        if (e != kNative && b.ctx.trap.kind != TrapKind::kNone) {
          std::fprintf(stderr, "%s %s on %s: %s\n", k.name, cpu, kEngineNames[e],
                       b.ctx.trap.to_string().c_str());
          ok = false;
        }
        if (r0[e] != r0[kNative]) {
          std::fprintf(stderr, "%s %s: native returns 0x%llx, %s 0x%llx\n", k.name, cpu,
                       static_cast<unsigned long long>(r0[kNative]), kEngineNames[e],
                       static_cast<unsigned long long>(r0[e]));
          ok = false;
        }
      }
      if (check) {
        std::printf("%-16s %-3s every engine returns 0x%llx\n", k.name, cpu,
                    static_cast<unsigned long long>(r0[kNative]));
        continue;
      }
      ++count;
      for (int e = 1; e < kNumEngines; ++e) log_sum[e] += std::log(secs[e] / secs[kNative]);
      std::printf("%-16s %-3s %10.3f %10.3f %10.3f %10.3f %7.2fx %7.2fx %7.2fx\n", k.name, cpu,
                  secs[kNative] * 1e3, secs[kChecked] * 1e3, secs[kTrusted] * 1e3,
                  secs[kInterp] * 1e3, secs[kChecked] / secs[kNative],
                  secs[kTrusted] / secs[kNative], secs[kInterp] / secs[kNative]);
    }
  }
  if (count > 0) {
    std::printf("geomean over %d kernel/cpu pairs: jit checked %.2fx, jit trusted* %.2fx, "
                "interp %.2fx native\n",
                count, std::exp(log_sum[kChecked] / count), std::exp(log_sum[kTrusted] / count),
                std::exp(log_sum[kInterp] / count));
    std::printf("* trusted: no memory checks, unverified, for reference\n");
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace bpfjit::bench

int main(int argc, char** argv) {
  bool check = false;
  int runs = 9;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--check") == 0) {
      check = true;
    } else if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: bpfjit-bench-jit [--check] [--runs N]\n");
      return 2;
    }
  }
  return bpfjit::bench::run(check, runs);
}
