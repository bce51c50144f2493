// fuzz_capi: the C API (bpfjit.h) driven by a sequence of calls the input chooses.
// Input: a list of operations, each an opcode byte followed by its argument bytes (read
// from the front; a short input reads zeros). The calls include misuse the header defines
// (NULL handles and out-parameters, wrong key and value sizes, enum values out of range,
// runs of unprepared programs, unknown names); each must return an error, never crash.
// The harness keeps the header's lifetime rules: an object or a map is used only while it
// lives, and a runtime outlives what it loaded (destroying one destroys its objects and
// maps first). Runs are bounded by a budget. Everything is destroyed at the end of an input.
#include <array>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bpfjit/bpfjit.h"
#include "test/fuzz/common.h"

namespace {

// Objects of bpf-progs read once at start (read-only afterwards): op kLoadKnown loads one.
const char* const kKnownObjects[] = {
    "xdp_filter.v3.o", "flow_counter.v3.o", "queue_stack.v3.o", "ringbuf_events.v3.o",
    "map_in_map.v3.o", "globals.v4.o",      "tail_dispatch.v3.o", "loops.v4.o",
    "percpu.v3.o",     "socket_filter.v3.o", "lpm_classify.v3.o", "config_rodata.v3.o",
    "map_types.v3.o",  "xdp_perf.v3.o",     "crc32.v4.o",         "call_chain.v3.o"};
std::vector<std::vector<uint8_t>>& known() {
  static std::vector<std::vector<uint8_t>> objects;
  return objects;
}

const char* const kTypeNames[] = {nullptr, "mem", "xdp", "socket_filter", "sched_cls",
                                  "no_such_type", ""};

enum Op : uint8_t {
  kRuntimeCreate, kRuntimeDestroy, kLoadKnown, kLoadBytes, kObjectDestroy, kCreateMap,
  kMapDestroy, kMapUpdate, kMapLookup, kMapDelete, kMapNextKey, kMapPushPop, kPrepare, kRun,
  kTestRun, kVerify, kObjectQueries, kMisc, kMapConsume, kSetInner, kNullArgs, kOpCount
};

constexpr uint64_t kBudget = 100'000;

class Session {
 public:
  explicit Session(bpfjit::fuzz::Reader& in) : in_(in) {}
  ~Session() { destroy_runtime(); }

