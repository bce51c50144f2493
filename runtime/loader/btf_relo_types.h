// The vocabulary of CO-RE relocations that loaded programs carry (LoadedProgram::core_relos);
// the relocation itself is in btf_relo.h.
#pragma once

#include <cstdint>
#include <string>

namespace bpfjit {

// The helper id a CO-RE relocation that cannot be satisfied leaves in its instruction
// (0xbad2310, "bad relo", as libbpf does): the instruction becomes a call to a helper
// that does not exist. The verifier refuses it only if a path reaches it, so code
// guarded by bpf_core_field_exists() and the like still loads; an unverified (checked)
// run that reaches it stops with an unknown-helper trap.
constexpr int32_t kCorePoisonHelper = 0xbad2310;

// The kinds of `enum bpf_core_relo_kind` (uapi linux/bpf.h), one row each:
// X(enumerator, number, name)
#define BPFJIT_CORE_RELO_KINDS(X)             \
  X(kFieldByteOffset, 0, "field_byte_offset") \
  X(kFieldByteSize, 1, "field_byte_size")     \
  X(kFieldExists, 2, "field_exists")          \
  X(kFieldSigned, 3, "field_signed")          \
  X(kFieldLshiftU64, 4, "field_lshift_u64")   \
  X(kFieldRshiftU64, 5, "field_rshift_u64")   \
  X(kTypeIdLocal, 6, "type_id_local")         \
  X(kTypeIdTarget, 7, "type_id_target")       \
  X(kTypeExists, 8, "type_exists")            \
  X(kTypeSize, 9, "type_size")                \
  X(kEnumvalExists, 10, "enumval_exists")     \
  X(kEnumvalValue, 11, "enumval_value")       \
  X(kTypeMatches, 12, "type_matches")

enum class CoreReloKind : uint32_t {
#define BPFJIT_X(e, n, s) e = n,
  BPFJIT_CORE_RELO_KINDS(BPFJIT_X)
#undef BPFJIT_X
};

// "field_byte_offset", ...; nullptr for a number that is not a kind.
const char* core_relo_kind_name(uint32_t kind);

// One CO-RE relocation as applied (or poisoned), for inspection and tests.
struct CoreReloResult {
  uint32_t slot = 0;        // in the linked program
  std::string section;      // the code section of the record
  uint32_t insn_off = 0;    // byte offset in that section
  CoreReloKind kind = CoreReloKind::kFieldByteOffset;
  std::string what;         // "struct task_struct.pid"
  std::string access;       // the access string
  uint64_t local_value = 0;  // what the compiler wrote (the local BTF's value)
  uint64_t target_value = 0; // what the target BTF gives (0 when poisoned)
  bool poisoned = false;     // the target has no match: the instruction is poisoned
};

}  // namespace bpfjit
