// The harness's vocabulary: the engines a workload runs on, a workload (one benchmark
// program: a compute kernel or a program kernel) and a runner (one engine's prepared
// instance of a workload, with its own input and its own maps).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/isa/result.h"

namespace bpfjit::bench {

enum class Engine : uint8_t {
  kInterp,      // the interpreter
  kJitChecked,  // the JIT with run-time memory checks
  kJitTrusted,  // the JIT without checks, with the verifier's per-insn facts
  kJitHarden,   // kJitTrusted with constant blinding (JitOptions::harden)
  kNative,      // the same C compiled by clang -O2 for the host
};
inline constexpr Engine kEngines[] = {Engine::kInterp, Engine::kJitChecked,
                                      Engine::kJitTrusted, Engine::kJitHarden, Engine::kNative};
inline constexpr int kEngineCount = 5;

// The engines that run only verified programs (and use the verifier's per-insn facts).
inline bool verified_engine(Engine e) {
  return e == Engine::kJitTrusted || e == Engine::kJitHarden;
}

// "interp", "jit", "jit-trusted", "jit-harden", "native".
const char* engine_name(Engine e);

// What preparing a BPF engine cost (zero for native). Seconds of thread CPU time.
struct PrepTimes {
  double load_s = 0;    // ELF load and relocation, or decoding the raw program
  double verify_s = 0;  // the verifier (trusted only)
  double jit_s = 0;     // jit_compile of every program of the workload
  uint64_t insns = 0;   // slots prepared (all programs of the workload)
};

// One engine's instance of a workload.
class Runner {
 public:
  virtual ~Runner() = default;
  // Restores the input (outside the timed region): refills buffers a kernel writes, drains
  // ring buffers. Maps keep their contents.
  virtual void reset() = 0;
  // One execution of the workload. Returns a digest of what the program returned (r0 of
  // each run, combined), or the trap that stopped it.
  virtual Result<uint64_t> run_once() = 0;
  // A digest of the state the workload left behind (map contents, ring buffer records),
  // in a form that does not depend on the engine; 0 when the workload keeps no state.
  virtual uint64_t state_digest() = 0;
  // How many program runs one run_once() makes (packets of a trace, or 1).
  virtual uint64_t runs_per_execution() const = 0;
};

class Workload {
 public:
  virtual ~Workload() = default;
  virtual const std::string& name() const = 0;
  // "kernel" (compute kernels) or "program" (program kernels with maps and helpers).
  virtual const char* group() const = 0;
  // "v3" or "v4": the -mcpu level of the BPF side.
  virtual const char* cpu() const = 0;
  // One of the four kernels the interpreter and JIT speed targets are measured on.
  virtual bool loop_heavy() const { return false; }
  // The map lookup rows: bpf_map_lookup_elem calls per execution (0 for the others).
  virtual uint64_t lookups_per_execution() const { return 0; }
  // A fresh instance on an engine. A Diagnostic with code kUnsupported means "n/a" (e.g.
  // trusted mode without a verifier, or a program the verifier refuses); other errors
  // are failures.
  virtual Result<std::unique_ptr<Runner>> prepare(Engine e, PrepTimes& times) = 0;
};

// The compute kernels of bench/kernels at -mcpu=cpu.
std::vector<std::unique_ptr<Workload>> make_kernel_workloads(const char* cpu);
// The program kernels of bench/progs at -mcpu=cpu, over a trace of `packets` packets.
std::vector<std::unique_ptr<Workload>> make_program_workloads(const char* cpu,
                                                              uint32_t packets);

// Seconds of this thread's CPU time (stable on a shared machine).
double thread_seconds();

// 64-bit FNV-1a steps, for digests.
inline uint64_t digest_mix(uint64_t h, uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    h ^= (v >> (8 * i)) & 0xff;
    h *= 1099511628211ull;
  }
  return h;
}
inline constexpr uint64_t kDigestSeed = 14695981039346656037ull;

}  // namespace bpfjit::bench
