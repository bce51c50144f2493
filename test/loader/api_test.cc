// The public API as a host uses it: only bpfjit/runtime.h. Loads an object, runs its
// programs (also from many threads at once), reads maps and variables, and gets errors as
// values.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "bpfjit/runtime.h"
#include "test/loader/loader_util.h"

namespace bpfjit {
namespace {

using testing::prog_path;

Result<uint64_t> get_u64(const Map& m, uint32_t key) { return m.get<uint32_t, uint64_t>(key); }
Result<void> put_u64(Map& m, uint32_t key, uint64_t value, uint64_t flags = kBpfAny) {
  return m.put(key, value, flags);
}

std::string fmt_insn(uint32_t insn) { return "insn " + std::to_string(insn) + ": program "; }

std::string fmt_level(LogLevel level) {
  return level == LogLevel::kInfo ? "info: " : level == LogLevel::kDebug ? "debug: " : "other: ";
}

std::vector<uint8_t> tcp_packet(uint16_t dport) {
  std::vector<uint8_t> p = {2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0x08, 0x00,
                            0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
                            0x9c, 0x40, static_cast<uint8_t>(dport >> 8),
                            static_cast<uint8_t>(dport)};
  p.resize(54);
  p[46] = 0x50;
  return p;
}

TEST(ApiTest, HostLoadsRunsAndReadsMaps) {
  Runtime rt;
  auto obj = rt.load_file(prog_path("xdp_filter.v4.o"));
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  Object& o = **obj;
  ASSERT_EQ(o.programs().size(), 1u);
  Program* p = o.program("xdp_filter");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(o.program("xdp"), p);  // by section name
  EXPECT_EQ(o.program("nope"), nullptr);
  EXPECT_EQ(p->type().name, "xdp");
  EXPECT_GT(p->insn_count(), 10u);
  EXPECT_EQ(p->maps().size(), 2u);
  EXPECT_FALSE(p->prepared());

  auto pkt = tcp_packet(23);
  auto unprepared = p->run(pkt);
  ASSERT_FALSE(unprepared.ok());
  EXPECT_EQ(unprepared.error().code, ErrorCode::kInvalidArgument);

  ASSERT_TRUE(p->prepare().ok());
  EXPECT_TRUE(p->prepared());
  EXPECT_EQ(p->safety(), Safety::kVerified);
  ASSERT_NE(p->verify_report(), nullptr);
  EXPECT_TRUE(p->verify_report()->accepted);
  auto r = p->run(pkt);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 1u);  // XDP_DROP: telnet

  Map* stats = o.map("stats");
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(o.map("nope"), nullptr);
  auto v = get_u64(*stats, 4);  // STAT_DROP
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(*v, 1u);
  ProgramStats st = p->stats();
  EXPECT_EQ(st.runs, 1u);    // prepare() reset the counters: the unprepared run is gone
  EXPECT_EQ(st.errors, 0u);
  EXPECT_EQ(o.maps().size(), 2u);
}

TEST(ApiTest, PreparedProgramRunsOnManyThreads) {
  Runtime rt;
  auto obj = rt.load_file(prog_path("xdp_filter.v3.o"));
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  Program* p = (*obj)->program("xdp_filter");
  ASSERT_TRUE(p->prepare().ok());
  constexpr int kThreads = 4, kRuns = 400;
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRuns; ++i) {
        auto pkt = tcp_packet((i + t) % 2 ? 23 : 80);
        auto r = p->run(pkt);
        if (!r.ok() || *r != ((i + t) % 2 ? 1u : 2u)) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  // The program counts with atomic adds: no update is lost.
  auto v = get_u64(*(*obj)->map("stats"), 0);  // STAT_IPV4
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, uint64_t{kThreads} * kRuns);
  EXPECT_EQ(p->stats().runs, uint64_t{kThreads} * kRuns);
  EXPECT_EQ(p->stats().errors, 0u);
}

