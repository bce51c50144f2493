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
};

/// What a helper returns in r0.
enum class RetKind : uint8_t {
  kInteger,                ///< a scalar
  kVoid,                   ///< r0 is undefined afterwards (treated as an unknown scalar)
  kPtrToMapValueOrNull,    ///< a value of the map passed as argument 1, or null
  kPtrToRingbufMemOrNull,  ///< reserved memory of the size in argument 2, or null; must be
                           ///< released by submit or discard on every path
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
};

/// One field of a program type's context.
enum class CtxFieldKind : uint8_t {
  kScalar,       ///< plain data
  kPacketStart,  ///< holds a pointer to the first byte of the packet (e.g. xdp_md.data)
  kPacketEnd,    ///< holds a pointer one past the packet's last byte (xdp_md.data_end)
  kPacketMeta,   ///< holds a pointer to the packet's metadata (xdp_md.data_meta)
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
  /// When set, r0 at the program's exit must be a scalar proven in
  /// [return_min, return_max] (the kernel's check of cgroup programs' return codes).
  bool check_return = false;
  int64_t return_min = 0;  ///< the smallest return value allowed when check_return
  int64_t return_max = 0;  ///< the largest return value allowed when check_return
};

}  // namespace bpfjit
