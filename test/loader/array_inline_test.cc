// bpf-progs/array_lookup.c on every engine: the verified JIT does its array and per-CPU
// array lookups in place (jit.h JitArrayLookup), the interpreter and the checked JIT call
// the helper. Results and the maps' contents after the runs must be the same, and match a
// model, for keys in bounds, the last, past the end, with the index's high bit set and
// with non-zero bytes after the 4-byte key, on several RunOptions::cpu slots.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "bpfjit/runtime.h"
#include "helpers/maps.h"
#include "test/loader/loader_util.h"

namespace bpfjit {
namespace {

using testing::prog_path;

constexpr uint32_t kWide = 5, kPcpu = 3;
constexpr uint32_t kCpus[] = {0, 3, kMaxCpuSlots - 1};
constexpr uint64_t kKeys[] = {0, 1, 4, 2, 5, 6, 0x80000001, 0xffffffff,
                              0xdeadbeef00000004, 0xffffffff00000002, 0x00000001fffffffe};

struct Outcome {
  std::vector<uint64_t> results;
  std::vector<uint32_t> hits;               // wide_arr[i].hits
  std::vector<std::vector<uint64_t>> pcpu;  // pcpu_arr[i], every slot
};

uint32_t tag(uint32_t i) { return 0x100 + i * 7; }

Outcome run_all(EngineKind engine, Safety safety) {
  Outcome out;
  Runtime rt;
  auto obj = rt.load_file(prog_path("array_lookup.v3.o"));
  EXPECT_TRUE(obj.ok()) << obj.error().to_string();
  if (!obj.ok()) return out;
  Map* wide = (*obj)->map("wide_arr");
  Map* pcpu = (*obj)->map("pcpu_arr");
  EXPECT_TRUE(wide != nullptr && pcpu != nullptr);
  if (wide == nullptr || pcpu == nullptr) return out;
  for (uint32_t i = 0; i < kWide; ++i) {
    std::array<uint8_t, 20> v{};
    const uint32_t t = tag(i);
    std::memcpy(v.data(), &t, 4);
    EXPECT_TRUE(wide->update(Map::bytes_of(i), v).ok());
  }
  Program* p = (*obj)->program("array_lookup");
  PrepareOptions po;
  po.engine = engine;
  po.safety = safety;
  po.mem_size = 8;
  auto prepared = p->prepare(po);
  EXPECT_TRUE(prepared.ok()) << prepared.error().to_string();
  if (!prepared.ok()) return out;
  for (uint32_t cpu : kCpus) {
    for (uint64_t key : kKeys) {
      std::vector<uint8_t> buf(8);
      std::memcpy(buf.data(), &key, 8);
      RunOptions ro;
      ro.cpu = cpu;
      auto r = p->run(buf, ro);
      EXPECT_TRUE(r.ok()) << r.error().to_string();
      out.results.push_back(r.ok() ? *r : ~0ULL);
    }
  }
  for (uint32_t i = 0; i < kWide; ++i) {
    std::array<uint8_t, 20> v{};
    EXPECT_TRUE(wide->lookup(Map::bytes_of(i), v).ok());
    uint32_t hits;
    std::memcpy(&hits, v.data() + 4, 4);
    out.hits.push_back(hits);
  }
  for (uint32_t i = 0; i < kPcpu; ++i) {
    std::vector<uint64_t> slots(kMaxCpuSlots);
    EXPECT_TRUE(pcpu->lookup(Map::bytes_of(i),
                             std::span(reinterpret_cast<uint8_t*>(slots.data()),
                                       slots.size() * 8)).ok());
    out.pcpu.push_back(slots);
  }
  return out;
}

Outcome model() {
  Outcome m;
  m.hits.assign(kWide, 0);
  m.pcpu.assign(kPcpu, std::vector<uint64_t>(kMaxCpuSlots));
  for (uint32_t cpu : kCpus) {
    for (uint64_t key : kKeys) {
      const auto i = static_cast<uint32_t>(key);
      uint64_t hi = 0xffff, lo = 0xffff;
      if (i < kWide) {
        ++m.hits[i];
        hi = tag(i);
      }
      if (i < kPcpu) lo = ++m.pcpu[i][cpu];
      m.results.push_back(hi << 32 | lo);
    }
  }
  return m;
}

void expect_outcome(const Outcome& got, const Outcome& want, const char* what) {
  EXPECT_EQ(got.results, want.results) << what;
  EXPECT_EQ(got.hits, want.hits) << what;
  EXPECT_EQ(got.pcpu, want.pcpu) << what;
}

TEST(ArrayInlineTest, VerifiedJitMatchesTheHelperAndTheModel) {
  const Outcome want = model();
  expect_outcome(run_all(EngineKind::kJit, Safety::kVerified), want, "jit verified (in place)");
  expect_outcome(run_all(EngineKind::kJit, Safety::kChecked), want, "jit checked (helper)");
  expect_outcome(run_all(EngineKind::kInterpreter, Safety::kVerified), want, "interpreter");
}

}  // namespace
}  // namespace bpfjit
