// The public runtime API (runtime/include/bpfjit/runtime.h): objects built from the
// loader's output, programs bound to their maps and global data, verification before a
// program may run, and the run loop.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>

#include "bpfjit/runtime.h"
#include "helpers/helper_table.h"
#include "helpers/host_env.h"
#include "helpers/kernel_tables.h"
#include "helpers/program_types.h"
#include "helpers/skb_run.h"
#include "helpers/xdp_frame.h"
#include "runtime/api_internal.h"
#include "runtime/engine.h"
#include "runtime/isa/run_stack.h"
#include "runtime/loader/loader.h"
#include "runtime/loader/btf_relo.h"
#include "runtime/verify_loaded.h"
#include "verifier/platform.h"
#include "verifier/verifier.h"

namespace bpfjit {

const char* version() { return BPFJIT_VERSION; }

// ---------------------------------------------------------------------------------------
// Map

Diagnostic map_error(const BpfMap& m, const char* op, int64_t rc) {
  const char* type = map_type_name(m.type());
  switch (-rc) {
    case ENOENT:
      return make_error(ErrorCode::kNotFound, fmt::format("map {}: {}: no such element", m.name(), op));
    case EEXIST:
      return make_error(ErrorCode::kExists, fmt::format("map {}: {}: the key exists", m.name(), op));
    case E2BIG:
      return make_error(ErrorCode::kNoSpace,
                        fmt::format("map {}: {}: the map is full or the index is beyond its "
                                    "{} entries",
                                    m.name(), op, m.max_entries()));
    case EINVAL:
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("map {}: {}: not supported by a {} map, or bad flags",
                                    m.name(), op, type));
    case ENOSPC:
      return make_error(ErrorCode::kNoSpace, fmt::format("map {}: {}: no space left", m.name(), op));
    case EBADF:
      return make_error(ErrorCode::kNotFound,
                        fmt::format("map {}: {}: the value names no map or fd", m.name(), op));
    case EOPNOTSUPP:
      return make_error(ErrorCode::kUnsupported,
                        fmt::format("map {}: {}: not supported by a {} map here", m.name(), op,
                                    type));
    default:
      return make_error(ErrorCode::kRuntime,
                        fmt::format("map {}: {}: error {}", m.name(), op, rc));
  }
}

namespace {

Result<void> check_size(const BpfMap& m, const char* what, size_t got, size_t want) {
  if (got == want) return {};
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("map {}: the {} is {} bytes, the map's are {}", m.name(), what,
                                got, want));
}

// A map of a kernel type the runtime does not implement refuses every host call.
Result<void> check_runnable(const BpfMap& m) {
  if (m.runnable()) return {};
  return make_error(ErrorCode::kUnsupported, m.unsupported_error());
}

Result<void> check_ringbuf(const BpfMap& m) {
  if (m.type() == MapType::kRingbuf) return {};
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("map {} is a {} map, not a ringbuf", m.name(),
                                map_type_name(m.type())));
}

}  // namespace

Map::Map(std::shared_ptr<BpfMap> impl) : impl_(std::move(impl)) {}
Map::~Map() = default;

const std::string& Map::name() const { return impl_->name(); }

namespace {
// A host lookup reads a value's bpf_spin_lock as zero, as the kernel's does.
void clear_spin_lock(const Map& m, uint8_t* value) {
  const int32_t lock = m.spec().spin_lock_off;
  if (lock >= 0 && static_cast<uint64_t>(lock) + 4 <= m.value_bytes()) {
    std::memset(value + lock, 0, 4);
  }
}
}  // namespace
MapType Map::type() const { return impl_->type(); }
const MapSpec& Map::spec() const { return impl_->spec(); }
uint32_t Map::value_slots() const { return impl_->slot_count(); }
uint32_t Map::value_bytes() const { return impl_->host_value_size(); }

Result<void> Map::lookup(std::span<const uint8_t> key, std::span<uint8_t> value) const {
  if (auto r = check_runnable(*impl_); !r) return r;
  if (auto r = check_size(*impl_, "key", key.size(), key_size()); !r) return r;
  if (auto r = check_size(*impl_, "value buffer", value.size(), value_bytes()); !r) return r;
  const int64_t rc = impl_->host_lookup(key.data(), value.data());
  if (rc != 0) return map_error(*impl_, "lookup", rc);
  clear_spin_lock(*this, value.data());
  return {};
}

Result<void> Map::update(std::span<const uint8_t> key, std::span<const uint8_t> value,
                         uint64_t flags) {
  if (auto r = check_runnable(*impl_); !r) return r;
  if (auto r = check_size(*impl_, "key", key.size(), key_size()); !r) return r;
  if (auto r = check_size(*impl_, "value", value.size(), value_bytes()); !r) return r;
  const int64_t rc = impl_->host_update(key.data(), value.data(), flags);
  if (rc != 0) return map_error(*impl_, "update", rc);
  return {};
}

Result<void> Map::erase(std::span<const uint8_t> key) {
  if (auto r = check_runnable(*impl_); !r) return r;
  if (auto r = check_size(*impl_, "key", key.size(), key_size()); !r) return r;
  const int64_t rc = impl_->host_erase(key.data());
  if (rc != 0) return map_error(*impl_, "delete", rc);
  return {};
}

Result<bool> Map::next_key(std::span<const uint8_t> key, std::span<uint8_t> next) const {
  if (auto r = check_runnable(*impl_); !r) return r.take_error();
  if (!key.empty()) {
    if (auto r = check_size(*impl_, "key", key.size(), key_size()); !r) return r.take_error();
  }
  if (auto r = check_size(*impl_, "next key buffer", next.size(), key_size()); !r) {
    return r.take_error();
  }
  const int64_t rc = impl_->get_next_key(key.empty() ? nullptr : key.data(), next.data());
  if (rc == -ENOENT) return false;
  if (rc != 0) return map_error(*impl_, "next key", rc);
  return true;
}

size_t Map::for_each(
    const std::function<bool(std::span<const uint8_t>, std::span<const uint8_t>)>& fn) const {
  size_t n = 0;
  const uint32_t ks = key_size();
  const uint32_t vs = value_bytes();
  impl_->for_each([&](const void* k, const void* v) {
    ++n;
    return fn({static_cast<const uint8_t*>(k), ks}, {static_cast<const uint8_t*>(v), vs});
  });
  return n;
}

