// What the fuzz targets of test/fuzz share: reading a header from the front of an input,
// and the verifier's view of the lddw references a program from fuzzer bytes holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "runtime/isa/isa.h"
#include "verifier/platform.h"
#include "verifier/verifier.h"

namespace bpfjit::fuzz {

// Reads the input from its front; past the end every read gives zeros.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  uint8_t u8() { return pos_ < bytes_.size() ? bytes_[pos_++] : 0; }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(u8()) << (8 * i);
    return v;
  }
  // Up to n bytes.
  std::span<const uint8_t> take(size_t n) {
    size_t k = std::min(n, bytes_.size() - pos_);
    auto s = bytes_.subspan(pos_, k);
    pos_ += k;
    return s;
  }
  std::span<const uint8_t> rest() { return take(bytes_.size() - pos_); }
  bool empty() const { return pos_ >= bytes_.size(); }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

// Whole 8-byte slots of `bytes` (a trailing partial slot is dropped).
inline std::span<const uint8_t> whole_slots(std::span<const uint8_t> bytes) {
  return bytes.first(bytes.size() / 8 * 8);
}

// The platforms the verifier target chooses from (runtime, linux).
const verifier::Platform& platform_at(uint8_t index);
// The index of a platform and of a type in it, for seed headers; -1 when absent.
int platform_index(const std::string& name);
int type_index(const verifier::Platform& platform, const std::string& type);

// The verifier's lddw reference table for a decoded program whose pseudo lddws name maps
// by index (map_fd, map_idx: imm modulo map_count; map_value, map_idx_value: the second
// slot's imm as the offset) and subprograms (code). With no maps, map references get none
// and the verifier refuses them.
std::vector<verifier::LddwRef> lddw_refs(const std::vector<Insn>& insns, uint32_t map_count);

// The map types the verifier target gives programs (kernel numbers).
std::span<const uint32_t> fuzz_map_types();

// Stops the process with a message: the fuzzer records the input as a crash.
[[noreturn]] void fail(const std::string& what);

}  // namespace bpfjit::fuzz