  void step() {
    switch (static_cast<Op>(in_.u8() % kOpCount)) {
      case kRuntimeCreate:
        if (rt_ == nullptr) check(bpfjit_runtime_create(&rt_));
        break;
      case kRuntimeDestroy: destroy_runtime(); break;
      case kLoadKnown: {
        const auto& objs = known();
        uint8_t k = in_.u8();
        if (objs.empty()) break;
        const auto& bytes = objs[k % objs.size()];
        load(bytes.data(), bytes.size());
        break;
      }
      case kLoadBytes: {
        uint32_t n = in_.u8() | (static_cast<uint32_t>(in_.u8()) << 8);
        auto bytes = in_.take(n);
        load(bytes.data(), bytes.size());
        break;
      }
      case kObjectDestroy: {
        uint8_t i = in_.u8();
        if (objs_.empty()) break;
        size_t k = i % objs_.size();
        bpfjit_object_destroy(objs_[k]);
        objs_.erase(objs_.begin() + static_cast<long>(k));
        break;
      }
      case kCreateMap: create_map(); break;
      case kMapDestroy: {
        uint8_t i = in_.u8();
        if (host_maps_.empty()) break;
        size_t k = i % host_maps_.size();
        bpfjit_map_destroy(host_maps_[k]);
        host_maps_.erase(host_maps_.begin() + static_cast<long>(k));
        break;
      }
      case kMapUpdate: {
        bpfjit_map* m = pick_map();
        auto key = buffer(key_size(m));
        auto value = buffer(value_size(m));
        uint64_t flags = in_.u8() % 5;
        check(bpfjit_map_update(m, key.data(), key.size(), value.data(), value.size(), flags));
        break;
      }
      case kMapLookup: {
        bpfjit_map* m = pick_map();
        auto key = buffer(key_size(m));
        std::vector<uint8_t> value(size_near(bpfjit_map_value_bytes(m)));
        check(bpfjit_map_lookup(m, key.data(), key.size(), value.data(), value.size()));
        break;
      }
      case kMapDelete: {
        bpfjit_map* m = pick_map();
        auto key = buffer(key_size(m));
        check(bpfjit_map_delete(m, key.data(), key.size()));
        break;
      }
      case kMapNextKey: {
        bpfjit_map* m = pick_map();
        bool first = (in_.u8() & 1) != 0;
        auto key = buffer(key_size(m));
        std::vector<uint8_t> next(size_near(bpfjit_map_key_size(m)));
        check(bpfjit_map_next_key(m, first ? nullptr : key.data(), first ? 0 : key.size(),
                                  next.data(), next.size()));
        break;
      }
      case kMapPushPop: {
        bpfjit_map* m = pick_map();
        uint8_t what = in_.u8();
        auto value = buffer(value_size(m));
        if (what % 3 == 0) {
          check(bpfjit_map_push(m, value.data(), value.size(), in_.u8() % 3));
        } else if (what % 3 == 1) {
          check(bpfjit_map_pop(m, value.data(), value.size()));
        } else {
          check(bpfjit_map_peek(m, value.data(), value.size()));
        }
        break;
      }
      case kPrepare: {
        bpfjit_program* p = pick_program();
        bpfjit_prepare_options o = prepare_options();
        check(bpfjit_program_prepare(p, (in_.u8() & 1) != 0 ? &o : nullptr));
        break;
      }
      case kRun: {
        bpfjit_program* p = pick_program();
        auto data = buffer(in_.u8());
        bpfjit_run_options o = run_options();
        uint64_t r0 = 0;
        check(bpfjit_program_run(p, data.data(), data.size(), &o, &r0));
        break;
      }
      case kTestRun: test_run(); break;
      case kVerify: {
        bpfjit_program* p = pick_program();
        bpfjit_prepare_options o = prepare_options();
        bpfjit_verify_report* rep = nullptr;
        if (check(bpfjit_program_verify(p, &o, &rep)) == BPFJIT_OK) {
          size_t n = bpfjit_verify_report_error_count(rep);
          if (!bpfjit_verify_report_accepted(rep) && n == 0) {
            bpfjit::fuzz::fail("a rejection without an error");
          }
          for (size_t i = 0; i < n; ++i) {
            (void)std::strlen(bpfjit_verify_report_error_message(rep, i));
            (void)bpfjit_verify_report_error_insn(rep, i);
          }
          if (bpfjit_verify_report_error_message(rep, n) != nullptr ||
              bpfjit_verify_report_error_insn(rep, n) != BPFJIT_NO_INSN) {
            bpfjit::fuzz::fail("a rejection past the end of the report");
          }
          (void)std::strlen(bpfjit_verify_report_log(rep));
          (void)bpfjit_verify_report_insns_processed(rep);
          (void)bpfjit_verify_report_stack_depth(rep);
          bpfjit_verify_report_destroy(rep);
        }
        rep = nullptr;
        if (bpfjit_program_prepare_report(p, &rep) == BPFJIT_OK) bpfjit_verify_report_destroy(rep);
        break;
      }
      case kObjectQueries: object_queries(); break;
      case kMisc: misc(); break;
      case kMapConsume: {
        bpfjit_map* m = pick_map();
        size_t consumed = 0;
        auto each = [](void*, const void* rec, size_t size) {
          if (size > 0) (void)static_cast<const volatile uint8_t*>(rec)[size - 1];
          return true;
        };
        check(bpfjit_map_consume(m, each, nullptr, &consumed));
        check(bpfjit_map_poll(m, 0, each, nullptr, &consumed));
        (void)bpfjit_map_pending_bytes(m);
        (void)bpfjit_map_id(m);
        break;
      }
      case kSetInner: {
        bpfjit_map* outer = pick_map();
        bpfjit_map* inner = pick_map();
        auto key = buffer(key_size(outer));
        check(bpfjit_map_set_inner(outer, key.data(), key.size(), inner, in_.u8() % 3));
        break;
      }
      case kNullArgs: null_args(); break;
      case kOpCount: break;
    }
  }

 private:
  bpfjit_error check(bpfjit_error e) {
    const char* msg = bpfjit_last_error_message();
    if (bpfjit_last_error_code() != e) bpfjit::fuzz::fail("the last error code is not the one returned");
    if (e != BPFJIT_OK && msg[0] == '\0') bpfjit::fuzz::fail("an error without a message");
    return e;
  }

