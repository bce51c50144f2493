// The differential harness: every networking program of the objects in netdiff.c's table,
// on every packet of its generator, on the interpreter and the JIT, against the kernel's
// BPF_PROG_TEST_RUN answers in kernel_runs.tsv (test/netdiff/record.sh). Each run must
// give the kernel's verdict (retval, or the refusal and its errno), data_out, ctx_out
// (struct xdp_md, struct __sk_buff) and the images of the object's maps after the run (arrays, hashes, lru, per-CPU,
// lpm tries, .data/.bss, the records sent to ring buffers and perf event arrays), which
// carry over from packet to packet as in the recording. No kernel needed.
//
// A mismatch names the program, the packet and the field, prints bpfjit's full answer and
// the command that prints the kernel's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <linux/bpf.h>

#include "bpfjit/runtime.h"
#include "netdiff.h"
#include "test/support/hex.h"

namespace bpfjit {
namespace {

// Programs whose kernel answer bpfjit does not give, by design or for now, and why. The
// test checks that each still differs, so the list stays true.
struct Known {
  const char* program;  // object:program
  const char* why;
};
constexpr Known kKernelRefusesToLoad[] = {
    {"socket_filter:dns_filter",
     "bpfjit's socket_filter type gives direct packet access through skb->data (see "
     "helpers/program_types.h); the kernel refuses the context access"},
};
// Programs whose ctx_out holds what depends on the recording host: not compared (the rest
// of each run is).
constexpr Known kCtxOutNotCompared[] = {
    {"tc_redirect:tc_redirect",
     "cb[0] and cb[1] hold bpf_clone_redirect's answers for ifindex 4 and 9, which depend on "
     "the recording host's devices (Linux 6.18 gave -EBADMSG for both); bpfjit, which has no "
     "devices, takes every ifindex to exist and returns 0"},
    {"compat/vswitch_flow:tc_flow_mirror",
     "mark is bpf_get_hash_recalc, the kernel's flow hash keyed at boot; bpfjit's is fixed"},
};
// Programs whose map images hold what depends on the time of the run: not compared.
constexpr Known kMapsNotCompared[] = {
    {"compat/ringbuf_events:egress_events", "its ring buffer records carry bpf_ktime_get_ns"},
};
// Programs the kernel lets root load and bpfjit's runtime platform refuses, by design (it
// does not allow what the kernel allows only to privileged loaders).
constexpr Known kBpfjitRefuses[] = {
    {"compat/privileged:xdp_partial_key",
     "a map key partly uninitialised on the stack (the kernel allows it to root)"},
    {"compat/privileged:xdp_store_pointer",
     "a pointer stored into a map value (the kernel allows it to root)"},
};

const char* known_reason(const Known* list, size_t n, const std::string& program) {
  for (size_t i = 0; i < n; ++i) {
    if (program == list[i].program) return list[i].why;
  }
  return nullptr;
}

struct Row {
  std::string program;  // object:program
  std::string packet;
  std::string result;
  std::string data_out;
  std::string ctx_out;
  std::string maps;
};

struct Recording {
  std::string digest;
  size_t packets = 0;
  std::vector<Row> rows;
};

Recording read_recording() {
  Recording rec;
  std::ifstream in(std::string(BPFJIT_NETDIFF_DATA_DIR) + "/kernel_runs.tsv");
  std::string line;
  std::map<std::string, Row> last;  // by program: the values "^" repeats
  std::string program;
  while (std::getline(in, line)) {
    if (line.rfind("@\t", 0) == 0) {
      program = line.substr(2);
      continue;
    }
    if (line.rfind("# packets ", 0) == 0) {
      std::stringstream ss(line.substr(10));
      std::string word;
      ss >> rec.packets >> word >> rec.digest;
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, '\t')) f.push_back(field);
    if (f.size() != 5 || program.empty()) {
      ADD_FAILURE() << "bad row: " << line.substr(0, 80);
      continue;
    }
    Row r{program, f[0], f[1], f[2], f[3], f[4]};
    Row& prev = last[r.program];
    if (r.ctx_out == "^") r.ctx_out = prev.ctx_out;
    if (r.maps == "^") r.maps = prev.maps;
    if (r.result.rfind("ret=", 0) == 0) prev.ctx_out = r.ctx_out;
    prev.maps = r.maps;
    rec.rows.push_back(std::move(r));
  }
  return rec;
}

std::string hash(std::span<const uint8_t> b) {
  char out[33];
  nd_hash128(b.data(), b.size(), out);
  return out;
}

std::vector<uint8_t> unhex(const char* s) {
  return s == nullptr ? std::vector<uint8_t>{} : testing::from_hex(s);
}

bool is_dumped(MapType t) {
  constexpr MapType kDumped[] = {MapType::kHash,         MapType::kArray,
                                 MapType::kPercpuHash,   MapType::kPercpuArray,
                                 MapType::kLruHash,      MapType::kLruPercpuHash,
                                 MapType::kLpmTrie};
  return std::find(std::begin(kDumped), std::end(kDumped), t) != std::end(kDumped);
}

// The recording is of the v3 objects; the v4 builds of the same sources must answer the
// same. Checked runs skip the verifier and check every access at run time.
struct Config {
  EngineKind engine;
  const char* cpu;
  Safety safety;
};

std::string config_name(const ::testing::TestParamInfo<Config>& info) {
  return std::string(info.param.engine == EngineKind::kJit ? "jit" : "interp") + "_" +
         info.param.cpu + (info.param.safety == Safety::kChecked ? "_checked" : "_verified");
}

// One program's run over the packets: its object, freshly loaded and set up.
class ProgramRun {
 public:
  ProgramRun(Runtime& rt, const std::string& object, const std::string& program,
             const Config& config)
      : object_name_(object) {
    char path[512];
    nd_object_path(BPFJIT_BPF_PROGS_DIR, object.c_str(), config.cpu, path, sizeof(path));
    auto loaded = rt.load_file(path);
    if (!loaded) {
      error_ = loaded.error().to_string();
      return;
    }
    obj_ = std::move(loaded).value();
    PrepareOptions po;
    po.engine = config.engine;
    po.safety = config.safety;
    for (Program* p : obj_->programs()) {
      auto r = p->prepare(po);  // tail-call targets too; the others may fail alone
      if (p->name() == program) {
        prog_ = p;
        if (!r) error_ = r.error().to_string();
      }
    }
    if (prog_ == nullptr) error_ = "no program " + program;
    if (error_.empty()) set_up();
  }

