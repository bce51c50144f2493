// fuzz_seedgen OUT BPF_PROGS_DIR CONFORMANCE_DIR CATALOGUE_DIR: writes the seed corpora of
// the fuzz targets to OUT/<target>/ at build time, in each target's input format:
//   elf       the bpf-progs objects as they are
//   asm       conformance programs (bytes, and their disassembly as text) and the
//             verifier catalogue's assembler text
//   verifier  the catalogue's cases (platform, type, mem size, maps), the conformance
//             programs as mem programs, and the programs of the bpf-progs objects
//   jit       the conformance programs with their memory, verified and checked
//   capi      call sequences that load each known object, prepare, run and use its maps
// Inputs that are absent (no ../shared/conformance) are skipped with a note.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "helpers/program_types.h"
#include "runtime/isa/asm.h"
#include "runtime/isa/decode.h"
#include "runtime/isa/disasm.h"
#include "runtime/loader/loader.h"
#include "test/fuzz/common.h"
#include "test/support/conformance.h"

namespace fs = std::filesystem;
using namespace bpfjit;

namespace {

fs::path g_out;
size_t g_count = 0;

void write(const std::string& target, const std::string& name, const std::vector<uint8_t>& bytes) {
  fs::create_directories(g_out / target);
  std::ofstream f(g_out / target / name, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  ++g_count;
}

std::vector<uint8_t> read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::vector<uint8_t> bytes_of(const std::vector<Insn>& insns) {
  std::vector<RawInsn> raw = encode(insns);
  std::vector<uint8_t> out(raw.size() * 8);
  std::memcpy(out.data(), raw.data(), out.size());
  return out;
}

std::vector<uint8_t> concat(std::vector<uint8_t> head, const std::vector<uint8_t>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

int map_type_index(uint32_t type) {
  auto types = fuzz::fuzz_map_types();
  for (size_t i = 0; i < types.size(); ++i) {
    if (types[i] == type) return static_cast<int>(i);
  }
  return 0;
}

// The verifier target's header: platform, type, mem size, maps.
struct MapSeed {
  uint32_t type, key, value, max;
  uint8_t flags;
};
std::vector<uint8_t> verifier_header(int platform, int type, uint32_t mem_size,
                                     const std::vector<MapSeed>& maps) {
  std::vector<uint8_t> h{static_cast<uint8_t>(platform), static_cast<uint8_t>(type),
                         static_cast<uint8_t>(std::min<uint32_t>(mem_size, 255)),
                         static_cast<uint8_t>(std::min<size_t>(maps.size(), 3))};
  for (size_t i = 0; i < maps.size() && i < 3; ++i) {
    const MapSeed& m = maps[i];
    h.push_back(static_cast<uint8_t>(map_type_index(m.type)));
    h.push_back(static_cast<uint8_t>(std::min<uint32_t>(m.key, 255)));
    h.push_back(static_cast<uint8_t>(std::min<uint32_t>(m.value, 255)));
    h.push_back(static_cast<uint8_t>(std::min<uint32_t>(m.max, 255)));
    h.push_back(m.flags);
  }
  return h;
}

void elf_seeds(const fs::path& dir) {
  std::vector<fs::path> objects;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".o") objects.push_back(e.path());
  }
  std::sort(objects.begin(), objects.end());
  for (const fs::path& p : objects) {
    std::vector<uint8_t> bytes = read(p);
    write("elf", p.filename().string(), bytes);
    if (p.string().find(".v4.o") == std::string::npos) continue;
    auto obj = load_object(bytes);
    if (!obj.ok()) continue;
    int n = 0;
    for (const LoadedProgram& prog : obj->programs) {
      if (prog.load_error || prog.insns.empty()) continue;
      std::vector<MapSeed> maps;
      for (const MapDef& m : obj->maps) {
        maps.push_back({static_cast<uint32_t>(m.spec.type), m.spec.key_size, m.spec.value_size,
                        m.spec.max_entries, 0});
      }
      const verifier::Platform& rt = verifier::runtime_platform();
      int type = fuzz::type_index(rt, prog.type->name);
      if (type < 0) continue;
      std::string name = p.stem().string() + "." + std::to_string(n++);
      write("verifier", name, concat(verifier_header(0, type, 64, maps), bytes_of(prog.insns)));
      write("asm", name, concat({0}, bytes_of(prog.insns)));
    }
  }
}

void conformance_seeds(const fs::path& dir) {
  auto cases = testing::parse_cases_file(dir / "cases.tsv");
  if (!cases.ok()) {
    std::cerr << "fuzz_seedgen: no conformance cases (" << cases.error().to_string() << ")\n";
    return;
  }
  int mem_type = fuzz::type_index(verifier::runtime_platform(), mem_program_type().name);
  for (const testing::Case& c : *cases) {
    std::string name = fs::path(c.file).stem().string();
    write("asm", name + ".bin", concat({0}, c.program));
    auto insns = decode_bytes(c.program);
    if (insns.ok()) {
      std::string text = disassemble_program(*insns, {.labels = true, .slot_numbers = false});
      write("asm", name + ".s", concat({3}, std::vector<uint8_t>(text.begin(), text.end())));
    }
    write("verifier", name, concat(verifier_header(0, mem_type, static_cast<uint32_t>(c.mem.size()), {}),
                                   c.program));
    if (c.mem.size() > 255) continue;
    for (uint8_t mode : {0, 1}) {
      std::vector<uint8_t> h{mode, static_cast<uint8_t>(c.mem.size())};
      h.insert(h.end(), c.mem.begin(), c.mem.end());
      write("jit", name + (mode ? ".checked" : ".verified"), concat(h, c.program));
    }
  }
}

std::string trim(std::string s) {
  while (!s.empty() && isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// A small reader of the catalogue's format (test/verifier/catalogue/*.txt): enough for
// seeds (name, type, platform, mem_size, maps, asm).
void catalogue_seeds(const fs::path& dir) {
  struct Case {
    std::string name, type = "mem", platform = "runtime", asm_text;
    uint32_t mem_size = 64;
    std::vector<MapSeed> maps;
  };
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".txt") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Case> cases;
  for (const fs::path& f : files) {
    std::ifstream in(f);
    std::string line;
    bool in_asm = false;
    while (std::getline(in, line)) {
      if (line.rfind("=== ", 0) == 0) {
        cases.push_back({});
        cases.back().name = trim(line.substr(4));
        in_asm = false;
        continue;
      }
      if (cases.empty()) continue;
      Case& c = cases.back();
      // Within asm: indented lines, blank lines and label lines ("out:" at the margin).
      bool label = line.find(':') != std::string::npos && line.find(' ') == std::string::npos;
      if (in_asm && (line.empty() || line[0] == ' ' || line[0] == '\t' || label)) {
        c.asm_text += line + "\n";
        continue;
      }
      in_asm = false;
      auto value = [&](const char* key) -> std::optional<std::string> {
        std::string k = std::string(key) + ":";
        if (line.rfind(k, 0) != 0) return std::nullopt;
        return trim(line.substr(k.size()));
      };
      if (auto v = value("type")) c.type = *v;
      if (auto v = value("platform")) c.platform = *v;
      if (auto v = value("mem_size")) c.mem_size = static_cast<uint32_t>(std::stoul(*v));
      if (value("asm")) in_asm = true;
      if (auto v = value("maps")) {
        std::stringstream all(*v);
        std::string one;
        while (std::getline(all, one, ';')) {
          std::stringstream ts(one);
          std::string type;
          MapSeed m{0, 0, 0, 0, 0};
          ts >> type >> m.key >> m.value >> m.max;
          m.type = verifier::map_type_from_name(type);
          std::string extra;
          while (ts >> extra) {
            if (extra == "rdonly_prog") m.flags |= 1;
            if (extra == "wronly_prog") m.flags |= 2;
            if (extra.rfind("inner=", 0) == 0) m.flags |= 4;
          }
          c.maps.push_back(m);
        }
      }
    }
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    std::string name = "catalogue." + std::to_string(i);
    write("asm", name + ".s", concat({1}, std::vector<uint8_t>(c.asm_text.begin(), c.asm_text.end())));
    int platform = fuzz::platform_index(c.platform);
    if (platform < 0) continue;
    const verifier::Platform& p = fuzz::platform_at(static_cast<uint8_t>(platform));
    int type = fuzz::type_index(p, c.type);
    DecodeOptions dopts;
    dopts.allow_r10_writes = p.kernel_rules;
    auto insns = assemble(c.asm_text, dopts);
    if (type < 0 || !insns.ok()) continue;
    write("verifier", name, concat(verifier_header(platform, type, c.mem_size, c.maps), bytes_of(*insns)));
    if (c.type == "mem" && c.maps.empty() && c.mem_size <= 255) {
      std::vector<uint8_t> h{0, static_cast<uint8_t>(c.mem_size)};
      h.resize(2 + c.mem_size, 0x5a);
      write("jit", name, concat(h, bytes_of(*insns)));
    }
  }
}

// fuzz_capi: opcodes as in fuzz_capi.cc (0 create runtime, 2 load a known object, 12
// prepare, 13 run, 14 test run, 15 verify, 7/8 map update/lookup, 10 next key, 16 object
// queries, 17 misc, 18 consume, 20 NULL arguments).
void capi_seeds() {
  for (uint8_t k = 0; k < 16; ++k) {
    std::vector<uint8_t> s{0,
                           2,  k, 0, 0, 0,           // load known object k, no settings
                           15, 0, 0x10, 64, 100,     // verify program 0
                           12, 0, 0x10, 64, 100, 1,  // prepare program 0 (auto, verified)
                           13, 0, 64};               // run program 0 on 64 bytes
    s.resize(s.size() + 64, 0);
    s.insert(s.end(), {200, 0, 0,                    // budget, flags, cpu
                       14, 0, 60});                  // test run: 60 bytes
    s.resize(s.size() + 60, 0x11);
    s.insert(s.end(), {0, 200, 0, 0, 3, 3, 1,        // no ctx, run options, out sizes, repeat
                       7, 0, 3, 3,                   // update map 0 (sizes as they are)
                       8, 0, 3, 3,                   // lookup
                       10, 0, 1, 3, 3,               // next key from the start
                       18, 0,                        // consume
                       16, 0, 0, 0, 0,               // object queries
                       17, 0x41, 0, 0, 0, 0,         // misc
                       20,                           // NULL arguments
                       1});                          // destroy the runtime
    write("capi", "known." + std::to_string(k), s);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: fuzz_seedgen OUT BPF_PROGS_DIR CONFORMANCE_DIR CATALOGUE_DIR\n";
    return 2;
  }
  g_out = argv[1];
  fs::create_directories(g_out);
  elf_seeds(argv[2]);
  if (fs::exists(fs::path(argv[3]) / "cases.tsv")) {
    conformance_seeds(argv[3]);
  } else {
    std::cerr << "fuzz_seedgen: no conformance data at " << argv[3] << ", skipped\n";
  }
  catalogue_seeds(argv[4]);
  capi_seeds();
  std::cout << "fuzz_seedgen: " << g_count << " seeds in " << g_out.string() << "\n";
  return 0;
}
