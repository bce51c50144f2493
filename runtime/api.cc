// The public runtime API (runtime/include/bpfjit/runtime.h): objects built from the
// loader's output, programs bound to their maps and global data, and the run loop.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include "bpfjit/runtime.h"
#include "helpers/helper_table.h"
#include "helpers/program_types.h"
#include "runtime/loader/loader.h"

namespace bpfjit {

// ---------------------------------------------------------------------------------------
// Impl structs

struct Runtime::Impl {
  HelperTable helpers = HelperTable::builtin();
  ProgramTypeRegistry types = ProgramTypeRegistry::builtin();
  TraceSink trace;
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
};

struct Program::Impl {
  Object* object = nullptr;
  LoadedProgram prog;
  ProgramEnv env;
  std::vector<HelperFn> helpers;  // the table the engine was prepared with
  std::unique_ptr<Executable> exec;
};

// ---------------------------------------------------------------------------------------
// Program

Program::Program(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Program::~Program() = default;

const std::string& Program::name() const { return impl_->prog.name; }
const std::string& Program::section() const { return impl_->prog.section; }
const ProgramType& Program::type() const { return *impl_->prog.type; }
std::span<const Insn> Program::insns() const { return impl_->prog.insns; }
std::span<const LddwRef> Program::lddw_refs() const { return impl_->prog.lddw_refs; }
Object& Program::object() const { return *impl_->object; }
bool Program::prepared() const { return impl_->exec != nullptr; }
const char* Program::engine_name() const {
  return impl_->exec ? impl_->exec->engine_name() : "unprepared";
}

std::vector<Map*> Program::maps() const {
  std::vector<Map*> out;
  for (const auto& m : impl_->env.maps) out.push_back(m.get());
  return out;
}

Result<void> Program::prepare(EngineKind kind) {
  Impl& p = *impl_;
  p.helpers = p.object->impl_->runtime->helpers().dense();
  EngineOptions opts;
  opts.kind = kind;
  opts.helpers = p.helpers;
  opts.name = p.prog.name;
  auto exec = prepare_engine(p.prog.insns, opts);
  if (!exec) {
    Diagnostic d = exec.take_error();
    d.message = fmt::format("program {}: {}", p.prog.name, d.message);
    return d;
  }
  p.exec = std::move(exec).value();
  return {};
}

Result<uint64_t> Program::run(std::span<uint8_t> data, const RunOptions& opts) const {
  const Impl& p = *impl_;
  if (!p.exec) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("program {} is not prepared", p.prog.name));
  }
  const Object::Impl& obj = *p.object->impl_;
  // The object's regions plus this run's input and context, on the stack when they fit.
  constexpr size_t kLocalRegions = 32;
  MemRegion local[kLocalRegions];
  std::vector<MemRegion> heap;
  MemRegion* regions = local;
  size_t region_count = 0;
  if (obj.regions.size() + 2 > kLocalRegions) {
    heap.resize(obj.regions.size() + 2);
    regions = heap.data();
  }
  auto add_region = [&](MemRegion r) { regions[region_count++] = r; };
  for (const MemRegion& r : obj.regions) add_region(r);

