#include "test/fuzz/common.h"

#include <array>

namespace bpfjit::fuzz {

const verifier::Platform& platform_at(uint8_t index) {
  return index % 2 == 0 ? verifier::runtime_platform() : verifier::linux_platform();
}

int platform_index(const std::string& name) {
  for (int i = 0; i < 2; ++i) {
    if (platform_at(static_cast<uint8_t>(i)).name == name) return i;
  }
  return -1;
}

int type_index(const verifier::Platform& platform, const std::string& type) {
  for (size_t i = 0; i < platform.types.size(); ++i) {
    if (platform.types[i]->name == type) return static_cast<int>(i);
  }
  return -1;
}

std::vector<verifier::LddwRef> lddw_refs(const std::vector<Insn>& insns, uint32_t map_count) {
  std::vector<verifier::LddwRef> refs;
  for (size_t pc = 0; pc + 1 < insns.size(); ++pc) {
    const Insn& in = insns[pc];
    auto slot = static_cast<uint32_t>(pc);
    auto second = static_cast<uint32_t>(insns[pc + 1].imm);
    if ((in.op == Op::kLddwMapFd || in.op == Op::kLddwMapIdx) && map_count > 0) {
      refs.push_back({slot, verifier::LddwRefKind::kMap,
                      static_cast<uint32_t>(in.imm) % map_count, 0});
    } else if ((in.op == Op::kLddwMapValue || in.op == Op::kLddwMapIdxValue) && map_count > 0) {
      refs.push_back({slot, verifier::LddwRefKind::kMapValue,
                      static_cast<uint32_t>(in.imm) % map_count, second});
    } else if (in.op == Op::kLddwCode) {
      // As the kernel's BPF_PSEUDO_FUNC: the subprogram at pc + 1 + imm.
      refs.push_back({slot, verifier::LddwRefKind::kCode, 0,
                      static_cast<uint32_t>(static_cast<int64_t>(pc) + 1 + in.imm)});
    }
  }
  return refs;
}

std::span<const uint32_t> fuzz_map_types() {
  namespace mt = verifier::map_type;
  static constexpr std::array<uint32_t, 13> kTypes{
      mt::kHash,    mt::kArray,       mt::kProgArray,   mt::kPerfEventArray, mt::kPercpuHash,
      mt::kPercpuArray, mt::kLruHash, mt::kLpmTrie,     mt::kArrayOfMaps,    mt::kHashOfMaps,
      mt::kQueue,   mt::kStack,       mt::kRingbuf};
  return kTypes;
}

void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz: %s\n", what.c_str());
  std::abort();
}

}  // namespace bpfjit::fuzz
