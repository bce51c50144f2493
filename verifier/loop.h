// Loop summaries: what the verifier needs when a loop runs too many times to be followed
// iteration by iteration (the approach is in verifier.h's DESIGN): the loop's body, the
// widening of the states met at its head into a candidate invariant, and the ranking
// variables that prove each trip around the loop brings it closer to its end.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "runtime/isa/isa.h"
#include "verifier/cfg.h"
#include "verifier/state.h"

namespace bpfjit::verifier {

// A location of the loop's frame that can hold an induction variable: registers r0-r9 are
// 0-9, stack slot i (bytes [-(i+1)*8, -i*8)) is kLocSlot0 + i. Reg::ind holds location + 1.
using LoopLoc = uint16_t;
inline constexpr LoopLoc kLocSlot0 = 16;

// The register at `loc` in the top frame of `s`: a register or a spilled slot's register;
// null when the slot holds no spill.
Reg* loop_loc(State& s, LoopLoc loc);
const Reg* loop_loc(const State& s, LoopLoc loc);
// Every location of the top frame that holds a register.
std::vector<LoopLoc> loop_locs(const State& s);

// The values widening may stop at (the constants a loop compares with, and their
// neighbours), per view of a scalar.
struct Thresholds {
  std::vector<uint64_t> u64;
  std::vector<int64_t> s64;
  std::vector<uint32_t> u32;
  std::vector<int32_t> s32;

  void add(uint64_t v);  // v, v - 1 and v + 1 in every view
  void finish();         // sorts
};

// Per slot: 1 for the instructions of the natural loop of `head` (the head and everything
// that reaches one of its back edges without passing the head).
std::vector<uint8_t> loop_body(const Cfg& cfg, uint32_t head);

// How a bound of `b` beyond `a` is taken in: as it is (a join), up to a threshold in that
// direction, or to the end of the range. With thresholds the bound moves at least twice as
// far as `b` went past `a`, so that a cluster of thresholds (c - 1, c, c + 1) costs one
// step, and repeated widening stops after a few steps.
enum class WidenMode : uint8_t { kJoin, kThresholds, kExtreme };

// A scalar holding every value of `a` and `b`, widened by `mode` where `b` goes beyond `a`.
Scalar widen_scalar(const Scalar& a, const Scalar& b, const Thresholds& th, WidenMode mode);

// A state holding every concrete state of `a` and `b` (its pc and path facts are `b`'s),
// widened as widen_scalar does; registers that differ in kind become uninitialised, scalar
// ids and induction tags are dropped. Nothing when the two cannot be joined (different
// call chains or references).
std::optional<State> widen_state(const State& a, const State& b, const Thresholds& th,
                                 WidenMode mode);

// A ranking candidate: the value at `loc` moves in direction `dir` (+1 up, -1 down) in the
// order `order` on every trip around the loop, without wrapping.
enum class RankOrder : uint8_t { kU64, kS64, kU32, kS32 };
struct Ranking {
  LoopLoc loc = 0;
  RankOrder order = RankOrder::kU64;
  int8_t dir = 0;
  bool operator==(const Ranking&) const = default;
};

// The most trips a summarised loop may make: a ranking variable's range at the head holds
// at most this many steps (a counter compared with an unknown 64- or 32-bit value does
// not qualify, its loop could run for hours).
inline constexpr uint64_t kMaxLoopTrips = uint64_t{1} << 24;

// The rankings shown by one trip: `back` is a state at the head coming round a back edge,
// `inv` the invariant at the head (which covers `back`). A location qualifies when its
// register in `back` is the head's value at that location plus a constant step d != 0,
// every head value in `inv` plus d stays inside the order's range, and that range holds at
// most kMaxLoopTrips steps.
std::vector<Ranking> trip_rankings(const State& inv, const State& back);

// True when every induction tag of the top frame's locations in `live` (registers, a bit
// each), of its callers' r6-r9 and of every frame's spills is the same in both states
// (pruning inside a loop summary, also inside the subprograms its body calls).
bool same_loop_tags(const State& a, const State& b, uint16_t live);

}  // namespace bpfjit::verifier