  const std::string& error() const { return error_; }
  Program* program() const { return prog_; }

  // The images of the maps after a run, with the event records it produced.
  std::vector<nd_image> images() {
    std::vector<nd_image> out;
    for (Map* m : obj_->maps()) {
      if (m->type() == MapType::kRingbuf) {
        nd_image im;
        nd_image_init(&im, m->name().c_str(), 1, 0, 0);
        (void)m->consume([&](std::span<const uint8_t> rec) {
          nd_image_record(&im, rec.data(), static_cast<uint32_t>(rec.size()));
          return true;
        });
        out.push_back(im);
      } else if (m->type() == MapType::kPerfEventArray) {
        nd_image im;
        nd_image_init(&im, m->name().c_str(), 1, 0, 0);
        (void)m->perf_consume([&](uint32_t, std::span<const uint8_t> rec) {
          nd_image_record(&im, rec.data(), static_cast<uint32_t>(rec.size()));
          return true;
        });
        out.push_back(im);
      } else if (is_dumped(m->type())) {
        nd_image im;
        nd_image_init(&im, m->name().c_str(), 0, m->key_size(), m->value_size());
        const uint32_t slots = m->value_slots();
        m->for_each([&](std::span<const uint8_t> k, std::span<const uint8_t> v) {
          nd_image_entry(&im, k.data(), v.data(), slots);
          return true;
        });
        out.push_back(im);
      }
    }
    for (const GlobalData& g : obj_->global_data()) {
      const char* name = g.readonly ? nullptr : nd_global_name(g.name.c_str());
      if (name == nullptr) continue;
      nd_image im;
      nd_image_init(&im, name, 0, 4, static_cast<uint32_t>(g.bytes.size()));
      const uint32_t zero = 0;
      nd_image_entry(&im, reinterpret_cast<const uint8_t*>(&zero), g.bytes.data(), 1);
      out.push_back(im);
    }
    return out;
  }

