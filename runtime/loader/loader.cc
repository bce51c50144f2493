// The ELF loader: libelf reads the object, libbpf's BTF parser reads `.maps`; everything
// else (classification, linking, relocation) is here. See loader.h for the pipeline.
#include "runtime/loader/loader.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <cstdarg>
#include <memory>
#include <mutex>
#include <tuple>

#include "helpers/kernel_tables.h"
#include "helpers/log.h"
#include "helpers/map_types.h"
#include "runtime/loader/btf_relo.h"

namespace bpfjit {

namespace {

// ELF relocation types of the BPF target (llvm's ELFRelocs/BPF.def).
constexpr uint32_t kRelNone = 0;
constexpr uint32_t kRel64_64 = 1;      // lddw: imm of both slots
constexpr uint32_t kRelAbs64 = 2;      // data: 64-bit absolute
constexpr uint32_t kRelAbs32 = 3;      // data: 32-bit absolute
constexpr uint32_t kRelNoDyld32 = 4;   // .BTF/.BTF.ext: 32-bit, not applied at load
constexpr uint32_t kRel64_32 = 10;     // call: imm in slots

constexpr uint8_t kOpcodeLddw = 0x18;
constexpr uint8_t kOpcodeCall = 0x85;
constexpr uint8_t kSrcPseudoCall = 1;

const char* reloc_type_name(uint32_t type) {
  switch (type) {
    case kRelNone: return "R_BPF_NONE";
    case kRel64_64: return "R_BPF_64_64";
    case kRelAbs64: return "R_BPF_64_ABS64";
    case kRelAbs32: return "R_BPF_64_ABS32";
    case kRelNoDyld32: return "R_BPF_64_NODYLD32";
    case kRel64_32: return "R_BPF_64_32";
    default: return nullptr;
  }
}

Diagnostic load_error(std::string msg) { return make_error(ErrorCode::kLoad, std::move(msg)); }

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

enum class SectionKind : uint8_t { kOther, kCode, kLegacyMaps, kBtfMaps, kData };

struct Section {
  uint32_t index = 0;
  std::string name;
  GElf_Shdr shdr{};
  SectionKind kind = SectionKind::kOther;
  std::span<const uint8_t> bytes;  // empty for NOBITS
  int data_index = -1;             // into LoadedObject::data for kData
  int reloc_section = -1;          // the SHT_REL section that patches this one
};

struct Symbol {
  std::string name;
  GElf_Sym sym{};
  uint8_t type() const { return GELF_ST_TYPE(sym.st_info); }
  uint8_t bind() const { return GELF_ST_BIND(sym.st_info); }
};

struct Reloc {
  uint32_t index = 0;  // in its relocation section
  uint64_t offset = 0;
  uint32_t type = 0;
  uint32_t sym = 0;
};

// A function: a symbol's slot range in a code section.
struct Func {
  uint32_t section = 0;
  uint32_t start = 0;  // slots
  uint32_t end = 0;
  std::string name;
  bool global = false;
};

// What a relocation resolves to.
struct Target {
  enum Kind : uint8_t { kMap, kData, kCode, kExtern } kind = kMap;
  uint32_t index = 0;   // map index, data index, code section index, or symbol (kExtern)
  uint64_t offset = 0;  // data offset, or slot in the code section
};

struct ElfDeleter {
  void operator()(Elf* e) const { elf_end(e); }
};
struct BtfDeleter {
  void operator()(btf* b) const { btf__free(b); }
};

class ObjectReader {
 public:
  ObjectReader(std::span<const uint8_t> bytes, const LoadOptions& opts)
      : image_(bytes.begin(), bytes.end()), opts_(opts) {}

  Result<LoadedObject> run();

 private:
  Result<void> open();
  Result<void> read_sections();
  Result<void> read_symbols();
  Result<void> read_relocations();
  Result<void> read_btf_map_relocations(const Section& rs);
  Result<void> read_legacy_maps();
  Result<void> read_btf_maps();
  Result<void> count_relocations(const Section& rs, size_t n);
  // What a BTF map definition declares beyond its MapSpec: the `values` field (prog_array
  // and map-in-map) and the bpf_spin_lock inside its value type.
  struct BtfMapValues {
    enum Kind : uint8_t { kNone, kPrograms, kMaps } kind = kNone;
    uint64_t offset = 0;           // of the values array in the definition
    uint64_t size = 0;             // of the definition with its initial values (st_size)
    std::optional<MapSpec> inner;  // kMaps: the inner map template
    int32_t spin_lock_off = -1;    // the value's struct bpf_spin_lock, -1 when none
  };
  Result<int32_t> find_spin_lock(const std::string& name, uint32_t type_id) const;
  Result<MapSpec> parse_btf_map(const std::string& name, const btf_type* def,
                                BtfMapValues* values) const;
  Result<void> parse_btf_map_values(const std::string& name, const btf_type* def,
                                    uint16_t member, const btf_type* mt,
                                    BtfMapValues* values) const;
  Result<void> read_map_slots(const Section& maps);
  Result<void> read_data();
  Result<void> read_functions();
  Result<void> read_btf_externs_and_core();
  Result<Target> resolve_extern(const Reloc& rel, const RawInsn* insn,
                                const std::string& where) const;
  Diagnostic extern_refusal(const std::string& prog, uint32_t slot, const Target& t,
                            bool call) const;
  void append_core_relocations();
  Result<Target> resolve(const Section& sec, const Reloc& rel, const RawInsn* insn) const;
  std::string describe(const Target& t) const;
  // Links `main` into `prog`, whose name, section and type add_program() has set.
  Result<void> link(const Func& main, LoadedProgram& prog);
  const ProgramType* program_type(const std::string& section, std::string* name) const;
  // Which functions are programs (see collect_programs()), each linked on its own.
  Result<void> collect_programs();
  Result<void> add_program(const Func& f);
  const Func* func_at(uint32_t section, uint32_t slot) const;
  std::string sec_label(const Section& s) const {
    return fmt::format("section {} ({})", s.index, s.name);
  }

