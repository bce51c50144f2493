// bpfjit-soak: many threads load, verify, run, hot-reload and unload programs against maps
// under churn, through the C++ API (bpfjit/runtime.h) and the C API (bpfjit/bpfjit.h) at
// once, and the process's resources must stay flat: resident memory, malloc'd bytes
// (mallinfo2), open file descriptors (/proc/self/fd) and mappings (/proc/self/maps).
//
// Threads form two groups, one per API (even threads C++, odd threads C). Each group has a
// runtime, a hash map `flows` that outlives every object (C++: the first object's map kept
// as a shared_ptr; C: a map the host created), and a current version of flow_counter (its
// -mcpu=v3 and v4 builds in turn), swapped RCU-like: a run holds a snapshot, the old object
// is destroyed when its last run ends. One cycle of a thread:
//   - runs the current version on a UDP packet of one of its own 8 flows and checks r0;
//   - reads the flow's counters back from the map and checks them against its own count
//     (only this thread touches its flows, so every packet must be there, across reloads);
//   - every 8th cycle of a flow, deletes it (the next packet creates it again);
//   - every --reload-every cycles, loads a new version from the object's bytes (reusing
//     the map), verifies it, prepares it (JIT, JIT with constant blinding or interpreter,
//     in turn) and swaps it in: the previous one is unloaded when its last run ends;
//   - every 4 reloads, also loads a copy it only verifies and destroys, and a truncated
//     object whose load must fail;
//   - every --runtime-every cycles, creates a whole runtime, loads, runs and destroys it.
// After a warm-up (the first 10% of the cycles or seconds) the sampler takes a baseline,
// then a sample every 5%, and one at the end; the soak fails when a sample exceeds the
// baseline by more than the tolerance, or when a check of a cycle failed.
#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bpfjit/bpfjit.h"
#include "bpfjit/runtime.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BPFJIT_SOAK_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define BPFJIT_SOAK_SANITIZER 1
#endif
#endif

namespace {

constexpr uint32_t kXdpPass = 2;
constexpr int kFlowsPerThread = 8;
constexpr size_t kKeySize = 16;    // struct flow_key of flow_counter.c
constexpr size_t kValueSize = 16;  // struct flow_stats: packets, bytes

struct Options {
  uint64_t cycles = 1'000'000;
  unsigned threads = 4;
  double seconds = 0;  // 0: no time limit
  uint64_t reload_every = 16;
  uint64_t runtime_every = 2000;
  std::string objects_dir = BPFJIT_BPF_PROGS_DIR;
  // Tolerated growth over the baseline.
  double mem_percent = 10;
  uint64_t rss_kib = 4096;
  uint64_t malloc_kib = 1024;
  uint64_t fds = 1;
  uint64_t maps = 16;
  bool judge_memory = true;
  bool judge_maps = true;
  // A leak on purpose at every reload ("malloc", "fd" or "mapping"), to show that the
  // soak catches one: its own tests expect it to fail then.
  std::string inject_leak;
};

// The leak of --inject-leak: 16 KiB malloc'd and touched, /dev/null opened, or a page
// mapped (read-only and read-write in turn, so that neighbours do not merge).
void inject_leak(const std::string& kind) {
  static std::atomic<uint64_t> n{0};
  if (kind == "malloc") {
    void* p = malloc(16384);
    if (p) memset(p, 0x5a, 16384);
    static std::atomic<void*> sink;
    sink.store(p);  // lost on purpose
  } else if (kind == "fd") {
    (void)open("/dev/null", O_RDONLY | O_CLOEXEC);
  } else if (kind == "mapping") {
    int prot = n.fetch_add(1) % 2 ? PROT_READ : PROT_READ | PROT_WRITE;
    (void)mmap(nullptr, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }
}

// ---------------------------------------------------------------------------------------
// Resources

struct Sample {
  uint64_t cycles = 0;
  double seconds = 0;
  uint64_t rss_kib = 0;
  uint64_t malloc_kib = 0;
  uint64_t fds = 0;
  uint64_t maps = 0;
};

uint64_t rss_kib() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) / 1024;
}