  void load(const void* bytes, size_t size) {
    if (objs_.size() >= 3) return;
    bpfjit_load_settings s{};
    s.program_type = kTypeNames[in_.u8() % std::size(kTypeNames)];
    std::vector<bpfjit_map*> reuse;
    if ((in_.u8() & 1) != 0) {
      for (bpfjit_map* m : host_maps_) reuse.push_back(m);
      s.reuse_maps = reuse.data();
      s.reuse_map_count = reuse.size();
    }
    bpfjit_object* obj = nullptr;
    if (check(bpfjit_load_bytes(rt_, bytes, size, (in_.u8() & 1) != 0 ? &s : nullptr, &obj)) ==
        BPFJIT_OK) {
      objs_.push_back(obj);
    }
  }

  void create_map() {
    if (host_maps_.size() >= 4) return;
    uint8_t t = in_.u8();
    bpfjit_map_spec inner{};
    inner.type = BPFJIT_MAP_ARRAY;
    inner.key_size = 4;
    inner.value_size = 4;
    inner.max_entries = 4;
    bpfjit_map_spec spec{};
    spec.type = static_cast<bpfjit_map_type>(t % 40);
    spec.name = (t & 0x80) != 0 ? nullptr : "fuzz_map";
    spec.key_size = in_.u8() % 40;
    spec.value_size = in_.u8() % 70;
    spec.max_entries = in_.u8();
    if ((in_.u8() & 1) != 0) spec.max_entries = 4096u << (in_.u8() % 3);
    spec.flags = in_.u8() & 0x1f ? 0 : in_.u32();
    spec.map_extra = in_.u8() % 12;
    spec.inner = (in_.u8() & 1) != 0 ? &inner : nullptr;
    bpfjit_map* m = nullptr;
    if (check(bpfjit_runtime_create_map(rt_, &spec, &m)) == BPFJIT_OK) host_maps_.push_back(m);
  }

  // A map of the host's or of an object's, or NULL.
  bpfjit_map* pick_map() {
    uint8_t i = in_.u8();
    std::vector<bpfjit_map*> all(host_maps_);
    for (bpfjit_object* o : objs_) {
      for (size_t k = 0; k < bpfjit_object_map_count(o); ++k) all.push_back(bpfjit_object_map_at(o, k));
    }
    if (all.empty() || i == 0xff) return nullptr;
    return all[i % all.size()];
  }

  bpfjit_program* pick_program() {
    uint8_t i = in_.u8();
    std::vector<bpfjit_program*> all;
    for (bpfjit_object* o : objs_) {
      for (size_t k = 0; k < bpfjit_object_program_count(o); ++k) {
        all.push_back(bpfjit_object_program_at(o, k));
      }
    }
    if (all.empty() || i == 0xff) return nullptr;
    return all[i % all.size()];
  }

  // The right size most of the time, sometimes one off or zero.
  size_t size_near(size_t right) {
    switch (in_.u8() % 8) {
      case 0: return right + 1;
      case 1: return right > 0 ? right - 1 : 0;
      case 2: return 0;
      default: return right;
    }
  }
  uint32_t key_size(bpfjit_map* m) { return static_cast<uint32_t>(size_near(bpfjit_map_key_size(m))); }
  uint32_t value_size(bpfjit_map* m) { return static_cast<uint32_t>(size_near(bpfjit_map_value_bytes(m))); }

  std::vector<uint8_t> buffer(size_t n) {
    std::vector<uint8_t> b(n);
    auto src = in_.take(n);
    if (!src.empty()) std::memcpy(b.data(), src.data(), src.size());
    return b;
  }

  bpfjit_prepare_options prepare_options() {
    bpfjit_prepare_options o{};
    uint8_t b = in_.u8();
    o.engine = static_cast<bpfjit_engine>(b % 4);  // 3: out of range
    o.safety = static_cast<bpfjit_safety>((b >> 2) % 3);
    o.has_mem_size = (b & 0x10) != 0;
    o.mem_size = in_.u8();
    o.verifier_log = (b & 0x20) != 0;
    o.complexity_limit = 1 + in_.u8() * 400u;  // bounded: at most ~100k
    o.harden = (b & 0x40) != 0;
    return o;
  }

