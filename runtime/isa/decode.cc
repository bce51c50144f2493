// Decoding: raw slots to Insn, with every structural check of RFC 9669 that does not need
// data-flow analysis. Data-flow checks (types, bounds, termination) belong to verifier/.
#include "runtime/isa/decode.h"

#include <fmt/format.h>

#include <array>
#include <cstring>

namespace bpfjit {

namespace {

// Which of the four fields a form reads. Fields it does not read must be zero, except the
// one that selects between instructions sharing an opcode byte.
struct FieldUse {
  bool dst, src, off, imm;
};

FieldUse fields_of(Form f) {
  switch (f) {
    case Form::kAluImm: return {true, false, false, true};
    case Form::kAluReg: return {true, true, false, false};
    case Form::kNeg: return {true, false, false, false};
    case Form::kMovSx: return {true, true, false, false};
    case Form::kEndian: return {true, false, false, false};
    case Form::kLddw: return {true, false, false, true};
    case Form::kLdx: return {true, true, true, false};
    case Form::kLdxSx: return {true, true, true, false};
    case Form::kSt: return {true, false, true, true};
    case Form::kStx: return {true, true, true, false};
    case Form::kAtomic: return {true, true, true, false};
    case Form::kLdAbs: return {false, false, false, true};
    case Form::kLdInd: return {false, true, false, true};
    case Form::kJa: return {false, false, true, false};
    case Form::kJa32: return {false, false, false, true};
    case Form::kJmpImm: return {true, false, true, true};
    case Form::kJmpReg: return {true, true, true, false};
    case Form::kCall: return {false, false, false, true};
    case Form::kCallLocal: return {false, false, false, true};
    case Form::kCallBtf: return {false, false, true, true};  // off: the BTF object's fd index
    case Form::kCallx: return {true, false, false, false};
    case Form::kExit: return {false, false, false, false};
  }
  return {false, false, false, false};
}

// Candidate Ops for each opcode byte, built once from the table.
struct OpcodeIndex {
  std::array<std::array<Op, 16>, 256> ops{};  // at most 10 share a byte (atomics)
  std::array<uint8_t, 256> count{};

