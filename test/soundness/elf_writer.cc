#include "test/soundness/elf_writer.h"

#include <elf.h>
#include <fmt/format.h>

#include <cstring>

namespace bpfjit::soundness {
namespace {

constexpr uint32_t kRelBpf64_64 = 1;  // R_BPF_64_64: an lddw

template <typename T>
void append(std::vector<uint8_t>& out, const T& v) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof(T));
}

uint32_t add_string(std::string& table, const std::string& s) {
  const auto at = static_cast<uint32_t>(table.size());
  table += s;
  table.push_back('\0');
  return at;
}

}  // namespace

Result<std::vector<uint8_t>> build_object(const std::vector<Insn>& insns,
                                          const std::vector<ElfMap>& maps,
                                          const std::string& section,
                                          const std::vector<uint8_t>& btf) {
  // Section indices: 1 program, 2 its relocations, 3 maps and .BTF (when any), then the
  // tables.
  const bool has_maps = !maps.empty();
  const bool has_btf = !btf.empty();
  const uint16_t kProg = 1, kRel = 2;
  const uint16_t kMaps = has_maps ? 3 : 0;
  const uint16_t kBtf = has_btf ? (has_maps ? 4 : 3) : 0;
  const uint16_t kSymtab = 3 + (has_maps ? 1 : 0) + (has_btf ? 1 : 0);
  const uint16_t kStrtab = kSymtab + 1;
  const uint16_t kShstrtab = kStrtab + 1;
  const uint16_t kSections = kShstrtab + 1;

  std::string strtab(1, '\0');
  std::vector<Elf64_Sym> syms(1);  // the null symbol
  Elf64_Sym prog{};
  prog.st_name = add_string(strtab, "prog");
  prog.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
  prog.st_shndx = kProg;
  prog.st_size = insns.size() * sizeof(RawInsn);
  syms.push_back(prog);
  constexpr uint32_t kMapDefSize = 20;
  for (size_t i = 0; i < maps.size(); ++i) {
    Elf64_Sym m{};
    m.st_name = add_string(strtab, fmt::format("map{}", i));
    m.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT);
    m.st_shndx = kMaps;
    m.st_value = i * kMapDefSize;
    m.st_size = kMapDefSize;
    syms.push_back(m);
  }

  std::vector<RawInsn> raw = encode(insns);
  std::vector<Elf64_Rel> rels;
  for (size_t pc = 0; pc < insns.size(); ++pc) {
    const Insn& in = insns[pc];
    if (form_of(in.op) != Form::kLddw) continue;
    switch (lddw_kind(in.op)) {
      case LddwKind::kImm64: break;
      case LddwKind::kMapFd: {
        if (in.imm < 0 || static_cast<size_t>(in.imm) >= maps.size()) {
          return make_error(ErrorCode::kInvalidArgument,
                            fmt::format("insn {}: map {} is not defined", pc, in.imm));
        }
        rels.push_back({pc * sizeof(RawInsn),
                        ELF64_R_INFO(static_cast<uint64_t>(in.imm) + 2, kRelBpf64_64)});
        raw[pc].regs &= 0x0f;
        raw[pc].imm = 0;
        break;
      }
      case LddwKind::kCode: {
        const int64_t target = static_cast<int64_t>(pc) + 1 + in.imm;
        rels.push_back({pc * sizeof(RawInsn), ELF64_R_INFO(1, kRelBpf64_64)});
        raw[pc].regs &= 0x0f;
        raw[pc].imm = static_cast<int32_t>(target * static_cast<int64_t>(sizeof(RawInsn)));
        break;
      }
      case LddwKind::kMapValue:
      case LddwKind::kVariable:
      case LddwKind::kMapIdx:
      case LddwKind::kMapIdxValue:
        return make_error(ErrorCode::kUnsupported,
                          fmt::format("insn {}: this lddw kind has no object form here", pc));
    }
  }

  std::vector<uint8_t> mapbytes;
  for (const ElfMap& m : maps) {
    append(mapbytes, m.type);
    append(mapbytes, m.key_size);
    append(mapbytes, m.value_size);
    append(mapbytes, m.max_entries);
    append(mapbytes, m.flags);
  }

  std::string shstrtab(1, '\0');
  std::vector<Elf64_Shdr> sh(kSections);
  std::vector<uint8_t> body;
  auto place = [&](uint16_t idx, const std::string& name, uint32_t type, uint64_t flags,
                   const void* data, size_t size) {
    while (body.size() % 8 != 0) body.push_back(0);
    Elf64_Shdr& s = sh[idx];
    s.sh_name = add_string(shstrtab, name);
    s.sh_type = type;
    s.sh_flags = flags;
    s.sh_offset = sizeof(Elf64_Ehdr) + body.size();
    s.sh_size = size;
    s.sh_addralign = 8;
    const auto* p = static_cast<const uint8_t*>(data);
    body.insert(body.end(), p, p + size);
  };
  place(kProg, section, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, raw.data(),
        raw.size() * sizeof(RawInsn));
  place(kRel, ".rel" + section, SHT_REL, 0, rels.data(), rels.size() * sizeof(Elf64_Rel));
  sh[kRel].sh_link = kSymtab;
  sh[kRel].sh_info = kProg;
  sh[kRel].sh_entsize = sizeof(Elf64_Rel);
  if (has_maps) {
    place(kMaps, "maps", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, mapbytes.data(), mapbytes.size());
  }
  if (has_btf) place(kBtf, ".BTF", SHT_PROGBITS, 0, btf.data(), btf.size());
  place(kSymtab, ".symtab", SHT_SYMTAB, 0, syms.data(), syms.size() * sizeof(Elf64_Sym));
  sh[kSymtab].sh_link = kStrtab;
  sh[kSymtab].sh_info = 1;  // every symbol after the null one is global
  sh[kSymtab].sh_entsize = sizeof(Elf64_Sym);
  place(kStrtab, ".strtab", SHT_STRTAB, 0, strtab.data(), strtab.size());
  const uint32_t shname = add_string(shstrtab, ".shstrtab");
  // place() adds the name to shstrtab again: give it a copy of the table to place.
  const std::string table = shstrtab;
  place(kShstrtab, ".shstrtab", SHT_STRTAB, 0, table.data(), table.size());
  sh[kShstrtab].sh_name = shname;  // the name as the copied table holds it
  while (body.size() % 8 != 0) body.push_back(0);

  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_REL;
  eh.e_machine = EM_BPF;
  eh.e_version = EV_CURRENT;
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_shentsize = sizeof(Elf64_Shdr);
  eh.e_shnum = kSections;
  eh.e_shstrndx = kShstrtab;
  eh.e_shoff = sizeof(Elf64_Ehdr) + body.size();

  std::vector<uint8_t> out;
  append(out, eh);
  out.insert(out.end(), body.begin(), body.end());
  for (const Elf64_Shdr& s : sh) append(out, s);
  return out;
}

}  // namespace bpfjit::soundness
