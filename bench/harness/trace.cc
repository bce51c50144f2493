// The packet trace generator (see trace.h).
#include "bench/harness/trace.h"

#include <cstring>

namespace bpfjit::bench {
namespace {

class Lcg {
 public:
  explicit Lcg(uint64_t seed) : x_(seed) {}
  uint32_t next() {
    x_ = x_ * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(x_ >> 32);
  }
  uint32_t below(uint32_t n) { return next() % n; }

 private:
  uint64_t x_;
};

void put16(uint8_t* p, uint16_t v) {  // network byte order
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, static_cast<uint16_t>(v >> 16));
  put16(p + 2, static_cast<uint16_t>(v));
}

uint16_t ipv4_checksum(const uint8_t* h) {
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += (uint32_t{h[i]} << 8) | h[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

struct Flow {
  uint32_t saddr, daddr;
  uint16_t sport, dport;
  uint8_t proto;
};

constexpr uint16_t kPorts[] = {80, 443, 53, 22, 23, 445, 8080, 11211, 123, 5353};

}  // namespace

PacketTrace make_trace(uint32_t count, uint32_t flows) {
  Lcg rng(0x5eed0f7ace);
  std::vector<Flow> fl(flows == 0 ? 1 : flows);
  for (Flow& f : fl) {
    uint32_t net = rng.below(8) == 0 ? 0x0a420000u : 0x0a000000u | (rng.below(64) << 16);
    f.saddr = net | rng.below(65536);
    f.daddr = 0xc0a80000u | rng.below(65536);
    f.sport = static_cast<uint16_t>(1024 + rng.below(60000));
    f.dport = kPorts[rng.below(sizeof(kPorts) / sizeof(kPorts[0]))];
    uint32_t p = rng.below(10);
    f.proto = p < 6 ? 6 : p < 9 ? 17 : 1;
  }
  PacketTrace t;
  t.offsets.reserve(count);
  t.lengths.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint8_t frame[256] = {};
    uint32_t len = 0;
    uint32_t kind = rng.below(100);
    // Ethernet: destination, source, type.
    for (int b = 0; b < 12; ++b) frame[b] = static_cast<uint8_t>(rng.next());
    if (kind < 4) {  // ARP
      put16(frame + 12, 0x0806);
      len = 42;
    } else if (kind < 8) {  // IPv6 (not parsed further by the programs)
      put16(frame + 12, 0x86dd);
      len = 54 + rng.below(64);
    } else {
      const Flow& f = fl[rng.below(static_cast<uint32_t>(fl.size()))];
      put16(frame + 12, 0x0800);
      uint8_t* ip = frame + 14;
      uint32_t payload = rng.below(120);
      uint32_t l4 = f.proto == 6 ? 20 : 8;
      ip[0] = 0x45;
      put16(ip + 2, static_cast<uint16_t>(20 + l4 + payload));
      put16(ip + 4, static_cast<uint16_t>(i));
      ip[8] = static_cast<uint8_t>(kind < 12 ? 1 : 16 + rng.below(100));  // some expire
      if (kind >= 12 && kind < 14) put16(ip + 6, 0x2000);                  // fragments
      ip[9] = f.proto;
      put32(ip + 12, f.saddr);
      put32(ip + 16, f.daddr);
      put16(ip + 10, ipv4_checksum(ip));
      if (kind >= 14 && kind < 17) ip[10] ^= 0x5a;  // bad checksum
      uint8_t* l4p = ip + 20;
      put16(l4p, f.sport);
      put16(l4p + 2, f.dport);
      for (uint32_t b = 4; b < l4 + payload; ++b) l4p[b] = static_cast<uint8_t>(rng.next());
      len = 14 + 20 + l4 + payload;
      if (kind >= 17 && kind < 19) len = 14 + 10 + rng.below(20);  // truncated
    }
    size_t off = (t.bytes.size() + 7) & ~size_t{7};
    t.bytes.resize(off + len);
    std::memcpy(t.bytes.data() + off, frame, len);
    t.offsets.push_back(static_cast<uint32_t>(off));
    t.lengths.push_back(len);
  }
  return t;
}

}  // namespace bpfjit::bench
