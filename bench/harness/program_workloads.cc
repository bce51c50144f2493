// The program kernels of bench/progs as workloads: xdp programs run once per frame of a
// generated packet trace, mem programs once per execution on their buffer.
#include <memory>

#include "bench/harness/bpf_instance.h"
#include "bench/harness/trace.h"
#include "bench/kernels/kernels.h"

namespace bpfjit::bench {
namespace {

struct ProgWorkloadSpec {
  ProgObjectSpec object;
  size_t mem_bytes = 0;      // mem programs: the buffer's size
  std::string ringbuf;       // a ring buffer the host consumes
  std::string table;         // a map the host fills before the first run: keys 0..n-1
  uint64_t lookups = 0;      // bpf_map_lookup_elem calls per execution (map lookup rows)
};

std::vector<ProgWorkloadSpec> specs() {
  std::vector<ProgWorkloadSpec> s;
  s.push_back({{"xdp_filter", "xdp_filter", true, "", {}}, 0, "", ""});
  s.push_back({{"flow_counter", "flow_counter", true, "", {}}, 0, "", ""});
  s.push_back({{"helper_loop", "helper_loop", false, "", {}}, 64, "", "table"});
  s.push_back({{"call_chain", "call_chain", false, "", {}}, 64 * 1024, "", ""});
  s.push_back({{"tail_chain", "tail_entry", true, "stages",
                {{1, "tail_tcp"}, {2, "tail_udp"}, {3, "tail_account"}}},
               0, "", ""});
  s.push_back({{"ringbuf_producer", "ringbuf_producer", true, "", {}}, 0, "events", ""});
  // The map lookup rows: a loop of 4096 lookups (map_lookup_*.c), every key present.
  s.push_back({{"map_lookup_array", "map_lookup_array", false, "", {}}, 64, "", "lookup_table",
               4096});
  s.push_back({{"map_lookup_hash", "map_lookup_hash", false, "", {}}, 64, "", "lookup_table",
               4096});
  return s;
}

class ProgRunner final : public Runner {
 public:
  ProgRunner(const ProgWorkloadSpec& spec, std::unique_ptr<ProgInstance> inst,
             std::shared_ptr<const PacketTrace> trace)
      : spec_(spec), inst_(std::move(inst)), slot_(inst_->make_slot()) {
    if (spec.object.xdp) {
      trace_ = *trace;  // a private copy: programs may write their packets
    } else {
      buf_.resize((spec.mem_bytes + 7) / 8);
      fill_random(reinterpret_cast<uint8_t*>(buf_.data()), spec.mem_bytes);
    }
    if (!spec.table.empty()) {
      if (BpfMap* t = inst_->map(spec.table)) {
        for (uint32_t k = 0; k < t->max_entries(); ++k) {
          uint64_t v = uint64_t{k} * 0x9e3779b97f4a7c15ull + 1;
          uint64_t key = k;  // a 4- or 8-byte key, little-endian: its first bytes are k
          (void)t->host_update(&key, &v, kBpfAny);  // in range and room by construction
        }
      }
    }
    if (!spec.ringbuf.empty()) {
      BpfMap* m = inst_->map(spec.ringbuf);
      if (m != nullptr && m->type() == MapType::kRingbuf) ring_ = static_cast<RingbufMap*>(m);
    }
  }

  void reset() override {
    if (ring_ != nullptr) ring_->consume([](std::span<const uint8_t>) { return 0; });
  }

  Result<uint64_t> run_once() override {
    uint64_t h = kDigestSeed;
    if (spec_.object.xdp) {
      for (size_t i = 0; i < trace_.size(); ++i) {
        auto r0 = inst_->run_xdp(*slot_, trace_.frame(i));
        if (!r0) return r0;
        h = digest_mix(h, *r0);
      }
      return h;
    }
    auto r0 = inst_->run_mem(*slot_, reinterpret_cast<uint8_t*>(buf_.data()), spec_.mem_bytes);
    if (!r0) return r0;
    return *r0;
  }

  uint64_t state_digest() override {
    uint64_t h = maps_digest(*inst_);
    if (ring_ != nullptr) {
      uint64_t records = 0;
      ring_->consume([&](std::span<const uint8_t> rec) {
        ++records;
        h = digest_mix(h, rec.size());
        for (uint8_t b : rec) h = digest_mix(h, b);
        return 0;
      });
      h = digest_mix(h, records);
    }
    return h;
  }

  uint64_t runs_per_execution() const override {
    return spec_.object.xdp ? trace_.size() : 1;
  }

 private:
  const ProgWorkloadSpec& spec_;
  std::unique_ptr<ProgInstance> inst_;
  std::unique_ptr<RunSlot> slot_;
  PacketTrace trace_;
  std::vector<uint64_t> buf_;
  RingbufMap* ring_ = nullptr;
};

class ProgWorkload final : public Workload {
 public:
  ProgWorkload(ProgWorkloadSpec spec, const char* cpu, std::shared_ptr<const PacketTrace> t)
      : spec_(std::move(spec)), cpu_(cpu), trace_(std::move(t)) {}

  const std::string& name() const override { return spec_.object.name; }
  const char* group() const override { return "program"; }
  const char* cpu() const override { return cpu_; }
  uint64_t lookups_per_execution() const override { return spec_.lookups; }

  Result<std::unique_ptr<Runner>> prepare(Engine e, PrepTimes& times) override {
    std::optional<uint64_t> mem_size;
    if (!spec_.object.xdp) mem_size = spec_.mem_bytes;
    auto inst = make_prog_instance(spec_.object, cpu_, e, mem_size, times);
    if (!inst) return inst.take_error();
    return std::unique_ptr<Runner>(new ProgRunner(spec_, std::move(*inst), trace_));
  }

 private:
  ProgWorkloadSpec spec_;
  const char* cpu_;
  std::shared_ptr<const PacketTrace> trace_;
};

}  // namespace

std::vector<std::unique_ptr<Workload>> make_program_workloads(const char* cpu,
                                                              uint32_t packets) {
  auto trace = std::make_shared<const PacketTrace>(make_trace(packets));
  std::vector<std::unique_ptr<Workload>> out;
  for (ProgWorkloadSpec& s : specs()) {
    out.push_back(std::make_unique<ProgWorkload>(std::move(s), cpu, trace));
  }
  return out;
}

}  // namespace bpfjit::bench