uint64_t fd_count() {
  uint64_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

uint64_t map_count() {
  std::ifstream in("/proc/self/maps");
  uint64_t n = 0;
  std::string line;
  while (std::getline(in, line)) ++n;
  return n;
}

Sample take_sample(uint64_t cycles, double seconds) {
  Sample s;
  s.cycles = cycles;
  s.seconds = seconds;
  s.rss_kib = rss_kib();
  struct mallinfo2 mi = mallinfo2();
  s.malloc_kib = (mi.uordblks + mi.hblkhd) / 1024;
  s.fds = fd_count();
  s.maps = map_count();
  return s;
}

// ---------------------------------------------------------------------------------------
// Shared state

struct Failure {
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::string message;
  void fail(const std::string& m) {
    std::lock_guard<std::mutex> lock(mu);
    if (!failed.load()) message = m;
    failed.store(true);
  }
};

struct Objects {
  std::vector<uint8_t> v3, v4;
  const std::vector<uint8_t>& version(uint64_t n) const { return n % 2 ? v4 : v3; }
};

std::optional<std::vector<uint8_t>> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// A UDP packet of flow `flow` of thread `thread`, and its map key.
struct Packet {
  std::vector<uint8_t> bytes;
  uint8_t key[kKeySize] = {};
};

Packet make_packet(unsigned thread, int flow) {
  Packet p;
  p.bytes.assign(14 + 20 + 8 + 18, 0);
  uint8_t* b = p.bytes.data();
  b[12] = 0x08;  // ETH_P_IP
  uint8_t* ip = b + 14;
  ip[0] = 0x45;
  ip[3] = 20 + 8 + 18;
  ip[8] = 64;
  ip[9] = 17;  // UDP
  const uint8_t saddr[4] = {10, static_cast<uint8_t>(thread), static_cast<uint8_t>(flow), 1};
  const uint8_t daddr[4] = {192, 168, 0, 1};
  memcpy(ip + 12, saddr, 4);
  memcpy(ip + 16, daddr, 4);
  uint8_t* udp = ip + 20;
  udp[0] = 0x30, udp[1] = 0x39;                           // sport 12345
  udp[2] = 0, udp[3] = static_cast<uint8_t>(80 + flow);  // dport
  memcpy(p.key, saddr, 4);
  memcpy(p.key + 4, daddr, 4);
  memcpy(p.key + 8, udp, 4);
  p.key[12] = 17;
  return p;
}

bpfjit::EngineKind engine_of(uint64_t version) {
  return version % 3 == 2 ? bpfjit::EngineKind::kInterpreter : bpfjit::EngineKind::kJit;
}

// Per-thread flow bookkeeping: the packets each flow must have counted.
struct Flows {
  std::vector<Packet> packets;
  uint64_t expected[kFlowsPerThread] = {};
  explicit Flows(unsigned thread) {
    for (int f = 0; f < kFlowsPerThread; ++f) packets.push_back(make_packet(thread, f));
  }
};

std::string counters_mismatch(const char* api, unsigned thread, int flow, uint64_t packets,
                              uint64_t bytes, uint64_t expected, size_t len) {
  char buf[256];
  snprintf(buf, sizeof buf,
           "%s thread %u flow %d: the map has %" PRIu64 " packets / %" PRIu64
           " bytes, expected %" PRIu64 " / %" PRIu64,
           api, thread, flow, packets, bytes, expected, expected * len);
  return buf;
}

// ---------------------------------------------------------------------------------------
// The C++ group

struct CppVersion {
  std::unique_ptr<bpfjit::Object> object;
  bpfjit::Program* program = nullptr;
  uint64_t number = 0;
};

struct CppGroup {
  bpfjit::Runtime runtime;
  std::shared_ptr<bpfjit::Map> flows;
  std::mutex current_mu;  // held only to copy or replace `current`
  std::shared_ptr<const CppVersion> current;
  std::mutex reload_mu;  // one reload of the group at a time
  uint64_t versions = 0;

  std::shared_ptr<const CppVersion> snapshot() {
    std::lock_guard<std::mutex> lock(current_mu);
    return current;
  }
  // Puts `next` in; the previous version is unloaded here, or by its last run.
  void swap(std::shared_ptr<const CppVersion> next) {
    std::shared_ptr<const CppVersion> old;
    std::lock_guard<std::mutex> lock(current_mu);
    old = std::move(current);
    current = std::move(next);
  }
};

bpfjit::Result<std::shared_ptr<const CppVersion>> cpp_load(bpfjit::Runtime& rt,
                                                          const std::vector<uint8_t>& bytes,
                                                          std::shared_ptr<bpfjit::Map> flows,
                                                          uint64_t number) {
  bpfjit::LoadSettings settings;
  if (flows) settings.reuse_maps.push_back(std::move(flows));
  auto obj = rt.load_bytes(bytes, settings);
  if (!obj) return obj.take_error();
  auto v = std::make_shared<CppVersion>();
  v->object = std::move(*obj);
  v->number = number;
  v->program = v->object->program("count_flows");
  if (!v->program) return bpfjit::Error{bpfjit::ErrorCode::kNotFound, bpfjit::kNoInsn,
                                        "no program count_flows"};
  bpfjit::PrepareOptions opts;
  opts.engine = engine_of(number);
  opts.harden = number % 3 == 1;
  auto report = v->program->verify(opts);
  if (!report.accepted) {
    return report.errors.empty()
               ? bpfjit::Error{bpfjit::ErrorCode::kVerify, bpfjit::kNoInsn, "refused"}
               : report.errors[0];
  }
  if (auto r = v->program->prepare(opts); !r) return r.take_error();
  return std::shared_ptr<const CppVersion>(std::move(v));
}

// One full runtime's life: create, load, run once, destroy.
std::optional<std::string> cpp_runtime_life(const std::vector<uint8_t>& bytes, Packet& p) {
  bpfjit::Runtime rt;
  auto v = cpp_load(rt, bytes, nullptr, 0);
  if (!v) return "C++ runtime life: " + v.error().to_string();
  auto r0 = (*v)->program->run(p.bytes);
  if (!r0 || *r0 != kXdpPass) return std::string("C++ runtime life: the run failed");
  uint64_t value[2] = {};
  auto got = (*v)->object->map("flows")->lookup(
      {p.key, kKeySize}, {reinterpret_cast<uint8_t*>(value), kValueSize});
  if (!got || value[0] != 1) return std::string("C++ runtime life: the flow was not counted");
  return std::nullopt;
}

// The steps of a cycle through the C++ API; each gives an error message or nothing.
struct CppOps {
  static constexpr const char* kApi = "C++";
  using Group = CppGroup;
  static std::optional<std::string> run(CppGroup& g, Packet& p, unsigned thread) {
    auto v = g.snapshot();
    auto r0 = v->program->run(p.bytes);
    if (!r0) return "run of version " + std::to_string(v->number) + ": " + r0.error().to_string();
    if (*r0 != kXdpPass) return "run: r0 " + std::to_string(*r0);
    return std::nullopt;
  }
  static std::optional<std::string> lookup(CppGroup& g, const Packet& p, uint64_t value[2]) {
    auto got = g.flows->lookup({p.key, kKeySize}, {reinterpret_cast<uint8_t*>(value), kValueSize});
    if (!got) return "lookup: " + got.error().to_string();
    return std::nullopt;
  }
  static std::optional<std::string> erase(CppGroup& g, const Packet& p) {
    if (auto r = g.flows->erase({p.key, kKeySize}); !r) return "delete: " + r.error().to_string();
    return std::nullopt;
  }
  static std::optional<std::string> reload(CppGroup& g, const Objects& objs, uint64_t n) {
    auto v = cpp_load(g.runtime, objs.version(n), g.flows, n);
    if (!v) return "reload " + std::to_string(n) + ": " + v.error().to_string();
    g.swap(std::move(*v));
    return std::nullopt;
  }
  // A copy that is only loaded and verified, then destroyed; a truncated object.
  static std::optional<std::string> extra_loads(CppGroup& g, const std::vector<uint8_t>& bytes) {
    auto extra = g.runtime.load_bytes(bytes, {});
    if (!extra) return "extra load: " + extra.error().to_string();
    auto report = (*extra)->program("count_flows")->verify();
    if (!report.accepted) return std::string("extra verify refused");
    if (g.runtime.load_bytes({bytes.data(), bytes.size() / 2})) {
      return std::string("a truncated object loaded");
    }
    return std::nullopt;
  }
  static std::optional<std::string> runtime_life(const std::vector<uint8_t>& bytes, Packet& p) {
    return cpp_runtime_life(bytes, p);
  }
};
// ---------------------------------------------------------------------------------------
// The C group

struct CVersion {
  bpfjit_object* object = nullptr;
  bpfjit_program* program = nullptr;
  uint64_t number = 0;
  ~CVersion() { bpfjit_object_destroy(object); }
};

struct CGroup {
  bpfjit_runtime* runtime = nullptr;
  bpfjit_map* flows = nullptr;
  std::mutex current_mu;
  std::shared_ptr<const CVersion> current;
  std::mutex reload_mu;
  uint64_t versions = 0;
  ~CGroup() {
    current.reset();
    bpfjit_map_destroy(flows);
    bpfjit_runtime_destroy(runtime);
  }
  std::shared_ptr<const CVersion> snapshot() {
    std::lock_guard<std::mutex> lock(current_mu);
    return current;
  }
  void swap(std::shared_ptr<const CVersion> next) {
    std::shared_ptr<const CVersion> old;
    std::lock_guard<std::mutex> lock(current_mu);
    old = std::move(current);
    current = std::move(next);
  }
};

std::string c_error(const char* what) {
  return std::string(what) + ": " + bpfjit_error_name(bpfjit_last_error_code()) + ": " +
         bpfjit_last_error_message();
}

// Loads, verifies and prepares a version with the C API; nullptr and `err` on failure.
std::shared_ptr<const CVersion> c_load(bpfjit_runtime* rt, const std::vector<uint8_t>& bytes,
                                       bpfjit_map* flows, uint64_t number, std::string& err) {
  bpfjit_load_settings settings = {};
  settings.reuse_maps = &flows;
  settings.reuse_map_count = flows ? 1 : 0;
  auto v = std::make_shared<CVersion>();
  v->number = number;
  if (bpfjit_load_bytes(rt, bytes.data(), bytes.size(), &settings, &v->object) != BPFJIT_OK) {
    err = c_error("C load");
    return nullptr;
  }
  if (bpfjit_object_program(v->object, "count_flows", &v->program) != BPFJIT_OK) {
    err = c_error("C program");
    return nullptr;
  }
  bpfjit_prepare_options opts = {};
  switch (engine_of(number)) {
    case bpfjit::EngineKind::kInterpreter: opts.engine = BPFJIT_ENGINE_INTERPRETER; break;
    case bpfjit::EngineKind::kJit: opts.engine = BPFJIT_ENGINE_JIT; break;
    case bpfjit::EngineKind::kAuto: opts.engine = BPFJIT_ENGINE_AUTO; break;
  }
  opts.harden = number % 3 == 1;
  bpfjit_verify_report* report = nullptr;
  if (bpfjit_program_verify(v->program, &opts, &report) != BPFJIT_OK) {
    err = c_error("C verify");
    return nullptr;
  }
  bool accepted = bpfjit_verify_report_accepted(report);
  bpfjit_verify_report_destroy(report);
  if (!accepted) {
    err = "C verify: refused";
    return nullptr;
  }
  if (bpfjit_program_prepare(v->program, &opts) != BPFJIT_OK) {
    err = c_error("C prepare");
    return nullptr;
  }
  return v;
}

std::optional<std::string> c_runtime_life(const std::vector<uint8_t>& bytes, Packet& p) {
  bpfjit_runtime* rt = nullptr;
  if (bpfjit_runtime_create(&rt) != BPFJIT_OK) return c_error("C runtime create");
  std::optional<std::string> result;
  {
    std::string err;
    auto v = c_load(rt, bytes, nullptr, 0, err);
    uint64_t r0 = 0;
    uint64_t value[2] = {};
    bpfjit_map* flows = nullptr;
    if (!v) {
      result = "C runtime life: " + err;
    } else if (bpfjit_program_run(v->program, p.bytes.data(), p.bytes.size(), nullptr, &r0) !=
                   BPFJIT_OK ||
               r0 != kXdpPass) {
      result = c_error("C runtime life: run");
    } else if (bpfjit_object_map(v->object, "flows", &flows) != BPFJIT_OK ||
               bpfjit_map_lookup(flows, p.key, kKeySize, value, kValueSize) != BPFJIT_OK ||
               value[0] != 1) {
      result = c_error("C runtime life: the flow was not counted");
    }
  }
  bpfjit_runtime_destroy(rt);
  return result;
}

// The steps of a cycle through the C API.
struct COps {
  static constexpr const char* kApi = "C";
  using Group = CGroup;
  static std::optional<std::string> run(CGroup& g, Packet& p, unsigned thread) {
    auto v = g.snapshot();
    uint64_t r0 = 0;
    bpfjit_run_options ro = {};
    ro.has_cpu = true;
    ro.cpu = thread % 64;
    if (bpfjit_program_run(v->program, p.bytes.data(), p.bytes.size(), &ro, &r0) != BPFJIT_OK) {
      return c_error(("run of version " + std::to_string(v->number)).c_str());
    }
    if (r0 != kXdpPass) return "run: r0 " + std::to_string(r0);
    return std::nullopt;
  }
  static std::optional<std::string> lookup(CGroup& g, const Packet& p, uint64_t value[2]) {
    if (bpfjit_map_lookup(g.flows, p.key, kKeySize, value, kValueSize) != BPFJIT_OK) {
      return c_error("lookup");
    }
    return std::nullopt;
  }
  static std::optional<std::string> erase(CGroup& g, const Packet& p) {
    if (bpfjit_map_delete(g.flows, p.key, kKeySize) != BPFJIT_OK) return c_error("delete");
    return std::nullopt;
  }
  static std::optional<std::string> reload(CGroup& g, const Objects& objs, uint64_t n) {
    std::string err;
    auto v = c_load(g.runtime, objs.version(n), g.flows, n, err);
    if (!v) return "reload " + std::to_string(n) + ": " + err;
    g.swap(std::move(v));
    return std::nullopt;
  }
  static std::optional<std::string> extra_loads(CGroup& g, const std::vector<uint8_t>& bytes) {
    bpfjit_object* extra = nullptr;
    if (bpfjit_load_bytes(g.runtime, bytes.data(), bytes.size(), nullptr, &extra) != BPFJIT_OK) {
      return c_error("extra load");
    }
    bpfjit_program* prog = bpfjit_object_program_at(extra, 0);
    bpfjit_verify_report* report = nullptr;
    bool ok = prog && bpfjit_program_verify(prog, nullptr, &report) == BPFJIT_OK &&
              bpfjit_verify_report_accepted(report);
    bpfjit_verify_report_destroy(report);
    bpfjit_object_destroy(extra);
    if (!ok) return std::string("extra verify refused");
    bpfjit_object* bad = nullptr;
    if (bpfjit_load_bytes(g.runtime, bytes.data(), bytes.size() / 2, nullptr, &bad) ==
        BPFJIT_OK) {
      bpfjit_object_destroy(bad);
      return std::string("a truncated object loaded");
    }
    return std::nullopt;
  }
  static std::optional<std::string> runtime_life(const std::vector<uint8_t>& bytes, Packet& p) {
    return c_runtime_life(bytes, p);
  }
};

// ---------------------------------------------------------------------------------------
// One thread's cycles, through either API (Ops: CppOps or COps).

template <typename Ops>
void soak_thread(typename Ops::Group& g, const Objects& objs, const Options& o,
                 unsigned thread, std::atomic<uint64_t>& cycles, uint64_t limit,
                 Failure& fail, const std::atomic<bool>& stop) {
  auto failed = [&](const std::string& m) {
    fail.fail(std::string(Ops::kApi) + " thread " + std::to_string(thread) + ": " + m);
  };
  Flows flows(thread);
  for (uint64_t c = 0; !stop.load(std::memory_order_relaxed) && !fail.failed.load(); ++c) {
    if (cycles.fetch_add(1, std::memory_order_relaxed) >= limit) break;
    int f = static_cast<int>(c % kFlowsPerThread);
    Packet& p = flows.packets[f];
    if (auto e = Ops::run(g, p, thread)) return failed(*e);
    ++flows.expected[f];
    uint64_t value[2] = {};
    if (auto e = Ops::lookup(g, p, value)) return failed(*e);
    if (value[0] != flows.expected[f] || value[1] != flows.expected[f] * p.bytes.size()) {
      return fail.fail(counters_mismatch(Ops::kApi, thread, f, value[0], value[1],
                                         flows.expected[f], p.bytes.size()));
    }
    if ((c / kFlowsPerThread) % 8 == 7) {
      if (auto e = Ops::erase(g, p)) return failed(*e);
      flows.expected[f] = 0;
    }
    if (c % o.reload_every == o.reload_every - 1) {
      std::lock_guard<std::mutex> lock(g.reload_mu);
      uint64_t n = ++g.versions;
      if (auto e = Ops::reload(g, objs, n)) return failed(*e);
      if (!o.inject_leak.empty()) inject_leak(o.inject_leak);
      if (n % 4 == 0) {
        if (auto e = Ops::extra_loads(g, objs.version(n))) return failed(*e);
      }
    }
    if (o.runtime_every && c % o.runtime_every == o.runtime_every / 2) {
      Packet fresh = make_packet(thread, 0);
      if (auto e = Ops::runtime_life(objs.version(c), fresh)) return failed(*e);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Driver

void usage() {
  fprintf(stderr,
          "usage: bpfjit-soak [--cycles N] [--threads T] [--seconds S] [--reload-every N]\n"
          "                   [--runtime-every N] [--objects DIR] [--mem-percent P]\n"
          "                   [--rss-kib K] [--malloc-kib K] [--fds N] [--maps N]\n"
          "                   [--no-memory-check] [--inject-leak malloc|fd|mapping]\n"
          "Stops after N cycles (all threads together; 0: no limit) or S seconds (0: no\n"
          "limit), whichever comes first. Fails when a cycle's check fails, or when RSS,\n"
          "malloc'd bytes, fds or /proc/self/maps lines grow over the post-warm-up baseline\n"
          "by more than the tolerance (memory: the larger of P%% and K KiB).\n");
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&](auto& out) {
      if (i + 1 >= argc) return false;
      char* end = nullptr;
      const char* s = argv[++i];
      if constexpr (std::is_same_v<std::decay_t<decltype(out)>, double>) {
        out = strtod(s, &end);
      } else if constexpr (std::is_same_v<std::decay_t<decltype(out)>, std::string>) {
        out = s;
        return true;
      } else {
        out = static_cast<std::decay_t<decltype(out)>>(strtoull(s, &end, 10));
      }
      return end && *end == '\0' && end != s;
    };
    bool ok = true;
    if (a == "--cycles") ok = next(o.cycles);
    else if (a == "--threads") ok = next(o.threads);
    else if (a == "--seconds") ok = next(o.seconds);
    else if (a == "--reload-every") ok = next(o.reload_every);
    else if (a == "--runtime-every") ok = next(o.runtime_every);
    else if (a == "--objects") ok = next(o.objects_dir);
    else if (a == "--mem-percent") ok = next(o.mem_percent);
    else if (a == "--rss-kib") ok = next(o.rss_kib);
    else if (a == "--malloc-kib") ok = next(o.malloc_kib);
    else if (a == "--fds") ok = next(o.fds);
    else if (a == "--maps") ok = next(o.maps);
    else if (a == "--no-memory-check") o.judge_memory = false;
    else if (a == "--inject-leak") ok = next(o.inject_leak);
    else ok = false;
    if (!ok) {
      fprintf(stderr, "bpfjit-soak: bad argument '%s'\n", a.c_str());
      return false;
    }
  }
  if (!o.inject_leak.empty() && o.inject_leak != "malloc" && o.inject_leak != "fd" &&
      o.inject_leak != "mapping") {
    fprintf(stderr, "bpfjit-soak: --inject-leak takes malloc, fd or mapping\n");
    return false;
  }
  if (o.threads < 2 || o.threads > 200 || o.reload_every == 0 ||
      (o.cycles == 0 && o.seconds <= 0)) {
    fprintf(stderr, "bpfjit-soak: need 2..200 threads, --reload-every >= 1, and a limit\n");
    return false;
  }
  return true;
}

void print_sample(const char* what, const Sample& s) {
  printf("%-8s %12" PRIu64 " %9.1f %10" PRIu64 " %11" PRIu64 " %5" PRIu64 " %6" PRIu64 "\n",
         what, s.cycles, s.seconds, s.rss_kib, s.malloc_kib, s.fds, s.maps);
  fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    usage();
    return 2;
  }
#ifdef BPFJIT_SOAK_SANITIZER
  // A sanitizer's allocator keeps freed memory in quarantine (mapping more of its regions
  // as it fills) and bypasses mallinfo2; LeakSanitizer finds leaks at exit instead.
  // Descriptors are still judged, and every cycle's checks.
  o.judge_memory = false;
  o.judge_maps = false;
#endif
  bpfjit_set_log_level(BPFJIT_LOG_ERROR);

  Objects objs;
  for (auto [suffix, out] : {std::pair{"v3", &objs.v3}, std::pair{"v4", &objs.v4}}) {
    std::string path = o.objects_dir + "/flow_counter." + suffix + ".o";
    auto bytes = read_file(path);
    if (!bytes || bytes->empty()) {
      fprintf(stderr, "bpfjit-soak: cannot read %s\n", path.c_str());
      return 2;
    }
    *out = std::move(*bytes);
  }

  // The groups and their first versions.
  auto cpp = std::make_unique<CppGroup>();
  {
    auto first = cpp_load(cpp->runtime, objs.v3, nullptr, 0);
    if (!first) {
      fprintf(stderr, "bpfjit-soak: C++ load: %s\n", first.error().to_string().c_str());
      return 1;
    }
    cpp->flows = (*first)->object->shared_map("flows");
    cpp->current = std::move(*first);
  }
  auto cg = std::make_unique<CGroup>();
  {
    bpfjit_map_spec spec = {};
    spec.type = BPFJIT_MAP_HASH;
    spec.name = "flows";
    spec.key_size = kKeySize;
    spec.value_size = kValueSize;
    spec.max_entries = 1024;
    std::string err;
    if (bpfjit_runtime_create(&cg->runtime) != BPFJIT_OK ||
        bpfjit_runtime_create_map(cg->runtime, &spec, &cg->flows) != BPFJIT_OK) {
      fprintf(stderr, "bpfjit-soak: %s\n", c_error("C setup").c_str());
      return 1;
    }
    cg->current = c_load(cg->runtime, objs.v3, cg->flows, 0, err);
    if (!cg->current) {
      fprintf(stderr, "bpfjit-soak: %s\n", err.c_str());
      return 1;
    }
  }

  printf("bpfjit-soak: %u threads (C++ and C API), cycles %" PRIu64 ", seconds %.0f, reload "
         "every %" PRIu64 " cycles of a thread\n",
         o.threads, o.cycles, o.seconds, o.reload_every);
  printf("%-8s %12s %9s %10s %11s %5s %6s\n", "sample", "cycles", "seconds", "rss_kib",
         "malloc_kib", "fds", "maps");
  Sample start = take_sample(0, 0);
  print_sample("start", start);

  Failure fail;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> cycles{0};
  const uint64_t limit = o.cycles ? o.cycles : UINT64_MAX;
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < o.threads; ++t) {
    if (t % 2 == 0) {
      threads.emplace_back(soak_thread<CppOps>, std::ref(*cpp), std::cref(objs), std::cref(o), t,
                           std::ref(cycles), limit, std::ref(fail), std::cref(stop));
    } else {
      threads.emplace_back(soak_thread<COps>, std::ref(*cg), std::cref(objs), std::cref(o), t,
                           std::ref(cycles), limit, std::ref(fail), std::cref(stop));
    }
  }

  // Progress: the larger of the fractions of cycles and of seconds done.
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  auto progress = [&](uint64_t done, double secs) {
    double p = o.cycles ? static_cast<double>(done) / static_cast<double>(o.cycles) : 0;
    if (o.seconds > 0) p = std::max(p, secs / o.seconds);
    return p;
  };
  std::optional<Sample> baseline;
  std::vector<Sample> samples;
  double next_mark = 0.10;
  while (!fail.failed.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    double secs = elapsed();
    uint64_t done = std::min(cycles.load(std::memory_order_relaxed), limit);
    double p = progress(done, secs);
    if (p >= 1.0) break;
    if (p >= next_mark) {
      Sample s = take_sample(done, secs);
      if (!baseline) {
        baseline = s;
        print_sample("baseline", s);
      } else {
        samples.push_back(s);
        print_sample("sample", s);
      }
      while (next_mark <= p) next_mark += 0.05;
    }
  }
  stop.store(true);
  for (auto& t : threads) t.join();
  double secs = elapsed();
  uint64_t done = std::min(cycles.load(), limit);
  Sample end = take_sample(done, secs);
  print_sample("end", end);
  samples.push_back(end);

  int status = 0;
  if (fail.failed.load()) {
    printf("FAIL: %s\n", fail.message.c_str());
    status = 1;
  }
  if (!baseline) {
    printf("FAIL: the run ended before the warm-up did (no baseline)\n");
    status = 1;
  } else {
    auto judge = [&](const char* what, uint64_t Sample::*field, uint64_t tolerance,
                     bool judged) {
      uint64_t base = (*baseline).*field;
      uint64_t worst = base;
      for (auto& s : samples) worst = std::max(worst, s.*field);
      bool ok = worst <= base + tolerance;
      printf("%-10s start %10" PRIu64 "  baseline %10" PRIu64 "  end %10" PRIu64
             "  max %10" PRIu64 "  tolerance +%" PRIu64 "  %s\n",
             what, start.*field, base, end.*field, worst, tolerance,
             !judged ? "not judged (a sanitizer build, or --no-memory-check)"
                     : ok ? "flat" : "GREW");
      if (judged && !ok) status = 1;
    };
    auto mem_tol = [&](uint64_t base, uint64_t floor_kib) {
      return std::max<uint64_t>(floor_kib, static_cast<uint64_t>(base * o.mem_percent / 100));
    };
    judge("rss_kib", &Sample::rss_kib, mem_tol(baseline->rss_kib, o.rss_kib), o.judge_memory);
    judge("malloc_kib", &Sample::malloc_kib, mem_tol(baseline->malloc_kib, o.malloc_kib),
          o.judge_memory);
    judge("fds", &Sample::fds, o.fds, true);
    judge("maps", &Sample::maps, o.maps, o.judge_maps);
  }
  printf("bpfjit-soak: %" PRIu64 " cycles on %u threads in %.1f s (%.0f cycles/s), %" PRIu64
         " C++ and %" PRIu64 " C reloads: %s\n",
         done, o.threads, secs, secs > 0 ? static_cast<double>(done) / secs : 0.0,
         cpp->versions, cg->versions, status == 0 ? "PASS" : "FAIL");
  return status;
}