 private:
  void set_up() {
    for (size_t i = 0; i < nd_setup_count; ++i) {
      const nd_setup& s = nd_setups[i];
      if (object_name_ != s.object) continue;
      Map* m = obj_->map(s.map);
      if (m == nullptr) {
        error_ = std::string("no map ") + s.map;
        return;
      }
      const std::vector<uint8_t> key = unhex(s.key);
      Result<void> r;
      switch (s.kind) {
        case ND_UPDATE:
          r = m->update(key, unhex(s.value));
          break;
        case ND_PUSH:
          r = m->push(unhex(s.value));
          break;
        case ND_TAIL_CALL: {
          Program* target = obj_->program(s.value);
          uint32_t index = 0;
          std::memcpy(&index, key.data(), std::min<size_t>(4, key.size()));
          if (target == nullptr) {
            error_ = std::string("no program ") + s.value;
            return;
          }
          r = obj_->set_tail_call(s.map, index, *target);
          break;
        }
      }
      if (!r) {
        error_ = std::string("setting up ") + s.map + ": " + r.error().to_string();
        return;
      }
    }
    for (Map* m : obj_->maps()) {
      if (m->type() != MapType::kPerfEventArray) continue;
      if (auto r = m->open_perf_buffers(8 * 4096); !r) error_ = r.error().to_string();
    }
  }

