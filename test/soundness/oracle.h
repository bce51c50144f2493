// The soundness oracle of the verifier: a program the verifier accepts must never fault.
// check_case() verifies a generated program on its platform and, when it is accepted, runs
// it in checked mode (the interpreter and the JIT's checked mode, each access checked at
// run time) on random inputs at the edges of its checks: packet and metadata lengths, map
// contents. Helpers that take memory run through strict wrappers that stop the run when a
// memory argument is not accessible (the built-ins would only return -EFAULT). Any fault
// of an accepted program is a verifier bug; the result then holds the program's
// disassembly, the input and the fault.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "test/soundness/elf_writer.h"

namespace bpfjit {
class Runtime;
}

namespace bpfjit::soundness {

struct Case {
  std::string family;               // the generator family, for the statistics
  std::string type = "mem";         // mem, xdp, socket_filter, sched_cls
  std::string platform = "runtime";  // runtime or linux: whose rules verify it
  std::vector<Insn> insns;          // lddw map_fd imm = index in `maps`
  std::vector<ElfMap> maps;
  uint32_t mem_size = 64;           // mem programs: the buffer's size
  std::vector<uint32_t> edges;      // packet lengths at the edges of its checks
  // A whole ELF object instead (the objmut family): every program of it is verified on
  // the runtime platform (mem programs with mem_size) and run when accepted.
  std::vector<uint8_t> object;
  std::string mutation;             // what was changed in it, for reports
};

enum class Outcome : uint8_t {
  kRejected,     // the verifier refused it
  kNotRunnable,  // accepted, but the runtime cannot load or run it (see note)
  kRan,          // accepted and every run ended without a fault
  kTrapped,      // accepted and a run faulted: a verifier bug
};

struct CaseResult {
  Outcome outcome = Outcome::kRejected;
  uint32_t runs = 0;      // checked runs made (both engines)
  std::string note;       // why it was not runnable; the rejection reason
  std::string report;     // kTrapped: program, input and fault
};

// A runtime whose memory helpers check their arguments strictly. One per thread.
std::unique_ptr<Runtime> make_strict_runtime();

struct OracleOptions {
  uint32_t inputs = 6;          // inputs per engine
  uint32_t max_packet = 96;     // largest random packet length
  uint64_t budget = 2'000'000;  // per run (interpreter instructions)
  bool skip_verify = false;     // run every program (tests of the oracle itself)
  // Instructions the verifier may process per program; unset, the verifier's default (the
  // kernel's). The long mode may lower it, since programs refused at the limit never run.
  std::optional<uint64_t> complexity_limit;
};

CaseResult check_case(Runtime& rt, const Case& c, uint64_t input_seed,
                      const OracleOptions& opts = {});

// The program's text (assembler syntax, slot numbers) with its type, platform and maps.
std::string describe_case(const Case& c);

}  // namespace bpfjit::soundness
