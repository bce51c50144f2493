// Memory protection of runs and code: /proc/self/maps never shows a mapping that is both
// writable and executable (before load, after load, after prepare, inside a helper while a
// program runs on either engine, after the run, after unload); the run stack and the JIT's
// code sit between PROT_NONE guard pages, and touching the byte just past either end kills
// the process; unloading releases the code's mapping.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bpfjit/runtime.h"
#include "jit/jit.h"
#include "runtime/api_internal.h"
#include "runtime/isa/run_stack.h"
#include "test/loader/loader_util.h"

namespace bpfjit {
namespace {

using testing::prog_path;

struct Mapping {
  uintptr_t lo = 0;
  uintptr_t hi = 0;
  std::string perms;  // e.g. "r-xp"
  std::string line;
};

std::vector<Mapping> read_maps() {
  std::vector<Mapping> out;
  std::ifstream in("/proc/self/maps");
  std::string line;
  while (std::getline(in, line)) {
    Mapping m;
    unsigned long long lo = 0, hi = 0;
    char perms[8] = {};
    if (std::sscanf(line.c_str(), "%llx-%llx %7s", &lo, &hi, perms) != 3) continue;
    m.lo = lo;
    m.hi = hi;
    m.perms = perms;
    m.line = line;
    out.push_back(std::move(m));
  }
  return out;
}

// The mappings that are writable and executable at once, as their maps lines.
std::vector<std::string> wx_mappings() {
  std::vector<std::string> out;
  for (const Mapping& m : read_maps()) {
    if (m.perms.size() >= 3 && m.perms[1] == 'w' && m.perms[2] == 'x') out.push_back(m.line);
  }
  return out;
}

// The permissions of the mapping holding `addr`, or "" when nothing is mapped there.
std::string perms_at(const std::vector<Mapping>& maps, uintptr_t addr) {
  for (const Mapping& m : maps) {
    if (addr >= m.lo && addr < m.hi) return m.perms;
  }
  return "";
}

bool overlaps_any(const std::vector<Mapping>& maps, uintptr_t lo, uintptr_t hi) {
  for (const Mapping& m : maps) {
    if (m.lo < hi && lo < m.hi) return true;
  }
  return false;
}

std::string engine_name(EngineKind e) { return e == EngineKind::kJit ? "jit" : "interp"; }

// What host_hooks' two calls of helper 7 saw.
struct Sample {
  int calls = 0;
  std::vector<std::string> wx;  // W+X mappings seen inside the helper
  const uint8_t* stack = nullptr;
  std::string below, stack_perms, above;  // perms around and of the run stack
  long touch = 0;  // for the death tests: 0 nothing, -1 the byte below, +1 the byte above
};

uint64_t sampling_helper(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  auto* s = static_cast<Sample*>(helper_user_data(ctx));
  ++s->calls;
  auto wx = wx_mappings();
  s->wx.insert(s->wx.end(), wx.begin(), wx.end());
  s->stack = ctx->stack;
  auto maps = read_maps();
  GuardedSpan span = run_stack_mapping(ctx->stack);
  auto lo = reinterpret_cast<uintptr_t>(ctx->stack);
  s->below = perms_at(maps, span.lo);
  s->stack_perms = perms_at(maps, lo);
  s->above = perms_at(maps, span.hi - 1);
  if (s->touch < 0) s->calls += *(reinterpret_cast<volatile const uint8_t*>(ctx->stack) - 1);
  if (s->touch > 0) s->calls += *(reinterpret_cast<volatile const uint8_t*>(ctx->stack) + kStackSize);
  return 1;
}

// A runtime whose helper 7 (get_prandom_u32, which host_hooks calls twice) samples.
std::unique_ptr<Runtime> sampling_runtime() {
  auto rt = std::make_unique<Runtime>();
  rt->set_trace_sink([](std::string_view, std::string_view) {});
  HelperProto h;
  h.id = 7;
  h.name = "get_prandom_u32";
  h.fn = sampling_helper;
  EXPECT_TRUE(rt->register_helper(h).ok());
  return rt;
}

Program* prepare_host_hooks(Object& obj, EngineKind engine) {
  Program* p = obj.program("host_hooks");
  if (p == nullptr) return nullptr;
  PrepareOptions o;
  o.engine = engine;
  o.mem_size = 4;
  auto r = p->prepare(o);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? p : nullptr;
}

TEST(MemprotTest, NoMappingIsWritableAndExecutableAtAnyTime) {
  using Wx = std::vector<std::string>;
  EXPECT_EQ(wx_mappings(), Wx{}) << "before anything";
  for (EngineKind engine : {EngineKind::kInterpreter, EngineKind::kJit}) {
    SCOPED_TRACE(engine_name(engine));
    for (bool harden : {false, true}) {
      auto rt = sampling_runtime();
      auto obj = rt->load_file(prog_path("host_hooks.v4.o"));
      ASSERT_TRUE(obj.ok());
      EXPECT_EQ(wx_mappings(), Wx{}) << "after load";
      Program* p = (*obj)->program("host_hooks");
      PrepareOptions o;
      o.engine = engine;
      o.mem_size = 4;
      o.harden = harden && engine == EngineKind::kJit;
      ASSERT_TRUE(p->prepare(o).ok());
      EXPECT_EQ(wx_mappings(), Wx{}) << "after prepare";
      std::vector<uint8_t> buf(4);
      Sample s;
      RunOptions ro;
      ro.user_data = &s;
      auto r = p->run(buf, ro);
      ASSERT_TRUE(r.ok()) << r.error().to_string();
      EXPECT_EQ(s.calls, 2);  // sampled during the run, twice
      EXPECT_EQ(s.wx, Wx{}) << "during the run";
      EXPECT_EQ(wx_mappings(), Wx{}) << "after the run";
      obj->reset();
      EXPECT_EQ(wx_mappings(), Wx{}) << "after unload";
    }
  }
  // Bigger programs (loops, calls, maps) prepared on both engines, checked and verified.
  for (const char* file : {"crc32.v4.o", "call_chain.v3.o", "loops.v4.o", "real_loops.v4.o"}) {
    for (EngineKind engine : {EngineKind::kInterpreter, EngineKind::kJit}) {
      for (Safety safety : {Safety::kVerified, Safety::kChecked}) {
        Runtime rt;
        auto obj = rt.load_file(prog_path(file));
        ASSERT_TRUE(obj.ok()) << file;
        for (Program* p : (*obj)->programs()) {
          if (p->type().name != "mem") continue;
          PrepareOptions o;
          o.engine = engine;
          o.safety = safety;
          o.mem_size = 16;
          ASSERT_TRUE(p->prepare(o).ok()) << file << " " << p->name();
        }
        EXPECT_EQ(wx_mappings(), Wx{}) << file << " prepared";
      }
    }
  }
  EXPECT_EQ(wx_mappings(), Wx{}) << "after all";
}

// Both engines run the program on the thread's guarded stack: its bytes read-write, a
// PROT_NONE page right below and right above.
TEST(MemprotTest, RunStackSitsBetweenGuardPagesOnBothEngines) {
  for (EngineKind engine : {EngineKind::kInterpreter, EngineKind::kJit}) {
    SCOPED_TRACE(engine_name(engine));
    auto rt = sampling_runtime();
    auto obj = rt->load_file(prog_path("host_hooks.v4.o"));
    ASSERT_TRUE(obj.ok());
    Program* p = prepare_host_hooks(**obj, engine);
    ASSERT_NE(p, nullptr);
    std::vector<uint8_t> buf(4);
    Sample s;
    RunOptions ro;
    ro.user_data = &s;
    ASSERT_TRUE(p->run(buf, ro).ok());
    ASSERT_NE(s.stack, nullptr);
    EXPECT_EQ(s.stack_perms, "rw-p");
    EXPECT_EQ(s.below, "---p");
    EXPECT_EQ(s.above, "---p");
    GuardedSpan span = run_stack_mapping(s.stack);
    auto lo = reinterpret_cast<uintptr_t>(s.stack);
    EXPECT_EQ(lo - span.guard, span.lo) << "the stack's bottom touches the lower guard";
    EXPECT_EQ(lo + kStackSize + span.guard, span.hi) << "its top touches the upper guard";
    // The thread keeps its stack: a second run gets the same one.
    Sample again;
    ro.user_data = &again;
    ASSERT_TRUE(p->run(buf, ro).ok());
    EXPECT_EQ(again.stack, s.stack);
  }
}

// A thread's stacks go when it exits, and threads do not share them.
TEST(MemprotTest, RunStacksArePerThreadAndFreedAtThreadExit) {
  auto rt = sampling_runtime();
  auto obj = rt->load_file(prog_path("host_hooks.v4.o"));
  ASSERT_TRUE(obj.ok());
  Program* p = prepare_host_hooks(**obj, EngineKind::kJit);
  ASSERT_NE(p, nullptr);
  Sample main_sample, thread_sample;
  std::vector<uint8_t> buf(4);
  RunOptions ro;
  ro.user_data = &main_sample;
  ASSERT_TRUE(p->run(buf, ro).ok());
  std::thread t([&] {
    std::vector<uint8_t> b(4);
    RunOptions tro;
    tro.user_data = &thread_sample;
    EXPECT_TRUE(p->run(b, tro).ok());
  });
  t.join();
  ASSERT_NE(thread_sample.stack, nullptr);
  EXPECT_NE(thread_sample.stack, main_sample.stack);
  EXPECT_EQ(thread_sample.stack_perms, "rw-p");
  GuardedSpan gone = run_stack_mapping(thread_sample.stack);
  EXPECT_FALSE(overlaps_any(read_maps(), gone.lo, gone.hi)) << "the exited thread's stack";
  GuardedSpan kept = run_stack_mapping(main_sample.stack);
  EXPECT_EQ(perms_at(read_maps(), kept.lo + kept.guard), "rw-p") << "this thread's stack";
}

// Nested leases (a helper running another program) get distinct stacks, beyond the cached
// levels too, and the uncached ones are unmapped when they end.
TEST(MemprotTest, NestedRunStacksAreDistinctAndDeepOnesAreUnmapped) {
  std::vector<std::unique_ptr<RunStack>> held;
  for (int i = 0; i < 8; ++i) held.push_back(std::make_unique<RunStack>());
  auto maps = read_maps();
  std::vector<GuardedSpan> spans;
  for (const auto& s : held) {
    EXPECT_EQ(perms_at(maps, reinterpret_cast<uintptr_t>(s->data())), "rw-p");
    for (const GuardedSpan& o : spans) EXPECT_NE(o.lo, run_stack_mapping(s->data()).lo);
    spans.push_back(run_stack_mapping(s->data()));
  }
  while (!held.empty()) held.pop_back();
  maps = read_maps();
  EXPECT_TRUE(overlaps_any(maps, spans[0].lo, spans[0].hi)) << "a cached level stays";
  EXPECT_FALSE(overlaps_any(maps, spans[7].lo, spans[7].hi)) << "a deep level goes";
}

TEST(MemprotTest, JitCodeSitsBetweenGuardPages) {
  Runtime rt;
  auto obj = rt.load_file(prog_path("crc32.v4.o"));
  ASSERT_TRUE(obj.ok());
  size_t checked = 0;
  for (Program* p : (*obj)->programs()) {
    if (p->type().name != "mem") continue;
    PrepareOptions o;
    o.engine = EngineKind::kJit;
    o.mem_size = 16;
    ASSERT_TRUE(p->prepare(o).ok());
    const Executable* exe = ProgramAccess::executable(*p);
    ASSERT_NE(exe, nullptr);
    GuardedSpan span = jit_code_mapping(*exe);
    auto code = reinterpret_cast<uintptr_t>(jit_code(*exe).data());
    ASSERT_NE(span.lo, 0u);
    EXPECT_EQ(code, span.lo + span.guard);
    EXPECT_GE(span.hi - span.guard, code + jit_code(*exe).size());
    auto maps = read_maps();
    EXPECT_EQ(perms_at(maps, span.lo), "---p");
    EXPECT_EQ(perms_at(maps, code - 1), "---p");
    EXPECT_EQ(perms_at(maps, code), "r-xp");
    EXPECT_EQ(perms_at(maps, span.hi - span.guard - 1), "r-xp");
    EXPECT_EQ(perms_at(maps, span.hi - span.guard), "---p");
    EXPECT_EQ(perms_at(maps, span.hi - 1), "---p");
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

// Many load/prepare/run/unload cycles: each unload takes the code's mapping (guards
// included) away, and the number of mappings stays flat.
TEST(MemprotTest, UnloadReleasesCodeMemory) {
  Runtime rt;
  auto bytes = testing::read_prog("host_hooks.v4.o");
  rt.set_trace_sink([](std::string_view, std::string_view) {});
  auto cycle = [&](GuardedSpan* span_out) {
    auto obj = rt.load_bytes(bytes);
    ASSERT_TRUE(obj.ok());
    Program* p = prepare_host_hooks(**obj, EngineKind::kJit);
    ASSERT_NE(p, nullptr);
    std::vector<uint8_t> buf(4);
    ASSERT_TRUE(p->run(buf).ok());
    GuardedSpan span = jit_code_mapping(*ProgramAccess::executable(*p));
    ASSERT_NE(span.lo, 0u);
    ASSERT_EQ(perms_at(read_maps(), span.lo + span.guard), "r-xp");
    obj->reset();
    *span_out = span;
  };
  GuardedSpan span{};
  for (int i = 0; i < 10; ++i) ASSERT_NO_FATAL_FAILURE(cycle(&span));  // warm up
  const size_t before = read_maps().size();
  constexpr int kCycles = 300;
  for (int i = 0; i < kCycles; ++i) {
    ASSERT_NO_FATAL_FAILURE(cycle(&span));
    ASSERT_FALSE(overlaps_any(read_maps(), span.lo, span.hi)) << "cycle " << i;
  }
  const size_t after = read_maps().size();
  // A leak would add three mappings a cycle (900); allocator noise a few.
  EXPECT_LE(after, before + 4) << before << " mappings before, " << after << " after";
}

// --- Death tests: the guard pages are there ---------------------------------------------

class MemprotDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

void run_touching(EngineKind engine, long touch) {
  auto rt = sampling_runtime();
  auto obj = rt->load_file(prog_path("host_hooks.v4.o"));
  if (!obj.ok()) return;
  Program* p = prepare_host_hooks(**obj, engine);
  if (p == nullptr) return;
  std::vector<uint8_t> buf(4);
  Sample s;
  s.touch = touch;
  RunOptions ro;
  ro.user_data = &s;
  (void)p->run(buf, ro);
}

TEST_F(MemprotDeathTest, ByteBelowTheRunStackFaultsOnBothEngines) {
  for (EngineKind engine : {EngineKind::kInterpreter, EngineKind::kJit}) {
    SCOPED_TRACE(engine_name(engine));
    EXPECT_DEATH(run_touching(engine, -1), "");
  }
}

TEST_F(MemprotDeathTest, ByteAboveTheRunStackFaultsOnBothEngines) {
  for (EngineKind engine : {EngineKind::kInterpreter, EngineKind::kJit}) {
    SCOPED_TRACE(engine_name(engine));
    EXPECT_DEATH(run_touching(engine, +1), "");
  }
}

// The control: the same runs without touching live.
TEST_F(MemprotDeathTest, RunsThatTouchNothingLive) {
  for (EngineKind engine : {EngineKind::kInterpreter, EngineKind::kJit}) {
    EXPECT_EXIT(
        {
          run_touching(engine, 0);
          std::exit(7);
        },
        ::testing::ExitedWithCode(7), "");
  }
}

TEST_F(MemprotDeathTest, BytesAroundJitCodeFault) {
  for (int side : {-1, +1}) {
    EXPECT_DEATH(
        {
          Runtime rt;
          auto obj = rt.load_file(prog_path("crc32.v4.o"));
          if (!obj.ok()) return;
          for (Program* p : (*obj)->programs()) {
            if (p->type().name != "mem") continue;
            PrepareOptions o;
            o.engine = EngineKind::kJit;
            o.mem_size = 16;
            if (!p->prepare(o).ok()) return;
            const Executable* exe = ProgramAccess::executable(*p);
            GuardedSpan span = jit_code_mapping(*exe);
            uintptr_t at = side < 0 ? span.lo + span.guard - 1 : span.hi - span.guard;
            std::printf("%d\n", *reinterpret_cast<volatile const uint8_t*>(at));
          }
        },
        "");
  }
}

// --- A run stack that cannot be mapped --------------------------------------------------

// The address space in bytes (VmSize of /proc/self/status).
uint64_t address_space_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmSize:", 0) == 0) return std::strtoull(line.c_str() + 7, nullptr, 10) * 1024;
  }
  return 0;
}

// In a child: nests runs past the cached levels, caps the address space where it stands
// (no new mapping succeeds), then runs on both engines, through the API and through the
// engine itself with no stack of the caller's. Exits 0 when every run refused cleanly,
// naming the missing stack.
[[noreturn]] void run_without_address_space() {
  auto rt = std::make_unique<Runtime>();
  auto obj = rt->load_file(prog_path("crc32.v4.o"));
  if (!obj.ok()) std::_Exit(10);
  Program* p = (*obj)->programs().front();
  std::vector<uint8_t> buf(64, 1);
  std::vector<std::unique_ptr<RunStack>> held;
  for (uint32_t i = 0; i < run_stack_detail::kCached; ++i) held.push_back(std::make_unique<RunStack>());
  for (EngineKind e : {EngineKind::kInterpreter, EngineKind::kJit}) {
    PrepareOptions po;
    po.engine = e;
    po.mem_size = buf.size();
    if (!p->prepare(po).ok()) std::_Exit(11);
    if (!p->run(buf).ok()) std::_Exit(12);  // the stack below the held levels
  }
  std::string message;
  message.reserve(4096);
  rlimit lim{address_space_bytes(), RLIM_INFINITY};
  if (lim.rlim_cur == 0 || setrlimit(RLIMIT_AS, &lim) != 0) std::_Exit(13);
  RunStack deep;
  if (deep.ok()) std::_Exit(14);  // the cap did not stop the mapping
  for (EngineKind e : {EngineKind::kInterpreter, EngineKind::kJit}) {
    PrepareOptions po;
    po.engine = e;
    po.mem_size = buf.size();
    lim.rlim_cur = RLIM_INFINITY;
    setrlimit(RLIMIT_AS, &lim);
    if (!p->prepare(po).ok()) std::_Exit(15);
    lim.rlim_cur = address_space_bytes();
    if (setrlimit(RLIMIT_AS, &lim) != 0) std::_Exit(13);
    auto r = p->run(buf);
    if (r.ok()) std::_Exit(16);
    message = r.error().to_string();
    if (message.find("no stack for the run") == std::string::npos) std::_Exit(17);
    RunContext ctx;  // no stack: the engine takes the thread's
    ctx.budget = UINT64_MAX;
    (void)ProgramAccess::executable(*p)->run(ctx, 0, 0);
    if (ctx.trap.kind != TrapKind::kNoStack) std::_Exit(18);
  }
  std::_Exit(0);
}

TEST_F(MemprotDeathTest, RunWithoutAStackIsRefusedNotACrash) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "the sanitizers' runtimes map memory of their own under an address-space cap";
#endif
  EXPECT_EXIT(run_without_address_space(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace bpfjit
