// Every program of every bpf-progs object (<build>/bpf-progs/*.o, compiled by clang from
// bpf-progs/*.c) is accepted by the verifier on the runtime platform, as the runtime will
// see it: loaded by the ELF loader (context accesses rewritten to the runtime's layout).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "runtime/cli/verify_object.h"
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
    {"map_types.v3.o", "touch_stacks",
     "looks up a stack_trace map, whose elements programs may not look up"},
    {"map_types.v4.o", "touch_stacks",
     "looks up a stack_trace map, whose elements programs may not look up"},
};

// Objects built to be refused by the loader (test/loader/object_shapes_test.cc).
bool refused_by_the_loader(const std::string& object) {
  return object.rfind("legacy_maps_bad.", 0) == 0;
}

const KnownRejection* known_rejection(const std::string& object, const std::string& program) {
  for (const KnownRejection& k : kKnownRejections) {
    if (object == k.object && program == k.program) return &k;
  }
  return nullptr;
}

// Objects that do not load without settings the tests give them (a target BTF for CO-RE,
// .kconfig values) or that are refused by the loader on purpose (__ksym, kfuncs): their
// tests are in test/loader/btf_relo_test.cc.
bool needs_load_settings(const std::string& object) {
  for (const char* prefix : {"core_fields.", "core_kinds.", "core_task.", "kconfig_externs.",
                             "ksym_extern.", "kfunc_call."}) {
    if (object.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST(BpfProgsTest, EveryProgramIsAccepted) {
  auto files = objects();
  if (files.empty()) GTEST_SKIP() << "no objects in " << BPFJIT_BPF_PROGS_DIR << " (build bpf_progs)";
  HelperTable helpers = HelperTable::builtin();
  size_t programs = 0;
  for (const auto& f : files) {
    if (needs_load_settings(f.filename().string())) continue;
    std::ifstream in(f, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
    LoadOptions opts;
    opts.helpers = &helpers;
    auto obj = load_object(bytes, opts);
    if (!obj && refused_by_the_loader(f.filename().string())) continue;
    if (!obj) {
      ADD_FAILURE() << f.filename() << ": " << obj.error().to_string();
      continue;
    }
    for (const LoadedProgram& p : obj->programs) {
      if (p.load_error) continue;  // refused by the loader alone (isolation.c)
      ProgramType view = runtime_ctx_view(*p.type);
      // mem programs get a 64-byte buffer, what their tests give them.
      std::optional<uint64_t> mem_size;
      if (view.model == CtxModel::kMemBuffer) mem_size = 64;
      VerifyResult r = cli::verify_loaded_program(*obj, p, view, runtime_platform(), mem_size);
      if (known_rejection(f.filename().string(), p.name) != nullptr) {
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
