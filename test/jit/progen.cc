#include "test/jit/progen.h"

#include <algorithm>
#include <iterator>
#include <random>

namespace bpfjit::test {

namespace {

uint64_t helper_mix(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, RunContext*) {
  return (r1 + r2 * 3) ^ (r5 << 7) ^ r3 ^ (r4 >> 3);
}
uint64_t helper_sub(uint64_t r1, uint64_t r2, uint64_t, uint64_t, uint64_t, RunContext*) {
  return r1 - r2;
}
uint64_t helper_const(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return 0x1234;
}

constexpr HelperFn kHelpers[4] = {nullptr, helper_mix, helper_sub, helper_const};

constexpr uint8_t kWritable[] = {0, 1, 2, 3, 4, 5, 7, 8};
constexpr uint8_t kBuffer = 9;
constexpr uint8_t kCounter = 6;

constexpr int32_t kEdgeImms[] = {0, 1, -1, 2, 3, 7, 31, 32, 63, 64, -32, INT32_MIN, INT32_MAX,
                                 0xff, 0xffff, 1 << 16, -7};
constexpr uint64_t kEdgeValues[] = {0, 1, UINT64_MAX, 0x7fffffff, 0x80000000, 0xffffffff,
                                    0x100000000, 0x7fffffffffffffff, 0x8000000000000000,
                                    0xffffffff80000000};

class Generator {
 public:
  Generator(uint64_t seed, const ProgenOptions& opts) : rng_(seed), opts_(opts) {
    for (size_t i = 0; i + 1 < kNumOps; ++i) {
      auto op = static_cast<Op>(i);
      switch (form_of(op)) {
        case Form::kAluImm: alu_imm_.push_back(op); break;
        case Form::kAluReg: alu_reg_.push_back(op); break;
        case Form::kJmpImm: jmp_imm_.push_back(op); break;
        case Form::kJmpReg: jmp_reg_.push_back(op); break;
        case Form::kMovSx:
        case Form::kEndian:
        case Form::kNeg: unary_.push_back(op); break;
        case Form::kAtomic: atomic_.push_back(op); break;
        case Form::kLdx:
        case Form::kLdxSx: load_.push_back(op); break;
        case Form::kSt: store_imm_.push_back(op); break;
        case Form::kStx: store_.push_back(op); break;
        case Form::kLddw:
        case Form::kLdAbs:
        case Form::kLdInd:
        case Form::kJa:
        case Form::kJa32:
        case Form::kCall:
        case Form::kCallLocal:
        case Form::kCallBtf:
        case Form::kCallx:
        case Form::kExit: break;
      }
    }
  }

  std::vector<Insn> run() {
    uint32_t nsub = uniform(0, opts_.max_subprograms);
    std::vector<size_t> starts(nsub + 1);
    for (uint32_t f = 0; f <= nsub; ++f) {
      starts[f] = out_.size();
      func_ = f;
      nfuncs_ = nsub + 1;
      if (f == 0) emit(Op::kMov64Reg, kBuffer, 1);
      // r0 must be set before any exit.
      emit(Op::kMov64Imm, 0, 0, 0, imm());
      gen_block(uniform(1, opts_.max_items), /*in_loop=*/false);
      emit(Op::kExit);
    }
    for (auto [pc, callee] : calls_) {
      out_[pc].imm = static_cast<int32_t>(static_cast<int64_t>(starts[callee]) - static_cast<int64_t>(pc) - 1);
    }
    // Absolute targets, as decode() computes them.
    for (size_t pc = 0; pc < out_.size(); ++pc) {
      Insn& in = out_[pc];
      Form f = form_of(in.op);
      if (f == Form::kJa || f == Form::kJmpImm || f == Form::kJmpReg) {
        in.imm64 = static_cast<uint64_t>(static_cast<int64_t>(pc) + 1 + in.off);
      } else if (f == Form::kJa32 || f == Form::kCallLocal) {
        in.imm64 = static_cast<uint64_t>(static_cast<int64_t>(pc) + 1 + in.imm);
      }
    }
    return std::move(out_);
  }

