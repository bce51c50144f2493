// The bpfjit verifier: proves, before a program runs, that it only touches memory it may,
// calls helpers as their prototypes say, releases what it acquires and terminates.
//
// DESIGN
// What is tracked. Each register has a type (verifier/state.h): scalar, ctx, stack
// pointer (frame + offset), map pointer, map value (map + offset range), map value or null,
// packet (offset + the range proven against packet end), packet end, packet meta, ringbuf
// memory or null (+ reference id), the `mem` program type's buffer (+ size) and function
// addresses. A scalar, and the variable part of a pointer's offset, is a Scalar
// (verifier/scalar.h): signed and unsigned 64-bit ranges, 32-bit subregister ranges and
// known bits, narrowed on both sides of every conditional jump. Each frame has a stack of
// 512 bytes with per-byte initialisation and spilled registers that keep their type and
// bounds. Nullable pointers carry an id shared by their copies, so one null test marks all.
// Ringbuf reservations are references that must be released on every path to exit.
//
// Why path exploration. We explore paths depth-first like the kernel verifier instead of
// computing a fixpoint with widening (PREVAIL). Path exploration keeps each path's facts
// exact (a loop counter is a constant in each iteration), which is what proves loops over a
// buffer whose size is known (the `mem` type with mem_size) without any loop invariant,
// and it gives the kernel's behaviour and messages on the programs people actually write.
// Its cost is the number of paths; state pruning keeps it in check: at prune points (jump
// targets, successors of conditional jumps, call return sites, loop heads) explored states
// are stored, and a new state that a completely explored stored state covers (every
// register and stack byte it can hold, the stored state can hold too; dead registers, by a
// liveness analysis, are ignored) is not explored again.
//
// Termination. A loop is accepted when exploration leaves it on every path, i.e. the
// verifier has followed every iteration with precise values. Exploration is depth-first
// and last-in-first-out, so a stored state whose exploration is still in progress at the
// same instruction is an ancestor of the current path: when it covers the current state,
// the loop can repeat forever without progress, and the program is rejected (`infinite
// loop`). Loops that make progress but whose bound is unknown (a counter compared with an
// unknown value) grow the path until the complexity limit (1,000,000 processed
// instructions by default); when that happens on a path that kept forking at loop heads
// the rejection says `infinite loop`, otherwise `complexity limit`.
//
// Loop summaries (verifier/loop.h). Following every trip does not scale to a loop of a
// million trips, so when a path comes to a loop head for the 8th time since it entered
// the loop, the verifier tries to summarise the loop instead:
//  - Invariant. The states of the last two visits are joined and widened: a bound that
//    moved jumps to a threshold (the constants the body compares with, the bounds of the
//    registers it compares that did not move, plus and minus one), the known bits become
//    those of the ranges. A pointer that moved by a constant step in step with a counter
//    gets the offsets that the counter's range allows (b = b0 + db * k while
//    a = a0 + da * k), which is what bounds `p += 4` walks over a buffer.
//  - Body. The body (the natural loop: the head and all that reaches a back edge without
//    passing it) is explored from the invariant as an ordinary path search with its own
//    pending paths and stored states, so every access, helper call and division is
//    checked, and insn_flags are set, against the invariant. A path that leaves the body
//    is an exit; a path that comes back to the head is a trip, and must be covered by the
//    invariant; when it is not, the invariant is widened with it and the body explored
//    again (a few times with thresholds, then to the ends of the ranges; when a widened
//    invariant fails, the plain join of the one before and that trip is tried once, for
//    a bound the thresholds stepped over); an invariant that holds but is too wide is
//    narrowed to the join of the entry and the trips.
//  - Ranking. Inside a summary each register and spilled slot carries an induction tag:
//    "the head's value of location L plus d", kept by mov, add and sub of constants (only
//    the low 32 bits after 32-bit operations) and dropped by anything else. The loop
//    terminates when one location comes back on every trip as itself plus a non-zero d of
//    one sign, in one order (u64, s64, u32 or s32), with every head value in the
//    invariant plus d still inside that order's range (no wrap) and at most 2^24 steps in
//    the invariant's range: the value then moves strictly one way inside a finite range.
//    Stored states inside a summary prune only states with the same tags, so the pruned
//    paths make the same progress as the explored ones. Inner loops are summarised inside
//    the body of the outer one; their exits keep the outer tags of the values the inner
//    loop did not change.
//  - Calls. A bpf-to-bpf call in the body is followed inside the summary (the subprogram
//    is checked under the invariant, in frames above the loop's); a trip is only counted
//    back at the head in the loop's frame. A store into a caller's stack drops the tags of
//    that frame's spills, and pruning compares the tags of every frame.
//  - Result. When the ranking holds, exploration goes on from every exit state (the
//    invariant refined by the exit branch). When anything fails (an error under the
//    invariant, no ranking location, a body or a subprogram it calls that takes a callback)
//    the summary is dropped, its work does not count towards the complexity limit, and the
//    loop is followed trip by trip exactly as without summaries. Errors found under an
//    invariant are never reported: an invariant may hold states the program never reaches.
//
// Results. verify() reports every rejection it finds (the first one is the main one; a
// path stops at its first error, other paths go on), the verbose log (`log`), statistics,
// and per-instruction facts for the JIT (insn_flags, the bits of jit/jit.h JitInsnFlag).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "helpers/prototype.h"
#include "runtime/isa/isa.h"
#include "runtime/isa/result.h"
#include "verifier/platform.h"

