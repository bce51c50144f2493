// The loader on the objects clang builds from bpf-progs/: programs, maps, global data and
// relocations come out as the sources declare them.
#include <gtest/gtest.h>

#include <algorithm>

#include "runtime/loader/loader.h"
#include "test/loader/loader_util.h"

namespace bpfjit {
namespace {

using testing::read_prog;

const LoadedProgram* find_prog(const LoadedObject& obj, const std::string& name) {
  for (const auto& p : obj.programs) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const MapDef* find_map(const LoadedObject& obj, const std::string& name) {
  for (const auto& m : obj.maps) {
    if (m.spec.name == name) return &m;
  }
  return nullptr;
}

Result<LoadedObject> load_file(const std::string& file, const LoadOptions& opts = {}) {
  auto bytes = read_prog(file);
  if (bytes.empty()) return make_error(ErrorCode::kIo, "cannot read " + file);
  return load_object(bytes, opts);
}

class EveryObject : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryObject, LoadsWithBuiltinHelpers) {
  HelperTable helpers = HelperTable::builtin();
  LoadOptions opts;
  opts.helpers = &helpers;
  auto obj = load_file(GetParam(), opts);
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  EXPECT_FALSE(obj->programs.empty());
  for (const auto& p : obj->programs) {
    ASSERT_NE(p.type, nullptr);
    EXPECT_FALSE(p.load_error) << p.name << ": " << p.load_error->to_string();
    // Only plain lddw remain, each one described by the side table.
    size_t lddw = 0;
    for (const Insn& in : p.insns) {
      EXPECT_TRUE(form_of(in.op) != Form::kLddw || in.op == Op::kLddw || in.op == Op::kLddwHigh);
      if (in.op == Op::kLddw) ++lddw;
    }
    EXPECT_LE(p.lddw_refs.size(), lddw);
    EXPECT_TRUE(validate(p.insns).ok()) << p.name;
  }
}

std::vector<std::string> all_objects() {
  const char* progs[] = {"xdp_filter", "flow_counter", "rate_limit", "ringbuf_events",
                         "tail_dispatch", "config_rodata", "globals", "call_chain", "loops",
                         "strings", "legacy_maps", "percpu", "queue_stack", "ipv4_checksum",
                         "socket_filter", "multi_prog", "crc32", "section_named", "text_only",
                         "legacy_maps_wide", "legacy_maps_narrow", "custom_data", "map_types",
                         "map_in_map"};
  std::vector<std::string> out;
  for (const char* p : progs) {
    out.push_back(std::string(p) + ".v3.o");
    out.push_back(std::string(p) + ".v4.o");
  }
  for (const char* f : {"legacy_maps.clang14.v1.nobtf.o", "globals.clang14.v2.o",
                        "call_chain.clang14.v3.nobtf.o", "crc32.clang14.v2.nobtf.o",
                        "xdp_filter.clang14.v3.o", "loops.clang14.v3.o",
                        "section_named.clang14.v2.nobtf.o", "legacy_maps_wide.clang14.v1.nobtf.o",
                        "map_in_map.clang14.v3.o"}) {
    out.push_back(f);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(BpfProgs, EveryObject, ::testing::ValuesIn(all_objects()),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace_if(n.begin(), n.end(),
                                           [](char c) { return !isalnum(c); }, '_');
                           return n;
                         });

TEST(LoaderTest, XdpFilterMapsFromBtf) {
  auto obj = load_file("xdp_filter.v3.o");
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  EXPECT_TRUE(obj->has_btf);
  const MapDef* stats = find_map(*obj, "stats");
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(stats->spec.type, MapType::kArray);
  EXPECT_EQ(stats->spec.key_size, 4u);
  EXPECT_EQ(stats->spec.value_size, 8u);
  EXPECT_EQ(stats->spec.max_entries, 6u);
  EXPECT_TRUE(stats->btf);
  const MapDef* blocked = find_map(*obj, "blocked_src");
  ASSERT_NE(blocked, nullptr);
  EXPECT_EQ(blocked->spec.type, MapType::kHash);
  EXPECT_EQ(blocked->spec.value_size, 1u);
  EXPECT_EQ(blocked->spec.max_entries, 64u);
  const LoadedProgram* p = find_prog(*obj, "xdp_filter");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->section, "xdp");
  EXPECT_EQ(p->type->name, "xdp");
  EXPECT_EQ(p->maps.size(), 2u);
  for (const LddwRef& r : p->lddw_refs) EXPECT_EQ(r.kind, LddwRefKind::kMap);
  EXPECT_FALSE(p->lddw_refs.empty());
}

TEST(LoaderTest, LegacyMapsWithoutBtf) {
  auto obj = load_file("legacy_maps.clang14.v1.nobtf.o");
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  EXPECT_FALSE(obj->has_btf);
  ASSERT_EQ(obj->maps.size(), 1u);
  EXPECT_EQ(obj->maps[0].spec.name, "histogram");
  EXPECT_EQ(obj->maps[0].spec.type, MapType::kArray);
  EXPECT_EQ(obj->maps[0].spec.max_entries, 16u);
  EXPECT_FALSE(obj->maps[0].btf);
}

// The verifier needs the bpf_spin_lock's place in a value; the loader finds it in the
// value's BTF (struct totals: packets u64, then the lock at 8), and maps without one say so.
TEST(LoaderTest, FindsTheSpinLockOfAMapValue) {
  auto obj = load_file("spin_counter.v4.o");
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  const MapDef* totals = find_map(*obj, "totals");
  ASSERT_NE(totals, nullptr);
  EXPECT_EQ(totals->spin_lock_off, 8);
  auto flows = load_file("flow_counter.v4.o");
  ASSERT_TRUE(flows.ok()) << flows.error().to_string();
  for (const MapDef& m : flows->maps) EXPECT_EQ(m.spin_lock_off, -1) << m.spec.name;
}

TEST(LoaderTest, GlobalDataSections) {
  auto obj = load_file("globals.v3.o");
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  bool data = false, bss = false, rodata = false;
  for (const auto& d : obj->data) {
    if (d.name == ".data") {
      data = true;
      EXPECT_FALSE(d.readonly);
      ASSERT_GE(d.bytes.size(), 8u);
      uint64_t base;
      memcpy(&base, d.bytes.data(), 8);
      EXPECT_EQ(base, 1000u);  // `base` is the only .data variable
    }
    if (d.name == ".bss") {
      bss = true;
      EXPECT_EQ(d.bytes.size(), 16u);
      EXPECT_TRUE(std::all_of(d.bytes.begin(), d.bytes.end(), [](uint8_t b) { return b == 0; }));
    }
    if (d.name.rfind(".rodata", 0) == 0) {
      rodata = true;
      EXPECT_TRUE(d.readonly);
    }
  }
  EXPECT_TRUE(data && bss && rodata);
  const LoadedProgram* p = find_prog(*obj, "globals");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->type->name, "mem");
  ASSERT_FALSE(p->lddw_refs.empty());
  for (const LddwRef& r : p->lddw_refs) EXPECT_EQ(r.kind, LddwRefKind::kMapValue);
  EXPECT_FALSE(obj->relocations.empty());
  for (const auto& r : obj->relocations) EXPECT_EQ(r.type, "R_BPF_64_64");
}

TEST(LoaderTest, SubprogramsLinkedPerProgram) {
  for (const char* file : {"call_chain.v3.o", "call_chain.v4.o", "call_chain.clang14.v3.nobtf.o"}) {
    SCOPED_TRACE(file);
    auto obj = load_file(file);
    ASSERT_TRUE(obj.ok()) << obj.error().to_string();
    const LoadedProgram* sum = find_prog(*obj, "word_checksum");
    const LoadedProgram* max = find_prog(*obj, "word_max");
    ASSERT_NE(sum, nullptr);
    ASSERT_NE(max, nullptr);
    EXPECT_EQ(sum->section, "mem/checksum");
    // checksum -> hash_words -> mix, checksum -> fold
    EXPECT_EQ(sum->functions.size(), 4u);
    // max_word and fold only
    EXPECT_EQ(max->functions.size(), 2u);
    for (const auto* p : {sum, max}) {
      for (uint32_t pc = 0; pc < p->insns.size(); ++pc) {
        const Insn& in = p->insns[pc];
        if (in.op != Op::kCallLocal) continue;
        EXPECT_NE(std::find(p->functions.begin(), p->functions.end(), in.target()),
                  p->functions.end()) << "call at " << pc << " to " << in.target();
      }
    }
  }
}

TEST(LoaderTest, CallbackAddressBecomesSlotIndex) {
  for (const char* file : {"loops.v3.o", "loops.clang14.v3.o"}) {
    SCOPED_TRACE(file);
    auto obj = load_file(file);
    ASSERT_TRUE(obj.ok()) << obj.error().to_string();
    ASSERT_EQ(obj->programs.size(), 2u);  // two programs in one section
    const LoadedProgram* p = find_prog(*obj, "sum_squares_loop");
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(p->lddw_refs.size(), 1u);
    EXPECT_EQ(p->lddw_refs[0].kind, LddwRefKind::kCode);
    ASSERT_EQ(p->functions.size(), 1u);
    EXPECT_EQ(p->lddw_refs[0].offset, p->functions[0]);
  }
}

TEST(LoaderTest, SectionNamesGiveProgramTypes) {
  auto obj = load_file("multi_prog.v3.o");
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  ASSERT_EQ(obj->programs.size(), 4u);
  EXPECT_EQ(find_prog(*obj, "tc_classify")->type->name, "sched_cls");
  EXPECT_EQ(find_prog(*obj, "cls_mark")->type->name, "sched_cls");
  EXPECT_EQ(find_prog(*obj, "xdp_len_class")->type->name, "xdp");
  EXPECT_EQ(find_prog(*obj, "custom_sum")->type->name, "mem");
  EXPECT_EQ(find_prog(*obj, "custom_sum")->section, "custom/sum");
}

TEST(LoaderTest, XdpContextLoadsAreWidened) {
  auto obj = load_file("percpu.v3.o");
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  const LoadedProgram& p = obj->programs[0];
  // `ctx->data` and `ctx->data_end` were 32-bit loads at offsets 0 and 4 of xdp_md; the
  // shadow context has 64-bit pointers at offsets 0 and 8.
  std::vector<int16_t> offs;
  for (const Insn& in : p.insns) {
    if (in.op == Op::kLdxdw && in.src == 1) offs.push_back(in.off);
    EXPECT_FALSE(in.op == Op::kLdxw && in.src == 1) << "a ctx load kept its kernel width";
  }
  std::sort(offs.begin(), offs.end());
  EXPECT_EQ(offs, (std::vector<int16_t>{0, 8}));
}

TEST(LoaderTest, TypeOverride) {
  LoadOptions opts;
  opts.type_override = "xdp";
  auto obj = load_file("crc32.v3.o", opts);
  // crc32 reads its buffer through r1: as an xdp context those loads are not fields. The
  // program fails on its own; the object loads.
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  ASSERT_EQ(obj->programs.size(), 2u);
  for (const LoadedProgram& p : obj->programs) {
    ASSERT_TRUE(p.load_error) << p.name;
    EXPECT_EQ(p.load_error->code, ErrorCode::kLoad);
    EXPECT_EQ(p.type->name, "xdp");
  }
  opts.type_override = "nonsense";
  auto bad = load_file("globals.v3.o", opts);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("unknown program type"), std::string::npos);
}

TEST(LoaderTest, HelperNotAllowedForType) {
  HelperTable helpers = HelperTable::builtin();
  LoadOptions opts;
  opts.helpers = &helpers;
  HelperTable empty;
  opts.helpers = &empty;
  auto obj = load_file("xdp_filter.v3.o", opts);
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  ASSERT_TRUE(obj->programs[0].load_error);
  const Diagnostic& d = *obj->programs[0].load_error;
  EXPECT_NE(d.insn, kNoInsn);
  EXPECT_NE(d.message.find("helper 1"), std::string::npos) << d.message;
}

}  // namespace
}  // namespace bpfjit
