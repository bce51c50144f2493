// The built-in platforms. Context layouts and helper ids are the kernel's (<linux/bpf.h>:
// struct __sk_buff, struct xdp_md, struct bpf_sock, struct pt_regs on x86-64,
// enum bpf_func_id); the prototypes restate the kernel's bpf_func_proto argument kinds in
// our vocabulary (helpers/prototype.h).
#include "verifier/platform.h"

#include <algorithm>

#if BPFJIT_VERIFIER_HAVE_HELPERS
#include "helpers/helper_table.h"
#include "helpers/program_types.h"
#endif

namespace bpfjit::verifier {

namespace {

using A = ArgKind;
using R = RetKind;

HelperProto proto(uint32_t id, const char* name, RetKind ret, std::array<ArgKind, 5> args,
                  bool general) {
  HelperProto p;
  p.id = id;
  p.name = name;
  p.ret = ret;
  p.args = args;
  p.general = general;
  return p;
}

// The kernel helpers real programs use. `general` marks the base helpers every program
// type may call (bpf_base_func_proto); the rest are listed per type below.
std::vector<HelperProto> kernel_helpers() {
  const A N = A::kNone;
  return {
      proto(1, "map_lookup_elem", R::kPtrToMapValueOrNull, {A::kConstMapPtr, A::kPtrToMapKey, N, N, N}, true),
      proto(2, "map_update_elem", R::kInteger, {A::kConstMapPtr, A::kPtrToMapKey, A::kPtrToMapValue, A::kScalar, N}, true),
      proto(3, "map_delete_elem", R::kInteger, {A::kConstMapPtr, A::kPtrToMapKey, N, N, N}, true),
      proto(4, "probe_read", R::kInteger, {A::kPtrToUninitMem, A::kConstSizeOrZero, A::kAnything, N, N}, false),
      proto(5, "ktime_get_ns", R::kInteger, {N, N, N, N, N}, true),
      proto(6, "trace_printk", R::kInteger, {A::kPtrToMem, A::kConstSize, N, N, N}, true),
      proto(7, "get_prandom_u32", R::kInteger, {N, N, N, N, N}, true),
      proto(8, "get_smp_processor_id", R::kInteger, {N, N, N, N, N}, true),
      proto(9, "skb_store_bytes", R::kInteger, {A::kPtrToCtx, A::kScalar, A::kPtrToMem, A::kConstSize, A::kScalar}, false),
      proto(10, "l3_csum_replace", R::kInteger, {A::kPtrToCtx, A::kScalar, A::kScalar, A::kScalar, A::kScalar}, false),
      proto(11, "l4_csum_replace", R::kInteger, {A::kPtrToCtx, A::kScalar, A::kScalar, A::kScalar, A::kScalar}, false),
      proto(12, "tail_call", R::kVoid, {A::kPtrToCtx, A::kConstMapPtr, A::kScalar, N, N}, true),
      proto(13, "clone_redirect", R::kInteger, {A::kPtrToCtx, A::kScalar, A::kScalar, N, N}, false),
      proto(14, "get_current_pid_tgid", R::kInteger, {N, N, N, N, N}, false),
      proto(15, "get_current_uid_gid", R::kInteger, {N, N, N, N, N}, false),
      proto(16, "get_current_comm", R::kInteger, {A::kPtrToUninitMem, A::kConstSize, N, N, N}, false),
      proto(17, "get_cgroup_classid", R::kInteger, {A::kPtrToCtx, N, N, N, N}, false),
      proto(18, "skb_vlan_push", R::kInteger, {A::kPtrToCtx, A::kScalar, A::kScalar, N, N}, false),
      proto(19, "skb_vlan_pop", R::kInteger, {A::kPtrToCtx, N, N, N, N}, false),
      proto(23, "redirect", R::kInteger, {A::kScalar, A::kScalar, N, N, N}, false),
      proto(25, "perf_event_output", R::kInteger, {A::kPtrToCtx, A::kConstMapPtr, A::kScalar, A::kPtrToMem, A::kConstSizeOrZero}, false),
      proto(26, "skb_load_bytes", R::kInteger, {A::kPtrToCtx, A::kScalar, A::kPtrToUninitMem, A::kConstSize, N}, false),
      proto(27, "get_stackid", R::kInteger, {A::kPtrToCtx, A::kConstMapPtr, A::kScalar, N, N}, false),
      proto(28, "csum_diff", R::kInteger, {A::kPtrToMemOrNull, A::kConstSizeOrZero, A::kPtrToMemOrNull, A::kConstSizeOrZero, A::kScalar}, false),
      proto(31, "skb_change_proto", R::kInteger, {A::kPtrToCtx, A::kScalar, A::kScalar, N, N}, false),
      proto(32, "skb_change_type", R::kInteger, {A::kPtrToCtx, A::kScalar, N, N, N}, false),
      proto(34, "get_hash_recalc", R::kInteger, {A::kPtrToCtx, N, N, N, N}, false),
      proto(35, "get_current_task", R::kInteger, {N, N, N, N, N}, false),
      proto(38, "skb_change_tail", R::kInteger, {A::kPtrToCtx, A::kScalar, A::kScalar, N, N}, false),
      proto(39, "skb_pull_data", R::kInteger, {A::kPtrToCtx, A::kScalar, N, N, N}, false),
      proto(44, "xdp_adjust_head", R::kInteger, {A::kPtrToCtx, A::kScalar, N, N, N}, false),
      proto(45, "probe_read_str", R::kInteger, {A::kPtrToUninitMem, A::kConstSizeOrZero, A::kAnything, N, N}, false),
      proto(46, "get_socket_cookie", R::kInteger, {A::kPtrToCtx, N, N, N, N}, false),
      proto(47, "get_socket_uid", R::kInteger, {A::kPtrToCtx, N, N, N, N}, false),
      proto(50, "skb_adjust_room", R::kInteger, {A::kPtrToCtx, A::kScalar, A::kScalar, A::kScalar, N}, false),
      proto(51, "redirect_map", R::kInteger, {A::kConstMapPtr, A::kScalar, A::kScalar, N, N}, false),
      proto(54, "xdp_adjust_meta", R::kInteger, {A::kPtrToCtx, A::kScalar, N, N, N}, false),
      proto(65, "xdp_adjust_tail", R::kInteger, {A::kPtrToCtx, A::kScalar, N, N, N}, false),
      proto(68, "skb_load_bytes_relative", R::kInteger, {A::kPtrToCtx, A::kScalar, A::kPtrToUninitMem, A::kConstSize, A::kScalar}, false),
      proto(87, "map_push_elem", R::kInteger, {A::kConstMapPtr, A::kPtrToMapValue, A::kScalar, N, N}, true),
      proto(88, "map_pop_elem", R::kInteger, {A::kConstMapPtr, A::kPtrToUninitMapValue, N, N, N}, true),
      proto(89, "map_peek_elem", R::kInteger, {A::kConstMapPtr, A::kPtrToUninitMapValue, N, N, N}, true),
      proto(112, "probe_read_user", R::kInteger, {A::kPtrToUninitMem, A::kConstSizeOrZero, A::kAnything, N, N}, false),
      proto(113, "probe_read_kernel", R::kInteger, {A::kPtrToUninitMem, A::kConstSizeOrZero, A::kAnything, N, N}, false),
      proto(114, "probe_read_user_str", R::kInteger, {A::kPtrToUninitMem, A::kConstSizeOrZero, A::kAnything, N, N}, false),
      proto(115, "probe_read_kernel_str", R::kInteger, {A::kPtrToUninitMem, A::kConstSizeOrZero, A::kAnything, N, N}, false),
      proto(125, "ktime_get_boot_ns", R::kInteger, {N, N, N, N, N}, true),
      proto(130, "ringbuf_output", R::kInteger, {A::kConstMapPtr, A::kPtrToMem, A::kConstSizeOrZero, A::kScalar, N}, true),
      proto(131, "ringbuf_reserve", R::kPtrToRingbufMemOrNull, {A::kConstMapPtr, A::kConstAllocSize, A::kScalar, N, N}, true),
      proto(132, "ringbuf_submit", R::kVoid, {A::kPtrToRingbufMem, A::kScalar, N, N, N}, true),
      proto(133, "ringbuf_discard", R::kVoid, {A::kPtrToRingbufMem, A::kScalar, N, N, N}, true),
      proto(134, "ringbuf_query", R::kInteger, {A::kConstMapPtr, A::kScalar, N, N, N}, true),
      proto(164, "for_each_map_elem", R::kInteger, {A::kConstMapPtr, A::kPtrToFunc, A::kPtrToStackOrNull, A::kScalar, N}, true),
      proto(165, "snprintf", R::kInteger, {A::kPtrToUninitMem, A::kConstSizeOrZero, A::kPtrToConstStr, A::kPtrToMemOrNull, A::kConstSizeOrZero}, true),
      proto(181, "loop", R::kInteger, {A::kScalar, A::kPtrToFunc, A::kPtrToStackOrNull, A::kScalar, N}, true),
      proto(182, "strncmp", R::kInteger, {A::kPtrToMem, A::kConstSize, A::kPtrToConstStr, N, N}, true),
  };
}

CtxField field(const char* name, uint32_t off, uint32_t size, bool writable = false,
               CtxFieldKind kind = CtxFieldKind::kScalar) {
  CtxField f;
  f.name = name;
  f.offset = off;
  f.size = size;
  f.readable = true;
  f.writable = writable;
  f.kind = kind;
  return f;
}

std::unique_ptr<ProgramType> make_type(const char* name, uint32_t ctx_size,
                                       std::vector<CtxField> fields,
                                       std::vector<uint32_t> extra, bool packet_loads,
                                       bool narrow = true) {
  auto t = std::make_unique<ProgramType>();
  t->name = name;
  t->model = CtxModel::kStruct;
  t->ctx_size = ctx_size;
  t->fields = std::move(fields);
  t->extra_helpers = std::move(extra);
  t->packet_loads = packet_loads;
  t->narrow_loads = narrow;
  return t;
}

#if !BPFJIT_VERIFIER_HAVE_HELPERS
std::unique_ptr<ProgramType> mem_type() {
  auto t = std::make_unique<ProgramType>();
  t->name = "mem";
  t->model = CtxModel::kMemBuffer;
  return t;
}
#endif

std::vector<CtxField> xdp_fields() {
  return {field("data", 0, 4, false, CtxFieldKind::kPacketStart),
          field("data_end", 4, 4, false, CtxFieldKind::kPacketEnd),
          field("data_meta", 8, 4, false, CtxFieldKind::kPacketMeta),
          field("ingress_ifindex", 12, 4), field("rx_queue_index", 16, 4),
          field("egress_ifindex", 20, 4)};
}

// struct __sk_buff. `tc` adds the fields only traffic control (and cgroup_skb) may read or
// write; `packet` adds data/data_end.
std::vector<CtxField> skb_fields(bool tc, bool packet) {
  std::vector<CtxField> f = {
      field("len", 0, 4),           field("pkt_type", 4, 4),  field("mark", 8, 4, tc),
      field("queue_mapping", 12, 4, tc), field("protocol", 16, 4), field("vlan_present", 20, 4),
      field("vlan_tci", 24, 4),     field("vlan_proto", 28, 4), field("priority", 32, 4, tc),
      field("ingress_ifindex", 36, 4), field("ifindex", 40, 4), field("tc_index", 44, 4, tc),
      field("cb0", 48, 4, true),    field("cb1", 52, 4, true),  field("cb2", 56, 4, true),
      field("cb3", 60, 4, true),    field("cb4", 64, 4, true),  field("hash", 68, 4),
  };
  if (tc) f.push_back(field("tc_classid", 72, 4, true));
  if (packet) {
    f.push_back(field("data", 76, 4, false, CtxFieldKind::kPacketStart));
    f.push_back(field("data_end", 80, 4, false, CtxFieldKind::kPacketEnd));
  }
  f.push_back(field("napi_id", 84, 4));
  f.push_back(field("family", 88, 4));
  f.push_back(field("remote_ip4", 92, 4));
  f.push_back(field("local_ip4", 96, 4));
  for (uint32_t i = 0; i < 4; ++i) f.push_back(field("remote_ip6", 100 + 4 * i, 4));
  for (uint32_t i = 0; i < 4; ++i) f.push_back(field("local_ip6", 116 + 4 * i, 4));
  f.push_back(field("remote_port", 132, 4));
  f.push_back(field("local_port", 136, 4));
  if (tc && packet) f.push_back(field("data_meta", 140, 4, false, CtxFieldKind::kPacketMeta));
  f.push_back(field("tstamp", 152, 8, tc));
  f.push_back(field("wire_len", 160, 4));
  f.push_back(field("gso_segs", 164, 4));
  f.push_back(field("gso_size", 176, 4));
  return f;
}

std::vector<CtxField> u64_fields(const char* name, uint32_t count) {
  std::vector<CtxField> f;
  for (uint32_t i = 0; i < count; ++i) f.push_back(field(name, 8 * i, 8));
  return f;
}

std::vector<CtxField> bpf_sock_fields() {
  std::vector<CtxField> f = {field("bound_dev_if", 0, 4, true), field("family", 4, 4),
                             field("type", 8, 4),                field("protocol", 12, 4),
                             field("mark", 16, 4, true),         field("priority", 20, 4, true),
                             field("src_ip4", 24, 4)};
  for (uint32_t i = 0; i < 4; ++i) f.push_back(field("src_ip6", 28 + 4 * i, 4));
  f.push_back(field("src_port", 44, 4));
  f.push_back(field("dst_port", 48, 4));
  f.push_back(field("dst_ip4", 52, 4));
  for (uint32_t i = 0; i < 4; ++i) f.push_back(field("dst_ip6", 56 + 4 * i, 4));
  f.push_back(field("state", 72, 4));
  f.push_back(field("rx_queue_mapping", 76, 4));
  return f;
}

std::vector<uint32_t> all_map_types() {
  return {map_type::kHash,        map_type::kArray,        map_type::kProgArray,
          map_type::kPerfEventArray, map_type::kPercpuHash, map_type::kPercpuArray,
          map_type::kStackTrace,  map_type::kLruHash,      map_type::kLruPercpuHash,
          map_type::kLpmTrie,     map_type::kArrayOfMaps,  map_type::kHashOfMaps,
          map_type::kQueue,       map_type::kStack,        map_type::kRingbuf};
}

Platform build_linux() {
  Platform p;
  p.name = "linux";
  p.helpers = kernel_helpers();
  // The helpers whose kernel prototypes set pkt_access: map operations, csum_diff and the
  // socket lookups and syncookie helpers.
  const std::vector<uint32_t> pkt_access = {1, 2, 3, 28, 84, 85, 99, 100, 110};
  for (HelperProto& h : p.helpers) {
    h.pkt_access = std::find(pkt_access.begin(), pkt_access.end(), h.id) != pkt_access.end();
  }
  p.kernel_rules = true;
  p.allow_ptr_leaks = true;
  p.allow_uninit_stack = true;
  const std::vector<uint32_t> tracing = {4, 14, 15, 16, 25, 27, 35, 45, 112, 113, 114, 115};
  const std::vector<uint32_t> socket = {25, 26, 46, 47, 68};
  const std::vector<uint32_t> tc = {9, 10, 11, 13, 17, 18, 19, 23, 25, 26, 28, 31, 32, 34,
                                    38, 39, 46, 50, 68};
  const std::vector<uint32_t> xdp = {23, 25, 28, 44, 51, 54, 65};
  p.types.push_back(make_type("socket_filter", 192, skb_fields(false, false), socket, true));
  p.types.push_back(make_type("kprobe", 168, u64_fields("pt_regs", 21), tracing, false));
  p.types.push_back(make_type("tracepoint", 2048, u64_fields("field", 256), tracing, false));
  p.types.push_back(
      make_type("raw_tracepoint", 96, u64_fields("args", 12), tracing, false, false));
  p.types.push_back(make_type("xdp", 24, xdp_fields(), xdp, false, false));
  p.types.push_back(make_type("sched_cls", 192, skb_fields(true, true), tc, true));
  p.types.push_back(make_type("sched_act", 192, skb_fields(true, true), tc, true));
  p.types.push_back(make_type("cgroup_skb", 192, skb_fields(false, true), {25, 26, 46, 47, 68},
                              false));
  p.types.push_back(make_type("cgroup_sock", 80, bpf_sock_fields(), {}, false));
  // cgroup programs return 0 (deny) or 1 (allow).
  for (auto& t : p.types) {
    if (t->name == "cgroup_skb" || t->name == "cgroup_sock") {
      t->check_return = true;
      t->return_min = 0;
      t->return_max = 1;
    }
  }
  p.packet_write_types = {"xdp", "sched_cls", "sched_act"};
  p.map_types = all_map_types();
  return p;
}

Platform build_runtime() {
  Platform p;
  p.name = "runtime";
#if BPFJIT_VERIFIER_HAVE_HELPERS
  const HelperTable table = HelperTable::builtin();
  for (const HelperProto* h : table.all()) p.helpers.push_back(*h);
  p.types.push_back(std::make_unique<ProgramType>(mem_program_type()));
  p.types.push_back(std::make_unique<ProgramType>(xdp_program_type()));
  p.types.push_back(std::make_unique<ProgramType>(socket_filter_program_type()));
#else
  // Until helpers/ provides the table: the kernel prototypes of the helpers bpfjit has.
  const std::vector<uint32_t> ids = {1,   2,   3,   4,   5,   6,   7,   8,   12,  14,
                                     45,  87,  88,  89,  112, 113, 114, 115, 125, 130,
                                     131, 132, 133, 134, 164, 165, 181, 182};
  for (const HelperProto& h : kernel_helpers()) {
    if (std::find(ids.begin(), ids.end(), h.id) == ids.end()) continue;
    HelperProto copy = h;
    copy.general = true;
    p.helpers.push_back(copy);
  }
  p.types.push_back(mem_type());
  p.types.push_back(make_type("xdp", 24, xdp_fields(), {}, false, false));
  std::vector<CtxField> skb = skb_fields(false, false);
  skb.resize(18);  // len .. hash
  skb.push_back(field("data", 76, 4, false, CtxFieldKind::kPacketStart));
  skb.push_back(field("data_end", 80, 4, false, CtxFieldKind::kPacketEnd));
  p.types.push_back(make_type("socket_filter", 84, skb, {}, true));
#endif
  std::sort(p.helpers.begin(), p.helpers.end(),
            [](const HelperProto& a, const HelperProto& b) { return a.id < b.id; });
  p.packet_write_types = {"xdp"};
  p.map_types = {map_type::kHash,      map_type::kArray,      map_type::kProgArray,
                 map_type::kPercpuHash, map_type::kPercpuArray, map_type::kLruHash,
                 map_type::kQueue,     map_type::kStack,      map_type::kRingbuf};
  return p;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

uint32_t map_type_from_name(std::string_view name) {
  struct Entry {
    const char* name;
    uint32_t type;
  };
  static const Entry kNames[] = {
      {"hash", map_type::kHash},         {"array", map_type::kArray},
      {"prog_array", map_type::kProgArray}, {"perf_event_array", map_type::kPerfEventArray},
      {"percpu_hash", map_type::kPercpuHash}, {"percpu_array", map_type::kPercpuArray},
      {"stack_trace", map_type::kStackTrace}, {"lru_hash", map_type::kLruHash},
      {"lru_percpu_hash", map_type::kLruPercpuHash}, {"lpm_trie", map_type::kLpmTrie},
      {"array_of_maps", map_type::kArrayOfMaps}, {"hash_of_maps", map_type::kHashOfMaps},
      {"queue", map_type::kQueue},       {"stack", map_type::kStack},
      {"ringbuf", map_type::kRingbuf},
  };
  for (const Entry& e : kNames) {
    if (name == e.name) return e.type;
  }
  return 0;
}

const char* map_type_name(uint32_t type) {
  switch (type) {
    case map_type::kHash: return "hash";
    case map_type::kArray: return "array";
    case map_type::kProgArray: return "prog_array";
    case map_type::kPerfEventArray: return "perf_event_array";
    case map_type::kPercpuHash: return "percpu_hash";
    case map_type::kPercpuArray: return "percpu_array";
    case map_type::kStackTrace: return "stack_trace";
    case map_type::kLruHash: return "lru_hash";
    case map_type::kLruPercpuHash: return "lru_percpu_hash";
    case map_type::kLpmTrie: return "lpm_trie";
    case map_type::kArrayOfMaps: return "array_of_maps";
    case map_type::kHashOfMaps: return "hash_of_maps";
    case map_type::kQueue: return "queue";
    case map_type::kStack: return "stack";
    case map_type::kRingbuf: return "ringbuf";
    default: return "unknown";
  }
}

const ProgramType* Platform::find_type(std::string_view type_name) const {
  if (type_name == "tc") type_name = "sched_cls";
  for (const auto& t : types) {
    if (t->name == type_name) return t.get();
  }
  return nullptr;
}

const ProgramType* Platform::type_for_section(std::string_view s) const {
  struct Prefix {
    const char* prefix;
    const char* type;
  };
  static const Prefix kPrefixes[] = {
      {"socket", "socket_filter"},    {"kprobe/", "kprobe"},
      {"kretprobe/", "kprobe"},       {"uprobe", "kprobe"},
      {"tracepoint/", "tracepoint"},  {"tp/", "tracepoint"},
      {"raw_tracepoint/", "raw_tracepoint"}, {"raw_tp/", "raw_tracepoint"},
      {"xdp", "xdp"},                 {"tc", "sched_cls"},
      {"classifier", "sched_cls"},    {"action", "sched_act"},
      {"cgroup_skb/", "cgroup_skb"},  {"cgroup/skb", "cgroup_skb"},
      {"cgroup/sock", "cgroup_sock"}, {"mem", "mem"},
  };
  for (const Prefix& p : kPrefixes) {
    if (starts_with(s, p.prefix)) {
      if (const ProgramType* t = find_type(p.type)) return t;
    }
  }
  return nullptr;
}

const HelperProto* Platform::find_helper(uint32_t id) const {
  auto it = std::lower_bound(helpers.begin(), helpers.end(), id,
                             [](const HelperProto& h, uint32_t v) { return h.id < v; });
  if (it == helpers.end() || it->id != id) return nullptr;
  return &*it;
}

bool Platform::packet_writable(const ProgramType& type) const {
  return std::find(packet_write_types.begin(), packet_write_types.end(), type.name) !=
         packet_write_types.end();
}

bool Platform::map_type_allowed(uint32_t type) const {
  return std::find(map_types.begin(), map_types.end(), type) != map_types.end();
}

ProgramType runtime_ctx_view(const ProgramType& type) {
  ProgramType view = type;
  if (type.shadow_size != 0) view.ctx_size = type.shadow_size;
  for (CtxField& f : view.fields) {
    if (f.shadow_offset != CtxField::kSameAsKernel) f.offset = f.shadow_offset;
    if (f.shadow_size != CtxField::kSameAsKernel) f.size = f.shadow_size;
    f.shadow_offset = f.shadow_size = CtxField::kSameAsKernel;
  }
  view.shadow_size = 0;
  return view;
}

const Platform& runtime_platform() {
  static const Platform p = build_runtime();
  return p;
}

const Platform& linux_platform() {
  static const Platform p = build_linux();
  return p;
}

const Platform* find_platform(std::string_view name) {
  if (name == "runtime") return &runtime_platform();
  if (name == "linux") return &linux_platform();
  return nullptr;
}

}  // namespace bpfjit::verifier
