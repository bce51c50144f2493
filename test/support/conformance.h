// Test support: reading the eBPF conformance suite's data (../shared/conformance) in place.
//
// parse_data_file() reads one tests/*.data or negative/*.data file; parse_cases() reads
// cases.tsv, the suite already assembled. conformance_dir() says where the data is, or
// nothing when it is absent (tests then GTEST_SKIP()).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/isa/result.h"

namespace bpfjit::testing {

// One .data file. Sections that the file lacks stay empty / nullopt.
struct DataFile {
  std::string name;                         // the file name, e.g. "add.data"
  std::optional<std::string> asm_text;      // `-- asm`: assembler text, comments kept
  std::optional<std::vector<uint8_t>> raw;  // `-- raw`: program bytes
  std::optional<std::vector<uint8_t>> mem;  // `-- mem`: input memory bytes
  std::optional<uint64_t> result;           // `-- result`: expected r0
  std::optional<std::string> error;         // `-- error`: the program must be refused
};

// Parses the text of a .data file. `name` is used in messages.
Result<DataFile> parse_data(std::string_view text, std::string name);
Result<DataFile> parse_data_file(const std::filesystem::path& path);

// One row of cases.tsv.
struct Case {
  std::string file;           // "add.data"
  uint64_t expected_r0 = 0;
  std::vector<uint8_t> mem;   // empty when the test has no memory
  bool has_mem = false;
  std::vector<uint8_t> program;  // raw bytes, 8 per slot
  uint8_t min_cpu = 1;        // 1..4
  std::string groups;         // extra_groups column
  std::string area;
};

Result<std::vector<Case>> parse_cases(std::string_view tsv);
Result<std::vector<Case>> parse_cases_file(const std::filesystem::path& path);

// Hex bytes: pairs of hex digits, optionally separated by whitespace ("b7 00 01", "b70001").
// Tokens of the form 0xHHHHHHHHHHHHHHHH (more than two digits after 0x) are 64-bit
// little-endian words, as in lddw.data's `-- raw` section.
Result<std::vector<uint8_t>> parse_hex(std::string_view text);

// The conformance data directory: $BPFJIT_CONFORMANCE_DIR when set, else the path the build
// was configured with; nullopt when neither holds cases.tsv.
std::optional<std::filesystem::path> conformance_dir();

// The .data files of one subdirectory ("tests", "negative"), sorted by name.
std::vector<std::filesystem::path> data_files(const std::filesystem::path& dir);

// Reads a whole file; kIo error when it cannot.
Result<std::string> read_text(const std::filesystem::path& path);

}  // namespace bpfjit::testing
