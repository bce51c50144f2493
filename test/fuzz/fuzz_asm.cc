// fuzz_asm: the decoder, the disassembler and the assembler, both directions.
// Input: one byte of mode, then the body.
//   mode bit 0 clear: the body is program bytes. decode() -> encode() must give the bytes
//     back; disassemble_program() (with labels when bit 1 is set) -> assemble() must give
//     the decoded program back.
//   mode bit 0 set: the body is assembler text. assemble(); when it succeeds, the program
//     disassembled and assembled again must be the same program.
// Bits 2..4 relax the decoder and assembler: r10 writes, no pseudo lddw, no packet loads.
#include <algorithm>
#include <string_view>

#include "runtime/isa/asm.h"
#include "runtime/isa/decode.h"
#include "runtime/isa/disasm.h"
#include "test/fuzz/common.h"

namespace {

using namespace bpfjit;

bool same_program(const std::vector<Insn>& a, const std::vector<Insn>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const Insn& x = a[i];
    const Insn& y = b[i];
    if (x.op != y.op || x.dst != y.dst || x.src != y.src || x.off != y.off || x.imm != y.imm ||
        x.imm64 != y.imm64) {
      return false;
    }
  }
  return true;
}

void round_trip(const std::vector<Insn>& insns, const DecodeOptions& dopts, bool labels,
                const char* what) {
  DisasmOptions o;
  o.labels = labels;
  std::string text = disassemble_program(insns, o);
  auto again = assemble(text, dopts);
  if (!again.ok()) {
    fuzz::fail(std::string(what) + ": the disassembly does not assemble: " +
               again.error().to_string() + "\n" + text);
  }
  if (!same_program(insns, *again)) {
    fuzz::fail(std::string(what) + ": the disassembly assembles to another program:\n" + text +
               "---\n" + disassemble_program(*again, o));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Reader in({data, size});
  uint8_t mode = in.u8();
  DecodeOptions dopts;
  dopts.allow_r10_writes = (mode & 4) != 0;
  dopts.allow_pseudo_lddw = (mode & 8) == 0;
  dopts.allow_packet_loads = (mode & 16) == 0;
  bool labels = (mode & 2) != 0;
  std::span<const uint8_t> body = in.rest();
  if ((mode & 1) != 0) {
    std::string_view text(reinterpret_cast<const char*>(body.data()), body.size());
    auto insns = assemble(text, dopts);
    if (insns.ok()) round_trip(*insns, dopts, labels, "assembled text");
    return 0;
  }
  auto insns = decode_bytes(fuzz::whole_slots(body), dopts);
  if (!insns.ok()) return 0;
  std::vector<RawInsn> raw = encode(*insns);
  std::span<const uint8_t> slots = fuzz::whole_slots(body);
  const auto* encoded = reinterpret_cast<const uint8_t*>(raw.data());
  if (raw.size() * 8 != slots.size() || !std::equal(slots.begin(), slots.end(), encoded)) {
    fuzz::fail("encode(decode(bytes)) differs from the bytes");
  }
  round_trip(*insns, dopts, labels, "decoded bytes");
  return 0;
}
