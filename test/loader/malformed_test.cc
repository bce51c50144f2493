// Malformed objects: every input is a real object from bpf-progs/ with its bytes mutated
// here; the loader must refuse each with a diagnostic that names the fault, and never
// crash (run these under ASan).
#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "runtime/loader/loader.h"
#include "test/loader/loader_util.h"

namespace bpfjit {
namespace {

using testing::read_prog;

// Views into an object's ELF structures, for mutation.
struct ElfView {
  std::vector<uint8_t>& b;

  Elf64_Ehdr ehdr() const {
    Elf64_Ehdr h;
    std::memcpy(&h, b.data(), sizeof(h));
    return h;
  }
  void set_ehdr(const Elf64_Ehdr& h) { std::memcpy(b.data(), &h, sizeof(h)); }
  size_t shdr_at(int i) const { return ehdr().e_shoff + static_cast<size_t>(i) * sizeof(Elf64_Shdr); }
  Elf64_Shdr shdr(int i) const {
    Elf64_Shdr s;
    std::memcpy(&s, b.data() + shdr_at(i), sizeof(s));
    return s;
  }
  void set_shdr(int i, const Elf64_Shdr& s) { std::memcpy(b.data() + shdr_at(i), &s, sizeof(s)); }
  int count() const { return ehdr().e_shnum; }
  std::string name(int i) const {
    const Elf64_Shdr strtab = shdr(ehdr().e_shstrndx);
    return reinterpret_cast<const char*>(b.data() + strtab.sh_offset + shdr(i).sh_name);
  }
  int find(const std::string& n) const {
    for (int i = 1; i < count(); ++i) {
      if (name(i) == n) return i;
    }
    return -1;
  }
  int find_type(uint32_t type) const {
    for (int i = 1; i < count(); ++i) {
      if (shdr(i).sh_type == type) return i;
    }
    return -1;
  }
  // The byte offset of relocation `k` of relocation section `rel`.
  size_t rel_at(int rel, int k) const { return shdr(rel).sh_offset + k * sizeof(Elf64_Rel); }
  Elf64_Rel rel(int sec, int k) const {
    Elf64_Rel r;
    std::memcpy(&r, b.data() + rel_at(sec, k), sizeof(r));
    return r;
  }
  void set_rel(int sec, int k, const Elf64_Rel& r) {
    std::memcpy(b.data() + rel_at(sec, k), &r, sizeof(r));
  }
  // The symbol table entry of the symbol called `n`.
  size_t sym_at(const std::string& n) const {
    const int st = find_type(SHT_SYMTAB);
    const Elf64_Shdr sh = shdr(st);
    const Elf64_Shdr str = shdr(sh.sh_link);
    for (size_t off = sh.sh_offset; off + sizeof(Elf64_Sym) <= sh.sh_offset + sh.sh_size;
         off += sizeof(Elf64_Sym)) {
      Elf64_Sym s;
      std::memcpy(&s, b.data() + off, sizeof(s));
      if (n == reinterpret_cast<const char*>(b.data() + str.sh_offset + s.st_name)) return off;
    }
    return 0;
  }
};

// call_chain from clang-14 without debug info: small, with calls into .text and their
// relocations (section .relmem/checksum).
const char* kSmall = "call_chain.clang14.v3.nobtf.o";

Diagnostic load_error_of(const std::vector<uint8_t>& bytes, const LoadOptions& opts = {}) {
  auto r = load_object(bytes, opts);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return Diagnostic{};
  EXPECT_EQ(r.error().code, ErrorCode::kLoad);
  EXPECT_FALSE(r.error().message.empty());
  return r.error();
}

// The load error of the object's program `name`: the object itself loads.
Diagnostic program_error_of(const std::vector<uint8_t>& bytes, const std::string& name,
                            const LoadOptions& opts = {}) {
  auto r = load_object(bytes, opts);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  if (!r.ok()) return Diagnostic{};
  for (const LoadedProgram& p : r->programs) {
    if (p.name != name) continue;
    EXPECT_TRUE(p.load_error) << name << " loaded";
    if (!p.load_error) return Diagnostic{};
    EXPECT_EQ(p.load_error->code, ErrorCode::kLoad);
    return *p.load_error;
  }
  ADD_FAILURE() << "no program " << name;
  return Diagnostic{};
}

void expect_mentions(const Diagnostic& d, const std::string& what) {
  EXPECT_NE(d.to_string().find(what), std::string::npos)
      << "'" << d.to_string() << "' does not mention '" << what << "'";
}

TEST(MalformedTest, OriginalsLoad) {
  for (const char* f : {kSmall, "percpu.v3.o"}) {
    auto bytes = read_prog(f);
    ASSERT_FALSE(bytes.empty()) << f;
    auto r = load_object(bytes);
    EXPECT_TRUE(r.ok()) << f << ": " << r.error().to_string();
  }
}

TEST(MalformedTest, EveryTruncation) {
  for (const char* f : {kSmall, "percpu.v3.o"}) {
    const auto bytes = read_prog(f);
    ASSERT_FALSE(bytes.empty());
    for (size_t len = 0; len < bytes.size(); ++len) {
      std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + len);
      auto r = load_object(cut);
      ASSERT_FALSE(r.ok()) << f << " cut to " << len << " bytes loaded";
      ASSERT_FALSE(r.error().message.empty());
    }
  }
}

TEST(MalformedTest, NotElf) {
  std::vector<uint8_t> junk(200, 0x42);
  expect_mentions(load_error_of(junk), "not an ELF file");
  expect_mentions(load_error_of({}), "not an ELF file");
}

TEST(MalformedTest, WrongMachine) {
  auto b = read_prog(kSmall);
  ElfView v{b};
  Elf64_Ehdr h = v.ehdr();
  h.e_machine = EM_X86_64;
  v.set_ehdr(h);
  expect_mentions(load_error_of(b), "machine 62 is neither EM_BPF");
}

TEST(MalformedTest, WrongClass) {
  auto b = read_prog(kSmall);
  b[EI_CLASS] = ELFCLASS32;
  expect_mentions(load_error_of(b), "ELFCLASS64");
}

TEST(MalformedTest, WrongEndianness) {
  auto b = read_prog(kSmall);
  b[EI_DATA] = ELFDATA2MSB;
  expect_mentions(load_error_of(b), "little-endian");
}

TEST(MalformedTest, NotRelocatable) {
  auto b = read_prog(kSmall);
  ElfView v{b};
  Elf64_Ehdr h = v.ehdr();
  h.e_type = ET_EXEC;
  v.set_ehdr(h);
  expect_mentions(load_error_of(b), "ET_REL");
}

TEST(MalformedTest, UnknownRelocationType) {
  auto b = read_prog(kSmall);
  ElfView v{b};
  const int rel = v.find(".relmem/checksum");
  ASSERT_GT(rel, 0);
  Elf64_Rel r = v.rel(rel, 0);
  r.r_info = ELF64_R_INFO(ELF64_R_SYM(r.r_info), 99);
  v.set_rel(rel, 0, r);
  const Diagnostic d = load_error_of(b);
  expect_mentions(d, "unknown relocation type 99");
  expect_mentions(d, "relocation 0");
  expect_mentions(d, "mem/checksum");
}

TEST(MalformedTest, DataRelocationInCode) {
  auto b = read_prog(kSmall);
  ElfView v{b};
  const int rel = v.find(".relmem/checksum");
  Elf64_Rel r = v.rel(rel, 0);
  r.r_info = ELF64_R_INFO(ELF64_R_SYM(r.r_info), 2 /* R_BPF_64_ABS64 */);
  v.set_rel(rel, 0, r);
  expect_mentions(load_error_of(b), "R_BPF_64_ABS64 cannot patch code");
}

TEST(MalformedTest, RelocationOutsideItsSection) {
  auto b = read_prog(kSmall);
  ElfView v{b};
  const int rel = v.find(".relmem/checksum");
  const int code = v.find("mem/checksum");
  Elf64_Rel r = v.rel(rel, 0);
  r.r_offset = v.shdr(code).sh_size + 8;
  v.set_rel(rel, 0, r);
  const Diagnostic d = load_error_of(b);
  expect_mentions(d, "outside the instructions of mem/checksum");
}

TEST(MalformedTest, RelocationMisaligned) {
  auto b = read_prog(kSmall);
  ElfView v{b};
  const int rel = v.find(".relmem/checksum");
  Elf64_Rel r = v.rel(rel, 0);
  r.r_offset += 3;
  v.set_rel(rel, 0, r);
  expect_mentions(load_error_of(b), "relocation 0");
}

TEST(MalformedTest, RelocationOfTheWrongInstruction) {
  auto b = read_prog(kSmall);
  ElfView v{b};
  const int rel = v.find(".relmem/checksum");
  Elf64_Rel r = v.rel(rel, 0);
  r.r_offset = 0;  // the program's first instruction is not a call
  v.set_rel(rel, 0, r);
  expect_mentions(program_error_of(b, "word_checksum"), "neither an lddw nor a local call");
}

TEST(MalformedTest, RelocationWithBadSymbol) {
  auto b = read_prog(kSmall);
  ElfView v{b};
  const int rel = v.find(".relmem/checksum");
  Elf64_Rel r = v.rel(rel, 0);
  r.r_info = ELF64_R_INFO(10000, ELF64_R_TYPE(r.r_info));
  v.set_rel(rel, 0, r);
  expect_mentions(load_error_of(b), "symbol 10000 does not exist");
}

TEST(MalformedTest, RelocationToUndefinedSymbol) {
  auto b = read_prog(kSmall);
  ElfView v{b};
  const size_t at = v.sym_at("checksum");
  ASSERT_NE(at, 0u);
  Elf64_Sym s;
  std::memcpy(&s, b.data() + at, sizeof(s));
  s.st_shndx = SHN_UNDEF;
  std::memcpy(b.data() + at, &s, sizeof(s));
  expect_mentions(program_error_of(b, "word_checksum"), "undefined");
}

TEST(MalformedTest, RelocationSectionPatchesNothing) {
  auto b = read_prog(kSmall);
  ElfView v{b};
  const int rel = v.find(".relmem/checksum");
  Elf64_Shdr s = v.shdr(rel);
  s.sh_info = 999;
  v.set_shdr(rel, s);
  expect_mentions(load_error_of(b), "section 999, which does not exist");
}

TEST(MalformedTest, SectionOutsideTheFile) {
  auto b = read_prog(kSmall);
  ElfView v{b};
  const int code = v.find("mem/checksum");
  Elf64_Shdr s = v.shdr(code);
  s.sh_size = b.size() * 2;
  s.sh_size -= s.sh_size % 8;
  v.set_shdr(code, s);
  expect_mentions(load_error_of(b), "lie outside the file");
}

TEST(MalformedTest, ProgramTooLarge) {
  auto b = read_prog(kSmall);
  LoadOptions opts;
  opts.max_slots = 8;
  expect_mentions(program_error_of(b, "word_checksum", opts), "needs more than 8 slots");
}

TEST(MalformedTest, MissingProgramName) {
  auto b = read_prog(kSmall);
  ElfView v{b};
  const size_t at = v.sym_at("word_max");
  ASSERT_NE(at, 0u);
  Elf64_Sym s;
  std::memcpy(&s, b.data() + at, sizeof(s));
  Elf64_Sym nameless = s;
  nameless.st_name = 0x7fffff00;  // outside the string table
  std::memcpy(b.data() + at, &nameless, sizeof(s));
  expect_mentions(load_error_of(b), "name offset");
  // A program section whose only function lost its global binding holds a static program,
  // named by its symbol (libbpf accepts static programs).
  Elf64_Sym local = s;
  local.st_info = ELF64_ST_INFO(STB_LOCAL, STT_FUNC);
  std::memcpy(b.data() + at, &local, sizeof(s));
  auto obj = load_object(b);
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  bool found = false;
  for (const LoadedProgram& p : obj->programs) found |= p.name == "word_max" && !p.load_error;
  EXPECT_TRUE(found);
}

TEST(MalformedTest, MapSlotRelocationOutsideTheValues) {
  auto b = read_prog("map_in_map.v3.o");
  ASSERT_FALSE(b.empty());
  ASSERT_TRUE(load_object(b).ok());
  ElfView v{b};
  const int rel = v.find(".rel.maps");
  ASSERT_GT(rel, 0);
  Elf64_Rel r = v.rel(rel, 0);
  r.r_offset = 8;  // jumps' max_entries field, not a slot of its values
  v.set_rel(rel, 0, r);
  expect_mentions(load_error_of(b), "map jumps has no value slot at offset 8");
}

TEST(MalformedTest, BadSectionName) {
  auto b = read_prog(kSmall);
  ElfView v{b};
  const int code = v.find("mem/checksum");
  Elf64_Shdr s = v.shdr(code);
  s.sh_name = 0x7ffffff0;
  v.set_shdr(code, s);
  const Diagnostic d = load_error_of(b);
  expect_mentions(d, "section " + std::to_string(code) + ": name offset");
}

TEST(MalformedTest, BtfMapsWithoutBtf) {
  auto b = read_prog("percpu.v3.o");
  ElfView v{b};
  const int btf = v.find(".BTF");
  ASSERT_GT(btf, 0);
  // Rename .BTF to .BTX (same length): .maps cannot be read without it.
  const Elf64_Shdr strtab = v.shdr(v.ehdr().e_shstrndx);
  b[strtab.sh_offset + v.shdr(btf).sh_name + 3] = 'X';
  expect_mentions(load_error_of(b), "need the object's BTF");
}

// Random byte flips: the loader either loads the object or refuses it, never crashes.
TEST(MalformedTest, RandomByteFlips) {
  for (const char* f : {kSmall, "percpu.v3.o", "xdp_filter.v3.o"}) {
    const auto bytes = read_prog(f);
    ASSERT_FALSE(bytes.empty());
    std::mt19937 rng(0x5eed + bytes.size());
    int refused = 0;
    for (int iter = 0; iter < 700; ++iter) {
      auto b = bytes;
      const int flips = 1 + iter % 4;
      for (int k = 0; k < flips; ++k) {
        b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      }
      auto r = load_object(b);
      if (!r.ok()) {
        ++refused;
        EXPECT_FALSE(r.error().message.empty());
      }
    }
    EXPECT_GT(refused, 0) << f;
  }
}

}  // namespace
}  // namespace bpfjit
