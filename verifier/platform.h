// The platform a program is verified for: its program types (context layouts, helper
// whitelists, exit values), the helper prototypes by id, the map types it knows and which
// types may write packets.
//
// Two platforms are built in:
//  - runtime: bpfjit's own (the default): the program types and helpers of helpers/
//    (HelperTable::builtin(), mem/xdp/socket_filter);
//  - linux: every kernel program type of enum bpf_prog_type (socket_filter ... syscall) with
//    its context fields, its helper set for a root loader and its exit values, and every
//    kernel helper prototype (ids 1..209), from the tables of helpers/kernel_tables.h, for
//    checking kernel objects offline. The verifier refuses, by name, calls whose prototypes
//    pass or return kernel objects it does not model (sockets, BTF objects, timers,
//    dynptrs: the kinds after kLastRuntimeArgKind / kLastRuntimeRetKind).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "helpers/prototype.h"

namespace bpfjit::verifier {

// Kernel map type numbers (enum bpf_map_type).
namespace map_type {
inline constexpr uint32_t kHash = 1;
inline constexpr uint32_t kArray = 2;
inline constexpr uint32_t kProgArray = 3;
inline constexpr uint32_t kPerfEventArray = 4;
inline constexpr uint32_t kPercpuHash = 5;
inline constexpr uint32_t kPercpuArray = 6;
inline constexpr uint32_t kStackTrace = 7;
inline constexpr uint32_t kLruHash = 9;
inline constexpr uint32_t kLruPercpuHash = 10;
inline constexpr uint32_t kLpmTrie = 11;
inline constexpr uint32_t kArrayOfMaps = 12;
inline constexpr uint32_t kHashOfMaps = 13;
inline constexpr uint32_t kQueue = 22;
inline constexpr uint32_t kStack = 23;
inline constexpr uint32_t kRingbuf = 27;
}  // namespace map_type

// "hash" -> 1 ... ; 0 when unknown. Accepts the kernel's names without BPF_MAP_TYPE_.
uint32_t map_type_from_name(std::string_view name);
const char* map_type_name(uint32_t type);

struct Platform {
  std::string name;
  std::vector<std::unique_ptr<ProgramType>> types;
  std::vector<HelperProto> helpers;            // sorted by id
  std::vector<std::string> packet_write_types;  // types whose programs may write packets
  std::vector<uint32_t> map_types;             // map types programs may use
  // The kernel's restrictions that bpfjit does not need for safety, kept so that verdicts
  // on the linux platform are the kernel's:
  //  - packet pointers may be passed only to helpers marked HelperProto::pkt_access
  //    (helpers that could move the packet under the pointer do not take one; the
  //    runtime's packets do not move during a helper call);
  //  - no subtraction from the stack pointer (the kernel's JITs may not handle it).
  bool kernel_rules = false;
  // What the kernel allows a privileged loader (CAP_PERFMON) and bpfjit's own runtime does
  // not: none of it can touch memory outside the program's regions, but it lets a program
  // see host addresses (allow_ptr_leaks: pointers returned, stored into maps or the
  // context, truncated to 32 bits) or leftover stack bytes (allow_uninit_stack: reads of
  // stack bytes never written give unknown values).
  bool allow_ptr_leaks = false;
  bool allow_uninit_stack = false;

  const ProgramType* find_type(std::string_view type_name) const;
  // The program type an ELF section name implies (helpers/kernel_section_names.def:
  // "xdp", "kprobe/...", "socket", "tc", "cgroup/connect4", ...; "mem..." for bpfjit's
  // buffer programs), or nullptr when the platform has no such type.
  const ProgramType* type_for_section(std::string_view section) const;
  // The prototype the verifier checks a call against; nullptr when the id is unknown.
  const HelperProto* find_helper(uint32_t id) const;
  bool packet_writable(const ProgramType& type) const;
  bool map_type_allowed(uint32_t type) const;
};

// The program type as the runtime passes its context: fields at their shadow offsets and
// sizes (helpers/program_types.h), for programs whose context accesses the loader has
// already rewritten.
ProgramType runtime_ctx_view(const ProgramType& type);

const Platform& runtime_platform();
const Platform& linux_platform();
// "runtime" or "linux"; nullptr otherwise.
const Platform* find_platform(std::string_view name);

}  // namespace bpfjit::verifier
