// The verifier's view of a program the ELF loader produced: the object's maps, then its
// global data sections as one-entry array maps (read-only for .rodata), and the loader's
// lddw side table renumbered to match. Shared by Program::prepare, `bpfjit verify` and
// the verifier's tests.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "helpers/map_types.h"
#include "runtime/loader/loader.h"
#include "verifier/verifier.h"

namespace bpfjit {

// The maps as the verifier sees them: the object's maps, then one per global data section,
// then the inner map templates of its maps of maps.
inline std::vector<verifier::MapInfo> verifier_maps(const LoadedObject& obj) {
  std::vector<verifier::MapInfo> maps;
  for (const MapDef& m : obj.maps) {
    verifier::MapInfo info{static_cast<uint32_t>(m.spec.type), m.spec.key_size,
                           m.spec.value_size, m.spec.max_entries};
    info.read_only = (m.spec.flags & kFlagRdonlyProg) != 0;
    info.write_only = (m.spec.flags & kFlagWronlyProg) != 0;
    info.spin_lock_off = m.spin_lock_off;
    maps.push_back(info);
  }
  const size_t object_maps = maps.size();
  for (const DataImage& d : obj.data) {
    verifier::MapInfo info{verifier::map_type::kArray, 4, static_cast<uint32_t>(d.bytes.size()),
                           1};
    info.read_only = d.readonly;
    maps.push_back(info);
  }
  // Inner map templates of maps of maps, after the data sections.
  for (size_t i = 0; i < object_maps; ++i) {
    const auto& inner = obj.maps[i].inner;
    if (!inner) continue;
    maps[i].inner = static_cast<int32_t>(maps.size());
    maps.push_back({static_cast<uint32_t>(inner->type), inner->key_size, inner->value_size,
                    inner->max_entries});
  }
  return maps;
}

// The loader's lddw side table in the numbering of verifier_maps(); `data_base` is the
// number of the object's maps (global data sections come after them).
inline std::vector<verifier::LddwRef> verifier_refs(const LoadedProgram& prog,
                                                    uint32_t data_base) {
  std::vector<verifier::LddwRef> refs;
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
  return refs;
}

inline verifier::VerifyResult verify_loaded_program(
    const LoadedObject& obj, const LoadedProgram& prog, const ProgramType& type,
    const verifier::Platform& platform, std::optional<uint64_t> mem_size,
    const verifier::VerifyOptions& opts = {},
    std::function<const HelperProto*(uint32_t)> helper = {}) {
  verifier::VerifyInput in{prog.insns,
                           verifier_refs(prog, static_cast<uint32_t>(obj.maps.size())),
                           verifier_maps(obj),
                           type,
                           std::move(helper),
                           mem_size,
                           platform};
  return verifier::verify(in, opts);
}

}  // namespace bpfjit
