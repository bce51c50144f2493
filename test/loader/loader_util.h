// Shared by the loader tests: reading the objects bpf-progs/ builds.
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace bpfjit::testing {

inline std::string prog_path(const std::string& file) {
  return std::string(BPFJIT_BPF_PROGS_DIR) + "/" + file;
}

inline std::vector<uint8_t> read_prog(const std::string& file) {
  std::ifstream in(prog_path(file), std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace bpfjit::testing
