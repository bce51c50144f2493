/// @file
/// Plain descriptions of what the ELF loader found in an object: the lddw side table a
/// verifier reads and the relocations `bpfjit inspect` lists.
#pragma once

#include <cstdint>
#include <string>

namespace bpfjit {

/// What a 64-bit immediate load referred to before relocation. After loading, every such
/// lddw is a plain one (src 0) whose imm64 the runtime has bound to the value below.
enum class LddwRefKind : uint8_t {
  kMap,       ///< a map: imm64 = the Map object's address; index = the object's map index
  kMapValue,  ///< global data: imm64 = the data buffer's address + offset; index = the
              ///< object's global data section index
  kCode,      ///< a subprogram (e.g. a bpf_loop callback): imm64 = its slot index (offset)
};

/// "map", "map value" or "code".
const char* lddw_ref_kind_name(LddwRefKind kind);

/// One entry of a program's lddw side table.
struct LddwRef {
  uint32_t slot = 0;                     ///< the lddw's first slot in the linked program
  LddwRefKind kind = LddwRefKind::kMap;  ///< what it refers to
  uint32_t index = 0;                    ///< map index or global data section index
  uint64_t offset = 0;                   ///< byte offset (kMapValue) or slot index (kCode)
};

/// One relocation of a code section as the object states it.
struct RelocationInfo {
  std::string section;  ///< the section it patches
  uint32_t index = 0;   ///< its index in the relocation section
  uint64_t offset = 0;  ///< byte offset in the patched section
  std::string type;     ///< "R_BPF_64_64", "R_BPF_64_32"
  std::string symbol;   ///< the symbol it names
  std::string target;   ///< what it resolved to: "map stats", ".rodata+16", "func mix"
};

}  // namespace bpfjit
