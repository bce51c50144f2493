// A minimal relocatable eBPF object writer for the soundness oracle: one program section
// and legacy `maps` definitions, so that generated programs take the runtime's real path
// (ELF loader, context rewriting, map binding, Program::prepare and run).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/isa/isa.h"
#include "runtime/isa/result.h"

namespace bpfjit::soundness {

// One legacy map definition (struct bpf_map_def's first five fields).
struct ElfMap {
  uint32_t type = 2;  // kernel BPF_MAP_TYPE_*
  uint32_t key_size = 4;
  uint32_t value_size = 8;
  uint32_t max_entries = 1;
  uint32_t flags = 0;
};

// Builds the object. `insns` may hold pseudo lddw instructions: map_fd (src 1, imm = the
// map's index in `maps`) becomes a relocation against that map's symbol, code (src 4,
// imm = slots from the lddw's second slot) one against the program's own symbol. Other
// pseudo lddw kinds are refused. `btf`, when not empty, becomes the object's .BTF section.
Result<std::vector<uint8_t>> build_object(const std::vector<Insn>& insns,
                                          const std::vector<ElfMap>& maps,
                                          const std::string& section,
                                          const std::vector<uint8_t>& btf = {});

}  // namespace bpfjit::soundness
