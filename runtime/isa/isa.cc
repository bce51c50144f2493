#include "runtime/isa/isa.h"

#include <cstring>

#include "runtime/isa/result.h"

namespace bpfjit {

namespace {

constexpr OpInfo kOpInfo[kNumOps] = {
#define X(name, opcode, form, sel, selval, sub, width, mnemonic, group, cpu) \
  OpInfo{#name, mnemonic, opcode, form, sel, selval, static_cast<uint8_t>(sub), width, group, cpu},
#include "runtime/isa/opcodes.def"
    BPFJIT_OPCODES(X)
#undef X
        OpInfo{"LddwHigh", "", 0, Form::kLddw, Sel::kNone, 0, 0, 64, Group::kBase64, 1},
};

}  // namespace

const OpInfo& op_info(Op op) { return kOpInfo[static_cast<size_t>(op)]; }

const char* group_name(Group g) {
  switch (g) {
    case Group::kBase32: return "base32";
    case Group::kBase64: return "base64";
    case Group::kDivMul32: return "divmul32";
    case Group::kDivMul64: return "divmul64";
    case Group::kAtomic32: return "atomic32";
    case Group::kAtomic64: return "atomic64";
    case Group::kPacket: return "packet";
    case Group::kCallx: return "callx";
  }
  return "?";
}

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kDecode: return "decode error";
    case ErrorCode::kAssemble: return "assembler error";
    case ErrorCode::kLoad: return "load error";
    case ErrorCode::kVerify: return "verifier error";
    case ErrorCode::kJit: return "jit error";
    case ErrorCode::kRuntime: return "runtime error";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kExists: return "already exists";
    case ErrorCode::kNoSpace: return "no space";
  }
  return "error";
}

std::string Diagnostic::to_string() const {
  if (insn == kNoInsn) return message;
  return "insn " + std::to_string(insn) + ": " + message;
}

std::vector<RawInsn> encode(const std::vector<Insn>& insns) {
  std::vector<RawInsn> out;
  out.reserve(insns.size());
  for (size_t i = 0; i < insns.size(); ++i) {
    const Insn& in = insns[i];
    if (in.op == Op::kLddwHigh) {
      // Written together with its first slot below; only reached for a stray high slot.
      out.push_back(RawInsn{0, 0, 0, static_cast<int32_t>(in.imm64 >> 32)});
      continue;
    }
    const OpInfo& info = op_info(in.op);
    RawInsn r{info.opcode, static_cast<uint8_t>((in.src << 4) | (in.dst & 0x0f)), in.off,
              in.imm};
    if (info.form == Form::kLddw) {
      r.imm = static_cast<int32_t>(static_cast<uint32_t>(in.imm64));
      out.push_back(r);
      out.push_back(RawInsn{0, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(in.imm64 >> 32))});
      if (i + 1 < insns.size() && insns[i + 1].op == Op::kLddwHigh) ++i;
      continue;
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace bpfjit

// --- machine.h ------------------------------------------------------------------------------
#include <fmt/format.h>

#include "runtime/isa/machine.h"

namespace bpfjit {

const char* trap_kind_name(TrapKind kind) {
  switch (kind) {
    case TrapKind::kNone: return "none";
    case TrapKind::kMemory: return "memory access violation";
    case TrapKind::kBudget: return "instruction budget exhausted";
    case TrapKind::kCallDepth: return "call depth limit exceeded";
    case TrapKind::kBadHelper: return "call to an unknown helper";
    case TrapKind::kUnsupported: return "unsupported instruction";
    case TrapKind::kHelperFault: return "helper fault";
    case TrapKind::kNoStack: return "no stack for the run: mapping it failed (out of memory)";
  }
  return "trap";
}

std::string Trap::what() const {
  switch (kind) {
    case TrapKind::kMemory:
      return fmt::format("{} of {} bytes at 0x{:x} is outside every allowed region",
                         write ? "store" : "load", size, addr);
    case TrapKind::kBadHelper:
      return fmt::format("call to helper {}, which is not in the helper table", addr);
    case TrapKind::kBudget:
      return "instruction budget exhausted";
    case TrapKind::kCallDepth:
      return fmt::format("call depth exceeds {} frames", kMaxCallDepth);
    case TrapKind::kNone:
    case TrapKind::kUnsupported:
    case TrapKind::kHelperFault:
    case TrapKind::kNoStack:
      break;
  }
  return trap_kind_name(kind);
}

std::string Trap::to_string() const { return fmt::format("insn {}: {}", insn, what()); }

}  // namespace bpfjit
