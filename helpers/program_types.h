// Program types: what a program receives in r1 (its context) and which helpers beyond the
// general ones it may call. The vocabulary (ProgramType, CtxField) is in helpers/prototype.h.
//
// Built-in types:
//  - mem: r1 = a buffer, r2 = its length (CtxModel::kMemBuffer; the conformance tests'
//    convention); may call every built-in helper;
//  - xdp: r1 = struct xdp_md (the kernel's field offsets: data 0, data_end 4, data_meta 8,
//    ingress_ifindex 12, rx_queue_index 16, egress_ifindex 20);
//  - socket_filter: r1 = a subset of struct __sk_buff (the kernel's offsets: len,
//    pkt_type, mark, queue_mapping, protocol, vlan_present, vlan_tci, vlan_proto,
//    priority, ingress_ifindex, ifindex, tc_index, hash readable; cb[0..4] readable and
//    writable; data and data_end as packet pointers). Unlike the kernel, which makes a
//    socket filter read packets through LD ABS/IND or bpf_skb_load_bytes, we also give it
//    direct packet access through data/data_end. LD ABS/IND are allowed;
//  - sched_cls ("tc" is another name for it), sched_act, cgroup_skb: struct __sk_buff as
//    the kernel's rules give it to each (helpers/kernel_ctx_fields.def), filled as the
//    kernel's BPF_PROG_TEST_RUN fills it (helpers/skb_run.h). Every kernel helper the
//    kernel lets the type call is allowed; those bpfjit does not implement are "unknown".
//
// The shadow context. Programs are compiled against the kernel's structs, where the
// packet pointers (xdp_md.data, __sk_buff.data, ...) are u32 fields that the kernel
// rewrites into 64-bit pointer loads. We do the same: the runtime passes a shadow struct
// (XdpCtx, SkBuffCtx below) where the pointers are u64, and the loader rewrites each
// context access with map_ctx_access(): the kernel offset and width become the shadow
// offset and width ("ldxw r2, [r1+0]" on xdp becomes "ldxdw r2, [r1+0]", "ldxw r3,
// [r1+4]" becomes "ldxdw r3, [r1+8]"). A host type without pointer fields can leave
// CtxField::shadow_offset at kSameAsKernel: the shadow is then the kernel layout.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "helpers/helper_table.h"
#include "helpers/prototype.h"
#include "runtime/isa/result.h"