  std::string object_name_;
  std::unique_ptr<Object> obj_;
  Program* prog_ = nullptr;
  std::string error_;
};

std::string errno_name(const Diagnostic& d) {
  if (d.code == ErrorCode::kInvalidArgument) return "EINVAL";
  return "bpfjit error: " + d.to_string();
}

struct Totals {
  size_t programs = 0;
  size_t runs = 0;          // runs compared: the kernel's and bpfjit's answers to one packet
  size_t both_refused = 0;  // of those, the packet was refused by both
  size_t mismatches = 0;
  size_t kernel_refused_load = 0;
  size_t pending = 0;
};

class NetdiffTest : public ::testing::TestWithParam<Config> {};

TEST_P(NetdiffTest, EveryProgramOnEveryPacketGivesTheKernelsAnswer) {
  const Config& config = GetParam();
  const Recording rec = read_recording();
  const nd_packet* packets = nullptr;
  const size_t npackets = nd_make_packets(&packets);
  char digest[33];
  nd_packets_digest(digest);
  ASSERT_EQ(rec.packets, npackets) << "the generator changed since the recording: re-record";
  ASSERT_EQ(rec.digest, digest) << "the generator changed since the recording: re-record";
  ASSERT_GE(rec.rows.size(), 10000u) << "kernel_runs.tsv is missing or short";

  // Every object of the table is in the recording (a new line needs a new recording).
  for (size_t k = 0; k < nd_object_count; ++k) {
    if (nd_objects[k].skip != nullptr) continue;
    const std::string prefix = std::string(nd_objects[k].name) + ":";
    const bool recorded = std::any_of(rec.rows.begin(), rec.rows.end(), [&](const Row& r) {
      return r.program.rfind(prefix, 0) == 0;
    });
    EXPECT_TRUE(recorded) << nd_objects[k].name
                          << " is in nd_objects but not in kernel_runs.tsv: run "
                             "test/netdiff/record.sh";
  }

  Runtime rt;
  Totals t;
  size_t i = 0;
  while (i < rec.rows.size()) {
    const std::string program_key = rec.rows[i].program;
    size_t end = i;
    while (end < rec.rows.size() && rec.rows[end].program == program_key) ++end;
    const std::string object = program_key.substr(0, program_key.find(':'));
    const std::string program = program_key.substr(program_key.find(':') + 1);
    ++t.programs;
    SCOPED_TRACE(program_key);
    if (rec.rows[i].packet == "*") {
      // The kernel refused to load the program: bpfjit's verifier must refuse it too,
      // unless the difference is known (checked runs skip the verifier).
      ++t.kernel_refused_load;
      if (config.safety == Safety::kVerified &&
          known_reason(kKernelRefusesToLoad, std::size(kKernelRefusesToLoad), program_key) ==
              nullptr) {
        ProgramRun run(rt, object, program, config);
        EXPECT_FALSE(run.error().empty())
            << "the kernel refuses to load " << program_key << " (" << rec.rows[i].result
            << "); bpfjit prepares it";
      }
      i = end;
      continue;
    }
    EXPECT_EQ(known_reason(kKernelRefusesToLoad, std::size(kKernelRefusesToLoad), program_key),
              nullptr)
        << program_key << " is listed as refused by the kernel, which now loads it";
    const char* not_run = known_reason(kBpfjitRefuses, std::size(kBpfjitRefuses), program_key);
    if (not_run != nullptr && config.safety == Safety::kChecked) {
      // Checked runs skip the verifier that refuses these; what they leave in their maps
      // (a pointer) cannot match the kernel's anyway.
      ++t.pending;
      i = end;
      continue;
    }
    ProgramRun run(rt, object, program, config);
    if (!run.error().empty()) {
      if (not_run != nullptr) {
        ++t.pending;
        std::printf("netdiff: %s not run (%s): %s\n", program_key.c_str(), not_run,
                    run.error().c_str());
      } else {
        ADD_FAILURE() << program_key << " does not run on bpfjit: " << run.error();
      }
      i = end;
      continue;
    }
    EXPECT_EQ(not_run, nullptr) << program_key << " is listed as not run but runs: take it off";
    const bool is_xdp = run.program()->type().name == "xdp";
    const bool compare_ctx =
        known_reason(kCtxOutNotCompared, std::size(kCtxOutNotCompared), program_key) == nullptr;
    const bool compare_maps =
        known_reason(kMapsNotCompared, std::size(kMapsNotCompared), program_key) == nullptr;
    std::string last_ctx;
    size_t program_mismatches = 0;
    for (size_t k = i; k < end; ++k) {
      const Row& row = rec.rows[k];
      const size_t pi = k - i;
      ASSERT_LT(pi, npackets);
      const nd_packet& pk = packets[pi];
      ASSERT_EQ(row.packet, pk.name) << "rows out of the generator's order";
      const std::span<const uint8_t> data(pk.bytes, pk.len);
      xdp_md ctx{};
      ctx.data_end = pk.len;
      ctx.ingress_ifindex = 1;
      uint8_t skb_ctx[ND_SKB_CTX_SIZE];
      nd_skb_ctx_in(pi, pk.len, skb_ctx);
      TestRunInput in;
      in.data = data;
      in.ctx = is_xdp ? std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&ctx),
                                                 sizeof(ctx))
                      : std::span<const uint8_t>(skb_ctx, sizeof(skb_ctx));
      auto r = run.program()->test_run(in);
      std::vector<nd_image> images = run.images();
      char maps[33];
      nd_images_hash(images.data(), images.size(), maps);
      std::string result, data_out = "-", ctx_out = "-";
      if (r) {
        char buf[32];
        std::snprintf(buf, sizeof(buf), "ret=0x%x", r->retval);
        result = buf;
        data_out = r->data_out.size() == pk.len &&
                           std::equal(r->data_out.begin(), r->data_out.end(), pk.bytes)
                       ? "="
                       : hash(r->data_out);
        ctx_out = hash(r->ctx_out);
      } else {
        result = "err=" + errno_name(r.error());
      }
      std::string why;
      if (result != row.result) why += " result (bpfjit " + result + ", kernel " + row.result + ")";
      if (data_out != row.data_out) why += " data_out";
      if (r && compare_ctx && ctx_out != row.ctx_out) why += " ctx_out";
      if (compare_maps && maps != row.maps) why += " maps";
      ++t.runs;
      if (!r && row.result == result) ++t.both_refused;
      if (!why.empty()) {
        ++t.mismatches;
        if (++program_mismatches <= 3) {
          std::string detail;
          if (r) {
            detail += "\n  bpfjit data_out " + testing::to_hex(r->data_out).substr(0, 400);
            detail += "\n  bpfjit ctx_out  " + testing::to_hex(r->ctx_out);
          }
          char* text = nullptr;
          size_t text_len = 0;
          FILE* f = open_memstream(&text, &text_len);
          nd_print_images(f, images.data(), images.size());
          std::fclose(f);
          detail += "\n  bpfjit maps after the run:\n" + std::string(text, text_len);
          std::free(text);
          ADD_FAILURE() << program_key << " on " << row.packet << " (" << pk.len
                        << " bytes): differs in" << why << detail
                        << "\n  the kernel's answer: BUILD/bin/bpfjit-netdiff-record BUILD/bpf-progs --show "
                        << object << " " << program << " " << row.packet;
        }
      }
      for (nd_image& im : images) nd_image_free(&im);
    }
    i = end;
  }
  std::printf(
      "netdiff (%s, %s, %s): %zu programs, %zu packets, %zu runs compared (%zu refused by both), %zu "
      "mismatches; %zu programs the kernel refuses to load, %zu not run on bpfjit\n",
      config.engine == EngineKind::kJit ? "jit" : "interpreter", config.cpu,
      config.safety == Safety::kChecked ? "checked" : "verified", t.programs, npackets, t.runs,
      t.both_refused, t.mismatches, t.kernel_refused_load, t.pending);
  EXPECT_EQ(t.mismatches, 0u);
  EXPECT_GE(t.runs, 10000u);
  RecordProperty("runs", static_cast<int>(t.runs));
  RecordProperty("mismatches", static_cast<int>(t.mismatches));
}

