// Context access rewriting on hand-written programs: the data-flow pass follows the
// context pointer through moves, offsets, stack spills and subprogram calls, and refuses
// accesses it cannot map.
#include <gtest/gtest.h>

#include <cstddef>

#include "helpers/program_types.h"
#include "runtime/isa/asm.h"
#include "runtime/loader/loader.h"

namespace bpfjit {
namespace {

std::vector<Insn> rewrite_xdp(const char* text, Result<void>* status = nullptr) {
  auto insns = assemble(text);
  EXPECT_TRUE(insns.ok()) << insns.error().to_string();
  if (!insns.ok()) return {};
  auto r = rewrite_ctx_accesses(*insns, xdp_program_type());
  if (status != nullptr) *status = r;
  else EXPECT_TRUE(r.ok()) << r.error().to_string();
  return *insns;
}

TEST(CtxRewriteTest, DirectFieldLoads) {
  auto p = rewrite_xdp(R"(
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]
    ldxw %r4, [%r1+12]
    mov %r0, 0
    exit)");
  EXPECT_EQ(p[0].op, Op::kLdxdw);  // data: u32 in xdp_md, u64 in the shadow
  EXPECT_EQ(p[0].off, 0);
  EXPECT_EQ(p[1].op, Op::kLdxdw);  // data_end
  EXPECT_EQ(p[1].off, 8);
  EXPECT_EQ(p[2].op, Op::kLdxw);   // ingress_ifindex stays 32-bit
  EXPECT_EQ(p[2].off, static_cast<int16_t>(offsetof(XdpCtx, ingress_ifindex)));
}

TEST(CtxRewriteTest, ThroughMovesOffsetsAndTheStack) {
  auto p = rewrite_xdp(R"(
    mov %r6, %r1
    stxdw [%r10-16], %r6
    mov %r1, 0
    ldxdw %r7, [%r10-16]
    add %r7, 4
    ldxw %r3, [%r7+0]
    ldxw %r2, [%r6+0]
    mov %r0, 0
    exit)");
  EXPECT_EQ(p[5].op, Op::kLdxdw);  // data_end through r7 = ctx + 4
  EXPECT_EQ(p[5].off, 8 - 4);
  EXPECT_EQ(p[6].op, Op::kLdxdw);
  EXPECT_EQ(p[6].off, 0);
  EXPECT_EQ(p[3].op, Op::kLdxdw);  // the stack reload is not a context access
  EXPECT_EQ(p[3].off, -16);
}

TEST(CtxRewriteTest, IntoSubprograms) {
  auto p = rewrite_xdp(R"(
    call local sub
    exit
  sub:
    ldxw %r0, [%r1+4]
    exit)");
  EXPECT_EQ(p[2].op, Op::kLdxdw);
  EXPECT_EQ(p[2].off, 8);
}

TEST(CtxRewriteTest, ReturnedContextPointer) {
  auto p = rewrite_xdp(R"(
    call local sub
    ldxw %r0, [%r0+4]
    exit
  sub:
    mov %r0, %r1
    exit)");
  EXPECT_EQ(p[1].op, Op::kLdxdw);
  EXPECT_EQ(p[1].off, 8);
}

TEST(CtxRewriteTest, RefusesAmbiguousBase) {
  Result<void> status;
  rewrite_xdp(R"(
    mov %r2, %r10
    add %r2, -8
    jeq %r3, 0, +1
    mov %r2, %r1
    ldxw %r0, [%r2+0]
    exit)", &status);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().insn, 4u);
  EXPECT_NE(status.error().message.find("r2 holds the context on one path"), std::string::npos)
      << status.error().message;
}

TEST(CtxRewriteTest, RefusesUnknownFieldsAndWrites) {
  Result<void> status;
  rewrite_xdp("ldxw %r0, [%r1+40]\nexit", &status);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().insn, 0u);
  rewrite_xdp("stw [%r1+0], 1\nmov %r0, 0\nexit", &status);
  ASSERT_FALSE(status.ok());
  rewrite_xdp("ldxh %r0, [%r1+0]\nexit", &status);  // half of a packet pointer
  ASSERT_FALSE(status.ok());
  rewrite_xdp("mov %r2, %r1\nadd %r2, %r3\nldxw %r0, [%r2+0]\nexit", &status);
  ASSERT_FALSE(status.ok());
}

TEST(CtxRewriteTest, MemProgramsUntouched) {
  auto insns = assemble("ldxw %r0, [%r1+0]\nexit");
  ASSERT_TRUE(insns.ok());
  auto before = *insns;
  ASSERT_TRUE(rewrite_ctx_accesses(*insns, mem_program_type()).ok());
  EXPECT_EQ((*insns)[0].op, before[0].op);
  EXPECT_EQ((*insns)[0].off, before[0].off);
}

}  // namespace
}  // namespace bpfjit
