// PrepareOptions::harden through the runtime API: objects built by clang prepare and run
// with constant blinding, verified and checked, with the results of the plain JIT, and
// their distinctive immediates (FNV constants, masks, bounds) are in the plain code and
// not in the hardened one (test/jit/jit_harden_test.cc scans every instruction class).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "bpfjit/runtime.h"
#include "jit/jit.h"
#include "runtime/api_internal.h"
#include "test/loader/loader_util.h"

namespace bpfjit {
namespace {

using testing::prog_path;

std::vector<uint8_t> le(uint64_t v, size_t n) {
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
  return out;
}

// A 4-byte pattern is worth looking for when it has at least three different bytes: a
// value like 0x00000100 or 0xffffffff occurs in code for other reasons.
bool distinctive(const std::vector<uint8_t>& p) {
  return std::set<uint8_t>(p.begin(), p.end()).size() >= 3;
}

// The program's immediates that the plain JIT writes into the code as they are. Left out:
// lddw of maps and global data, which the loader made addresses (blinded too, but their
// high half is also that of the helpers' addresses, which the code calls).
std::set<std::vector<uint8_t>> immediates(const LoadedProgram& prog) {
  std::set<uint32_t> refs;
  for (const LddwRef& r : prog.lddw_refs) refs.insert(r.slot);
  std::set<std::vector<uint8_t>> out;
  auto add = [&](std::vector<uint8_t> p) {
    if (distinctive(p)) out.insert(std::move(p));
  };
  for (size_t slot = 0; slot < prog.insns.size(); ++slot) {
    const Insn& in = prog.insns[slot];
    switch (form_of(in.op)) {
      case Form::kAluImm:
        switch (alu_op(in.op)) {
          case AluOp::kAdd:
          case AluOp::kSub:
          case AluOp::kOr:
          case AluOp::kAnd:
          case AluOp::kXor:
          case AluOp::kMul:
          case AluOp::kMov: add(le(static_cast<uint32_t>(in.imm), 4)); break;
          case AluOp::kLsh:
          case AluOp::kRsh:
          case AluOp::kArsh:
          case AluOp::kDiv:
          case AluOp::kSDiv:
          case AluOp::kMod:
          case AluOp::kSMod: break;  // shift counts, and divisors that may become shifts
        }
        break;
      case Form::kJmpImm:
        add(le(static_cast<uint32_t>(in.imm), 4));
        break;
      case Form::kLddw:
        if (in.op == Op::kLddwHigh || refs.count(static_cast<uint32_t>(slot)) != 0) break;
        add(le(in.imm64, 4));
        add(le(in.imm64 >> 32, 4));
        break;
      default:
        break;
    }
  }
  return out;
}

bool contains(std::span<const uint8_t> code, const std::vector<uint8_t>& p) {
  return std::search(code.begin(), code.end(), p.begin(), p.end()) != code.end();
}

std::span<const uint8_t> code_of(const Program& p) {
  const Executable* exe = ProgramAccess::executable(p);
  return exe == nullptr ? std::span<const uint8_t>() : jit_code(*exe);
}

TEST(HardenApiTest, HardenedObjectsRunAlikeAndHideTheirImmediates) {
  std::vector<uint8_t> digits = {'1', '2', '3', '4', '5', '6', '7', '8', '9', '0', 'a', 'b'};
  size_t scanned = 0;
  for (const char* file : {"crc32.v3.o", "crc32.v4.o", "call_chain.v3.o", "loops.v4.o",
                           "real_loops.v4.o"}) {
    for (Safety safety : {Safety::kVerified, Safety::kChecked}) {
      Runtime rt;
      auto plain_obj = rt.load_file(prog_path(file));
      auto hard_obj = rt.load_file(prog_path(file));
      auto again_obj = rt.load_file(prog_path(file));
      ASSERT_TRUE(plain_obj.ok() && hard_obj.ok() && again_obj.ok()) << file;
      PrepareOptions plain_opts;
      plain_opts.engine = EngineKind::kJit;
      plain_opts.safety = safety;
      plain_opts.mem_size = digits.size();
      PrepareOptions hard_opts = plain_opts;
      hard_opts.harden = true;
      for (Program* plain : (*plain_obj)->programs()) {
        SCOPED_TRACE(std::string(file) + " " + plain->name());
        if (plain->type().name != "mem") continue;
        Program* hard = (*hard_obj)->program(plain->name());
        Program* again = (*again_obj)->program(plain->name());
        auto r = plain->prepare(plain_opts);
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        ASSERT_TRUE(hard->prepare(hard_opts).ok());
        ASSERT_TRUE(again->prepare(hard_opts).ok());
        auto x = digits, y = digits;
        auto rx = plain->run(x), ry = hard->run(y);
        ASSERT_TRUE(rx.ok() && ry.ok());
        EXPECT_EQ(*rx, *ry);
        EXPECT_EQ(x, y);
        ASSERT_FALSE(code_of(*plain).empty());
        for (const auto& imm : immediates(ProgramAccess::loaded(*plain))) {
          ++scanned;
          EXPECT_TRUE(contains(code_of(*plain), imm)) << ::testing::PrintToString(imm);
          // A blinded value could line up with the pattern by chance; a leak shows twice.
          EXPECT_FALSE(contains(code_of(*hard), imm) && contains(code_of(*again), imm))
              << ::testing::PrintToString(imm);
        }
      }
    }
  }
  EXPECT_GE(scanned, 8u);
}

}  // namespace
}  // namespace bpfjit
