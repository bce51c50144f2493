/// @file
/// The bpfjit runtime API: load eBPF objects compiled by clang, verify their programs,
/// run them on the JIT or the interpreter, and share maps and global data with them.
///
/// @code
///   bpfjit::Runtime rt;
///   auto obj = rt.load_file("xdp_filter.o");          // Result<std::unique_ptr<Object>>
///   if (!obj) { log(obj.error().to_string()); return; }
///   bpfjit::Program* prog = (*obj)->program("xdp_filter");
///   if (auto r = prog->prepare(); !r) { log(r.error().to_string()); return; }
///   auto verdict = prog->run(packet_bytes);             // Result<uint64_t>: r0
///   bpfjit::Map* stats = (*obj)->map("stats");
///   auto hits = stats->get<uint32_t, uint64_t>(0);      // Result<uint64_t>
/// @endcode
///
/// Safety. prepare() runs the verifier first; a program it refuses is not prepared (the
/// error names the instruction and the reason, the whole report is in verify_report()).
/// A verified program runs without runtime memory checks. A host that wants to run
/// programs the verifier cannot prove must say so (Safety::kChecked): every memory access
/// is then checked at run time and a violation ends the run with an error.
///
/// Errors are values (Result<T>); no call throws. Ownership: a Runtime must outlive every
/// Object it loaded; an Object owns its programs, maps and global data (maps shared with
/// the host or other objects live as long as their last owner).
///
/// Threads. A prepared Program may run on any number of threads at once, and the host may
/// use maps at the same time. Loading objects, registering helpers or program types and
/// preparing a program must not overlap with runs of that program (prepare a new Object
/// instead: that is how hot reload works).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bpfjit/host.h"
#include "bpfjit/log.h"
#include "bpfjit/map.h"
#include "bpfjit/object_info.h"
#include "bpfjit/program_type.h"
#include "bpfjit/result.h"
#include "bpfjit/types.h"