INSTANTIATE_TEST_SUITE_P(
    Engines, NetdiffTest,
    ::testing::Values(Config{EngineKind::kInterpreter, "v3", Safety::kVerified},
                      Config{EngineKind::kJit, "v3", Safety::kVerified},
                      Config{EngineKind::kInterpreter, "v4", Safety::kVerified},
                      Config{EngineKind::kJit, "v4", Safety::kVerified},
                      Config{EngineKind::kInterpreter, "v3", Safety::kChecked},
                      Config{EngineKind::kJit, "v3", Safety::kChecked}),
    config_name);

std::string engine_name(const ::testing::TestParamInfo<EngineKind>& info) {
  return info.param == EngineKind::kJit ? "jit" : "interp";
}

// Program::test_run of a socket filter is the kernel's: the sk_buff of an skb test run seen
// from its network header (len and skb_load_bytes offsets from there, protocol from the
// EtherType, data_out with 14 zero bytes for the Ethernet header, packets shorter than an
// Ethernet header refused), while Program::run keeps bpfjit's model (from the Ethernet
// header). netdiff found the difference; this pins it down on both engines.
class SocketFilterTestRun : public ::testing::TestWithParam<EngineKind> {};

TEST_P(SocketFilterTestRun, SeesThePacketFromItsNetworkHeaderAsTheKernel) {
  Runtime rt;
  auto obj = rt.load_file(std::string(BPFJIT_BPF_PROGS_DIR) + "/socket_count.v3.o");
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  Program* p = (*obj)->program("socket_count");
  ASSERT_NE(p, nullptr);
  PrepareOptions po;
  po.engine = GetParam();
  ASSERT_TRUE(p->prepare(po).ok());
  // Ethernet, then an IPv4 header of protocol 17 and 8 bytes of UDP: 42 bytes.
  std::vector<uint8_t> pkt(42, 0);
  pkt[12] = 0x08;
  pkt[14] = 0x45;
  pkt[16] = 0;
  pkt[17] = 28;
  pkt[23] = 17;
  pkt[6] = 0x02;
  TestRunInput in;
  in.data = pkt;
  auto r = p->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->retval, 28u);  // a UDP packet is kept whole: skb->len from the IP header
  std::vector<uint8_t> expected = pkt;
  std::fill(expected.begin(), expected.begin() + 14, 0);
  EXPECT_EQ(r->data_out, expected);
  struct Counts {
    uint64_t packets, bytes;
    uint32_t last_len, last_protocol;
  };
  auto c = (*obj)->map("by_proto")->get<uint32_t, Counts>(17);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->packets, 1u);
  EXPECT_EQ(c->bytes, 28u);
  EXPECT_EQ(c->last_protocol, 0x0008u);  // htons(ETH_P_IP)

  std::vector<uint8_t> short_pkt(13, 0);
  in.data = short_pkt;
  auto refused = p->test_run(in);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);

  // Program::run: bpfjit's own model, the packet from its Ethernet header with no
  // protocol given, so the program counts it as not IPv4 and drops it.
  auto r0 = p->run(pkt);
  ASSERT_TRUE(r0.ok()) << r0.error().to_string();
  EXPECT_EQ(*r0, 0u);
}

