// The helper and program type vocabulary is public (bpfjit/program_type.h): hosts register
// their own helpers and program types with it.
#pragma once

#include <algorithm>

#include "bpfjit/program_type.h"
#include "runtime/isa/machine.h"

namespace bpfjit {

// The kinds the runtime's helpers and program types may use, which the verifier checks.
// The enumerators after these describe kernel helpers and contexts only (the linux
// platform's tables, helpers/kernel_tables.h): HelperTable::add and ProgramTypeRegistry::add
// refuse them, and the linux platform hides helpers that use them from the verifier until
// it handles them.
inline constexpr ArgKind kLastRuntimeArgKind = ArgKind::kPtrToUninitMapValue;
inline constexpr RetKind kLastRuntimeRetKind = RetKind::kPtrToRingbufMemOrNull;
inline constexpr CtxFieldKind kLastRuntimeCtxFieldKind = CtxFieldKind::kPacketMeta;

// Of the kernel kinds, the runtime runs kPtrToSpinLock (bpf_spin_lock on a map value) and
// kPtrToInt / kPtrToLong (a result the helper writes: bpf_check_mtu's mtu_len).
inline bool is_runtime_arg_kind(ArgKind a) {
  return a <= kLastRuntimeArgKind || a == ArgKind::kPtrToSpinLock || a == ArgKind::kPtrToInt ||
         a == ArgKind::kPtrToLong;
}

inline bool uses_runtime_kinds_only(const HelperProto& p) {
  return p.ret <= kLastRuntimeRetKind &&
         std::all_of(p.args.begin(), p.args.end(), is_runtime_arg_kind);
}

}  // namespace bpfjit
