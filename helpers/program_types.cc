#include "helpers/program_types.h"

#include <algorithm>
#include <cstddef>

#include <fmt/format.h>

#include <linux/bpf.h>

#include "helpers/kernel_tables.h"

namespace bpfjit {
namespace {

constexpr uint32_t kSame = CtxField::kSameAsKernel;

CtxField scalar(std::string name, uint32_t off, uint32_t shadow_off, bool writable = false) {
  return CtxField{std::move(name), off, 4, true, writable, CtxFieldKind::kScalar, shadow_off, kSame};
}

CtxField packet_ptr(std::string name, uint32_t off, CtxFieldKind kind, uint32_t shadow_off) {
  return CtxField{std::move(name), off, 4, true, false, kind, shadow_off, 8};
}

ProgramType make_mem() {
  ProgramType t;
  t.name = "mem";
  t.model = CtxModel::kMemBuffer;
  // The generic type: every built-in helper, tracing ones included.
  t.extra_helpers = {helper_id::kGetCurrentPidTgid, helper_id::kProbeRead,
                     helper_id::kProbeReadStr,      helper_id::kProbeReadUser,
                     helper_id::kProbeReadKernel,   helper_id::kProbeReadUserStr,
                     helper_id::kProbeReadKernelStr};
  return t;
}

ProgramType make_xdp() {
  ProgramType t;
  t.name = "xdp";
  t.model = CtxModel::kStruct;
  t.packet_access = true;
  t.packet_writes = true;
  t.kernel_type = BPF_PROG_TYPE_XDP;
  t.ctx_size = sizeof(struct xdp_md);
  t.shadow_size = sizeof(XdpCtx);
  t.extra_helpers = {helper_id::kXdpAdjustHead,   helper_id::kXdpAdjustMeta,
                     helper_id::kXdpAdjustTail,   helper_id::kXdpLoadBytes,
                     helper_id::kXdpStoreBytes,   helper_id::kRedirect,
                     helper_id::kRedirectMap,     helper_id::kFibLookup,
                     helper_id::kCheckMtu,        helper_id::kKtimeGetCoarseNs};
  t.fields = {
      packet_ptr("data", offsetof(xdp_md, data), CtxFieldKind::kPacketStart,
                 offsetof(XdpCtx, data)),
      packet_ptr("data_end", offsetof(xdp_md, data_end), CtxFieldKind::kPacketEnd,
                 offsetof(XdpCtx, data_end)),
      packet_ptr("data_meta", offsetof(xdp_md, data_meta), CtxFieldKind::kPacketMeta,
                 offsetof(XdpCtx, data_meta)),
      scalar("ingress_ifindex", offsetof(xdp_md, ingress_ifindex),
             offsetof(XdpCtx, ingress_ifindex)),
      scalar("rx_queue_index", offsetof(xdp_md, rx_queue_index),
             offsetof(XdpCtx, rx_queue_index)),
      scalar("egress_ifindex", offsetof(xdp_md, egress_ifindex),
             offsetof(XdpCtx, egress_ifindex)),
  };
  return t;
}

// The shadow context is the kernel's struct __sk_buff with the packet pointers after it.
#define SKB_SAME(f) static_assert(offsetof(SkBuffCtx, f) == offsetof(__sk_buff, f), #f)
SKB_SAME(len);
SKB_SAME(cb);
SKB_SAME(hash);
SKB_SAME(tc_classid);
SKB_SAME(napi_id);
SKB_SAME(family);
SKB_SAME(remote_ip6);
SKB_SAME(local_port);
SKB_SAME(tstamp);
SKB_SAME(wire_len);
SKB_SAME(gso_size);
SKB_SAME(tstamp_type);
SKB_SAME(hwtstamp);
#undef SKB_SAME
static_assert(offsetof(SkBuffCtx, data_slot) == offsetof(__sk_buff, data));
static_assert(offsetof(SkBuffCtx, data_meta_slot) == offsetof(__sk_buff, data_meta));
static_assert(offsetof(SkBuffCtx, sk_slot) == offsetof(__sk_buff, sk));
static_assert(offsetof(SkBuffCtx, data) == sizeof(__sk_buff));

// Where a packet pointer field of struct __sk_buff lives in SkBuffCtx.
uint32_t skb_pointer_shadow(CtxFieldKind kind) {
  if (kind == CtxFieldKind::kPacketStart) return offsetof(SkBuffCtx, data);
  if (kind == CtxFieldKind::kPacketEnd) return offsetof(SkBuffCtx, data_end);
  return offsetof(SkBuffCtx, data_meta);  // kPacketMeta
}

// A program type of struct __sk_buff from the kernel's tables: its fields with the
// kernel's read/write rights for `kernel_name` (scalars at their kernel offsets, packet
// pointers widened), the helpers the kernel lets it call, its exit values.
ProgramType make_skb_type(const char* name, const char* kernel_name) {
  const kernel::ProgTypeRow* row = kernel::find_prog_type(kernel_name);
  ProgramType t;
  t.name = name;
  t.model = CtxModel::kStruct;
  t.kernel_type = row->id;
  t.ctx_size = sizeof(struct __sk_buff);
  t.shadow_size = sizeof(SkBuffCtx);
  t.narrow_loads = row->narrow_loads;
  t.packet_loads = row->ld_abs;
  t.packet_writes = row->packet_writes;
  t.ret_min = row->ret_min;
  t.ret_max = row->ret_max;
  for (CtxField& f : kernel::ctx_fields(*row)) {
    if (f.kind > kLastRuntimeCtxFieldKind) continue;  // sk, flow_keys: kernel objects
    if (f.kind != CtxFieldKind::kScalar) {
      if (!f.readable) continue;
      f.shadow_offset = skb_pointer_shadow(f.kind);
      f.shadow_size = 8;
      f.writable = false;
      t.packet_access = true;
    }
    t.fields.push_back(std::move(f));
  }
  const kernel::TypeMask bit = kernel::TypeMask{1} << row->id;
  for (const kernel::HelperRow& h : kernel::helper_rows()) {
    if (h.types != kernel::kAllTypes && (h.types & bit) != 0) t.extra_helpers.push_back(h.id);
  }
  return t;
}

ProgramType make_socket_filter() {
  ProgramType t;
  t.name = "socket_filter";
  t.model = CtxModel::kStruct;
  t.packet_access = true;  // unlike the kernel's socket filters (see program_types.h)
  t.kernel_type = BPF_PROG_TYPE_SOCKET_FILTER;
  t.ctx_size = sizeof(struct __sk_buff);
  t.shadow_size = sizeof(SkBuffCtx);
  t.packet_loads = true;
  t.extra_helpers = {helper_id::kSkbLoadBytes};
#define SKB_SCALAR(f) scalar(#f, offsetof(__sk_buff, f), offsetof(SkBuffCtx, f))
  t.fields = {
      packet_ptr("data", offsetof(__sk_buff, data), CtxFieldKind::kPacketStart,
                 offsetof(SkBuffCtx, data)),
      packet_ptr("data_end", offsetof(__sk_buff, data_end), CtxFieldKind::kPacketEnd,
                 offsetof(SkBuffCtx, data_end)),
      SKB_SCALAR(len), SKB_SCALAR(pkt_type), SKB_SCALAR(mark), SKB_SCALAR(queue_mapping),
      SKB_SCALAR(protocol), SKB_SCALAR(vlan_present), SKB_SCALAR(vlan_tci),
      SKB_SCALAR(vlan_proto), SKB_SCALAR(priority), SKB_SCALAR(ingress_ifindex),
      SKB_SCALAR(ifindex), SKB_SCALAR(tc_index), SKB_SCALAR(hash),
  };
#undef SKB_SCALAR
  for (uint32_t i = 0; i < 5; ++i) {
    t.fields.push_back(scalar(fmt::format("cb[{}]", i),
                              static_cast<uint32_t>(offsetof(__sk_buff, cb) + 4 * i),
                              static_cast<uint32_t>(offsetof(SkBuffCtx, cb) + 4 * i), true));
  }
  return t;
}

bool is_pointer(const CtxField& f) { return f.kind != CtxFieldKind::kScalar; }

uint32_t shadow_offset_of(const CtxField& f) {
  return f.shadow_offset == kSame ? f.offset : f.shadow_offset;
}
uint32_t shadow_size_of(const CtxField& f) {
  return is_pointer(f) && f.shadow_size != kSame ? f.shadow_size : f.size;
}

Diagnostic type_error(const ProgramType& t, const std::string& what) {
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("program type {}: {}", t.name.empty() ? "(unnamed)" : t.name, what));
}

bool valid_width(uint32_t size) { return size == 1 || size == 2 || size == 4 || size == 8; }

Result<void> validate(const ProgramType& t) {
  if (t.name.empty()) return type_error(t, "the name is empty");
  if (t.model == CtxModel::kMemBuffer && !t.fields.empty()) {
    return type_error(t, "a mem-buffer type has no context fields");
  }
  uint32_t shadow_total = t.shadow_size != 0 ? t.shadow_size : t.ctx_size;
  for (size_t i = 0; i < t.fields.size(); ++i) {
    const CtxField& f = t.fields[i];
    if (f.kind > kLastRuntimeCtxFieldKind) {
      return type_error(t, fmt::format("field {} has a kind of kernel contexts only (a socket "
                                       "or flow keys pointer)", f.name));
    }
    if (!valid_width(f.size)) {
      return type_error(t, fmt::format("field {} is {} bytes, must be 1, 2, 4 or 8", f.name, f.size));
    }
    if (uint64_t{f.offset} + f.size > t.ctx_size) {
      return type_error(t, fmt::format("field {} at offset {} ({} bytes) lies outside the {}-byte context",
                                       f.name, f.offset, f.size, t.ctx_size));
    }
    if (is_pointer(f) && (f.size < 4 || f.writable || !f.readable || shadow_size_of(f) != 8)) {
      return type_error(t, fmt::format("packet pointer field {} must be a read-only 4- or 8-byte "
                                       "field with an 8-byte shadow", f.name));
    }
    if (uint64_t{shadow_offset_of(f)} + shadow_size_of(f) > shadow_total) {
      return type_error(t, fmt::format("field {}: shadow offset {} ({} bytes) lies outside the "
                                       "{}-byte shadow context",
                                       f.name, shadow_offset_of(f), shadow_size_of(f), shadow_total));
    }
    for (size_t j = 0; j < i; ++j) {
      const CtxField& g = t.fields[j];
      bool kernel_overlap = f.offset < g.offset + g.size && g.offset < f.offset + f.size;
      bool shadow_overlap = shadow_offset_of(f) < shadow_offset_of(g) + shadow_size_of(g) &&
                            shadow_offset_of(g) < shadow_offset_of(f) + shadow_size_of(f);
      if (kernel_overlap || shadow_overlap) {
        return type_error(t, fmt::format("fields {} and {} overlap", g.name, f.name));
      }
    }
  }
  return {};
}

}  // namespace