TEST(ApiTest, RunFaultIsAnError) {
  Runtime rt;
  auto obj = rt.load_file(prog_path("crc32.v3.o"));
  ASSERT_TRUE(obj.ok());
  Program* p = (*obj)->program("crc32");
  std::vector<uint8_t> buf(400, 7);
  PrepareOptions po;
  po.engine = EngineKind::kInterpreter;
  po.mem_size = buf.size();
  ASSERT_TRUE(p->prepare(po).ok()) << p->prepare(po).error().to_string();
  RunOptions o;
  o.budget = 50;
  auto r = p->run(buf, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRuntime);
  EXPECT_NE(r.error().message.find("budget"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().insn, kNoInsn);
  EXPECT_EQ(r.error().to_string().rfind(fmt_insn(r.error().insn), 0), 0u) << r.error().to_string();
  EXPECT_EQ(p->stats().errors, 1u);
  // A program verified for 400-byte buffers refuses other sizes.
  std::vector<uint8_t> small(100, 7);
  auto wrong = p->run(small);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(wrong.error().message.find("verified for 400-byte buffers"), std::string::npos)
      << wrong.error().message;
  EXPECT_EQ(p->stats().errors, 2u);
}

TEST(ApiTest, TailCallLimit) {
  Runtime rt;
  auto obj = rt.load_file(prog_path("tail_dispatch.v3.o"));
  ASSERT_TRUE(obj.ok());
  Program* d = (*obj)->program("dispatch");
  ASSERT_TRUE((*obj)->set_tail_call("handlers", 6, *d).ok());  // TCP -> itself, forever
  auto pkt = tcp_packet(80);
  auto unprepared = d->run(pkt);
  EXPECT_FALSE(unprepared.ok());
  PrepareOptions po;
  po.engine = EngineKind::kInterpreter;
  ASSERT_TRUE((*obj)->prepare_all(po).ok());
  // As in the kernel: the 34th bpf_tail_call fails and the program goes on after it.
  auto r = d->run(pkt);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 2u);  // XDP_PASS after "no handler"
  auto v = get_u64(*(*obj)->map("hits"), 0);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 34u);  // the first run and 33 tail calls
  auto no_handler = get_u64(*(*obj)->map("hits"), 3);
  ASSERT_TRUE(no_handler.ok());
  EXPECT_EQ(*no_handler, 1u);  // only the last one fell through
}

TEST(ApiTest, ErrorsAreValues) {
  Runtime rt;
  auto missing = rt.load_file("/nonexistent/x.o");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  std::vector<uint8_t> junk(64, 0);
  auto bad = rt.load_bytes(junk);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kLoad);
  auto obj = rt.load_file(prog_path("globals.v3.o"));
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ((*obj)->variable("nope").error().code, ErrorCode::kNotFound);
  EXPECT_EQ((*obj)->global_data("nope").error().code, ErrorCode::kNotFound);
  EXPECT_FALSE((*obj)->set_tail_call("nope", 0, *(*obj)->programs()[0]).ok());
  LoadSettings s;
  s.program_type = "no_such_type";
  EXPECT_FALSE(rt.load_file(prog_path("globals.v3.o"), s).ok());
}

TEST(ApiTest, HostHelperReplacesBuiltin) {
  Runtime rt;
  HelperProto p;
  p.id = 7;  // get_prandom_u32
  p.name = "get_prandom_u32";
  p.fn = [](uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) -> uint64_t {
    return 4;
  };
  ASSERT_TRUE(rt.register_helper(p).ok());
  ASSERT_NE(rt.helper(7), nullptr);
  EXPECT_EQ(rt.helper(7)->fn, p.fn);
  EXPECT_NE(rt.helper(1), nullptr);  // the other built-ins stay
  EXPECT_GT(rt.helpers().size(), 20u);
}


// Preparing verifies by default: a program the verifier cannot prove is refused with the
// instruction and the reason, and runs only when the host asks for checked mode.
TEST(ApiTest, UnverifiedProgramsAreRefusedUnlessCheckedModeIsAsked) {
  Runtime rt;
  auto obj = rt.load_file(prog_path("globals.clang14.v2.o"));  // the kernel refuses it too
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  Program* p = (*obj)->program("globals");
  std::vector<uint8_t> buf(4, 1);
  PrepareOptions verified;
  verified.mem_size = buf.size();
  auto r = p->prepare(verified);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kVerify);
  EXPECT_NE(r.error().insn, kNoInsn);
  EXPECT_NE(r.error().to_string().find("program globals: "), std::string::npos);
  EXPECT_FALSE(p->prepared());
  ASSERT_NE(p->verify_report(), nullptr);
  EXPECT_FALSE(p->verify_report()->accepted);
  ASSERT_FALSE(p->verify_report()->errors.empty());
  EXPECT_EQ(p->verify_report()->errors[0].insn, r.error().insn);
  EXPECT_FALSE(p->run(buf).ok());

  PrepareOptions checked;
  checked.safety = Safety::kChecked;
  ASSERT_TRUE(p->prepare(checked).ok());
  EXPECT_EQ(p->safety(), Safety::kChecked);
  EXPECT_EQ(p->verify_report(), nullptr);
  auto v = p->run(buf);
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(*v, 1000u + 10 + 'e');
}

