// Reads the recorded-answer tables of the oracle tests (test/*/…_kernel.tsv): one row per
// line, fields separated by tabs; empty lines and lines starting with '#' are skipped.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace bpfjit::testing {

inline std::vector<std::vector<std::string>> read_tsv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, '\t')) fields.push_back(field);
    rows.push_back(std::move(fields));
  }
  return rows;
}

}  // namespace bpfjit::testing