  std::vector<uint8_t> image_;
  const LoadOptions& opts_;
  std::unique_ptr<Elf, ElfDeleter> elf_;
  std::unique_ptr<btf, BtfDeleter> btf_;
  std::vector<Section> sections_;
  std::vector<Symbol> symbols_;
  int symtab_ = -1;
  std::map<uint32_t, std::vector<Reloc>> relocs_;  // by patched section
  std::vector<Reloc> btf_map_relocs_;                // .rel.maps: initial map slots
  size_t reloc_total_ = 0;                           // relocations read so far
  uint64_t data_total_ = 0;                          // bytes of global data so far
  std::vector<BtfMapValues> btf_map_values_;         // one per BTF map, in obj_.maps order
  std::vector<Func> funcs_;
  LoadedObject obj_;
  std::unique_ptr<BtfLinker> btf_linker_;  // CO-RE and externs (btf_relo.h)
  int kconfig_data_ = -1;                  // the ".kconfig" image in obj_.data
};

Result<void> ObjectReader::open() {
  if (elf_version(EV_CURRENT) == EV_NONE) return load_error("libelf is unusable");
  if (image_.size() < EI_NIDENT || std::memcmp(image_.data(), ELFMAG, SELFMAG) != 0) {
    return load_error(fmt::format("not an ELF file ({} bytes, no ELF magic)", image_.size()));
  }
  if (image_[EI_CLASS] != ELFCLASS64) {
    return load_error(fmt::format("ELF class {} is not ELFCLASS64", image_[EI_CLASS]));
  }
  if (image_[EI_DATA] != ELFDATA2LSB) {
    return load_error(fmt::format("ELF data encoding {} is not little-endian", image_[EI_DATA]));
  }
  if (image_.size() < sizeof(Elf64_Ehdr)) {
    return load_error(fmt::format("ELF header is truncated: {} bytes, needs {}", image_.size(),
                                  sizeof(Elf64_Ehdr)));
  }
  elf_.reset(elf_memory(reinterpret_cast<char*>(image_.data()), image_.size()));
  if (!elf_ || elf_kind(elf_.get()) != ELF_K_ELF) {
    return load_error(fmt::format("libelf cannot read the object: {}", elf_errmsg(-1)));
  }
  GElf_Ehdr eh;
  if (gelf_getehdr(elf_.get(), &eh) == nullptr) {
    return load_error(fmt::format("bad ELF header: {}", elf_errmsg(-1)));
  }
  // Old toolchains left e_machine at EM_NONE; the class and encoding checked above fit.
  if (eh.e_machine != EM_BPF && eh.e_machine != EM_NONE) {
    return load_error(fmt::format("ELF machine {} is neither EM_BPF ({}) nor EM_NONE", eh.e_machine,
                                  EM_BPF));
  }
  if (eh.e_type != ET_REL) {
    return load_error(fmt::format("ELF type {} is not a relocatable object (ET_REL)", eh.e_type));
  }
  return {};
}

Result<void> ObjectReader::read_sections() {
  size_t count = 0;
  size_t shstrndx = 0;
  if (elf_getshdrnum(elf_.get(), &count) != 0 || elf_getshdrstrndx(elf_.get(), &shstrndx) != 0) {
    return load_error(fmt::format("cannot read the section table: {}", elf_errmsg(-1)));
  }
  if (count > opts_.max_sections) {
    return load_error(fmt::format("the object has {} sections, the limit is {}", count,
                                  opts_.max_sections));
  }
  // Bound the section header table by the file: libelf reads it lazily.
  GElf_Ehdr eh;
  gelf_getehdr(elf_.get(), &eh);
  if (eh.e_shoff > image_.size() || count * sizeof(Elf64_Shdr) > image_.size() - eh.e_shoff) {
    return load_error(fmt::format("section table at offset {} with {} entries lies outside the "
                                  "file ({} bytes)", eh.e_shoff, count, image_.size()));
  }
  sections_.resize(count);
  for (uint32_t i = 1; i < count; ++i) {
    Section& s = sections_[i];
    s.index = i;
    Elf_Scn* scn = elf_getscn(elf_.get(), i);
    if (scn == nullptr || gelf_getshdr(scn, &s.shdr) == nullptr) {
      return load_error(fmt::format("section {}: cannot read its header: {}", i, elf_errmsg(-1)));
    }
    const char* name = elf_strptr(elf_.get(), shstrndx, s.shdr.sh_name);
    if (name == nullptr) {
      return load_error(fmt::format("section {}: name offset {} is outside the section name "
                                    "table", i, s.shdr.sh_name));
    }
    s.name = name;
    if (s.shdr.sh_type != SHT_NOBITS && s.shdr.sh_type != SHT_NULL) {
      if (s.shdr.sh_offset > image_.size() || s.shdr.sh_size > image_.size() - s.shdr.sh_offset) {
        return load_error(fmt::format("{}: {} bytes at offset {} lie outside the file ({} bytes)",
                                      sec_label(s), s.shdr.sh_size, s.shdr.sh_offset,
                                      image_.size()));
      }
      s.bytes = std::span<const uint8_t>(image_.data() + s.shdr.sh_offset, s.shdr.sh_size);
    }
    const uint64_t flags = s.shdr.sh_flags;
    if (s.shdr.sh_type == SHT_PROGBITS && (flags & SHF_EXECINSTR)) {
      s.kind = SectionKind::kCode;
      if (s.shdr.sh_size % kSlotSize != 0) {
        return load_error(fmt::format("{}: code size {} is not a multiple of 8", sec_label(s),
                                      s.shdr.sh_size));
      }
    } else if (s.name == "maps") {
      s.kind = SectionKind::kLegacyMaps;
    } else if (s.name == ".maps") {
      s.kind = SectionKind::kBtfMaps;
    } else if ((s.shdr.sh_type == SHT_PROGBITS || s.shdr.sh_type == SHT_NOBITS) &&
               (flags & SHF_ALLOC) &&
               (starts_with(s.name, ".data") || starts_with(s.name, ".rodata") ||
                starts_with(s.name, ".bss"))) {
      s.kind = SectionKind::kData;
    }
    if (s.shdr.sh_type == SHT_SYMTAB) {
      if (symtab_ >= 0) return load_error(fmt::format("{}: a second symbol table", sec_label(s)));
      symtab_ = static_cast<int>(i);
    }
  }
  if (symtab_ < 0) return load_error("the object has no symbol table");
  return {};
}

Result<void> ObjectReader::read_symbols() {
  const Section& st = sections_[symtab_];
  Elf_Data* d = elf_getdata(elf_getscn(elf_.get(), st.index), nullptr);
  if (d == nullptr || d->d_buf == nullptr) {
    return load_error(fmt::format("{}: cannot read symbols: {}", sec_label(st), elf_errmsg(-1)));
  }
  if (st.shdr.sh_link >= sections_.size()) {
    return load_error(fmt::format("{}: string table index {} does not exist", sec_label(st),
                                  st.shdr.sh_link));
  }
  const size_t n = d->d_size / sizeof(Elf64_Sym);
  symbols_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    Symbol& s = symbols_[i];
    if (gelf_getsym(d, static_cast<int>(i), &s.sym) == nullptr) {
      return load_error(fmt::format("symbol {}: cannot read it: {}", i, elf_errmsg(-1)));
    }
    if (s.sym.st_name != 0) {
      const char* name = elf_strptr(elf_.get(), st.shdr.sh_link, s.sym.st_name);
      if (name == nullptr) {
        return load_error(fmt::format("symbol {}: name offset {} is outside the string table",
                                      i, s.sym.st_name));
      }
      s.name = name;
    }
    if (s.type() == STT_SECTION && s.sym.st_shndx < sections_.size()) {
      s.name = sections_[s.sym.st_shndx].name;
    }
  }
  return {};
}

// Counts `n` more relocations of `rs` against LoadOptions::max_relocations.
Result<void> ObjectReader::count_relocations(const Section& rs, size_t n) {
  reloc_total_ += n;
  if (reloc_total_ > opts_.max_relocations) {
    return load_error(fmt::format("{}: the object has more than {} relocations", sec_label(rs),
                                  opts_.max_relocations));
  }
  return {};
}

// .rel.maps: the initial slots of BTF maps (read_map_slots() checks what they point at).
Result<void> ObjectReader::read_btf_map_relocations(const Section& rs) {
  if (static_cast<int>(rs.shdr.sh_link) != symtab_) {
    return load_error(fmt::format("{}: refers to symbol table {}, not {}", sec_label(rs),
                                  rs.shdr.sh_link, symtab_));
  }
  Elf_Data* d = elf_getdata(elf_getscn(elf_.get(), rs.index), nullptr);
  if (d == nullptr) {
    return load_error(fmt::format("{}: cannot read it: {}", sec_label(rs), elf_errmsg(-1)));
  }
  const size_t n = d->d_size / sizeof(Elf64_Rel);
  if (auto r = count_relocations(rs, n); !r) return r;
  for (size_t i = 0; i < n; ++i) {
    GElf_Rel r;
    if (gelf_getrel(d, static_cast<int>(i), &r) == nullptr) {
      return load_error(fmt::format("{} relocation {}: cannot read it", sec_label(rs), i));
    }
    Reloc rel{static_cast<uint32_t>(i), r.r_offset, static_cast<uint32_t>(GELF_R_TYPE(r.r_info)),
              static_cast<uint32_t>(GELF_R_SYM(r.r_info))};
    if (rel.sym == 0 || rel.sym >= symbols_.size()) {
      return load_error(fmt::format("{} relocation {}: symbol {} does not exist (the table has "
                                    "{})", sec_label(rs), i, rel.sym, symbols_.size()));
    }
    if (reloc_type_name(rel.type) == nullptr) {
      return load_error(fmt::format("{} relocation {}: unknown relocation type {}", sec_label(rs),
                                    i, rel.type));
    }
    btf_map_relocs_.push_back(rel);
  }
  return {};
}

Result<void> ObjectReader::read_relocations() {
  for (Section& rs : sections_) {
    if (rs.shdr.sh_type == SHT_RELA) {
      return load_error(fmt::format("{}: RELA relocations are not used by the BPF target",
                                    sec_label(rs)));
    }
    if (rs.shdr.sh_type != SHT_REL) continue;
    const uint32_t target = rs.shdr.sh_info;
    if (target == 0 || target >= sections_.size()) {
      return load_error(fmt::format("{}: patches section {}, which does not exist",
                                    sec_label(rs), target));
    }
    Section& ts = sections_[target];
    // Only code is relocated; debug info and BTF relocations describe themselves.
    if (ts.kind == SectionKind::kData || ts.kind == SectionKind::kLegacyMaps) {
      if (rs.shdr.sh_size != 0) {
        return load_error(fmt::format("{}: relocations in {} (pointers in global data) are "
                                      "not supported", sec_label(rs), sec_label(ts)));
      }
    }
    if (ts.kind == SectionKind::kBtfMaps) {
      if (auto r = read_btf_map_relocations(rs); !r) return r;
      continue;
    }
    if (ts.kind != SectionKind::kCode) continue;
    if (static_cast<int>(rs.shdr.sh_link) != symtab_) {
      return load_error(fmt::format("{}: refers to symbol table {}, not {}", sec_label(rs),
                                    rs.shdr.sh_link, symtab_));
    }
    Elf_Data* d = elf_getdata(elf_getscn(elf_.get(), rs.index), nullptr);
    if (d == nullptr) {
      return load_error(fmt::format("{}: cannot read it: {}", sec_label(rs), elf_errmsg(-1)));
    }
    ts.reloc_section = static_cast<int>(rs.index);
    const size_t n = d->d_size / sizeof(Elf64_Rel);
    if (auto r = count_relocations(rs, n); !r) return r;
    auto& list = relocs_[target];
    for (size_t i = 0; i < n; ++i) {
      GElf_Rel r;
      if (gelf_getrel(d, static_cast<int>(i), &r) == nullptr) {
        return load_error(fmt::format("{} relocation {}: cannot read it", sec_label(rs), i));
      }
      Reloc rel{static_cast<uint32_t>(i), r.r_offset, static_cast<uint32_t>(GELF_R_TYPE(r.r_info)),
                static_cast<uint32_t>(GELF_R_SYM(r.r_info))};
      auto where = [&] {
        return fmt::format("{} relocation {} (offset {})", sec_label(rs), i, rel.offset);
      };
      if (reloc_type_name(rel.type) == nullptr) {
        return load_error(fmt::format("{}: unknown relocation type {}", where(), rel.type));
      }
      if (rel.type != kRel64_64 && rel.type != kRel64_32) {
        return load_error(fmt::format("{}: {} cannot patch code", where(),
                                      reloc_type_name(rel.type)));
      }
      const uint64_t need = rel.type == kRel64_64 ? 2 * kSlotSize : kSlotSize;
      if (rel.offset % kSlotSize != 0 || rel.offset > ts.shdr.sh_size ||
          need > ts.shdr.sh_size - rel.offset) {
        return load_error(fmt::format("{}: patches {} bytes outside the instructions of {} "
                                      "({} bytes)", where(), need, ts.name, ts.shdr.sh_size));
      }
      if (rel.sym == 0 || rel.sym >= symbols_.size()) {
        return load_error(fmt::format("{}: symbol {} does not exist (the table has {})", where(),
                                      rel.sym, symbols_.size()));
      }
      list.push_back(rel);
    }
    std::sort(list.begin(), list.end(),
              [](const Reloc& a, const Reloc& b) { return a.offset < b.offset; });
  }
  return {};
}

// Legacy `maps` sections hold one definition per symbol, all of one size: the section size
// divided by the number of symbols (libbpf's rule, which lets objects use longer or shorter
// structs than struct bpf_map_def). Fields missing from a short definition are zero; the
// bytes past map_flags (offset 20: inner_map_idx, numa_node, iproute2's id and pinning...)
// must be zero, as bpfjit gives them no meaning.
Result<void> ObjectReader::read_legacy_maps() {
  constexpr uint64_t kKnownBytes = 20;  // type, key_size, value_size, max_entries, map_flags
  for (const Section& s : sections_) {
    if (s.kind != SectionKind::kLegacyMaps) continue;
    std::vector<const Symbol*> syms;
    for (const Symbol& sym : symbols_) {
      if (sym.sym.st_shndx == s.index && sym.type() != STT_SECTION && !sym.name.empty()) {
        syms.push_back(&sym);
      }
    }
    if (syms.empty()) continue;
    std::sort(syms.begin(), syms.end(),
              [](const Symbol* a, const Symbol* b) { return a->sym.st_value < b->sym.st_value; });
    const uint64_t size = s.bytes.size();
    if (size % syms.size() != 0) {
      return load_error(fmt::format("{}: {} bytes do not divide into {} map definitions of one "
                                    "size", sec_label(s), size, syms.size()));
    }
    const uint64_t def_size = size / syms.size();
    if (def_size < 4) {
      return load_error(fmt::format("{}: map definitions of {} bytes cannot hold a map type",
                                    sec_label(s), def_size));
    }
    for (const Symbol* sym : syms) {
      const uint64_t off = sym->sym.st_value;
      if (off > size || def_size > size - off) {
        return load_error(fmt::format("{}: map {} at offset {} ({} bytes) lies outside the "
                                      "section ({} bytes)", sec_label(s), sym->name, off,
                                      def_size, size));
      }
      const uint8_t* def = s.bytes.data() + off;
      for (uint64_t b = kKnownBytes; b < def_size; b += 4) {
        uint32_t word = 0;
        std::memcpy(&word, def + b, std::min<uint64_t>(4, def_size - b));
        if (word != 0) {
          return load_error(fmt::format("map {}: the field at offset {} of its {}-byte "
                                        "definition is {:#x}; fields past map_flags must be 0",
                                        sym->name, b, def_size, word));
        }
      }
      uint32_t f[5] = {};
      std::memcpy(f, def, std::min<uint64_t>(def_size, sizeof(f)));
      auto type = map_type_from_kernel(f[0]);
      if (!type) return load_error(fmt::format("map {}: {}", sym->name, type.error().message));
      MapDef d;
      d.spec = MapSpec{*type, sym->name, f[1], f[2], f[3], f[4]};
      d.section = s.index;
      d.offset = off;
      obj_.maps.push_back(std::move(d));
    }
  }
  return {};
}

// Skips typedefs and qualifiers.
const btf_type* skip_mods(const btf* b, uint32_t id, uint32_t* out_id = nullptr) {
  const btf_type* t = btf__type_by_id(b, id);
  for (int guard = 0; t != nullptr && (btf_is_mod(t) || btf_is_typedef(t)) && guard < 32;
       ++guard) {
    id = t->type;
    t = btf__type_by_id(b, id);
  }
  if (out_id) *out_id = id;
  return t;
}

// The kernel's MAX_RESOLVE_DEPTH: how long a chain of modifiers, typedefs, pointers and
// arrays may be, and how deep structs and unions may nest by value.
constexpr uint32_t kMaxBtfDepth = 32;

// Checks the object's BTF against kMaxBtfDepth once, so that every later walk of it is
// bounded: each chain is followed at most kMaxBtfDepth + 1 steps, and the nesting walk
// recurses at most kMaxBtfDepth deep.
Result<void> check_btf_depth(const btf* b) {
  const uint32_t n = btf__type_cnt(b);
  // The type a chain link leads to, or 0 when `t` ends chains.
  auto link = [](const btf_type* t) -> uint32_t {
    if (btf_is_mod(t) || btf_is_typedef(t) || btf_is_ptr(t)) return t->type;
    if (btf_is_array(t)) return btf_array(t)->type;
    return 0;
  };
  for (uint32_t id = 1; id < n; ++id) {
    uint32_t cur = id;
    for (uint32_t len = 0;; ++len) {
      const btf_type* t = btf__type_by_id(b, cur);
      if (t == nullptr || link(t) == 0) break;
      if (len == kMaxBtfDepth) {
        return make_error(ErrorCode::kLoad,
                          fmt::format(".BTF: type [{}] starts a chain of more than {} "
                                      "modifiers, typedefs, pointers and arrays",
                                      id, kMaxBtfDepth));
      }
      cur = link(t);
    }
  }
  // Nesting by value: members through modifiers, typedefs and arrays (not pointers).
  std::vector<int32_t> nest(n, -1);  // -1: not yet known, -2: being walked
  std::function<Result<uint32_t>(uint32_t, uint32_t)> depth =
      [&](uint32_t id, uint32_t level) -> Result<uint32_t> {
    const btf_type* t = btf__type_by_id(b, id);
    while (t != nullptr && !btf_is_ptr(t) && link(t) != 0) {
      id = link(t);
      t = btf__type_by_id(b, id);
    }
    if (t == nullptr || !(btf_is_struct(t) || btf_is_union(t))) return 0u;
    if (nest[id] >= 0) return static_cast<uint32_t>(nest[id]);
    if (nest[id] == -2) {
      return make_error(ErrorCode::kLoad, fmt::format(".BTF: type [{}] contains itself", id));
    }
    if (level > kMaxBtfDepth) {
      return make_error(ErrorCode::kLoad,
                        fmt::format(".BTF: type [{}] nests structs and unions more than {} deep",
                                    id, kMaxBtfDepth));
    }
    nest[id] = -2;
    uint32_t inner = 0;
    const btf_member* m = btf_members(t);
    for (uint16_t i = 0; i < btf_vlen(t); ++i, ++m) {
      auto d = depth(m->type, level + 1);
      if (!d) return d.take_error();
      inner = std::max(inner, *d);
    }
    if (inner + 1 > kMaxBtfDepth) {
      return make_error(ErrorCode::kLoad,
                        fmt::format(".BTF: type [{}] nests structs and unions more than {} deep",
                                    id, kMaxBtfDepth));
    }
    nest[id] = static_cast<int32_t>(inner + 1);
    return inner + 1;
  };
  for (uint32_t id = 1; id < n; ++id) {
    if (auto d = depth(id, 1); !d) return d.take_error();
  }
  return {};
}

Result<void> ObjectReader::read_btf_maps() {
  const Section* maps = nullptr;
  const Section* btf_sec = nullptr;
  for (const Section& s : sections_) {
    if (s.kind == SectionKind::kBtfMaps) maps = &s;
    if (s.name == ".BTF") btf_sec = &s;
  }
  if (btf_sec != nullptr && !btf_sec->bytes.empty()) {
    btf* b = btf__new(btf_sec->bytes.data(), static_cast<uint32_t>(btf_sec->bytes.size()));
    if (libbpf_get_error(b) != 0) b = nullptr;
    // An unreadable .BTF only matters when .maps needs it.
    btf_.reset(b);
    obj_.has_btf = b != nullptr;
    if (b != nullptr) {
      if (auto r = check_btf_depth(b); !r) return r;
    }
  }
  if (maps == nullptr) return {};
  std::vector<const Symbol*> syms;
  for (const Symbol& sym : symbols_) {
    if (sym.sym.st_shndx == maps->index && sym.type() != STT_SECTION && !sym.name.empty()) {
      syms.push_back(&sym);
    }
  }
  std::sort(syms.begin(), syms.end(),
            [](const Symbol* a, const Symbol* b) { return a->sym.st_value < b->sym.st_value; });
  if (syms.empty()) return {};
  if (!btf_) {
    return load_error(fmt::format("{}: maps defined in .maps need the object's BTF (.BTF is {}); "
                                  "compile with -g", sec_label(*maps),
                                  btf_sec ? "unreadable" : "missing"));
  }
  for (const Symbol* sym : syms) {
    const std::string& name = sym->name;
    int id = btf__find_by_name_kind(btf_.get(), name.c_str(), BTF_KIND_VAR);
    if (id <= 0) return load_error(fmt::format("map {}: no BTF variable of that name", name));
    const btf_type* var = btf__type_by_id(btf_.get(), id);
    const btf_type* def = skip_mods(btf_.get(), var->type);
    if (def == nullptr || !btf_is_struct(def)) {
      return load_error(fmt::format("map {}: its BTF type is not a struct", name));
    }
    BtfMapValues values;
    auto spec = parse_btf_map(name, def, &values);
    if (!spec) return spec.take_error();
    MapDef d;
    d.spec = std::move(spec).value();
    d.section = maps->index;
    d.offset = sym->sym.st_value;
    d.btf = true;
    d.inner = std::move(values.inner);
    if (d.inner) d.spec.inner = std::make_shared<const MapSpec>(*d.inner);
    d.spin_lock_off = values.spin_lock_off;
    d.spec.spin_lock_off = values.spin_lock_off;
    if (const MapTypeInfo* info = map_type_info(d.spec.type);
        d.spin_lock_off >= 0 && (info == nullptr || (info->ops & kOpSpinLock) == 0)) {
      return load_error(fmt::format("map {}: its value holds a bpf_spin_lock, which a {} map "
                                    "cannot hold (only hash, array and the local storages)",
                                    name, map_type_name(d.spec.type)));
    }
    obj_.maps.push_back(std::move(d));
    values.size = sym->sym.st_size;
    btf_map_values_.push_back(values);
  }
  return read_map_slots(*maps);
}

// One BTF map definition: a struct of __uint/__type fields, and for prog_array and
// map-in-map a last field `__array(values, ...)` of programs (pointers to functions) or of
// maps (pointers to a struct that is the inner map's definition). `values` is null for an
// inner map definition, which cannot hold values itself.
Result<MapSpec> ObjectReader::parse_btf_map(const std::string& name, const btf_type* def,
                                            BtfMapValues* values) const {
  const btf* b = btf_.get();
  MapSpec spec;
  spec.name = name;
  uint32_t type_num = 0;
  bool have_type = false;
  bool have_value_size = false;
  const btf_member* m = btf_members(def);
  for (uint16_t i = 0; i < btf_vlen(def); ++i, ++m) {
    const char* mname_c = btf__name_by_offset(b, m->name_off);
    const std::string mname = mname_c ? mname_c : "";
    const btf_type* mt = skip_mods(b, m->type);
    if (mname == "values") {
      if (values == nullptr) {
        return load_error(fmt::format("map {}: an inner map cannot declare values", name));
      }
      auto r = parse_btf_map_values(name, def, i, mt, values);
      if (!r) return r.take_error();
      continue;
    }
    if (mt == nullptr || !btf_is_ptr(mt)) {
      return load_error(fmt::format("map {}: field '{}' is not declared with __uint or __type",
                                    name, mname));
    }
    auto uint_value = [&]() -> Result<uint32_t> {
      const btf_type* arr = skip_mods(b, mt->type);
      if (arr == nullptr || !btf_is_array(arr)) {
        return load_error(fmt::format("map {}: field '{}' is not an __uint", name, mname));
      }
      return btf_array(arr)->nelems;
    };
    auto type_size = [&]() -> Result<uint32_t> {
      int64_t size = btf__resolve_size(b, mt->type);
      if (size < 0 || size > UINT32_MAX) {
        return load_error(fmt::format("map {}: the size of field '{}' is unknown", name, mname));
      }
      return static_cast<uint32_t>(size);
    };
    Result<uint32_t> v = 0u;
    if (mname == "type") {
      v = uint_value();
      if (v) type_num = *v, have_type = true;
    } else if (mname == "max_entries") {
      v = uint_value();
      if (v) spec.max_entries = *v;
    } else if (mname == "map_flags") {
      v = uint_value();
      if (v) spec.flags = *v;
    } else if (mname == "key_size") {
      v = uint_value();
      if (v) spec.key_size = *v;
    } else if (mname == "value_size") {
      v = uint_value();
      if (v) spec.value_size = *v, have_value_size = true;
    } else if (mname == "key") {
      v = type_size();
      if (v) spec.key_size = *v;
    } else if (mname == "value") {
      v = type_size();
      if (v) spec.value_size = *v, have_value_size = true;
      if (v && values != nullptr) {
        auto lock = find_spin_lock(name, mt->type);
        if (!lock) return lock.take_error();
        values->spin_lock_off = *lock;
      }
    } else if (mname == "map_extra") {
      v = uint_value();
      if (v) spec.map_extra = *v;
    } else if (mname == "pinning" || mname == "numa_node") {
      // host-side attributes without meaning here
    } else {
      return load_error(fmt::format("map {}: field '{}' is not supported", name, mname));
    }
    if (!v) return v.take_error();
  }
  if (!have_type) return load_error(fmt::format("map {}: no type", name));
  auto type = map_type_from_kernel(type_num);
  if (!type) return load_error(fmt::format("map {}: {}", name, type.error().message));
  spec.type = *type;
  if (values != nullptr && values->kind != BtfMapValues::kNone) {
    const bool progs = values->kind == BtfMapValues::kPrograms;
    const bool ok = progs ? spec.type == MapType::kProgArray
                          : spec.type == MapType::kArrayOfMaps || spec.type == MapType::kHashOfMaps;
    if (!ok) {
      return load_error(fmt::format("map {}: values that are {} need a {} map, not {}", name,
                                    progs ? "programs" : "maps",
                                    progs ? "prog_array" : "array_of_maps or hash_of_maps",
                                    map_type_name(spec.type)));
    }
    // The kernel holds a program or map id per slot: 4 bytes, as libbpf declares.
    if (!have_value_size) spec.value_size = 4;
  }
  return spec;
}

// The offset of the struct bpf_spin_lock in a map's value type (searched in nested structs
// too, as the kernel does), or -1. A value may hold one lock.
Result<int32_t> ObjectReader::find_spin_lock(const std::string& name, uint32_t type_id) const {
  const btf* b = btf_.get();
  int32_t found = -1;
  // Depth-first over struct and union members; `base` is the member's byte offset.
  std::function<Result<void>(uint32_t, uint64_t, int)> walk =
      [&](uint32_t id, uint64_t base, int depth) -> Result<void> {
    const btf_type* t = skip_mods(b, id);
    if (t == nullptr || depth > 16) return {};
    if (!btf_is_struct(t) && !btf_is_union(t)) return {};
    const char* tname = btf__name_by_offset(b, t->name_off);
    if (tname != nullptr && std::string_view(tname) == "bpf_spin_lock") {
      if (found >= 0) {
        return load_error(fmt::format("map {}: its value holds more than one bpf_spin_lock (at "
                                      "offsets {} and {})",
                                      name, found, base));
      }
      found = static_cast<int32_t>(base);
      return {};
    }
    const btf_member* m = btf_members(t);
    for (uint16_t i = 0; i < btf_vlen(t); ++i, ++m) {
      if (auto r = walk(m->type, base + btf_member_bit_offset(t, i) / 8, depth + 1); !r) return r;
    }
    return {};
  };
  // The value type itself being a bpf_spin_lock does not count: the kernel looks at fields.
  const btf_type* t = skip_mods(b, type_id);
  if (t == nullptr || (!btf_is_struct(t) && !btf_is_union(t))) return -1;
  const btf_member* m = btf_members(t);
  for (uint16_t i = 0; i < btf_vlen(t); ++i, ++m) {
    if (auto r = walk(m->type, btf_member_bit_offset(t, i) / 8, 1); !r) return r.take_error();
  }
  return found;
}

// `__array(values, T)`: a flexible array of pointers to T, the definition's last field.
Result<void> ObjectReader::parse_btf_map_values(const std::string& name, const btf_type* def,
                                                uint16_t member, const btf_type* mt,
                                                BtfMapValues* values) const {
  const btf* b = btf_.get();
  if (member + 1 != btf_vlen(def)) {
    return load_error(fmt::format("map {}: field 'values' must be the last field", name));
  }
  if (mt == nullptr || !btf_is_array(mt) || btf_array(mt)->nelems != 0) {
    return load_error(fmt::format("map {}: field 'values' is not declared with __array", name));
  }
  const btf_type* elem = skip_mods(b, btf_array(mt)->type);
  const btf_type* target = elem != nullptr && btf_is_ptr(elem) ? skip_mods(b, elem->type) : nullptr;
  if (target == nullptr) {
    return load_error(fmt::format("map {}: the elements of field 'values' are not pointers",
                                  name));
  }
  values->offset = btf_member_bit_offset(def, member) / 8;
  if (btf_is_func_proto(target)) {
    values->kind = BtfMapValues::kPrograms;
    return {};
  }
  if (!btf_is_struct(target)) {
    return load_error(fmt::format("map {}: field 'values' points at neither programs nor map "
                                  "definitions", name));
  }
  auto inner = parse_btf_map(name + ".inner", target, nullptr);
  if (!inner) return inner.take_error();
  values->kind = BtfMapValues::kMaps;
  values->inner = std::move(inner).value();
  return {};
}

// The initial slots of prog_array and map-in-map definitions: R_BPF_64_ABS64 relocations
// in .rel.maps, each at a slot of a definition's values array, naming a program (a
// function symbol) or a map (a symbol in .maps).
Result<void> ObjectReader::read_map_slots(const Section& maps) {
  for (const Reloc& rel : btf_map_relocs_) {
    const Symbol& sym = symbols_[rel.sym];
    auto where = [&] {
      return fmt::format("{} relocation {} (offset {}, symbol {})", sec_label(maps), rel.index,
                         rel.offset, sym.name);
    };
    if (rel.type != kRelAbs64) {
      return load_error(fmt::format("{}: {} cannot fill a map slot", where(),
                                    reloc_type_name(rel.type)));
    }
    size_t mi = 0;
    for (; mi < btf_map_values_.size(); ++mi) {
      const MapDef& d = obj_.maps[obj_.maps.size() - btf_map_values_.size() + mi];
      if (rel.offset >= d.offset && rel.offset < d.offset + btf_map_values_[mi].size) break;
    }
    if (mi == btf_map_values_.size()) {
      return load_error(fmt::format("{}: the offset lies in no map definition", where()));
    }
    MapDef& d = obj_.maps[obj_.maps.size() - btf_map_values_.size() + mi];
    const BtfMapValues& v = btf_map_values_[mi];
    const uint64_t at = rel.offset - d.offset;
    if (v.kind == BtfMapValues::kNone || at < v.offset || (at - v.offset) % 8 != 0) {
      return load_error(fmt::format("{}: map {} has no value slot at offset {}", where(),
                                    d.spec.name, at));
    }
    const uint64_t slot = (at - v.offset) / 8;
    if (slot >= d.spec.max_entries) {
      return load_error(fmt::format("{}: slot {} is beyond the {} entries of map {}", where(),
                                    slot, d.spec.max_entries, d.spec.name));
    }
    MapSlot s;
    s.index = static_cast<uint32_t>(slot);
    s.target = sym.name;
    if (v.kind == BtfMapValues::kPrograms) {
      if (sym.type() != STT_FUNC || sym.sym.st_shndx >= sections_.size() ||
          sections_[sym.sym.st_shndx].kind != SectionKind::kCode) {
        return load_error(fmt::format("{}: slot {} of prog_array {} does not point at a "
                                      "program", where(), slot, d.spec.name));
      }
    } else {
      const MapDef* target = nullptr;
      for (const MapDef& t : obj_.maps) {
        if (t.section == maps.index && t.offset == sym.sym.st_value) target = &t;
      }
      if (sym.sym.st_shndx != maps.index || target == nullptr) {
        return load_error(fmt::format("{}: slot {} of {} does not point at a map", where(), slot,
                                      d.spec.name));
      }
      const MapSpec& in = *d.inner;
      const MapSpec& t = target->spec;
      if (t.type != in.type || t.key_size != in.key_size || t.value_size != in.value_size) {
        return load_error(fmt::format("{}: map {} ({}, key {}, value {}) does not fit the "
                                      "inner maps of {} ({}, key {}, value {})", where(), t.name,
                                      map_type_name(t.type), t.key_size, t.value_size,
                                      d.spec.name, map_type_name(in.type), in.key_size,
                                      in.value_size));
      }
    }
    d.slots.push_back(std::move(s));
  }
  for (MapDef& d : obj_.maps) {
    std::sort(d.slots.begin(), d.slots.end(),
              [](const MapSlot& a, const MapSlot& b) { return a.index < b.index; });
  }
  return {};
}

Result<void> ObjectReader::read_data() {
  for (Section& s : sections_) {
    if (s.kind != SectionKind::kData) continue;
    DataImage img;
    img.name = s.name;
    img.section = s.index;
    img.readonly = starts_with(s.name, ".rodata");
    if (s.shdr.sh_size > (256u << 20)) {
      return load_error(fmt::format("{}: {} bytes of global data is more than 256 MiB",
                                    sec_label(s), s.shdr.sh_size));
    }
    data_total_ += s.shdr.sh_size;
    if (data_total_ > (256u << 20)) {
      return load_error(fmt::format("{}: the object's global data reaches {} bytes, more than "
                                    "256 MiB", sec_label(s), data_total_));
    }
    if (s.shdr.sh_type == SHT_NOBITS) {
      img.bytes.assign(s.shdr.sh_size, 0);
    } else {
      img.bytes.assign(s.bytes.begin(), s.bytes.end());
    }
    for (const Symbol& sym : symbols_) {
      if (sym.sym.st_shndx != s.index || sym.type() != STT_OBJECT || sym.name.empty()) continue;
      if (sym.sym.st_value > s.shdr.sh_size || sym.sym.st_size > s.shdr.sh_size - sym.sym.st_value) {
        return load_error(fmt::format("variable {}: {} bytes at offset {} lie outside {}",
                                      sym.name, sym.sym.st_size, sym.sym.st_value, sec_label(s)));
      }
      img.vars.push_back(DataImage::Var{sym.name, sym.sym.st_value, sym.sym.st_size});
    }
    s.data_index = static_cast<int>(obj_.data.size());
    obj_.data.push_back(std::move(img));
  }
  return {};
}

Result<void> ObjectReader::read_functions() {
  for (const Symbol& sym : symbols_) {
    if (sym.type() != STT_FUNC) continue;
    const uint32_t shndx = sym.sym.st_shndx;
    if (shndx == SHN_UNDEF || shndx >= sections_.size() ||
        sections_[shndx].kind != SectionKind::kCode) {
      continue;  // extern functions (kfuncs) are refused where a call uses them
    }
    const Section& s = sections_[shndx];
    const uint64_t start = sym.sym.st_value;
    uint64_t size = sym.sym.st_size;
    if (start % kSlotSize != 0 || start > s.shdr.sh_size ||
        size > s.shdr.sh_size - start) {
      return load_error(fmt::format("function {}: {} bytes at offset {} lie outside {}",
                                    sym.name, size, start, sec_label(s)));
    }
    if (size == 0) size = s.shdr.sh_size - start;  // hand-written assembly without .size
    if (size % kSlotSize != 0) {
      return load_error(fmt::format("function {}: size {} is not a multiple of 8", sym.name,
                                    size));
    }
    if (sym.name.empty()) {
      return load_error(fmt::format("{}: a function at offset {} has no name", sec_label(s),
                                    start));
    }
    funcs_.push_back(Func{shndx, static_cast<uint32_t>(start / kSlotSize),
                          static_cast<uint32_t>((start + size) / kSlotSize), sym.name,
                          sym.bind() == STB_GLOBAL || sym.bind() == STB_WEAK});
  }
  // An executable section (other than .text) that no function symbol covers is one
  // program named by the section (see collect_programs()).
  for (const Section& s : sections_) {
    if (s.kind != SectionKind::kCode || s.name == ".text" || s.shdr.sh_size == 0) continue;
    const bool named = std::any_of(funcs_.begin(), funcs_.end(),
                                   [&](const Func& f) { return f.section == s.index; });
    if (!named) {
      funcs_.push_back(Func{s.index, 0, static_cast<uint32_t>(s.shdr.sh_size / kSlotSize), s.name,
                            true});
    }
  }
  std::sort(funcs_.begin(), funcs_.end(), [](const Func& a, const Func& b) {
    return a.section != b.section ? a.section < b.section : a.start < b.start;
  });
  return {};
}

const Func* ObjectReader::func_at(uint32_t section, uint32_t slot) const {
  for (const Func& f : funcs_) {
    if (f.section == section && slot >= f.start && slot < f.end) return &f;
  }
  return nullptr;
}

// Resolves one code relocation; `insn` is the patched slot.
Result<Target> ObjectReader::resolve(const Section& sec, const Reloc& rel,
                                     const RawInsn* insn) const {
  const Symbol& sym = symbols_[rel.sym];
  auto where = [&] {
    return fmt::format("{} relocation {} (offset {}, symbol {})", sec_label(sec), rel.index,
                       rel.offset, sym.name.empty() ? std::to_string(rel.sym) : sym.name);
  };
  const uint32_t shndx = sym.sym.st_shndx;
  if (shndx == SHN_UNDEF) return resolve_extern(rel, insn, where());
  if (shndx >= sections_.size()) {
    return load_error(fmt::format("{}: the symbol lies in section {}, which does not exist",
                                  where(), shndx));
  }
  const Section& ts = sections_[shndx];
  if (rel.type == kRel64_32) {
    if (insn->opcode != kOpcodeCall || insn->src() != kSrcPseudoCall) {
      return load_error(fmt::format("{}: R_BPF_64_32 patches opcode 0x{:02x}, not a local call",
                                    where(), insn->opcode));
    }
    if (ts.kind != SectionKind::kCode || sym.sym.st_value % kSlotSize != 0) {
      return load_error(fmt::format("{}: the call target is not code", where()));
    }
    const int64_t slot = static_cast<int64_t>(sym.sym.st_value / kSlotSize) + insn->imm + 1;
    if (slot < 0 || static_cast<uint64_t>(slot) >= ts.shdr.sh_size / kSlotSize) {
      return load_error(fmt::format("{}: the call target slot {} is outside {}", where(), slot,
                                    ts.name));
    }
    return Target{Target::kCode, shndx, static_cast<uint64_t>(slot)};
  }
  // R_BPF_64_64: an lddw.
  if (insn->opcode != kOpcodeLddw) {
    return load_error(fmt::format("{}: R_BPF_64_64 patches opcode 0x{:02x}, not an lddw",
                                  where(), insn->opcode));
  }
  const int64_t off = static_cast<int64_t>(sym.sym.st_value) + insn->imm;
  switch (ts.kind) {
    case SectionKind::kLegacyMaps:
    case SectionKind::kBtfMaps:
      for (uint32_t i = 0; i < obj_.maps.size(); ++i) {
        if (obj_.maps[i].section == shndx && static_cast<int64_t>(obj_.maps[i].offset) == off) {
          return Target{Target::kMap, i, 0};
        }
      }
      return load_error(fmt::format("{}: no map starts at offset {} of {}", where(), off,
                                    ts.name));
    case SectionKind::kData:
      if (off < 0 || static_cast<uint64_t>(off) > ts.shdr.sh_size) {
        return load_error(fmt::format("{}: offset {} is outside {} ({} bytes)", where(), off,
                                      ts.name, ts.shdr.sh_size));
      }
      return Target{Target::kData, static_cast<uint32_t>(ts.data_index),
                    static_cast<uint64_t>(off)};
    case SectionKind::kCode:
      if (off < 0 || off % kSlotSize != 0 || static_cast<uint64_t>(off) >= ts.shdr.sh_size) {
        return load_error(fmt::format("{}: code address {} is not an instruction of {}", where(),
                                      off, ts.name));
      }
      return Target{Target::kCode, shndx, static_cast<uint64_t>(off) / kSlotSize};
    case SectionKind::kOther:
      break;
  }
  return load_error(fmt::format("{}: the symbol lies in {}, which is neither code, maps nor "
                                "global data", where(), sec_label(ts)));
}

std::string ObjectReader::describe(const Target& t) const {
  switch (t.kind) {
    case Target::kMap: return "map " + obj_.maps[t.index].spec.name;
    case Target::kData: return fmt::format("{}+{}", obj_.data[t.index].name, t.offset);
    case Target::kCode: {
      const Func* f = func_at(t.index, static_cast<uint32_t>(t.offset));
      if (f == nullptr) return fmt::format("{} slot {}", sections_[t.index].name, t.offset);
      if (f->start == t.offset) return "func " + f->name;
      return fmt::format("func {}+{}", f->name, t.offset - f->start);
    }
    case Target::kExtern: {
      const std::string& name = symbols_[t.index].name;
      switch (btf_linker_ ? btf_linker_->find_extern(name).kind : ExternKind::kUnknown) {
        case ExternKind::kKfunc: return "kfunc " + name;
        case ExternKind::kKsym: return "ksym " + name;
        case ExternKind::kKconfig:
        case ExternKind::kUnknown: break;
      }
      return "extern " + name;
    }
  }
  return "?";
}

Result<void> ObjectReader::link(const Func& main, LoadedProgram& prog) {
  auto prefix = [&](const Diagnostic& d) {
    return Diagnostic{ErrorCode::kLoad, d.insn, fmt::format("program {}: {}", prog.name,
                                                            d.message)};
  };

  struct Piece {
    const Func* f;
    uint32_t base;
  };
  std::vector<Piece> pieces;
  std::vector<RawInsn> raw;
  auto place = [&](const Func* f) -> Result<uint32_t> {
    for (const Piece& p : pieces) {
      if (p.f == f) return p.base;
    }
    const uint32_t base = static_cast<uint32_t>(raw.size());
    const size_t len = f->end - f->start;
    if (raw.size() + len > opts_.max_slots) {
      return load_error(fmt::format("program {} needs more than {} slots after linking {}",
                                    prog.name, opts_.max_slots, f->name));
    }
    const Section& s = sections_[f->section];
    raw.resize(raw.size() + len);
    std::memcpy(raw.data() + base, s.bytes.data() + f->start * kSlotSize, len * kSlotSize);
    pieces.push_back(Piece{f, base});
    if (f != &main) prog.functions.push_back(base);
    return base;
  };
  // The slot in the linked program of `slot` in code section `section`.
  auto code_slot = [&](uint32_t section, uint64_t slot, const std::string& from)
      -> Result<uint32_t> {
    const Func* f = func_at(section, static_cast<uint32_t>(slot));
    if (f == nullptr) {
      return load_error(fmt::format("{}: slot {} of {} lies in no function", from, slot,
                                    sections_[section].name));
    }
    auto base = place(f);
    if (!base) return base.take_error();
    return *base + static_cast<uint32_t>(slot - f->start);
  };

  if (auto b = place(&main); !b) return b.take_error();
  prog.main_insns = main.end - main.start;
  for (size_t pi = 0; pi < pieces.size(); ++pi) {
    const Func* f = pieces[pi].f;
    const uint32_t base = pieces[pi].base;
    const Section& sec = sections_[f->section];
    const auto rit = relocs_.find(f->section);
    const std::vector<Reloc>* rels = rit == relocs_.end() ? nullptr : &rit->second;
    auto reloc_at = [&](uint32_t slot) -> const Reloc* {
      if (rels == nullptr) return nullptr;
      const uint64_t off = static_cast<uint64_t>(slot) * kSlotSize;
      auto it = std::lower_bound(rels->begin(), rels->end(), off,
                                 [](const Reloc& r, uint64_t o) { return r.offset < o; });
      return it != rels->end() && it->offset == off ? &*it : nullptr;
    };
    const uint32_t len = f->end - f->start;
    for (uint32_t k = 0; k < len; ++k) {
      const uint32_t slot = f->start + k;  // in the section
      const uint32_t at = base + k;        // in the linked program
      const Reloc* rel = reloc_at(slot);
      const RawInsn insn = raw[at];
      const std::string from = fmt::format("{} offset {}", sec_label(sec), slot * kSlotSize);
      if (insn.opcode == kOpcodeLddw) {
        if (k + 1 >= len) {
          return load_error(fmt::format("{}: lddw is the last slot of function {}", from,
                                        f->name));
        }
        if (rel != nullptr) {
          auto t = resolve(sec, *rel, &insn);
          if (!t) return prefix(t.error());
          LddwRef ref;
          ref.slot = at;
          switch (t->kind) {
            case Target::kMap:
              ref.kind = LddwRefKind::kMap;
              ref.index = t->index;
              if (std::find(prog.maps.begin(), prog.maps.end(), t->index) == prog.maps.end()) {
                prog.maps.push_back(t->index);
              }
              break;
            case Target::kData:
              ref.kind = LddwRefKind::kMapValue;
              ref.index = t->index;
              ref.offset = t->offset;
              break;
            case Target::kCode: {
              auto s = code_slot(t->index, t->offset, from);
              if (!s) return prefix(s.error());
              ref.kind = LddwRefKind::kCode;
              ref.offset = *s;
              break;
            }
            case Target::kExtern: return extern_refusal(prog.name, at, *t, false);
          }
          raw[at].regs &= 0x0f;  // src 0: a plain 64-bit immediate once bound
          raw[at].imm = 0;
          raw[at + 1].imm = 0;
          prog.lddw_refs.push_back(ref);
        }
        ++k;
        continue;
      }
      if (insn.opcode == kOpcodeCall && insn.src() == kSrcPseudoCall) {
        uint32_t tsec = f->section;
        int64_t tslot = static_cast<int64_t>(slot) + 1 + insn.imm;
        if (rel != nullptr) {
          auto t = resolve(sec, *rel, &insn);
          if (!t) return prefix(t.error());
          if (t->kind == Target::kExtern) return extern_refusal(prog.name, at, *t, true);
          tsec = t->index;
          tslot = static_cast<int64_t>(t->offset);
        } else if (tslot < 0 || static_cast<uint64_t>(tslot) >= sec.shdr.sh_size / kSlotSize) {
          return load_error(fmt::format("program {}: {}: call to slot {} is outside {}",
                                        prog.name, from, tslot, sec.name));
        }
        auto s = code_slot(tsec, static_cast<uint64_t>(tslot), from);
        if (!s) return prefix(s.error());
        raw[at].imm = static_cast<int32_t>(static_cast<int64_t>(*s) - (at + 1));
        continue;
      }
      if (rel != nullptr) {
        return load_error(fmt::format("program {}: {}: relocation {} patches opcode 0x{:02x}, "
                                      "which is neither an lddw nor a local call", prog.name,
                                      from, rel->index, insn.opcode));
      }
    }
  }

  // CO-RE relocations of every piece linked in.
  if (btf_linker_ != nullptr && btf_linker_->has_core_relos()) {
    for (const Piece& p : pieces) {
      auto r = btf_linker_->relocate(prog.name, sections_[p.f->section].name, p.f->start,
                                     p.f->end, raw, p.base, prog.core_relos);
      if (!r) return r.take_error();
    }
  }

  DecodeOptions dopts;
  dopts.allow_pseudo_lddw = false;
  dopts.allow_packet_loads = prog.type->packet_loads || opts_.kernel_decode;
  dopts.allow_r10_writes = opts_.kernel_decode;
  auto insns = decode(raw, dopts);
  if (!insns) return prefix(insns.error());
  prog.insns = std::move(insns).value();

  for (uint32_t pc = 0; pc < prog.insns.size(); ++pc) {
    const Insn& in = prog.insns[pc];
    if (in.op == Op::kCallBtf) {
      return Diagnostic{ErrorCode::kLoad, pc,
                        fmt::format("program {}: kfunc call (BTF id {}) is not supported",
                                    prog.name, in.imm)};
    }
    // A poisoned CO-RE relocation (btf_relo_types.h) is left for the verifier.
    if (in.op == Op::kCall && opts_.helpers != nullptr && in.imm != kCorePoisonHelper) {
      auto ok = check_helper_allowed(*prog.type, *opts_.helpers, static_cast<uint32_t>(in.imm),
                                     pc);
      if (!ok) return prefix(ok.error());
    }
  }
  if (auto r = rewrite_ctx_accesses(prog.insns, *prog.type); !r) return prefix(r.error());
  return {};
}

const ProgramType* ObjectReader::program_type(const std::string& section,
                                              std::string* name) const {
  *name = opts_.type_override.empty() ? program_type_for_section(section) : opts_.type_override;
  static const ProgramTypeRegistry builtin_types = ProgramTypeRegistry::builtin();
  const ProgramTypeRegistry& types = opts_.types ? *opts_.types : builtin_types;
  return types.find(*name);
}

// Links one program. A program that fails to link, relocate or decode is kept with its
// load_error, so that the others of the object still load. An unknown program type (a bad
// override, or a host registry without the type) fails the object.
Result<void> ObjectReader::add_program(const Func& f) {
  LoadedProgram prog;
  prog.name = f.name;
  prog.section = sections_[f.section].name;
  std::string type_name;
  prog.type = program_type(prog.section, &type_name);
  if (prog.type == nullptr) {
    return load_error(fmt::format("program {}: unknown program type '{}'", f.name, type_name));
  }
  if (auto r = link(f, prog); !r) {
    // Keep the program with its error only: what link() built so far is incomplete.
    LoadedProgram failed;
    failed.name = std::move(prog.name);
    failed.section = std::move(prog.section);
    failed.type = prog.type;
    failed.load_error = r.take_error();
    prog = std::move(failed);
  }
  obj_.programs.push_back(std::move(prog));
  return {};
}

// The programs, as libbpf finds them:
//  - every global function of an executable section other than .text;
//  - in such a section without global functions, its local functions (static programs);
//  - in such a section without any function symbol (old clang, hand-written assembly),
//    one program that spans the section, named by the section, as libbpf named programs
//    before it used symbols (bpf_program__title);
//  - when no other section holds code, the global functions of .text (their type comes
//    from the type override, else mem).
Result<void> ObjectReader::collect_programs() {
  for (const Section& s : sections_) {
    if (s.kind != SectionKind::kCode || s.name == ".text" || s.shdr.sh_size == 0) continue;
    // read_functions() gave every such section at least one function.
    bool any_global = false;
    for (const Func& f : funcs_) any_global |= f.section == s.index && f.global;
    for (const Func& f : funcs_) {
      if (f.section != s.index || (!f.global && any_global)) continue;
      if (auto r = add_program(f); !r) return r;
    }
  }
  if (obj_.programs.empty()) {
    for (const Func& f : funcs_) {
      if (!f.global || sections_[f.section].name != ".text") continue;
      if (auto r = add_program(f); !r) return r;
    }
  }
  if (obj_.programs.empty()) return load_error("the object holds no program");
  return {};
}

// CO-RE records, .kconfig and __ksym externs: btf_relo.cc does the work; this collects
// what it needs from the ELF and adds the .kconfig image to the global data.
Result<void> ObjectReader::read_btf_externs_and_core() {
  std::span<const uint8_t> ext;
  for (const Section& s : sections_) {
    if (s.name == ".BTF.ext") ext = s.bytes;
  }
  std::vector<ExternSymbol> externs;
  for (const Symbol& sym : symbols_) {
    if (sym.sym.st_shndx != SHN_UNDEF || sym.name.empty() || sym.type() == STT_SECTION ||
        sym.type() == STT_FILE) {
      continue;
    }
    externs.push_back(ExternSymbol{sym.name, sym.bind() == STB_WEAK});
  }
  if (ext.empty() && externs.empty()) return {};
  auto linker = BtfLinker::create(btf_.get(), ext, externs, opts_);
  if (!linker) return linker.take_error();
  btf_linker_ = std::move(linker).value();
  if (auto img = btf_linker_->take_kconfig_image()) {
    kconfig_data_ = static_cast<int>(obj_.data.size());
    obj_.data.push_back(std::move(*img));
  }
  return {};
}

// A relocation against an undefined symbol: a .kconfig extern is global data; kfuncs,
// __ksym variables and unknown externs are refused by the program that uses them.
Result<Target> ObjectReader::resolve_extern(const Reloc& rel, const RawInsn* insn,
                                            const std::string& where) const {
  const Symbol& sym = symbols_[rel.sym];
  const ExternInfo info =
      btf_linker_ ? btf_linker_->find_extern(sym.name) : ExternInfo{sym.name, {}, 0};
  if (rel.type == kRel64_64 && insn->opcode != kOpcodeLddw) {
    return load_error(fmt::format("{}: R_BPF_64_64 patches opcode 0x{:02x}, not an lddw",
                                  where, insn->opcode));
  }
  if (rel.type == kRel64_32 && insn->opcode != kOpcodeCall) {
    return load_error(fmt::format("{}: R_BPF_64_32 patches opcode 0x{:02x}, not a call", where,
                                  insn->opcode));
  }
  if (info.kind == ExternKind::kKconfig && rel.type == kRel64_64 && kconfig_data_ >= 0) {
    return Target{Target::kData, static_cast<uint32_t>(kconfig_data_),
                  info.offset + static_cast<uint64_t>(static_cast<int64_t>(insn->imm))};
  }
  return Target{Target::kExtern, rel.sym, 0};
}

Diagnostic ObjectReader::extern_refusal(const std::string& prog, uint32_t slot, const Target& t,
                                        bool call) const {
  const std::string& name = symbols_[t.index].name;
  const ExternKind kind = btf_linker_ ? btf_linker_->find_extern(name).kind : ExternKind::kUnknown;
  std::string msg;
  if (kind == ExternKind::kKfunc) {
    msg = fmt::format("{} kfunc '{}' (kfuncs are not supported)", call ? "calls" : "refers to",
                      name);
  } else if (kind == ExternKind::kKsym) {
    msg = fmt::format("refers to kernel symbol '{}' (__ksym externs are not supported)", name);
  } else if (call) {
    msg = fmt::format("calls undefined function '{}', which the object's BTF does not "
                      "declare as a kfunc (extern functions are not supported)", name);
  } else {
    msg = fmt::format("refers to undefined symbol '{}', which no .kconfig or .ksyms "
                      "declaration in the object's BTF describes (extern symbols are not "
                      "supported)", name);
  }
  return Diagnostic{ErrorCode::kLoad, slot, fmt::format("program {}: {}", prog, msg)};
}

// The CO-RE relocations the programs applied, once each, in the inspection list: type
// "CO-RE <kind>", symbol the access ("struct task_struct.pid"), target the value.
void ObjectReader::append_core_relocations() {
  std::vector<std::tuple<std::string, uint32_t, CoreReloKind>> seen;
  for (const LoadedProgram& p : obj_.programs) {
    for (const CoreReloResult& r : p.core_relos) {
      auto key = std::make_tuple(r.section, r.insn_off, r.kind);
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
      seen.push_back(key);
      RelocationInfo info;
      info.section = r.section;
      info.index = static_cast<uint32_t>(seen.size() - 1);
      info.offset = r.insn_off;
      info.type = fmt::format("CO-RE {}", core_relo_kind_name(static_cast<uint32_t>(r.kind)));
      info.symbol = r.what;
      info.target = r.poisoned ? "poisoned (no match in the target)"
                               : fmt::format("{} (local {})", r.target_value, r.local_value);
      obj_.relocations.push_back(std::move(info));
    }
  }
}

Result<LoadedObject> ObjectReader::run() {
  if (auto r = open(); !r) return r.take_error();
  if (auto r = read_sections(); !r) return r.take_error();
  if (auto r = read_symbols(); !r) return r.take_error();
  if (auto r = read_relocations(); !r) return r.take_error();
  if (auto r = read_legacy_maps(); !r) return r.take_error();
  if (auto r = read_btf_maps(); !r) return r.take_error();
  if (auto r = read_data(); !r) return r.take_error();
  if (auto r = read_functions(); !r) return r.take_error();
  if (auto r = read_btf_externs_and_core(); !r) return r.take_error();

  // Relocations as stated, for inspection.
  for (const auto& [secidx, rels] : relocs_) {
    const Section& sec = sections_[secidx];
    for (const Reloc& rel : rels) {
      RelocationInfo info;
      info.section = sec.name;
      info.index = rel.index;
      info.offset = rel.offset;
      info.type = reloc_type_name(rel.type);
      info.symbol = symbols_[rel.sym].name;
      RawInsn insn;
      std::memcpy(&insn, sec.bytes.data() + rel.offset, sizeof(insn));
      // A relocation that cannot be resolved fails only the programs that use it.
      auto t = resolve(sec, rel, &insn);
      info.target = t ? describe(*t) : "unresolved: " + t.error().message;
      obj_.relocations.push_back(std::move(info));
    }
  }

  if (auto r = collect_programs(); !r) return r.take_error();
  append_core_relocations();
  return std::move(obj_);
}

}  // namespace

