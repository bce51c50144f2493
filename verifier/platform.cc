// The built-in platforms. The linux platform is built from the kernel's tables
// (helpers/kernel_tables.h: every helper, program type, context and section name); the
// runtime platform from bpfjit's own helper table and program types.
#include "verifier/platform.h"

#include "helpers/map_types.h"

#include <algorithm>

#include "helpers/helper_table.h"
#include "helpers/kernel_tables.h"
#include "helpers/program_types.h"

namespace bpfjit::verifier {

namespace {

// Every kernel map type (helpers/maps/map_types.def).
std::vector<uint32_t> all_map_types() {
  std::vector<uint32_t> out;
  for (const MapTypeInfo& m : map_type_table()) {
    if (m.number != 0) out.push_back(m.number);
  }
  return out;
}

// The map types the runtime runs (the impl column of helpers/maps/map_types.def).
std::vector<uint32_t> runnable_map_types() {
  std::vector<uint32_t> out;
  for (const MapTypeInfo& m : map_type_table()) {
    if (m.runtime) out.push_back(m.number);
  }
  return out;
}

bool has_packet_pointer(const std::vector<CtxField>& fields) {
  return std::any_of(fields.begin(), fields.end(), [](const CtxField& f) {
    return f.readable && (f.kind == CtxFieldKind::kPacketStart ||
                          f.kind == CtxFieldKind::kPacketEnd);
  });
}

// One program type of the kernel's table (helpers/kernel_tables.h): its context fields,
// the helpers beyond the base ones it may call, its exit values and packet rules.
std::unique_ptr<ProgramType> linux_type(const kernel::ProgTypeRow& row) {
  auto t = std::make_unique<ProgramType>();
  t->name = row.name;
  t->model = CtxModel::kStruct;
  t->ctx_size = row.ctx_size;
  t->fields = kernel::ctx_fields(row);
  t->narrow_loads = row.narrow_loads;
  t->packet_loads = row.ld_abs;
  t->ret_min = row.ret_min;
  t->ret_max = row.ret_max;
  t->packet_access = has_packet_pointer(t->fields);
  t->packet_writes = row.packet_writes;
  t->kernel_type = row.id;
  const kernel::TypeMask bit = kernel::TypeMask{1} << row.id;
  for (const kernel::HelperRow& h : kernel::helper_rows()) {
    if (h.types != kernel::kAllTypes && (h.types & bit) != 0) t->extra_helpers.push_back(h.id);
  }
  return t;
}

Platform build_linux() {
  Platform p;
  p.name = "linux";
  for (const kernel::HelperRow& h : kernel::helper_rows()) {
    HelperProto proto;
    proto.id = h.id;
    proto.name = h.name;
    proto.ret = h.ret;
    proto.args = h.args;
    proto.general = h.types == kernel::kAllTypes;
    proto.pkt_access = kernel::helper_takes_packet(h.id);
    proto.changes_pkt_data = kernel::helper_changes_pkt_data(h.id);
    p.helpers.push_back(std::move(proto));
  }
  for (const kernel::ProgTypeRow& row : kernel::prog_type_rows()) {
    p.types.push_back(linux_type(row));
    if (row.packet_writes) p.packet_write_types.push_back(row.name);
  }
  p.kernel_rules = true;
  p.allow_ptr_leaks = true;
  p.allow_uninit_stack = true;
  p.map_types = all_map_types();
  return p;
}

Platform build_runtime() {
  Platform p;
  p.name = "runtime";
  const HelperTable table = HelperTable::builtin();
  for (const HelperProto* h : table.all()) p.helpers.push_back(*h);
  p.types.push_back(std::make_unique<ProgramType>(mem_program_type()));
  p.types.push_back(std::make_unique<ProgramType>(xdp_program_type()));
  p.types.push_back(std::make_unique<ProgramType>(socket_filter_program_type()));
  p.types.push_back(std::make_unique<ProgramType>(sched_cls_program_type()));
  p.types.push_back(std::make_unique<ProgramType>(sched_act_program_type()));
  p.types.push_back(std::make_unique<ProgramType>(cgroup_skb_program_type()));
  std::sort(p.helpers.begin(), p.helpers.end(),
            [](const HelperProto& a, const HelperProto& b) { return a.id < b.id; });
  p.packet_write_types = {"xdp", "sched_cls", "sched_act"};
  p.map_types = runnable_map_types();
  return p;
}

}  // namespace

uint32_t map_type_from_name(std::string_view name) {
  if (name.starts_with("BPF_MAP_TYPE_")) name.remove_prefix(13);
  for (const MapTypeInfo& m : map_type_table()) {
    if (m.number != 0 && name == m.name) return m.number;
  }
  return 0;
}

const char* map_type_name(uint32_t type) {
  const MapTypeInfo* m = map_type_info(type);
  return m != nullptr ? m->name : "unknown";
}

const ProgramType* Platform::find_type(std::string_view type_name) const {
  if (type_name == "tc") type_name = "sched_cls";
  for (const auto& t : types) {
    if (t->name == type_name) return t.get();
  }
  return nullptr;
}

const ProgramType* Platform::type_for_section(std::string_view s) const {
  if (auto m = kernel::match_section(s)) {
    if (const ProgramType* t = find_type(m->prog_type->name)) return t;
  }
  // bpfjit's own convention: a buffer program ("mem", "mem/checksum").
  if (s.substr(0, 3) == "mem") return find_type("mem");
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
