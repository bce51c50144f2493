#include "runtime/cli/program_io.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "helpers/program_types.h"
#include "runtime/cli/test_helpers.h"
#include "runtime/isa/asm.h"
#include "runtime/isa/run_stack.h"
#include "runtime/isa/decode.h"
#include "runtime/isa/machine.h"
#include "verifier/verifier.h"

namespace bpfjit::cli {

Result<std::vector<uint8_t>> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, fmt::format("cannot open {}", path.string()));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(ErrorCode::kIo, fmt::format("cannot read {}", path.string()));
  return bytes;
}

Result<void> write_file(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return make_error(ErrorCode::kIo, fmt::format("cannot create {}", path.string()));
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) return make_error(ErrorCode::kIo, fmt::format("cannot write {}", path.string()));
  return {};
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

bool looks_like_text(const std::vector<uint8_t>& bytes) {
  for (uint8_t b : bytes) {
    if ((b < 0x20 || b > 0x7e) && b != '\n' && b != '\r' && b != '\t') return false;
  }
  return true;
}

Result<std::vector<Insn>> load_program(const std::filesystem::path& path) {
  auto bytes = read_file(path);
  if (!bytes) return bytes.take_error();
  std::string ext = path.extension().string();
  if (ext == ".s" || ext == ".asm" || (ext != ".bin" && looks_like_text(*bytes))) {
    return assemble(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
  }
  return decode_bytes(*bytes);
}

Result<std::vector<uint8_t>> parse_hex(std::string_view text) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : text) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (high >= 0) return make_error(ErrorCode::kInvalidArgument, "a hex byte has one digit");
      continue;
    } else {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("'{}' is not a hex digit", c));
    }
    if (high < 0) {
      high = d;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | d));
      high = -1;
    }
  }
  if (high >= 0) return make_error(ErrorCode::kInvalidArgument, "a hex byte has one digit");
  return out;
}

std::vector<uint8_t> to_bytes(const std::vector<Insn>& insns) {
  std::vector<RawInsn> raw = encode(insns);
  std::vector<uint8_t> out(raw.size() * kSlotSize);
  if (!raw.empty()) std::memcpy(out.data(), raw.data(), out.size());
  return out;
}

Result<uint64_t> run_once(std::vector<Insn> insns, std::vector<uint8_t>& mem,
                          const RunOptions& opts) {
  EngineOptions eopts;
  eopts.kind = opts.engine;
  eopts.helpers = conformance_helpers();
  eopts.perf_map = opts.perf_map;
  eopts.harden = opts.harden;
  if (!opts.checked) {
    verifier::VerifyInput in{insns, {}, {}, mem_program_type(), {}, mem.size()};
    verifier::VerifyResult vr = verifier::verify(in);
    if (!vr.accepted) {
      Diagnostic d = vr.diagnostics.empty()
                         ? make_error(ErrorCode::kVerify, "the verifier refused the program")
                         : vr.diagnostics.front();
      d.code = ErrorCode::kVerify;
      return d;
    }
    eopts.trusted = true;
    eopts.insn_flags = std::move(vr.insn_flags);
  }
  auto exe = prepare_engine(std::move(insns), eopts);
  if (!exe) return exe.take_error();
  RunStack stack;  // the thread's guarded one, zeroed for this run
  if (!stack.ok()) return make_error(ErrorCode::kRuntime, trap_kind_name(TrapKind::kNoStack));
  std::memset(stack.data(), 0, kStackSize);
  MemRegion region;
  uint64_t r1 = 0, r2 = 0;
  if (!mem.empty()) {
    r1 = reinterpret_cast<uint64_t>(mem.data());
    r2 = mem.size();
    region = MemRegion{r1, r1 + r2, true};
  }
  RunContext ctx;
  ctx.stack = stack.data();
  ctx.regions = mem.empty() ? nullptr : &region;
  ctx.region_count = mem.empty() ? 0 : 1;
  ctx.budget = opts.budget;
  ctx.helpers = conformance_helpers();
  uint64_t r0 = (*exe)->run(ctx, r1, r2);
  if (ctx.trap.kind != TrapKind::kNone) {
    return make_error(ErrorCode::kRuntime, ctx.trap.insn, ctx.trap.what());
  }
  return r0;
}

void print_error(std::string_view prog, const Diagnostic& diag) {
  fmt::print(stderr, "{}: {}: {}\n", prog, error_code_name(diag.code), diag.to_string());
}

}  // namespace bpfjit::cli