TEST(ApiTest, VerifyReportIsData) {
  Runtime rt;
  auto obj = rt.load_file(prog_path("crc32.v4.o"));
  ASSERT_TRUE(obj.ok());
  Program* p = (*obj)->program("crc32");
  PrepareOptions o;
  o.mem_size = 9;
  o.verifier_log = true;
  VerifyReport ok = p->verify(o);
  EXPECT_TRUE(ok.accepted);
  EXPECT_TRUE(ok.errors.empty());
  EXPECT_GT(ok.insns_processed, p->insn_count() / 2);
  EXPECT_FALSE(ok.log.empty());
  EXPECT_FALSE(p->prepared());  // verify() does not prepare
  // Without the buffer size, the verifier cannot prove the buffer accesses.
  VerifyReport no_size = p->verify();
  EXPECT_FALSE(no_size.accepted);
  ASSERT_FALSE(no_size.errors.empty());
  EXPECT_NE(no_size.errors[0].message.find("memory access out of bounds"), std::string::npos)
      << no_size.errors[0].message;
  // The complexity limit is the host's to choose.
  PrepareOptions tight = o;
  tight.complexity_limit = 10;
  EXPECT_FALSE(p->verify(tight).accepted);
}

// Verified (trusted) runs give the same results as checked runs, on both engines.
TEST(ApiTest, VerifiedAndCheckedRunsAgree) {
  std::vector<uint8_t> digits = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  for (EngineKind engine : {EngineKind::kInterpreter, EngineKind::kJit}) {
    for (const char* file : {"crc32.v3.o", "crc32.v4.o", "loops.v4.o", "call_chain.v3.o"}) {
      Runtime rt;
      auto a = rt.load_file(prog_path(file));
      auto b = rt.load_file(prog_path(file));
      ASSERT_TRUE(a.ok() && b.ok()) << file;
      PrepareOptions verified;
      verified.engine = engine;
      verified.mem_size = digits.size();
      PrepareOptions checked = verified;
      checked.safety = Safety::kChecked;
      for (Program* p : (*a)->programs()) {
        Program* q = (*b)->program(p->name());
        auto r = p->prepare(verified);
        ASSERT_TRUE(r.ok()) << file << " " << r.error().to_string();
        EXPECT_NE(std::string(p->engine_name()).find(engine == EngineKind::kJit ? "trusted"
                                                                                  : "interp"),
                  std::string::npos)
            << p->engine_name();
        ASSERT_TRUE(q->prepare(checked).ok());
        auto x = digits, y = digits;
        auto rx = p->run(x), ry = q->run(y);
        ASSERT_TRUE(rx.ok() && ry.ok()) << file << " " << p->name();
        EXPECT_EQ(*rx, *ry) << file << " " << p->name();
        EXPECT_EQ(x, y);
      }
    }
  }
}

TEST(ApiTest, HostMapsAreSharedAcrossLoads) {
  Runtime rt;
  auto first = rt.load_file(prog_path("xdp_filter.v4.o"));
  ASSERT_TRUE(first.ok());
  std::shared_ptr<Map> stats = (*first)->shared_map("stats");
  ASSERT_NE(stats, nullptr);
  ASSERT_TRUE(put_u64(*stats, 4, 41).ok());
  LoadSettings reuse;
  reuse.reuse_maps = {stats};
  auto second = rt.load_file(prog_path("xdp_filter.v4.o"), reuse);
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  first->reset();  // the map lives on in the second object
  Program* p = (*second)->program("xdp_filter");
  ASSERT_TRUE(p->prepare().ok());
  auto pkt = tcp_packet(23);
  ASSERT_EQ(*p->run(pkt), 1u);
  EXPECT_EQ(*get_u64(*stats, 4), 42u);
  EXPECT_EQ((*second)->map("stats"), stats.get());

  // A map of another shape is refused by name.
  auto other = rt.create_map({MapType::kHash, "stats", 4, 8, 16, 0});
  ASSERT_TRUE(other.ok());
  reuse.reuse_maps = {*other};
  auto refused = rt.load_file(prog_path("xdp_filter.v4.o"), reuse);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kLoad);
  EXPECT_NE(refused.error().message.find("map stats"), std::string::npos);
}

