// Making BPF code ready on one of the harness's engines: the helper table every benchmark
// program runs with, the verifier bridge for trusted mode, and engine preparation.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bench/harness/workload.h"
#include "helpers/helper_table.h"
#include "helpers/maps.h"
#include "helpers/prototype.h"
#include "runtime/isa/isa.h"
#include "runtime/isa/machine.h"
#include "runtime/isa/result.h"

namespace bpfjit::bench {

// The id of the harness's helper bench_mix(a, b) (bench/progs/bench_prog.h).
inline constexpr uint32_t kHelperMix = 4000;
// bench_mix's function, shared with the native shim so both sides compute the same.
inline uint64_t mix_value(uint64_t a, uint64_t b) {
  uint64_t x = (a ^ b) * 0xff51afd7ed558ccdull;
  return x ^ (x >> 33);
}

// A whole file's bytes, or a kIo error naming it.
Result<std::vector<uint8_t>> read_bytes(const std::string& path);

// The built-in helpers plus bench_mix. Built once; fns() stays valid for the process.
const HelperTable& bench_helpers();

// What the verifier needs to know about an lddw reference of a loaded program.
struct VerifyRef {
  uint32_t slot = 0;
  enum Kind : uint8_t { kMap, kMapValue, kCode } kind = kMap;
  uint32_t map = 0;     // index into VerifyRequest::maps
  uint32_t offset = 0;  // value offset (kMapValue) or slot (kCode)
};

struct VerifyMap {
  MapSpec spec;
  bool read_only = false;
};

struct VerifyRequest {
  const std::vector<Insn>* insns = nullptr;
  const ProgramType* type = nullptr;
  std::vector<VerifyRef> refs;
  std::vector<VerifyMap> maps;
  std::optional<uint64_t> mem_size;  // the mem type's buffer size, when known
  // The loader has rewritten the context accesses to the runtime's shadow context, so the
  // verifier must check them against that layout (verifier::runtime_ctx_view).
  bool ctx_rewritten = false;
};

struct VerifyOutcome {
  bool available = false;  // false: no verifier is built
  bool accepted = false;
  std::string error;       // the main rejection when refused
  std::vector<uint8_t> insn_flags;
  double seconds = 0;
};

// Runs the verifier when it is built (bench/harness/verify_bridge.cc).
VerifyOutcome verify_program(const VerifyRequest& request);
// True when the harness was built with the verifier.
bool verifier_available();

// Prepares `insns` on a BPF engine (not kNative): the interpreter, or the JIT checked,
// trusted or trusted with constant blinding (these two take the verifier's insn_flags). Adds the preparation time to
// times.jit_s and the slots to times.insns.
Result<std::unique_ptr<Executable>> prepare_bpf(const std::vector<Insn>& insns, Engine e,
                                                const std::vector<uint8_t>& insn_flags,
                                                const std::string& name, PrepTimes& times);

}  // namespace bpfjit::bench
