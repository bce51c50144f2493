// bpfjit-micro: micro-benchmarks of the hot paths (Google Benchmark).
//
//  - HelperCall: a helper call from code (a helper that returns r1), per call;
//  - ArrayLookup / PercpuArrayLookup / HashLookup: bpf_map_lookup_elem from code on an
//    array map (constant key; the JIT checked, trusted, and trusted with the lookup in
//    place) and a hash map of 1,024 entries (keys cycling through all of them), per lookup;
//  - EmptyProgram: entering and leaving a program that only returns 0 (Executable::run);
//  - EntryWithChecks: the same for a program with two checked stack accesses (the entry
//    then sets up the state the checks read);
//  - Dispatch: a loop of ALU instructions, per instruction executed.
// Each runs on the JIT (checked mode, as programs run without a verifier) and on the
// interpreter. The per-operation counters ("per_call", "per_lookup", "per_insn") divide
// the time by the operations one iteration performs; the loop's own instructions are
// included, so they are an upper bound of the operation's cost.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "helpers/helper_table.h"
#include "helpers/host_env.h"
#include "helpers/maps.h"
#include "jit/jit.h"
#include "runtime/interp/interpreter.h"
#include "runtime/isa/asm.h"

namespace bpfjit {
namespace {

constexpr uint32_t kHelperNop = 4001;
constexpr int kLoop = 1000;  // operations per program run

uint64_t helper_nop(uint64_t r1, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return r1;
}

const HelperTable& table() {
  static const HelperTable t = [] {
    HelperTable h = HelperTable::builtin();
    HelperProto p;
    p.id = kHelperNop;
    p.name = "bench_nop";
    p.fn = helper_nop;
    p.args = {ArgKind::kScalar, ArgKind::kNone, ArgKind::kNone, ArgKind::kNone,
              ArgKind::kNone};
    (void)h.add(p);  // a fixed, valid prototype
    return h;
  }();
  return t;
}

// A program ready to run, with its maps, host environment and stack.
struct Fixture {
  std::shared_ptr<BpfMap> map;
  ProgramEnv env;
  std::unique_ptr<HostEnv> host;
  std::vector<uint8_t> stack = std::vector<uint8_t>(kStackSize);
  std::vector<MemRegion> regions;
  RunContext ctx;
  std::unique_ptr<Executable> exe;
  std::string error;

  // `trusted`: the JIT without memory checks, as for a verified program; `inline_slot`:
  // also do the map's array lookup at that slot in place (jit.h JitArrayLookup), as the
  // runtime does where the verifier proved which array map a lookup reads.
  Fixture(const std::string& text, bool jit, std::shared_ptr<BpfMap> m = nullptr,
          bool trusted = false, int inline_slot = -1)
      : map(m) {
    if (map) env.maps.push_back(map);
    regions = env.map_regions();
    host = std::make_unique<HostEnv>(&env);
    ctx.stack = stack.data();
    ctx.regions = regions.data();
    ctx.region_count = static_cast<uint32_t>(regions.size());
    ctx.helpers = table().fns();
    ctx.host = host.get();
    auto insns = assemble(text);
    if (!insns) {
      error = insns.error().to_string();
      return;
    }
    Result<std::unique_ptr<Executable>> e =
        make_error(ErrorCode::kInvalidArgument, "not prepared");
    if (jit) {
      JitOptions o;
      o.helpers = table().fns();
      o.checked = !trusted;
      if (inline_slot >= 0 && map && map->array_layout()) {
        auto l = *map->array_layout();
        o.array_lookups = {{static_cast<uint32_t>(inline_slot),
                            reinterpret_cast<uint64_t>(l.values), l.stride, l.cpu_stride,
                            l.max_entries}};
      }
      e = jit_compile(*insns, o);
    } else {
      e = make_interpreter(*insns);
    }
    if (!e) {
      error = e.error().to_string();
      return;
    }
    exe = std::move(*e);
  }

