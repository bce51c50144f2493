// Program objects on the BPF engines (through the ELF loader) and natively (through the
// shim's map handles and function tables).
#include "bench/harness/bpf_instance.h"

#include <fmt/format.h>

#include <algorithm>

#include "bench/harness/bpf_engine.h"
#include "jit/jit.h"
#include "runtime/loader/loader.h"

// The native side's tables, one pair per object (bench/progs/bench_prog.h).
extern "C" {
struct bench_map {
  const char* name;
  void* impl;
};
struct bench_native_fn {
  const char* name;
  void* fn;
};
#define BPFJIT_BENCH_PROGS(X) \
  X(xdp_filter) X(flow_counter) X(helper_loop) X(call_chain) X(tail_chain) \
  X(ringbuf_producer) X(atomic_count) X(map_lookup_array) X(map_lookup_hash)
#define X(prog)                                  \
  extern struct bench_map* bench_maps_##prog[]; \
  extern const struct bench_native_fn bench_fns_##prog[];
BPFJIT_BENCH_PROGS(X)
#undef X
}

namespace bpfjit::bench {
namespace {

struct NativeTables {
  bench_map** maps;
  const bench_native_fn* fns;
};

Result<NativeTables> native_tables(const std::string& name) {
#define X(prog) \
  if (name == #prog) return NativeTables{bench_maps_##prog, bench_fns_##prog};
  BPFJIT_BENCH_PROGS(X)
#undef X
  return make_error(ErrorCode::kNotFound, fmt::format("no native build of {}", name));
}

void* native_fn(const NativeTables& t, const std::string& name) {
  for (const bench_native_fn* f = t.fns; f->name != nullptr; ++f) {
    if (name == f->name) return f->fn;
  }
  return nullptr;
}

Result<LoadedObject> load_prog_object(const ProgObjectSpec& spec, const char* cpu) {
  auto bytes = read_bytes(prog_object_path(spec.name, cpu));
  if (!bytes) return bytes.take_error();
  LoadOptions opts;
  opts.helpers = &bench_helpers();
  return load_object(*bytes, opts);
}

using MapList = std::vector<std::pair<std::string, std::shared_ptr<BpfMap>>>;

// The instance on the interpreter or the JIT.
class BpfInstance final : public ProgInstance {
 public:
  static Result<std::unique_ptr<ProgInstance>> create(const ProgObjectSpec& spec,
                                                      const char* cpu, Engine e,
                                                      std::optional<uint64_t> mem_size,
                                                      PrepTimes& times) {
    auto inst = std::unique_ptr<BpfInstance>(new BpfInstance());
    double t0 = thread_seconds();
    auto obj = load_prog_object(spec, cpu);
    if (!obj) return obj.take_error();
    // Maps and global data, then the final lddw values.
    std::vector<uint64_t> map_addrs;
    for (const MapDef& def : obj->maps) {
      auto m = create_map(def.spec);
      if (!m) return m.take_error();
      map_addrs.push_back(reinterpret_cast<uint64_t>(m->get()));
      inst->env_.maps.push_back(*m);
      inst->maps_.emplace_back(def.spec.name, *m);
    }
    std::vector<uint64_t> data_addrs;
    for (const DataImage& img : obj->data) {
      auto& buf = inst->data_.emplace_back((img.bytes.size() + 7) / 8 + 1);
      std::copy(img.bytes.begin(), img.bytes.end(), reinterpret_cast<uint8_t*>(buf.data()));
      auto start = reinterpret_cast<uint64_t>(buf.data());
      data_addrs.push_back(start);
      inst->data_regions_.push_back(MemRegion{start, start + img.bytes.size(), !img.readonly});
    }
    for (LoadedProgram& p : obj->programs) bind_lddw_refs(p, map_addrs, data_addrs);
    times.load_s += thread_seconds() - t0;
    std::sort(inst->maps_.begin(), inst->maps_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });

    // Every program of the object on the engine (tail-call targets included).
    for (const LoadedProgram& p : obj->programs) {
      std::vector<uint8_t> flags;
      if (verified_engine(e)) {
        VerifyRequest req;
        req.insns = &p.insns;
        req.type = p.type;
        req.ctx_rewritten = true;
        if (p.type != nullptr && p.type->model == CtxModel::kMemBuffer) req.mem_size = mem_size;
        for (const MapDef& def : obj->maps) req.maps.push_back(VerifyMap{def.spec, false});
        for (const DataImage& img : obj->data) {
          MapSpec s;
          s.type = MapType::kArray;
          s.name = img.name;
          s.key_size = 4;
          s.value_size = static_cast<uint32_t>(std::max<size_t>(img.bytes.size(), 1));
          s.max_entries = 1;
          req.maps.push_back(VerifyMap{s, img.readonly});
        }
        for (const LddwRef& r : p.lddw_refs) {
          VerifyRef v;
          v.slot = r.slot;
          switch (r.kind) {
            case LddwRefKind::kMap:
              v.kind = VerifyRef::kMap;
              v.map = r.index;
              break;
            case LddwRefKind::kMapValue:
              v.kind = VerifyRef::kMapValue;
              v.map = static_cast<uint32_t>(obj->maps.size()) + r.index;
              v.offset = static_cast<uint32_t>(r.offset);
              break;
            case LddwRefKind::kCode:
              v.kind = VerifyRef::kCode;
              v.offset = static_cast<uint32_t>(r.offset);
              break;
          }
          req.refs.push_back(v);
        }
        VerifyOutcome v = verify_program(req);
        times.verify_s += v.seconds;
        if (!v.available) return make_error(ErrorCode::kUnsupported, "no verifier is built");
        if (!v.accepted) {
          return make_error(ErrorCode::kUnsupported,
                            fmt::format("verifier refuses {}: {}", p.name, v.error));
        }
        flags = std::move(v.insn_flags);
      }
      auto exe = prepare_bpf(p.insns, e, flags, spec.name + ":" + p.name, times);
      if (!exe) return exe.take_error();
      inst->programs_.emplace_back(p.name, std::move(*exe));
    }
    inst->entry_ = inst->find(spec.entry);
    if (inst->entry_ == nullptr) {
      return make_error(ErrorCode::kNotFound,
                        fmt::format("{}: no program {}", spec.name, spec.entry));
    }
    if (!spec.prog_array.empty()) {
      BpfMap* pa = inst->map(spec.prog_array);
      if (pa == nullptr || pa->type() != MapType::kProgArray) {
        return make_error(ErrorCode::kNotFound,
                          fmt::format("{}: no prog_array {}", spec.name, spec.prog_array));
      }
      for (const auto& [slot, fn] : spec.tail_slots) {
        const Executable* target = inst->find(fn);
        if (target == nullptr || static_cast<ProgArrayMap*>(pa)->set(slot, target) != 0) {
          return make_error(ErrorCode::kNotFound,
                            fmt::format("{}: cannot put {} at slot {}", spec.name, fn, slot));
        }
      }
    }
    inst->env_.name = spec.name;
    const LoadedProgram* entry_prog = nullptr;
    for (const LoadedProgram& p : obj->programs) {
      if (p.name == spec.entry) entry_prog = &p;
    }
    inst->env_.type = entry_prog->type;
    inst->map_regions_ = inst->env_.map_regions();
    return std::unique_ptr<ProgInstance>(std::move(inst));
  }

  std::unique_ptr<RunSlot> make_slot() override {
    auto s = std::make_unique<RunSlot>();
    s->stack.resize(kStackSize);
    s->regions.resize(2);
    s->regions[1] = MemRegion{reinterpret_cast<uint64_t>(&s->xdp),
                              reinterpret_cast<uint64_t>(&s->xdp) + sizeof(XdpCtx), false};
    s->regions.insert(s->regions.end(), map_regions_.begin(), map_regions_.end());
    s->regions.insert(s->regions.end(), data_regions_.begin(), data_regions_.end());
    s->host.set_program(&env_);
    s->ctx.stack = s->stack.data();
    s->ctx.regions = s->regions.data();
    s->ctx.region_count = static_cast<uint32_t>(s->regions.size());
    s->ctx.helpers = bench_helpers().fns();
    s->ctx.host = &s->host;
    s->ctx.tail_resolve = &tail_resolve;
    return s;
  }

  Result<uint64_t> run_mem(RunSlot& s, uint8_t* buf, uint64_t len) override {
    auto start = reinterpret_cast<uint64_t>(buf);
    s.regions[0] = MemRegion{start, start + len, true};
    return run_chain(s, start, len);
  }

  Result<uint64_t> run_xdp(RunSlot& s, std::span<uint8_t> frame) override {
    auto start = reinterpret_cast<uint64_t>(frame.data());
    s.regions[0] = MemRegion{start, start + frame.size(), true};
    s.xdp.data = start;
    s.xdp.data_end = start + frame.size();
    s.xdp.data_meta = start;
    s.xdp.ingress_ifindex = 1;
    auto r0 = run_chain(s, reinterpret_cast<uint64_t>(&s.xdp), 0);
    if (!r0) return r0;
    return *r0 & 0xffffffffu;
  }

  const MapList& maps() const override { return maps_; }

 private:
  BpfInstance() = default;

  const Executable* find(const std::string& fn) const {
    for (const auto& [name, exe] : programs_) {
      if (name == fn) return exe.get();
    }
    return nullptr;
  }

  // As the runtime's: the JIT continues a tail call into code of its own mode in place.
  // The slots hold Executables; the programs of an object share the helpers and the env.
  static const Executable* tail_resolve(RunContext* ctx, const Executable* from) {
    const auto* to = static_cast<const Executable*>(ctx->tail_call_target);
    if (!jit_can_tail_jump(*from, *to)) return nullptr;
    ctx->tail_call_target = nullptr;
    return to;
  }

  // Runs the entry program and follows tail calls, as the runtime does.
  Result<uint64_t> run_chain(RunSlot& s, uint64_t r1, uint64_t r2) {
    const Executable* exe = entry_;
    uint64_t r0 = 0;
    s.host.start_run();
    for (uint32_t n = 0;; ++n) {
      r0 = exe->run(s.ctx, r1, r2);
      if (s.ctx.trap.kind != TrapKind::kNone) {
        s.host.discard_reservations();
        return make_error(ErrorCode::kRuntime, s.ctx.trap.insn, s.ctx.trap.what());
      }
      if (s.ctx.tail_call_target == nullptr || n == kMaxTailCalls) break;
      exe = static_cast<const Executable*>(s.ctx.tail_call_target);
    }
    if (s.host.reservations_outstanding() != 0) s.host.discard_reservations();
    return r0;
  }

  ProgramEnv env_;
  MapList maps_;
  std::vector<std::vector<uint64_t>> data_;
  std::vector<MemRegion> data_regions_;
  std::vector<MemRegion> map_regions_;
  std::vector<std::pair<std::string, std::unique_ptr<Executable>>> programs_;
  const Executable* entry_ = nullptr;
};

// The native instance: the shim's map handles point at this instance's maps. Handles are
// globals of the native code, so one native instance of an object exists at a time.
class NativeInstance final : public ProgInstance {
 public:
  using XdpFn = int (*)(XdpCtx*);
  using MemFn = uint64_t (*)(uint8_t*, uint64_t);

