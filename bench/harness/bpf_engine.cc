// Engine preparation for the harness and the helper table its programs run with.
#include "bench/harness/bpf_engine.h"

#include <fmt/format.h>
#include <time.h>

#include <fstream>
#include <iterator>

#include "jit/jit.h"
#include "runtime/interp/interpreter.h"

namespace bpfjit::bench {

const char* engine_name(Engine e) {
  switch (e) {
    case Engine::kInterp: return "interp";
    case Engine::kJitChecked: return "jit";
    case Engine::kJitTrusted: return "jit-trusted";
    case Engine::kJitHarden: return "jit-harden";
    case Engine::kNative: return "native";
  }
  return "?";
}

double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

Result<std::vector<uint8_t>> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, fmt::format("cannot read {}", path));
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in),
                              std::istreambuf_iterator<char>());
}

namespace {

uint64_t helper_mix(uint64_t a, uint64_t b, uint64_t, uint64_t, uint64_t, RunContext*) {
  return mix_value(a, b);
}

}  // namespace

const HelperTable& bench_helpers() {
  static const HelperTable table = [] {
    HelperTable t = HelperTable::builtin();
    HelperProto mix;
    mix.id = kHelperMix;
    mix.name = "bench_mix";
    mix.fn = helper_mix;
    mix.ret = RetKind::kInteger;
    mix.args = {ArgKind::kScalar, ArgKind::kScalar, ArgKind::kNone, ArgKind::kNone,
                ArgKind::kNone};
    mix.general = true;
    (void)t.add(mix);  // a fixed, valid prototype: cannot be refused
    return t;
  }();
  return table;
}

Result<std::unique_ptr<Executable>> prepare_bpf(const std::vector<Insn>& insns, Engine e,
                                                const std::vector<uint8_t>& insn_flags,
                                                const std::string& name, PrepTimes& times) {
  double t0 = thread_seconds();
  Result<std::unique_ptr<Executable>> exe =
      make_error(ErrorCode::kInvalidArgument, "native code is not prepared here");
  switch (e) {
    case Engine::kInterp:
      exe = make_interpreter(insns);
      break;
    case Engine::kJitChecked:
    case Engine::kJitTrusted:
    case Engine::kJitHarden: {
      JitOptions opts;
      opts.checked = e == Engine::kJitChecked;
      opts.harden = e == Engine::kJitHarden;
      opts.helpers = bench_helpers().fns();
      opts.name = name;
      if (verified_engine(e)) opts.insn_flags = insn_flags;
      exe = jit_compile(insns, opts);
      break;
    }
    case Engine::kNative:
      break;
  }
  times.jit_s += thread_seconds() - t0;
  times.insns += insns.size();
  return exe;
}

}  // namespace bpfjit::bench
