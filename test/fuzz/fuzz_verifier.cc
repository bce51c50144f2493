// fuzz_verifier: the verifier on programs from fuzzer bytes, on every platform and type.
// Input: platform (byte 0: even runtime, odd linux), program type (byte 1, an index into
// the platform's types modulo their count), mem size (byte 2, for mem-buffer types), the
// number of maps (byte 3, modulo 4) and 5 bytes per map (type index, key size, value size,
// max entries, flags: bit 0 read-only, bit 1 write-only, bit 2 an inner map: map 0), then
// the program's bytes (decoded as the loader does for that platform).
#include "runtime/isa/decode.h"
#include "test/fuzz/common.h"

using namespace bpfjit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Reader in({data, size});
  const verifier::Platform& platform = fuzz::platform_at(in.u8());
  uint8_t type_byte = in.u8();
  if (platform.types.empty()) return 0;
  const ProgramType& type = *platform.types[type_byte % platform.types.size()];
  uint32_t mem_size = in.u8();
  uint32_t map_count = in.u8() % 4;
  std::vector<verifier::MapInfo> maps;
  auto types = fuzz::fuzz_map_types();
  for (uint32_t i = 0; i < map_count; ++i) {
    verifier::MapInfo m;
    m.type = types[in.u8() % types.size()];
    m.key_size = in.u8();
    m.value_size = in.u8();
    m.max_entries = in.u8();
    uint8_t flags = in.u8();
    m.read_only = (flags & 1) != 0;
    m.write_only = (flags & 2) != 0;
    if ((flags & 4) != 0 && i > 0) m.inner = 0;
    maps.push_back(m);
  }
  DecodeOptions dopts;
  dopts.allow_r10_writes = platform.kernel_rules;
  dopts.allow_packet_loads = type.packet_loads;
  auto insns = decode_bytes(fuzz::whole_slots(in.rest()), dopts);
  if (!insns.ok()) return 0;
  verifier::VerifyInput vin{*insns, fuzz::lddw_refs(*insns, map_count), maps, type, {},
                            std::nullopt, platform};
  if (type.model == CtxModel::kMemBuffer) vin.mem_size = mem_size;
  verifier::VerifyOptions vopts;
  vopts.complexity_limit = 50'000;
  vopts.log = (type_byte & 0x80) != 0;
  verifier::VerifyResult r = verifier::verify(vin, vopts);
  if (!r.accepted && r.diagnostics.empty()) fuzz::fail("a rejection without a diagnostic");
  if (r.accepted && r.insn_flags.size() != insns->size()) {
    fuzz::fail("accepted, but insn_flags does not cover every slot");
  }
  return 0;
}
