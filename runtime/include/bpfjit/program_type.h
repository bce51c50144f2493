/// @file
/// The contracts of helpers and program types: what a helper takes and returns, what a
/// program type's context looks like and which helpers it may call. The helper table,
/// the verifier and the runtime share them, and a host uses them to register its own
/// helpers and program types (Runtime::register_helper, Runtime::register_program_type).
///
/// They follow the kernel's bpf_func_proto and bpf_verifier_ops in spirit: a helper
/// declares what each argument register must hold and what it returns; a program type
/// declares the layout of its context and which helpers it may call.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bpfjit {

/// The state of one run, opaque to hosts: a helper receives it as its last argument and
/// passes it to helper_memory(), helper_user_data() and helper_fail().
struct RunContext;

/// Every helper has this shape: r1..r5 in the SysV argument registers and the run's
/// context last, so that JIT code calls it with no shuffling. It returns r0.
using HelperFn = uint64_t (*)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                              RunContext* ctx);

/// For a helper: a host pointer to `size` bytes at program address `addr` when the
/// running program may access all of them (its stack, its input, its maps and global
/// data; writable ones when `write`), else nullptr. Helpers must check every pointer
/// argument this way unless the prototype's argument kinds already make the verifier
/// prove it (kPtrToMem with a kConstSize next to it, ...) and the program was verified.
uint8_t* helper_memory(RunContext* ctx, uint64_t addr, uint64_t size, bool write);

/// For a helper: the user pointer of the run (RunOptions::user_data), or nullptr.
void* helper_user_data(RunContext* ctx);

/// For a helper: stops the run after the helper returns; Program::run then reports an
/// error of code kRuntime naming the call instruction.
void helper_fail(RunContext* ctx);

/// What an argument register must hold at a helper call.
enum class ArgKind : uint8_t {
  kNone,              ///< the helper does not read this register
  kAnything,          ///< any initialised value, scalar or pointer
  kScalar,            ///< any scalar
  kConstMapPtr,       ///< a map reference (lddw src 1 or 5)
  kPtrToMapKey,       ///< readable memory of the map's key size
  kPtrToMapValue,     ///< readable memory of the map's value size
  kPtrToMem,          ///< readable memory; its size is the next argument (kConstSize...)
  kPtrToMemOrNull,    ///< as kPtrToMem, or the constant 0
  kPtrToUninitMem,    ///< writable memory the helper fills; size is the next argument
  kConstSize,         ///< a scalar proven in [1, 1 << 29]: the size of the previous pointer
  kConstSizeOrZero,   ///< as kConstSize, zero allowed
  kPtrToCtx,          ///< the program's context pointer, unmodified
  kPtrToFunc,         ///< a subprogram address (lddw src 4): a callback
  kPtrToStack,        ///< a pointer into the stack (e.g. bpf_loop's callback context)
  kPtrToStackOrNull,  ///< as kPtrToStack, or the constant 0
  kPtrToRingbufMem,   ///< memory from bpf_ringbuf_reserve, released by this call
  kPtrToConstStr,     ///< a NUL-terminated string in read-only memory (.rodata)
  kConstAllocSize,    ///< a constant size for a reservation
  kPtrToUninitMapValue,  ///< writable memory of the map's value size the helper fills
                         ///< (bpf_map_pop_elem, bpf_map_peek_elem)
  // The kinds below describe kernel helpers (the linux platform's table). The runtime has
  // no sockets, timers or kernel objects: HelperTable::add refuses them for host helpers.
  kPtrToMapValueOrNull,  ///< as kPtrToMapValue, or the constant 0 (bpf_sk_storage_get)
  kPtrToSockCommon,      ///< a socket pointer of any kind (struct sock_common or wider)
  kPtrToReleasedSocket,  ///< a socket reference from a lookup helper, released by this call
  kPtrToBtfId,           ///< a trusted pointer to a kernel object of a BTF type (task, file)
  kPtrToBtfIdOrNull,     ///< as kPtrToBtfId, or the constant 0
  kPtrToReleasedBtfIdOrNull,  ///< a referenced kernel object (or 0) given away by this call
  kPtrToPercpuBtfId,     ///< a per-cpu kernel variable (bpf_per_cpu_ptr, bpf_this_cpu_ptr)
  kPtrToKptr,            ///< a referenced-pointer slot in a map value (bpf_kptr_xchg)
  kPtrToSpinLock,        ///< the struct bpf_spin_lock inside a map value
  kPtrToTimer,           ///< the struct bpf_timer inside a map value
  kPtrToLong,            ///< 8 writable, aligned bytes the helper fills (a u64 result)
  kPtrToInt,             ///< 4 writable, aligned bytes the helper fills (a u32 result)
  kPtrToFixedSizeMem,    ///< readable memory of a size fixed by the helper
                         ///< (kernel_helper_fixed_size(): e.g. an IPv4 header)
  kPtrToDynptr,          ///< an initialised struct bpf_dynptr on the stack
  kPtrToUninitDynptr,    ///< a struct bpf_dynptr on the stack the helper initialises
  kPtrToReleasedDynptr,  ///< a ring buffer dynptr given back (submitted, discarded) by this call
};

