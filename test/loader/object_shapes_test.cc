// Objects built the way real projects build them for the kernel: per-program load errors,
// programs named by their section, .text-only objects, EM_NONE, legacy map definitions of
// any size, custom global data sections. Each is loaded, checked, and where the runtime
// can run it, run on the interpreter and the JIT.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include <elf.h>

#include "bpfjit/runtime.h"
#include "runtime/engine.h"
#include "runtime/loader/loader.h"
#include "test/loader/loader_util.h"

namespace bpfjit {
namespace {

using testing::prog_path;
using testing::read_prog;

Result<LoadedObject> load_with_helpers(const std::string& file, LoadOptions opts = {}) {
  static const HelperTable helpers = HelperTable::builtin();
  auto bytes = read_prog(file);
  if (bytes.empty()) return make_error(ErrorCode::kIo, "cannot read " + file);
  opts.helpers = &helpers;
  return load_object(bytes, opts);
}

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

std::vector<std::string> names(const LoadedObject& obj) {
  std::vector<std::string> out;
  for (const auto& p : obj.programs) out.push_back(p.name);
  return out;
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// ---------------------------------------------------------------------------------------
// Loader level

TEST(ObjectShapesTest, FailedProgramsDoNotTakeTheOthersDown) {
  auto obj = load_with_helpers("isolation.v3.o");
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  EXPECT_EQ(names(*obj), (std::vector<std::string>{"good", "writes_r10", "calls_undefined",
                                                    "bad_helper", "also_good"}));
  for (const char* ok : {"good", "also_good"}) {
    const LoadedProgram* p = find_prog(*obj, ok);
    ASSERT_NE(p, nullptr);
    EXPECT_FALSE(p->load_error) << ok << ": " << p->load_error->to_string();
    EXPECT_FALSE(p->insns.empty());
  }
  const struct {
    const char* name;
    const char* fact;
  } bad[] = {{"writes_r10", "r10"},
             {"calls_undefined", "defined_nowhere"},
             {"bad_helper", "skb_load_bytes"}};
  for (const auto& b : bad) {
    const LoadedProgram* p = find_prog(*obj, b.name);
    ASSERT_NE(p, nullptr) << b.name;
    ASSERT_TRUE(p->load_error) << b.name;
    EXPECT_EQ(p->load_error->code, ErrorCode::kLoad);
    EXPECT_TRUE(has(p->load_error->message, std::string("program ") + b.name))
        << p->load_error->message;
    EXPECT_TRUE(has(p->load_error->message, b.fact)) << p->load_error->message;
    ASSERT_NE(p->type, nullptr);
    EXPECT_EQ(p->type->name, "mem");
  }
  // The relocation to the undefined function is listed (clang declares it a kfunc), not fatal.
  bool listed = false;
  for (const auto& r : obj->relocations) {
    if (r.symbol == "defined_nowhere") listed = has(r.target, "defined_nowhere");
  }
  EXPECT_TRUE(listed);
}

TEST(ObjectShapesTest, SectionsWithoutSymbolsAreProgramsNamedBySection) {
  for (const char* file : {"section_named.v3.o", "section_named.v4.o",
                           "section_named.clang14.v2.nobtf.o"}) {
    SCOPED_TRACE(file);
    auto obj = load_with_helpers(file);
    ASSERT_TRUE(obj.ok()) << obj.error().to_string();
    EXPECT_EQ(names(*obj), (std::vector<std::string>{"xdp1", "socket1", "kprobe/sys_foo",
                                                      "tracepoint/x/y", "cls_static"}));
    const char* types[][2] = {{"xdp1", "xdp"},
                              {"socket1", "socket_filter"},
                              {"kprobe/sys_foo", "mem"},
                              {"tracepoint/x/y", "mem"},
                              {"cls_static", "sched_cls"}};
    for (const auto& t : types) {
      const LoadedProgram* p = find_prog(*obj, t[0]);
      ASSERT_NE(p, nullptr) << t[0];
      EXPECT_FALSE(p->load_error) << p->load_error->to_string();
      EXPECT_EQ(p->type->name, t[1]) << t[0];
    }
    EXPECT_EQ(find_prog(*obj, "xdp1")->section, "xdp1");
    EXPECT_EQ(find_prog(*obj, "cls_static")->section, "classifier");
    EXPECT_EQ(find_prog(*obj, "tracepoint/x/y")->maps.size(), 1u);
  }
}

TEST(ObjectShapesTest, TextOnlyObjectOffersItsGlobalFunctions) {
  auto obj = load_with_helpers("text_only.v3.o");
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  EXPECT_EQ(names(*obj), (std::vector<std::string>{"add_one", "first_byte", "triple_len"}));
  for (const auto& p : obj->programs) {
    EXPECT_EQ(p.section, ".text");
    EXPECT_EQ(p.type->name, "mem");
    EXPECT_FALSE(p.load_error);
  }
  LoadOptions o;
  o.type_override = "socket_filter";
  auto typed = load_with_helpers("text_only.v3.o", o);
  ASSERT_TRUE(typed.ok()) << typed.error().to_string();
  EXPECT_EQ(typed->programs[0].type->name, "socket_filter");
}

TEST(ObjectShapesTest, MachineNoneIsAcceptedAsBpf) {
  auto bytes = read_prog("legacy_maps.v3.o");
  ASSERT_GT(bytes.size(), 64u);
  const size_t kMachine = offsetof(Elf64_Ehdr, e_machine);
  bytes[kMachine] = 0;  // EM_NONE
  bytes[kMachine + 1] = 0;
  auto obj = load_object(bytes);
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  EXPECT_EQ(obj->programs.size(), 1u);
  bytes[kMachine] = 62;  // EM_X86_64
  auto x86 = load_object(bytes);
  ASSERT_FALSE(x86.ok());
  EXPECT_EQ(x86.error().message, "ELF machine 62 is neither EM_BPF (247) nor EM_NONE");
}

TEST(ObjectShapesTest, LegacyMapDefinitionsOfAnySize) {
  for (const char* file : {"legacy_maps_wide.v3.o", "legacy_maps_wide.clang14.v1.nobtf.o"}) {
    SCOPED_TRACE(file);
    auto obj = load_with_helpers(file);
    ASSERT_TRUE(obj.ok()) << obj.error().to_string();
    ASSERT_EQ(obj->maps.size(), 2u);
    const MapDef* a = find_map(*obj, "wide_counts");
    const MapDef* h = find_map(*obj, "wide_hash");
    ASSERT_TRUE(a && h);
    EXPECT_EQ(a->spec.type, MapType::kArray);
    EXPECT_EQ(a->spec.key_size, 4u);
    EXPECT_EQ(a->spec.value_size, 8u);
    EXPECT_EQ(a->spec.max_entries, 4u);
    EXPECT_EQ(a->spec.flags, 0u);
    EXPECT_EQ(h->spec.type, MapType::kHash);
    EXPECT_EQ(h->spec.key_size, 8u);
    EXPECT_EQ(h->spec.value_size, 4u);
    EXPECT_EQ(h->spec.max_entries, 128u);
    EXPECT_EQ(h->spec.flags, 1u);
    EXPECT_EQ(h->offset, 28u);  // 28-byte definitions
    EXPECT_FALSE(a->btf);
  }
  auto narrow = load_with_helpers("legacy_maps_narrow.v3.o");
  ASSERT_TRUE(narrow.ok()) << narrow.error().to_string();
  const MapDef* b = find_map(*narrow, "narrow_b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->offset, 16u);
  EXPECT_EQ(b->spec.type, MapType::kHash);
  EXPECT_EQ(b->spec.max_entries, 16u);
  EXPECT_EQ(b->spec.flags, 0u);

  auto bad = load_with_helpers("legacy_maps_bad.v3.o");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "map on_node: the field at offset 24 of its 28-byte definition is 0x1; fields past "
            "map_flags must be 0");
}

TEST(ObjectShapesTest, CustomDataSectionsAreGlobalDataImages) {
  auto obj = load_with_helpers("custom_data.v3.o");
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  const DataImage* counters = nullptr;
  const DataImage* cfg = nullptr;
  for (const auto& d : obj->data) {
    if (d.name == ".data.counters") counters = &d;
    if (d.name == ".rodata.cfg") cfg = &d;
  }
  ASSERT_TRUE(counters && cfg);
  EXPECT_FALSE(counters->readonly);
  EXPECT_TRUE(cfg->readonly);
  ASSERT_EQ(counters->bytes.size(), 16u);
  uint64_t hits = 0;
  std::memcpy(&hits, counters->bytes.data(), 8);
  EXPECT_EQ(hits, 100u);
  ASSERT_EQ(cfg->bytes.size(), 8u);
  EXPECT_EQ(cfg->vars.size(), 2u);
}

TEST(ObjectShapesTest, EveryKernelMapTypeLoads) {
  auto obj = load_with_helpers("map_types.v3.o");
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  const struct {
    const char* name;
    MapType type;
    uint32_t key, value, max_entries, flags;
  } want[] = {
      {"events", MapType::kPerfEventArray, 4, 4, 0, 0},
      {"stacks", MapType::kStackTrace, 4, 127 * 8, 64, 0},
      {"prefixes", MapType::kLpmTrie, 8, 4, 16, 1},
      {"ports", MapType::kDevmap, 4, 4, 4, 0},
      {"socks", MapType::kSockhash, 8, 8, 8, 0},
      {"cg_bytes", MapType::kCgroupStorage, 16, 8, 0, 0},
      {"sk_marks", MapType::kSkStorage, 4, 8, 0, 1},
      {"seen", MapType::kBloomFilter, 0, 4, 100, 0},
      {"commands", MapType::kUserRingbuf, 0, 0, 4096, 0},
      {"counts", MapType::kArray, 4, 8, 1, 0},
  };
  ASSERT_EQ(obj->maps.size(), std::size(want));
  for (const auto& w : want) {
    const MapDef* m = find_map(*obj, w.name);
    ASSERT_NE(m, nullptr) << w.name;
    EXPECT_EQ(m->spec.type, w.type) << w.name;
    EXPECT_EQ(m->spec.key_size, w.key) << w.name;
    EXPECT_EQ(m->spec.value_size, w.value) << w.name;
    EXPECT_EQ(m->spec.max_entries, w.max_entries) << w.name;
    EXPECT_EQ(m->spec.flags, w.flags) << w.name;
  }
}

std::vector<std::pair<uint32_t, std::string>> slots_of(const MapDef& m) {
  std::vector<std::pair<uint32_t, std::string>> out;
  for (const MapSlot& s : m.slots) out.emplace_back(s.index, s.target);
  return out;
}

TEST(ObjectShapesTest, BtfMapsWithInitialValues) {
  for (const char* file : {"map_in_map.v3.o", "map_in_map.v4.o", "map_in_map.clang14.v3.o"}) {
    SCOPED_TRACE(file);
    auto obj = load_with_helpers(file);
    ASSERT_TRUE(obj.ok()) << obj.error().to_string();
    const MapDef* jumps = find_map(*obj, "jumps");
    ASSERT_NE(jumps, nullptr);
    EXPECT_EQ(jumps->spec.type, MapType::kProgArray);
    EXPECT_EQ(jumps->spec.key_size, 4u);
    EXPECT_EQ(jumps->spec.value_size, 4u);  // implied by __array(values, ...)
    EXPECT_EQ(jumps->spec.max_entries, 4u);
    EXPECT_FALSE(jumps->inner);
    EXPECT_EQ(slots_of(*jumps), (std::vector<std::pair<uint32_t, std::string>>{
                                    {0, "short_packet"}, {2, "long_packet"}}));

    const MapDef* outer = find_map(*obj, "outer");
    ASSERT_NE(outer, nullptr);
    EXPECT_EQ(outer->spec.type, MapType::kArrayOfMaps);
    EXPECT_EQ(outer->spec.key_size, 4u);
    EXPECT_EQ(outer->spec.value_size, 4u);
    ASSERT_TRUE(outer->inner);
    EXPECT_EQ(outer->inner->name, "outer.inner");
    EXPECT_EQ(outer->inner->type, MapType::kArray);
    EXPECT_EQ(outer->inner->key_size, 4u);
    EXPECT_EQ(outer->inner->value_size, 8u);
    EXPECT_EQ(outer->inner->max_entries, 2u);
    EXPECT_EQ(slots_of(*outer), (std::vector<std::pair<uint32_t, std::string>>{
                                    {1, "inner_a"}, {3, "inner_b"}}));

    const MapDef* by_id = find_map(*obj, "by_id");
    ASSERT_NE(by_id, nullptr);
    EXPECT_EQ(by_id->spec.type, MapType::kHashOfMaps);
    EXPECT_EQ(by_id->spec.key_size, 8u);
    ASSERT_TRUE(by_id->inner);
    EXPECT_EQ(by_id->inner->type, MapType::kHash);
    EXPECT_EQ(by_id->inner->max_entries, 16u);
    EXPECT_TRUE(by_id->slots.empty());
    EXPECT_EQ(obj->maps.size(), 5u);  // jumps, inner_a, inner_b, outer, by_id
  }
}

// ---------------------------------------------------------------------------------------
// Through the public API, on both engines

bool engine_available(EngineKind kind) {
  std::vector<Insn> exit_only(1);
  EngineOptions o;
  o.kind = kind;
  auto e = prepare_engine(exit_only, o);
  return e.ok() || e.error().code != ErrorCode::kUnsupported;
}

class ObjectShapesRun : public ::testing::TestWithParam<EngineKind> {
 protected:
  void SetUp() override {
    if (!engine_available(GetParam())) GTEST_SKIP() << "engine not built";
  }
  std::unique_ptr<Object> load(const std::string& file) {
    auto obj = rt_.load_file(prog_path(file));
    EXPECT_TRUE(obj.ok()) << obj.error().to_string();
    return obj.ok() ? std::move(obj).value() : nullptr;
  }
  PrepareOptions opts(std::optional<uint64_t> mem_size = std::nullopt,
                      Safety safety = Safety::kVerified) const {
    PrepareOptions o;
    o.engine = GetParam();
    o.safety = safety;
    o.mem_size = mem_size;
    return o;
  }
  template <typename K, typename V>
  static V get(Object& obj, const char* map, K key) {
    auto v = obj.map(map)->get<K, V>(key);
    EXPECT_TRUE(v.ok()) << v.error().to_string();
    return v.ok() ? *v : V{};
  }
  static uint64_t run(Program* p, std::vector<uint8_t>& data) {
    auto r = p->run(data);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? *r : ~0ULL;
  }
  Runtime rt_;
};

TEST_P(ObjectShapesRun, FailedProgramReportsItsLoadError) {
  auto obj = load("isolation.v3.o");
  ASSERT_NE(obj, nullptr);
  EXPECT_EQ(obj->programs().size(), 5u);
  Program* good = obj->program("good");
  ASSERT_NE(good, nullptr);
  EXPECT_EQ(good->load_error(), nullptr);
  ASSERT_TRUE(good->prepare(opts(8)).ok());
  std::vector<uint8_t> buf(8);
  EXPECT_EQ(run(good, buf), 7u);
  EXPECT_EQ((get<uint32_t, uint64_t>(*obj, "counter", 0)), 8u);

  Program* bad = obj->program("writes_r10");
  ASSERT_NE(bad, nullptr);
  ASSERT_NE(bad->load_error(), nullptr);
  auto r = bad->prepare(opts(8));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kLoad);
  EXPECT_EQ(r.error().message, bad->load_error()->message);
  auto ran = bad->run(buf);
  ASSERT_FALSE(ran.ok());
  EXPECT_EQ(ran.error().message, bad->load_error()->message);
  EXPECT_FALSE(bad->verify(opts(8)).accepted);
  ASSERT_FALSE(obj->prepare_all(opts(8)).ok());
}

TEST_P(ObjectShapesRun, SectionNamedProgramsRun) {
  for (const char* file : {"section_named.v3.o", "section_named.clang14.v2.nobtf.o"}) {
    SCOPED_TRACE(file);
    auto obj = load(file);
    ASSERT_NE(obj, nullptr);
    std::vector<uint8_t> pkt(60, 0);
    Program* xdp = obj->program("xdp1");
    ASSERT_NE(xdp, nullptr);
    ASSERT_TRUE(xdp->prepare(opts()).ok());
    EXPECT_EQ(run(xdp, pkt), 2u);
    Program* sock = obj->program("socket1");
    ASSERT_NE(sock, nullptr);
    ASSERT_TRUE(sock->prepare(opts()).ok());
    EXPECT_EQ(run(sock, pkt), 60u);
    Program* foo = obj->program("kprobe/sys_foo");
    ASSERT_NE(foo, nullptr);
    auto pr = foo->prepare(opts(4));
    ASSERT_TRUE(pr.ok()) << pr.error().to_string();
    std::vector<uint8_t> buf(4);
    EXPECT_EQ(run(foo, buf), 42u);
    Program* tp = obj->program("tracepoint/x/y");
    ASSERT_NE(tp, nullptr);
    ASSERT_TRUE(tp->prepare(opts(4)).ok());
    EXPECT_EQ(run(tp, buf), 1u);
    EXPECT_EQ(run(tp, buf), 2u);
    EXPECT_EQ((get<uint32_t, uint64_t>(*obj, "seen", 0)), 2u);
    Program* cls = obj->program("classifier");  // by section name
    ASSERT_NE(cls, nullptr);
    EXPECT_EQ(cls->name(), "cls_static");
    ASSERT_TRUE(cls->prepare(opts()).ok());
    EXPECT_EQ(run(cls, pkt), 3u);
  }
}

TEST_P(ObjectShapesRun, TextOnlyProgramsRun) {
  auto obj = load("text_only.v3.o");
  ASSERT_NE(obj, nullptr);
  std::vector<uint8_t> buf = {9, 8, 7, 6};
  Program* add = obj->program("add_one");
  ASSERT_NE(add, nullptr);
  ASSERT_TRUE(add->prepare(opts(4)).ok());
  EXPECT_EQ(run(add, buf), 5u);
  Program* first = obj->program("first_byte");
  ASSERT_TRUE(first->prepare(opts(4)).ok());
  EXPECT_EQ(run(first, buf), 9u);
  Program* triple = obj->program("triple_len");
  auto r = triple->prepare(opts(4));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(run(triple, buf), 12u);
}

TEST_P(ObjectShapesRun, WideLegacyMapsRun) {
  for (const char* file : {"legacy_maps_wide.v3.o", "legacy_maps_wide.clang14.v1.nobtf.o"}) {
    SCOPED_TRACE(file);
    auto obj = load(file);
    ASSERT_NE(obj, nullptr);
    Program* p = obj->program("count_len");
    ASSERT_NE(p, nullptr);
    auto r = p->prepare(opts(6));
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    std::vector<uint8_t> buf(6);
    EXPECT_EQ(run(p, buf), 1u);
    EXPECT_EQ(run(p, buf), 2u);
    EXPECT_EQ((get<uint32_t, uint64_t>(*obj, "wide_counts", 2)), 2u);
    EXPECT_EQ((get<uint64_t, uint32_t>(*obj, "wide_hash", 6)), 1u);
  }
}

TEST_P(ObjectShapesRun, CustomDataSectionsRun) {
  auto obj = load("custom_data.v3.o");
  ASSERT_NE(obj, nullptr);
  Program* p = obj->program("scaled");
  ASSERT_NE(p, nullptr);
  auto r = p->prepare(opts(10));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  std::vector<uint8_t> buf(10);
  EXPECT_EQ(run(p, buf), 35u);
  auto hits = obj->variable("hits");
  ASSERT_TRUE(hits.ok());
  uint64_t h = 0;
  std::memcpy(&h, hits->data(), 8);
  EXPECT_EQ(h, 101u);
  auto cfg = obj->global_data(".rodata.cfg");
  ASSERT_TRUE(cfg.ok());
  EXPECT_TRUE(cfg->readonly);
}

TEST_P(ObjectShapesRun, UnimplementedMapTypesRefuseWithTheirName) {
  auto obj = load("map_types.v3.o");
  ASSERT_NE(obj, nullptr);
  EXPECT_EQ(obj->maps().size(), 10u);
  Map* stacks = obj->map("stacks");
  ASSERT_NE(stacks, nullptr);
  EXPECT_EQ(stacks->type(), MapType::kStackTrace);
  std::vector<uint8_t> trace(stacks->value_bytes());
  const uint32_t key = 0;
  auto host = stacks->lookup(Map::bytes_of(key), trace);
  ASSERT_FALSE(host.ok());
  EXPECT_EQ(host.error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(host.error().message,
            "map 'stacks' of type stack_trace is not supported at run time");
  EXPECT_FALSE((obj->map("socks")->put<uint64_t, uint64_t>(0, 1).ok()));
  // The types that run: the bloom filter takes values, the trie its prefixes.
  const uint32_t seen = 7;
  EXPECT_TRUE(obj->map("seen")->push(Map::bytes_of(seen)).ok());
  const uint32_t prefix[2] = {24, 0x0002000a};
  EXPECT_TRUE(obj->map("prefixes")->update(Map::bytes_of(prefix), Map::bytes_of(seen)).ok());

  Program* count = obj->program("count");
  ASSERT_NE(count, nullptr);
  auto r = count->prepare(opts(4));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  std::vector<uint8_t> buf(4);
  EXPECT_EQ(run(count, buf), 1u);

  // The verifier of the runtime platform refuses the map; unverified, the run fails.
  Program* touch = obj->program("touch_stacks");
  ASSERT_NE(touch, nullptr);
  EXPECT_FALSE(touch->prepare(opts(4)).ok());
  ASSERT_TRUE(touch->prepare(opts(4, Safety::kChecked)).ok());
  auto ran = touch->run(buf);
  ASSERT_FALSE(ran.ok());
  EXPECT_EQ(ran.error().code, ErrorCode::kRuntime);
  EXPECT_EQ(ran.error().message,
            "program touch_stacks: map 'stacks' of type stack_trace is not supported at run "
            "time");
  EXPECT_EQ(run(count, buf), 2u);  // the failed run harmed nothing
}

TEST_P(ObjectShapesRun, ProgArrayFilledFromItsInitialValues) {
  for (const char* file : {"map_in_map.v3.o", "map_in_map.clang14.v3.o"}) {
    SCOPED_TRACE(file);
    auto obj = load(file);
    ASSERT_NE(obj, nullptr);
    auto r = obj->prepare_all(opts());
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    Program* dispatch = obj->program("dispatch");
    ASSERT_NE(dispatch, nullptr);
    std::vector<uint8_t> small(60), mid(150), big(250);
    EXPECT_EQ(run(dispatch, small), 3u);  // slot 0: short_packet, XDP_TX
    EXPECT_EQ(run(dispatch, mid), 2u);    // slot 1 is empty: XDP_PASS
    EXPECT_EQ(run(dispatch, big), 1u);    // slot 2: long_packet, XDP_DROP
    // The map-in-map slots hold the maps their initial values name.
    Map* outer = obj->map("outer");
    ASSERT_NE(outer, nullptr);
    EXPECT_EQ(outer->type(), MapType::kArrayOfMaps);
    auto slot1 = outer->get<uint32_t, uint32_t>(1);
    auto slot3 = outer->get<uint32_t, uint32_t>(3);
    ASSERT_TRUE(slot1.ok() && slot3.ok());
    EXPECT_EQ(*slot1, obj->map("inner_a")->id());
    EXPECT_EQ(*slot3, obj->map("inner_b")->id());
    EXPECT_FALSE((outer->get<uint32_t, uint32_t>(0).ok()));
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, ObjectShapesRun,
                         ::testing::Values(EngineKind::kInterpreter, EngineKind::kJit),
                         [](const auto& info) { return std::string(engine_kind_name(info.param)); });

}  // namespace
}  // namespace bpfjit