INSTANTIATE_TEST_SUITE_P(Engines, SocketFilterTestRun,
                         ::testing::Values(EngineKind::kInterpreter, EngineKind::kJit),
                         engine_name);

// bpf_perf_event_output with BPF_F_CTXLEN_MASK: the packet's first bytes follow the
// program's data in the sample, as the kernel's bpf_xdp_event_output appends them (netdiff
// found them missing: the helper refused the flags).
class PerfCtxLen : public ::testing::TestWithParam<EngineKind> {};

TEST_P(PerfCtxLen, AppendsThePacketsFirstBytes) {
  Runtime rt;
  auto obj = rt.load_file(std::string(BPFJIT_BPF_PROGS_DIR) + "/compat/perf_events.o");
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  Program* p = (*obj)->program("xdp_sample");  // {0xdead, len} + min(len, 64) packet bytes
  ASSERT_NE(p, nullptr);
  PrepareOptions po;
  po.engine = GetParam();
  ASSERT_TRUE(p->prepare(po).ok());
  Map* samples = (*obj)->map("samples");
  ASSERT_NE(samples, nullptr);
  ASSERT_TRUE(samples->open_perf_buffers(4096).ok());
  std::vector<uint8_t> pkt(54);
  for (size_t k = 0; k < pkt.size(); ++k) pkt[k] = static_cast<uint8_t>(k * 5 + 1);
  TestRunInput in;
  in.data = pkt;
  auto r = p->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  std::vector<std::vector<uint8_t>> records;
  ASSERT_TRUE(samples
                  ->perf_consume([&](uint32_t, std::span<const uint8_t> rec) {
                    records.emplace_back(rec.begin(), rec.end());
                    return true;
                  })
                  .ok());
  ASSERT_EQ(records.size(), 1u);
  std::vector<uint8_t> expected = {0xad, 0xde, 54, 0};
  expected.insert(expected.end(), pkt.begin(), pkt.end());
  expected.resize(60, 0);  // round_up(4 + 58, 8) - 4
  EXPECT_EQ(records[0], expected);
}

INSTANTIATE_TEST_SUITE_P(Engines, PerfCtxLen,
                         ::testing::Values(EngineKind::kInterpreter, EngineKind::kJit),
                         engine_name);

// ctx_in of skb test runs, as the kernel's convert___skb_to_skb takes it (netdiff runs every
// skb and socket program with one): the settable fields reach the program and come back in
// ctx_out (gso_size too, which ctx_out lacked), wire_len 0 becomes len, and the kernel's
// refusals are refused.
class SkbCtxInTestRun : public ::testing::TestWithParam<EngineKind> {};