namespace bpfjit {

// The runtime's context for xdp programs (shadow of struct xdp_md).
struct XdpCtx {
  uint64_t data = 0;       // kernel offset 0 (u32)
  uint64_t data_end = 0;   // kernel offset 4 (u32)
  uint64_t data_meta = 0;  // kernel offset 8 (u32); equal to data when there is no metadata
  uint32_t ingress_ifindex = 0;  // kernel offset 12
  uint32_t rx_queue_index = 0;   // kernel offset 16
  uint32_t egress_ifindex = 0;   // kernel offset 20
  uint32_t reserved = 0;
};

// The runtime's context for the programs of struct __sk_buff (socket_filter, sched_cls,
// sched_act, cgroup_skb): the kernel's layout, field for field, with the three packet
// pointers (u32 slots in the kernel's struct, which the kernel widens) as u64 after it.
// Scalar fields keep their kernel offsets; the u32 slots of data, data_end and data_meta,
// and the kernel-only pointers flow_keys and sk, are never accessed.
struct SkBuffCtx {
  uint32_t len = 0;
  uint32_t pkt_type = 0;
  uint32_t mark = 0;
  uint32_t queue_mapping = 0;
  uint32_t protocol = 0;  // network byte order, as in the kernel
  uint32_t vlan_present = 0;
  uint32_t vlan_tci = 0;
  uint32_t vlan_proto = 0;
  uint32_t priority = 0;
  uint32_t ingress_ifindex = 0;
  uint32_t ifindex = 0;
  uint32_t tc_index = 0;
  uint32_t cb[5] = {};
  uint32_t hash = 0;
  uint32_t tc_classid = 0;
  uint32_t data_slot = 0;      // kernel offset 76: data (see `data` below)
  uint32_t data_end_slot = 0;  // kernel offset 80: data_end
  uint32_t napi_id = 0;
  uint32_t family = 0;
  uint32_t remote_ip4 = 0;
  uint32_t local_ip4 = 0;
  uint32_t remote_ip6[4] = {};
  uint32_t local_ip6[4] = {};
  uint32_t remote_port = 0;
  uint32_t local_port = 0;
  uint32_t data_meta_slot = 0;  // kernel offset 140: data_meta
  uint64_t flow_keys_slot = 0;  // kernel offset 144: flow_keys (flow_dissector only)
  uint64_t tstamp = 0;
  uint32_t wire_len = 0;
  uint32_t gso_segs = 0;
  uint64_t sk_slot = 0;  // kernel offset 168: sk (a socket pointer; not offered)
  uint32_t gso_size = 0;
  uint8_t tstamp_type = 0;
  uint8_t pad[3] = {};
  uint64_t hwtstamp = 0;
  // Beyond the kernel's struct: the packet pointers.
  uint64_t data = 0;
  uint64_t data_end = 0;
  uint64_t data_meta = 0;
};

const ProgramType& mem_program_type();
const ProgramType& xdp_program_type();
const ProgramType& socket_filter_program_type();
// sched_cls (also called "tc"), sched_act and cgroup_skb: struct __sk_buff with the fields,
// read and write rights and helpers of the kernel's rules for each (kernel_ctx_fields.def,
// kernel_helpers.def), minus the socket and flow-keys pointers the runtime does not offer.
const ProgramType& sched_cls_program_type();
const ProgramType& sched_act_program_type();
const ProgramType& cgroup_skb_program_type();

// How one context access is performed on the shadow context.
struct CtxAccess {
  const CtxField* field = nullptr;
  uint32_t shadow_offset = 0;  // byte offset of the access in the shadow struct
  uint32_t shadow_size = 0;    // bytes accessed there: 8 for packet pointer fields
};

// Maps a load (write == false) or store of `size` bytes at kernel context offset `off` to
// the shadow context. Refused (kVerify, naming `insn`): no field there, an access crossing
// a field's end, a write to a read-only field, a read of an unreadable one, a narrow or
// misaligned access to a pointer field, a narrow access when the type forbids it, a narrow
// store. Always refused for CtxModel::kMemBuffer types (they have no context struct).
Result<CtxAccess> map_ctx_access(const ProgramType& type, uint32_t off, uint32_t size,
                                 bool write, uint32_t insn);

// "insn 7: helper 123 (name) is not allowed for program type xdp" unless the helper is in
// the table and is general or in type.extra_helpers; "insn 7: helper 999 is unknown" when
// the table has no such id.
Result<void> check_helper_allowed(const ProgramType& type, const HelperTable& table,
                                  uint32_t helper_id, uint32_t insn);

// Program types by name: the three built-ins plus host-registered ones. Types have stable
// addresses (ProgramEnv::type points at them) for the registry's lifetime.
class ProgramTypeRegistry {
 public:
  // An empty registry.
  ProgramTypeRegistry() = default;
  // A registry holding mem, xdp, socket_filter, sched_cls, sched_act and cgroup_skb.
  static ProgramTypeRegistry builtin();

  // Adds a type. Refused (kInvalidArgument): an empty or duplicate name, a field outside
  // ctx_size or overlapping another, a field size other than 1, 2, 4 or 8, a pointer field
  // that is not 4 or 8 bytes wide or not readable-only, a shadow field outside shadow_size.
  Result<void> add(ProgramType type);
  const ProgramType* find(std::string_view name) const;
  std::vector<std::string> names() const;
  // Other names of types: "tc" for sched_cls.
  static std::string_view canonical_name(std::string_view name);
  // Lets an existing type call helper `id` (added to its extra_helpers).
  Result<void> allow_helper(std::string_view type_name, uint32_t id);

 private:
  std::vector<std::unique_ptr<ProgramType>> types_;
};

}  // namespace bpfjit
