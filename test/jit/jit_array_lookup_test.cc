// The JIT's in-place array map lookups (jit.h JitArrayLookup): the same pointer as the
// bpf_map_lookup_elem helper for every index (in bounds, the last, past the end, with
// the high bit of the 32-bit index set, with non-zero bytes after the 4-byte key) and for
// per-CPU arrays on several RunContext::cpu slots; no helper call in the code; ignored
// in checked mode.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "jit/jit.h"
#include "runtime/isa/asm.h"
#include "test/helpers/helpers_test_util.h"

namespace bpfjit {
namespace {

using testing::HelperEnv;
using testing::must_create;

constexpr uint32_t kCallSlot = 7;

// r0 = bpf_map_lookup_elem(map, &key) with the 8 bytes `key` at [r10-8] (the lookup reads
// the low 4), returned as is.
std::vector<Insn> lookup_program(const BpfMap* map, uint64_t key) {
  auto r = assemble(fmt::format(R"(
    lddw %r3, {:#x}
    stxdw [%r10-8], %r3
    lddw %r1, {:#x}
    mov %r2, %r10
    add %r2, -8
    call 1
    exit
  )", key, reinterpret_cast<uint64_t>(map)));
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  if (!r.ok()) return {};
  EXPECT_EQ((*r)[kCallSlot].op, Op::kCall);
  return *r;
}

JitArrayLookup inline_lookup(const BpfMap& map, uint32_t slot) {
  auto l = map.array_layout();
  EXPECT_TRUE(l.has_value());
  return {slot, reinterpret_cast<uint64_t>(l->values), l->stride, l->cpu_stride,
          l->max_entries};
}

JitOptions trusted(const HelperEnv& env, bool harden) {
  JitOptions o;
  o.checked = false;
  o.helpers = const_cast<HelperEnv&>(env).table().fns();
  o.harden = harden;
  return o;
}

MapSpec spec(MapType type, uint32_t value_size, uint32_t max_entries) {
  MapSpec s;
  s.type = type;
  s.name = "arr";
  s.key_size = 4;
  s.value_size = value_size;
  s.max_entries = max_entries;
  return s;
}

// Runs the program on the helper and inlined, on each cpu, and compares with
// BpfMap::lookup under that cpu slot.
void expect_same_pointers(MapType type, uint32_t value_size, uint32_t max_entries,
                          const std::vector<uint32_t>& cpus, bool harden) {
  HelperEnv env;
  BpfMap* map = env.add_map(spec(type, value_size, max_entries));
  ASSERT_NE(map, nullptr);
  const uint64_t last = max_entries - 1;
  const std::vector<uint64_t> keys = {0,
                                      1,
                                      last,
                                      max_entries,
                                      max_entries + 1ULL,
                                      0x80000000ULL | 1,
                                      0xffffffffULL,
                                      0xdeadbeef00000000ULL | last,  // only the low 4 bytes count
                                      0xffffffff00000001ULL,
                                      0x00000001ffffffffULL};
  for (uint64_t key : keys) {
    auto insns = lookup_program(map, key);
    ASSERT_FALSE(insns.empty());
    JitOptions helper = trusted(env, harden);
    JitOptions inlined = trusted(env, harden);
    inlined.array_lookups = {inline_lookup(*map, kCallSlot)};
    auto by_helper = jit_compile(insns, helper);
    auto in_place = jit_compile(insns, inlined);
    ASSERT_TRUE(by_helper.ok()) << by_helper.error().to_string();
    ASSERT_TRUE(in_place.ok()) << in_place.error().to_string();
    for (uint32_t cpu : cpus) {
      SCOPED_TRACE(fmt::format("key {:#x} cpu {} harden {}", key, cpu, harden));
      const int64_t saved = set_cpu_slot_override(cpu);
      const auto k32 = static_cast<uint32_t>(key);
      const auto expected = reinterpret_cast<uint64_t>(map->lookup(&k32));
      env.ctx().cpu = cpu;
      const uint64_t a = (*by_helper)->run(env.ctx(), 0, 0);
      EXPECT_EQ(env.ctx().trap.kind, TrapKind::kNone);
      const uint64_t b = (*in_place)->run(env.ctx(), 0, 0);
      EXPECT_EQ(env.ctx().trap.kind, TrapKind::kNone);
      set_cpu_slot_override(saved);
      EXPECT_EQ(a, expected);
      EXPECT_EQ(b, expected);
      EXPECT_EQ(b == 0, k32 >= max_entries);
    }
  }
}

TEST(JitArrayLookupTest, ArraySamePointerAsTheHelper) {
  expect_same_pointers(MapType::kArray, 8, 16, {0}, false);      // stride 8: a shift
  expect_same_pointers(MapType::kArray, 20, 5, {0}, false);      // stride 24: imul
  expect_same_pointers(MapType::kArray, 4, 1, {0}, false);       // one element
}

TEST(JitArrayLookupTest, PercpuArraySamePointerOnEachCpu) {
  expect_same_pointers(MapType::kPercpuArray, 8, 3, {0, 1, 5, kMaxCpuSlots - 1}, false);
  expect_same_pointers(MapType::kPercpuArray, 12, 7, {0, 2, kMaxCpuSlots - 1}, false);
}

TEST(JitArrayLookupTest, HardenedSamePointer) {
  expect_same_pointers(MapType::kArray, 20, 5, {0}, true);
  expect_same_pointers(MapType::kPercpuArray, 12, 7, {0, 3}, true);
}

// The slot's code between its annotation and the next one.
std::string slot_code(const std::string& dump, uint32_t slot) {
  const std::string head = fmt::format("{:5}: ", slot);
  size_t at = dump.find(head);
  if (at == std::string::npos) return {};
  size_t end = dump.find(fmt::format("{:5}: ", slot + 1), at);
  return dump.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

size_t count(const std::string& text, const std::string& word) {
  size_t n = 0;
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++n;
  return n;
}

TEST(JitArrayLookupTest, NoHelperCallInTheCode) {
  HelperEnv env;
  BpfMap* map = env.add_map(spec(MapType::kPercpuArray, 8, 4));
  auto insns = lookup_program(map, 2);
  const std::string helper_addr = fmt::format(
      "{:X}", reinterpret_cast<uint64_t>(env.table().fns()[kHelperMapLookupElem]));
  JitOptions helper = trusted(env, false);
  JitOptions inlined = trusted(env, false);
  inlined.array_lookups = {inline_lookup(*map, kCallSlot)};
  auto with_call = jit_dump(insns, helper);
  auto without = jit_dump(insns, inlined);
  ASSERT_TRUE(with_call.ok() && without.ok());
  const std::string call_code = slot_code(*with_call, kCallSlot);
  const std::string inline_code = slot_code(*without, kCallSlot);
  EXPECT_EQ(count(call_code, "call"), 2u) << call_code;  // the annotation and the call
  EXPECT_NE(with_call->find(helper_addr), std::string::npos) << *with_call;
  EXPECT_EQ(without->find(helper_addr), std::string::npos) << *without;
  EXPECT_EQ(count(inline_code, "call"), 1u) << inline_code;  // only the annotation
  EXPECT_NE(inline_code.find("cmp"), std::string::npos) << inline_code;  // the bounds check
}

TEST(JitArrayLookupTest, CheckedModeKeepsTheHelperCall) {
  HelperEnv env;
  BpfMap* map = env.add_map(spec(MapType::kArray, 8, 4));
  auto insns = lookup_program(map, 2);
  JitOptions o;
  o.helpers = env.table().fns();
  o.array_lookups = {inline_lookup(*map, kCallSlot)};
  auto dump = jit_dump(insns, o);
  ASSERT_TRUE(dump.ok());
  const std::string helper_addr = fmt::format(
      "{:X}", reinterpret_cast<uint64_t>(env.table().fns()[kHelperMapLookupElem]));
  EXPECT_NE(dump->find(helper_addr), std::string::npos) << *dump;
}

TEST(JitArrayLookupTest, RefusesALookupThatIsNotACall) {
  HelperEnv env;
  BpfMap* map = env.add_map(spec(MapType::kArray, 8, 4));
  auto insns = lookup_program(map, 2);
  JitOptions o = trusted(env, false);
  o.array_lookups = {inline_lookup(*map, kCallSlot - 1)};
  auto r = jit_compile(insns, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().insn, kCallSlot - 1);
  o.array_lookups = {inline_lookup(*map, 1000)};
  EXPECT_FALSE(jit_compile(insns, o).ok());
}

}  // namespace
}  // namespace bpfjit
