// The C API (bpfjit/bpfjit.h) over the C++ runtime API (bpfjit/runtime.h).
//
// Handles: bpfjit_runtime wraps a Runtime; bpfjit_object wraps an Object with one
// bpfjit_map per map (made at load); bpfjit_program is a Program* in disguise (the object
// owns it); host-created maps are heap bpfjit_map that hold their Map. Every call that
// returns a bpfjit_error records the outcome in the calling thread's last error, and no
// exception crosses into C.
#include "runtime/loader/btf_relo.h"
#include "bpfjit/bpfjit.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "bpfjit/runtime.h"

struct bpfjit_runtime {
  bpfjit::Runtime rt;
};

struct bpfjit_map {
  bpfjit::Map* map = nullptr;
  std::shared_ptr<bpfjit::Map> keep;  // the map itself, so reuse_maps can share it
  bool owned_by_object = false;
};

struct bpfjit_object {
  std::unique_ptr<bpfjit::Object> obj;
  std::vector<bpfjit::Program*> programs;
  std::vector<std::unique_ptr<bpfjit_map>> maps;
};

struct bpfjit_verify_report {
  bpfjit::VerifyReport report;
};

namespace {

using bpfjit::ErrorCode;

static_assert(static_cast<int>(ErrorCode::kNoSpace) + 1 == BPFJIT_ERR_NO_SPACE,
              "bpfjit_error mirrors bpfjit::ErrorCode plus one");
static_assert(static_cast<int>(ErrorCode::kInvalidArgument) + 1 == BPFJIT_ERR_INVALID_ARGUMENT);
static_assert(static_cast<int>(bpfjit::ArgKind::kPtrToUninitMapValue) ==
              BPFJIT_ARG_PTR_TO_UNINIT_MAP_VALUE);
static_assert(static_cast<int>(bpfjit::RetKind::kPtrToRingbufMemOrNull) ==
              BPFJIT_RET_PTR_TO_RINGBUF_MEM_OR_NULL);
static_assert(static_cast<int>(bpfjit::CtxFieldKind::kPacketMeta) ==
              BPFJIT_CTX_FIELD_PACKET_META);
static_assert(static_cast<int>(bpfjit::CtxModel::kStruct) == BPFJIT_CTX_STRUCT);
static_assert(static_cast<int>(bpfjit::LogLevel::kOff) == BPFJIT_LOG_OFF);
static_assert(static_cast<int>(bpfjit::EngineKind::kJit) == BPFJIT_ENGINE_JIT);
static_assert(static_cast<int>(bpfjit::Safety::kChecked) == BPFJIT_SAFETY_CHECKED);
static_assert(static_cast<int>(bpfjit::Redirect::Kind::kXsk) == BPFJIT_REDIRECT_XSK);
static_assert(static_cast<int>(bpfjit::RouteType::kProhibit) == 4);
static_assert(static_cast<uint32_t>(bpfjit::MapType::kRingbuf) == BPFJIT_MAP_RINGBUF);
static_assert(static_cast<uint32_t>(bpfjit::MapType::kCgrpStorage) == BPFJIT_MAP_CGRP_STORAGE);
static_assert(static_cast<uint32_t>(bpfjit::MapType::kPerfEventArray) ==
              BPFJIT_MAP_PERF_EVENT_ARRAY);
static_assert(bpfjit::kBpfNoExist == BPFJIT_NOEXIST && bpfjit::kBpfExist == BPFJIT_EXIST);
static_assert(bpfjit::kNoInsn == BPFJIT_NO_INSN);

struct LastError {
  bpfjit_error code = BPFJIT_OK;
  uint32_t insn = BPFJIT_NO_INSN;
  std::string message;
};
thread_local LastError t_last;

bpfjit_error to_c(ErrorCode code) { return static_cast<bpfjit_error>(static_cast<int>(code) + 1); }

bpfjit_error succeed() {
  t_last.code = BPFJIT_OK;
  t_last.insn = BPFJIT_NO_INSN;
  t_last.message.clear();
  return BPFJIT_OK;
}

bpfjit_error fail(const bpfjit::Diagnostic& d) {
  t_last.code = to_c(d.code);
  t_last.insn = d.insn;
  t_last.message = d.to_string();
  return t_last.code;
}

bpfjit_error fail(bpfjit_error code, std::string message) {
  t_last.code = code;
  t_last.insn = BPFJIT_NO_INSN;
  t_last.message = std::move(message);
  return code;
}

bpfjit_error null_argument(const char* what) {
  return fail(BPFJIT_ERR_INVALID_ARGUMENT, std::string(what) + " is null");
}

// Runs `fn` (which returns a bpfjit_error) so that no exception reaches C.
template <typename Fn>
bpfjit_error guarded(Fn&& fn) noexcept {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return fail(BPFJIT_ERR_NO_SPACE, "out of memory");
  } catch (const std::exception& e) {
    return fail(BPFJIT_ERR_RUNTIME, std::string("unexpected failure: ") + e.what());
  }
}

bpfjit_error from(const bpfjit::Result<void>& r) { return r ? succeed() : fail(r.error()); }

bpfjit::Program* cpp(bpfjit_program* p) { return reinterpret_cast<bpfjit::Program*>(p); }
const bpfjit::Program* cpp(const bpfjit_program* p) {
  return reinterpret_cast<const bpfjit::Program*>(p);
}
bpfjit_program* c_program(bpfjit::Program* p) { return reinterpret_cast<bpfjit_program*>(p); }
bpfjit::RunContext* cpp(bpfjit_run_context* c) { return reinterpret_cast<bpfjit::RunContext*>(c); }