const ProgramType& mem_program_type() {
  static const ProgramType t = make_mem();
  return t;
}
const ProgramType& xdp_program_type() {
  static const ProgramType t = make_xdp();
  return t;
}
const ProgramType& socket_filter_program_type() {
  static const ProgramType t = make_socket_filter();
  return t;
}
const ProgramType& sched_cls_program_type() {
  static const ProgramType t = make_skb_type("sched_cls", "sched_cls");
  return t;
}
const ProgramType& sched_act_program_type() {
  static const ProgramType t = make_skb_type("sched_act", "sched_act");
  return t;
}
const ProgramType& cgroup_skb_program_type() {
  static const ProgramType t = make_skb_type("cgroup_skb", "cgroup_skb");
  return t;
}

Result<CtxAccess> map_ctx_access(const ProgramType& type, uint32_t off, uint32_t size,
                                 bool write, uint32_t insn) {
  const char* what = write ? "store" : "load";
  auto refuse = [&](const std::string& why) {
    return make_error(ErrorCode::kVerify, insn,
                      fmt::format("ctx {} of {} bytes at offset {}: {}", what, size, off, why));
  };
  if (type.model == CtxModel::kMemBuffer) {
    return refuse(fmt::format("program type {} has no context struct", type.name));
  }
  if (!valid_width(size)) return refuse("the size must be 1, 2, 4 or 8");
  auto it = std::find_if(type.fields.begin(), type.fields.end(), [&](const CtxField& f) {
    return off >= f.offset && off < f.offset + f.size;
  });
  if (it == type.fields.end()) {
    return refuse(fmt::format("no field of program type {} is there", type.name));
  }
  const CtxField& f = *it;
  if (uint64_t{off} + size > uint64_t{f.offset} + f.size) {
    return refuse(fmt::format("crosses the end of field {} ({} bytes at offset {})", f.name,
                              f.size, f.offset));
  }
  if (write && !f.writable) return refuse(fmt::format("field {} is read-only", f.name));
  if (!write && !f.readable) return refuse(fmt::format("field {} is not readable", f.name));
  if (is_pointer(f)) {
    if (off != f.offset || size != f.size) {
      return refuse(fmt::format("field {} is a packet pointer, load it whole ({} bytes at offset {})",
                                f.name, f.size, f.offset));
    }
    return CtxAccess{&f, shadow_offset_of(f), shadow_size_of(f)};
  }
  if (size != f.size) {
    if (write) return refuse(fmt::format("a narrow store to field {} ({} bytes)", f.name, f.size));
    if (!type.narrow_loads) {
      return refuse(fmt::format("program type {} allows no narrow load of field {} ({} bytes)",
                                type.name, f.name, f.size));
    }
    if (!f.narrow_loads) {
      return refuse(fmt::format("field {} must be loaded whole ({} bytes)", f.name, f.size));
    }
    if (off % size != 0) return refuse(fmt::format("misaligned narrow load of field {}", f.name));
  }
  return CtxAccess{&f, shadow_offset_of(f) + (off - f.offset), size};
}

