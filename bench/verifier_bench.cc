// Verifier speed: generated programs of known shape, verified on the runtime platform's
// `mem` type with a known buffer size.
//   - loop-free programs of 1k, 2k, 5k and 10k instructions (loads, arithmetic, stack
//     spills and diamonds that join again): the cost should grow about linearly; 10k must
//     verify in under 50 ms;
//   - a 3,000-instruction program of bounded loops over the buffer: under 200 ms.
//   - the bench kernels (bench/kernels, v3 and v4) with their bench buffer sizes, when the
//     kernels are built: each must be accepted (their long loops through loop summaries).
// Prints time, processed instructions, stored states, the verifier's memory estimate and
// the process's peak RSS. `--check` exits 1 when a target is missed.
#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "runtime/isa/decode.h"
#include "runtime/isa/isa.h"
#include "runtime/isa/semantics.h"
#include "verifier/verifier.h"
#ifdef BPFJIT_KERNELS_DIR
#include "bench/kernels/kernels.h"
#endif

using namespace bpfjit;
using namespace bpfjit::verifier;

namespace {

constexpr uint64_t kMemSize = 4096;

Insn alu(Op op, uint8_t dst, uint8_t src, int32_t imm = 0) {
  Insn i;
  i.op = op;
  i.dst = dst;
  i.src = src;
  i.imm = imm;
  return i;
}

Insn mem(Op op, uint8_t dst, uint8_t src, int16_t off, int32_t imm = 0) {
  Insn i = alu(op, dst, src, imm);
  i.off = off;
  return i;
}

// A jump at slot `pc` to slot `target`.
Insn jump(Op op, uint8_t dst, int32_t imm, uint32_t pc, uint32_t target, uint8_t src = 0) {
  Insn i = alu(op, dst, src, imm);
  i.off = static_cast<int16_t>(static_cast<int64_t>(target) - pc - 1);
  i.imm64 = target;
  return i;
}

// Straight-line blocks of 8 instructions with one diamond each: r0 accumulates, r6 is a
// counter only returned, stack slots are written and read back.
std::vector<Insn> loop_free(size_t n) {
  std::vector<Insn> p;
  p.push_back(alu(Op::kMov64Imm, 0, 0, 0));
  p.push_back(alu(Op::kMov64Imm, 6, 0, 0));
  uint32_t k = 0;
  while (p.size() + 10 < n) {
    auto pc = static_cast<uint32_t>(p.size());
    auto off = static_cast<int16_t>((k * 8) % (kMemSize - 8));
    auto slot = static_cast<int16_t>(-8 * static_cast<int>(1 + k % 32));
    p.push_back(mem(Op::kLdxb, 2, 1, off));                 // pc:   r2 = buf[off]
    p.push_back(alu(Op::kAdd64Reg, 0, 2));                  // +1:   r0 += r2
    p.push_back(jump(Op::kJgtImm, 2, 100, pc + 2, pc + 5)); // +2:   if r2 > 100 goto +5
    p.push_back(alu(Op::kAdd64Imm, 6, 0, 1));               // +3:   r6 += 1
    p.push_back(jump(Op::kJa, 0, 0, pc + 4, pc + 6));       // +4:   goto +6
    p.push_back(alu(Op::kAdd64Imm, 6, 0, 2));               // +5:   r6 += 2
    p.push_back(mem(Op::kStxdw, 10, 0, slot));              // +6:   *(fp + slot) = r0
    p.push_back(mem(Op::kLdxdw, 3, 10, slot));              // +7:   r3 = *(fp + slot)
    p.push_back(alu(Op::kXor64Reg, 0, 3));                  // +8:   r0 ^= r3
    p.push_back(alu(Op::kAnd64Imm, 0, 0, 0xffff));          // +9:   r0 &= 0xffff
    ++k;
  }
  p.push_back(alu(Op::kAdd64Reg, 0, 6));
  while (p.size() + 1 < n) p.push_back(alu(Op::kAdd64Imm, 0, 0, 1));
  p.push_back(alu(Op::kExit, 0, 0));
  return p;
}

// Loops of 16 iterations each, reading the buffer at a variable offset, with a diamond in
// the body; sized to about `n` instructions.
std::vector<Insn> with_loops(size_t n) {
  std::vector<Insn> p;
  p.push_back(alu(Op::kMov64Imm, 0, 0, 0));
  p.push_back(alu(Op::kMov64Imm, 6, 0, 0));
  uint32_t k = 0;
  while (p.size() + 40 < n) {
    auto base = static_cast<int32_t>((k * 64) % (kMemSize - 64));
    p.push_back(alu(Op::kMov64Imm, 3, 0, 0));  // i = 0
    auto head = static_cast<uint32_t>(p.size());
    p.push_back(alu(Op::kMov64Reg, 4, 1));               // r4 = buf
    p.push_back(alu(Op::kAdd64Imm, 4, 0, base));         // r4 += base
    p.push_back(alu(Op::kAdd64Reg, 4, 3));               // r4 += i
    p.push_back(mem(Op::kLdxb, 5, 4, 0));                // r5 = *r4
    auto pc = static_cast<uint32_t>(p.size());
    p.push_back(jump(Op::kJgtImm, 5, 7, pc, pc + 3));    // if r5 > 7 goto +3
    p.push_back(alu(Op::kAdd64Imm, 6, 0, 1));            // r6 += 1
    p.push_back(jump(Op::kJa, 0, 0, pc + 2, pc + 4));    // goto +4
    p.push_back(alu(Op::kAdd64Reg, 0, 5));               // r0 += r5
    p.push_back(alu(Op::kMov64Imm, 7, 0, 0));
    for (int j = 1; j < 20; ++j) p.push_back(alu(Op::kAdd64Imm, 7, 0, j));  // filler work
    p.push_back(alu(Op::kAdd64Imm, 3, 0, 1));            // i += 1
    auto latch = static_cast<uint32_t>(p.size());
    p.push_back(jump(Op::kJltImm, 3, 16, latch, head));  // if i < 16 goto head
    ++k;
  }
  p.push_back(alu(Op::kAdd64Reg, 0, 6));
  while (p.size() + 1 < n) p.push_back(alu(Op::kAdd64Imm, 0, 0, 1));
  p.push_back(alu(Op::kExit, 0, 0));
  return p;
}

long peak_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

struct Figure {
  double ms = 0;
  VerifyResult result;
};

Figure measure(const std::vector<Insn>& insns, uint64_t mem_size = kMemSize) {
  const ProgramType* type = runtime_platform().find_type("mem");
  VerifyInput in{insns, {}, {}, *type, {}, mem_size, runtime_platform()};
  Figure best;
  best.ms = 1e9;
  for (int rep = 0; rep < 5; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    VerifyResult r = verify(in);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                    .count();
    if (ms < best.ms) {
      best.ms = ms;
      best.result = std::move(r);
    }
  }
  return best;
}

void print(const char* what, size_t n, const Figure& f) {
  fmt::print("{:<22} {:>6} insns  {:>8.2f} ms  {:>8} processed  {:>6} states  {:>7.1f} MB est  "
             "{}\n",
             what, n, f.ms, f.result.stats.insns_processed, f.result.stats.states_stored,
             static_cast<double>(f.result.stats.peak_memory_bytes) / (1 << 20),
             f.result.accepted ? "accepted" : f.result.error_text());
}

// Every bench kernel, v3 and v4: false when one is not accepted.
bool kernels() {
  bool ok = true;
#ifdef BPFJIT_KERNELS_DIR
  for (const bench::Kernel& k : bench::kernels()) {
    for (const char* cpu : {"v3", "v4"}) {
      std::ifstream f(bench::kernel_path(k.name, cpu), std::ios::binary);
      std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                                 std::istreambuf_iterator<char>());
      auto insns = decode_bytes(bytes);
      if (!insns) {
        fmt::print("{}.{}: {}\n", k.name, cpu, insns.error().to_string());
        ok = false;
        continue;
      }
      Figure fk = measure(*insns, k.input_size);
      print(fmt::format("{}.{}", k.name, cpu).c_str(), insns->size(), fk);
      ok &= fk.result.accepted;
    }
  }
#endif
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  bool check = argc > 1 && std::strcmp(argv[1], "--check") == 0;
  bool ok = true;
  double per_insn_1k = 0, per_insn_10k = 0;
  for (size_t n : {1000u, 2000u, 5000u, 10000u}) {
    auto p = loop_free(n);
    Figure f = measure(p);
    print("loop-free", p.size(), f);
    if (n == 1000) per_insn_1k = f.ms / static_cast<double>(n);
    if (n == 10000) {
      per_insn_10k = f.ms / static_cast<double>(n);
      ok &= f.result.accepted && f.ms < 50.0;
    }
  }
  auto lp = with_loops(3000);
  Figure fl = measure(lp);
  print("loops", lp.size(), fl);
  ok &= fl.result.accepted && fl.ms < 200.0;
  ok &= kernels();
  fmt::print("cost per instruction: {:.2f} us at 1k, {:.2f} us at 10k (ratio {:.2f})\n",
             per_insn_1k * 1000, per_insn_10k * 1000,
             per_insn_1k > 0 ? per_insn_10k / per_insn_1k : 0.0);
  fmt::print("peak RSS: {:.1f} MB\n", static_cast<double>(peak_rss_kb()) / 1024);
  ok &= peak_rss_kb() < 100 * 1024;
  if (check && !ok) {
    fmt::print("verifier bench: a target was missed (10k loop-free < 50 ms, 3k with loops "
               "< 200 ms, RSS < 100 MB, every bench kernel accepted)\n");
    return 1;
  }
  return 0;
}