std::span<const uint8_t> in_bytes(const void* p, size_t n) {
  return {static_cast<const uint8_t*>(p), p == nullptr ? 0 : n};
}
std::span<uint8_t> out_bytes(void* p, size_t n) {
  return {static_cast<uint8_t*>(p), p == nullptr ? 0 : n};
}

bpfjit::RunOptions run_options(const bpfjit_run_options* opts) {
  bpfjit::RunOptions ro;
  if (opts == nullptr) return ro;
  if (opts->budget != 0) ro.budget = opts->budget;
  ro.user_data = opts->user_data;
  if (opts->ifindex != 0) ro.ifindex = opts->ifindex;
  ro.rx_queue = opts->rx_queue;
  ro.protocol = opts->protocol;
  ro.mark = opts->mark;
  if (opts->has_cpu) ro.cpu = opts->cpu;
  return ro;
}

bpfjit::PrepareOptions prepare_options(const bpfjit_prepare_options* o) {
  bpfjit::PrepareOptions po;
  if (o == nullptr) return po;
  po.engine = static_cast<bpfjit::EngineKind>(o->engine);
  po.safety = static_cast<bpfjit::Safety>(o->safety);
  if (o->has_mem_size) po.mem_size = o->mem_size;
  po.verifier_log = o->verifier_log;
  if (o->complexity_limit != 0) po.complexity_limit = o->complexity_limit;
  po.harden = o->harden;
  if (o->verifier_time_limit_ms == UINT64_MAX) {
    po.verifier_time_limit_ms = 0;
  } else if (o->verifier_time_limit_ms != 0) {
    po.verifier_time_limit_ms = o->verifier_time_limit_ms;
  }
  if (o->verifier_memory_limit == UINT64_MAX) {
    po.verifier_memory_limit = 0;
  } else if (o->verifier_memory_limit != 0) {
    po.verifier_memory_limit = o->verifier_memory_limit;
  }
  return po;
}

// True when `v` is one of the listed values of its enum, first..last.
template <typename E>
bool in_range(E v, E first, E last) {
  return static_cast<int>(v) >= static_cast<int>(first) &&
         static_cast<int>(v) <= static_cast<int>(last);
}

bool valid_prepare_options(const bpfjit_prepare_options* o) {
  return o == nullptr || (in_range(o->engine, BPFJIT_ENGINE_AUTO, BPFJIT_ENGINE_JIT) &&
                          in_range(o->safety, BPFJIT_SAFETY_VERIFIED, BPFJIT_SAFETY_CHECKED));
}

bool valid_proto(const bpfjit_helper_proto& p) {
  bool ok = in_range(p.ret, BPFJIT_RET_INTEGER, BPFJIT_RET_PTR_TO_RINGBUF_MEM_OR_NULL);
  for (bpfjit_arg_kind a : p.args) {
    ok = ok && in_range(a, BPFJIT_ARG_NONE, BPFJIT_ARG_PTR_TO_UNINIT_MAP_VALUE);
  }
  return ok;
}

bool valid_type(const bpfjit_program_type& t) {
  bool ok = in_range(t.model, BPFJIT_CTX_MEM_BUFFER, BPFJIT_CTX_STRUCT);
  for (size_t i = 0; i < t.field_count; ++i) {
    ok = ok && in_range(t.fields[i].kind, BPFJIT_CTX_FIELD_SCALAR, BPFJIT_CTX_FIELD_PACKET_META);
  }
  return ok;
}

bpfjit::LogLevel log_level(bpfjit_log_level level) {
  return in_range(level, BPFJIT_LOG_TRACE, BPFJIT_LOG_OFF) ? static_cast<bpfjit::LogLevel>(level)
                                                            : bpfjit::LogLevel::kInfo;
}

bpfjit_error load(bpfjit_runtime* rt, const bpfjit_load_settings* settings,
                  bpfjit_object** out, const auto& do_load) {
  bpfjit::LoadSettings s;
  if (settings != nullptr) {
    if (settings->program_type != nullptr) s.program_type = settings->program_type;
    if (settings->target_btf != nullptr) s.target_btf = settings->target_btf;
    if (settings->kconfig_file != nullptr) {
      auto cfg = bpfjit::read_kconfig_file(settings->kconfig_file);
      if (!cfg) return fail(cfg.error());
      s.kconfig = std::move(cfg).value();
    }
    if (settings->reuse_map_count != 0 && settings->reuse_maps == nullptr) {
      return null_argument("reuse_maps");
    }
    for (size_t i = 0; i < settings->reuse_map_count; ++i) {
      const bpfjit_map* m = settings->reuse_maps[i];
      if (m == nullptr) return null_argument("a map of reuse_maps");
      s.reuse_maps.push_back(m->keep);
    }
  }
  bpfjit::Result<std::unique_ptr<bpfjit::Object>> r = do_load(rt->rt, s);
  if (!r) return fail(r.error());
  auto obj = std::make_unique<bpfjit_object>();
  obj->obj = std::move(*r);
  obj->programs = obj->obj->programs();
  for (bpfjit::Map* m : obj->obj->maps()) {
    auto h = std::make_unique<bpfjit_map>();
    h->map = m;
    h->keep = obj->obj->shared_map(m->name());
    h->owned_by_object = true;
    obj->maps.push_back(std::move(h));
  }
  *out = obj.release();
  return succeed();
}

