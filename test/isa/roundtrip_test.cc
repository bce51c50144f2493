// disassemble -> assemble gives back the same instructions: for a representative of every
// Op in the table, and for all 313 conformance programs.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "runtime/isa/asm.h"
#include "runtime/isa/decode.h"
#include "runtime/isa/disasm.h"
#include "test/support/conformance.h"

namespace bpfjit {
namespace {

bool same(const Insn& a, const Insn& b) {
  return a.op == b.op && a.dst == b.dst && a.src == b.src && a.off == b.off && a.imm == b.imm &&
         a.imm64 == b.imm64;
}

std::string describe(const Insn& in) {
  return fmt::format("{} dst={} src={} off={} imm={} imm64=0x{:x}", op_info(in.op).name, in.dst,
                     in.src, in.off, in.imm, in.imm64);
}

void expect_same_program(const std::vector<Insn>& want, const std::vector<Insn>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_TRUE(same(want[i], got[i])) << "slot " << i << ": want " << describe(want[i])
                                       << ", got " << describe(got[i]);
  }
}

// A program around one instance of `op`: the instruction at slot 0 with every field it
// uses set to a distinctive value, a mov at slot 1 (or 2 after an lddw) that jumps land
// on, then exit.
std::vector<Insn> representative(Op op) {
  const OpInfo& info = op_info(op);
  Insn in;
  in.op = op;
  switch (info.form) {
    case Form::kAluImm: in.dst = 3; in.imm = -7; break;
    case Form::kAluReg:
    case Form::kMovSx: in.dst = 3; in.src = 9; break;
    case Form::kNeg:
    case Form::kEndian:
    case Form::kCallx: in.dst = 4; break;
    case Form::kLddw: in.dst = 5; in.imm = 3; in.imm64 = (uint64_t{0x80000010} << 32) | 3; break;
    case Form::kLdx:
    case Form::kLdxSx: in.dst = 2; in.src = 10; in.off = -16; break;
    case Form::kSt: in.dst = 10; in.off = -8; in.imm = 0x7fffffff; break;
    case Form::kStx:
    case Form::kAtomic: in.dst = 1; in.src = 6; in.off = 12; break;
    case Form::kLdAbs: in.imm = 14; break;
    case Form::kLdInd: in.src = 7; in.imm = -2; break;
    case Form::kJa: in.off = 1; break;
    case Form::kJa32: in.imm = 1; break;
    case Form::kJmpImm: in.dst = 8; in.off = 1; in.imm = INT32_MIN; break;
    case Form::kJmpReg: in.dst = 8; in.src = 0; in.off = 1; break;
    case Form::kCall: in.imm = 5; break;
    case Form::kCallLocal: in.imm = 1; break;
    case Form::kCallBtf: in.imm = 1234; in.off = 2; break;
    case Form::kExit: break;
  }
  switch (info.sel) {
    case Sel::kNone: break;
    case Sel::kOff: in.off = static_cast<int16_t>(info.selval); break;
    case Sel::kImm: in.imm = info.selval; break;
    case Sel::kSrc: in.src = static_cast<uint8_t>(info.selval); break;
  }
  std::vector<Insn> prog{in};
  if (info.form == Form::kLddw) {
    Insn high;
    high.op = Op::kLddwHigh;
    high.imm = static_cast<int32_t>(in.imm64 >> 32);
    high.imm64 = in.imm64;
    prog.push_back(high);
  }
  Insn mov;
  mov.op = Op::kMov64Imm;
  prog.push_back(mov);
  Insn exit;
  exit.op = Op::kExit;
  prog.push_back(exit);
  if (info.form == Form::kJa || info.form == Form::kJa32 || info.form == Form::kJmpImm ||
      info.form == Form::kJmpReg || info.form == Form::kCallLocal) {
    prog[0].imm64 = 2;  // slot 0 + 1 + 1
  }
  return prog;
}

TEST(RoundTripTest, EveryOpDisassemblesAndReassembles) {
  for (size_t i = 0; i + 1 < kNumOps; ++i) {
    Op op = static_cast<Op>(i);
    SCOPED_TRACE(std::string(op_info(op).name));
    std::vector<Insn> prog = representative(op);
    auto valid = validate(prog);
    ASSERT_TRUE(valid.ok()) << valid.error().to_string();
    for (bool labels : {false, true}) {
      DisasmOptions opts;
      opts.labels = labels;
      std::string text = disassemble_program(prog, opts);
      auto back = assemble(text);
      ASSERT_TRUE(back.ok()) << back.error().to_string() << "\n" << text;
      expect_same_program(prog, *back);
      // And the bytes decode to the same instructions.
      auto decoded = decode(encode(prog));
      ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
      expect_same_program(prog, *decoded);
    }
  }
}

TEST(RoundTripTest, SingleInstructionText) {
  Insn in;
  in.op = Op::kAtomicFetchAdd32;
  in.dst = 10;
  in.src = 1;
  in.off = -8;
  in.imm = 0x01;
  EXPECT_EQ(disassemble(in, 0), "lock fetch add32 [%r10-8], %r1");
  in = Insn{};
  in.op = Op::kJeq32Imm;
  in.dst = 1;
  in.imm = -3;
  in.off = -4;
  EXPECT_EQ(disassemble(in, 9), "jeq32 %r1, -3, -4");
  in = Insn{};
  in.op = Op::kLdxw;
  in.dst = 0;
  in.src = 1;
  EXPECT_EQ(disassemble(in, 0), "ldxw %r0, [%r1]");
  in = Insn{};
  in.op = Op::kLddwHigh;
  EXPECT_EQ(disassemble(in, 1), "");
}

TEST(RoundTripTest, ListingShowsSlotNumbersAndLabels) {
  auto prog = assemble("lddw %r0, 1\njne %r0, 1, out\nmov %r0, 2\nout:\nexit\n");
  ASSERT_TRUE(prog.ok()) << prog.error().to_string();
  DisasmOptions opts;
  opts.labels = true;
  opts.slot_numbers = true;
  EXPECT_EQ(disassemble_program(*prog, opts),
            "   0: lddw %r0, 0x1\n"
            "   2: jne %r0, 1, L4\n"
            "   3: mov %r0, 2\n"
            "L4:\n"
            "   4: exit\n");
  EXPECT_EQ(disassemble_program(*prog),
            "lddw %r0, 0x1\n"
            "jne %r0, 1, +1\n"
            "mov %r0, 2\n"
            "exit\n");
}

TEST(RoundTripTest, EveryConformanceProgramSurvivesDisasmAndAsm) {
  auto dir = testing::conformance_dir();
  if (!dir) GTEST_SKIP() << "conformance data not found (set BPFJIT_CONFORMANCE_DIR)";
  auto cases = testing::parse_cases_file(*dir / "cases.tsv");
  ASSERT_TRUE(cases.ok()) << cases.error().message;
  ASSERT_EQ(cases->size(), 313u);
  for (const auto& c : *cases) {
    SCOPED_TRACE(c.file);
    auto prog = decode_bytes(c.program);
    ASSERT_TRUE(prog.ok()) << prog.error().to_string();
    for (bool labels : {false, true}) {
      DisasmOptions opts;
      opts.labels = labels;
      std::string text = disassemble_program(*prog, opts);
      auto back = assemble(text);
      ASSERT_TRUE(back.ok()) << back.error().to_string() << "\n" << text;
      expect_same_program(*prog, *back);
    }
  }
}

// Random slots built from the table's opcodes with random fields: whatever decode() accepts
// must survive disasm -> asm unchanged, whatever it refuses must not crash anything.
TEST(RoundTripTest, RandomDecodablePrograms) {
  std::mt19937 rng(12345);
  std::vector<uint8_t> opcodes;
  for (size_t i = 0; i + 1 < kNumOps; ++i) opcodes.push_back(op_info(static_cast<Op>(i)).opcode);
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<RawInsn> raw(1 + rng() % 6);
    for (RawInsn& r : raw) {
      r.opcode = opcodes[rng() % opcodes.size()];
      r.regs = static_cast<uint8_t>(rng() % 2 ? rng() % 11 : rng() % 256);
      int32_t small[] = {0, 1, 8, 16, 32, 64, -1, 0x01, 0x40, 0x41, 0xe1, 0xf1};
      r.off = static_cast<int16_t>(rng() % 2 ? small[rng() % 12] : static_cast<int16_t>(rng()));
      r.imm = rng() % 2 ? small[rng() % 12] : static_cast<int32_t>(rng());
      if (rng() % 3 == 0) r.regs &= 0x0f;
    }
    raw.back() = RawInsn{0x95, 0, 0, 0};
    if (rng() % 4 == 0) raw.push_back(RawInsn{0, 0, 0, static_cast<int32_t>(rng())});
    auto prog = decode(raw);
    if (!prog) continue;
    ++accepted;
    for (bool labels : {false, true}) {
      DisasmOptions opts;
      opts.labels = labels;
      std::string text = disassemble_program(*prog, opts);
      auto back = assemble(text);
      ASSERT_TRUE(back.ok()) << back.error().to_string() << "\n" << text;
      expect_same_program(*prog, *back);
    }
  }
  EXPECT_GT(accepted, 500);  // the property was checked on a real number of programs
}

