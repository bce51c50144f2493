// The verifier's view of a program the ELF loader produced: the object's maps, then its
// global data sections as one-entry array maps (read-only for .rodata), and the loader's
// lddw side table renumbered to match. Shared by `bpfjit verify` and the verifier's tests.
#pragma once

#include <optional>

#include "runtime/loader/loader.h"
#include "verifier/verifier.h"

namespace bpfjit::cli {

inline verifier::VerifyResult verify_loaded_program(const LoadedObject& obj,
                                                    const LoadedProgram& prog,
                                                    const ProgramType& type,
                                                    const verifier::Platform& platform,
                                                    std::optional<uint64_t> mem_size,
                                                    const verifier::VerifyOptions& opts = {}) {
  using verifier::LddwRef;
  using verifier::MapInfo;
  std::vector<MapInfo> maps;
  for (const MapDef& m : obj.maps) {
    maps.push_back({static_cast<uint32_t>(m.spec.type), m.spec.key_size, m.spec.value_size,
                    m.spec.max_entries, false});
  }
  const auto data_base = static_cast<uint32_t>(maps.size());
  for (const DataImage& d : obj.data) {
    maps.push_back({verifier::map_type::kArray, 4, static_cast<uint32_t>(d.bytes.size()), 1,
                    d.readonly});
  }
  std::vector<LddwRef> refs;
  for (const auto& r : prog.lddw_refs) {
    switch (r.kind) {
      case LddwRefKind::kMap:
        refs.push_back({r.slot, verifier::LddwRefKind::kMap, r.index, 0});
        break;
      case LddwRefKind::kMapValue:
        refs.push_back({r.slot, verifier::LddwRefKind::kMapValue, data_base + r.index,
                        static_cast<uint32_t>(r.offset)});
        break;
      case LddwRefKind::kCode:
        refs.push_back({r.slot, verifier::LddwRefKind::kCode, 0, static_cast<uint32_t>(r.offset)});
        break;
    }
  }
  verifier::VerifyInput in{prog.insns, refs, maps, type, {}, mem_size, platform};
  return verifier::verify(in, opts);
}

}  // namespace bpfjit::cli