  bpfjit_run_options run_options() {
    bpfjit_run_options o{};
    o.budget = 1 + in_.u8() * (kBudget / 256);  // never 0 (no limit)
    uint8_t b = in_.u8();
    o.ifindex = b & 3;
    o.rx_queue = (b >> 2) & 3;
    o.has_cpu = (b & 0x10) != 0;
    o.cpu = in_.u8();  // 128..255 out of range
    return o;
  }

  void test_run() {
    bpfjit_program* p = pick_program();
    auto data = buffer(in_.u8());
    auto ctx = buffer(in_.u8() % 200);
    bpfjit_run_options o = run_options();
    std::vector<uint8_t> data_out(size_near(data.size() + 256));
    std::vector<uint8_t> ctx_out(size_near(ctx.size()));
    bpfjit_test_run run{};
    run.data_in = data.data();
    run.data_size_in = data.size();
    run.ctx_in = ctx.empty() ? nullptr : ctx.data();
    run.ctx_size_in = ctx.size();
    run.repeat = in_.u8() % 3;
    run.opts = &o;
    run.data_out = data_out.empty() ? nullptr : data_out.data();
    run.data_size_out = data_out.size();
    run.ctx_out = ctx_out.empty() ? nullptr : ctx_out.data();
    run.ctx_size_out = ctx_out.size();
    if (check(bpfjit_program_test_run(p, &run)) == BPFJIT_OK && run.redirect_map != nullptr) {
      (void)std::strlen(run.redirect_map);
    }
    bpfjit_program_stats st{};
    check(bpfjit_program_get_stats(p, &st));
  }

  std::string name() {
    auto b = in_.take(in_.u8() % 24);
    return std::string(b.begin(), b.end());
  }

  void object_queries() {
    if (objs_.empty()) return;
    bpfjit_object* o = objs_[in_.u8() % objs_.size()];
    (void)bpfjit_object_program_at(o, in_.u8());  // may be past the end: NULL
    (void)bpfjit_object_map_at(o, in_.u8());
    std::string n = name();
    bpfjit_program* p = nullptr;
    if (check(bpfjit_object_program(o, n.c_str(), &p)) == BPFJIT_OK) {
      (void)std::strlen(bpfjit_program_name(p));
      (void)std::strlen(bpfjit_program_section(p));
      (void)std::strlen(bpfjit_program_type_name(p));
      (void)std::strlen(bpfjit_program_engine_name(p));
      (void)bpfjit_program_insn_count(p);
      (void)bpfjit_program_prepared(p);
      (void)bpfjit_program_safety(p);
    }
    bpfjit_map* m = nullptr;
    if (check(bpfjit_object_map(o, n.c_str(), &m)) == BPFJIT_OK) (void)std::strlen(bpfjit_map_name(m));
    void* data = nullptr;
    size_t size = 0;
    bool ro = false;
    if (check(bpfjit_object_variable(o, n.c_str(), &data, &size)) == BPFJIT_OK && size > 0) {
      static_cast<volatile uint8_t*>(data)[size - 1] = 0;
    }
    if (check(bpfjit_object_global_data(o, n.c_str(), &data, &size, &ro)) == BPFJIT_OK && size > 0) {
      (void)static_cast<volatile uint8_t*>(data)[size - 1];
    }
    bpfjit_program* target = pick_program();
    check(bpfjit_object_set_tail_call(o, n.c_str(), in_.u8(), target));
    (void)bpfjit_object_has_btf(o);
    bpfjit_prepare_options po = prepare_options();
    check(bpfjit_object_prepare_all(o, &po));
  }