/// What a helper returns in r0.
enum class RetKind : uint8_t {
  kInteger,                ///< a scalar
  kVoid,                   ///< r0 is undefined afterwards (treated as an unknown scalar)
  kPtrToMapValueOrNull,    ///< a value of the map passed as argument 1, or null
  kPtrToRingbufMemOrNull,  ///< reserved memory of the size in argument 2, or null; must be
                           ///< released by submit or discard on every path
  // Kinds of kernel helpers (the linux platform's table); refused for host helpers.
  kPtrToMapValue,            ///< a value of the map passed as argument 1, never null
                             ///< (bpf_get_local_storage)
  kPtrToSocketOrNull,        ///< a socket reference, or null; released by bpf_sk_release
                             ///< (bpf_sk_lookup_tcp/udp)
  kPtrToSockCommonOrNull,    ///< as kPtrToSocketOrNull for a struct sock_common
                             ///< (bpf_skc_lookup_tcp)
  kPtrToFullSocketOrNull,    ///< a full socket, or null; no reference (bpf_sk_fullsock)
  kPtrToTcpSockOrNull,       ///< a struct bpf_tcp_sock, or null; no reference
  kPtrToBtfId,               ///< a trusted kernel object (bpf_get_current_task_btf)
  kPtrToBtfIdOrNull,         ///< a kernel object or null (bpf_skc_to_tcp_sock, ...)
  kPtrToReferencedBtfIdOrNull,  ///< a kernel object reference or null (bpf_kptr_xchg)
  kPtrToMemOrBtfIdOrNull,    ///< a per-cpu variable or null (bpf_per_cpu_ptr)
  kPtrToMemOrBtfId,          ///< a per-cpu variable (bpf_this_cpu_ptr)
  kPtrToDynptrMemOrNull,     ///< memory inside a dynptr, or null (bpf_dynptr_data)
};

/// A helper: its id (the `call` immediate), its function and its prototype, which the
/// verifier checks every call against.
struct HelperProto {
  uint32_t id = 0;   ///< the kernel's id for kernel helpers; hosts pick ids >= 1000
  std::string name;  ///< without the "bpf_" prefix, as in the kernel: "map_lookup_elem"
  HelperFn fn = nullptr;            ///< the function JIT code calls directly
  RetKind ret = RetKind::kInteger;  ///< what r0 holds afterwards
  std::array<ArgKind, 5> args{};    ///< what r1..r5 must hold
  bool general = true;  ///< open to every program type (maps, time, random, strings, ...)
  /// Its memory arguments may point into the packet (the kernel's `pkt_access`); without
  /// it, passing a packet pointer to the helper is refused, as the kernel does.
  bool pkt_access = false;
  /// It may move, grow or shrink the packet (the kernel's bpf_helper_changes_pkt_data:
  /// xdp_adjust_head, skb_store_bytes, ...): after a call, the verifier makes every packet
  /// pointer the program holds unusable, and the program must load data/data_end again.
  bool changes_pkt_data = false;
};

/// One field of a program type's context.
enum class CtxFieldKind : uint8_t {
  kScalar,       ///< plain data
  kPacketStart,  ///< holds a pointer to the first byte of the packet (e.g. xdp_md.data)
  kPacketEnd,    ///< holds a pointer one past the packet's last byte (xdp_md.data_end)
  kPacketMeta,   ///< holds a pointer to the packet's metadata (xdp_md.data_meta)
  // Kernel contexts only (the linux platform): pointers the runtime never hands out.
  kSocket,            ///< a struct bpf_sock pointer, never null (bpf_sock_addr.sk)
  kSocketOrNull,      ///< a struct bpf_sock pointer or null (bpf_sock_ops.sk)
  kSockCommonOrNull,  ///< a socket of any kind or null (__sk_buff.sk)
  kFlowKeys,          ///< a struct bpf_flow_keys pointer (__sk_buff.flow_keys, flow_dissector)
};

