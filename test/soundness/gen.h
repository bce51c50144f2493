// Programs on the edge of safety for the soundness oracle (oracle.h). Each family builds a
// small program around one kind of proof the verifier must get exactly right, with random
// choices on both sides of the edge: the comparison (all ten conditions, 64 and 32 bits,
// register and immediate forms, both operand orders, both branches, jumps whose two
// targets coincide), the access (widths 1/2/4/8, offsets one below, at and one past the
// proven end), the bounding of a scalar (comparisons, and, shifts, ALU chains), and so on.
// About half of the programs should be accepted; the rest are near misses the verifier
// must refuse (the oracle only runs what it accepts).
//
// Families:
//   pkt_cmp     packet bounds checks against data_end (xdp, sched_cls, socket_filter)
//   pkt_meta    data_meta checked against data (xdp, sched_cls)
//   pkt_var     a packet pointer plus a bounded scalar read from the packet
//   map_var     map value (and mem buffer, stack) with variable offsets: null checks,
//               bounds by comparisons/and/shifts, ALU chains on the offset
//   helper_len  helpers with a variable length (probe_read, skb_load_bytes,
//               xdp_load_bytes, ringbuf_output, map_update with a stack value)
//   spill       pointers (packet, map value, ctx, stack) spilled and filled at various
//               offsets and widths, sometimes partly overwritten in between
//   loop        loops with bounded counters walking a buffer or the packet
//   call        bpf-to-bpf calls passing packet, map value and stack pointers
//   pkt_change  a helper that moves the packet (xdp_adjust_head/meta/tail, skb_pull_data,
//               skb_vlan_pop) between the check and the access; pointers kept in
//               registers or spilled, or loaded and checked again
//   mutate      a catalogue case (test/verifier/catalogue) with one or two mutations: an
//               immediate or offset +-1, a comparison swapped, a width changed, a line
//               dropped
//   objmut      a bpf-progs object (clang's output) with one instruction mutated the same
//               ways in its ELF bytes; every program of it is verified and run
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "test/soundness/oracle.h"

namespace bpfjit::soundness {

struct GenOptions {
  std::string catalogue_dir;  // for the mutate family; empty leaves it out
  std::string objects_dir;    // bpf-progs objects for objmut; empty leaves it out
};

// The families generate() picks from.
const std::vector<std::string>& families();

// One program of family `family` (or a random family when empty). Never fails: a
// program that does not assemble comes back with no instructions (the caller skips it).
Case generate(uint64_t seed, const std::string& family, const GenOptions& opts = {});

}  // namespace bpfjit::soundness