 private:
  uint32_t uniform(uint32_t lo, uint32_t hi) {
    return std::uniform_int_distribution<uint32_t>(lo, hi)(rng_);
  }
  bool chance(uint32_t permille) { return uniform(0, 999) < permille; }
  template <typename T, size_t N>
  T pick(const T (&arr)[N]) {
    return arr[uniform(0, N - 1)];
  }
  template <typename T>
  T pick(const std::vector<T>& v) {
    return v[uniform(0, static_cast<uint32_t>(v.size() - 1))];
  }
  uint8_t dst() { return pick(kWritable); }
  uint8_t src() { return static_cast<uint8_t>(uniform(0, 8)); }
  int32_t imm() {
    switch (uniform(0, 2)) {
      case 0: return pick(kEdgeImms);
      case 1: return static_cast<int32_t>(uniform(0, 40)) - 20;
      default: return static_cast<int32_t>(rng_());
    }
  }

  size_t emit(Op op, uint8_t d = 0, uint8_t s = 0, int16_t off = 0, int32_t im = 0) {
    Insn in;
    in.op = op;
    in.dst = d;
    in.src = s;
    in.off = off;
    in.imm = im;
    out_.push_back(in);
    return out_.size() - 1;
  }
  void emit_lddw(uint8_t d, uint64_t v) {
    size_t pc = emit(Op::kLddw, d, 0, 0, static_cast<int32_t>(v));
    out_[pc].imm64 = v;
    Insn hi;
    hi.op = Op::kLddwHigh;
    hi.imm = static_cast<int32_t>(v >> 32);
    hi.imm64 = v;
    out_.push_back(hi);
  }

  // Sets r1..r5 after a helper call (they are undefined afterwards).
  void reset_args() {
    for (uint8_t r = 1; r <= 5; ++r) emit(Op::kMov64Imm, r, 0, 0, imm());
  }

  // A memory operand: base register and offset for `size` bytes, in bounds unless wild.
  // May emit a pointer computation into r7/r8 first.
  std::pair<uint8_t, int16_t> operand(uint32_t size, bool aligned) {
    if (chance(opts_.wild_access_permille)) {
      return {kBuffer, static_cast<int16_t>(static_cast<int32_t>(uniform(0, 300)) - 100)};
    }
    auto align = [&](uint32_t v) { return aligned ? v / size * size : v; };
    switch (uniform(0, 2)) {
      case 0: {  // stack: [-512, -size]
        uint32_t depth = align(uniform(size, kStackFrameSize));
        if (depth < size) depth = size;
        return {kFramePointer, static_cast<int16_t>(-static_cast<int32_t>(depth))};
      }
      case 1:  // the buffer
        return {kBuffer, static_cast<int16_t>(align(uniform(0, kProgenBufferSize - size)))};
      default: {  // a computed pointer into the first half of the buffer
        uint8_t t = uniform(0, 1) ? 7 : 8;
        emit(Op::kMov64Reg, t, src());
        emit(Op::kAnd64Imm, t, 0, 0, aligned ? static_cast<int32_t>(32 - size) & ~static_cast<int32_t>(size - 1) : 31);
        emit(Op::kAdd64Reg, t, kBuffer);
        return {t, static_cast<int16_t>(align(uniform(0, 32 - size)))};
      }
    }
  }

  struct PendingJump {
    size_t pc;
    uint32_t items_left;
    bool ja32;
  };

  void patch(const PendingJump& j) {
    auto rel = static_cast<int64_t>(out_.size()) - static_cast<int64_t>(j.pc) - 1;
    if (j.ja32) {
      out_[j.pc].imm = static_cast<int32_t>(rel);
    } else {
      out_[j.pc].off = static_cast<int16_t>(rel);
    }
  }

  void gen_block(uint32_t items, bool in_loop) {
    std::vector<PendingJump> pending;
    for (uint32_t i = 0; i < items; ++i) {
      for (auto it = pending.begin(); it != pending.end();) {
        if (it->items_left-- == 0) {
          patch(*it);
          it = pending.erase(it);
        } else {
          ++it;
        }
      }
      gen_item(in_loop, pending);
    }
    for (const auto& j : pending) patch(j);
  }

