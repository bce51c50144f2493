// The eBPF instruction set as bpfjit sees it after decoding (RFC 9669).
//
// The raw encoding is read exactly once, by decode() in decode.h. Every later consumer
// (interpreter, JIT, verifier, disassembler) switches on Op, which opcodes.def defines
// together with each instruction's form, operation and width.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace bpfjit {

// Registers r0..r10; r10 is the read-only frame pointer.
inline constexpr uint8_t kNumRegs = 11;
inline constexpr uint8_t kFramePointer = 10;
// Each bpf-to-bpf call frame owns this much stack below its r10.
inline constexpr uint32_t kStackFrameSize = 512;
// Frames in one call chain, the main program's included (the kernel's limit is 8).
inline constexpr uint32_t kMaxCallDepth = 8;
// The raw encoding of one slot.
inline constexpr uint32_t kSlotSize = 8;

// Which fields an instruction uses; all other fields must be zero.
enum class Form : uint8_t {
  kAluImm,     // dst op= imm
  kAluReg,     // dst op= src
  kNeg,        // dst = -dst
  kMovSx,      // dst = sign-extended src (source width in off)
  kEndian,     // byte-order conversion of dst, width in imm
  kLddw,       // dst = 64-bit imm (two slots), src says how imm is read
  kLdx,        // dst = *(size *)(src + off)
  kLdxSx,      // dst = sign-extended *(size *)(src + off)
  kSt,         // *(size *)(dst + off) = imm
  kStx,        // *(size *)(dst + off) = src
  kAtomic,     // atomic read-modify-write of *(size *)(dst + off) with src
  kLdAbs,      // legacy packet load at imm
  kLdInd,      // legacy packet load at src + imm
  kJa,         // pc += off
  kJa32,       // pc += imm (gotol)
  kJmpImm,     // if (dst cond imm) pc += off
  kJmpReg,     // if (dst cond src) pc += off
  kCall,       // helper call by static id in imm
  kCallLocal,  // bpf-to-bpf call, pc += imm
  kCallBtf,    // helper (kfunc) call by BTF id in imm
  kCallx,      // helper call through the id held in register dst
  kExit,       // return r0
};

// How several instructions that share an opcode byte are told apart.
enum class Sel : uint8_t { kNone, kOff, kImm, kSrc };

enum class Group : uint8_t {
  kBase32, kBase64, kDivMul32, kDivMul64, kAtomic32, kAtomic64, kPacket, kCallx,
};

enum class AluOp : uint8_t {
  kAdd, kSub, kMul, kDiv, kSDiv, kOr, kAnd, kLsh, kRsh, kMod, kSMod, kXor, kMov, kArsh,
};

enum class JmpCond : uint8_t {
  kEq, kGt, kGe, kSet, kNe, kSgt, kSge, kLt, kLe, kSlt, kSle,
};

enum class AtomicOp : uint8_t {
  kAdd, kOr, kAnd, kXor, kFetchAdd, kFetchOr, kFetchAnd, kFetchXor, kXchg, kCmpXchg,
};

enum class EndianOp : uint8_t { kLe, kBe, kSwap };

// RFC 9669 section 5.4: how the imm of a 64-bit immediate load is to be read.
enum class LddwKind : uint8_t {
  kImm64, kMapFd, kMapValue, kVariable, kCode, kMapIdx, kMapIdxValue,
};

enum class Op : uint8_t {
#define X(name, ...) k##name,
#include "runtime/isa/opcodes.def"
  BPFJIT_OPCODES(X)
#undef X
  // The second slot of a 64-bit immediate load; never executed, never a jump target.
  kLddwHigh,
};

inline constexpr size_t kNumOps = static_cast<size_t>(Op::kLddwHigh) + 1;

// Static facts about one Op, generated from opcodes.def.
struct OpInfo {
  std::string_view name;      // the enumerator's name, e.g. "Add64Imm"
  std::string_view mnemonic;  // e.g. "add", "ldxw", "fetch add32"
  uint8_t opcode;
  Form form;
  Sel sel;
  int32_t selval;
  uint8_t sub;    // AluOp / JmpCond / AtomicOp / EndianOp / LddwKind, by form
  uint8_t width;  // bits
  Group group;
  uint8_t cpu;    // first -mcpu level
};

const OpInfo& op_info(Op op);

inline Form form_of(Op op) { return op_info(op).form; }
// A jump of either kind (ja, ja32, or a conditional jump), whose target() is a slot.
inline bool is_jump(Form f) {
  return f == Form::kJa || f == Form::kJa32 || f == Form::kJmpImm || f == Form::kJmpReg;
}
inline AluOp alu_op(Op op) { return static_cast<AluOp>(op_info(op).sub); }
inline JmpCond jmp_cond(Op op) { return static_cast<JmpCond>(op_info(op).sub); }
inline AtomicOp atomic_op(Op op) { return static_cast<AtomicOp>(op_info(op).sub); }
inline EndianOp endian_op(Op op) { return static_cast<EndianOp>(op_info(op).sub); }
inline LddwKind lddw_kind(Op op) { return static_cast<LddwKind>(op_info(op).sub); }
// Memory access size in bytes for loads, stores and atomics.
inline uint32_t access_size(Op op) { return op_info(op).width / 8; }

const char* group_name(Group g);

// One decoded instruction. Programs are indexed by slot, as the encoding is: an lddw
// takes two slots, the second holding Op::kLddwHigh.
struct Insn {
  Op op = Op::kExit;
  uint8_t dst = 0;
  uint8_t src = 0;
  int16_t off = 0;
  int32_t imm = 0;
  // For lddw: the full 64-bit immediate. For jumps and local calls: the absolute slot
  // index of the target. Otherwise zero.
  uint64_t imm64 = 0;

  uint32_t target() const { return static_cast<uint32_t>(imm64); }
};

// A raw instruction slot as it is encoded (little-endian, RFC 9669 section 3).
struct RawInsn {
  uint8_t opcode;
  uint8_t regs;  // dst in the low nibble, src in the high nibble
  int16_t off;
  int32_t imm;

  uint8_t dst() const { return regs & 0x0f; }
  uint8_t src() const { return regs >> 4; }
};
static_assert(sizeof(RawInsn) == 8);

// Encodes decoded instructions back to raw slots (the inverse of decode()).
std::vector<RawInsn> encode(const std::vector<Insn>& insns);

}  // namespace bpfjit