  static Result<std::unique_ptr<ProgInstance>> create(const ProgObjectSpec& spec,
                                                      const char* cpu) {
    auto tables = native_tables(spec.name);
    if (!tables) return tables.take_error();
    // The BPF object says what the maps are; the native side gets maps of the same specs.
    auto obj = load_prog_object(spec, cpu);
    if (!obj) return obj.take_error();
    auto inst = std::unique_ptr<NativeInstance>(new NativeInstance());
    inst->tables_ = *tables;
    for (bench_map** h = tables->maps; *h != nullptr; ++h) {
      bench_map* handle = *h;
      const MapDef* def = nullptr;
      for (const MapDef& d : obj->maps) {
        if (d.spec.name == handle->name) def = &d;
      }
      if (def == nullptr) {
        return make_error(ErrorCode::kNotFound,
                          fmt::format("{}: the BPF object has no map {}", spec.name,
                                      handle->name));
      }
      if (def->spec.type == MapType::kProgArray) {
        inst->tail_targets_.assign(def->spec.max_entries, nullptr);
        for (const auto& [slot, fn] : spec.tail_slots) {
          void* f = native_fn(*tables, fn);
          if (f == nullptr || slot >= inst->tail_targets_.size()) {
            return make_error(ErrorCode::kNotFound,
                              fmt::format("{}: no native {} for slot {}", spec.name, fn, slot));
          }
          inst->tail_targets_[slot] = f;
        }
        inst->prog_array_ = handle;
        handle->impl = &inst->tail_targets_;
        continue;
      }
      auto m = create_map(def->spec);
      if (!m) return m.take_error();
      handle->impl = m->get();
      inst->handles_.push_back(handle);
      inst->maps_.emplace_back(def->spec.name, *m);
    }
    std::sort(inst->maps_.begin(), inst->maps_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    inst->entry_ = native_fn(*tables, spec.entry);
    if (inst->entry_ == nullptr) {
      return make_error(ErrorCode::kNotFound,
                        fmt::format("{}: no native function {}", spec.name, spec.entry));
    }
    return std::unique_ptr<ProgInstance>(std::move(inst));
  }

  ~NativeInstance() override {
    for (bench_map* h : handles_) h->impl = nullptr;
    if (prog_array_ != nullptr) prog_array_->impl = nullptr;
  }

  std::unique_ptr<RunSlot> make_slot() override { return std::make_unique<RunSlot>(); }

  Result<uint64_t> run_mem(RunSlot&, uint8_t* buf, uint64_t len) override {
    return reinterpret_cast<MemFn>(entry_)(buf, len);
  }

  Result<uint64_t> run_xdp(RunSlot& s, std::span<uint8_t> frame) override {
    auto start = reinterpret_cast<uint64_t>(frame.data());
    s.xdp.data = start;
    s.xdp.data_end = start + frame.size();
    s.xdp.data_meta = start;
    s.xdp.ingress_ifindex = 1;
    return static_cast<uint64_t>(reinterpret_cast<XdpFn>(entry_)(&s.xdp)) & 0xffffffffu;
  }

  const MapList& maps() const override { return maps_; }

 private:
  NativeInstance() = default;

  NativeTables tables_{};
  MapList maps_;
  std::vector<bench_map*> handles_;
  bench_map* prog_array_ = nullptr;
  std::vector<void*> tail_targets_;
  void* entry_ = nullptr;
};

}  // namespace

std::string prog_object_path(const std::string& name, const char* cpu) {
#ifdef BPFJIT_BENCH_PROGS_DIR
  return fmt::format("{}/{}.{}.o", BPFJIT_BENCH_PROGS_DIR, name, cpu);
#else
  return fmt::format("{}.{}.o", name, cpu);
#endif
}

BpfMap* ProgInstance::map(std::string_view name) const {
  for (const auto& [n, m] : maps()) {
    if (n == name) return m.get();
  }
  return nullptr;
}

Result<std::unique_ptr<ProgInstance>> make_prog_instance(const ProgObjectSpec& spec,
                                                         const char* cpu, Engine e,
                                                         std::optional<uint64_t> mem_size,
                                                         PrepTimes& times) {
  if (e == Engine::kNative) return NativeInstance::create(spec, cpu);
  return BpfInstance::create(spec, cpu, e, mem_size, times);
}

uint64_t maps_digest(const ProgInstance& inst) {
  uint64_t h = kDigestSeed;
  for (const auto& [name, m] : inst.maps()) {
    if (m->type() == MapType::kProgArray || m->type() == MapType::kRingbuf) continue;
    std::vector<std::string> entries;  // key bytes then value bytes
    m->for_each([&](const void* key, const void* value) {
      std::string e(static_cast<const char*>(key), m->key_size());
      e.append(static_cast<const char*>(value), m->host_value_size());
      entries.push_back(std::move(e));
      return true;
    });
    std::sort(entries.begin(), entries.end());
    for (char c : name) h = digest_mix(h, static_cast<uint8_t>(c));
    h = digest_mix(h, entries.size());
    for (const auto& e : entries) {
      for (char b : e) h = digest_mix(h, static_cast<uint8_t>(b));
    }
  }
  return h;
}

}  // namespace bpfjit::bench