  void gen_item(bool in_loop, std::vector<PendingJump>& pending) {
    uint32_t k = uniform(0, 99);
    if (k < 30) {  // ALU
      if (uniform(0, 1)) {
        emit(pick(alu_imm_), dst(), 0, 0, imm());
      } else {
        emit(pick(alu_reg_), dst(), src());
      }
    } else if (k < 36) {
      Op op = pick(unary_);
      const OpInfo& info = op_info(op);
      emit(op, dst(), info.form == Form::kMovSx ? src() : 0, 0,
           info.form == Form::kEndian ? info.selval : 0);
    } else if (k < 40) {
      emit_lddw(dst(), uniform(0, 1) ? pick(kEdgeValues) : rng_());
    } else if (k < 50) {  // load
      Op op = pick(load_);
      auto [base, off] = operand(access_size(op), false);
      emit(op, dst(), base, off);
    } else if (k < 60) {  // store
      bool imm_form = uniform(0, 2) == 0;
      Op op = imm_form ? pick(store_imm_) : pick(store_);
      auto [base, off] = operand(access_size(op), false);
      emit(op, base, imm_form ? 0 : src(), off, imm_form ? imm() : 0);
    } else if (k < 65) {  // atomic
      Op op = pick(atomic_);
      auto [base, off] = operand(access_size(op), true);
      // fetch forms write src: keep it a writable register
      emit(op, base, dst(), off);
    } else if (k < 80) {  // forward jump over the next items
      PendingJump j{0, uniform(0, 4), false};
      uint32_t kind = uniform(0, 9);
      if (kind == 0) {
        j.ja32 = uniform(0, 1) == 1;
        j.pc = emit(j.ja32 ? Op::kJa32 : Op::kJa);
      } else if (kind < 5) {
        j.pc = emit(pick(jmp_imm_), src(), 0, 0, imm());
      } else {
        j.pc = emit(pick(jmp_reg_), src(), src());
      }
      pending.push_back(j);
    } else if (k < 85 && !in_loop) {  // bounded loop
      emit(Op::kMov64Imm, kCounter, 0, 0, static_cast<int32_t>(uniform(1, 4)));
      size_t start = out_.size();
      gen_block(uniform(1, 6), true);
      emit(Op::kSub64Imm, kCounter, 0, 0, 1);
      size_t back = emit(Op::kJneImm, kCounter, 0, 0, 0);
      out_[back].off = static_cast<int16_t>(static_cast<int64_t>(start) - static_cast<int64_t>(back) - 1);
    } else if (k < 90 && opts_.helpers) {  // helper call
      if (uniform(0, 2) == 0) {
        uint8_t r = static_cast<uint8_t>(uniform(1, 5));
        emit(Op::kMov64Imm, r, 0, 0, static_cast<int32_t>(uniform(1, 3)));
        emit(Op::kCallx, r);
      } else {
        emit(Op::kCall, 0, 0, 0, static_cast<int32_t>(uniform(1, 3)));
      }
      reset_args();
    } else if (k < 94 && func_ + 1 < nfuncs_) {  // bpf-to-bpf call to a later function
      size_t pc = emit(Op::kCallLocal, 0, 1);
      calls_.push_back({pc, uniform(func_ + 1, nfuncs_ - 1)});
    } else if (k < 95) {  // early exit
      emit(Op::kMov64Reg, 0, src());
      emit(Op::kExit);
    } else if (k < 97 && !in_loop && opts_.wild_access_permille > 0) {
      gen_pointer_loop();  // may walk out of bounds: only where faults are allowed
    } else if (k < 99 && opts_.wild_access_permille > 0) {
      gen_pointer_group();  // the same
    } else {
      emit(Op::kMov64Imm, dst(), 0, 0, imm());
    }
  }

  // Accesses off one pointer near an edge of the buffer, in straight code: the shape whose
  // checks the JIT merges into one (checked mode). Some straddle the edge and fault.
  void gen_pointer_group() {
    uint8_t p = uniform(0, 1) ? 7 : 8;
    emit(Op::kMov64Reg, p, kBuffer);
    int32_t start = uniform(0, 1) ? static_cast<int32_t>(uniform(0, 16)) - 8
                                  : static_cast<int32_t>(kProgenBufferSize) - static_cast<int32_t>(uniform(0, 16));
    emit(Op::kAdd64Imm, p, 0, 0, start);
    uint32_t items = uniform(2, 4);
    for (uint32_t it = 0; it < items; ++it) {
      auto off = static_cast<int16_t>(static_cast<int32_t>(uniform(0, 12)) - 6);
      switch (uniform(0, 3)) {
        case 0: emit(pick(load_), uniform(0, 1) ? 0 : 3, p, off); break;
        case 1: emit(pick(store_), p, src(), off); break;
        case 2: emit(pick(store_imm_), p, 0, off, imm()); break;
        default: emit(Op::kAdd64Imm, p == 7 ? 8 : 7, 0, 0, imm()); break;
      }
    }
  }

