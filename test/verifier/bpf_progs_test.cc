// Every program of every bpf-progs object (<build>/bpf-progs/*.o, compiled by clang from
// bpf-progs/*.c) is accepted by the verifier on the runtime platform, as the runtime will
// see it: loaded by the ELF loader (context accesses rewritten to the runtime's layout).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "runtime/loader/loader.h"
#include "verifier/verifier.h"

namespace bpfjit::verifier {
namespace {

std::vector<std::filesystem::path> objects() {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(BPFJIT_BPF_PROGS_DIR, ec)) {
    if (e.path().extension() == ".o") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The verifier's view of a loaded program: the object's maps, then its global data
// sections as one-entry array maps, and the lddw side table renumbered to match.
VerifyResult verify_loaded(const LoadedObject& obj, const LoadedProgram& prog,
                           const ProgramType& type) {
  std::vector<MapInfo> maps;
  for (const MapDef& m : obj.maps) {
    maps.push_back({static_cast<uint32_t>(m.spec.type), m.spec.key_size, m.spec.value_size,
                    m.spec.max_entries, false});
  }
  const auto data_base = static_cast<uint32_t>(maps.size());
  for (const DataImage& d : obj.data) {
    maps.push_back({map_type::kArray, 4, static_cast<uint32_t>(d.bytes.size()), 1, d.readonly});
  }
  std::vector<LddwRef> refs;
  for (const auto& r : prog.lddw_refs) {
    switch (r.kind) {
      case bpfjit::LddwRefKind::kMap:
        refs.push_back({r.slot, LddwRefKind::kMap, r.index, 0});
        break;
      case bpfjit::LddwRefKind::kMapValue:
        refs.push_back({r.slot, LddwRefKind::kMapValue, data_base + r.index,
                        static_cast<uint32_t>(r.offset)});
        break;
      case bpfjit::LddwRefKind::kCode:
        refs.push_back({r.slot, LddwRefKind::kCode, 0, static_cast<uint32_t>(r.offset)});
        break;
    }
  }
  VerifyInput in{prog.insns, refs, maps, type, {}, std::nullopt, runtime_platform()};
  // mem programs in bpf-progs take a buffer the host sizes; 64 bytes is what their tests give.
  if (type.model == CtxModel::kMemBuffer) in.mem_size = 64;
  return verify(in);
}

// Programs that a range-based verifier cannot prove, with the reason; the test checks that
// they are still rejected so that the list stays true.
struct KnownRejection {
  const char* object;
  const char* program;
  const char* why;
};
constexpr KnownRejection kKnownRejections[] = {
    {"globals.clang14.v2.o", "globals",
     "clang-14 computes calls % 5 as calls - calls / 5 * 5; bounding that difference needs "
     "relational reasoning (the kernel's verifier rejects it too)"},
};

const KnownRejection* known_rejection(const std::string& object, const std::string& program) {
  for (const KnownRejection& k : kKnownRejections) {
    if (object == k.object && program == k.program) return &k;
  }
  return nullptr;
}

TEST(BpfProgsTest, EveryProgramIsAccepted) {
  auto files = objects();
  if (files.empty()) GTEST_SKIP() << "no objects in " << BPFJIT_BPF_PROGS_DIR << " (build bpf_progs)";
  HelperTable helpers = HelperTable::builtin();
  size_t programs = 0;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
    LoadOptions opts;
    opts.helpers = &helpers;
    auto obj = load_object(bytes, opts);
    if (!obj) {
      ADD_FAILURE() << f.filename() << ": " << obj.error().to_string();
      continue;
    }
    for (const LoadedProgram& p : obj->programs) {
      ProgramType view = runtime_ctx_view(*p.type);
      VerifyResult r = verify_loaded(*obj, p, view);
      if (const KnownRejection* k = known_rejection(f.filename().string(), p.name)) {
        EXPECT_FALSE(r.accepted) << f.filename().string() << " " << p.name
                                 << " is now accepted; remove it from kKnownRejections";
        continue;
      }
      EXPECT_TRUE(r.accepted) << f.filename().string() << " " << p.name << " (" << p.section
                              << ", " << p.type->name << "): " << r.error_text();
      ++programs;
    }
  }
  EXPECT_GT(programs, 10u);
}

}  // namespace
}  // namespace bpfjit::verifier