Result<void> Map::push(std::span<const uint8_t> value, uint64_t flags) {
  if (auto r = check_runnable(*impl_); !r) return r;
  if (auto r = check_size(*impl_, "value", value.size(), value_size()); !r) return r;
  const int64_t rc = impl_->push(value.data(), flags);
  if (rc != 0) return map_error(*impl_, "push", rc);
  return {};
}

Result<void> Map::pop(std::span<uint8_t> value) {
  if (auto r = check_runnable(*impl_); !r) return r;
  if (auto r = check_size(*impl_, "value buffer", value.size(), value_size()); !r) return r;
  const int64_t rc = impl_->pop(value.data());
  if (rc != 0) return map_error(*impl_, "pop", rc);
  return {};
}

Result<void> Map::peek(std::span<uint8_t> value) const {
  if (auto r = check_runnable(*impl_); !r) return r;
  if (auto r = check_size(*impl_, "value buffer", value.size(), value_size()); !r) return r;
  const int64_t rc = impl_->peek(value.data());
  if (rc != 0) return map_error(*impl_, "peek", rc);
  return {};
}

Result<size_t> Map::consume(const std::function<bool(std::span<const uint8_t>)>& fn) {
  return poll(0, fn);
}

Result<size_t> Map::poll(int timeout_ms, const std::function<bool(std::span<const uint8_t>)>& fn) {
  if (auto r = check_ringbuf(*impl_); !r) return r.take_error();
  auto& rb = static_cast<RingbufMap&>(*impl_);
  size_t n = 0;
  auto each = [&](std::span<const uint8_t> rec) {
    ++n;
    return fn(rec) ? 0 : 1;
  };
  if (timeout_ms == 0) {
    rb.consume(each);
  } else {
    rb.poll(timeout_ms, each);
  }
  return n;
}

uint64_t Map::pending_bytes() const {
  if (impl_->type() != MapType::kRingbuf) return 0;
  return static_cast<const RingbufMap&>(*impl_).query(kRingbufAvailData);
}

// ---------------------------------------------------------------------------------------
// Impl structs

struct Runtime::Impl {
  HelperTable helpers = HelperTable::builtin();
  ProgramTypeRegistry types = ProgramTypeRegistry::builtin();
  TraceSink trace;
  HostEnvironment host;
  std::shared_ptr<MapMemoryBudget> map_budget =
      std::make_shared<MapMemoryBudget>(Runtime::kDefaultMapMemoryLimit);
};

struct Object::Impl {
  struct Buffer {
    std::string name;
    std::unique_ptr<uint8_t[]> mem;
    size_t size = 0;
    bool readonly = false;
    std::vector<DataImage::Var> vars;
  };
  const Runtime* runtime = nullptr;
  std::vector<std::shared_ptr<Map>> maps;
  std::vector<Buffer> data;
  std::vector<std::unique_ptr<Program>> programs;
  std::vector<RelocationInfo> relocations;
  bool has_btf = false;
  // What every run of this object's programs may touch besides its input: all map
  // storage and the global data buffers (.rodata read-only).
  std::vector<MemRegion> regions;
  // The maps and global data sections as the verifier sees them (runtime/verify_loaded.h).
  std::vector<verifier::MapInfo> verifier_maps;
};

namespace {

// Counters striped by thread slot, so that threads running one program do not contend.
struct alignas(64) StatSlot {
  std::atomic<uint64_t> runs{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> ns{0};
};

uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

struct Program::Impl {
  Object* object = nullptr;
  LoadedProgram prog;
  ProgramEnv env;
  std::vector<HelperFn> helpers;  // the table the engine was prepared with
  std::unique_ptr<Executable> exec;
  Safety safety = Safety::kVerified;
  std::optional<uint64_t> mem_size;  // mem programs verified against a buffer size
  std::optional<VerifyReport> report;
  std::unique_ptr<StatSlot[]> stats = std::make_unique<StatSlot[]>(kMaxCpuSlots);

  // Runs the verifier with the runtime's helpers and the object's maps.
  verifier::VerifyResult verify(const PrepareOptions& opts) const;
  // The error of a run that could not start or stopped early, counted.
  Diagnostic fail(Diagnostic d) const {
    stats[cpu_slot()].errors.fetch_add(1, std::memory_order_relaxed);
    return d;
  }

