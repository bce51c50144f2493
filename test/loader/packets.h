// Packet building for the program tests: Ethernet, 802.1Q, IPv4 (with options and a
// correct header checksum), IPv6, TCP and UDP, in wire order.
#pragma once

#include <cstdint>
#include <vector>

namespace bpfjit::testing {

inline constexpr uint16_t kEthIp = 0x0800;
inline constexpr uint16_t kEthIpv6 = 0x86dd;
inline constexpr uint16_t kEthArp = 0x0806;
inline constexpr uint16_t kEthVlan = 0x8100;
inline constexpr uint8_t kTcp = 6;
inline constexpr uint8_t kUdp = 17;
inline constexpr uint8_t kIcmp = 1;

struct Packet {
  std::vector<uint8_t> bytes;

  Packet& u8(uint8_t v) {
    bytes.push_back(v);
    return *this;
  }
  Packet& be16(uint16_t v) { return u8(v >> 8).u8(v & 0xff); }
  Packet& be32(uint32_t v) { return be16(v >> 16).be16(v & 0xffff); }
  Packet& zeros(size_t n) {
    bytes.insert(bytes.end(), n, 0);
    return *this;
  }
  Packet& eth(uint16_t proto) {
    for (int i = 0; i < 6; ++i) u8(0x02);       // destination
    for (int i = 0; i < 6; ++i) u8(0x10 + i);   // source
    return be16(proto);
  }
  Packet& vlan(uint16_t tci, uint16_t inner) { return be16(tci).be16(inner); }
  // An IPv4 header of 20 + 4 * option_words bytes with a correct checksum.
  Packet& ipv4(uint32_t saddr, uint32_t daddr, uint8_t proto, uint8_t ttl = 64,
               uint16_t payload = 8, int option_words = 0) {
    const size_t at = bytes.size();
    const uint16_t hlen = static_cast<uint16_t>(20 + 4 * option_words);
    u8(0x40 | (5 + option_words)).u8(0).be16(hlen + payload).be16(0x1234).be16(0);
    u8(ttl).u8(proto).be16(0).be32(saddr).be32(daddr);
    for (int i = 0; i < option_words; ++i) be32(0x01010101);  // NOPs
    const uint16_t sum = ipv4_checksum(at, hlen);
    bytes[at + 10] = sum >> 8;
    bytes[at + 11] = sum & 0xff;
    return *this;
  }
  Packet& ipv6(uint8_t next, uint16_t payload = 8) {
    u8(0x60).u8(0).be16(0).be16(payload).u8(next).u8(64);
    for (int i = 0; i < 16; ++i) u8(0x20 + i);
    for (int i = 0; i < 16; ++i) u8(0x40 + i);
    return *this;
  }
  Packet& tcp(uint16_t sport, uint16_t dport, uint8_t flags = 0x10) {
    be16(sport).be16(dport).be32(1000).be32(0).u8(5 << 4).u8(flags).be16(512).be16(0);
    return be16(0);
  }
  Packet& udp(uint16_t sport, uint16_t dport, uint16_t payload = 0) {
    return be16(sport).be16(dport).be16(8 + payload).be16(0);
  }

  // The one's complement sum over [at, at + len), folded and inverted.
  uint16_t ipv4_checksum(size_t at, size_t len) const {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2) sum += (bytes[at + i] << 8) | bytes[at + i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
  }
};

// Reads a big-endian field of a packet.
inline uint16_t get_be16(const std::vector<uint8_t>& b, size_t at) {
  return static_cast<uint16_t>((b[at] << 8) | b[at + 1]);
}
inline uint32_t get_be32(const std::vector<uint8_t>& b, size_t at) {
  return (static_cast<uint32_t>(get_be16(b, at)) << 16) | get_be16(b, at + 2);
}

}  // namespace bpfjit::testing
