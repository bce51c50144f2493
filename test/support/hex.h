// Hex text of byte strings, as the recorded kernel answers (test/skb, test/xdp) write
// them: two lower-case digits per byte. `empty` is the file's mark for no bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bpfjit::testing {

inline std::string to_hex(std::span<const uint8_t> bytes, std::string_view empty = "") {
  if (bytes.empty()) return std::string(empty);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t c : bytes) {
    s += kDigits[c >> 4];
    s += kDigits[c & 15];
  }
  return s;
}

inline std::vector<uint8_t> from_hex(std::string_view text, std::string_view empty = "") {
  std::vector<uint8_t> out;
  if (text == empty) return out;
  for (size_t i = 0; i + 1 < text.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoul(std::string(text.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

}  // namespace bpfjit::testing
