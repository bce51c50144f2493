// One benchmark program object made ready on one engine: the BPF side loaded through the
// ELF loader (runtime/loader) with its own maps and global data, or the native side (the
// same C compiled for the host) bound to its own bpfjit maps through the shim.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/harness/workload.h"
#include "helpers/host_env.h"
#include "helpers/maps.h"
#include "helpers/program_types.h"
#include "runtime/isa/machine.h"
#include "runtime/isa/result.h"

namespace bpfjit::bench {

// What a benchmark object is made of (one file bench/progs/NAME.c).
struct ProgObjectSpec {
  std::string name;                 // NAME: the source, the objects and the native tables
  std::string entry;                // the function the harness runs
  bool xdp = false;                 // xdp (one run per frame) or mem (r1 = buf, r2 = len)
  std::string prog_array;           // the prog_array map for tail calls, if any
  std::vector<std::pair<uint32_t, std::string>> tail_slots;  // slot -> function
};

// The path of the BPF object of `name` at -mcpu=cpu in the build tree.
std::string prog_object_path(const std::string& name, const char* cpu);

// One run's own state: stack, regions, context. A program can run on many slots at once.
struct RunSlot {
  RunContext ctx;
  HostEnv host;
  std::vector<uint8_t> stack;
  std::vector<MemRegion> regions;  // [0] the packet or buffer, [1] the xdp context, maps
  XdpCtx xdp;
};

class ProgInstance {
 public:
  virtual ~ProgInstance() = default;
  // A fresh run slot (BPF) or an empty one (native).
  virtual std::unique_ptr<RunSlot> make_slot() = 0;
  // r0 of one run (an xdp verdict is the low 32 bits), or the trap.
  virtual Result<uint64_t> run_mem(RunSlot& slot, uint8_t* buf, uint64_t len) = 0;
  virtual Result<uint64_t> run_xdp(RunSlot& slot, std::span<uint8_t> frame) = 0;
  // The maps by name (sorted by name).
  virtual const std::vector<std::pair<std::string, std::shared_ptr<BpfMap>>>& maps() const = 0;
  BpfMap* map(std::string_view name) const;
};

// Makes an instance on engine `e`. kUnsupported errors mean "n/a" (trusted without a
// verifier, or refused by it).
Result<std::unique_ptr<ProgInstance>> make_prog_instance(const ProgObjectSpec& spec,
                                                         const char* cpu, Engine e,
                                                         std::optional<uint64_t> mem_size,
                                                         PrepTimes& times);

// A digest of every map's contents (keys and values, order-independent; prog_array and
// ring buffers left out).
uint64_t maps_digest(const ProgInstance& inst);

}  // namespace bpfjit::bench
