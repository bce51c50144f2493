#include "helpers/csum.h"

#include <cstring>

namespace bpfjit::csum {
namespace {

// The adc chains of the kernel's assembly: `sum` plus each word with the carry of the
// previous addition, then the last carry added back ("adcq $0"), whose own carry is lost.
struct Adc {
  uint64_t sum;
  uint64_t carry = 0;
  void addq(uint64_t v) {  // addq: no carry in
    const unsigned __int128 r = static_cast<unsigned __int128>(sum) + v;
    sum = static_cast<uint64_t>(r);
    carry = static_cast<uint64_t>(r >> 64);
  }
  void adcq(uint64_t v) {
    const unsigned __int128 r = static_cast<unsigned __int128>(sum) + v + carry;
    sum = static_cast<uint64_t>(r);
    carry = static_cast<uint64_t>(r >> 64);
  }
};

uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// `n` words then "adcq $0".
uint64_t chain(uint64_t sum, const uint8_t* p, int n) {
  Adc a{sum};
  a.addq(load64(p));
  for (int i = 1; i < n; ++i) a.adcq(load64(p + 8 * i));
  a.adcq(0);
  return a.sum;
}

uint32_t finalize(uint64_t t) {
  const uint64_t ror = (t >> 32) | (t << 32);
  return static_cast<uint32_t>((t + ror) >> 32);
}

}  // namespace

uint32_t partial(const void* buf, size_t len, uint32_t seed) {
  const auto* p = static_cast<const uint8_t*>(buf);
  uint64_t t = seed;
  if (len >= 80) {
    uint64_t t2 = 0;
    do {
      t = chain(t, p, 5);
      t2 = chain(t2, p + 40, 5);
      p += 80;
      len -= 80;
    } while (len >= 80);
    Adc a{t};
    a.addq(t2);
    a.adcq(0);
    t = a.sum;
  }
  if (len >= 40) {
    t = chain(t, p, 5);
    len -= 40;
    if (len == 0) return finalize(t);
    p += 40;
  }
  if (len & 32) {
    t = chain(t, p, 4);
    p += 32;
  }
  if (len & 16) {
    t = chain(t, p, 2);
    p += 16;
  }
  if (len & 8) {
    t = chain(t, p, 1);
    p += 8;
  }
  if (len & 7) {
    uint64_t trail = 0;
    std::memcpy(&trail, p, len & 7);  // the bytes past the end read as zero
    Adc a{t};
    a.addq(trail);
    a.adcq(0);
    t = a.sum;
  }
  return finalize(t);
}

}  // namespace bpfjit::csum