  // Runs once; false (and the state skipped) when the run trapped.
  bool run(benchmark::State& state) {
    benchmark::DoNotOptimize(exe->run(ctx, 0, 0));
    if (ctx.trap.kind != TrapKind::kNone) {
      state.SkipWithError(ctx.trap.to_string().c_str());
      return false;
    }
    return true;
  }
};

void per_op_counter(benchmark::State& state, const char* name, double ops_per_iteration) {
  state.counters[name] = benchmark::Counter(
      static_cast<double>(state.iterations()) * ops_per_iteration,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

template <typename Body>
void run_bench(benchmark::State& state, Fixture& f, const char* counter, double ops, Body) {
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  for (auto _ : state) {
    if (!f.run(state)) return;
  }
  per_op_counter(state, counter, ops);
}

std::string loop_program(const std::string& setup, const std::string& body) {
  return fmt::format(
      "  mov %r6, {}\n{}loop:\n{}  sub %r6, 1\n  jne %r6, 0, loop\n  mov %r0, 0\n  exit\n",
      kLoop, setup, body);
}

void BM_HelperCall(benchmark::State& state, bool jit) {
  Fixture f(loop_program("", fmt::format("  mov %r1, %r6\n  call {}\n", kHelperNop)), jit);
  run_bench(state, f, "per_call", kLoop, 0);
}
BENCHMARK_CAPTURE(BM_HelperCall, jit, true);
BENCHMARK_CAPTURE(BM_HelperCall, interp, false);

// The same loop without the call: what the loop itself costs per iteration.
void BM_HelperCallLoopBaseline(benchmark::State& state, bool jit) {
  Fixture f(loop_program("", "  mov %r1, %r6\n  mov %r0, %r1\n"), jit);
  run_bench(state, f, "per_iteration", kLoop, 0);
}
BENCHMARK_CAPTURE(BM_HelperCallLoopBaseline, jit, true);
BENCHMARK_CAPTURE(BM_HelperCallLoopBaseline, interp, false);

std::shared_ptr<BpfMap> make(MapType type, uint32_t entries) {
  MapSpec s;
  s.type = type;
  s.name = "m";
  s.key_size = 4;
  s.value_size = 8;
  s.max_entries = entries;
  auto m = create_map(s);
  if (!m) return nullptr;
  for (uint32_t k = 0; k < entries; ++k) {
    uint64_t v = k;
    (void)(*m)->host_update(&k, &v, kBpfAny);  // k < max_entries: cannot fail
  }
  return *m;
}

// How a lookup runs: the JIT in checked mode (helper call), trusted (helper call, no
// memory checks) or trusted with the lookup in place; or the interpreter.
enum class Mode { kChecked, kTrusted, kInline, kInterp };

// The call to bpf_map_lookup_elem: slot 7 (mov r6; stw, lddw; mov, mov, add, call).
constexpr int kLookupSlot = 7;

void array_lookup(benchmark::State& state, MapType type, Mode mode) {
  auto m = make(type, 64);
  std::string setup = fmt::format("  stw [%r10-4], 3\n  lddw %r7, {:#x}\n",
                                  reinterpret_cast<uint64_t>(m.get()));
  Fixture f(loop_program(setup, "  mov %r1, %r7\n  mov %r2, %r10\n  add %r2, -4\n  call 1\n"),
            mode != Mode::kInterp, m, mode == Mode::kTrusted || mode == Mode::kInline,
            mode == Mode::kInline ? kLookupSlot : -1);
  f.ctx.cpu = 5;
  run_bench(state, f, "per_lookup", kLoop, 0);
}
void BM_ArrayLookup(benchmark::State& state, Mode mode) {
  array_lookup(state, MapType::kArray, mode);
}
BENCHMARK_CAPTURE(BM_ArrayLookup, jit, Mode::kChecked);
BENCHMARK_CAPTURE(BM_ArrayLookup, jit_trusted, Mode::kTrusted);
BENCHMARK_CAPTURE(BM_ArrayLookup, jit_inline, Mode::kInline);
BENCHMARK_CAPTURE(BM_ArrayLookup, interp, Mode::kInterp);
void BM_PercpuArrayLookup(benchmark::State& state, Mode mode) {
  array_lookup(state, MapType::kPercpuArray, mode);
}
BENCHMARK_CAPTURE(BM_PercpuArrayLookup, jit, Mode::kChecked);
BENCHMARK_CAPTURE(BM_PercpuArrayLookup, jit_trusted, Mode::kTrusted);
BENCHMARK_CAPTURE(BM_PercpuArrayLookup, jit_inline, Mode::kInline);

void BM_HashLookup(benchmark::State& state, bool jit) {
  auto m = make(MapType::kHash, 1024);
  std::string setup =
      fmt::format("  lddw %r7, {:#x}\n", reinterpret_cast<uint64_t>(m.get()));
  // key = r6 & 1023: every lookup hits, over all 1,024 keys.
  Fixture f(loop_program(setup,
                         "  mov %r1, %r6\n  and %r1, 1023\n  stxw [%r10-4], %r1\n"
                         "  mov %r1, %r7\n  mov %r2, %r10\n  add %r2, -4\n  call 1\n"
                         "  jeq %r0, 0, miss\n  ja next\nmiss:\n  mov %r6, 1\nnext:\n"),
            jit, m);
  run_bench(state, f, "per_lookup", kLoop, 0);
}
BENCHMARK_CAPTURE(BM_HashLookup, jit, true);
BENCHMARK_CAPTURE(BM_HashLookup, interp, false);

void BM_EmptyProgram(benchmark::State& state, bool jit) {
  Fixture f("  mov %r0, 0\n  exit\n", jit);
  run_bench(state, f, "per_run", 1, 0);
}
BENCHMARK_CAPTURE(BM_EmptyProgram, jit, true);
BENCHMARK_CAPTURE(BM_EmptyProgram, interp, false);

// Entering a program whose code needs the run's state: one access through a copy of r10,
// which checked mode checks (region 0 first, then the stack).
void BM_EntryWithChecks(benchmark::State& state, bool jit) {
  Fixture f("  mov %r1, %r10\n  stdw [%r1-8], 7\n  ldxdw %r0, [%r1-8]\n  exit\n", jit);
  run_bench(state, f, "per_run", 1, 0);
}
BENCHMARK_CAPTURE(BM_EntryWithChecks, jit, true);
BENCHMARK_CAPTURE(BM_EntryWithChecks, interp, false);

// Eight ALU instructions per iteration plus the loop's two: ten per iteration.
void BM_Dispatch(benchmark::State& state, bool jit) {
  Fixture f(loop_program("  mov %r0, 1\n  mov %r1, 3\n",
                         "  add %r0, 7\n  xor %r0, %r1\n  mul %r1, 3\n  rsh %r1, 1\n"
                         "  or %r0, %r6\n  and %r1, 0xffff\n  add %r1, %r0\n"
                         "  lsh %r0, 1\n"),
            jit);
  run_bench(state, f, "per_insn", kLoop * 10.0, 0);
}
BENCHMARK_CAPTURE(BM_Dispatch, jit, true);
BENCHMARK_CAPTURE(BM_Dispatch, interp, false);

}  // namespace
}  // namespace bpfjit

BENCHMARK_MAIN();