  // A counted loop that walks a pointer by a constant step and accesses memory off it (and
  // off it plus an unchanged register): the shape the JIT versions in checked mode. The
  // pointer starts anywhere near the buffer (or on the stack) and may walk out of it, so
  // some runs fault in the middle of the loop.
  //   P = r9|r10 + start ; K = k ; I = i0 ; [N = n]
  //   head: accesses and ALU in random order, add P, step and add I, 1 among them,
  //         maybe jeq D, imm, out ; jlt I, N|n, head
  //   out:
  void gen_pointer_loop() {
    uint8_t regs[std::size(kWritable)];
    std::copy(std::begin(kWritable), std::end(kWritable), regs);
    std::shuffle(std::begin(regs), std::end(regs), rng_);
    uint8_t p = regs[0], i = regs[1], d = regs[2], s = regs[3], kreg = regs[4], q = regs[5],
            n = regs[6];
    if (uniform(0, 7) == 0) {
      emit(Op::kMov64Reg, p, kFramePointer);
      emit(Op::kAdd64Imm, p, 0, 0, -static_cast<int32_t>(uniform(8, 128)));
    } else {
      emit(Op::kMov64Reg, p, kBuffer);
      emit(Op::kAdd64Imm, p, 0, 0, static_cast<int32_t>(uniform(0, 80)) - 8);
    }
    constexpr int32_t kSteps[] = {1, 2, 4, 8, -1, -4, -8, 3, 0};
    int32_t step = pick(kSteps);
    emit(Op::kMov64Imm, kreg, 0, 0, static_cast<int32_t>(uniform(0, 40)));
    uint32_t i0 = uniform(0, 3);
    emit(Op::kMov64Imm, i, 0, 0, static_cast<int32_t>(i0));
    auto bound = static_cast<int32_t>(i0 + uniform(0, 16));
    bool bound_imm = uniform(0, 1) == 0;
    if (!bound_imm) emit(Op::kMov64Imm, n, 0, 0, bound);
    size_t head = out_.size();
    std::vector<size_t> exits;
    uint32_t items = uniform(1, 5);
    uint32_t advance_at = uniform(0, items), count_at = uniform(0, items);
    auto off = [&] { return static_cast<int16_t>(static_cast<int32_t>(uniform(0, 16)) - 8); };
    for (uint32_t it = 0; it <= items; ++it) {
      if (it == advance_at) emit(Op::kAdd64Imm, p, 0, 0, step);
      if (it == count_at) emit(Op::kAdd64Imm, i, 0, 0, 1);
      if (it == items) break;
      switch (uniform(0, 5)) {
        case 0: emit(pick(load_), d, p, off()); break;
        case 1: emit(pick(store_), p, uniform(0, 1) ? d : s, off()); break;
        case 2: emit(pick(store_imm_), p, 0, off(), imm()); break;
        case 3:
          emit(Op::kMov64Reg, q, p);
          emit(Op::kAdd64Reg, q, kreg);
          if (uniform(0, 1)) {
            emit(pick(load_), d, q, off());
          } else {
            emit(pick(store_), q, s, off());
          }
          break;
        case 4: emit(Op::kXor64Reg, s, d); break;
        default: exits.push_back(emit(Op::kJeqImm, d, 0, 0, static_cast<int32_t>(uniform(0, 3)))); break;
      }
    }
    size_t back = bound_imm ? emit(Op::kJltImm, i, 0, 0, bound) : emit(Op::kJltReg, i, n);
    out_[back].off = static_cast<int16_t>(static_cast<int64_t>(head) - static_cast<int64_t>(back) - 1);
    for (size_t e : exits) {
      out_[e].off = static_cast<int16_t>(static_cast<int64_t>(out_.size()) - static_cast<int64_t>(e) - 1);
    }
  }

  std::mt19937_64 rng_;
  ProgenOptions opts_;
  std::vector<Insn> out_;
  std::vector<std::pair<size_t, uint32_t>> calls_;
  uint32_t func_ = 0, nfuncs_ = 1;
  std::vector<Op> alu_imm_, alu_reg_, jmp_imm_, jmp_reg_, unary_, atomic_, load_, store_imm_,
      store_;
};

}  // namespace

std::vector<Insn> generate_program(uint64_t seed, const ProgenOptions& opts) {
  return Generator(seed, opts).run();
}

std::span<const HelperFn> progen_helpers() { return kHelpers; }

}  // namespace bpfjit::test