const char* lddw_ref_kind_name(LddwRefKind kind) {
  switch (kind) {
    case LddwRefKind::kMap: return "map";
    case LddwRefKind::kMapValue: return "map value";
    case LddwRefKind::kCode: return "code";
  }
  return "?";
}

std::string program_type_for_section(const std::string& section) {
  // libbpf's section names (helpers/kernel_section_names.def) for the kernel types the
  // runtime runs: "tc", "classifier" and "action" give sched_cls / sched_act,
  // "cgroup_skb/ingress" gives cgroup_skb, ...
  if (auto m = kernel::match_section(section)) {
    const std::string_view k = m->prog_type->name;
    for (std::string_view runnable :
         {"xdp", "socket_filter", "sched_cls", "sched_act", "cgroup_skb"}) {
      if (k == runnable) return std::string(k);
    }
  }
  if (starts_with(section, "xdp")) return "xdp";
  if (starts_with(section, "socket")) return "socket_filter";
  return "mem";
}

namespace {

// libbpf reports BTF parse problems on stderr by default; they belong in our debug log
// (the loader's diagnostic says what matters).
int libbpf_to_spdlog(enum libbpf_print_level, const char* format, va_list args) {
  char line[512];
  const int n = std::vsnprintf(line, sizeof(line), format, args);
  if (n > 0) logger().debug("libbpf: {}", std::string_view(line).substr(0, sizeof(line) - 1));
  return n;
}

}  // namespace