  void misc() {
    uint8_t b = in_.u8();
    (void)std::strlen(bpfjit_error_name(static_cast<bpfjit_error>(b % 16)));
    (void)std::strlen(bpfjit_version());
    (void)bpfjit_last_error_insn();
    check(bpfjit_runtime_set_time_ns(rt_, in_.u32()));
    check(bpfjit_runtime_advance_time_ns(rt_, in_.u8()));
    check(bpfjit_runtime_set_boot_offset_ns(rt_, in_.u8()));
    check(bpfjit_runtime_set_prandom_seed(rt_, in_.u32()));
    (void)bpfjit_runtime_has_helper(rt_, in_.u8());
    check(bpfjit_runtime_allow_helper(rt_, kTypeNames[in_.u8() % std::size(kTypeNames)], in_.u8()));
    bpfjit_net_device dev{};
    dev.ifindex = in_.u8() % 4;
    dev.mtu = in_.u8() * 16u;
    dev.forwarding = true;
    dev.ipv4[0] = 10;
    dev.ipv4[3] = in_.u8();
    bpfjit_route route{};
    route.prefix_len = in_.u8() % 140;
    route.ifindex = dev.ifindex;
    route.type = in_.u8() % 12;
    route.ipv6 = (b & 0x80) != 0;
    bpfjit_neighbour nb{};
    nb.ifindex = dev.ifindex;
    nb.addr[0] = 10;
    check(bpfjit_runtime_set_network(rt_, &dev, 1, &route, 1, &nb, b & 1));
    if ((b & 0x40) != 0 && rt_ != nullptr) {
      bpfjit_map* m = pick_map();
      if (m != nullptr && bpfjit_map_get_type(m) == BPFJIT_MAP_PERF_EVENT_ARRAY) {
        if (check(bpfjit_map_perf_open(m, 4096u << (in_.u8() % 2))) == BPFJIT_OK) {
          size_t consumed = 0;
          check(bpfjit_map_perf_poll(
              m, 0, [](void*, uint32_t, const void*, size_t) { return true; },
              [](void*, uint32_t, uint64_t) {}, nullptr, &consumed));
        }
      }
    }
  }

  // Calls with NULL where the header says NULL is refused.
  void null_args() {
    bpfjit_object* obj = nullptr;
    uint8_t dummy[8] = {};
    uint64_t r0 = 0;
    expect_error(bpfjit_runtime_create(nullptr));
    expect_error(bpfjit_load_bytes(rt_, nullptr, 8, nullptr, &obj));
    if (rt_ != nullptr) expect_error(bpfjit_load_bytes(rt_, dummy, sizeof(dummy), nullptr, nullptr));
    expect_error(bpfjit_load_file(rt_, nullptr, nullptr, &obj));
    expect_error(bpfjit_program_run(nullptr, dummy, sizeof(dummy), nullptr, &r0));
    bpfjit_program* p = pick_program();
    if (p != nullptr) expect_error(bpfjit_program_run(p, dummy, sizeof(dummy), nullptr, nullptr));
    expect_error(bpfjit_program_prepare(nullptr, nullptr));
    expect_error(bpfjit_program_test_run(nullptr, nullptr));
    expect_error(bpfjit_map_lookup(nullptr, dummy, 4, dummy, 4));
    bpfjit_map* m = pick_map();
    if (m != nullptr) {
      expect_error(bpfjit_map_lookup(m, nullptr, 4, dummy, 4));
      expect_error(bpfjit_map_update(m, dummy, 4, nullptr, 4, 0));
    }
    expect_error(bpfjit_runtime_create_map(rt_, nullptr, &m));
    expect_error(bpfjit_object_program(nullptr, "x", &p));
    bpfjit_runtime_destroy(nullptr);
    bpfjit_object_destroy(nullptr);
    bpfjit_map_destroy(nullptr);
    bpfjit_verify_report_destroy(nullptr);
  }

  void expect_error(bpfjit_error e) {
    if (e == BPFJIT_OK) bpfjit::fuzz::fail("a call with a NULL argument succeeded");
    check(e);
  }

  void destroy_runtime() {
    for (bpfjit_object* o : objs_) bpfjit_object_destroy(o);
    objs_.clear();
    for (bpfjit_map* m : host_maps_) bpfjit_map_destroy(m);
    host_maps_.clear();
    bpfjit_runtime_destroy(rt_);
    rt_ = nullptr;
  }

  bpfjit::fuzz::Reader& in_;
  bpfjit_runtime* rt_ = nullptr;
  std::vector<bpfjit_object*> objs_;
  std::vector<bpfjit_map*> host_maps_;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  bpfjit_set_log_level(BPFJIT_LOG_OFF);
  for (const char* name : kKnownObjects) {
    std::ifstream f(std::string(BPFJIT_BPF_PROGS_DIR) + "/" + name, std::ios::binary);
    if (!f) continue;
    known().emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bpfjit::fuzz::Reader in({data, size});
  Session s(in);
  for (int steps = 0; steps < 64 && !in.empty(); ++steps) s.step();
  return 0;
}