TEST_P(SkbCtxInTestRun, TakesTheFieldsTheKernelTakesAndRefusesTheRest) {
  Runtime rt;
  auto obj = rt.load_file(std::string(BPFJIT_BPF_PROGS_DIR) + "/multi_prog.v3.o");
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  Program* p = (*obj)->program("cls_mark");  // classify_len(len) * 10 + (mark & 0xf)
  ASSERT_NE(p, nullptr);
  PrepareOptions po;
  po.engine = GetParam();
  ASSERT_TRUE(p->prepare(po).ok());
  std::vector<uint8_t> pkt(60, 0);
  pkt[12] = 0x88;  // an EtherType without a network header to check
  pkt[13] = 0xcc;
  __sk_buff ctx{};
  ctx.mark = 0x1237;
  ctx.priority = 6;
  ctx.ingress_ifindex = 3;
  ctx.ifindex = 1;
  ctx.cb[4] = 0xabcd;
  ctx.tstamp = 1000;
  ctx.gso_segs = 2;
  ctx.gso_size = 1400;
  ctx.hwtstamp = 77;
  TestRunInput in;
  in.data = pkt;
  in.ctx = {reinterpret_cast<const uint8_t*>(&ctx), sizeof(ctx)};
  auto r = p->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->retval, 17u);  // 60 bytes: class 1, mark 0x..7
  ASSERT_EQ(r->ctx_out.size(), sizeof(__sk_buff));
  __sk_buff out;
  std::memcpy(&out, r->ctx_out.data(), sizeof(out));
  EXPECT_EQ(out.mark, 0x1237u);
  EXPECT_EQ(out.priority, 6u);
  EXPECT_EQ(out.ingress_ifindex, 3u);
  EXPECT_EQ(out.ifindex, 1u);
  EXPECT_EQ(out.cb[4], 0xabcdu);
  EXPECT_EQ(out.tstamp, 1000u);
  EXPECT_EQ(out.wire_len, 60u);  // 0 in ctx_in: the packet's length
  EXPECT_EQ(out.gso_segs, 2u);
  EXPECT_EQ(out.gso_size, 1400u);
  EXPECT_EQ(out.hwtstamp, 77u);

  auto refused = [&](const __sk_buff& bad) -> std::optional<ErrorCode> {
    TestRunInput b;
    b.data = pkt;
    b.ctx = {reinterpret_cast<const uint8_t*>(&bad), sizeof(bad)};
    auto rr = p->test_run(b);
    if (rr.ok()) return std::nullopt;
    return rr.error().code;
  };
  __sk_buff bad = ctx;
  bad.len = 1;  // not settable
  EXPECT_EQ(refused(bad), ErrorCode::kInvalidArgument);
  bad = ctx;
  bad.wire_len = 59;  // below len
  EXPECT_EQ(refused(bad), ErrorCode::kInvalidArgument);
  bad.wire_len = 65537;
  EXPECT_EQ(refused(bad), ErrorCode::kInvalidArgument);
  bad = ctx;
  bad.gso_segs = 65536;
  EXPECT_EQ(refused(bad), ErrorCode::kInvalidArgument);
  // A ctx_in longer than the struct is taken when the bytes past it are zero, and refused
  // otherwise (the kernel's bpf_ctx_init: -E2BIG).
  std::vector<uint8_t> long_ctx(sizeof(__sk_buff) + 8, 0);
  in.ctx = long_ctx;
  EXPECT_TRUE(p->test_run(in).ok());
  long_ctx.back() = 1;
  auto too_long = p->test_run(in);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, ErrorCode::kNoSpace);
}

INSTANTIATE_TEST_SUITE_P(Engines, SkbCtxInTestRun,
                         ::testing::Values(EngineKind::kInterpreter, EngineKind::kJit),
                         engine_name);

}  // namespace
}  // namespace bpfjit