Result<LoadedObject> load_object(std::span<const uint8_t> bytes, const LoadOptions& opts) {
  static std::once_flag print_once;
  std::call_once(print_once, [] { libbpf_set_print(libbpf_to_spdlog); });
  ObjectReader reader(bytes, opts);
  return reader.run();
}

void bind_lddw_refs(LoadedProgram& prog, std::span<const uint64_t> map_addrs,
                    std::span<const uint64_t> data_addrs) {
  for (const LddwRef& ref : prog.lddw_refs) {
    uint64_t v = 0;
    switch (ref.kind) {
      case LddwRefKind::kMap: v = ref.index < map_addrs.size() ? map_addrs[ref.index] : 0; break;
      case LddwRefKind::kMapValue:
        v = ref.index < data_addrs.size() ? data_addrs[ref.index] + ref.offset : 0;
        break;
      case LddwRefKind::kCode: v = ref.offset; break;
    }
    Insn& lo = prog.insns[ref.slot];
    Insn& hi = prog.insns[ref.slot + 1];
    lo.imm64 = v;
    lo.imm = static_cast<int32_t>(static_cast<uint32_t>(v));
    hi.imm64 = v;
    hi.imm = static_cast<int32_t>(static_cast<uint32_t>(v >> 32));
  }
}

}  // namespace bpfjit
