// The kernel as an oracle for the verifier's test catalogues (test/verifier/catalogue/).
//
// Each catalogue case is assembled with our assembler, its maps are created with
// bpf(BPF_MAP_CREATE), map references (lddw src 1 = map_fd, src 2 = map_value) are patched
// to the real fds, and the program is loaded with bpf(BPF_PROG_LOAD). The kernel's verdict
// tells whether our expectation (accept / reject) matches the kernel's verifier.
//
// Program types: xdp -> BPF_PROG_TYPE_XDP, socket_filter -> BPF_PROG_TYPE_SOCKET_FILTER.
// A `mem` case (r1 = a buffer of mem_size bytes, r2 = its length) has no kernel program
// type, so it is wrapped: a raw tracepoint program looks up the only value of an array map
// whose value_size is mem_size, returns 0 when that fails, and otherwise calls the case as
// a bpf-to-bpf subprogram with r1 = that value (mem_size bytes the kernel knows) and
// r2 = mem_size. The case's own instruction indices are then the kernel's minus
// kMemPrologueSlots, its frames start one deeper (the wrapper is frame 0), and the kernel
// sees r0 of the case through one more exit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/isa/result.h"

namespace bpfjit::oracle {

struct CatalogueMap {
  std::string type;  // hash, array, prog_array, percpu_hash, percpu_array, lru_hash, queue,
                     // stack, ringbuf
  uint32_t key_size = 0;
  uint32_t value_size = 0;
  uint32_t max_entries = 0;
  bool rdonly_prog = false;  // optional fifth token `rdonly_prog` (.rodata-like)
  bool wronly_prog = false;  // optional fifth token `wronly_prog` (BPF_F_WRONLY_PROG)
  int32_t inner = -1;        // optional fifth token `inner=N`: a map of maps whose inner map
                             // template is map N of the case (listed before it)
  int32_t spin_lock_off = -1;  // optional fifth token `lock=N`: the value holds a struct
                               // bpf_spin_lock at byte N (declared to the kernel with BTF)
};

struct CatalogueCase {
  std::string file;  // the catalogue file's name, for messages
  uint32_t line = 0;  // the line of `=== name`
  std::string name;
  std::string type = "mem";
  std::string platform = "runtime";  // `platform: linux` for the kernel's program types and rules
  uint32_t mem_size = 64;
  std::vector<CatalogueMap> maps;
  bool expect_accept = true;
  uint32_t expect_insn = 0;
  std::string expect_reason;
  std::vector<std::string> notes;
  std::string asm_text;

  // A note says we are deliberately stricter than the kernel (the kernel accepts).
  bool stricter_than_kernel() const;
  // A note says the kernel rejects what we accept (a loop summary proves a loop the kernel
  // follows trip by trip until its complexity limit).
  bool kernel_rejects() const;
};

// Parses a catalogue file's text (the format of verifier_contract.md).
Result<std::vector<CatalogueCase>> parse_catalogue(std::string_view text, std::string_view file);
// Reads and parses a catalogue file.
Result<std::vector<CatalogueCase>> read_catalogue(const std::string& path);

inline constexpr uint32_t kMemPrologueSlots = 12;

struct KernelVerdict {
  bool accepted = false;
  int error = 0;              // errno of BPF_PROG_LOAD when rejected
  std::string log;            // the verifier log
  uint32_t prologue_slots = 0;  // slots the kernel saw before the case's first instruction

  // The index of the last instruction the log shows ("N: (op) ..."), in the case's own
  // numbering (prologue removed): where the kernel stopped when it rejected. -1 if none.
  int64_t last_insn() const;
  // The last `n` non-empty lines of the log.
  std::string log_tail(size_t n) const;
};

// Whether bpf() can load programs here; an error says why not (EPERM, ENOSYS, ...).
Result<void> kernel_available();

// Runs one case through the kernel. An error means the case could not be tried (it does
// not assemble, a map cannot be created, an unknown type), not that the kernel rejected it.
Result<KernelVerdict> run_in_kernel(const CatalogueCase& c);

}  // namespace bpfjit::oracle