namespace bpfjit::verifier {

// Per-slot facts for the JIT: the same bits as jit/jit.h's JitInsnFlag.
inline constexpr uint8_t kFlagMemSafe = 1 << 0;           // access proven inside its region
inline constexpr uint8_t kFlagDivisorNonZero = 1 << 1;    // divisor proven non-zero
inline constexpr uint8_t kFlagDivisorNotMinusOne = 1 << 2;  // signed divisor proven not -1

// What an lddw refers to, from an object loader's relocations.
enum class LddwRefKind : uint8_t {
  kMap,       // the address of map `map`
  kMapValue,  // the address of byte `offset` of map `map`'s value (global data)
  kCode,      // the address of the subprogram at slot `offset` (a callback)
};

struct LddwRef {
  uint32_t slot = 0;
  LddwRefKind kind = LddwRefKind::kMap;
  uint32_t map = 0;
  uint32_t offset = 0;
};

struct MapInfo {
  uint32_t type = 0;  // kernel BPF_MAP_TYPE_* number (verifier/platform.h map_type)
  uint32_t key_size = 0;
  uint32_t value_size = 0;
  uint32_t max_entries = 0;
  bool read_only = false;   // .rodata, BPF_F_RDONLY_PROG: programs may not write values
  bool write_only = false;  // BPF_F_WRONLY_PROG: programs may not read values
  // array_of_maps, hash_of_maps: the index (in VerifyInput::maps) of the inner map template
  // that lookups return a pointer to; -1 when unknown (lookups are then refused).
  int32_t inner = -1;
  // The byte offset of the struct bpf_spin_lock in a value (from the value's BTF), or -1.
  // Programs take it with bpf_spin_lock and may not load or store it.
  int32_t spin_lock_off = -1;
};

struct VerifyInput {
  const std::vector<Insn>& insns;
  // lddw references. For slots with no entry, pseudo lddw instructions (src 1/5: map
  // index imm; src 2/6: map index imm, value offset in the second slot's imm; src 4: code)
  // are read directly.
  std::vector<LddwRef> lddw_refs;
  std::vector<MapInfo> maps;
  const ProgramType& type;
  // Helper prototypes by id; when empty, the platform's.
  std::function<const HelperProto*(uint32_t)> helper;
  // The `mem` program type's buffer size when it is known at preparation time.
  std::optional<uint64_t> mem_size;
  const Platform& platform = runtime_platform();
};

struct VerifyOptions {
  bool log = false;                        // fill VerifyResult::log
  uint64_t complexity_limit = 1'000'000;   // processed instructions
  // Errors reported at most. After the first, the search for more goes on for at most
  // 65,536 processed instructions: a refused program never costs the whole complexity
  // limit once its reason is known.
  size_t max_diagnostics = 32;
  // Wall time the verification may take (0: no limit; the runtime's PrepareOptions sets
  // one); checked every 1024 processed instructions, so an overrun is at most that much
  // work.
  std::chrono::milliseconds time_limit{0};
  // The estimate of stored and pending states (VerifyStats::peak_memory_bytes) may not
  // exceed this many bytes (0: no limit; the runtime's PrepareOptions sets one).
  uint64_t memory_limit = 0;
};

struct VerifyStats {
  uint64_t insns_processed = 0;
  uint64_t states_stored = 0;
  uint64_t states_pruned = 0;
  uint64_t peak_pending = 0;       // paths waiting on the exploration stack at once
  uint64_t peak_memory_bytes = 0;  // estimate: stored and pending states
  uint32_t max_stack_depth = 0;    // bytes, deepest call chain
  std::chrono::microseconds time{0};
};

struct VerifyResult {
  bool accepted = false;
  std::vector<Diagnostic> diagnostics;  // every rejection; [0] is the main one
  std::string log;
  VerifyStats stats;
  std::vector<uint8_t> insn_flags;  // per slot, kFlag* bits; empty when rejected
  // Per slot: at a bpf_map_lookup_elem call, the index (in VerifyInput::maps) of the map
  // that r1 holds on every path that reaches it, as an lddw loaded it (never an inner map
  // of a map-in-map lookup); -1 elsewhere. With it the JIT may emit an array lookup in
  // place (jit.h JitArrayLookup). Empty when rejected.
  std::vector<int32_t> lookup_maps;

  // The main rejection ("insn 12: ldxw %r2, [%r1+80]: packet access out of bounds: ...").
  std::string error_text() const;
};

VerifyResult verify(const VerifyInput& input, const VerifyOptions& options = {});

}  // namespace bpfjit::verifier
