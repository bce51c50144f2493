/// @file
/// What the ELF loader found in an object's relocations, as `bpfjit inspect` lists them.
#pragma once

#include <cstdint>
#include <string>

namespace bpfjit {

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