  // Running. A run is built per program type (its r1, r2, regions and packet context: a
  // RunInput), then execute() runs it, following tail calls. Program::run builds the
  // input around the caller's bytes; Program::test_run builds it as the kernel's
  // BPF_PROG_TEST_RUN does (test_run_xdp: the frame of helpers/xdp_frame.h) and gives the
  // packet and context back. A new packet type adds its own bind_ and test_run_ pair.
  struct RunInput;
  // Refuses a run of a program that is not prepared, or a mem buffer of the wrong size.
  Result<void> check_runnable(size_t data_size) const;
  Result<uint64_t> execute(const RunInput& in, const RunOptions& opts) const;
  // The tail calls of one run (execute): the program running now, which a JIT tail call
  // that jumps into its target changes through RunContext::tail_resolve.
  struct TailRun;
  static const Executable* tail_resolve(RunContext* rc, const Executable* from);
  // The program of `obj` that a prog_array slot's pointer names, or null (not one of its).
  static const Impl* tail_target(const Object::Impl& obj, const void* target);
  static void bind_xdp(XdpFrame& frame, RunInput& in);
  Result<TestRunResult> test_run_xdp(const TestRunInput& t) const;
  // Types without a test-run layout of their own: the data is run in place (a copy).
  Result<TestRunResult> test_run_buffer(const Program& self, const TestRunInput& t) const;
  Result<TestRunResult> test_run_skb(const TestRunInput& t) const;
  // One run of an skb program in the sk_buff of a kernel test run (helpers/skb_run.h),
  // with the test's context when `ctx_in` is not null.
  Result<uint64_t> run_skb(std::span<uint8_t> data, const RunOptions& opts,
                           const std::span<const uint8_t>* ctx_in,
                           RunRedirect* redirect_out = nullptr) const;
};

// ---------------------------------------------------------------------------------------
// Program

Program::Program(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Program::~Program() = default;

const std::string& Program::name() const { return impl_->prog.name; }
const std::string& Program::section() const { return impl_->prog.section; }
const ProgramType& Program::type() const { return *impl_->prog.type; }

std::string_view retval_name(uint32_t kernel_type, uint64_t r0) {
  return kernel::retval_name(kernel_type, static_cast<uint32_t>(r0));
}

std::string_view retval_name(const ProgramType& type, uint64_t r0) {
  return retval_name(type.kernel_type, r0);
}
size_t Program::insn_count() const { return impl_->prog.insns.size(); }
Object& Program::object() const { return *impl_->object; }
bool Program::prepared() const { return impl_->exec != nullptr; }
const Diagnostic* Program::load_error() const {
  return impl_->prog.load_error ? &*impl_->prog.load_error : nullptr;
}
Safety Program::safety() const { return impl_->safety; }
const VerifyReport* Program::verify_report() const {
  return impl_->report ? &*impl_->report : nullptr;
}
const char* Program::engine_name() const {
  return impl_->exec ? impl_->exec->engine_name() : "unprepared";
}

std::vector<Map*> Program::maps() const {
  std::vector<Map*> out;
  const auto& all = impl_->object->impl_->maps;
  for (uint32_t mi : impl_->prog.maps) out.push_back(all[mi].get());
  return out;
}

verifier::VerifyResult Program::Impl::verify(const PrepareOptions& opts) const {
  const Object::Impl& o = *object->impl_;
  const HelperTable& table = ProgramAccess::helpers(*o.runtime);
  ProgramType view = verifier::runtime_ctx_view(*prog.type);
  std::optional<uint64_t> mem_size;
  if (prog.type->model == CtxModel::kMemBuffer) mem_size = opts.mem_size;
  verifier::VerifyInput in{prog.insns,
                           verifier_refs(prog, static_cast<uint32_t>(o.maps.size())),
                           o.verifier_maps,
                           view,
                           [&table](uint32_t id) { return table.find(id); },
                           mem_size,
                           verifier::runtime_platform()};
  verifier::VerifyOptions vo;
  vo.log = opts.verifier_log;
  vo.complexity_limit = opts.complexity_limit;
  vo.time_limit = std::chrono::milliseconds(opts.verifier_time_limit_ms);
  vo.memory_limit = opts.verifier_memory_limit;
  return verifier::verify(in, vo);
}

namespace {

VerifyReport to_report(verifier::VerifyResult& r) {
  VerifyReport out;
  out.accepted = r.accepted;
  out.errors = std::move(r.diagnostics);
  out.log = std::move(r.log);
  out.insns_processed = r.stats.insns_processed;
  out.states_stored = r.stats.states_stored;
  out.stack_depth = r.stats.max_stack_depth;
  out.peak_memory_bytes = r.stats.peak_memory_bytes;
  out.seconds = static_cast<double>(r.stats.time.count()) / 1e6;
  return out;
}

// A refusal at an instruction a CO-RE relocation poisoned (a call to helper
// kCorePoisonHelper) says which relocation the target BTF could not satisfy.
void explain_core_poison(const LoadedProgram& prog, std::vector<Diagnostic>& errors) {
  for (Diagnostic& d : errors) {
    for (const CoreReloResult& r : prog.core_relos) {
      if (!r.poisoned || r.slot != d.insn) continue;
      d.message += fmt::format(" (the instruction is a CO-RE relocation of '{}' ({}, access {}) "
                               "that the target BTF cannot satisfy)", r.what,
                               core_relo_kind_name(static_cast<uint32_t>(r.kind)), r.access);
      break;
    }
  }
}

}  // namespace

namespace {

// The bpf_map_lookup_elem calls of a verified program that the JIT does in place: those
// where the verifier proved r1 is one array map of the object (VerifyResult::lookup_maps;
// the verifier's map numbering starts with the object's maps).
std::vector<JitArrayLookup> array_lookups(const std::vector<int32_t>& lookup_maps,
                                          const std::vector<std::shared_ptr<Map>>& maps,
                                          const std::vector<verifier::MapInfo>& infos) {
  std::vector<JitArrayLookup> out;
  for (size_t pc = 0; pc < lookup_maps.size(); ++pc) {
    const int32_t m = lookup_maps[pc];
    if (m < 0 || static_cast<size_t>(m) >= maps.size()) continue;
    const auto layout = MapAccess::impl(*maps[static_cast<size_t>(m)]).array_layout();
    if (!layout || layout->max_entries != infos[static_cast<size_t>(m)].max_entries) {
      continue;
    }
    out.push_back({static_cast<uint32_t>(pc), reinterpret_cast<uint64_t>(layout->values),
                   layout->stride, layout->cpu_stride, layout->max_entries});
  }
  return out;
}

}  // namespace

VerifyReport Program::verify(const PrepareOptions& opts) const {
  if (impl_->prog.load_error) {
    VerifyReport out;
    out.errors.push_back(*impl_->prog.load_error);
    return out;
  }
  verifier::VerifyResult r = impl_->verify(opts);
  VerifyReport report = to_report(r);
  explain_core_poison(impl_->prog, report.errors);
  return report;
}

Result<void> Program::prepare(const PrepareOptions& opts) {
  Impl& p = *impl_;
  p.exec.reset();
  p.report.reset();
  if (p.prog.load_error) return *p.prog.load_error;
  p.helpers = ProgramAccess::helpers(*p.object->impl_->runtime).dense();
  EngineOptions eo;
  eo.kind = opts.engine;
  eo.helpers = p.helpers;
  eo.name = p.prog.name;
  eo.harden = opts.harden;
  if (opts.safety == Safety::kVerified) {
    verifier::VerifyResult vr = p.verify(opts);
    std::vector<uint8_t> flags = std::move(vr.insn_flags);
    p.report = to_report(vr);
    explain_core_poison(p.prog, p.report->errors);
    if (!p.report->accepted) {
      Diagnostic d = p.report->errors.empty()
                         ? make_error(ErrorCode::kVerify, "the verifier refused the program")
                         : p.report->errors.front();
      d.code = ErrorCode::kVerify;
      d.message = fmt::format("program {}: {}", p.prog.name, d.message);
      return d;
    }
    eo.trusted = true;
    eo.insn_flags = std::move(flags);
    eo.array_lookups =
        array_lookups(vr.lookup_maps, p.object->impl_->maps, p.object->impl_->verifier_maps);
  }
  auto exec = prepare_engine(p.prog.insns, eo);
  if (!exec) {
    Diagnostic d = exec.take_error();
    d.message = fmt::format("program {}: {}", p.prog.name, d.message);
    return d;
  }
  p.safety = opts.safety;
  p.mem_size = p.prog.type->model == CtxModel::kMemBuffer && opts.safety == Safety::kVerified
                   ? opts.mem_size
                   : std::nullopt;
  for (uint32_t i = 0; i < kMaxCpuSlots; ++i) {
    p.stats[i].runs.store(0, std::memory_order_relaxed);
    p.stats[i].errors.store(0, std::memory_order_relaxed);
    p.stats[i].ns.store(0, std::memory_order_relaxed);
  }
  p.exec = std::move(exec).value();
  return {};
}

ProgramStats Program::stats() const {
  ProgramStats s;
  for (uint32_t i = 0; i < kMaxCpuSlots; ++i) {
    s.runs += impl_->stats[i].runs.load(std::memory_order_relaxed);
    s.errors += impl_->stats[i].errors.load(std::memory_order_relaxed);
    s.run_ns += impl_->stats[i].ns.load(std::memory_order_relaxed);
  }
  return s;
}

namespace {

// A verified mem program was proven against one buffer size; it must get exactly that.
bool mem_size_fits(const std::optional<uint64_t>& mem_size, size_t size) {
  return !mem_size || *mem_size == size;
}

Result<void> check_mem_size(const std::string& name, const std::optional<uint64_t>& mem_size,
                            size_t size) {
  if (mem_size_fits(mem_size, size)) return {};
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("program {} was verified for {}-byte buffers, got {} bytes",
                                name, *mem_size, size));
}

// ---- skb programs (sched_cls, sched_act, cgroup_skb; socket_filter in test runs) --------
// Their packet is copied into the sk_buff of a kernel test run (helpers/skb_run.h); these
// two functions are all Program::run does for them.

// Sets `run` up for `data` and the test's context `ctx_in` (none when null); the packet
// and the context as regions the program may touch.
Result<void> start_skb_run(SkbRun& run, const ProgramType& type, std::span<const uint8_t> data,
                           const RunOptions& opts, const std::span<const uint8_t>* ctx_in,
                           MemRegion* packet, MemRegion* context) {
  if (auto r = skb_run_start(run, type, data, opts.ifindex, opts.mark); !r) return r;
  if (ctx_in != nullptr) {
    if (auto r = skb_run_apply_ctx(run, *ctx_in); !r) return r;
  }
  *packet = MemRegion{run.ctx.data, run.ctx.data_end, run.packet_writable};
  const uint64_t c = reinterpret_cast<uint64_t>(&run.ctx);
  *context = MemRegion{c, c + sizeof(run.ctx), true};
  return {};
}

// After the run: a tc program's packet back into the caller's buffer when its length is
// unchanged (the size-changing helpers change it: RunOptions::skb_out's data_out has it
// then), and what the caller asked for in RunOptions::skb_out.
void finish_skb_run(const SkbRun& run, const RunRedirect& redirect, std::span<uint8_t> data,
                    const RunOptions& opts) {
  if (run.l2 && run.len == data.size()) std::memcpy(data.data(), run.buf + run.data_off, run.len);
  SkbRunOutput* out = opts.skb_out;
  if (out == nullptr) return;
  out->data_out.resize(SkbRun::kBufferSize);
  out->data_out.resize(skb_run_data_out(run, out->data_out.data()));
  out->ctx_out = skb_run_ctx_out(run);
  out->redirected = redirect.set;
  out->redirect_ifindex = redirect.set ? redirect.key : 0;
  out->redirect_flags = redirect.set ? redirect.flags : 0;
  out->clone_redirects.clear();
  for (const SkbRedirect& cr : run.clones) out->clone_redirects.emplace_back(cr.ifindex, cr.flags);
}

// A run's redirect as the API reports it.
Redirect to_redirect(const RunRedirect& r) {
  Redirect out;
  if (!r.set) return out;
  out.key = r.key;
  out.flags = r.flags;
  if (r.map == nullptr) {  // bpf_redirect
    out.kind = Redirect::Kind::kIfindex;
    out.target = r.key;
    return out;
  }
  out.map = r.map->name();
  if (r.map_type == MapType::kCpumap) {
    out.kind = Redirect::Kind::kCpu;
    out.target = r.key;
    out.value = r.target.qsize;
  } else if (r.map_type == MapType::kXskmap) {
    out.kind = Redirect::Kind::kXsk;
    out.target = r.key;
    out.value = r.target.xsk_fd;
  } else {  // devmap, devmap_hash
    out.kind = Redirect::Kind::kIfindex;
    out.target = r.resolved ? r.target.ifindex : 0;
  }
  return out;
}

bool is_xdp(const ProgramType& type) {
  return &type == &xdp_program_type() || type.name == "xdp";
}

}  // namespace

// What one run gets beyond the object's regions: r1, r2, the regions of its input and
// context, and the packet context the packet helpers work on.
struct Program::Impl::RunInput {
  uint64_t r1 = 0;
  uint64_t r2 = 0;
  std::array<MemRegion, 2> regions{};
  uint32_t region_count = 0;
  int packet_region = -1;  // index in `regions` of the packet, which helpers may move
  PacketCtxKind packet_kind = PacketCtxKind::kNone;
  void* packet_ctx = nullptr;
  SkbRun* skb = nullptr;  // skb programs: the sk_buff the skb helpers read and change
  RunRedirect* redirect_out = nullptr;  // receives the run's redirect
  size_t data_size = 0;  // the bytes passed, for the mem size check of tail-call targets