/// A field of a context struct, as programs see it.
struct CtxField {
  std::string name;     ///< for messages: "len", "data_end"
  uint32_t offset = 0;  ///< byte offset in the context programs are compiled against
  uint32_t size = 0;    ///< bytes: loads of this field must use exactly this size, unless
                        ///< narrow_loads is set on the program type
  bool readable = true;    ///< programs may load it
  bool writable = false;   ///< programs may store to it
  CtxFieldKind kind = CtxFieldKind::kScalar;  ///< data, or a packet pointer
  /// Where the field lives in the context the runtime really passes (the "shadow" context,
  /// helpers/program_types.h), when that differs from the kernel layout: packet pointer
  /// fields are u32 in the kernel's structs but full 64-bit pointers in ours.
  /// kSameAsKernel: same offset (and size) as the kernel's.
  static constexpr uint32_t kSameAsKernel = UINT32_MAX;
  uint32_t shadow_offset = kSameAsKernel;  ///< offset in the runtime's context struct
  uint32_t shadow_size = kSameAsKernel;    ///< size in the runtime's context struct
  /// Loads narrower than the field are allowed, if the program type allows them
  /// (ProgramType::narrow_loads); false for fields the kernel lets programs load whole only.
  bool narrow_loads = true;
  /// One element of an array that programs load and store at any width aligned to the
  /// access, across elements (the kernel's __sk_buff.cb[]); the verifier of the linux
  /// platform honours it.
  bool any_width = false;
};

/// How a program type receives its input.
enum class CtxModel : uint8_t {
  kMemBuffer,  ///< r1 = a buffer, r2 = its length (the conformance tests' `mem` convention)
  kStruct,     ///< r1 = a context struct laid out by `fields`
};

/// A program type: what r1 holds at entry, how the context may be accessed and which
/// helpers programs of the type may call. A host-defined type (CtxModel::kStruct) gets
/// its context as the bytes passed to Program::run, which must hold ctx_size bytes (or
/// shadow_size); only fields listed here may be accessed.
struct ProgramType {
  std::string name;                     ///< "mem", "xdp", "socket_filter", a host's own
  CtxModel model = CtxModel::kStruct;   ///< buffer or struct context
  uint32_t ctx_size = 0;                ///< bytes of the context struct
  std::vector<CtxField> fields;         ///< the accessible fields
  bool narrow_loads = true;          ///< loads narrower than a scalar field are allowed
  std::vector<uint32_t> extra_helpers;  ///< ids beyond the general helpers it may call
  bool packet_loads = false;         ///< legacy LD ABS/IND allowed
  uint32_t shadow_size = 0;          ///< bytes of the runtime's context struct (0: ctx_size)
  /// The values r0 may hold at exit (the kernel's check_return_code: 0..1 for cgroup_skb,
  /// -4095..0 for lsm, ...), as signed bounds on the 64-bit exit value. ret_min > ret_max
  /// (the default) means any value.
  int64_t ret_min = 0;
  int64_t ret_max = -1;
  /// Whether exit values are checked (ret_min <= ret_max).
  bool has_ret_range() const { return ret_min <= ret_max; }
  bool packet_access = false;  ///< direct packet loads through data/data_end pointers
  bool packet_writes = false;  ///< direct packet stores (the kernel's may_access_direct_pkt_data)
  uint32_t kernel_type = 0;    ///< enum bpf_prog_type number; 0 for bpfjit's own types
};

/// The uapi's name of a return value of a program of `type` ("XDP_PASS", "TC_ACT_SHOT",
/// ...: r0 truncated to 32 bits, as the kernel's test run reports it), or an empty view
/// when the type gives that value no name.
std::string_view retval_name(const ProgramType& type, uint64_t r0);
/// The same by the type's enum bpf_prog_type number (BPF_PROG_TYPE_XDP, ...).
std::string_view retval_name(uint32_t kernel_type, uint64_t r0);

}  // namespace bpfjit
