// The decoder's structural checks, each with a program that trips exactly that check, and
// the conformance suite's 45 negative encodings.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/isa/decode.h"
#include "test/support/conformance.h"

namespace bpfjit {
namespace {

RawInsn raw(uint8_t opcode, uint8_t dst = 0, uint8_t src = 0, int16_t off = 0, int32_t imm = 0) {
  return RawInsn{opcode, static_cast<uint8_t>(src << 4 | dst), off, imm};
}
const RawInsn kExit = raw(0x95);
const RawInsn kMovR0 = raw(0xb7, 0, 0, 0, 0);

// Decodes and expects a refusal that names `insn` and contains `fragment`.
void expect_refused(const std::vector<RawInsn>& prog, uint32_t insn, const std::string& fragment,
                    const DecodeOptions& opts = {}) {
  auto r = decode(prog, opts);
  ASSERT_FALSE(r.ok()) << "accepted a program that should be refused";
  EXPECT_EQ(r.error().code, ErrorCode::kDecode);
  EXPECT_EQ(r.error().insn, insn) << r.error().to_string();
  EXPECT_NE(r.error().message.find(fragment), std::string::npos) << r.error().to_string();
}

TEST(DecoderTest, AcceptsMinimalProgram) {
  auto r = decode(std::vector<RawInsn>{kMovR0, kExit});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].op, Op::kMov64Imm);
  EXPECT_EQ((*r)[1].op, Op::kExit);
}

TEST(DecoderTest, RejectsUnknownOpcode) {
  expect_refused({raw(0xff), kExit}, 0, "unknown opcode 0xff");
  expect_refused({kMovR0, raw(0x00), kExit}, 1, "unknown opcode 0x00");
}

TEST(DecoderTest, RejectsUnknownSelectorValue) {
  // div64 with off 2 (only 0 = div and 1 = sdiv exist).
  expect_refused({raw(0x37, 0, 0, 2, 1), kExit}, 0, "off is 2");
  // Atomic with an imm that names no operation.
  expect_refused({raw(0xdb, 10, 1, -8, 0x02), kExit}, 0, "imm is 2");
}

TEST(DecoderTest, RejectsRegisterAboveR10) {
  expect_refused({raw(0xb7, 11, 0, 0, 1), kExit}, 0, "dst register r11");
  expect_refused({raw(0xbf, 0, 12), kExit}, 0, "src register r12");
  expect_refused({raw(0x79, 0, 15, 0, 0), kExit}, 0, "src register r15");
}

TEST(DecoderTest, RejectsWriteToR10) {
  expect_refused({raw(0xb7, 10, 0, 0, 1), kExit}, 0, "writes r10");         // mov64 imm
  expect_refused({raw(0x0c, 10, 1), kExit}, 0, "writes r10");               // add32 reg
  expect_refused({raw(0x79, 10, 1, 0, 0), kExit}, 0, "writes r10");         // ldxdw
  expect_refused({raw(0xdb, 1, 10, 0, 0x01), kExit}, 0, "writes r10");      // fetch add: src
  // A non-fetching atomic only reads src; r10 as src is fine there.
  EXPECT_TRUE(decode(std::vector<RawInsn>{raw(0xdb, 1, 10, 0, 0x00), kExit}).ok());
}

TEST(DecoderTest, RejectsJumpOutOfRange) {
  expect_refused({raw(0x05, 0, 0, 5), kExit}, 0, "jump to 6 is out of range");
  expect_refused({kMovR0, raw(0x15, 0, 0, -3, 0), kExit}, 1, "jump to -1 is out of range");
  expect_refused({raw(0x06, 0, 0, 0, 7), kExit}, 0, "jump to 8 is out of range");  // ja32
  expect_refused({raw(0x85, 0, 1, 0, -2), kExit}, 0, "call to -1 is out of range");
}

TEST(DecoderTest, RejectsJumpIntoSecondSlotOfLddw) {
  expect_refused({raw(0x05, 0, 0, 1), raw(0x18, 0, 0, 0, 1), raw(0, 0, 0, 0, 0), kExit}, 0,
                 "lands in the second slot of an lddw");
}

TEST(DecoderTest, RejectsTruncatedLddw) {
  expect_refused({kExit, raw(0x18, 0, 0, 0, 1)}, 1, "lddw is truncated");
}

