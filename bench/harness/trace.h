// A deterministic packet trace for the program kernels: Ethernet frames with IPv4 TCP,
// UDP (some DNS) and ICMP traffic over a fixed set of flows, plus some IPv6 and ARP
// frames, truncated frames, bad IPv4 checksums, low TTLs and fragments, so that every
// branch of the parsers runs.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace bpfjit::bench {

struct PacketTrace {
  std::vector<uint8_t> bytes;      // every frame, back to back (each starts 8-aligned)
  std::vector<uint32_t> offsets;   // frame i is bytes[offsets[i], offsets[i] + lengths[i])
  std::vector<uint32_t> lengths;

  size_t size() const { return offsets.size(); }
  std::span<uint8_t> frame(size_t i) { return {bytes.data() + offsets[i], lengths[i]}; }
};

// `count` frames over `flows` distinct IPv4 5-tuples; the same arguments give the same
// bytes on every run.
PacketTrace make_trace(uint32_t count, uint32_t flows = 256);

}  // namespace bpfjit::bench