namespace bpfjit {

class Object;

/// The library's version, "MAJOR.MINOR.PATCH".
const char* version();

/// Options of Runtime::load_file and Runtime::load_bytes.
struct LoadSettings {
  /// Give every program this program type ("mem", "xdp", "socket_filter" or a registered
  /// one) instead of the one its section name implies (xdp*, socket*, tc*, classifier*;
  /// anything else is mem).
  std::string program_type;
  /// Maps to use instead of creating new ones: an object's map whose name matches one of
  /// these uses it (the specs must agree). This is how counters survive a reload and how
  /// two objects share a map.
  std::vector<std::shared_ptr<Map>> reuse_maps;
  /// CO-RE: the BTF of the kernel the programs were written for (a raw BTF file such as
  /// /sys/kernel/btf/vmlinux, or an ELF object with a .BTF section). Objects with CO-RE
  /// relocations need it; empty means none.
  std::string target_btf;
  /// Values of `.kconfig` externs by name, as a kernel config writes them: "y", "m", "n",
  /// a number or a "\"string\"" (LINUX_KERNEL_VERSION too). A non-weak extern without a
  /// value fails the load; a weak one reads as zero.
  std::map<std::string, std::string> kconfig;
};

/// How prepare() makes a program safe to run.
enum class Safety : uint8_t {
  /// Run the verifier; refuse the program unless it proves it safe; run it without
  /// runtime memory checks. The default.
  kVerified,
  /// Skip the verifier; check every memory access at run time instead (the JIT's
  /// checked mode, or the interpreter). A host must ask for this explicitly.
  kChecked,
};

/// Options of Program::prepare and Program::verify.
struct PrepareOptions {
  /// The engine: the JIT with the interpreter as fallback, or a forced one.
  EngineKind engine = EngineKind::kAuto;
  /// Verified (the default) or explicitly checked.
  Safety safety = Safety::kVerified;
  /// mem programs: the exact size of the buffers runs will pass. The verifier proves the
  /// program's accesses against it, and run() then refuses buffers of any other size.
  /// Without it, a mem program that touches its buffer is refused by the verifier.
  std::optional<uint64_t> mem_size;
  /// Keep the verifier's log of register states per instruction in the report.
  bool verifier_log = false;
  /// The verifier gives up after this many processed instructions.
  uint64_t complexity_limit = 1'000'000;
  /// The verifier gives up after this much wall time, in milliseconds (0: no limit). The
  /// refusal names the limit and the instruction it had reached.
  uint64_t verifier_time_limit_ms = 60'000;
  /// The verifier gives up when its stored and pending states would need more than this
  /// many bytes (0: no limit); VerifyReport::peak_memory_bytes is the figure it watches.
  uint64_t verifier_memory_limit = uint64_t{1} << 30;
  /// JIT: constant blinding, as the kernel's bpf_jit_harden. No 32-bit or 64-bit immediate
  /// of the program appears verbatim in code memory: each is emitted xor a random key and
  /// combined at run time, with fresh keys at every prepare(). Results are unchanged; the
  /// code is larger and somewhat slower. The interpreter ignores it.
  bool harden = false;
};

/// What the verifier concluded about a program, as data.
struct VerifyReport {
  bool accepted = false;          ///< true when the program was proven safe
  std::vector<Error> errors;      ///< every rejection found; errors[0] is the main one
  std::string log;                ///< the register states per instruction, when asked for
  uint64_t insns_processed = 0;   ///< instructions the verifier walked
  uint64_t states_stored = 0;     ///< states kept for pruning
  uint32_t stack_depth = 0;       ///< bytes of stack of the deepest call chain
  uint64_t peak_memory_bytes = 0; ///< the verifier's peak state memory (an estimate)
  double seconds = 0;             ///< time the verifier took
};

/// Inputs of one run besides the data.
/// What a run of a sched_cls, sched_act or cgroup_skb program leaves besides r0, as the
/// kernel's BPF_PROG_TEST_RUN reports it (RunOptions::skb_out).
struct SkbRunOutput {
  /// The packet as the kernel's data_out gives it: for sched_cls and sched_act from the
  /// Ethernet header, as the program left it; for cgroup_skb, 14 zero bytes and then the
  /// packet from its network header.
  std::vector<uint8_t> data_out;
  /// struct __sk_buff as the kernel's ctx_out gives it (192 bytes): mark, priority,
  /// ingress_ifindex, ifindex, cb[], tstamp, wire_len, gso_segs, hwtstamp and ctx_in's
  /// gso_size; the other bytes zero.
  std::vector<uint8_t> ctx_out;
  bool redirected = false;      ///< bpf_redirect was called (r0 is then TC_ACT_REDIRECT)
  uint32_t redirect_ifindex = 0;  ///< its target
  uint64_t redirect_flags = 0;    ///< its flags (BPF_F_INGRESS or 0)
  /// (ifindex, flags) of every bpf_clone_redirect call, in order.
  std::vector<std::pair<uint32_t, uint64_t>> clone_redirects;
};

struct RunOptions {
  /// Instructions (interpreter) or back-edges and calls (JIT, checked mode) the run may
  /// take; UINT64_MAX means no limit. A run that exhausts it ends with an error. Verified
  /// programs on the JIT are proven to terminate and are not counted.
  uint64_t budget = UINT64_MAX;
  /// Passed to host helpers (helper_user_data()).
  void* user_data = nullptr;
  /// xdp: xdp_md.ingress_ifindex; socket_filter: __sk_buff.ifindex and ingress_ifindex;
  /// sched_cls, sched_act, cgroup_skb: __sk_buff.ifindex (the device of the kernel's test
  /// run, loopback, is 1; ingress_ifindex is 0 there).
  uint32_t ifindex = 1;
  /// xdp: xdp_md.rx_queue_index.
  uint32_t rx_queue = 0;
  /// socket_filter: __sk_buff.protocol (network byte order).
  uint32_t protocol = 0;
  /// socket_filter, sched_cls, sched_act, cgroup_skb: __sk_buff.mark.
  uint32_t mark = 0;
  /// sched_cls, sched_act, cgroup_skb: filled after the run when not null. (A tc
  /// program's packet is also copied back into the run's buffer when its length did not
  /// change.)
  SkbRunOutput* skb_out = nullptr;
  /// The CPU the run is on: bpf_get_smp_processor_id returns it and per-CPU maps use its
  /// slot (below 128, the per-CPU slots; others are refused). Without it, the calling
  /// thread's slot. Runs on several threads with the same cpu share its per-CPU values.
  std::optional<uint32_t> cpu;
};

/// Where a program asked its packet to be redirected (TestRunResult::redirect):
/// bpf_redirect (xdp and tc) or bpf_redirect_map (xdp). The last call of the run decides,
/// as in the kernel; a bpf_redirect_map whose key has no target clears it.
struct Redirect {
  enum class Kind : uint8_t {
    kNone,     ///< no redirect asked for
    kIfindex,  ///< to a device: bpf_redirect, or a devmap / devmap_hash slot
    kCpu,      ///< to a CPU's queue: a cpumap slot
    kXsk,      ///< to an AF_XDP socket: an xskmap slot
  };
  Kind kind = Kind::kNone;
  /// kIfindex: the device (0 for a devmap broadcast whose key has no slot); kCpu: the
  /// CPU; kXsk: the socket's queue (the slot's index).
  uint32_t target = 0;
  /// bpf_redirect_map's map, or empty for bpf_redirect.
  std::string map;
  /// bpf_redirect_map's key (bpf_redirect: the ifindex).
  uint32_t key = 0;
  /// The flags of the call: bpf_redirect's BPF_F_INGRESS (tc); bpf_redirect_map's
  /// default action bits and BPF_F_BROADCAST / BPF_F_EXCLUDE_INGRESS.
  uint64_t flags = 0;
  /// kCpu: the slot's queue size; kXsk: the socket's fd.
  uint32_t value = 0;
};

/// The inputs of Program::test_run: those of the kernel's BPF_PROG_TEST_RUN.
struct TestRunInput {
  /// data_in: the packet (xdp), or the buffer or context the type's run() takes.
  std::span<const uint8_t> data;
  /// ctx_in: the context as the kernel's struct lays it out, or empty for none. xdp:
  /// struct xdp_md, where a test may set data (the length of the metadata that opens
  /// data_in: a multiple of 4, at most 216), data_end (data_in's length), ingress_ifindex
  /// and rx_queue_index; data_meta and egress_ifindex must be 0. Without it, an xdp
  /// program runs on the loopback device's (ifindex 1) queue 0, as in the kernel.
  /// sched_cls, sched_act, cgroup_skb, socket_filter: struct __sk_buff, where a test may
  /// set mark, priority, ingress_ifindex, ifindex, cb, tstamp, wire_len, gso_segs,
  /// gso_size and hwtstamp (empty: all 0, as the kernel's context when only ctx_out is
  /// asked for, so wire_len reads as len).
  std::span<const uint8_t> ctx;
  /// Runs of the program, each on what the previous one left (0 counts as 1).
  uint32_t repeat = 1;
  /// Budget and user data of each run (ifindex and rx_queue are ignored: ctx sets them).
  RunOptions options;
};

/// The outputs of Program::test_run: those of the kernel's BPF_PROG_TEST_RUN.
struct TestRunResult {
  uint32_t retval = 0;  ///< r0 of the last run, truncated to 32 bits as the kernel reports it
  uint64_t r0 = 0;      ///< r0 of the last run, whole
  /// data_out: the packet as the program left it, after adjust_head, adjust_tail, ...;
  /// for xdp, from data_meta: the metadata, then the packet.
  std::vector<uint8_t> data_out;
  /// ctx_out: the kernel's struct with the fields a test reads back (xdp: struct xdp_md
  /// with data and data_end as offsets from data_meta); empty for types without one.
  std::vector<uint8_t> ctx_out;
  uint64_t duration_ns = 0;  ///< the mean time of one run, in nanoseconds
  /// The redirect the last run asked for (xdp: with retval XDP_REDIRECT; tc: with
  /// TC_ACT_REDIRECT), for a caller that would carry it out.
  Redirect redirect;
};

/// Counters of a program since it was prepared.
struct ProgramStats {
  uint64_t runs = 0;     ///< runs started (tail calls count as part of their run)
  uint64_t errors = 0;   ///< runs that ended with an error (a fault, the budget, bad input)
  uint64_t run_ns = 0;   ///< total wall time spent in runs, in nanoseconds
};

/// A global data section of an object (.data, .rodata, .bss, ...).
struct GlobalData {
  std::string name;          ///< the ELF section name
  std::span<uint8_t> bytes;  ///< the live buffer programs read and write
  bool readonly = false;     ///< .rodata*: programs may not write it (the host may, before
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
  /// Its size in instruction slots (lddw counts two).
  size_t insn_count() const;
  /// The maps the program references.
  std::vector<Map*> maps() const;
  /// The object that owns the program.
  Object& object() const;

