// The vocabulary that describes a helper's and a program type's contract, shared by the
// helper table (helpers/), the verifier (verifier/) and the runtime.
//
// It follows the kernel's bpf_func_proto and bpf_verifier_ops in spirit: a helper declares
// what each argument register must hold and what it returns; a program type declares the
// layout of its context and which helpers it may call.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/isa/machine.h"

namespace bpfjit {

// What an argument register must hold at a helper call.
enum class ArgKind : uint8_t {
  kNone,              // the helper does not read this register
  kAnything,          // any initialised value, scalar or pointer
  kScalar,            // any scalar
  kConstMapPtr,       // a map reference (lddw src 1 or 5)
  kPtrToMapKey,       // readable memory of the map's key size
  kPtrToMapValue,     // readable memory of the map's value size
  kPtrToMem,          // readable memory; its size is the next argument (kConstSize...)
  kPtrToMemOrNull,    // as kPtrToMem, or the constant 0
  kPtrToUninitMem,    // writable memory the helper fills; size is the next argument
  kConstSize,         // a scalar proven in [1, 1 << 29]: the size of the previous pointer
  kConstSizeOrZero,   // as kConstSize, zero allowed
  kPtrToCtx,          // the program's context pointer, unmodified
  kPtrToFunc,         // a subprogram address (lddw src 4): a callback
  kPtrToStack,        // a pointer into the stack (e.g. bpf_loop's callback context)
  kPtrToStackOrNull,  // as kPtrToStack, or the constant 0
  kPtrToRingbufMem,   // memory from bpf_ringbuf_reserve, released by this call
  kPtrToConstStr,     // a NUL-terminated string in read-only memory (.rodata)
  kConstAllocSize,    // a constant size for a reservation
  kPtrToUninitMapValue,  // writable memory of the map's value size the helper fills
                         // (bpf_map_pop_elem, bpf_map_peek_elem)
};

// What a helper returns in r0.
enum class RetKind : uint8_t {
  kInteger,                // a scalar
  kVoid,                   // r0 is undefined afterwards (treated as an unknown scalar)
  kPtrToMapValueOrNull,    // a value of the map passed as argument 1, or null
  kPtrToRingbufMemOrNull,  // reserved memory of the size in argument 2, or null; must be
                           // released by submit or discard on every path
};

struct HelperProto {
  uint32_t id = 0;
  std::string name;  // without the "bpf_" prefix, as in the kernel: "map_lookup_elem"
  HelperFn fn = nullptr;
  RetKind ret = RetKind::kInteger;
  std::array<ArgKind, 5> args{};  // r1..r5
  bool general = true;  // open to every program type (maps, time, random, strings, ...)
};

// One field of a program type's context.
enum class CtxFieldKind : uint8_t {
  kScalar,       // plain data
  kPacketStart,  // holds a pointer to the first byte of the packet (e.g. xdp_md.data)
  kPacketEnd,    // holds a pointer one past the packet's last byte (xdp_md.data_end)
  kPacketMeta,   // holds a pointer to the packet's metadata (xdp_md.data_meta)
};

struct CtxField {
  std::string name;
  uint32_t offset = 0;
  uint32_t size = 0;  // bytes: loads of this field must use exactly this size, unless
                      // narrow_loads is set on the program type
  bool readable = true;
  bool writable = false;
  CtxFieldKind kind = CtxFieldKind::kScalar;
  // Where the field lives in the context the runtime really passes (the "shadow" context,
  // helpers/program_types.h), when that differs from the kernel layout: packet pointer
  // fields are u32 in the kernel's structs but full 64-bit pointers in ours.
  // kSameAsKernel: same offset (and size) as the kernel's.
  static constexpr uint32_t kSameAsKernel = UINT32_MAX;
  uint32_t shadow_offset = kSameAsKernel;
  uint32_t shadow_size = kSameAsKernel;
};

// How a program type receives its input.
enum class CtxModel : uint8_t {
  kMemBuffer,  // r1 = a buffer, r2 = its length (the conformance tests' `mem` convention)
  kStruct,     // r1 = a context struct laid out by `fields`
};

struct ProgramType {
  std::string name;                  // "mem", "xdp", "socket_filter", a host's own
  CtxModel model = CtxModel::kStruct;
  uint32_t ctx_size = 0;             // bytes of the context struct
  std::vector<CtxField> fields;
  bool narrow_loads = true;          // loads narrower than a scalar field are allowed
  std::vector<uint32_t> extra_helpers;  // ids beyond the general helpers it may call
  bool packet_loads = false;         // legacy LD ABS/IND allowed
  uint32_t shadow_size = 0;          // bytes of the runtime's context struct (0: ctx_size)
};

}  // namespace bpfjit