TEST(DecoderTest, RejectsBadLddwSecondSlot) {
  expect_refused({raw(0x18, 0, 0, 0, 1), raw(0x95, 0, 0, 0, 0), kExit}, 1,
                 "second slot of lddw must hold only imm");
  expect_refused({raw(0x18, 0, 0, 0, 1), raw(0, 1, 0, 0, 0), kExit}, 1, "regs 0x01");
  expect_refused({raw(0x18, 0, 0, 0, 1), raw(0, 0, 0, 4, 0), kExit}, 1, "off 4");
}

TEST(DecoderTest, RejectsFallingOffTheEnd) {
  expect_refused({kMovR0, raw(0x15, 0, 0, -2, 0)}, 1, "can fall off the end");  // jeq last
  expect_refused({kMovR0, raw(0x85, 0, 0, 0, 5)}, 1, "can fall off the end");  // call last
  expect_refused({kMovR0}, 0, "can fall off the end");
}

TEST(DecoderTest, AcceptsExitBeforeTheEnd) {
  // exit in the middle, an unconditional jump back as the last instruction.
  auto r = decode(std::vector<RawInsn>{kMovR0, kExit, raw(0x05, 0, 0, -2)});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)[2].target(), 1u);
}

TEST(DecoderTest, RejectsEmptyProgram) {
  auto r = decode(std::vector<RawInsn>{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().insn, kNoInsn);
  EXPECT_NE(r.error().message.find("empty"), std::string::npos);
}

TEST(DecoderTest, RejectsSizeNotMultipleOfEight) {
  std::vector<uint8_t> bytes = {0x95, 0, 0, 0, 0, 0, 0, 0, 0x95};
  auto r = decode_bytes(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("9 bytes, not a multiple of 8"), std::string::npos)
      << r.error().message;
  bytes.pop_back();
  EXPECT_TRUE(decode_bytes(bytes).ok());
}

TEST(DecoderTest, RejectsInstructionAboveCpuLimit) {
  std::vector<RawInsn> prog = {raw(0x3f, 0, 1, 1), kExit};  // sdiv64: v4
  DecodeOptions v3;
  v3.max_cpu = 3;
  expect_refused(prog, 0, "needs -mcpu=v4, the limit is v3", v3);
  EXPECT_TRUE(decode(prog).ok());
  DecodeOptions v1;
  v1.max_cpu = 1;
  expect_refused({raw(0x16, 0, 0, 0, 0), kExit}, 0, "needs -mcpu=v3", v1);  // jeq32
  expect_refused({raw(0xad, 0, 1, 0, 0), kExit}, 0, "needs -mcpu=v2", v1);  // jlt reg
}

TEST(DecoderTest, RejectsPseudoLddwWhenNotAllowed) {
  DecodeOptions opts;
  opts.allow_pseudo_lddw = false;
  expect_refused({raw(0x18, 1, 1, 0, 3), raw(0), kExit}, 0, "src 1", opts);
}

TEST(DecoderTest, RejectsPacketLoadsWhenNotAllowed) {
  DecodeOptions opts;
  opts.allow_packet_loads = false;
  expect_refused({raw(0x20, 0, 0, 0, 4), kExit}, 0, "legacy packet load", opts);
}

// Every negative file of the suite sets one field that must be zero; the message names
// insn 0 and that field (the file name ends in -src, -dst, -offset or -imm).
TEST(DecoderTest, RejectsEveryConformanceNegative) {
  auto dir = testing::conformance_dir();
  if (!dir) GTEST_SKIP() << "conformance data not found (set BPFJIT_CONFORMANCE_DIR)";
  auto files = testing::data_files(*dir / "negative");
  ASSERT_EQ(files.size(), 45u);
  for (const auto& path : files) {
    SCOPED_TRACE(path.filename().string());
    auto f = testing::parse_data_file(path);
    ASSERT_TRUE(f.ok()) << f.error().message;
    ASSERT_TRUE(f->raw.has_value());
    ASSERT_TRUE(f->error.has_value());
    auto r = decode_bytes(*f->raw);
    ASSERT_FALSE(r.ok()) << "accepted";
    EXPECT_EQ(r.error().insn, 0u) << r.error().to_string();
    std::string stem = path.stem().string();
    std::string field = stem.substr(stem.rfind('-') + 1);
    if (field == "offset") field = "off";
    EXPECT_NE(r.error().message.find(field), std::string::npos) << r.error().to_string();
  }
}

}  // namespace
}  // namespace bpfjit
