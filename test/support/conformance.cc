#include "test/support/conformance.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace bpfjit::testing {

namespace {

Diagnostic bad(std::string msg) { return make_error(ErrorCode::kInvalidArgument, std::move(msg)); }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    size_t e = s.find(sep, pos);
    out.push_back(s.substr(pos, e == std::string_view::npos ? std::string_view::npos : e - pos));
    if (e == std::string_view::npos) break;
    pos = e + 1;
  }
  return out;
}

Result<uint64_t> parse_u64(std::string_view s) {
  s = trim(s);
  bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  bool neg = !hex && !s.empty() && s[0] == '-';
  if (hex) s.remove_prefix(2);
  if (neg) s.remove_prefix(1);
  if (s.empty()) return bad("empty number");
  uint64_t v = 0;
  for (char c : s) {
    int d = hex ? hex_digit(c) : (c >= '0' && c <= '9' ? c - '0' : -1);
    if (d < 0) return bad(fmt::format("bad digit '{}' in a number", c));
    v = v * (hex ? 16 : 10) + static_cast<uint64_t>(d);
  }
  return neg ? 0 - v : v;
}

}  // namespace

Result<std::vector<uint8_t>> parse_hex(std::string_view text) {
  std::vector<uint8_t> out;
  std::istringstream in{std::string(text)};
  std::string tok;
  while (in >> tok) {
    if (tok.size() > 4 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) {
      auto w = parse_u64(tok);
      if (!w) return w.take_error();
      for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(*w >> (8 * i)));
      continue;
    }
    if (tok.size() % 2 != 0) return bad(fmt::format("odd number of hex digits in '{}'", tok));
    for (size_t i = 0; i < tok.size(); i += 2) {
      int hi = hex_digit(tok[i]), lo = hex_digit(tok[i + 1]);
      if (hi < 0 || lo < 0) return bad(fmt::format("'{}' is not hex", tok));
      out.push_back(static_cast<uint8_t>(hi << 4 | lo));
    }
  }
  return out;
}

Result<DataFile> parse_data(std::string_view text, std::string name) {
  DataFile f;
  f.name = std::move(name);
  std::string section;
  std::string body;
  auto flush = [&]() -> Result<void> {
    if (section == "asm") {
      f.asm_text = body;
    } else if (section == "raw") {
      auto b = parse_hex(body);
      if (!b) return bad(fmt::format("{}: -- raw: {}", f.name, b.error().message));
      f.raw = std::move(*b);
    } else if (section == "mem") {
      auto b = parse_hex(body);
      if (!b) return bad(fmt::format("{}: -- mem: {}", f.name, b.error().message));
      f.mem = std::move(*b);
    } else if (section == "result") {
      auto v = parse_u64(body);
      if (!v) return bad(fmt::format("{}: -- result: {}", f.name, v.error().message));
      f.result = *v;
    } else if (section == "error") {
      f.error = std::string(trim(body));
    }
    return {};
  };
  for (std::string_view line : split(text, '\n')) {
    if (line.starts_with("-- ")) {
      if (auto r = flush(); !r) return r.take_error();
      section = std::string(trim(line.substr(3)));
      body.clear();
      continue;
    }
    // The asm section keeps its comments (the assembler strips them); elsewhere `#` ends
    // the line.
    if (section != "asm") {
      if (auto h = line.find('#'); h != std::string_view::npos) line = line.substr(0, h);
    }
    body += line;
    body += '\n';
  }
  if (auto r = flush(); !r) return r.take_error();
  return f;
}

Result<std::string> read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, fmt::format("cannot open {}", path.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<DataFile> parse_data_file(const std::filesystem::path& path) {
  auto text = read_text(path);
  if (!text) return text.take_error();
  return parse_data(*text, path.filename().string());
}

Result<std::vector<Case>> parse_cases(std::string_view tsv) {
  std::vector<Case> out;
  bool header = true;
  size_t line_no = 0;
  for (std::string_view line : split(tsv, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (header) {
      header = false;
      continue;
    }
    auto cols = split(line, '\t');
    if (cols.size() < 7) {
      return bad(fmt::format("cases.tsv line {}: {} columns, needs 7", line_no, cols.size()));
    }
    Case c;
    c.file = std::string(cols[0]);
    auto r0 = parse_u64(cols[1]);
    auto mem = parse_hex(cols[2]);
    auto prog = parse_hex(cols[3]);
    if (!r0 || !mem || !prog) {
      return bad(fmt::format("cases.tsv line {}: bad expected_r0, mem_hex or program_hex",
                             line_no));
    }
    c.expected_r0 = *r0;
    c.mem = std::move(*mem);
    c.has_mem = !trim(cols[2]).empty();
    c.program = std::move(*prog);
    std::string_view cpu = trim(cols[4]);
    if (cpu.size() != 2 || cpu[0] != 'v' || cpu[1] < '1' || cpu[1] > '4') {
      return bad(fmt::format("cases.tsv line {}: bad min_cpu '{}'", line_no, cpu));
    }
    c.min_cpu = static_cast<uint8_t>(cpu[1] - '0');
    c.groups = std::string(cols[5]);
    c.area = std::string(cols[6]);
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<Case>> parse_cases_file(const std::filesystem::path& path) {
  auto text = read_text(path);
  if (!text) return text.take_error();
  return parse_cases(*text);
}

std::optional<std::filesystem::path> conformance_dir() {
  std::filesystem::path dir;
  if (const char* env = std::getenv("BPFJIT_CONFORMANCE_DIR"); env && *env) {
    dir = env;
  } else {
#ifdef BPFJIT_CONFORMANCE_DIR
    dir = BPFJIT_CONFORMANCE_DIR;
#endif
  }
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_regular_file(dir / "cases.tsv", ec)) {
    return std::nullopt;
  }
  return dir;
}

std::vector<std::filesystem::path> data_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".data") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace bpfjit::testing
