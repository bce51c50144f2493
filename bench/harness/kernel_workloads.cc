// The compute kernels of bench/kernels as workloads: the raw BPF program (r1 = buffer,
// r2 = its length, the mem program type) on the BPF engines, the same C natively.
#include <fmt/format.h>


#include "bench/harness/bpf_engine.h"
#include "bench/kernels/kernels.h"
#include "helpers/program_types.h"
#include "runtime/isa/decode.h"

namespace bpfjit::bench {
namespace {

class KernelRunner final : public Runner {
 public:
  KernelRunner(const Kernel& k, std::unique_ptr<Executable> exe)
      : k_(k), exe_(std::move(exe)), storage_((k.input_size + 7) / 8), stack_(kStackSize) {
    buf_ = reinterpret_cast<uint8_t*>(storage_.data());
    region_ = MemRegion{reinterpret_cast<uint64_t>(buf_),
                        reinterpret_cast<uint64_t>(buf_) + k.input_size, true};
    ctx_.stack = stack_.data();
    ctx_.regions = &region_;
    ctx_.region_count = 1;
    ctx_.helpers = bench_helpers().fns();
    reset();
  }

  void reset() override { k_.fill(buf_, k_.input_size); }

  Result<uint64_t> run_once() override {
    if (!exe_) return k_.native(buf_, k_.input_size);
    uint64_t r0 = exe_->run(ctx_, reinterpret_cast<uint64_t>(buf_), k_.input_size);
    if (ctx_.trap.kind != TrapKind::kNone) {
      return make_error(ErrorCode::kRuntime, ctx_.trap.insn, ctx_.trap.what());
    }
    return r0;
  }

  uint64_t state_digest() override { return 0; }
  uint64_t runs_per_execution() const override { return 1; }

 private:
  const Kernel& k_;
  std::unique_ptr<Executable> exe_;  // null: native
  std::vector<uint64_t> storage_;
  uint8_t* buf_ = nullptr;
  std::vector<uint8_t> stack_;
  MemRegion region_;
  RunContext ctx_;
};

class KernelWorkload final : public Workload {
 public:
  KernelWorkload(const Kernel& k, const char* cpu) : k_(k), name_(k.name), cpu_(cpu) {}

  const std::string& name() const override { return name_; }
  const char* group() const override { return "kernel"; }
  const char* cpu() const override { return cpu_; }
  bool loop_heavy() const override { return k_.loop_heavy; }

  Result<std::unique_ptr<Runner>> prepare(Engine e, PrepTimes& times) override {
    if (e == Engine::kNative) return std::unique_ptr<Runner>(new KernelRunner(k_, nullptr));
    std::string path = kernel_path(k_.name, cpu_);
    double t0 = thread_seconds();
    auto bytes = read_bytes(path);
    if (!bytes) return bytes.take_error();
    auto insns = decode_bytes(*bytes);
    if (!insns) return insns.take_error();
    times.load_s += thread_seconds() - t0;
    std::vector<uint8_t> flags;
    if (verified_engine(e)) {
      static const ProgramTypeRegistry types = ProgramTypeRegistry::builtin();
      VerifyRequest req;
      req.insns = &*insns;
      req.type = types.find("mem");
      req.mem_size = k_.input_size;
      VerifyOutcome v = verify_program(req);
      times.verify_s += v.seconds;
      if (!v.available) return make_error(ErrorCode::kUnsupported, "no verifier is built");
      if (!v.accepted) {
        return make_error(ErrorCode::kUnsupported, "verifier refuses: " + v.error);
      }
      flags = std::move(v.insn_flags);
    }
    auto exe = prepare_bpf(*insns, e, flags, name_, times);
    if (!exe) return exe.take_error();
    return std::unique_ptr<Runner>(new KernelRunner(k_, std::move(*exe)));
  }

 private:
  const Kernel& k_;
  std::string name_;
  const char* cpu_;
};

}  // namespace

std::vector<std::unique_ptr<Workload>> make_kernel_workloads(const char* cpu) {
  std::vector<std::unique_ptr<Workload>> out;
  for (const Kernel& k : kernels()) out.push_back(std::make_unique<KernelWorkload>(k, cpu));
  return out;
}

}  // namespace bpfjit::bench
