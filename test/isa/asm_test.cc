// The assembler: every conformance program assembles to the suite's own bytes, the syntax
// extensions work, and each kind of mistake is refused with its line number.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "runtime/isa/asm.h"
#include "runtime/isa/decode.h"
#include "test/support/conformance.h"

namespace bpfjit {
namespace {

std::vector<uint8_t> to_bytes(const std::vector<Insn>& insns) {
  std::vector<RawInsn> raw = encode(insns);
  std::vector<uint8_t> out(raw.size() * kSlotSize);
  if (!raw.empty()) std::memcpy(out.data(), raw.data(), out.size());
  return out;
}

std::string hex(const std::vector<uint8_t>& bytes) {
  std::string s;
  for (uint8_t b : bytes) s += fmt::format("{:02x}", b);
  return s;
}

// Assembles and returns the diagnostic message, failing the test when it assembles.
std::string refusal(const std::string& text) {
  auto r = assemble(text);
  EXPECT_FALSE(r.ok()) << "assembled:\n" << text;
  if (r.ok()) return "";
  EXPECT_EQ(r.error().code, ErrorCode::kAssemble);
  return r.error().message;
}

TEST(AssemblerTest, AssemblesEveryConformanceProgramToTheSuitesBytes) {
  auto dir = testing::conformance_dir();
  if (!dir) GTEST_SKIP() << "conformance data not found (set BPFJIT_CONFORMANCE_DIR)";
  auto cases = testing::parse_cases_file(*dir / "cases.tsv");
  ASSERT_TRUE(cases.ok()) << cases.error().message;
  ASSERT_EQ(cases->size(), 313u);
  std::map<std::string, const testing::Case*> by_file;
  for (const auto& c : *cases) by_file[c.file] = &c;
  auto files = testing::data_files(*dir / "tests");
  ASSERT_EQ(files.size(), 313u);
  for (const auto& path : files) {
    SCOPED_TRACE(path.filename().string());
    auto f = testing::parse_data_file(path);
    ASSERT_TRUE(f.ok()) << f.error().message;
    ASSERT_TRUE(by_file.count(f->name));
    const testing::Case& c = *by_file[f->name];
    ASSERT_TRUE(f->asm_text.has_value());
    auto insns = assemble(*f->asm_text);
    ASSERT_TRUE(insns.ok()) << insns.error().to_string();
    EXPECT_EQ(hex(to_bytes(*insns)), hex(c.program));
    // The assembler's Insns are the decoder's Insns.
    auto decoded = decode_bytes(c.program);
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    ASSERT_EQ(decoded->size(), insns->size());
    for (size_t i = 0; i < insns->size(); ++i) {
      EXPECT_EQ((*insns)[i].op, (*decoded)[i].op) << "slot " << i;
      EXPECT_EQ((*insns)[i].imm64, (*decoded)[i].imm64) << "slot " << i;
    }
    if (f->raw) {  // lddw.data carries its program as raw words too
      EXPECT_EQ(hex(*f->raw), hex(c.program));
    }
    if (f->mem) {
      EXPECT_EQ(hex(*f->mem), hex(c.mem));
    }
    ASSERT_TRUE(f->result.has_value());
    EXPECT_EQ(*f->result, c.expected_r0);
  }
}

TEST(AssemblerTest, ResolvesLabelsAndTheBuiltinExitLabel) {
  auto r = assemble(
      "  mov %r0, 1   # comment\n"
      "\n"
      "  jeq %r0, 1, done\n"
      "  jne %r0, 0, exit\n"
      "  lddw %r1, 0x1122334455667788\n"
      "done:\n"
      "  exit\n");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 6u);
  EXPECT_EQ((*r)[1].off, 3);
  EXPECT_EQ((*r)[1].target(), 5u);
  EXPECT_EQ((*r)[2].off, 2);
  EXPECT_EQ((*r)[3].op, Op::kLddw);
  EXPECT_EQ((*r)[3].imm64, 0x1122334455667788u);
  EXPECT_EQ((*r)[4].op, Op::kLddwHigh);
}

TEST(AssemblerTest, ReadsRelativeTargetsWidthSuffixesAndAliases) {
  auto r = assemble(
      "add64 %r1, -1\n"      // 0
      "add32 %r1, 0xffffffff\n"  // 1
      "swap16 %r1\n"         // 2
      "ja32 +1\n"            // 3
      "ja -1\n"              // 4
      "call %r1\n"           // 5
      "lock fetch xchg [%r10 - 8], %r1\n"  // 6
      "lock cmpxchg32 [%r10-8], %r1\n"      // 7
      "exit\n");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)[0].op, Op::kAdd64Imm);
  EXPECT_EQ((*r)[0].imm, -1);
  EXPECT_EQ((*r)[1].op, Op::kAdd32Imm);
  EXPECT_EQ((*r)[1].imm, -1);
  EXPECT_EQ((*r)[2].op, Op::kBswap16);
  EXPECT_EQ((*r)[2].imm, 16);
  EXPECT_EQ((*r)[3].op, Op::kJa32);
  EXPECT_EQ((*r)[3].imm, 1);
  EXPECT_EQ((*r)[3].target(), 5u);
  EXPECT_EQ((*r)[4].target(), 4u);
  EXPECT_EQ((*r)[5].op, Op::kCallx);
  EXPECT_EQ((*r)[5].dst, 1);
  EXPECT_EQ((*r)[6].op, Op::kAtomicXchg64);
  EXPECT_EQ((*r)[6].off, -8);
  EXPECT_EQ((*r)[7].op, Op::kAtomicCmpXchg32);
  EXPECT_EQ((*r)[7].imm, 0xf1);
}

