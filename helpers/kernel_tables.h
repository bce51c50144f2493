// The kernel's BPF facts as data, for the loader (section names) and the verifier's linux
// platform (helpers, program types, contexts, return ranges):
//
//   kernel_helpers.def        every helper id of enum bpf_func_id: prototype and callers
//   kernel_prog_types.def     every enum bpf_prog_type: context, return range, packet rules
//   kernel_ctx_fields.def     the fields of each context layout and who may read/write them
//   kernel_attach_types.def   every enum bpf_attach_type, with return ranges it narrows
//   kernel_section_names.def  ELF section names -> program type and expected attach type
//   kernel_retvals.def        the uapi's names of return values (XDP_PASS, TC_ACT_SHOT, ...)
//
// Each .def is expanded once, in kernel_tables.cc, into a constant array of rows; the
// functions below search those arrays. Nothing here knows bpfjit's runtime: the runtime's
// own program types are in program_types.h.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "helpers/prototype.h"

namespace bpfjit::kernel {

// Program type numbers (enum bpf_prog_type).
enum class ProgTypeId : uint32_t {
  kUnspec = 0,
#define PROG_TYPE(num, name, camel, ...) k##camel = num,
#include "helpers/kernel_prog_types.def"
#undef PROG_TYPE
};

// A set of program types: bit n is program type n.
using TypeMask = uint64_t;

// One bit per program type, by its name: types::xdp, types::sched_cls, ...
namespace types {
#define PROG_TYPE(num, name, ...) inline constexpr TypeMask name = TypeMask{1} << (num);
#include "helpers/kernel_prog_types.def"
#undef PROG_TYPE
}  // namespace types

// Every program type.
inline constexpr TypeMask kAllTypes = ((TypeMask{1} << 32) - 1) & ~TypeMask{1};
// The tracing family: bpf_tracing_func_proto's callers.
inline constexpr TypeMask kTraceTypes = types::kprobe | types::tracepoint | types::perf_event |
                                        types::raw_tracepoint | types::raw_tracepoint_writable |
                                        types::tracing | types::lsm | types::syscall;
// The networking types that get bpf_sk_base_func_proto (the skc_to_* casts), and the
// BTF tracing types, which get them too.
inline constexpr TypeMask kSkBaseTypes =
    types::socket_filter | types::sched_cls | types::sched_act | types::xdp | types::cgroup_skb |
    types::lwt_in | types::lwt_out | types::lwt_xmit | types::sock_ops | types::sk_skb |
    types::sk_msg | types::cgroup_sock_addr | types::lwt_seg6local | types::flow_dissector |
    types::sk_lookup | types::tracing | types::lsm | types::syscall;
// Traffic control.
inline constexpr TypeMask kTcTypes = types::sched_cls | types::sched_act;
// Types that may not use a map whose value holds a bpf_spin_lock (the kernel's
// check_map_prog_compatibility): socket filters, and the tracing types that run in any
// context (is_tracing_prog_type).
inline constexpr TypeMask kNoSpinLockTypes = types::socket_filter | types::kprobe |
                                             types::tracepoint | types::perf_event |
                                             types::raw_tracepoint |
                                             types::raw_tracepoint_writable;

// The context structs program types receive.
enum class CtxLayout : uint8_t {
  kSkb,          // struct __sk_buff
  kXdpMd,        // struct xdp_md
  kPtRegs,       // struct pt_regs (x86-64)
  kTracepoint,   // a tracepoint's record
  kPerfEvent,    // struct bpf_perf_event_data
  kBtfArgs,      // u64 arguments (raw tracepoints, BTF-typed programs)
  kSock,         // struct bpf_sock
  kSockAddr,     // struct bpf_sock_addr
  kSockOps,      // struct bpf_sock_ops
  kSkMsg,        // struct sk_msg_md
  kCgroupDev,    // struct bpf_cgroup_dev_ctx
  kLirc,         // a u32 sample
  kSkReuseport,  // struct sk_reuseport_md
  kSysctl,       // struct bpf_sysctl
  kSockopt,      // struct bpf_sockopt
  kSkLookup,     // struct bpf_sk_lookup
  kSyscall,      // the caller's buffer
};

struct HelperRow {
  uint32_t id;
  const char* name;  // without "bpf_"
  RetKind ret;
  std::array<ArgKind, 5> args;
  TypeMask types;  // the program types that may call it
};

struct ProgTypeRow {
  uint32_t id;
  const char* name;
  CtxLayout ctx;
  uint32_t ctx_size;
  bool narrow_loads;
  int64_t ret_min;  // ret_min > ret_max: any exit value
  int64_t ret_max;
  bool packet_writes;
  bool ld_abs;
};

struct CtxFieldRow {
  CtxLayout layout;
  const char* name;
  uint32_t offset;
  uint32_t size;   // of one element
  uint32_t count;  // elements: 1 for a plain field
  TypeMask readers;
  TypeMask writers;
  CtxFieldKind kind;
  bool narrow;  // narrower loads allowed (if the type allows them)
  bool any_width = false;  // loads and stores of any aligned width, across elements
};

struct AttachTypeRow {
  uint32_t id;
  const char* name;  // lower case, without "BPF_"
  int64_t ret_min;   // ret_min > ret_max: the program type's range applies
  int64_t ret_max;
};

enum class SectionRule : uint8_t {
  kExact,   // the section is the name
  kSlash,   // the name, or the name then '/' and anything
  kPrefix,  // any section starting with the name
};

struct SectionRow {
  const char* name;
  SectionRule rule;
  const char* prog_type;    // a ProgTypeRow name
  const char* attach_type;  // an AttachTypeRow name, or "" for none
};

// --- helpers ---
std::span<const HelperRow> helper_rows();  // ids 1..max_helper_id(), in id order
uint32_t max_helper_id();
const HelperRow* find_helper(uint32_t id);
// By name, with or without the "bpf_" prefix.
const HelperRow* find_helper(std::string_view name);
// For a kPtrToFixedSizeMem argument (1..5) of helper `id`: the bytes it must point to; 0
// for any other argument.
uint32_t fixed_mem_size(uint32_t id, int arg);
// Whether a program of type `type` may call helper `id`.
bool helper_allowed(uint32_t id, uint32_t type);
// Whether the kernel's prototype of helper `id` sets pkt_access: its memory arguments may
// point into the packet.
bool helper_takes_packet(uint32_t id);
// Whether helper `id` may change packet data (the kernel's bpf_helper_changes_pkt_data;
// the CHANGES_PKT_DATA lines of kernel_helpers.def): packet pointers are stale after it.
bool helper_changes_pkt_data(uint32_t id);

// --- program types ---
std::span<const ProgTypeRow> prog_type_rows();  // numbers 1..31, in order
const ProgTypeRow* find_prog_type(uint32_t id);
const ProgTypeRow* find_prog_type(std::string_view name);
// The context fields programs of `type` may read or write (arrays expanded into
// "name[i]"), in offset order; writable fields of other types are read-only here, fields
// the type may neither read nor write are left out.
std::vector<CtxField> ctx_fields(const ProgTypeRow& type);
std::span<const CtxFieldRow> ctx_field_rows();

// --- attach types ---
std::span<const AttachTypeRow> attach_type_rows();  // numbers 0..43, in order
const AttachTypeRow* find_attach_type(uint32_t id);
const AttachTypeRow* find_attach_type(std::string_view name);

// The exit values check_return_code accepts for `type` loaded with expected attach type
// `attach` (nullptr: none set). min > max: any value.
struct RetRange {
  int64_t min;
  int64_t max;
  bool any() const { return min > max; }
};
RetRange return_range(const ProgTypeRow& type, const AttachTypeRow* attach);

// --- return value names ---
// The uapi's name of `retval` for the program type numbered `type` ("XDP_PASS",
// "TC_ACT_SHOT"), or an empty view when it has none.
std::string_view retval_name(uint32_t type, uint32_t retval);

// --- section names ---
std::span<const SectionRow> section_rows();
struct SectionMatch {
  const SectionRow* row;
  const ProgTypeRow* prog_type;
  const AttachTypeRow* attach_type;  // nullptr: libbpf sets none
};
// The first row `section` matches; nullopt when none does ("custom/sum", "license").
std::optional<SectionMatch> match_section(std::string_view section);

}  // namespace bpfjit::kernel