  /// Runs the verifier on the program with `opts` (engine is ignored) and returns its
  /// report. Does not change whether or how the program is prepared.
  VerifyReport verify(const PrepareOptions& opts = {}) const;

  /// The error (code kLoad) when this program alone failed to load (link, relocation,
  /// decoding), or nullptr. The object's other programs are unaffected; prepare(), run()
  /// and verify() of this one return this error.
  const Diagnostic* load_error() const;

  /// Makes the program ready to run: verifies it (unless opts.safety is kChecked), then
  /// translates it for the engine. A refusal is an error of code kVerify whose message
  /// names the instruction and the reason; verify_report() has the whole report.
  /// Preparing again replaces the engine (not while runs are in flight).
  Result<void> prepare(const PrepareOptions& opts = {});
  /// True once prepare() succeeded.
  bool prepared() const;
  /// The report of the last verification prepare() ran, or nullptr.
  const VerifyReport* verify_report() const;
  /// The engine's name ("interpreter", "jit (trusted)", "jit (checked)"), or "unprepared".
  const char* engine_name() const;
  /// How the prepared program is made safe.
  Safety safety() const;

  /// Runs the program on `data` and returns r0. For mem programs r1 = data, r2 = its
  /// length; for xdp and socket_filter programs `data` is the packet and the program gets
  /// a context built around it; for host program types `data` is the context struct.
  /// An xdp packet (at most 3520 bytes) is copied into a frame with room to move its head
  /// and tail; when the program leaves it at the same length, it is copied back into
  /// `data` (test_run gives it back in every case).
  /// Bpf tail calls are followed; as in the kernel, at most 33 in one run, after which
  /// bpf_tail_call fails and the program goes on. A run that stops early (a memory
  /// fault, the budget, a helper fault) gives an error of code kRuntime whose insn is the
  /// faulting instruction. Safe to call from many threads at once.
  Result<uint64_t> run(std::span<uint8_t> data, const RunOptions& opts = {}) const;

