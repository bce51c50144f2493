#include "test/soundness/oracle.h"

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <functional>
#include <mutex>
#include <random>

#include "bpfjit/runtime.h"
#include "runtime/api_internal.h"
#include "helpers/helper_table.h"
#include "helpers/helpers/builtin.h"
#include "helpers/host_env.h"
#include "runtime/isa/disasm.h"
#include "verifier/platform.h"
#include "verifier/verifier.h"

namespace bpfjit::soundness {
namespace {

// ---- strict helpers ---------------------------------------------------------------------
// Every built-in helper with a memory argument is wrapped: before the real helper runs,
// each memory argument is checked against the run's regions as its prototype describes
// it (a pointer and the size in the next argument, a map key or value). A violation stops
// the run with a helper fault that names the argument.

constexpr size_t kMaxStrictId = 256;
std::array<HelperProto, kMaxStrictId> g_protos;  // the built-in prototypes, by id

bool check_arg(RunContext* ctx, const HelperProto& p, const uint64_t* a, BpfMap* map, int i,
               std::string* why) {
  auto need = [&](uint64_t size, bool write) {
    if (builtin::can_access(ctx, a[i], size, write)) return true;
    *why = fmt::format("helper {} ({}): r{} = 0x{:x} is not {} for {} bytes", p.id, p.name,
                       i + 1, a[i], write ? "writable" : "readable", size);
    return false;
  };
  auto next_size = [&]() -> uint64_t {
    if (i + 1 < 5 && (p.args[i + 1] == ArgKind::kConstSize ||
                      p.args[i + 1] == ArgKind::kConstSizeOrZero)) {
      return a[i + 1];
    }
    return 0;
  };
  // Only the memory kinds are checked; the others (scalars, the context, callbacks...)
  // need nothing here.
  const ArgKind k = p.args[i];
  if (k == ArgKind::kPtrToMapKey) return map == nullptr || need(map->key_size(), false);
  if (k == ArgKind::kPtrToMapValue) return map == nullptr || need(map->value_size(), false);
  if (k == ArgKind::kPtrToUninitMapValue) return map == nullptr || need(map->value_size(), true);
  if (k == ArgKind::kPtrToMemOrNull) return a[i] == 0 || need(next_size(), false);
  if (k == ArgKind::kPtrToMem) return need(next_size(), false);
  if (k == ArgKind::kPtrToUninitMem) return need(next_size(), true);
  return true;
}

uint64_t strict_call(uint32_t id, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                     uint64_t r5, RunContext* ctx) {
  const HelperProto& p = g_protos[id];
  const uint64_t a[5] = {r1, r2, r3, r4, r5};
  HostEnv* env = host_env(ctx);
  BpfMap* map = nullptr;
  for (int i = 0; i < 5; ++i) {
    if (p.args[i] == ArgKind::kConstMapPtr && env != nullptr) map = env->find_map(a[i]);
  }
  for (int i = 0; i < 5; ++i) {
    std::string why;
    if (!check_arg(ctx, p, a, map, i, &why)) {
      if (env != nullptr) env->set_fault_message("strict helper check: " + why);
      ctx->fault();
      return 0;
    }
  }
  return p.fn(r1, r2, r3, r4, r5, ctx);
}

template <uint32_t Id>
uint64_t strict(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                RunContext* ctx) {
  return strict_call(Id, r1, r2, r3, r4, r5, ctx);
}

struct StrictEntry {
  uint32_t id;
  HelperFn fn;
};

// The built-in helpers that take memory.
constexpr StrictEntry kStrict[] = {
    {1, strict<1>},     {2, strict<2>},     {3, strict<3>},     {4, strict<4>},
    {6, strict<6>},     {26, strict<26>},   {45, strict<45>},   {87, strict<87>},
    {88, strict<88>},   {89, strict<89>},   {112, strict<112>}, {113, strict<113>},
    {114, strict<114>}, {115, strict<115>}, {130, strict<130>}, {165, strict<165>},
    {182, strict<182>}, {189, strict<189>}, {190, strict<190>},
};

// ---- inputs -----------------------------------------------------------------------------

struct Input {
  std::vector<uint8_t> packet;  // the packet (or mem buffer)
  uint32_t meta = 0;            // xdp: metadata bytes before the packet
  uint32_t mark = 0;
  std::string maps;             // what the maps held, for the report
};

// Bytes of one of a few shapes: random, all zero, all ones, small values.
void fill_bytes(std::mt19937_64& rng, uint8_t* p, size_t n) {
  const uint32_t shape = rng() % 4;
  for (size_t i = 0; i < n; ++i) {
    switch (shape) {
      case 0: p[i] = static_cast<uint8_t>(rng()); break;
      case 1: p[i] = 0; break;
      case 2: p[i] = 0xff; break;
      default: p[i] = static_cast<uint8_t>(rng() % 4); break;
    }
  }
}

uint32_t pick_len(std::mt19937_64& rng, const Case& c, uint32_t max) {
  std::vector<uint32_t> cand = {0, 1, max};
  for (uint32_t e : c.edges) {
    for (int d = -1; d <= 1; ++d) {
      const int64_t v = int64_t{e} + d;
      if (v >= 0 && v <= max) cand.push_back(static_cast<uint32_t>(v));
    }
  }
  if (rng() % 10 < 7) return cand[rng() % cand.size()];
  return static_cast<uint32_t>(rng() % (max + 1));
}

std::string fill_maps(Object& obj, std::mt19937_64& rng) {
  std::string what;
  for (Map* m : obj.maps()) {
    const MapType t = m->type();
    if (t != MapType::kArray && t != MapType::kHash && t != MapType::kPercpuArray &&
        t != MapType::kPercpuHash && t != MapType::kLruHash) {
      continue;
    }
    std::vector<uint8_t> key(m->spec().key_size, 0);
    std::vector<uint8_t> value(m->value_bytes());
    const uint32_t n = std::min<uint32_t>(m->spec().max_entries, 4);
    for (uint32_t k = 0; k < n; ++k) {
      if (key.size() >= 4) std::memcpy(key.data(), &k, 4);
      const bool hash = t != MapType::kArray && t != MapType::kPercpuArray;
      if (hash && rng() % 3 == 0) {
        (void)m->erase(key);
        continue;
      }
      fill_bytes(rng, value.data(), value.size());
      (void)m->update(key, value);
      what += fmt::format(" {}[{}]={:02x}", m->name(), k, fmt::join(value, ""));
    }
  }
  return what;
}

Input make_input(const Case& c, std::mt19937_64& rng, uint32_t k, const OracleOptions& o) {
  Input in;
  in.mark = static_cast<uint32_t>(rng());
  uint32_t len = 0;
  if (c.type == "mem") {
    len = c.mem_size;
  } else {
    len = pick_len(rng, c, o.max_packet);
  }
  if (c.type == "xdp" && k % 2 == 1) {
    in.meta = 4 * static_cast<uint32_t>(1 + rng() % 8);
    len = std::max<uint32_t>(len, 14);
  }
  if (c.type == "sched_cls") len = std::max<uint32_t>(len, 14);
  in.packet.resize(len);
  fill_bytes(rng, in.packet.data(), len);
  if (c.type == "sched_cls") {
    // An EtherType the kernel's test run takes at any length (no IP header to check).
    in.packet[12] = 0x88;
    in.packet[13] = 0xb5;
  }
  return in;
}

std::string describe_input(const Input& in) {
  return fmt::format("packet {} bytes{} mark 0x{:x}: {:02x}\nmaps:{}", in.packet.size(),
                     in.meta ? fmt::format(" after {} bytes of metadata", in.meta) : "", in.mark,
                     fmt::join(in.packet, ""), in.maps.empty() ? " (none)" : in.maps);
}

Result<uint64_t> run_input(Program& p, Input& in, const OracleOptions& o) {
  RunOptions ro;
  ro.budget = o.budget;
  ro.mark = in.mark;
  if (in.meta == 0) return p.run(in.packet, ro);
  std::vector<uint8_t> data(in.meta, 0xa5);
  data.insert(data.end(), in.packet.begin(), in.packet.end());
  struct {
    uint32_t data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex;
  } md{in.meta, static_cast<uint32_t>(data.size()), 0, 1, 0, 0};
  TestRunInput t;
  t.data = data;
  t.ctx = {reinterpret_cast<const uint8_t*>(&md), sizeof md};
  t.options = ro;
  auto r = p.test_run(t);
  if (!r) return r.take_error();
  return r->r0;
}

const char* section_for(const std::string& type) {
  if (type == "xdp") return "xdp";
  if (type == "socket_filter") return "socket";
  if (type == "sched_cls") return "tc";
  return "mem";
}

}  // namespace

std::unique_ptr<Runtime> make_strict_runtime() {
  auto rt = std::make_unique<Runtime>();
  rt->set_trace_sink([](std::string_view, std::string_view) {});  // programs print a lot
  // The built-ins are the same in every runtime: the table is written once, by the first
  // runtime, before any wrapper can run.
  static std::once_flag once;
  std::call_once(once, [&] {
    for (const StrictEntry& e : kStrict) {
      if (const HelperProto* orig = rt->helper(e.id)) g_protos[e.id] = *orig;
    }
  });
  for (const StrictEntry& e : kStrict) {
    const HelperProto* orig = rt->helper(e.id);
    if (orig == nullptr) continue;
    HelperProto p = *orig;
    p.fn = e.fn;
    (void)rt->register_helper(p);
  }
  return rt;
}

namespace {

// The sweep's complexity limit, when it sets one, on the runtime's or the verifier's options.
template <typename Options>
void apply_complexity_limit(Options& opts, const OracleOptions& o) {
  if (o.complexity_limit) opts.complexity_limit = *o.complexity_limit;
}

// A run's error that says the program touched what it may not: not the budget running
// out, nor a tail call into a program of the object that is not prepared (the oracle
// prepares only the program it checks).
bool is_fault(const Diagnostic& d) {
  return d.code == ErrorCode::kRuntime && d.message.find("budget") == std::string::npos &&
         d.message.find("which is not prepared") == std::string::npos;
}

// Runs an accepted program in checked mode on both engines; a fault makes `res` kTrapped
// with a report.
void run_checked(Program& p, Object& obj, const Case& c, uint64_t input_seed,
                 const OracleOptions& o, const std::function<std::string()>& describe,
                 CaseResult& res, bool fill = true) {
  uint32_t runs = 0;
  for (EngineKind engine : {EngineKind::kInterpreter, EngineKind::kJit}) {
    PrepareOptions po;
    po.engine = engine;
    po.safety = Safety::kChecked;
    if (auto r = p.prepare(po); !r) {
      res.note = r.error().to_string();
      continue;
    }
    std::mt19937_64 rng(input_seed);
    for (uint32_t k = 0; k < o.inputs; ++k) {
      Input in = make_input(c, rng, k, o);
      if (fill) in.maps = fill_maps(obj, rng);
      const Input before = in;  // described only if the run faults
      auto r = run_input(p, in, o);
      if (!r && is_fault(r.error())) {
        res.outcome = Outcome::kTrapped;
        res.report = fmt::format("ACCEPTED PROGRAM FAULTED ({})\n{}\ninput: {}\nfault: {}\n",
                                 p.engine_name(), describe(), describe_input(before),
                                 r.error().to_string());
        res.runs += runs;
        return;
      }
      if (r || r.error().code == ErrorCode::kRuntime) ++runs;
    }
  }
  res.runs += runs;
}

// The input layout of a loaded program's type.
std::string input_type(const ProgramType& t) {
  if (t.model == CtxModel::kMemBuffer) return "mem";
  if (t.name == "xdp" || t.name == "socket_filter") return t.name;
  return "sched_cls";  // the skb types: a packet from its Ethernet header
}

// A mutated object: every program of it the verifier accepts runs.
CaseResult check_object(Runtime& rt, const Case& c, uint64_t input_seed,
                        const OracleOptions& o) {
  CaseResult res;
  auto obj = rt.load_bytes(c.object);
  if (!obj) {
    res.note = obj.error().to_string();
    return res;
  }
  // Host updates copy a value's bpf_spin_lock word (the kernel's skip it), so random
  // values would leave locks taken: the maps of objects that lock are left alone.
  bool locks = false;
  for (Program* p : (*obj)->programs()) {
    for (const Insn& in : ProgramAccess::loaded(*p).insns) {
      if (in.op == Op::kCall && in.imm == 93) locks = true;
    }
  }
  bool any_ran = false;
  for (Program* p : (*obj)->programs()) {
    if (p->load_error() != nullptr) continue;
    PrepareOptions vo;
    vo.mem_size = c.mem_size;
    apply_complexity_limit(vo, o);
    if (!p->verify(vo).accepted) continue;
    if (res.outcome == Outcome::kRejected) res.outcome = Outcome::kNotRunnable;
    Case pc = c;
    pc.type = input_type(p->type());
    CaseResult one;
    run_checked(*p, **obj, pc, input_seed, o, [&] {
      return fmt::format("{}\nprogram {} ({}, type {}):\n{}", c.family + ": " + c.mutation,
                         p->name(), p->section(), p->type().name,
                         disassemble_program(ProgramAccess::loaded(*p).insns));
    }, one, !locks);
    res.runs += one.runs;
    if (one.outcome == Outcome::kTrapped) {
      res.outcome = Outcome::kTrapped;
      res.report = one.report;
      return res;
    }
    if (one.runs > 0) any_ran = true;
  }
  if (any_ran) res.outcome = Outcome::kRan;
  return res;
}

}  // namespace

std::string describe_case(const Case& c) {
  std::string maps;
  for (size_t i = 0; i < c.maps.size(); ++i) {
    const ElfMap& m = c.maps[i];
    maps += fmt::format("\nmap {}: type {} key {} value {} entries {}", i, m.type, m.key_size,
                        m.value_size, m.max_entries);
  }
  return fmt::format("family {} type {} platform {}{}{}\n{}", c.family, c.type, c.platform,
                     c.type == "mem" ? fmt::format(" mem_size {}", c.mem_size) : "", maps,
                     disassemble_program(c.insns));
}

CaseResult check_case(Runtime& rt, const Case& c, uint64_t input_seed, const OracleOptions& o) {
  if (!c.object.empty()) return check_object(rt, c, input_seed, o);
  CaseResult res;
  bool accepted = false;
  if (c.platform == "linux") {
    const verifier::Platform& pl = verifier::linux_platform();
    const ProgramType* t = pl.find_type(c.type);
    if (t == nullptr) {
      res.note = "no linux type " + c.type;
      return res;
    }
    std::vector<verifier::MapInfo> maps;
    for (const ElfMap& m : c.maps) maps.push_back({m.type, m.key_size, m.value_size, m.max_entries});
    std::optional<uint64_t> mem;
    if (c.type == "mem") mem = c.mem_size;
    verifier::VerifyInput vin{c.insns, {}, maps, *t, {}, mem, pl};
    verifier::VerifyOptions vopts;
    apply_complexity_limit(vopts, o);
    verifier::VerifyResult vr = verifier::verify(vin, vopts);
    if (!vr.accepted) {
      res.note = vr.error_text();
      return res;
    }
    accepted = true;
  }
  auto elf = build_object(c.insns, c.maps, section_for(c.type));
  if (!elf) {
    res.outcome = accepted ? Outcome::kNotRunnable : Outcome::kRejected;
    res.note = elf.error().to_string();
    return res;
  }
  LoadSettings ls;
  ls.program_type = c.type;
  auto obj = rt.load_bytes(*elf, ls);
  Program* p = obj && !(*obj)->programs().empty() ? (*obj)->programs()[0] : nullptr;
  if (p == nullptr || p->load_error() != nullptr) {
    // The runtime's loader refuses what the linux platform accepted (a helper the runtime
    // lacks); on the runtime platform the loader's refusal is a rejection.
    res.outcome = accepted ? Outcome::kNotRunnable : Outcome::kRejected;
    res.note = !obj ? obj.error().to_string()
               : p == nullptr ? "no program" : p->load_error()->to_string();
    return res;
  }
  if (!accepted && !o.skip_verify) {
    PrepareOptions po;
    if (c.type == "mem") po.mem_size = c.mem_size;
    apply_complexity_limit(po, o);
    VerifyReport rep = p->verify(po);
    if (!rep.accepted) {
      res.note = rep.errors.empty() ? "rejected" : rep.errors.front().to_string();
      return res;
    }
  }
  res.outcome = Outcome::kRan;
  run_checked(*p, **obj, c, input_seed, o, [&] { return describe_case(c); }, res);
  return res;
}

}  // namespace bpfjit::soundness