  void add_region(MemRegion r) { regions[region_count++] = r; }
};

Result<void> Program::Impl::check_runnable(size_t data_size) const {
  if (!exec) {
    if (prog.load_error) return fail(*prog.load_error);
    return fail(make_error(ErrorCode::kInvalidArgument,
                           fmt::format("program {} is not prepared", prog.name)));
  }
  if (auto r = check_mem_size(prog.name, mem_size, data_size); !r) return fail(r.take_error());
  return {};
}

struct Program::Impl::TailRun {
  const Object::Impl* obj;
  const Impl* cur;
  HostEnv* env;
  size_t data_size;
};

const Program::Impl* Program::Impl::tail_target(const Object::Impl& obj, const void* target) {
  // Compared, never dereferenced: the slot may name a program of another object.
  for (const auto& q : obj.programs) {
    if (q.get() == target) return q->impl_.get();
  }
  return nullptr;
}

// What execute's loop does for a tail call, in place, for a target that the running engine
// can jump into; every other case is left to the loop (and its error messages).
const Executable* Program::Impl::tail_resolve(RunContext* rc, const Executable* from) {
  auto& t = *static_cast<TailRun*>(rc->tail_state);
  const Impl* next = tail_target(*t.obj, rc->tail_call_target);
  if (next == nullptr || !next->exec || !jit_can_tail_jump(*from, *next->exec) ||
      !mem_size_fits(next->mem_size, t.data_size)) {
    return nullptr;
  }
  t.cur = next;
  rc->helpers = next->helpers;
  t.env->set_program(&next->env);
  rc->tail_call_target = nullptr;
  return next->exec.get();
}

Result<uint64_t> Program::Impl::execute(const RunInput& in, const RunOptions& opts) const {
  if (opts.cpu && *opts.cpu >= kMaxCpuSlots) {
    return fail(make_error(ErrorCode::kInvalidArgument,
                           fmt::format("program {}: cpu {} is not below {}, the number of "
                                       "per-CPU slots",
                                       prog.name, *opts.cpu, kMaxCpuSlots)));
  }
  CpuOverride cpu(opts.cpu ? int64_t{*opts.cpu} : -1);
  StatSlot& slot = stats[cpu_slot()];
  const uint64_t t0 = now_ns();
  const Object::Impl& obj = *object->impl_;
  // The object's regions plus this run's input and context, on the stack when they fit.
  constexpr size_t kLocalRegions = 32;
  MemRegion local[kLocalRegions];
  std::vector<MemRegion> heap;
  MemRegion* regions = local;
  const size_t region_count = obj.regions.size() + in.region_count;
  if (region_count > kLocalRegions) {
    heap.resize(region_count);
    regions = heap.data();
  }
  std::copy(obj.regions.begin(), obj.regions.end(), regions);
  std::copy_n(in.regions.begin(), in.region_count, regions + obj.regions.size());

  // A verified program never reads stack bytes it did not write; an unverified one might,
  // so it gets a zeroed stack instead of what earlier runs left there.
  // The thread's guarded run stack (runtime/isa/run_stack.h).
  RunStack stack;
  if (!stack.ok()) {
    slot.errors.fetch_add(1, std::memory_order_relaxed);
    return make_error(ErrorCode::kRuntime, fmt::format("program {}: {}", prog.name,
                                                       trap_kind_name(TrapKind::kNoStack)));
  }
  if (safety == Safety::kChecked) std::memset(stack.data(), 0, kStackSize);
  HostEnv env(&this->env);
  if (in.packet_kind != PacketCtxKind::kNone) {
    env.set_packet_ctx(in.packet_kind, in.packet_ctx,
                       in.packet_region >= 0 ? regions + obj.regions.size() + in.packet_region
                                             : nullptr);
  }
  RunContext rc;
  rc.stack = stack.data();
  rc.regions = regions;
  rc.region_count = static_cast<uint32_t>(region_count);
  rc.cpu = cpu_slot();
  rc.budget = opts.budget;
  rc.host = &env;
  rc.user = opts.user_data;
  if (in.skb != nullptr) {
    // Size-changing skb helpers move the packet's region, in this run's copy.
    in.skb->packet_region =
        in.packet_region >= 0 ? regions + obj.regions.size() + in.packet_region : nullptr;
    env.set_skb(in.skb);
  }

  auto finish = [&](Result<uint64_t> r) -> Result<uint64_t> {
    if (in.redirect_out != nullptr) *in.redirect_out = env.redirect();
    env.discard_reservations();
    env.release_lock();
    slot.ns.fetch_add(now_ns() - t0, std::memory_order_relaxed);
    if (!r) slot.errors.fetch_add(1, std::memory_order_relaxed);
    return r;
  };

  // HostEnv counts the tail calls: past kMaxTailCalls, bpf_tail_call fails and the
  // program goes on, so this loop ends. The JIT follows the tail calls it can itself
  // (tail_resolve), which changes tail.cur: `c` is the program that ran last.
  TailRun tail{&obj, this, &env, in.data_size};
  rc.tail_resolve = &tail_resolve;
  rc.tail_state = &tail;
  for (;;) {
    rc.trap = Trap{};
    rc.tail_call_target = nullptr;
    rc.helpers = tail.cur->helpers;
    const uint64_t r0 = tail.cur->exec->run(rc, in.r1, in.r2);
    const Impl& c = *tail.cur;
    if (rc.trap.kind != TrapKind::kNone) {
      const std::string what = rc.trap.kind == TrapKind::kHelperFault && !env.fault_message().empty()
                                   ? env.fault_message()
                                   : rc.trap.what();
      return finish(make_error(ErrorCode::kRuntime, rc.trap.insn,
                               fmt::format("program {}: {}", c.prog.name, what)));
    }
    if (rc.tail_call_target == nullptr) return finish(r0);
    const Impl* next = tail_target(obj, rc.tail_call_target);
    if (next == nullptr || !next->exec) {
      return finish(make_error(
          ErrorCode::kRuntime,
          fmt::format("program {}: tail call to {}", c.prog.name,
                      next ? next->prog.name + ", which is not prepared"
                           : std::string("a program of another object"))));
    }
    if (auto r = check_mem_size(next->prog.name, next->mem_size, in.data_size); !r) {
      return finish(r.take_error());
    }
    tail.cur = next;
    env.set_program(&next->env);
  }
}

// An xdp run's frame: the context first (read-only), then the packet, whose region the
// adjust helpers move. With the context first, the packet is never the region the
// engines test inline (the first one, read once at entry), so a checked run always sees
// its current bounds.
void Program::Impl::bind_xdp(XdpFrame& frame, RunInput& in) {
  XdpCtx& x = frame.ctx();
  in.r1 = reinterpret_cast<uint64_t>(&x);
  in.add_region(MemRegion{in.r1, in.r1 + sizeof(XdpCtx), false});
  in.packet_region = static_cast<int>(in.region_count);
  in.add_region(MemRegion{x.data_meta, x.data_end, true});
  in.packet_kind = PacketCtxKind::kXdp;
  in.packet_ctx = &x;
}

// The packet is copied into the sk_buff of a kernel test run (helpers/skb_run.h). The
// context comes first, so that the packet, which size-changing helpers move, is never the
// region the engines test inline. The caller counted the run and checked it is runnable.
Result<uint64_t> Program::Impl::run_skb(std::span<uint8_t> data, const RunOptions& opts,
                                        const std::span<const uint8_t>* ctx_in,
                                        RunRedirect* redirect_out) const {
  RunInput in;
  RunRedirect redirect;
  in.redirect_out = &redirect;
  in.data_size = data.size();
  SkbRun run;  // about 24 KiB, on the stack like the xdp frame: no allocation per run
  MemRegion packet;
  MemRegion context;
  if (auto r = start_skb_run(run, *prog.type, data, opts, ctx_in, &packet, &context); !r) {
    Diagnostic d = r.take_error();
    d.message = fmt::format("program {}: {}", prog.name, d.message);
    return fail(std::move(d));
  }
  in.r1 = context.start;
  in.add_region(context);
  in.packet_region = static_cast<int>(in.region_count);
  in.add_region(packet);
  in.skb = &run;
  auto r0 = execute(in, opts);
  if (r0) finish_skb_run(run, redirect, data, opts);
  if (redirect_out != nullptr) *redirect_out = redirect;
  return r0;
}

Result<uint64_t> Program::run(std::span<uint8_t> data, const RunOptions& opts) const {
  const Impl& p = *impl_;
  p.stats[cpu_slot()].runs.fetch_add(1, std::memory_order_relaxed);
  if (auto r = p.check_runnable(data.size()); !r) return r.take_error();
  Impl::RunInput in;
  in.data_size = data.size();
  const ProgramType& type = *p.prog.type;
  const uint64_t start = reinterpret_cast<uint64_t>(data.data());
  const uint64_t end = start + data.size();
  if (is_xdp(type)) {
    // The packet is copied into a frame with the kernel's headroom and tailroom, so that
    // helpers can move its head and tail; when its length is unchanged, the bytes go
    // back into `data`.
    XdpFrame frame;
    if (auto r = frame.init_packet(data, opts.ifindex, opts.rx_queue); !r) {
      return p.fail(r.take_error());
    }
    Impl::bind_xdp(frame, in);
    auto r0 = p.execute(in, opts);
    if (r0 && frame.packet().size() == data.size() && !data.empty()) {
      std::memcpy(data.data(), frame.packet().data(), data.size());
    }
    return r0;
  }
  if (is_skb_run_type(type)) return p.run_skb(data, opts, nullptr);
  SkBuffCtx skb;
  if (!data.empty()) in.add_region(MemRegion{start, end, true});
  if (type.model == CtxModel::kMemBuffer) {
    in.r1 = start;
    in.r2 = data.size();
  } else if (type.name == "socket_filter") {
    skb.data = start;
    skb.data_end = end;
    skb.len = static_cast<uint32_t>(data.size());
    skb.protocol = opts.protocol;
    skb.mark = opts.mark;
    skb.ifindex = opts.ifindex;
    skb.ingress_ifindex = opts.ifindex;
    in.r1 = reinterpret_cast<uint64_t>(&skb);
    in.add_region(MemRegion{in.r1, in.r1 + sizeof(skb), true});
  } else {
    // A host-registered type: the data is the context itself, in its shadow layout.
    const uint32_t size = type.shadow_size ? type.shadow_size : type.ctx_size;
    if (data.size() < size) {
      return p.fail(make_error(
          ErrorCode::kInvalidArgument,
          fmt::format("program {}: type {} needs a {}-byte context, got {} bytes", p.prog.name,
                      type.name, size, data.size())));
    }
    in.r1 = start;
  }
  return p.execute(in, opts);
}

Result<TestRunResult> Program::Impl::test_run_xdp(const TestRunInput& t) const {
  // About 4 KiB: kept off the caller's stack, which the run itself uses.
  auto frame = std::make_unique<XdpFrame>();
  if (auto r = frame->init(t.data, t.ctx); !r) return fail(r.take_error());
  RunInput in;
  in.data_size = t.data.size();
  bind_xdp(*frame, in);
  RunRedirect redirect;
  in.redirect_out = &redirect;
  // As in the kernel, every repetition runs on the packet the previous one left.
  const uint32_t repeat = std::max<uint32_t>(t.repeat, 1);
  TestRunResult out;
  const uint64_t t0 = now_ns();
  for (uint32_t i = 0; i < repeat; ++i) {
    // The packet where the last run left it (execute() works on a copy of the regions).
    in.regions[in.packet_region] = MemRegion{frame->ctx().data_meta, frame->ctx().data_end, true};
    auto r0 = execute(in, t.options);
    if (!r0) return r0.take_error();
    out.r0 = *r0;
  }
  out.duration_ns = (now_ns() - t0) / repeat;
  out.retval = static_cast<uint32_t>(out.r0);
  const auto data = frame->data_out();
  out.data_out.assign(data.begin(), data.end());
  out.ctx_out = frame->ctx_out();
  out.redirect = to_redirect(redirect);
  return out;
}

Result<TestRunResult> Program::Impl::test_run_buffer(const Program& self,
                                                     const TestRunInput& t) const {
  if (!t.ctx.empty()) {
    return fail(make_error(ErrorCode::kInvalidArgument,
                           fmt::format("program {}: test runs of type {} take no ctx_in",
                                       prog.name, prog.type->name)));
  }
  const uint32_t repeat = std::max<uint32_t>(t.repeat, 1);
  TestRunResult out;
  out.data_out.assign(t.data.begin(), t.data.end());
  const uint64_t t0 = now_ns();
  for (uint32_t i = 0; i < repeat; ++i) {
    auto r0 = self.run(out.data_out, t.options);
    if (!r0) return r0.take_error();
    out.r0 = *r0;
  }
  out.duration_ns = (now_ns() - t0) / repeat;
  out.retval = static_cast<uint32_t>(out.r0);
  return out;
}

// sched_cls, sched_act, cgroup_skb and socket_filter: data_out and ctx_out as the
// kernel's skb test run gives them (RunOptions::skb_out), a socket filter seeing the packet
// from its network header as there. The run always has a context, ctx_in or zeros, as the
// kernel's has when a test asks for ctx_out (wire_len is then len, not 0). Each repetition
// starts from data_in again (the kernel keeps one sk_buff for all of them).
Result<TestRunResult> Program::Impl::test_run_skb(const TestRunInput& t) const {
  const uint32_t repeat = std::max<uint32_t>(t.repeat, 1);
  SkbRunOutput so;
  RunOptions o = t.options;
  o.skb_out = &so;
  o.ifindex = 1;  // the loopback device, unless ctx_in names another
  o.mark = 0;
  std::vector<uint8_t> data;
  RunRedirect redirect;
  TestRunResult out;
  const uint64_t t0 = now_ns();
  for (uint32_t i = 0; i < repeat; ++i) {
    stats[cpu_slot()].runs.fetch_add(1, std::memory_order_relaxed);
    if (auto r = check_runnable(t.data.size()); !r) return r.take_error();
    data.assign(t.data.begin(), t.data.end());
    auto r0 = run_skb(data, o, &t.ctx, &redirect);
    if (!r0) return r0.take_error();
    out.r0 = *r0;
  }
  out.duration_ns = (now_ns() - t0) / repeat;
  out.retval = static_cast<uint32_t>(out.r0);
  out.data_out = std::move(so.data_out);
  out.ctx_out = std::move(so.ctx_out);
  out.redirect = to_redirect(redirect);
  return out;
}

Result<TestRunResult> Program::test_run(const TestRunInput& input) const {
  const Impl& p = *impl_;
  if (is_skb_run_type(*p.prog.type) || is_socket_filter_type(*p.prog.type)) {
    return p.test_run_skb(input);
  }
  if (is_xdp(*p.prog.type)) {
    p.stats[cpu_slot()].runs.fetch_add(std::max<uint32_t>(input.repeat, 1),
                                       std::memory_order_relaxed);
    if (auto r = p.check_runnable(input.data.size()); !r) return r.take_error();
    return p.test_run_xdp(input);
  }
  return p.test_run_buffer(*this, input);
}

// ---------------------------------------------------------------------------------------
// Object

Object::Object(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Object::~Object() = default;

std::vector<Program*> Object::programs() const {
  std::vector<Program*> out;
  for (const auto& p : impl_->programs) out.push_back(p.get());
  return out;
}

Program* Object::program(std::string_view name) const {
  for (const auto& p : impl_->programs) {
    if (p->name() == name) return p.get();
  }
  for (const auto& p : impl_->programs) {
    if (p->section() == name) return p.get();
  }
  return nullptr;
}

std::vector<Map*> Object::maps() const {
  std::vector<Map*> out;
  for (const auto& m : impl_->maps) out.push_back(m.get());
  return out;
}

Map* Object::map(std::string_view name) const { return shared_map(name).get(); }

std::shared_ptr<Map> Object::shared_map(std::string_view name) const {
  for (const auto& m : impl_->maps) {
    if (m->name() == name) return m;
  }
  return nullptr;
}

std::vector<GlobalData> Object::global_data() const {
  std::vector<GlobalData> out;
  for (const auto& b : impl_->data) {
    out.push_back(GlobalData{b.name, std::span<uint8_t>(b.mem.get(), b.size), b.readonly});
  }
  return out;
}

Result<GlobalData> Object::global_data(std::string_view name) const {
  for (const auto& b : impl_->data) {
    if (b.name == name) {
      return GlobalData{b.name, std::span<uint8_t>(b.mem.get(), b.size), b.readonly};
    }
  }
  return make_error(ErrorCode::kNotFound, fmt::format("no global data section '{}'", name));
}

Result<std::span<uint8_t>> Object::variable(std::string_view name) const {
  for (const auto& b : impl_->data) {
    for (const auto& v : b.vars) {
      if (v.name == name) return std::span<uint8_t>(b.mem.get() + v.offset, v.size);
    }
  }
  return make_error(ErrorCode::kNotFound, fmt::format("no global variable '{}'", name));
}

const std::vector<RelocationInfo>& Object::relocations() const { return impl_->relocations; }
bool Object::has_btf() const { return impl_->has_btf; }

Result<void> Object::set_tail_call(std::string_view map_name, uint32_t index,
                                   const Program& target) {
  Map* m = map(map_name);
  if (m == nullptr) return make_error(ErrorCode::kNotFound, fmt::format("no map '{}'", map_name));
  auto* progs = dynamic_cast<ProgArrayMap*>(&MapAccess::impl(*m));
  if (progs == nullptr) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("map {} is a {} map, not a prog_array", map_name,
                                  map_type_name(m->type())));
  }
  if (&target.object() != this) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("program {} belongs to another object", target.name()));
  }
  if (progs->set(index, &target) != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("index {} is outside prog_array {} ({} entries)", index,
                                  map_name, m->max_entries()));
  }
  return {};
}