  /// Runs the program as the kernel's BPF_PROG_TEST_RUN does and gives back what it
  /// gives: retval, data_out, ctx_out and the time per run. xdp programs run in a frame
  /// laid out as the kernel's (256 bytes of headroom, metadata from ctx_in, the kernel's
  /// tailroom; data_in of 14 to 3520 bytes), so xdp_adjust_head, _tail and _meta move the
  /// packet within the limits and with the errors the kernel's test run has. sched_cls,
  /// sched_act, cgroup_skb and socket_filter programs run in the kernel's test-run sk_buff
  /// (see RunOptions::skb_out); a socket filter, as in the kernel, sees the packet from
  /// its network header (unlike run(), which gives it the Ethernet header). Other types
  /// run on a copy of data_in, which is then data_out. Errors: those of run(), and
  /// kInvalidArgument for inputs the kernel refuses (EINVAL), naming the rule.
  Result<TestRunResult> test_run(const TestRunInput& input) const;

  /// The program's counters.
  ProgramStats stats() const;

 private:
  friend class Object;
  friend class Runtime;
  friend struct ProgramAccess;
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
  /// The map called `name`, shared: the host may keep it beyond the object's life and
  /// pass it to another load (LoadSettings::reuse_maps). nullptr when there is none.
  std::shared_ptr<Map> shared_map(std::string_view name) const;
  /// Every global data section.
  std::vector<GlobalData> global_data() const;
  /// The global data section called `name` (".rodata", ".bss", ...).
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