Result<void> check_helper_allowed(const ProgramType& type, const HelperTable& table,
                                  uint32_t helper_id, uint32_t insn) {
  const HelperProto* p = table.find(helper_id);
  if (p == nullptr) {
    return make_error(ErrorCode::kVerify, insn, fmt::format("helper {} is unknown", helper_id));
  }
  if (p->general || std::find(type.extra_helpers.begin(), type.extra_helpers.end(), helper_id) !=
                        type.extra_helpers.end()) {
    return {};
  }
  return make_error(ErrorCode::kVerify, insn,
                    fmt::format("helper {} ({}) is not allowed for program type {}", helper_id,
                                p->name, type.name));
}

ProgramTypeRegistry ProgramTypeRegistry::builtin() {
  ProgramTypeRegistry r;
  for (const ProgramType* t :
       {&mem_program_type(), &xdp_program_type(), &socket_filter_program_type(),
        &sched_cls_program_type(), &sched_act_program_type(), &cgroup_skb_program_type()}) {
    r.types_.push_back(std::make_unique<ProgramType>(*t));
  }
  return r;
}

Result<void> ProgramTypeRegistry::add(ProgramType type) {
  if (auto r = validate(type); !r) return r;
  if (find(type.name) != nullptr) {
    return type_error(type, "a program type of that name is already registered");
  }
  types_.push_back(std::make_unique<ProgramType>(std::move(type)));
  return {};
}

std::string_view ProgramTypeRegistry::canonical_name(std::string_view name) {
  return name == "tc" ? std::string_view("sched_cls") : name;
}

const ProgramType* ProgramTypeRegistry::find(std::string_view name) const {
  name = canonical_name(name);
  for (const auto& t : types_) {
    if (t->name == name) return t.get();
  }
  return nullptr;
}

std::vector<std::string> ProgramTypeRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& t : types_) out.push_back(t->name);
  return out;
}

Result<void> ProgramTypeRegistry::allow_helper(std::string_view type_name, uint32_t id) {
  for (const auto& t : types_) {
    if (t->name != type_name) continue;
    if (std::find(t->extra_helpers.begin(), t->extra_helpers.end(), id) == t->extra_helpers.end()) {
      t->extra_helpers.push_back(id);
    }
    return {};
  }
  return make_error(ErrorCode::kNotFound, fmt::format("program type {} is not registered", type_name));
}

}  // namespace bpfjit