Result<void> Object::prepare_all(const PrepareOptions& opts) {
  for (const auto& p : impl_->programs) {
    if (auto r = p->prepare(opts); !r) return r;
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// Runtime

Runtime::Runtime() : impl_(std::make_unique<Impl>()) {}
Runtime::~Runtime() = default;

void Runtime::set_trace_sink(TraceSink sink) { impl_->trace = std::move(sink); }

std::vector<const HelperProto*> Runtime::helpers() const { return impl_->helpers.all(); }
const HelperProto* Runtime::helper(uint32_t id) const { return impl_->helpers.find(id); }
const ProgramType* Runtime::program_type(std::string_view name) const {
  return impl_->types.find(name);
}
HostEnvironment& Runtime::host() { return impl_->host; }

Result<void> Runtime::register_helper(HelperProto proto) {
  if (impl_->helpers.find(proto.id) == nullptr) return impl_->helpers.add(std::move(proto));
  HelperTable table;
  for (const HelperProto* h : impl_->helpers.all()) {
    if (h->id == proto.id) continue;
    if (auto r = table.add(*h); !r) return r;
  }
  if (auto r = table.add(std::move(proto)); !r) return r;
  impl_->helpers = std::move(table);
  return {};
}

Result<void> Runtime::register_program_type(ProgramType type) {
  return impl_->types.add(std::move(type));
}

Result<void> Runtime::allow_helper(std::string_view type_name, uint32_t id) {
  return impl_->types.allow_helper(type_name, id);
}

Result<std::shared_ptr<Map>> Runtime::create_map(const MapSpec& spec) {
  auto m = bpfjit::create_map(spec, impl_->map_budget);
  if (!m) return m.take_error();
  return MapAccess::wrap(std::move(m).value());
}

void Runtime::set_map_memory_limit(uint64_t bytes) { impl_->map_budget->set_limit(bytes); }
uint64_t Runtime::map_memory_limit() const { return impl_->map_budget->limit(); }
uint64_t Runtime::map_memory_used() const { return impl_->map_budget->used(); }

Result<std::unique_ptr<Object>> Runtime::load_file(const std::string& path,
                                                   const LoadSettings& settings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, fmt::format("cannot open {}", path));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  if (in.bad()) return make_error(ErrorCode::kIo, fmt::format("cannot read {}", path));
  auto obj = load_bytes(bytes, settings);
  if (!obj) {
    Diagnostic d = obj.take_error();
    d.message = fmt::format("{}: {}", path, d.message);
    return d;
  }
  return obj;
}

namespace {

// The map the host offers for `def`, when it offered one by that name.
Result<std::shared_ptr<Map>> reused_map(const MapDef& def, const LoadSettings& settings) {
  for (const auto& m : settings.reuse_maps) {
    if (m == nullptr || m->name() != def.spec.name) continue;
    const MapSpec& a = m->spec();
    const MapSpec& b = def.spec;
    if (a.type != b.type || a.key_size != b.key_size || a.value_size != b.value_size ||
        a.max_entries != b.max_entries) {
      return make_error(ErrorCode::kLoad,
                        fmt::format("map {}: the object declares a {} map (key {}, value {}, "
                                    "{} entries), the reused map is a {} map (key {}, value "
                                    "{}, {} entries)",
                                    b.name, map_type_name(b.type), b.key_size, b.value_size,
                                    b.max_entries, map_type_name(a.type), a.key_size,
                                    a.value_size, a.max_entries));
    }
    return m;
  }
  return std::shared_ptr<Map>();
}

}  // namespace

Result<std::unique_ptr<Object>> Runtime::load_bytes(std::span<const uint8_t> bytes,
                                                    const LoadSettings& settings) {
  LoadOptions lopts;
  lopts.helpers = &impl_->helpers;
  lopts.types = &impl_->types;
  lopts.type_override = settings.program_type;
  lopts.target_btf = settings.target_btf;
  lopts.kconfig = settings.kconfig;
  auto loaded = load_object(bytes, lopts);
  if (!loaded) return loaded.take_error();
  LoadedObject& lo = *loaded;

  auto impl = std::make_unique<Object::Impl>();
  impl->runtime = this;
  impl->relocations = std::move(lo.relocations);
  impl->has_btf = lo.has_btf;
  impl->verifier_maps = verifier_maps(lo);
  std::vector<uint64_t> map_addrs;
  for (const MapDef& def : lo.maps) {
    auto reused = reused_map(def, settings);
    if (!reused) return reused.take_error();
    std::shared_ptr<Map> m = std::move(reused).value();
    if (m == nullptr) {
      auto created = bpfjit::create_map(def.spec, impl_->map_budget);
      if (!created) {
        Diagnostic d = created.take_error();
        d.code = ErrorCode::kLoad;
        return d;
      }
      m = MapAccess::wrap(std::move(created).value());
    }
    BpfMap& bm = MapAccess::impl(*m);
    map_addrs.push_back(reinterpret_cast<uint64_t>(&bm));
    for (const MemRegion& r : bm.regions()) impl->regions.push_back(r);
    impl->maps.push_back(std::move(m));
  }
  std::vector<uint64_t> data_addrs;
  for (DataImage& img : lo.data) {
    Object::Impl::Buffer b;
    b.name = img.name;
    b.size = img.bytes.size();
    b.readonly = img.readonly;
    b.vars = std::move(img.vars);
    b.mem.reset(new uint8_t[std::max<size_t>(b.size, 1)]());
    if (b.size) std::memcpy(b.mem.get(), img.bytes.data(), b.size);
    const uint64_t addr = reinterpret_cast<uint64_t>(b.mem.get());
    data_addrs.push_back(addr);
    if (b.size) impl->regions.push_back(MemRegion{addr, addr + b.size, !b.readonly});
    impl->data.push_back(std::move(b));
  }
  auto object = std::unique_ptr<Object>(new Object(std::move(impl)));
  for (LoadedProgram& lp : lo.programs) {
    if (!lp.load_error) bind_lddw_refs(lp, map_addrs, data_addrs);
    auto pimpl = std::make_unique<Program::Impl>();
    pimpl->object = object.get();
    pimpl->env.name = lp.name;
    pimpl->env.type = lp.type;
    pimpl->env.trace = impl_->trace;
    pimpl->env.host = &impl_->host;
    for (uint32_t mi : lp.maps) {
      pimpl->env.maps.push_back(MapAccess::shared(*object->impl_->maps[mi]));
    }
    pimpl->prog = std::move(lp);
    object->impl_->programs.push_back(std::unique_ptr<Program>(new Program(std::move(pimpl))));
  }
  // The initial slots of prog_array maps (`.values = { [i] = &prog }`) name programs of the
  // object; one that failed to load leaves its slot empty. A run that reaches a slot whose
  // program is not prepared fails with that fact.
  for (size_t i = 0; i < lo.maps.size(); ++i) {
    if (lo.maps[i].slots.empty() || lo.maps[i].spec.type != MapType::kProgArray) continue;
    auto* progs = dynamic_cast<ProgArrayMap*>(&MapAccess::impl(*object->impl_->maps[i]));
    if (progs == nullptr) continue;
    for (const MapSlot& slot : lo.maps[i].slots) {
      const Program* p = object->program(slot.target);
      if (p != nullptr && p->load_error() == nullptr) progs->set(slot.index, p);
    }
  }
  // The initial slots of map-in-map (`.values = { [i] = &map }`) name maps of the object.
  for (size_t i = 0; i < lo.maps.size(); ++i) {
    auto* outer = dynamic_cast<MapOfMaps*>(&MapAccess::impl(*object->impl_->maps[i]));
    if (outer == nullptr) continue;
    for (const MapSlot& slot : lo.maps[i].slots) {
      const Map* target = object->map(slot.target);
      const uint32_t key = slot.index;
      const int64_t rc = target == nullptr || outer->key_size() != sizeof key
                             ? -EINVAL
                             : outer->set_inner(&key, MapAccess::shared(*target), kBpfAny);
      if (rc != 0) {
        return make_error(ErrorCode::kLoad,
                          fmt::format("map {}: slot {}: map {} cannot be put in ({})",
                                      outer->name(), slot.index, slot.target,
                                      map_error(*outer, "update", rc).message));
      }
    }
  }
  return object;
}

// ---------------------------------------------------------------------------------------
// Internal access (runtime/api_internal.h)

const LoadedProgram& ProgramAccess::loaded(const Program& p) { return p.impl_->prog; }
const Executable* ProgramAccess::executable(const Program& p) { return p.impl_->exec.get(); }
const HelperTable& ProgramAccess::helpers(const Runtime& rt) { return rt.impl_->helpers; }
const ProgramTypeRegistry& ProgramAccess::program_types(const Runtime& rt) {
  return rt.impl_->types;
}

}  // namespace bpfjit
