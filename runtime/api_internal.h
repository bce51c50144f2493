// What bpfjit's own tools and tests may reach behind the public API (runtime/include):
// the loader's view of a program, the runtime's tables, the maps' implementations. Not
// installed and not part of the stable API.
#pragma once

#include <memory>

#include "bpfjit/runtime.h"
#include "helpers/helper_table.h"
#include "helpers/maps.h"
#include "helpers/program_types.h"
#include "runtime/loader/loader.h"

namespace bpfjit {

struct ProgramAccess {
  // The linked, relocated program as the loader produced it (insns, lddw side table).
  static const LoadedProgram& loaded(const Program& p);
  // The runtime's helper table and program types.
  static const HelperTable& helpers(const Runtime& rt);
  static const ProgramTypeRegistry& program_types(const Runtime& rt);
  // The prepared program's engine, or nullptr (for tests that inspect the jitted code).
  static const Executable* executable(const Program& p);
};

// A map operation's negative errno as an error that names the map and the operation.
Diagnostic map_error(const BpfMap& m, const char* op, int64_t rc);

struct MapAccess {
  static BpfMap& impl(const Map& m) { return *m.impl_; }
  static const std::shared_ptr<BpfMap>& shared(const Map& m) { return m.impl_; }
  static std::shared_ptr<Map> wrap(std::shared_ptr<BpfMap> m) {
    return std::shared_ptr<Map>(new Map(std::move(m)));
  }
};

}  // namespace bpfjit