// Mutated conformance programs: the assembler either refuses with a line number or
// produces a program that validates and round-trips; it never crashes.
TEST(RoundTripTest, MutatedAssemblerTextNeverCrashes) {
  auto dir = testing::conformance_dir();
  if (!dir) GTEST_SKIP() << "conformance data not found (set BPFJIT_CONFORMANCE_DIR)";
  std::mt19937 rng(777);
  const std::string alphabet = "%r0123456789abcdefx+-[],: #\nlmovjeqdwlockfetchexit";
  int refused = 0;
  for (const auto& path : testing::data_files(*dir / "tests")) {
    auto f = testing::parse_data_file(path);
    ASSERT_TRUE(f.ok());
    std::string base = *f->asm_text;
    for (int k = 0; k < 20; ++k) {
      std::string text = base;
      for (int m = 0; m < 3 && !text.empty(); ++m) {
        size_t at = rng() % text.size();
        switch (rng() % 3) {
          case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
          case 1: text.erase(at, 1 + rng() % 4); break;
          default: text.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        }
      }
      auto r = assemble(text);
      if (!r) {
        ++refused;
        const std::string& msg = r.error().message;
        EXPECT_TRUE(msg.starts_with("line ") || msg == "the program is empty") << msg;
        continue;
      }
      ASSERT_TRUE(validate(*r).ok());
      auto back = assemble(disassemble_program(*r));
      ASSERT_TRUE(back.ok()) << back.error().to_string();
      expect_same_program(*r, *back);
    }
  }
  EXPECT_GT(refused, 100);
}

}  // namespace
}  // namespace bpfjit
