/// @file
/// The bpfjit runtime API: load eBPF objects compiled by clang, run their programs on the
/// interpreter or the JIT, and read and write their maps and global data from the host.
///
/// @code
///   bpfjit::Runtime rt;
///   auto obj = rt.load_file("xdp_filter.o");          // Result<std::unique_ptr<Object>>
///   bpfjit::Program* prog = (*obj)->program("xdp_filter");
///   prog->prepare(bpfjit::EngineKind::kJit);
///   auto verdict = prog->run(packet_bytes);             // Result<uint64_t>: r0
///   bpfjit::Map* stats = (*obj)->map("stats");
/// @endcode
///
/// Ownership: a Runtime must outlive every Object it loaded; an Object owns its programs,
/// maps and global data. Threads: a prepared Program may run on any number of threads at
/// once (each run keeps its state in the run call); loading, preparing and registering
/// helpers or program types must not overlap with runs of the programs concerned.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bpfjit/object_info.h"
#include "helpers/helper_table.h"
#include "helpers/host_env.h"
#include "helpers/maps.h"
#include "helpers/program_types.h"
#include "helpers/prototype.h"
#include "runtime/engine.h"
#include "runtime/isa/isa.h"
#include "runtime/isa/result.h"

namespace bpfjit {

class Object;
struct LoadedProgram;

/// Options of Runtime::load_file / load_bytes.
struct LoadSettings {
  /// Give every program this program type ("mem", "xdp", "socket_filter" or a registered
  /// one) instead of the one its section name implies (xdp*, socket*, tc*, classifier*;
  /// anything else is mem).
  std::string program_type;
};

/// Inputs of one run besides the data.
struct RunOptions {
  /// Instructions (interpreter) or back-edges and calls (JIT) the run may take;
  /// UINT64_MAX means no limit.
  uint64_t budget = UINT64_MAX;
  /// xdp: xdp_md.ingress_ifindex; socket_filter: __sk_buff.ifindex and ingress_ifindex.
  uint32_t ifindex = 1;
  /// xdp: xdp_md.rx_queue_index.
  uint32_t rx_queue = 0;
  /// socket_filter: __sk_buff.protocol (network byte order).
  uint32_t protocol = 0;
  /// socket_filter: __sk_buff.mark.
  uint32_t mark = 0;
};

/// A global data section of an object (.data, .rodata, .bss, ...).
struct GlobalData {
  std::string name;        ///< the ELF section name
  std::span<uint8_t> bytes;///< the live buffer programs read and write
  bool readonly = false;   ///< .rodata*: programs may not write it (the host may, before
                           ///< it prepares the programs)
};

/// One program of an object: its linked, relocated instructions and, once prepared, an
/// engine that runs them.
class Program {
 public:
  ~Program();
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  /// The program's function name (the ELF symbol).
  const std::string& name() const;
  /// The ELF section it came from ("xdp", "socket", "mem/checksum", ...).
  const std::string& section() const;
  /// Its program type (what r1 holds, which helpers it may call).
  const ProgramType& type() const;
  /// The decoded instructions, after linking and relocation (lddw's second slot included).
  std::span<const Insn> insns() const;
  /// The lddw side table: what each relocated lddw refers to.
  std::span<const LddwRef> lddw_refs() const;
  /// The maps the program references.
  std::vector<Map*> maps() const;
  /// The object that owns the program.
  Object& object() const;

  /// Makes the program ready to run on an engine (the JIT, the interpreter, or the JIT
  /// with the interpreter as fallback). Preparing again replaces the engine.
  Result<void> prepare(EngineKind kind = EngineKind::kAuto);
  /// True once prepare() succeeded.
  bool prepared() const;
  /// The engine's name ("interpreter", "jit (checked)"), or "unprepared".
  const char* engine_name() const;

  /// Runs the program on `data` and returns r0. For mem programs r1 = data, r2 = its
  /// length; for xdp and socket_filter programs `data` is the packet and the program gets
  /// a context built around it. Bpf tail calls are followed (at most kMaxTailCalls).
  /// A run that stops early (a memory fault, the budget, a helper fault) gives an error
  /// with code kRuntime that names the instruction.
  Result<uint64_t> run(std::span<uint8_t> data, const RunOptions& opts = {}) const;

 private:
  friend class Object;
  friend class Runtime;
  struct Impl;
  explicit Program(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// A loaded object: its programs, maps and global data.
class Object {
 public:
  ~Object();
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;

  /// Every program, in the order of the object's sections and symbols.
  std::vector<Program*> programs() const;
  /// The program whose function name is `name`, else the first program of the section
  /// called `name`; nullptr when there is none.
  Program* program(std::string_view name) const;
  /// Every map, in definition order.
  std::vector<Map*> maps() const;
  /// The map called `name`, or nullptr.
  Map* map(std::string_view name) const;
  /// Every global data section.
  std::vector<GlobalData> global_data() const;
  /// The global data section called `name` (".rodata", ".bss", ...); empty name = error.
  Result<GlobalData> global_data(std::string_view name) const;
  /// The bytes of the global variable `name` (an ELF symbol in a global data section), as
  /// a libbpf skeleton exposes them: the host may set .rodata configuration before it
  /// prepares the programs and read counters in .data/.bss after runs.
  Result<std::span<uint8_t>> variable(std::string_view name) const;
  /// The relocations of its code sections as the object states them.
  const std::vector<RelocationInfo>& relocations() const;
  /// True when the object carried BTF (compiled with -g).
  bool has_btf() const;

  /// Puts `target` at `index` of the prog_array map `map_name`, for bpf_tail_call.
  /// `target` must belong to this object; it must be prepared before a run reaches it.
  Result<void> set_tail_call(std::string_view map_name, uint32_t index, const Program& target);

  /// Prepares every program on `kind` (see Program::prepare); stops at the first error.
  Result<void> prepare_all(EngineKind kind = EngineKind::kAuto);

 private:
  friend class Runtime;
  friend class Program;
  struct Impl;
  explicit Object(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The runtime: the helper table and program types every loaded object uses.
class Runtime {
 public:
  /// A runtime with the built-in helpers and the program types mem, xdp and socket_filter.
  Runtime();
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Registers a host helper. A helper with the same id replaces the built-in one (e.g. a
  /// test clock for ktime_get_ns). Register helpers before loading objects: programs
  /// prepared earlier keep the table they were prepared with.
  Result<void> register_helper(HelperProto proto);
  /// Registers a program type (see helpers/program_types.h for the shadow context rules).
  Result<void> register_program_type(ProgramType type);
  /// Lets the program type `type_name` call helper `id`.
  Result<void> allow_helper(std::string_view type_name, uint32_t id);
  /// Receives trace_printk output of programs loaded afterwards (default: spdlog).
  void set_trace_sink(TraceSink sink);

  /// The helper table programs are checked against and run with.
  const HelperTable& helpers() const;
  /// The program types objects may use.
  const ProgramTypeRegistry& program_types() const;

  /// Loads an ELF object from a file or from its bytes. Errors (code kLoad, kIo) name the
  /// section, relocation or instruction at fault.
  Result<std::unique_ptr<Object>> load_file(const std::string& path,
                                            const LoadSettings& settings = {});
  /// As load_file, from the object's bytes (copied; the caller may free them afterwards).
  Result<std::unique_ptr<Object>> load_bytes(std::span<const uint8_t> bytes,
                                             const LoadSettings& settings = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bpfjit