  const uint64_t start = reinterpret_cast<uint64_t>(data.data());
  const uint64_t end = start + data.size();
  XdpCtx xdp;
  SkBuffCtx skb;
  uint64_t r1 = 0;
  uint64_t r2 = 0;
  const ProgramType& type = *p.prog.type;
  if (!data.empty()) add_region(MemRegion{start, end, true});
  if (type.model == CtxModel::kMemBuffer) {
    r1 = start;
    r2 = data.size();
  } else if (&type == &xdp_program_type() || type.name == "xdp") {
    xdp.data = start;
    xdp.data_end = end;
    xdp.data_meta = start;
    xdp.ingress_ifindex = opts.ifindex;
    xdp.rx_queue_index = opts.rx_queue;
    r1 = reinterpret_cast<uint64_t>(&xdp);
    add_region(MemRegion{r1, r1 + sizeof(xdp), false});
  } else if (type.name == "socket_filter") {
    skb.data = start;
    skb.data_end = end;
    skb.len = static_cast<uint32_t>(data.size());
    skb.protocol = opts.protocol;
    skb.mark = opts.mark;
    skb.ifindex = opts.ifindex;
    skb.ingress_ifindex = opts.ifindex;
    r1 = reinterpret_cast<uint64_t>(&skb);
    add_region(MemRegion{r1, r1 + sizeof(skb), true});
  } else {
    // A host-registered type: the data is the context itself, in its shadow layout.
    const uint32_t size = type.shadow_size ? type.shadow_size : type.ctx_size;
    if (data.size() < size) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("program {}: type {} needs a {}-byte context, got {} bytes",
                                    p.prog.name, type.name, size, data.size()));
    }
    r1 = start;
  }

  alignas(16) uint8_t stack[kStackSize];
  std::memset(stack, 0, sizeof(stack));
  HostEnv env(&p.env);
  RunContext rc;
  rc.stack = stack;
  rc.regions = regions;
  rc.region_count = static_cast<uint32_t>(region_count);
  rc.budget = opts.budget;
  rc.helpers = p.helpers;
  rc.host = &env;

  const Program* cur = this;
  for (uint32_t tail = 0;; ++tail) {
    const Impl& c = *cur->impl_;
    rc.trap = Trap{};
    rc.tail_call_target = nullptr;
    rc.helpers = c.helpers;
    const uint64_t r0 = c.exec->run(rc, r1, r2);
    if (rc.trap.kind != TrapKind::kNone) {
      env.discard_reservations();
      return make_error(ErrorCode::kRuntime,
                        fmt::format("program {}: {}", c.prog.name, rc.trap.to_string()));
    }
    if (rc.tail_call_target == nullptr) {
      env.discard_reservations();
      return r0;
    }
    if (tail + 1 > kMaxTailCalls) {
      env.discard_reservations();
      return make_error(ErrorCode::kRuntime,
                        fmt::format("program {}: more than {} tail calls in one run",
                                    c.prog.name, kMaxTailCalls));
    }
    const Program* next = nullptr;
    for (const auto& q : obj.programs) {
      if (q.get() == rc.tail_call_target) next = q.get();
    }
    if (next == nullptr || !next->impl_->exec) {
      env.discard_reservations();
      return make_error(ErrorCode::kRuntime,
                        fmt::format("program {}: tail call to {}", c.prog.name,
                                    next ? next->name() + ", which is not prepared"
                                         : std::string("a program of another object")));
    }
    cur = next;
    env.set_program(&cur->impl_->env);
  }
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

Map* Object::map(std::string_view name) const {
  for (const auto& m : impl_->maps) {
    if (m->name() == name) return m.get();
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
    if (b.name == name) return GlobalData{b.name, std::span<uint8_t>(b.mem.get(), b.size),
                                          b.readonly};
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
  auto* progs = dynamic_cast<ProgArrayMap*>(m);
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

Result<void> Object::prepare_all(EngineKind kind) {
  for (const auto& p : impl_->programs) {
    if (auto r = p->prepare(kind); !r) return r;
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// Runtime

Runtime::Runtime() : impl_(std::make_unique<Impl>()) {}
Runtime::~Runtime() = default;

const HelperTable& Runtime::helpers() const { return impl_->helpers; }
const ProgramTypeRegistry& Runtime::program_types() const { return impl_->types; }
void Runtime::set_trace_sink(TraceSink sink) { impl_->trace = std::move(sink); }

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

Result<std::unique_ptr<Object>> Runtime::load_bytes(std::span<const uint8_t> bytes,
                                                    const LoadSettings& settings) {
  LoadOptions lopts;
  lopts.helpers = &impl_->helpers;
  lopts.types = &impl_->types;
  lopts.type_override = settings.program_type;
  auto loaded = load_object(bytes, lopts);
  if (!loaded) return loaded.take_error();
  LoadedObject& lo = *loaded;

  auto impl = std::make_unique<Object::Impl>();
  impl->runtime = this;
  impl->relocations = std::move(lo.relocations);
  impl->has_btf = lo.has_btf;
  std::vector<uint64_t> map_addrs;
  for (const MapDef& def : lo.maps) {
    auto m = create_map(def.spec);
    if (!m) {
      Diagnostic d = m.take_error();
      d.code = ErrorCode::kLoad;
      return d;
    }
    map_addrs.push_back(reinterpret_cast<uint64_t>(m->get()));
    for (const MemRegion& r : (*m)->regions()) impl->regions.push_back(r);
    impl->maps.push_back(std::move(m).value());
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
    bind_lddw_refs(lp, map_addrs, data_addrs);
    auto pimpl = std::make_unique<Program::Impl>();
    pimpl->object = object.get();
    pimpl->env.name = lp.name;
    pimpl->env.type = lp.type;
    pimpl->env.trace = impl_->trace;
    for (uint32_t mi : lp.maps) pimpl->env.maps.push_back(object->impl_->maps[mi]);
    pimpl->prog = std::move(lp);
    object->impl_->programs.push_back(std::unique_ptr<Program>(new Program(std::move(pimpl))));
  }
  return object;
}

}  // namespace bpfjit