TEST(ApiTest, HostMapOperationsReportErrorsAsValues) {
  Runtime rt;
  auto m = rt.create_map({MapType::kHash, "h", 4, 8, 2, 0});
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  Map& h = **m;
  EXPECT_EQ(get_u64(h, 1).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(put_u64(h, 1, 10).ok());
  EXPECT_EQ((put_u64(h, 1, 11, kBpfNoExist)).error().code, ErrorCode::kExists);
  ASSERT_TRUE(put_u64(h, 2, 20).ok());
  EXPECT_EQ((put_u64(h, 3, 30)).error().code, ErrorCode::kNoSpace);
  EXPECT_EQ(h.update(Map::bytes_of(uint16_t{3}), Map::bytes_of(uint64_t{30})).error().code, ErrorCode::kInvalidArgument);
  uint32_t key = 0, next = 0;
  std::vector<uint32_t> keys;
  std::span<const uint8_t> from;  // empty: the first key
  while (true) {
    auto more = h.next_key(from, Map::writable_bytes_of(next));
    ASSERT_TRUE(more.ok());
    if (!*more) break;
    keys.push_back(next);
    key = next;
    from = Map::bytes_of(key);
  }
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(h.for_each([](auto, auto) { return true; }), 2u);
  ASSERT_TRUE(h.erase(Map::bytes_of(uint32_t{1})).ok());
  EXPECT_EQ(h.erase(Map::bytes_of(uint32_t{1})).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(h.consume([](auto) { return true; }).error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(rt.create_map({MapType::kRingbuf, "rb", 0, 0, 1000, 0}).ok());  // not 2^n
}

TEST(ApiTest, LogSinkReceivesMessages) {
  std::vector<std::string> lines;
  std::mutex mu;
  set_log_sink(
      [&](LogLevel level, std::string_view msg) {
        std::lock_guard<std::mutex> lock(mu);
        lines.push_back(fmt_level(level) + std::string(msg));
      },
      LogLevel::kDebug);
  Runtime rt;
  auto obj = rt.load_file(prog_path("host_hooks.v4.o"));
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  Program* p = (*obj)->program("host_hooks");
  PrepareOptions o;
  o.mem_size = 5;
  ASSERT_TRUE(p->prepare(o).ok()) << p->prepare(o).error().to_string();
  std::vector<uint8_t> buf(5, 'a');
  ASSERT_TRUE(p->run(buf).ok());
  set_log_sink(nullptr);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "info: host_hooks: bpf_trace_printk: host_hooks: 5 bytes");
  // After the sink is removed, nothing more reaches it.
  ASSERT_TRUE(p->run(buf).ok());
  EXPECT_EQ(lines.size(), 1u);
}

TEST(ApiTest, TraceSinkGetsProgramOutput) {
  Runtime rt;
  std::vector<std::string> got;
  rt.set_trace_sink([&](std::string_view prog, std::string_view line) {
    got.push_back(std::string(prog) + "|" + std::string(line));
  });
  auto obj = rt.load_file(prog_path("host_hooks.v3.o"));
  ASSERT_TRUE(obj.ok());
  Program* p = (*obj)->program("host_hooks");
  PrepareOptions o;
  o.mem_size = 3;
  ASSERT_TRUE(p->prepare(o).ok());
  std::vector<uint8_t> buf(3);
  ASSERT_TRUE(p->run(buf).ok());
  EXPECT_EQ(got, (std::vector<std::string>{"host_hooks|host_hooks: 3 bytes"}));
}

TEST(ApiTest, HostHelperSeesUserDataAndProgramMemory) {
  struct Host {
    uint64_t calls = 0;
    bool null_refused = false;
  };
  for (EngineKind engine : {EngineKind::kInterpreter, EngineKind::kJit}) {
    Runtime rt;
    rt.set_trace_sink([](std::string_view, std::string_view) {});
    HelperProto h;
    h.id = 7;  // get_prandom_u32: replaced by the host's own
    h.name = "get_prandom_u32";
    h.fn = [](uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* ctx) -> uint64_t {
      auto* host = static_cast<Host*>(helper_user_data(ctx));
      if (host == nullptr) {
        helper_fail(ctx);
        return 0;
      }
      host->null_refused = helper_memory(ctx, 0, 8, false) == nullptr;
      return ++host->calls;
    };
    ASSERT_TRUE(rt.register_helper(h).ok());
    auto obj = rt.load_file(prog_path("host_hooks.v4.o"));
    ASSERT_TRUE(obj.ok());
    Program* p = (*obj)->program("host_hooks");
    PrepareOptions o;
    o.engine = engine;
    o.mem_size = 4;
    ASSERT_TRUE(p->prepare(o).ok());
    std::vector<uint8_t> buf(4);
    Host host;
    RunOptions ro;
    ro.user_data = &host;
    auto r = p->run(buf, ro);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(*r, 1u * 100 + 2);
    EXPECT_EQ(host.calls, 2u);
    EXPECT_TRUE(host.null_refused);
    // Without user data the helper fails the run: an error that names the call.
    auto failed = p->run(buf);
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().code, ErrorCode::kRuntime);
    EXPECT_NE(failed.error().message.find("helper"), std::string::npos)
        << failed.error().message;
    EXPECT_EQ(p->stats().errors, 1u);
    EXPECT_EQ(p->stats().runs, 2u);
  }
}

}  // namespace
}  // namespace bpfjit