bpfjit_error consume_with(bpfjit_map* map, bpfjit_record_fn fn, void* user, size_t* consumed,
                          const auto& do_consume) {
  if (map == nullptr) return null_argument("map");
  if (fn == nullptr) return null_argument("fn");
  auto r = do_consume(*map->map, [&](std::span<const uint8_t> record) {
    return fn(user, record.data(), record.size());
  });
  if (!r) return fail(r.error());
  if (consumed != nullptr) *consumed = *r;
  return succeed();
}

}  // namespace

extern "C" {

const char* bpfjit_error_name(bpfjit_error code) {
  if (code == BPFJIT_OK) return "ok";
  if (code < BPFJIT_ERR_INVALID_ARGUMENT || code > BPFJIT_ERR_NO_SPACE) return "unknown";
  return bpfjit::error_code_name(static_cast<ErrorCode>(code - 1));
}
bpfjit_error bpfjit_last_error_code(void) { return t_last.code; }
const char* bpfjit_last_error_message(void) { return t_last.message.c_str(); }
uint32_t bpfjit_last_error_insn(void) { return t_last.insn; }
const char* bpfjit_version(void) { return bpfjit::version(); }

void bpfjit_set_log_sink(bpfjit_log_fn fn, void* user, bpfjit_log_level level) {
  bpfjit::LogLevel lvl = log_level(level);
  if (fn == nullptr) {
    bpfjit::set_log_sink(nullptr, lvl);
    return;
  }
  bpfjit::set_log_sink(
      [fn, user](bpfjit::LogLevel l, std::string_view message) {
        std::string line(message);
        fn(user, static_cast<bpfjit_log_level>(l), line.c_str());
      },
      lvl);
}
void bpfjit_set_log_level(bpfjit_log_level level) {
  bpfjit::set_log_level(log_level(level));
}

// --- runtime ---------------------------------------------------------------------------

bpfjit_error bpfjit_runtime_create(bpfjit_runtime** out) {
  if (out == nullptr) return null_argument("out");
  return guarded([&] {
    *out = new bpfjit_runtime();
    return succeed();
  });
}
void bpfjit_runtime_destroy(bpfjit_runtime* rt) { delete rt; }

bpfjit_error bpfjit_runtime_register_helper(bpfjit_runtime* rt,
                                            const bpfjit_helper_proto* proto) {
  if (rt == nullptr) return null_argument("runtime");
  if (proto == nullptr) return null_argument("proto");
  if (proto->fn == nullptr) return null_argument("proto.fn");
  if (!valid_proto(*proto)) {
    return fail(BPFJIT_ERR_INVALID_ARGUMENT, "unknown ret or argument kind in the prototype");
  }
  return guarded([&] {
    bpfjit::HelperProto p;
    p.id = proto->id;
    p.name = proto->name != nullptr ? proto->name : "";
    // Same ABI: five u64 and a pointer to the run's state, returning u64.
    p.fn = reinterpret_cast<bpfjit::HelperFn>(proto->fn);
    p.ret = static_cast<bpfjit::RetKind>(proto->ret);
    for (size_t i = 0; i < 5; ++i) p.args[i] = static_cast<bpfjit::ArgKind>(proto->args[i]);
    p.general = proto->general;
    return from(rt->rt.register_helper(std::move(p)));
  });
}

uint8_t* bpfjit_helper_memory(bpfjit_run_context* ctx, uint64_t addr, uint64_t size,
                              bool write) {
  return bpfjit::helper_memory(cpp(ctx), addr, size, write);
}
void* bpfjit_helper_user_data(bpfjit_run_context* ctx) {
  return bpfjit::helper_user_data(cpp(ctx));
}
void bpfjit_helper_fail(bpfjit_run_context* ctx) { bpfjit::helper_fail(cpp(ctx)); }

bpfjit_error bpfjit_runtime_register_program_type(bpfjit_runtime* rt,
                                                  const bpfjit_program_type* type) {
  if (rt == nullptr) return null_argument("runtime");
  if (type == nullptr) return null_argument("type");
  if (type->name == nullptr) return null_argument("type.name");
  if (type->field_count != 0 && type->fields == nullptr) return null_argument("type.fields");
  if (type->extra_helper_count != 0 && type->extra_helpers == nullptr) {
    return null_argument("type.extra_helpers");
  }
  if (!valid_type(*type)) {
    return fail(BPFJIT_ERR_INVALID_ARGUMENT, "unknown context model or field kind in the type");
  }
  return guarded([&] {
    bpfjit::ProgramType t;
    t.name = type->name;
    t.model = static_cast<bpfjit::CtxModel>(type->model);
    t.ctx_size = type->ctx_size;
    for (size_t i = 0; i < type->field_count; ++i) {
      const bpfjit_ctx_field& f = type->fields[i];
      bpfjit::CtxField cf;
      cf.name = f.name != nullptr ? f.name : "";
      cf.offset = f.offset;
      cf.size = f.size;
      cf.readable = f.readable;
      cf.writable = f.writable;
      cf.kind = static_cast<bpfjit::CtxFieldKind>(f.kind);
      if (f.shadow_size != 0) {
        cf.shadow_offset = f.shadow_offset;
        cf.shadow_size = f.shadow_size;
      }
      t.fields.push_back(std::move(cf));
    }
    t.narrow_loads = type->narrow_loads;
    t.extra_helpers.assign(type->extra_helpers, type->extra_helpers + type->extra_helper_count);
    t.packet_loads = type->packet_loads;
    t.shadow_size = type->shadow_size;
    return from(rt->rt.register_program_type(std::move(t)));
  });
}

bpfjit_error bpfjit_runtime_allow_helper(bpfjit_runtime* rt, const char* type_name,
                                         uint32_t id) {
  if (rt == nullptr) return null_argument("runtime");
  if (type_name == nullptr) return null_argument("type_name");
  return guarded([&] { return from(rt->rt.allow_helper(type_name, id)); });
}

// --- the host environment -----------------------------------------------------------------

bpfjit_error bpfjit_runtime_set_time_ns(bpfjit_runtime* rt, uint64_t ns) {
  if (rt == nullptr) return null_argument("runtime");
  rt->rt.host().set_time_ns(ns);
  return succeed();
}

bpfjit_error bpfjit_runtime_advance_time_ns(bpfjit_runtime* rt, uint64_t ns) {
  if (rt == nullptr) return null_argument("runtime");
  rt->rt.host().advance_time_ns(ns);
  return succeed();
}

bpfjit_error bpfjit_runtime_set_boot_offset_ns(bpfjit_runtime* rt, uint64_t ns) {
  if (rt == nullptr) return null_argument("runtime");
  rt->rt.host().set_boot_offset_ns(ns);
  return succeed();
}

bpfjit_error bpfjit_runtime_use_real_clock(bpfjit_runtime* rt) {
  if (rt == nullptr) return null_argument("runtime");
  rt->rt.host().use_real_clock();
  return succeed();
}

bpfjit_error bpfjit_runtime_set_prandom_seed(bpfjit_runtime* rt, uint64_t seed) {
  if (rt == nullptr) return null_argument("runtime");
  rt->rt.host().set_prandom_seed(seed);
  return succeed();
}

bpfjit_error bpfjit_runtime_set_map_memory_limit(bpfjit_runtime* rt, uint64_t bytes) {
  if (rt == nullptr) return null_argument("runtime");
  rt->rt.set_map_memory_limit(bytes);
  return succeed();
}

uint64_t bpfjit_runtime_map_memory_used(const bpfjit_runtime* rt) {
  return rt == nullptr ? 0 : rt->rt.map_memory_used();
}

bpfjit_error bpfjit_runtime_set_network(bpfjit_runtime* rt, const bpfjit_net_device* devices,
                                        size_t device_count, const bpfjit_route* routes,
                                        size_t route_count, const bpfjit_neighbour* neighbours,
                                        size_t neighbour_count) {
  if (rt == nullptr) return null_argument("runtime");
  if (devices == nullptr && device_count != 0) return null_argument("devices");
  if (routes == nullptr && route_count != 0) return null_argument("routes");
  if (neighbours == nullptr && neighbour_count != 0) return null_argument("neighbours");
  for (size_t i = 0; i < route_count; ++i) {
    if (routes[i].type > static_cast<uint8_t>(bpfjit::RouteType::kProhibit) ||
        routes[i].prefix_len > (routes[i].ipv6 ? 128 : 32)) {
      return fail(BPFJIT_ERR_INVALID_ARGUMENT,
                  "route " + std::to_string(i) + ": unknown type or prefix length too long");
    }
  }
  return guarded([&] {
    bpfjit::HostNetwork net;
    net.devices.clear();
    for (size_t i = 0; i < device_count; ++i) {
      const bpfjit_net_device& d = devices[i];
      bpfjit::NetDevice nd;
      nd.ifindex = d.ifindex;
      nd.mtu = d.mtu;
      std::memcpy(nd.mac.data(), d.mac, 6);
      nd.forwarding = d.forwarding;
      std::memcpy(nd.ipv4.data(), d.ipv4, 4);
      std::memcpy(nd.ipv6.data(), d.ipv6, 16);
      net.devices.push_back(nd);
    }
    for (size_t i = 0; i < route_count; ++i) {
      const bpfjit_route& r = routes[i];
      bpfjit::Route nr;
      nr.ipv6 = r.ipv6;
      std::memcpy(nr.prefix.data(), r.prefix, 16);
      nr.prefix_len = r.prefix_len;
      nr.type = static_cast<bpfjit::RouteType>(r.type);
      nr.ifindex = r.ifindex;
      nr.has_gateway = r.has_gateway;
      std::memcpy(nr.gateway.data(), r.gateway, 16);
      nr.mtu = r.mtu;
      nr.metric = r.metric;
      nr.table = r.table != 0 ? r.table : 254;
      std::memcpy(nr.prefsrc.data(), r.prefsrc, 16);
      net.routes.push_back(nr);
    }
    for (size_t i = 0; i < neighbour_count; ++i) {
      const bpfjit_neighbour& n = neighbours[i];
      bpfjit::Neighbour nn;
      nn.ifindex = n.ifindex;
      nn.ipv6 = n.ipv6;
      std::memcpy(nn.addr.data(), n.addr, 16);
      std::memcpy(nn.mac.data(), n.mac, 6);
      net.neighbours.push_back(nn);
    }
    rt->rt.host().set_network(std::move(net));
    return succeed();
  });
}

bool bpfjit_runtime_has_helper(const bpfjit_runtime* rt, uint32_t id) {
  return rt != nullptr && rt->rt.helper(id) != nullptr;
}

bpfjit_error bpfjit_runtime_set_trace_sink(bpfjit_runtime* rt, bpfjit_trace_fn fn, void* user) {
  if (rt == nullptr) return null_argument("runtime");
  return guarded([&] {
    if (fn == nullptr) {
      rt->rt.set_trace_sink(nullptr);
    } else {
      rt->rt.set_trace_sink([fn, user](std::string_view program, std::string_view line) {
        std::string p(program);
        std::string l(line);
        fn(user, p.c_str(), l.c_str());
      });
    }
    return succeed();
  });
}

// --- loading ---------------------------------------------------------------------------

bpfjit_error bpfjit_load_file(bpfjit_runtime* rt, const char* path,
                              const bpfjit_load_settings* settings, bpfjit_object** out) {
  if (rt == nullptr) return null_argument("runtime");
  if (path == nullptr) return null_argument("path");
  if (out == nullptr) return null_argument("out");
  return guarded([&] {
    return load(rt, settings, out, [&](bpfjit::Runtime& r, const bpfjit::LoadSettings& s) {
      return r.load_file(path, s);
    });
  });
}

bpfjit_error bpfjit_load_bytes(bpfjit_runtime* rt, const void* bytes, size_t size,
                               const bpfjit_load_settings* settings, bpfjit_object** out) {
  if (rt == nullptr) return null_argument("runtime");
  if (bytes == nullptr && size != 0) return null_argument("bytes");
  if (out == nullptr) return null_argument("out");
  return guarded([&] {
    return load(rt, settings, out, [&](bpfjit::Runtime& r, const bpfjit::LoadSettings& s) {
      return r.load_bytes(in_bytes(bytes, size), s);
    });
  });
}

void bpfjit_object_destroy(bpfjit_object* obj) { delete obj; }

// --- objects ---------------------------------------------------------------------------

size_t bpfjit_object_program_count(const bpfjit_object* obj) {
  return obj == nullptr ? 0 : obj->programs.size();
}
bpfjit_program* bpfjit_object_program_at(const bpfjit_object* obj, size_t index) {
  if (obj == nullptr || index >= obj->programs.size()) return nullptr;
  return c_program(obj->programs[index]);
}
bpfjit_error bpfjit_object_program(const bpfjit_object* obj, const char* name,
                                   bpfjit_program** out) {
  if (obj == nullptr) return null_argument("object");
  if (name == nullptr) return null_argument("name");
  if (out == nullptr) return null_argument("out");
  return guarded([&] {
    bpfjit::Program* p = obj->obj->program(name);
    if (p == nullptr) {
      return fail(BPFJIT_ERR_NOT_FOUND, std::string("no program or section '") + name + "'");
    }
    *out = c_program(p);
    return succeed();
  });
}

size_t bpfjit_object_map_count(const bpfjit_object* obj) {
  return obj == nullptr ? 0 : obj->maps.size();
}
bpfjit_map* bpfjit_object_map_at(const bpfjit_object* obj, size_t index) {
  if (obj == nullptr || index >= obj->maps.size()) return nullptr;
  return obj->maps[index].get();
}
bpfjit_error bpfjit_object_map(const bpfjit_object* obj, const char* name, bpfjit_map** out) {
  if (obj == nullptr) return null_argument("object");
  if (name == nullptr) return null_argument("name");
  if (out == nullptr) return null_argument("out");
  return guarded([&] {
    for (const auto& m : obj->maps) {
      if (m->map->name() == name) {
        *out = m.get();
        return succeed();
      }
    }
    return fail(BPFJIT_ERR_NOT_FOUND, std::string("no map '") + name + "'");
  });
}

bpfjit_error bpfjit_object_variable(const bpfjit_object* obj, const char* name, void** data,
                                    size_t* size) {
  if (obj == nullptr) return null_argument("object");
  if (name == nullptr) return null_argument("name");
  if (data == nullptr || size == nullptr) return null_argument("data or size");
  return guarded([&] {
    auto r = obj->obj->variable(name);
    if (!r) return fail(r.error());
    *data = r->data();
    *size = r->size();
    return succeed();
  });
}

bpfjit_error bpfjit_object_global_data(const bpfjit_object* obj, const char* name,
                                       void** data, size_t* size, bool* readonly) {
  if (obj == nullptr) return null_argument("object");
  if (name == nullptr) return null_argument("name");
  if (data == nullptr || size == nullptr) return null_argument("data or size");
  return guarded([&] {
    auto r = obj->obj->global_data(name);
    if (!r) return fail(r.error());
    *data = r->bytes.data();
    *size = r->bytes.size();
    if (readonly != nullptr) *readonly = r->readonly;
    return succeed();
  });
}

bpfjit_error bpfjit_object_set_tail_call(bpfjit_object* obj, const char* map_name,
                                         uint32_t index, const bpfjit_program* target) {
  if (obj == nullptr) return null_argument("object");
  if (map_name == nullptr) return null_argument("map_name");
  if (target == nullptr) return null_argument("target");
  return guarded([&] { return from(obj->obj->set_tail_call(map_name, index, *cpp(target))); });
}

bool bpfjit_object_has_btf(const bpfjit_object* obj) {
  return obj != nullptr && obj->obj->has_btf();
}

// --- programs --------------------------------------------------------------------------

const char* bpfjit_program_name(const bpfjit_program* prog) {
  return prog == nullptr ? "" : cpp(prog)->name().c_str();
}
const char* bpfjit_program_section(const bpfjit_program* prog) {
  return prog == nullptr ? "" : cpp(prog)->section().c_str();
}
const char* bpfjit_program_type_name(const bpfjit_program* prog) {
  return prog == nullptr ? "" : cpp(prog)->type().name.c_str();
}
size_t bpfjit_program_insn_count(const bpfjit_program* prog) {
  return prog == nullptr ? 0 : cpp(prog)->insn_count();
}

bpfjit_error bpfjit_program_verify(const bpfjit_program* prog,
                                   const bpfjit_prepare_options* opts,
                                   bpfjit_verify_report** out) {
  if (prog == nullptr) return null_argument("program");
  if (out == nullptr) return null_argument("out");
  if (!valid_prepare_options(opts)) {
    return fail(BPFJIT_ERR_INVALID_ARGUMENT, "unknown engine or safety in the options");
  }
  return guarded([&] {
    auto report = std::make_unique<bpfjit_verify_report>();
    report->report = cpp(prog)->verify(prepare_options(opts));
    *out = report.release();
    return succeed();
  });
}

bool bpfjit_verify_report_accepted(const bpfjit_verify_report* report) {
  return report != nullptr && report->report.accepted;
}
size_t bpfjit_verify_report_error_count(const bpfjit_verify_report* report) {
  return report == nullptr ? 0 : report->report.errors.size();
}
const char* bpfjit_verify_report_error_message(const bpfjit_verify_report* report,
                                               size_t index) {
  if (report == nullptr || index >= report->report.errors.size()) return nullptr;
  return report->report.errors[index].message.c_str();
}
uint32_t bpfjit_verify_report_error_insn(const bpfjit_verify_report* report, size_t index) {
  if (report == nullptr || index >= report->report.errors.size()) return BPFJIT_NO_INSN;
  return report->report.errors[index].insn;
}
const char* bpfjit_verify_report_log(const bpfjit_verify_report* report) {
  return report == nullptr ? "" : report->report.log.c_str();
}
uint64_t bpfjit_verify_report_insns_processed(const bpfjit_verify_report* report) {
  return report == nullptr ? 0 : report->report.insns_processed;
}
uint32_t bpfjit_verify_report_stack_depth(const bpfjit_verify_report* report) {
  return report == nullptr ? 0 : report->report.stack_depth;
}
uint64_t bpfjit_verify_report_peak_memory(const bpfjit_verify_report* report) {
  return report == nullptr ? 0 : report->report.peak_memory_bytes;
}
void bpfjit_verify_report_destroy(bpfjit_verify_report* report) { delete report; }

bpfjit_error bpfjit_program_prepare(bpfjit_program* prog, const bpfjit_prepare_options* opts) {
  if (prog == nullptr) return null_argument("program");
  if (!valid_prepare_options(opts)) {
    return fail(BPFJIT_ERR_INVALID_ARGUMENT, "unknown engine or safety in the options");
  }
  return guarded([&] { return from(cpp(prog)->prepare(prepare_options(opts))); });
}

bpfjit_error bpfjit_program_prepare_report(const bpfjit_program* prog,
                                           bpfjit_verify_report** out) {
  if (prog == nullptr) return null_argument("program");
  if (out == nullptr) return null_argument("out");
  return guarded([&] {
    const bpfjit::VerifyReport* r = cpp(prog)->verify_report();
    if (r == nullptr) {
      return fail(BPFJIT_ERR_NOT_FOUND,
                  "program " + cpp(prog)->name() + " was not verified by its last prepare");
    }
    auto report = std::make_unique<bpfjit_verify_report>();
    report->report = *r;
    *out = report.release();
    return succeed();
  });
}

bpfjit_error bpfjit_object_prepare_all(bpfjit_object* obj, const bpfjit_prepare_options* opts) {
  if (obj == nullptr) return null_argument("object");
  if (!valid_prepare_options(opts)) {
    return fail(BPFJIT_ERR_INVALID_ARGUMENT, "unknown engine or safety in the options");
  }
  return guarded([&] { return from(obj->obj->prepare_all(prepare_options(opts))); });
}

bool bpfjit_program_prepared(const bpfjit_program* prog) {
  return prog != nullptr && cpp(prog)->prepared();
}
const char* bpfjit_program_engine_name(const bpfjit_program* prog) {
  return prog == nullptr ? "unprepared" : cpp(prog)->engine_name();
}
bpfjit_safety bpfjit_program_safety(const bpfjit_program* prog) {
  return prog == nullptr ? BPFJIT_SAFETY_VERIFIED
                         : static_cast<bpfjit_safety>(cpp(prog)->safety());
}

bpfjit_error bpfjit_program_run(const bpfjit_program* prog, void* data, size_t size,
                                const bpfjit_run_options* opts, uint64_t* r0) {
  if (prog == nullptr) return null_argument("program");
  if (r0 == nullptr) return null_argument("r0");
  if (data == nullptr && size != 0) return null_argument("data");
  return guarded([&] {
    auto r = cpp(prog)->run(out_bytes(data, size), run_options(opts));
    if (!r) return fail(r.error());
    *r0 = *r;
    return succeed();
  });
}

bpfjit_error bpfjit_program_test_run(const bpfjit_program* prog, bpfjit_test_run* run) {
  if (prog == nullptr) return null_argument("program");
  if (run == nullptr) return null_argument("run");
  if (run->data_in == nullptr && run->data_size_in != 0) return null_argument("data_in");
  if (run->ctx_in == nullptr && run->ctx_size_in != 0) return null_argument("ctx_in");
  return guarded([&] {
    bpfjit::TestRunInput in;
    in.data = in_bytes(run->data_in, run->data_size_in);
    in.ctx = in_bytes(run->ctx_in, run->ctx_size_in);
    in.repeat = run->repeat;
    in.options = run_options(run->opts);
    auto r = cpp(prog)->test_run(in);
    if (!r) return fail(r.error());
    run->retval = r->retval;
    run->r0 = r->r0;
    run->duration_ns = r->duration_ns;
    run->redirect_kind = static_cast<bpfjit_redirect_kind>(r->redirect.kind);
    run->redirect_target = r->redirect.target;
    run->redirect_key = r->redirect.key;
    run->redirect_flags = r->redirect.flags;
    run->redirect_map = nullptr;
    if (!r->redirect.map.empty()) {
      // The name as the object's map holds it, so that the pointer outlives the call.
      for (bpfjit::Map* m : cpp(prog)->maps()) {
        if (m->name() == r->redirect.map) run->redirect_map = m->name().c_str();
      }
    }
    // As the kernel: copy what fits, report the whole size, ENOSPC when cut.
    bool cut = false;
    auto give = [&](const std::vector<uint8_t>& from, void* to, size_t& size) {
      const size_t n = to == nullptr ? 0 : std::min(size, from.size());
      if (n != 0) std::memcpy(to, from.data(), n);
      cut = cut || (to != nullptr && n < from.size());
      size = from.size();
    };
    give(r->data_out, run->data_out, run->data_size_out);
    give(r->ctx_out, run->ctx_out, run->ctx_size_out);
    if (cut) {
      return fail(BPFJIT_ERR_NO_SPACE,
                  "test run of " + cpp(prog)->name() + ": data_out (" +
                      std::to_string(r->data_out.size()) + " bytes) or ctx_out (" +
                      std::to_string(r->ctx_out.size()) + " bytes) did not fit its buffer");
    }
    return succeed();
  });
}

bpfjit_error bpfjit_program_get_stats(const bpfjit_program* prog, bpfjit_program_stats* out) {
  if (prog == nullptr) return null_argument("program");
  if (out == nullptr) return null_argument("out");
  bpfjit::ProgramStats s = cpp(prog)->stats();
  out->runs = s.runs;
  out->errors = s.errors;
  out->run_ns = s.run_ns;
  return succeed();
}

// --- maps ------------------------------------------------------------------------------

bpfjit_error bpfjit_runtime_create_map(bpfjit_runtime* rt, const bpfjit_map_spec* spec,
                                       bpfjit_map** out) {
  if (rt == nullptr) return null_argument("runtime");
  if (spec == nullptr) return null_argument("spec");
  if (out == nullptr) return null_argument("out");
  return guarded([&] {
    bpfjit::MapSpec s;
    s.type = static_cast<bpfjit::MapType>(spec->type);
    s.name = spec->name != nullptr ? spec->name : "";
    s.key_size = spec->key_size;
    s.value_size = spec->value_size;
    s.max_entries = spec->max_entries;
    s.flags = spec->flags;
    s.map_extra = spec->map_extra;
    if (spec->inner != nullptr) {
      auto inner = std::make_shared<bpfjit::MapSpec>();
      inner->type = static_cast<bpfjit::MapType>(spec->inner->type);
      inner->name = spec->inner->name != nullptr ? spec->inner->name : "";
      inner->key_size = spec->inner->key_size;
      inner->value_size = spec->inner->value_size;
      inner->max_entries = spec->inner->max_entries;
      inner->flags = spec->inner->flags;
      inner->map_extra = spec->inner->map_extra;
      s.inner = std::move(inner);
    }
    auto r = rt->rt.create_map(s);
    if (!r) return fail(r.error());
    auto h = std::make_unique<bpfjit_map>();
    h->keep = std::move(*r);
    h->map = h->keep.get();
    *out = h.release();
    return succeed();
  });
}

void bpfjit_map_destroy(bpfjit_map* map) {
  if (map != nullptr && !map->owned_by_object) delete map;
}

const char* bpfjit_map_name(const bpfjit_map* map) {
  return map == nullptr ? "" : map->map->name().c_str();
}
bpfjit_map_type bpfjit_map_get_type(const bpfjit_map* map) {
  return map == nullptr ? static_cast<bpfjit_map_type>(0)
                        : static_cast<bpfjit_map_type>(map->map->type());
}
uint32_t bpfjit_map_key_size(const bpfjit_map* map) {
  return map == nullptr ? 0 : map->map->key_size();
}
uint32_t bpfjit_map_value_size(const bpfjit_map* map) {
  return map == nullptr ? 0 : map->map->value_size();
}
uint32_t bpfjit_map_max_entries(const bpfjit_map* map) {
  return map == nullptr ? 0 : map->map->max_entries();
}
uint32_t bpfjit_map_value_bytes(const bpfjit_map* map) {
  return map == nullptr ? 0 : map->map->value_bytes();
}

bpfjit_error bpfjit_map_lookup(const bpfjit_map* map, const void* key, size_t key_size,
                               void* value, size_t value_size) {
  if (map == nullptr) return null_argument("map");
  if (key == nullptr && key_size != 0) return null_argument("key");
  if (value == nullptr && value_size != 0) return null_argument("value");
  return guarded([&] {
    return from(map->map->lookup(in_bytes(key, key_size), out_bytes(value, value_size)));
  });
}
bpfjit_error bpfjit_map_update(bpfjit_map* map, const void* key, size_t key_size,
                               const void* value, size_t value_size, uint64_t flags) {
  if (map == nullptr) return null_argument("map");
  if (key == nullptr && key_size != 0) return null_argument("key");
  if (value == nullptr && value_size != 0) return null_argument("value");
  return guarded([&] {
    return from(map->map->update(in_bytes(key, key_size), in_bytes(value, value_size), flags));
  });
}
bpfjit_error bpfjit_map_delete(bpfjit_map* map, const void* key, size_t key_size) {
  if (map == nullptr) return null_argument("map");
  if (key == nullptr && key_size != 0) return null_argument("key");
  return guarded([&] { return from(map->map->erase(in_bytes(key, key_size))); });
}
bpfjit_error bpfjit_map_next_key(const bpfjit_map* map, const void* key, size_t key_size,
                                 void* next_key, size_t next_key_size) {
  if (map == nullptr) return null_argument("map");
  if (next_key == nullptr && next_key_size != 0) return null_argument("next_key");
  return guarded([&] {
    auto r = map->map->next_key(in_bytes(key, key_size), out_bytes(next_key, next_key_size));
    if (!r) return fail(r.error());
    if (!*r) return fail(BPFJIT_ERR_NOT_FOUND, "no key after this one in map " + map->map->name());
    return succeed();
  });
}
bpfjit_error bpfjit_map_push(bpfjit_map* map, const void* value, size_t size, uint64_t flags) {
  if (map == nullptr) return null_argument("map");
  if (value == nullptr && size != 0) return null_argument("value");
  return guarded([&] { return from(map->map->push(in_bytes(value, size), flags)); });
}
bpfjit_error bpfjit_map_pop(bpfjit_map* map, void* value, size_t size) {
  if (map == nullptr) return null_argument("map");
  if (value == nullptr && size != 0) return null_argument("value");
  return guarded([&] { return from(map->map->pop(out_bytes(value, size))); });
}
bpfjit_error bpfjit_map_peek(const bpfjit_map* map, void* value, size_t size) {
  if (map == nullptr) return null_argument("map");
  if (value == nullptr && size != 0) return null_argument("value");
  return guarded([&] { return from(map->map->peek(out_bytes(value, size))); });
}

bpfjit_error bpfjit_map_consume(bpfjit_map* map, bpfjit_record_fn fn, void* user,
                                size_t* consumed) {
  return guarded([&] {
    return consume_with(map, fn, user, consumed, [](bpfjit::Map& m, const auto& each) {
      return m.consume(each);
    });
  });
}
bpfjit_error bpfjit_map_poll(bpfjit_map* map, int timeout_ms, bpfjit_record_fn fn, void* user,
                             size_t* consumed) {
  return guarded([&] {
    return consume_with(map, fn, user, consumed, [timeout_ms](bpfjit::Map& m, const auto& each) {
      return m.poll(timeout_ms, each);
    });
  });
}
uint64_t bpfjit_map_pending_bytes(const bpfjit_map* map) {
  return map == nullptr ? 0 : map->map->pending_bytes();
}

uint32_t bpfjit_map_id(const bpfjit_map* map) { return map == nullptr ? 0 : map->map->id(); }

bpfjit_error bpfjit_map_set_inner(bpfjit_map* map, const void* key, size_t key_size,
                                  const bpfjit_map* inner, uint64_t flags) {
  if (map == nullptr) return null_argument("map");
  if (key == nullptr && key_size != 0) return null_argument("key");
  if (inner == nullptr) return null_argument("inner");
  return guarded([&] {
    return from(map->map->set_inner(in_bytes(key, key_size), *inner->map, flags));
  });
}

bpfjit_error bpfjit_map_perf_open(bpfjit_map* map, uint32_t bytes_per_cpu) {
  if (map == nullptr) return null_argument("map");
  return guarded([&] { return from(map->map->open_perf_buffers(bytes_per_cpu)); });
}

bpfjit_error bpfjit_map_perf_poll(bpfjit_map* map, int timeout_ms, bpfjit_perf_record_fn fn,
                                  bpfjit_perf_lost_fn lost, void* user, size_t* consumed) {
  if (map == nullptr) return null_argument("map");
  if (fn == nullptr) return null_argument("fn");
  return guarded([&] {
    auto each = [&](uint32_t cpu, std::span<const uint8_t> rec) {
      return fn(user, cpu, rec.data(), rec.size());
    };
    bpfjit::Map::PerfLostFn on_lost;
    if (lost != nullptr) on_lost = [&](uint32_t cpu, uint64_t n) { lost(user, cpu, n); };
    auto r = map->map->perf_poll(timeout_ms, each, on_lost);
    if (!r) return fail(r.error());
    if (consumed != nullptr) *consumed = *r;
    return succeed();
  });
}

}  // extern "C"