  OpcodeIndex() {
    for (size_t i = 0; i + 1 < kNumOps; ++i) {
      Op op = static_cast<Op>(i);
      uint8_t opc = op_info(op).opcode;
      ops[opc][count[opc]++] = op;
    }
  }
};

const OpcodeIndex& opcode_index() {
  static const OpcodeIndex index;
  return index;
}

int32_t selector_value(Sel sel, const RawInsn& r) {
  switch (sel) {
    case Sel::kNone: return 0;
    case Sel::kOff: return r.off;
    case Sel::kImm: return r.imm;
    case Sel::kSrc: return r.src();
  }
  return 0;
}

const char* selector_field(Sel sel) {
  switch (sel) {
    case Sel::kNone: return "";
    case Sel::kOff: return "off";
    case Sel::kImm: return "imm";
    case Sel::kSrc: return "src";
  }
  return "";
}

Diagnostic decode_error(uint32_t pc, std::string msg) {
  return make_error(ErrorCode::kDecode, pc, std::move(msg));
}

// Picks the Op for one raw slot, or explains why there is none.
Result<Op> lookup(const RawInsn& r, uint32_t pc) {
  const OpcodeIndex& index = opcode_index();
  uint8_t n = index.count[r.opcode];
  if (n == 0) return decode_error(pc, fmt::format("unknown opcode 0x{:02x}", r.opcode));
  for (uint8_t i = 0; i < n; ++i) {
    Op op = index.ops[r.opcode][i];
    const OpInfo& info = op_info(op);
    if (info.sel == Sel::kNone || selector_value(info.sel, r) == info.selval) return op;
  }
  // Every candidate selects on the same field; list the values it may hold.
  const OpInfo& first = op_info(index.ops[r.opcode][0]);
  std::string allowed;
  for (uint8_t i = 0; i < n; ++i) {
    if (i) allowed += ", ";
    allowed += std::to_string(op_info(index.ops[r.opcode][i]).selval);
  }
  return decode_error(pc, fmt::format("opcode 0x{:02x} ({}): {} is {}, must be {}", r.opcode,
                                      first.mnemonic, selector_field(first.sel),
                                      selector_value(first.sel, r),
                                      n == 1 ? allowed : "one of " + allowed));
}

bool is_jump_form(Form f) {
  return f == Form::kJa || f == Form::kJa32 || f == Form::kJmpImm || f == Form::kJmpReg ||
         f == Form::kCallLocal;
}

// Relative displacement of a jump or local call, in slots from the next instruction.
int64_t displacement(const Insn& in) {
  Form f = form_of(in.op);
  if (f == Form::kJa32 || f == Form::kCallLocal) return in.imm;
  return in.off;
}

Result<void> check_insn_fields(const Insn& in, uint32_t pc, const DecodeOptions& opts) {
  const OpInfo& info = op_info(in.op);
  if (info.cpu > opts.max_cpu) {
    return decode_error(pc, fmt::format("{} needs -mcpu=v{}, the limit is v{}",
                                        info.mnemonic, info.cpu, opts.max_cpu));
  }
  if (info.form == Form::kLdAbs || info.form == Form::kLdInd) {
    if (!opts.allow_packet_loads) {
      return decode_error(pc, fmt::format("legacy packet load {} is not allowed here",
                                          info.mnemonic));
    }
  }
  if (info.form == Form::kLddw && in.op != Op::kLddw && !opts.allow_pseudo_lddw) {
    return decode_error(pc, fmt::format("lddw with src {} (a pseudo value) is not allowed here",
                                        in.src));
  }
  FieldUse use = fields_of(info.form);
  auto must_be_zero = [&](const char* field, int64_t value) -> Result<void> {
    return decode_error(pc, fmt::format("{} (opcode 0x{:02x}): {} must be 0, is {}",
                                        info.mnemonic, info.opcode, field, value));
  };
  if (!use.dst && in.dst != 0) return must_be_zero("dst", in.dst);
  if (!use.src && info.sel != Sel::kSrc && in.src != 0) return must_be_zero("src", in.src);
  if (!use.off && info.sel != Sel::kOff && in.off != 0) return must_be_zero("off", in.off);
  if (!use.imm && info.sel != Sel::kImm && in.imm != 0) return must_be_zero("imm", in.imm);
  if (use.dst && in.dst >= kNumRegs) {
    return decode_error(pc, fmt::format("dst register r{} does not exist", in.dst));
  }
  if (use.src && in.src >= kNumRegs) {
    return decode_error(pc, fmt::format("src register r{} does not exist", in.src));
  }
  if (!opts.allow_r10_writes && writes_register(in, kFramePointer)) {
    return decode_error(pc, fmt::format("{} writes r10, which is read-only", info.mnemonic));
  }
  return {};
}

}  // namespace

bool writes_register(const Insn& in, uint8_t reg) {
  switch (form_of(in.op)) {
    case Form::kAluImm:
    case Form::kAluReg:
    case Form::kNeg:
    case Form::kMovSx:
    case Form::kEndian:
    case Form::kLddw:
    case Form::kLdx:
    case Form::kLdxSx:
      return in.op != Op::kLddwHigh && in.dst == reg;
    case Form::kAtomic:
      switch (atomic_op(in.op)) {
        case AtomicOp::kAdd:
        case AtomicOp::kOr:
        case AtomicOp::kAnd:
        case AtomicOp::kXor:
          return false;
        case AtomicOp::kFetchAdd:
        case AtomicOp::kFetchOr:
        case AtomicOp::kFetchAnd:
        case AtomicOp::kFetchXor:
        case AtomicOp::kXchg:
          return in.src == reg;
        case AtomicOp::kCmpXchg:
          return reg == 0;
      }
      return false;
    case Form::kLdAbs:
    case Form::kLdInd:
      return reg == 0;
    case Form::kCall:
    case Form::kCallLocal:
    case Form::kCallBtf:
    case Form::kCallx:
      return reg <= 5;
    case Form::kSt:
    case Form::kStx:
    case Form::kJa:
    case Form::kJa32:
    case Form::kJmpImm:
    case Form::kJmpReg:
    case Form::kExit:
      return false;
  }
  return false;
}

Result<void> validate(const std::vector<Insn>& insns, const DecodeOptions& opts) {
  const size_t n = insns.size();
  if (n == 0) return make_error(ErrorCode::kDecode, "the program is empty");
  if (n > kMaxProgramSlots) {
    return make_error(ErrorCode::kDecode, fmt::format("the program has {} slots, the limit is {}",
                                                      n, kMaxProgramSlots));
  }
  uint32_t last_real = 0;
  for (uint32_t pc = 0; pc < n; ++pc) {
    const Insn& in = insns[pc];
    if (in.op == Op::kLddwHigh) {
      if (pc == 0 || form_of(insns[pc - 1].op) != Form::kLddw ||
          insns[pc - 1].op == Op::kLddwHigh) {
        return decode_error(pc, "second half of an lddw without its first half");
      }
      continue;
    }
    last_real = pc;
    if (auto r = check_insn_fields(in, pc, opts); !r) return r;
    Form f = form_of(in.op);
    if (f == Form::kLddw) {
      if (pc + 1 >= n || insns[pc + 1].op != Op::kLddwHigh) {
        return decode_error(pc, "lddw is truncated: its second slot is missing");
      }
    }
    if (is_jump_form(f)) {
      int64_t target = static_cast<int64_t>(pc) + 1 + displacement(in);
      const char* what = f == Form::kCallLocal ? "call" : "jump";
      if (target < 0 || target >= static_cast<int64_t>(n)) {
        return decode_error(pc, fmt::format("{} to {} is out of range (the program has {} slots)",
                                            what, target, n));
      }
      if (insns[target].op == Op::kLddwHigh) {
        return decode_error(pc, fmt::format("{} to {} lands in the second slot of an lddw", what,
                                            target));
      }
      if (in.target() != static_cast<uint64_t>(target)) {
        return decode_error(pc, fmt::format("{} target is {}, its offset says {}", what,
                                            in.target(), target));
      }
    }
  }
  Form last = form_of(insns[last_real].op);
  if (last != Form::kExit && last != Form::kJa && last != Form::kJa32) {
    return decode_error(last_real,
                        fmt::format("the last instruction ({}) can fall off the end of the program",
                                    op_info(insns[last_real].op).mnemonic));
  }
  return {};
}

Result<std::vector<Insn>> decode(std::span<const RawInsn> raw, const DecodeOptions& opts) {
  const size_t n = raw.size();
  if (n == 0) return make_error(ErrorCode::kDecode, "the program is empty");
  if (n > kMaxProgramSlots) {
    return make_error(ErrorCode::kDecode, fmt::format("the program has {} slots, the limit is {}",
                                                      n, kMaxProgramSlots));
  }
  std::vector<Insn> insns(n);
  for (uint32_t pc = 0; pc < n; ++pc) {
    const RawInsn& r = raw[pc];
    auto op = lookup(r, pc);
    if (!op) return op.take_error();
    Insn& in = insns[pc];
    in.op = *op;
    in.dst = r.dst();
    in.src = r.src();
    in.off = r.off;
    in.imm = r.imm;
    Form f = form_of(in.op);
    if (f == Form::kLddw) {
      if (pc + 1 >= n) return decode_error(pc, "lddw is truncated: its second slot is missing");
      const RawInsn& hi = raw[pc + 1];
      if (hi.opcode != 0 || hi.regs != 0 || hi.off != 0) {
        return decode_error(pc + 1, fmt::format("second slot of lddw must hold only imm, has "
                                                "opcode 0x{:02x} regs 0x{:02x} off {}",
                                                hi.opcode, hi.regs, hi.off));
      }
      in.imm64 = (static_cast<uint64_t>(static_cast<uint32_t>(hi.imm)) << 32) |
                 static_cast<uint32_t>(r.imm);
      Insn& high = insns[pc + 1];
      high.op = Op::kLddwHigh;
      high.imm = hi.imm;
      high.imm64 = in.imm64;
      ++pc;
      continue;
    }
    if (is_jump_form(f)) {
      in.imm64 = static_cast<uint64_t>(static_cast<int64_t>(pc) + 1 + displacement(in));
    }
  }
  if (auto v = validate(insns, opts); !v) return v.take_error();
  return insns;
}

Result<std::vector<Insn>> decode_bytes(std::span<const uint8_t> bytes, const DecodeOptions& opts) {
  if (bytes.size() % kSlotSize != 0) {
    return make_error(ErrorCode::kDecode,
                      fmt::format("the program is {} bytes, not a multiple of 8", bytes.size()));
  }
  std::vector<RawInsn> raw(bytes.size() / kSlotSize);
  if (!raw.empty()) std::memcpy(raw.data(), bytes.data(), bytes.size());
  return decode(raw, opts);
}

}  // namespace bpfjit