  /// Prepares every program with `opts` (see Program::prepare); stops at the first error.
  Result<void> prepare_all(const PrepareOptions& opts = {});

 private:
  friend class Runtime;
  friend class Program;
  friend struct ProgramAccess;
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
  /// test clock for ktime_get_ns). Programs are checked against and prepared with the
  /// table as it is when they are prepared. Set proto.general to let every program type
  /// call it, or allow it per type with allow_helper().
  Result<void> register_helper(HelperProto proto);
  /// Registers a program type with its context layout (see ProgramType).
  Result<void> register_program_type(ProgramType type);
  /// Lets the program type `type_name` call helper `id`.
  Result<void> allow_helper(std::string_view type_name, uint32_t id);
  /// Receives bpf_trace_printk output of programs loaded afterwards (default: the log, at
  /// info level).
  void set_trace_sink(TraceSink sink);
  /// The registered helpers, by id.
  std::vector<const HelperProto*> helpers() const;
  /// The helper with id `id`, or nullptr.
  const HelperProto* helper(uint32_t id) const;
  /// The program type called `name`, or nullptr.
  const ProgramType* program_type(std::string_view name) const;
  /// The clock, random generator and network every program of this runtime sees
  /// (bpfjit/host.h); a host or a test may change it at any time, also during runs.
  HostEnvironment& host();

  /// Creates a map for the host's own use or to share with objects it loads
  /// (LoadSettings::reuse_maps).
  Result<std::shared_ptr<Map>> create_map(const MapSpec& spec);

  /// The default of set_map_memory_limit: 4 GiB.
  static constexpr uint64_t kDefaultMapMemoryLimit = uint64_t{4} << 30;
  /// Caps the memory of the maps this runtime creates (create_map, and the maps of
  /// load_file and load_bytes), together: a map counts max_entries keys and values (each
  /// rounded up to 8 bytes, a value once per per-CPU slot) or a ring buffer's size, from
  /// its creation until it is destroyed. A map that would go over is refused (code
  /// kNoSpace; a load's error has code kLoad) with its name, its size, the limit and the
  /// bytes in use. 0 means no limit. Lowering the limit below the bytes in use only
  /// refuses new maps.
  void set_map_memory_limit(uint64_t bytes);
  uint64_t map_memory_limit() const;
  /// The bytes the runtime's live maps are charged.
  uint64_t map_memory_used() const;

  /// Loads an ELF object from a file. Errors (code kLoad, kIo) name the section,
  /// relocation or instruction at fault.
  Result<std::unique_ptr<Object>> load_file(const std::string& path,
                                            const LoadSettings& settings = {});
  /// As load_file, from the object's bytes (copied; the caller may free them afterwards).
  Result<std::unique_ptr<Object>> load_bytes(std::span<const uint8_t> bytes,
                                             const LoadSettings& settings = {});

 private:
  friend struct ProgramAccess;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bpfjit
