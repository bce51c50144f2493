// The abstract state of one verification path: the registers and stack of every frame of
// the call chain, the live references (ringbuf reservations), and the comparison that
// decides whether an explored state covers a new one (state pruning).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/isa/isa.h"
#include "verifier/scalar.h"

namespace bpfjit::verifier {

enum class RegType : uint8_t {
  kNotInit,           // never written (or clobbered by a call)
  kScalar,            // a number: `val` holds its bounds
  kCtx,               // the program type's context struct
  kStack,             // into the stack of frame `frame`
  kMapPtr,            // a map reference (lddw map_fd/map_idx), map `map`
  kMapPtrOrNull,      // from a lookup in a map of maps: inner map `map`, null until tested
  kMapValue,          // into a value of map `map`
  kMapValueOrNull,    // from map_lookup_elem: null until tested (id = the null check's id)
  kPacket,            // into the packet; `range` bytes from off 0 are proven before data_end
  kPacketEnd,         // one past the packet's last byte
  kPacketMeta,        // the packet's metadata (no access proven)
  kRingbufMem,        // a live ringbuf reservation of `size` bytes (ref = its reference)
  kRingbufMemOrNull,  // from ringbuf_reserve, null until tested
  kMem,               // the `mem` program type's buffer of `size` bytes
  kFunc,              // the address of subprogram `func` (lddw code): a callback
};

const char* reg_type_name(RegType t);
bool is_pointer(RegType t);

// One register. For pointers the address is base + off + val: `off` is the fixed part
// (constant additions) and `val` the variable part (a Scalar, the constant 0 when none).
struct Reg {
  // (Fields ordered by size, widest first, so that a register has no padding: states are
  // copied at every prune point.)
  Scalar val = Scalar::constant(0);
  int64_t off = 0;
  // Scalars with an id: this value is the id's common base plus link_off (the kernel's
  // linked registers with a constant delta): after `r2 = r1; r2 += -61`, r1 and r2 share
  // an id with link_off 0 and -61, and a branch on r2 narrows r1 too. Only differences of
  // link_off between holders of one id mean anything.
  int64_t link_off = 0;
  uint64_t size = 0;   // mem and ringbuf memory: bytes; func: the target slot
  int64_t range = 0;   // packet: bytes proven accessible after base + off 0
  // Inside a loop summary (verifier/loop.h): this scalar equals the value that location
  // `ind` - 1 (a LoopLoc) held at the loop head plus `ind_delta` (only in the low 32 bits
  // when `ind_w32`). 0: no such relation.
  int64_t ind_delta = 0;
  // Scalars: copies of one value share an id, so a branch that narrows one narrows all.
  // Nullable pointers: copies share an id, so a null test marks all. Packet pointers:
  // pointers with the same variable part share an id (and a proven range).
  uint32_t id = 0;
  uint32_t ref = 0;    // ringbuf memory: the reference id of the reservation
  uint32_t map = 0;    // map pointers and values: the map index; stack: the frame
  uint16_t ind = 0;
  bool ind_w32 = false;
  RegType type = RegType::kNotInit;

  static Reg scalar(const Scalar& s) {
    Reg r;
    r.type = RegType::kScalar;
    r.val = s;
    return r;
  }
  static Reg unknown() { return scalar(Scalar::unknown()); }

  bool is_scalar() const { return type == RegType::kScalar; }
  bool is_init() const { return type != RegType::kNotInit; }
  bool is_const_scalar(uint64_t v) const {
    return type == RegType::kScalar && val.is_const() && val.value() == v;
  }
};

// What is known about one byte of a stack frame.
// kConst: a known byte, its value in StackSlot::vals (constants stored in pieces).
enum class ByteState : uint8_t { kInvalid, kMisc, kConst, kSpill };

// Eight bytes of stack: [-(i+1)*8, -i*8) for slot i. When all bytes are kSpill, `spill`
// holds the register stored there by an aligned 8-byte store.
struct StackSlot {
  std::array<ByteState, 8> bytes{};
  std::array<uint8_t, 8> vals{};  // the kConst bytes' values
  Reg spill;

  bool is_spill() const { return bytes[0] == ByteState::kSpill; }
};

struct Frame {
  std::array<Reg, kNumRegs> regs{};
  std::vector<StackSlot> stack;  // grows on demand, slot 0 nearest r10
  uint32_t callsite = UINT32_MAX;  // the call instruction in the caller (none for frame 0)
  uint32_t subprog = 0;
  bool callback = false;  // entered through a helper (bpf_loop): returns to callsite + 1
  // Callbacks: the caller's frames when the callback was entered, its arguments and how
  // many times it has been re-entered to reach a stable state.
  std::shared_ptr<const std::vector<Frame>> callback_entry;
  std::shared_ptr<const std::array<Reg, 6>> callback_args;
  uint32_t callback_round = 0;

  StackSlot& slot(uint32_t index) {
    if (index >= stack.size()) stack.resize(index + 1);
    return stack[index];
  }
};

struct RefEntry {
  uint32_t id = 0;
  uint32_t insn = 0;  // where it was acquired
};

struct Checkpoint;

// The bpf_spin_lock a path holds: the one in the value that map value pointers with this
// id point to (ids survive the lookup's null test), taken at `insn`.
struct HeldLock {
  bool held = false;
  uint32_t id = 0;
  uint32_t map = 0;
  uint32_t insn = 0;
};

struct State {
  std::vector<Frame> frames;
  std::vector<RefEntry> refs;
  HeldLock lock;
  uint32_t pc = 0;
  uint32_t prev_pc = 0;          // the instruction executed before pc (names loop back edges)
  Checkpoint* parent = nullptr;  // the last checkpoint this path went through
  uint32_t loop_forks = 0;       // forks at loop heads on this path (termination diagnosis)

  Frame& top() { return frames.back(); }
  const Frame& top() const { return frames.back(); }
  Reg& reg(uint8_t r) { return frames.back().regs[r]; }
  const Reg& reg(uint8_t r) const { return frames.back().regs[r]; }

  // Applies f(Reg&) to every register and spilled register of every frame.
  template <typename F>
  void for_each_reg(F f) {
    for (Frame& fr : frames) {
      for (Reg& r : fr.regs) f(r);
      for (StackSlot& s : fr.stack) {
        if (s.is_spill()) f(s.spill);
      }
    }
  }
};

// A stored state at a prune point. `branches` counts the paths still being explored below
// it; a checkpoint with branches == 0 is complete, and a state it covers needs no more
// exploring. With depth-first, last-in-first-out exploration, a checkpoint still in
// progress at the same instruction is an ancestor of the current path: a state it covers
// is a loop that makes no progress.
struct Checkpoint {
  State state;
  Checkpoint* parent = nullptr;
  uint32_t branches = 0;
  bool stored = true;  // false once evicted from its instruction's list
};

// True when every concrete state of `cur` is a concrete state of `old`, looking only at
// the registers of the top frame in `live` (a bit per register); scalars of the top frame
// outside `precise` only have to be scalars in both.
bool state_covers(const State& old, const State& cur, uint16_t live, uint16_t precise);

// "r1=ctx r2=pkt(off=14,r=34) fp-8=scalar" for the verbose log.
std::string describe_reg(const Reg& r);
std::string describe_state(const State& s);

}  // namespace bpfjit::verifier