TEST(AssemblerTest, ReadsPseudoLddwAndLegacyLoads) {
  auto r = assemble(
      "lddw %r1, map_fd 3\n"          // 0
      "lddw %r2, map_value 3 16\n"    // 2
      "lddw %r3, code fn\n"           // 4
      "ldabsw 4\n"                    // 6
      "ldindh %r1, -2\n"              // 7
      "exit\n"                        // 8
      "fn:\n"
      "exit\n");                      // 9
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)[0].op, Op::kLddwMapFd);
  EXPECT_EQ((*r)[0].src, 1);
  EXPECT_EQ((*r)[0].imm64, 3u);
  EXPECT_EQ((*r)[2].op, Op::kLddwMapValue);
  EXPECT_EQ((*r)[2].imm64, (uint64_t{16} << 32) | 3);
  EXPECT_EQ((*r)[3].imm, 16);
  EXPECT_EQ((*r)[4].op, Op::kLddwCode);
  EXPECT_EQ((*r)[4].imm, 4);  // 9 = 4 + 1 + imm
  EXPECT_EQ((*r)[6].op, Op::kLdAbsW);
  EXPECT_EQ((*r)[6].imm, 4);
  EXPECT_EQ((*r)[7].op, Op::kLdIndH);
  EXPECT_EQ((*r)[7].src, 1);
}

TEST(AssemblerTest, RefusesUnknownMnemonic) {
  std::string m = refusal("mov %r0, 0\nexit\n\n\n\n\naddd %r0, 1\n");
  EXPECT_EQ(m, "line 7: unknown mnemonic 'addd'");
  EXPECT_NE(refusal("lock fetch sub [%r1], %r2\nexit").find("line 1: unknown atomic"),
            std::string::npos);
}

TEST(AssemblerTest, RefusesBadRegister) {
  EXPECT_EQ(refusal("mov %r11, 0\nexit"), "line 1: register %r11 does not exist");
  EXPECT_EQ(refusal("mov %r0, 0\nmov r1, 2\nexit"), "line 2: expected a register, got 'r1'");
  EXPECT_EQ(refusal("ldxw %r0, [%rx+4]\nexit"), "line 1: expected a register, got '%rx'");
}

TEST(AssemblerTest, RefusesImmediateOutOfRange) {
  EXPECT_EQ(refusal("mov %r0, 2147483648\nexit"),
            "line 1: immediate 2147483648 does not fit in 32 bits");
  EXPECT_EQ(refusal("mov %r0, 0x100000000\nexit"),
            "line 1: immediate 0x100000000 does not fit in 32 bits");
  EXPECT_EQ(refusal("mov %r0, -2147483649\nexit"),
            "line 1: immediate -2147483649 does not fit in 32 bits");
  EXPECT_EQ(refusal("stw [%r10-32769], 1\nexit"),
            "line 1: offset -32769 does not fit in 16 bits");
  EXPECT_EQ(refusal("mov %r0, 12z\nexit"), "line 1: expected an immediate, got '12z'");
  // The extremes themselves are fine.
  EXPECT_TRUE(assemble("mov %r0, -2147483648\nmov %r0, 0xffffffff\nstw [%r10-0x8000], 1\nexit")
                  .ok());
}

TEST(AssemblerTest, RefusesUndefinedLabel) {
  EXPECT_EQ(refusal("mov %r0, 0\nja nowhere\nexit"), "line 2: undefined label 'nowhere'");
  EXPECT_EQ(refusal("ja exit\nja -1"), "line 1: undefined label 'exit'");  // no exit insn
  EXPECT_EQ(refusal("a:\nexit\na:\nexit"), "line 3: label 'a' is defined twice");
}

TEST(AssemblerTest, RefusesJumpBeyondSixteenBits) {
  std::string text = "ja far\n";
  for (int i = 0; i < 32768; ++i) text += "mov %r0, 0\n";
  text += "far:\nexit\n";
  EXPECT_EQ(refusal(text), "line 1: jump offset 32768 to 'far' does not fit in 16 bits");
  // ja32 takes the same distance in its 32-bit imm.
  text.replace(0, 2, "ja32");
  auto r = assemble(text);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)[0].imm, 32768);
}

TEST(AssemblerTest, AcceptsCommasWithoutSpaces) {
  auto r = assemble("mov %r0,%r1\nstxw [%r10-4],%r0\nexit");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)[0].op, Op::kMov64Reg);
  EXPECT_EQ((*r)[1].src, 0);
  EXPECT_EQ((*r)[1].off, -4);
}

TEST(AssemblerTest, RefusesWrongOperandCount) {
  EXPECT_EQ(refusal("add %r0\nexit"), "line 1: add takes 2 operands, got 1");
  EXPECT_EQ(refusal("exit %r0"), "line 1: exit takes 0 operands, got 1");
}

TEST(AssemblerTest, ReportsStructuralErrorsWithTheirLine) {
  // Falls off the end: validate() names the slot, the assembler adds the line.
  auto r = assemble("mov %r0, 0\n\njeq %r0, 0, +0\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().insn, 1u);
  EXPECT_NE(r.error().message.find("line 3: "), std::string::npos) << r.error().message;
  EXPECT_NE(refusal("ja +5\nexit").find("out of range"), std::string::npos);
  EXPECT_NE(refusal("mov %r10, 0\nexit").find("writes r10"), std::string::npos);
  EXPECT_EQ(refusal("# nothing\n"), "the program is empty");
}

}  // namespace
}  // namespace bpfjit
