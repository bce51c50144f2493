// The ELF loader: reads a relocatable eBPF object (clang -target bpf -c) into programs,
// map definitions and global data images, ready for the runtime to bind.
//
// Pipeline (one pass each, stopping at the first error):
//   read ELF (libelf)  ->  classify sections (code, maps, .maps, data, relocations, BTF)
//   -> map definitions (legacy `maps` structs, BTF-defined `.maps` read with libbpf's BTF)
//   -> per program: link the subprograms it reaches, resolve every relocation
//   -> decode -> check helper calls against the program type -> rewrite context accesses.
// Object-level steps stop at the first error; a program that fails its own steps is kept
// with LoadedProgram::load_error and the others load.
//
// A loaded program holds only plain instructions. Every lddw that referred to something
// (a map, global data, a subprogram) is now src 0 with a placeholder immediate, and a
// LddwRef in the program's side table says what it refers to; bind_lddw_refs() writes the
// final values (a BpfMap's address, a data buffer's address plus offset, a slot index) once
// the runtime has created the maps and buffers.
#pragma once

#include <cstdint>
#include <optional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "bpfjit/object_info.h"
#include "bpfjit/types.h"
#include "helpers/helper_table.h"
#include "helpers/maps.h"
#include "helpers/program_types.h"
#include "runtime/loader/btf_relo_types.h"
#include "runtime/isa/decode.h"
#include "runtime/isa/isa.h"
#include "runtime/isa/result.h"

namespace bpfjit {

// What a 64-bit immediate load referred to before relocation. After loading, every such
// lddw is a plain one (src 0) whose imm64 the runtime has bound to the value below.
enum class LddwRefKind : uint8_t {
  kMap,       // a map: imm64 = the BpfMap object's address; index = the object's map index
  kMapValue,  // global data: imm64 = the data buffer's address + offset; index = the
              // object's global data section index
  kCode,      // a subprogram (e.g. a bpf_loop callback): imm64 = its slot index (offset)
};

// "map", "map value" or "code".
const char* lddw_ref_kind_name(LddwRefKind kind);

// One entry of a program's lddw side table.
struct LddwRef {
  uint32_t slot = 0;                     // the lddw's first slot in the linked program
  LddwRefKind kind = LddwRefKind::kMap;  // what it refers to
  uint32_t index = 0;                    // map index or global data section index
  uint64_t offset = 0;                   // byte offset (kMapValue) or slot index (kCode)
};


// A global data section (.data, .rodata, .bss, .rodata.str1.1, .data.foo, ...).
struct DataImage {
  std::string name;
  uint32_t section = 0;          // ELF section index
  std::vector<uint8_t> bytes;    // initial contents (zeros for .bss)
  bool readonly = false;         // .rodata*: programs may only read it
  struct Var {
    std::string name;
    uint64_t offset = 0;
    uint64_t size = 0;
  };
  std::vector<Var> vars;         // the named variables (STT_OBJECT symbols) it holds
};

// One initial slot of a prog_array or map-in-map (`.values = { [index] = &target }`).
struct MapSlot {
  uint32_t index = 0;  // the slot (the key)
  std::string target;  // the program (prog_array) or map (map-in-map) it holds, by name
};

// A map definition (from `maps` or `.maps`).
struct MapDef {
  MapSpec spec;
  uint32_t section = 0;  // ELF section index
  uint64_t offset = 0;   // the symbol's offset in that section
  bool btf = false;      // defined in .maps (BTF), not the legacy `maps` struct
  // Map-in-map (`__array(values, struct inner)`): the inner map template, named
  // "<outer>.inner".
  std::optional<MapSpec> inner;
  // The initial slots, by index. The runtime fills a prog_array's slots with the programs
  // named (those that loaded); a map-in-map's slots get the maps named.
  std::vector<MapSlot> slots;
  // The byte offset of the struct bpf_spin_lock in the value (from the value's BTF), or -1.
  int32_t spin_lock_off = -1;
};

struct LoadedProgram {
  std::string name;     // the function symbol (the section name when no symbol names it)
  std::string section;  // the ELF section name
  const ProgramType* type = nullptr;  // never null, also for a program that failed to load
  // Set when this program failed to link, relocate or decode; the other programs of the
  // object are unaffected. Its insns and side tables may then be empty.
  std::optional<Diagnostic> load_error;
  std::vector<Insn> insns;  // linked, relocated, decoded
  std::vector<LddwRef> lddw_refs;
  std::vector<uint32_t> maps;       // indices of the maps the program references
  std::vector<uint32_t> functions;  // entry slots of the subprograms linked in
  uint32_t main_insns = 0;          // slots of the program's own function
  std::vector<CoreReloResult> core_relos;  // the CO-RE relocations applied (btf_relo.h)
};

struct LoadedObject {
  std::vector<MapDef> maps;
  std::vector<DataImage> data;
  std::vector<LoadedProgram> programs;
  std::vector<RelocationInfo> relocations;
  bool has_btf = false;
};

struct LoadOptions {
  const HelperTable* helpers = nullptr;           // null: helper ids are not checked
  const ProgramTypeRegistry* types = nullptr;     // null: the built-in types
  // Use this program type for every program instead of guessing it from the section name.
  std::string type_override;
  // Decode as the kernel does, for loading kernel objects as `mem` and verifying them on
  // the linux platform: legacy packet loads (LD ABS/IND) whatever the program type allows
  // (the platform's program types decide), and writes to r10, which the kernel refuses
  // only where they are reachable (so does the verifier). Such programs are not run.
  bool kernel_decode = false;
  // The largest linked program accepted, in slots.
  size_t max_slots = kMaxProgramSlots;
  // Bounds on what an object may hold whatever its file size (sections may overlap): its
  // sections (e_shnum or its extension), and the relocations of its code and .maps
  // sections together (each patches one slot or map slot).
  size_t max_sections = 65535;
  size_t max_relocations = 4'000'000;
  // CO-RE: the target BTF, a raw BTF file (/sys/kernel/btf/vmlinux) or an ELF object with
  // a .BTF section. Empty: none, and an object with CO-RE relocations fails to load.
  std::string target_btf;
  // Values of `.kconfig` externs by name, as a kernel config writes them: y, m, n, a
  // number or a "string" (parse_kconfig() in btf_relo.h reads a config file).
  std::map<std::string, std::string> kconfig;
};

// The program type a section name implies: xdp*, socket*, tc*, classifier* (the __sk_buff
// context of socket_filter), otherwise mem.
std::string program_type_for_section(const std::string& section);

// Loads an object from its bytes. Errors have code kLoad and name the section, offset,
// relocation or instruction at fault.
Result<LoadedObject> load_object(std::span<const uint8_t> bytes, const LoadOptions& opts = {});

// Writes the final imm64 of every lddw in `prog` from its side table: map_addrs[i] is the
// address of map i, data_addrs[i] the address of data section i's buffer.
void bind_lddw_refs(LoadedProgram& prog, std::span<const uint64_t> map_addrs,
                    std::span<const uint64_t> data_addrs);

// Rewrites the context accesses of a linked program for the runtime's shadow context (see
// helpers/program_types.h): a forward data-flow pass tracks which registers and stack
// slots hold the context pointer (at which offset) and maps every load and store through
// it with map_ctx_access(). An access through a register that holds the context on one
// path and something else on another is refused. No-op for kMemBuffer types.
Result<void> rewrite_ctx_accesses(std::vector<Insn>& insns, const ProgramType& type);

}  // namespace bpfjit
