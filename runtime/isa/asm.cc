// The assembler: text -> Insn, two passes (parse every line, then resolve jump targets),
// then the same validation decode() applies. The syntax is described in asm.h.
#include "runtime/isa/asm.h"

#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>

#include "runtime/isa/decode.h"

namespace bpfjit {

namespace {

// Splits one line into tokens: whitespace and commas separate, `#` ends the line, and the
// inside of [...] is kept as one token with its spaces removed.
std::vector<std::string> tokenize(std::string_view line) {
  if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
  std::vector<std::string> out;
  std::string cur;
  bool in_brackets = false;
  for (char c : line) {
    bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
    if (in_brackets) {
      if (!space) cur += c;
      if (c == ']') in_brackets = false;
      continue;
    }
    if (space || c == ',') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    if (c == '[') in_brackets = true;
    cur += c;
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// A literal as written: sign, base and magnitude; range checks come later.
struct Number {
  bool neg = false;
  bool hex = false;
  uint64_t mag = 0;
};

std::optional<Number> parse_number(std::string_view s) {
  Number n;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    n.neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    n.hex = true;
    s.remove_prefix(2);
  }
  if (s.empty()) return std::nullopt;
  const uint64_t base = n.hex ? 16 : 10;
  for (char c : s) {
    uint64_t d;
    if (c >= '0' && c <= '9') {
      d = static_cast<uint64_t>(c - '0');
    } else if (n.hex && c >= 'a' && c <= 'f') {
      d = static_cast<uint64_t>(c - 'a' + 10);
    } else if (n.hex && c >= 'A' && c <= 'F') {
      d = static_cast<uint64_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    if (n.mag > (UINT64_MAX - d) / base) return std::nullopt;
    n.mag = n.mag * base + d;
  }
  if (n.neg && n.mag == 0) n.neg = false;
  return n;
}

// A signed field of `bits` bits: decimal in the signed range, hex up to the unsigned
// maximum (kept as that bit pattern), negative numbers down to the signed minimum.
std::optional<int64_t> fit_signed(const Number& n, unsigned bits) {
  const uint64_t min_mag = uint64_t{1} << (bits - 1);
  if (n.neg) {
    if (n.mag > min_mag) return std::nullopt;
    return -static_cast<int64_t>(n.mag);
  }
  if (n.hex) {
    if (n.mag > (uint64_t{1} << bits) - 1) return std::nullopt;
    if (n.mag >= min_mag) return static_cast<int64_t>(n.mag) - static_cast<int64_t>(min_mag << 1);
    return static_cast<int64_t>(n.mag);
  }
  if (n.mag > min_mag - 1) return std::nullopt;
  return static_cast<int64_t>(n.mag);
}

const char* const kLddwKinds[] = {"", "map_fd", "map_value", "variable", "code", "map_idx",
                                  "map_idx_value"};

// Mnemonic -> candidate Ops, built once from the opcode table. Atomics, lddw and the call
// family have their own syntax and are looked up separately.
struct Mnemonics {
  std::unordered_map<std::string, std::vector<Op>> plain;
  std::unordered_map<std::string, Op> atomic;
  std::array<Op, 7> lddw{};

  Mnemonics() {
    for (size_t i = 0; i + 1 < kNumOps; ++i) {
      Op op = static_cast<Op>(i);
      const OpInfo& info = op_info(op);
      switch (info.form) {
        case Form::kAtomic:
          atomic.emplace(std::string(info.mnemonic), op);
          break;
        case Form::kLddw:
          lddw[static_cast<size_t>(info.selval)] = op;
          break;
        case Form::kCall:
        case Form::kCallLocal:
        case Form::kCallBtf:
          break;
        case Form::kAluImm:
        case Form::kAluReg:
        case Form::kNeg:
        case Form::kMovSx:
        case Form::kEndian:
        case Form::kLdx:
        case Form::kLdxSx:
        case Form::kSt:
        case Form::kStx:
        case Form::kLdAbs:
        case Form::kLdInd:
        case Form::kJa:
        case Form::kJa32:
        case Form::kJmpImm:
        case Form::kJmpReg:
        case Form::kCallx:
        case Form::kExit:
          plain[std::string(info.mnemonic)].push_back(op);
          break;
      }
    }
  }
};

const Mnemonics& mnemonics() {
  static const Mnemonics m;
  return m;
}

bool is_reg_token(const std::string& t) { return !t.empty() && t[0] == '%'; }

class Assembler {
 public:
  Result<std::vector<Insn>> run(std::string_view text, const DecodeOptions& opts);

 private:
  struct Slot {
    Insn insn;
    uint32_t line = 0;
    std::string target;  // label or +N/-N, resolved in the second pass
  };

  Diagnostic error(std::string msg) const {
    return make_error(ErrorCode::kAssemble, fmt::format("line {}: {}", line_, msg));
  }

  Result<void> parse_line(const std::vector<std::string>& tokens);
  Result<void> parse_operands(Op op, const std::vector<std::string>& ops, size_t first);
  Result<void> parse_lddw(const std::vector<std::string>& ops, size_t first);
  Result<void> resolve(uint32_t pc);

  Result<uint8_t> reg(const std::string& t) const;
  Result<int32_t> imm(const std::string& t) const;
  Result<int16_t> off(const std::string& t) const;
  Result<void> mem(const std::string& t, uint8_t& base, int16_t& disp) const;
  Result<void> target(const std::string& t) const;
  Result<void> count(std::string_view what, size_t have, size_t lo, size_t hi) const;

  std::vector<Slot> slots_;
  std::unordered_map<std::string, uint32_t> labels_;
  std::optional<uint32_t> first_exit_;
  uint32_t line_ = 0;
};

Result<uint8_t> Assembler::reg(const std::string& t) const {
  if (t.size() < 3 || t[0] != '%' || t[1] != 'r') {
    return error(fmt::format("expected a register, got '{}'", t));
  }
  auto n = parse_number(std::string_view(t).substr(2));
  if (!n || n->neg || n->hex || t[2] == '+') {
    return error(fmt::format("expected a register, got '{}'", t));
  }
  if (n->mag >= kNumRegs) return error(fmt::format("register {} does not exist", t));
  return static_cast<uint8_t>(n->mag);
}

Result<int32_t> Assembler::imm(const std::string& t) const {
  auto n = parse_number(t);
  if (!n) return error(fmt::format("expected an immediate, got '{}'", t));
  auto v = fit_signed(*n, 32);
  if (!v) return error(fmt::format("immediate {} does not fit in 32 bits", t));
  return static_cast<int32_t>(*v);
}

Result<int16_t> Assembler::off(const std::string& t) const {
  auto n = parse_number(t);
  if (!n) return error(fmt::format("expected an offset, got '{}'", t));
  auto v = fit_signed(*n, 16);
  if (!v) return error(fmt::format("offset {} does not fit in 16 bits", t));
  return static_cast<int16_t>(*v);
}

Result<void> Assembler::mem(const std::string& t, uint8_t& base, int16_t& disp) const {
  if (t.size() < 2 || t.front() != '[' || t.back() != ']') {
    return error(fmt::format("expected a memory operand [%rN+off], got '{}'", t));
  }
  std::string inner = t.substr(1, t.size() - 2);
  size_t sign = inner.find_first_of("+-");
  auto r = reg(inner.substr(0, sign));
  if (!r) return r.take_error();
  base = *r;
  disp = 0;
  if (sign == std::string::npos) return {};
  std::string o = inner.substr(inner[sign] == '+' ? sign + 1 : sign);
  if (o.empty() || o[0] == '+' || (o[0] == '-' && o.size() > 1 && o[1] == '-')) {
    return error(fmt::format("bad offset in memory operand '{}'", t));
  }
  auto d = off(o);
  if (!d) return d.take_error();
  disp = *d;
  return {};
}

// Checks the syntax of a target; the value is resolved once every label is known.
Result<void> Assembler::target(const std::string& t) const {
  if (t.empty()) return error("missing jump target");
  if (t[0] == '+' || t[0] == '-') {
    if (!parse_number(t)) return error(fmt::format("bad relative target '{}'", t));
    return {};
  }
  if (t[0] == '%' || (t[0] >= '0' && t[0] <= '9')) {
    return error(fmt::format("jump target '{}' must be a label or +N/-N", t));
  }
  return {};
}

Result<void> Assembler::count(std::string_view what, size_t have, size_t lo, size_t hi) const {
  if (have >= lo && have <= hi) return {};
  if (lo == hi) return error(fmt::format("{} takes {} operand{}, got {}", what, lo,
                                         lo == 1 ? "" : "s", have));
  return error(fmt::format("{} takes {} to {} operands, got {}", what, lo, hi, have));
}

// Fills the operand fields of `op` from ops[first..] and appends the slot.
Result<void> Assembler::parse_operands(Op op, const std::vector<std::string>& ops,
                                       size_t first) {
  const OpInfo& info = op_info(op);
  const size_t n = ops.size() - first;
  auto at = [&](size_t i) -> const std::string& { return ops[first + i]; };
  Slot slot;
  slot.line = line_;
  Insn& in = slot.insn;
  in.op = op;
  std::string what = info.form == Form::kAtomic ? "lock " + std::string(info.mnemonic)
                                                : std::string(info.mnemonic);
  auto set_reg = [&](uint8_t& field, const std::string& t) -> Result<void> {
    auto r = reg(t);
    if (!r) return r.take_error();
    field = *r;
    return {};
  };
  auto set_imm = [&](const std::string& t) -> Result<void> {
    auto v = imm(t);
    if (!v) return v.take_error();
    in.imm = *v;
    return {};
  };
  auto set_target = [&](const std::string& t) -> Result<void> {
    if (auto r = target(t); !r) return r;
    slot.target = t;
    return {};
  };
  Result<void> r;
  switch (info.form) {
    case Form::kAluImm:
      if (!(r = count(what, n, 2, 2)) || !(r = set_reg(in.dst, at(0)))) return r;
      r = set_imm(at(1));
      break;
    case Form::kAluReg:
    case Form::kMovSx:
      if (!(r = count(what, n, 2, 2)) || !(r = set_reg(in.dst, at(0)))) return r;
      r = set_reg(in.src, at(1));
      break;
    case Form::kNeg:
    case Form::kEndian:
    case Form::kCallx:
      if (!(r = count(what, n, 1, 1))) return r;
      r = set_reg(in.dst, at(0));
      break;
    case Form::kLdx:
    case Form::kLdxSx:
      if (!(r = count(what, n, 2, 2)) || !(r = set_reg(in.dst, at(0)))) return r;
      r = mem(at(1), in.src, in.off);
      break;
    case Form::kSt:
      if (!(r = count(what, n, 2, 2)) || !(r = mem(at(0), in.dst, in.off))) return r;
      r = set_imm(at(1));
      break;
    case Form::kStx:
    case Form::kAtomic:
      if (!(r = count(what, n, 2, 2)) || !(r = mem(at(0), in.dst, in.off))) return r;
      r = set_reg(in.src, at(1));
      break;
    case Form::kLdAbs:
    case Form::kCall:
      if (!(r = count(what, n, 1, 1))) return r;
      r = set_imm(at(0));
      break;
    case Form::kLdInd:
      if (!(r = count(what, n, 2, 2)) || !(r = set_reg(in.src, at(0)))) return r;
      r = set_imm(at(1));
      break;
    case Form::kCallBtf:
      if (!(r = count(what, n, 1, 2)) || !(r = set_imm(at(0)))) return r;
      if (n == 2) {
        auto o = off(at(1));
        if (!o) return o.take_error();
        in.off = *o;
      }
      break;
    case Form::kJa:
    case Form::kJa32:
    case Form::kCallLocal:
      if (!(r = count(what, n, 1, 1))) return r;
      r = set_target(at(0));
      break;
    case Form::kJmpImm:
      if (!(r = count(what, n, 3, 3)) || !(r = set_reg(in.dst, at(0))) || !(r = set_imm(at(1)))) {
        return r;
      }
      r = set_target(at(2));
      break;
    case Form::kJmpReg:
      if (!(r = count(what, n, 3, 3)) || !(r = set_reg(in.dst, at(0))) ||
          !(r = set_reg(in.src, at(1)))) {
        return r;
      }
      r = set_target(at(2));
      break;
    case Form::kExit:
      r = count(what, n, 0, 0);
      if (r && !first_exit_) first_exit_ = static_cast<uint32_t>(slots_.size());
      break;
    case Form::kLddw:
      return parse_lddw(ops, first);
  }
  if (!r) return r;
  switch (info.sel) {
    case Sel::kNone: break;
    case Sel::kOff: in.off = static_cast<int16_t>(info.selval); break;
    case Sel::kImm: in.imm = info.selval; break;
    case Sel::kSrc: in.src = static_cast<uint8_t>(info.selval); break;
  }
  slots_.push_back(std::move(slot));
  return {};
}

// lddw %dst, IMM64  |  lddw %dst, KIND A [B]
Result<void> Assembler::parse_lddw(const std::vector<std::string>& ops, size_t first) {
  const size_t n = ops.size() - first;
  auto at = [&](size_t i) -> const std::string& { return ops[first + i]; };
  if (auto r = count("lddw", n, 2, 4); !r) return r;
  Slot slot;
  slot.line = line_;
  Insn& in = slot.insn;
  auto d = reg(at(0));
  if (!d) return d.take_error();
  in.dst = *d;
  uint32_t lo = 0, hi = 0;
  size_t kind = 0;
  if (n == 2) {
    auto num = parse_number(at(1));
    if (!num) return error(fmt::format("expected a 64-bit immediate or a kind, got '{}'", at(1)));
    if (num->neg && num->mag > (uint64_t{1} << 63)) {
      return error(fmt::format("immediate {} does not fit in 64 bits", at(1)));
    }
    uint64_t v = num->neg ? 0 - num->mag : num->mag;
    lo = static_cast<uint32_t>(v);
    hi = static_cast<uint32_t>(v >> 32);
  } else {
    for (size_t k = 1; k < std::size(kLddwKinds); ++k) {
      if (at(1) == kLddwKinds[k]) kind = k;
    }
    if (kind == 0) {
      return error(fmt::format("unknown lddw kind '{}' (map_fd, map_value, variable, code, "
                               "map_idx, map_idx_value)", at(1)));
    }
    if (static_cast<LddwKind>(kind) == LddwKind::kCode) {
      if (auto r = target(at(2)); !r) return r;
      slot.target = at(2);
    } else {
      auto a = imm(at(2));
      if (!a) return a.take_error();
      lo = static_cast<uint32_t>(*a);
    }
    if (n == 4) {
      auto b = imm(at(3));
      if (!b) return b.take_error();
      hi = static_cast<uint32_t>(*b);
    }
  }
  in.op = mnemonics().lddw[kind];
  in.src = static_cast<uint8_t>(kind);
  in.imm = static_cast<int32_t>(lo);
  in.imm64 = (uint64_t{hi} << 32) | lo;
  Slot high;
  high.line = line_;
  high.insn.op = Op::kLddwHigh;
  high.insn.imm = static_cast<int32_t>(hi);
  high.insn.imm64 = in.imm64;
  slots_.push_back(std::move(slot));
  slots_.push_back(std::move(high));
  return {};
}

Result<void> Assembler::parse_line(const std::vector<std::string>& t) {
  const Mnemonics& m = mnemonics();
  const std::string& name = t[0];
  if (name == "lddw") return parse_lddw(t, 1);
  if (name == "lock") {
    size_t i = 1;
    bool fetch = i < t.size() && t[i] == "fetch";
    if (fetch) ++i;
    if (i >= t.size()) return error("lock needs an atomic operation");
    auto it = m.atomic.find(fetch ? "fetch " + t[i] : t[i]);
    if (it == m.atomic.end() && fetch) {
      // xchg and cmpxchg always fetch; `lock fetch xchg` says so twice.
      it = m.atomic.find(t[i]);
      if (it != m.atomic.end() && atomic_op(it->second) != AtomicOp::kXchg &&
          atomic_op(it->second) != AtomicOp::kCmpXchg) {
        it = m.atomic.end();
      }
    }
    if (it == m.atomic.end()) {
      return error(fmt::format("unknown atomic operation '{}{}'", fetch ? "fetch " : "", t[i]));
    }
    return parse_operands(it->second, t, i + 1);
  }
  if (name == "call") {
    if (t.size() < 2) return error("call takes a helper id, 'local', 'runtime' or a register");
    if (t[1] == "local") return parse_operands(Op::kCallLocal, t, 2);
    if (t[1] == "runtime") return parse_operands(Op::kCallBtf, t, 2);
    size_t i = t[1] == "helper" ? 2 : 1;
    if (i < t.size() && is_reg_token(t[i])) return parse_operands(Op::kCallx, t, i);
    return parse_operands(Op::kCall, t, i);
  }
  auto it = m.plain.find(name);
  if (it == m.plain.end() && name.starts_with("swap")) it = m.plain.find("b" + name);
  if (it == m.plain.end() && name.size() > 2 && name.ends_with("64")) {
    // `add64` = `add`: only for the ALU mnemonics whose bare form is 64-bit.
    it = m.plain.find(name.substr(0, name.size() - 2));
    if (it != m.plain.end()) {
      Form f = form_of(it->second.front());
      if (f != Form::kAluImm && f != Form::kAluReg && f != Form::kNeg) it = m.plain.end();
    }
  }
  if (it == m.plain.end()) return error(fmt::format("unknown mnemonic '{}'", name));
  const std::vector<Op>& cands = it->second;
  Op op = cands.front();
  if (cands.size() > 1) {
    // An imm/reg pair: the second operand decides.
    bool reg_form = t.size() > 2 && is_reg_token(t[2]);
    for (Op c : cands) {
      Form f = form_of(c);
      if ((f == Form::kAluReg || f == Form::kJmpReg) == reg_form) op = c;
    }
  }
  return parse_operands(op, t, 1);
}

Result<void> Assembler::resolve(uint32_t pc) {
  Slot& s = slots_[pc];
  line_ = s.line;
  const std::string& t = s.target;
  int64_t dest;
  if (t[0] == '+' || t[0] == '-') {
    auto n = parse_number(t);
    auto v = n ? fit_signed(*n, 32) : std::nullopt;
    if (!v) return error(fmt::format("relative target {} does not fit in 32 bits", t));
    dest = static_cast<int64_t>(pc) + 1 + *v;
  } else if (auto it = labels_.find(t); it != labels_.end()) {
    dest = it->second;
  } else if (t == "exit" && first_exit_) {
    dest = *first_exit_;
  } else {
    return error(fmt::format("undefined label '{}'", t));
  }
  const int64_t rel = dest - (static_cast<int64_t>(pc) + 1);
  Insn& in = s.insn;
  switch (form_of(in.op)) {
    case Form::kJa:
    case Form::kJmpImm:
    case Form::kJmpReg:
      if (rel < INT16_MIN || rel > INT16_MAX) {
        return error(fmt::format("jump offset {} to '{}' does not fit in 16 bits", rel, t));
      }
      in.off = static_cast<int16_t>(rel);
      in.imm64 = static_cast<uint64_t>(dest);
      return {};
    case Form::kJa32:
    case Form::kCallLocal:
      if (rel < INT32_MIN || rel > INT32_MAX) {
        return error(fmt::format("offset {} to '{}' does not fit in 32 bits", rel, t));
      }
      in.imm = static_cast<int32_t>(rel);
      in.imm64 = static_cast<uint64_t>(dest);
      return {};
    case Form::kLddw:  // lddw code: imm is relative, the high half stays as written
      in.imm = static_cast<int32_t>(rel);
      in.imm64 = (in.imm64 & 0xffffffff00000000u) | static_cast<uint32_t>(in.imm);
      slots_[pc + 1].insn.imm64 = in.imm64;
      return {};
    case Form::kAluImm:
    case Form::kAluReg:
    case Form::kNeg:
    case Form::kMovSx:
    case Form::kEndian:
    case Form::kLdx:
    case Form::kLdxSx:
    case Form::kSt:
    case Form::kStx:
    case Form::kAtomic:
    case Form::kLdAbs:
    case Form::kLdInd:
    case Form::kCall:
    case Form::kCallBtf:
    case Form::kCallx:
    case Form::kExit:
      break;
  }
  return error("internal: target on an instruction that takes none");
}

Result<std::vector<Insn>> Assembler::run(std::string_view text, const DecodeOptions& opts) {
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    ++line_;
    std::vector<std::string> tokens = tokenize(text.substr(pos, eol - pos));
    pos = eol + 1;
    if (tokens.empty()) continue;
    if (tokens[0].size() > 1 && tokens[0].back() == ':') {
      std::string label = tokens[0].substr(0, tokens[0].size() - 1);
      if (!labels_.emplace(label, static_cast<uint32_t>(slots_.size())).second) {
        return error(fmt::format("label '{}' is defined twice", label));
      }
      continue;  // the rest of a label's line is ignored, as in the suite
    }
    if (auto r = parse_line(tokens); !r) return r.take_error();
  }
  for (uint32_t pc = 0; pc < slots_.size(); ++pc) {
    if (slots_[pc].target.empty()) continue;
    if (auto r = resolve(pc); !r) return r.take_error();
  }
  std::vector<Insn> insns;
  insns.reserve(slots_.size());
  for (const Slot& s : slots_) insns.push_back(s.insn);
  if (auto v = validate(insns, opts); !v) {
    Diagnostic d = v.take_error();
    d.code = ErrorCode::kAssemble;
    if (d.insn != kNoInsn && d.insn < slots_.size()) {
      d.message = fmt::format("line {}: {}", slots_[d.insn].line, d.message);
    }
    return d;
  }
  return insns;
}

}  // namespace

Result<std::vector<Insn>> assemble(std::string_view text, const DecodeOptions& opts) {
  return Assembler().run(text, opts);
}

}  // namespace bpfjit
