// The kernel oracle: catalogue parsing and bpf(BPF_PROG_LOAD) of each case.
#include <errno.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/btf.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "runtime/isa/asm.h"
#include "runtime/isa/isa.h"
#include "test/verifier/kernel_oracle.h"

namespace bpfjit::oracle {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// A header value without its trailing `# comment`.
std::string_view strip_comment(std::string_view s) {
  size_t hash = s.find('#');
  return trim(hash == std::string_view::npos ? s : s.substr(0, hash));
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t at = s.find(sep);
    out.push_back(trim(s.substr(0, at)));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::string_view w : split(s, ' ')) {
    if (!w.empty()) out.push_back(w);
  }
  return out;
}

bool parse_u32(std::string_view s, uint32_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

Diagnostic file_error(std::string_view file, uint32_t line, std::string what) {
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("{}:{}: {}", file, line, what));
}

Result<CatalogueMap> parse_map(std::string_view spec, std::string_view file, uint32_t line) {
  std::vector<std::string_view> w = words(spec);
  CatalogueMap m;
  if (w.size() < 4 || w.size() > 5 || !parse_u32(w[1], m.key_size) ||
      !parse_u32(w[2], m.value_size) || !parse_u32(w[3], m.max_entries)) {
    return file_error(file, line,
                      fmt::format("map '{}' is not '<type> <key> <value> <entries>'", spec));
  }
  m.type = std::string(w[0]);
  if (w.size() == 5) {
    uint32_t inner = 0;
    if (w[4] == "rdonly_prog") {
      m.rdonly_prog = true;
    } else if (w[4].starts_with("inner=") && parse_u32(w[4].substr(6), inner)) {
      m.inner = static_cast<int32_t>(inner);
    } else if (w[4] == "wronly_prog") {
      m.wronly_prog = true;
    } else if (w[4].starts_with("lock=") && parse_u32(w[4].substr(5), inner) &&
               inner % 4 == 0 && uint64_t{inner} + 4 <= m.value_size) {
      m.spin_lock_off = static_cast<int32_t>(inner);
    } else {
      return file_error(file, line, fmt::format("unknown map flag '{}'", w[4]));
    }
  }
  return m;
}

Result<void> parse_expect(std::string_view v, CatalogueCase& c, uint32_t line) {
  std::vector<std::string_view> w = words(v);
  if (w.size() == 1 && w[0] == "accept") {
    c.expect_accept = true;
    return {};
  }
  if (w.size() >= 3 && w[0] == "reject" && parse_u32(w[1], c.expect_insn)) {
    c.expect_accept = false;
    size_t at = v.find(w[1]) + w[1].size();
    c.expect_reason = std::string(trim(v.substr(at)));
    return {};
  }
  return file_error(c.file, line, fmt::format("expect '{}' is not 'accept' or "
                                              "'reject N reason'", v));
}

}  // namespace

bool CatalogueCase::stricter_than_kernel() const {
  for (const std::string& n : notes) {
    if (n.find("stricter than the kernel") != std::string::npos) return true;
  }
  return false;
}

bool CatalogueCase::kernel_rejects() const {
  for (const std::string& n : notes) {
    if (n.find("the kernel rejects") != std::string::npos) return true;
  }
  return false;
}

Result<std::vector<CatalogueCase>> parse_catalogue(std::string_view text,
                                                   std::string_view file) {
  std::vector<CatalogueCase> cases;
  bool in_asm = false;
  uint32_t line_no = 0;
  for (std::string_view raw : split(text, '\n')) {
    ++line_no;
    // split() trims; the asm section keeps its lines as they are apart from indentation.
    std::string_view line = raw;
    if (line.starts_with("===")) {
      CatalogueCase c;
      c.file = std::string(file);
      c.line = line_no;
      c.name = std::string(trim(line.substr(3)));
      cases.push_back(std::move(c));
      in_asm = false;
      continue;
    }
    if (cases.empty()) {
      if (!strip_comment(line).empty()) {
        return file_error(file, line_no, "text before the first '=== name'");
      }
      continue;
    }
    CatalogueCase& c = cases.back();
    if (in_asm) {
      c.asm_text += std::string(line) + "\n";
      continue;
    }
    if (strip_comment(line).empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return file_error(file, line_no, fmt::format("expected 'key: value', got '{}'", line));
    }
    std::string_view key = trim(line.substr(0, colon));
    std::string_view full = trim(line.substr(colon + 1));
    std::string_view value = strip_comment(full);
    if (key == "asm") {
      in_asm = true;
    } else if (key == "type") {
      c.type = std::string(value);
    } else if (key == "platform") {
      if (value != "runtime" && value != "linux") {
        return file_error(file, line_no, fmt::format("platform '{}' is not runtime or linux",
                                                     value));
      }
      c.platform = std::string(value);
    } else if (key == "mem_size") {
      if (!parse_u32(value, c.mem_size)) {
        return file_error(file, line_no, fmt::format("mem_size '{}' is not a number", value));
      }
    } else if (key == "maps") {
      for (std::string_view spec : split(value, ';')) {
        if (spec.empty()) continue;
        auto m = parse_map(spec, file, line_no);
        if (!m) return m.take_error();
        c.maps.push_back(std::move(*m));
      }
    } else if (key == "expect") {
      auto r = parse_expect(value, c, line_no);
      if (!r) return r.take_error();
    } else if (key == "note") {
      c.notes.push_back(std::string(full));
    } else {
      return file_error(file, line_no, fmt::format("unknown key '{}'", key));
    }
  }
  for (const CatalogueCase& c : cases) {
    if (c.asm_text.empty()) return file_error(file, c.line, fmt::format("{} has no asm", c.name));
  }
  return cases;
}

Result<std::vector<CatalogueCase>> read_catalogue(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::kIo, fmt::format("cannot read {}", path));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string name = path.substr(path.find_last_of('/') + 1);
  return parse_catalogue(ss.str(), name);
}

std::string KernelVerdict::log_tail(size_t n) const {
  std::vector<std::string_view> lines;
  for (std::string_view l : split(log, '\n')) {
    if (!l.empty()) lines.push_back(l);
  }
  size_t from = lines.size() > n ? lines.size() - n : 0;
  std::string out;
  for (size_t i = from; i < lines.size(); ++i) out += fmt::format("{}\n", lines[i]);
  return out;
}

int64_t KernelVerdict::last_insn() const {
  int64_t last = -1;
  for (std::string_view l : split(log, '\n')) {
    size_t colon = l.find(": (");
    uint32_t n = 0;
    if (colon != std::string_view::npos && parse_u32(l.substr(0, colon), n)) {
      last = static_cast<int64_t>(n) - prologue_slots;
    }
  }
  return last;
}

namespace {

long sys_bpf(int cmd, union bpf_attr* attr) {
  return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

// An fd closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&&) = delete;
  Fd(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Result<uint32_t> kernel_map_type(const std::string& name) {
  struct Entry {
    const char* name;
    uint32_t type;
  };
  static constexpr Entry kTypes[] = {
      {"hash", BPF_MAP_TYPE_HASH},
      {"array", BPF_MAP_TYPE_ARRAY},
      {"prog_array", BPF_MAP_TYPE_PROG_ARRAY},
      {"percpu_hash", BPF_MAP_TYPE_PERCPU_HASH},
      {"percpu_array", BPF_MAP_TYPE_PERCPU_ARRAY},
      {"lru_hash", BPF_MAP_TYPE_LRU_HASH},
      {"queue", BPF_MAP_TYPE_QUEUE},
      {"stack", BPF_MAP_TYPE_STACK},
      {"ringbuf", BPF_MAP_TYPE_RINGBUF},
      {"array_of_maps", BPF_MAP_TYPE_ARRAY_OF_MAPS},
      {"hash_of_maps", BPF_MAP_TYPE_HASH_OF_MAPS},
      {"devmap", BPF_MAP_TYPE_DEVMAP},
  };
  for (const Entry& e : kTypes) {
    if (name == e.name) return e.type;
  }
  return make_error(ErrorCode::kNotFound, fmt::format("unknown map type '{}'", name));
}

// The BTF of a map whose value holds a bpf_spin_lock at m.spin_lock_off: the key as
// u32 or u8[key_size], the value as struct { u8 head[off]; struct bpf_spin_lock lock; u8 tail[]; }.
// Loaded into the kernel; the map's key and value type ids are set in `attr`.
Result<Fd> load_lock_btf(const CatalogueMap& m, union bpf_attr& attr) {
  std::unique_ptr<btf, void (*)(btf*)> b(btf__new_empty(), btf__free);
  if (!b) return make_error(ErrorCode::kUnsupported, "btf__new_empty failed");
  btf* t = b.get();
  const int u8 = btf__add_int(t, "unsigned char", 1, 0);
  const int u32 = btf__add_int(t, "unsigned int", 4, 0);
  const int idx = u32;
  const int lock = btf__add_struct(t, "bpf_spin_lock", 4);
  btf__add_field(t, "val", u32, 0, 0);
  // Array maps insist on a u32 key type.
  const int key = m.key_size == 4 ? u32 : btf__add_array(t, idx, u8, m.key_size);
  const uint32_t off = static_cast<uint32_t>(m.spin_lock_off);
  const uint32_t tail = m.value_size - off - 4;
  const int head_arr = off ? btf__add_array(t, idx, u8, off) : 0;
  const int tail_arr = tail ? btf__add_array(t, idx, u8, tail) : 0;
  const int value = btf__add_struct(t, "catalogue_value", m.value_size);
  if (off) btf__add_field(t, "head", head_arr, 0, 0);
  btf__add_field(t, "lock", lock, off * 8, 0);
  if (tail) btf__add_field(t, "tail", tail_arr, (off + 4) * 8, 0);
  if (u8 < 0 || lock < 0 || key < 0 || value < 0 || btf__load_into_kernel(t) != 0) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("BTF of a map value with a bpf_spin_lock: {}",
                                  std::strerror(errno)));
  }
  attr.btf_fd = static_cast<uint32_t>(btf__fd(t));
  attr.btf_key_type_id = static_cast<uint32_t>(key);
  attr.btf_value_type_id = static_cast<uint32_t>(value);
  return Fd(dup(btf__fd(t)));
}

Result<Fd> create_map(const CatalogueMap& m, int inner_fd = -1) {
  auto type = kernel_map_type(m.type);
  if (!type) return type.take_error();
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.map_type = *type;
  attr.key_size = m.key_size;
  attr.value_size = m.value_size;
  attr.max_entries = m.max_entries;
  if (m.rdonly_prog) attr.map_flags = BPF_F_RDONLY_PROG;
  if (m.wronly_prog) attr.map_flags = BPF_F_WRONLY_PROG;
  if (inner_fd >= 0) attr.inner_map_fd = static_cast<uint32_t>(inner_fd);
  std::optional<Fd> btf_fd;  // the map holds its own reference to the BTF
  if (m.spin_lock_off >= 0) {
    auto b = load_lock_btf(m, attr);
    if (!b) return b.take_error();
    btf_fd.emplace(std::move(*b));
    attr.btf_fd = static_cast<uint32_t>(btf_fd->get());
  }
  int fd = static_cast<int>(sys_bpf(BPF_MAP_CREATE, &attr));
  if (fd < 0) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("bpf(BPF_MAP_CREATE) of {} {} {} {}: {}", m.type, m.key_size,
                                  m.value_size, m.max_entries, std::strerror(errno)));
  }
  if (m.rdonly_prog) {
    // A frozen read-only map is what the verifier treats as .rodata.
    std::memset(&attr, 0, sizeof(attr));
    attr.map_fd = static_cast<uint32_t>(fd);
    sys_bpf(BPF_MAP_FREEZE, &attr);
  }
  return Fd(fd);
}

bpf_insn raw(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i;
  std::memset(&i, 0, sizeof(i));
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

// The wrapper of a `mem` case: r1 = the only value of mem_map (mem_size bytes), r2 =
// mem_size, then the case as a subprogram. key_map's value (4 zero bytes) is the key.
std::vector<bpf_insn> mem_prologue(int mem_map, int key_map, uint32_t mem_size) {
  constexpr uint8_t kLddw = BPF_LD | BPF_DW | BPF_IMM;
  std::vector<bpf_insn> p = {
      raw(kLddw, 1, BPF_PSEUDO_MAP_FD, 0, mem_map), raw(0, 0, 0, 0, 0),
      raw(kLddw, 2, BPF_PSEUDO_MAP_VALUE, 0, key_map), raw(0, 0, 0, 0, 0),
      raw(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
      raw(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 2, 0),
      raw(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
      raw(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
      raw(BPF_ALU64 | BPF_MOV | BPF_X, 1, 0, 0, 0),
      raw(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, static_cast<int32_t>(mem_size)),
      raw(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1),
      raw(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
  };
  return p;
}

// The kernel wants BTF func_info for programs that pass a callback (lddw src 4): one
// static function `long f<N>(void)` per subprogram start. Returns the BTF (to be freed by
// the caller) and fills `infos`.
Result<btf*> make_func_btf(std::vector<uint32_t> starts, std::vector<bpf_func_info>& infos) {
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  btf* b = btf__new_empty();
  if (b == nullptr) return make_error(ErrorCode::kUnsupported, "cannot create BTF");
  int long_id = btf__add_int(b, "long", 8, BTF_INT_SIGNED);
  int proto_id = btf__add_func_proto(b, long_id);
  for (uint32_t start : starts) {
    int id = btf__add_func(b, fmt::format("f{}", start).c_str(), BTF_FUNC_STATIC, proto_id);
    if (long_id < 0 || proto_id < 0 || id < 0) {
      btf__free(b);
      return make_error(ErrorCode::kUnsupported, "cannot build BTF for the subprograms");
    }
    infos.push_back({start, static_cast<uint32_t>(id)});
  }
  if (btf__load_into_kernel(b) != 0) {
    btf__free(b);
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("bpf(BPF_BTF_LOAD): {}", std::strerror(errno)));
  }
  return b;
}

}  // namespace

Result<void> kernel_available() {
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  bpf_insn prog[] = {raw(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
                     raw(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)};
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insns = reinterpret_cast<uint64_t>(prog);
  attr.insn_cnt = 2;
  attr.license = reinterpret_cast<uint64_t>("GPL");
  int fd = static_cast<int>(sys_bpf(BPF_PROG_LOAD, &attr));
  if (fd < 0) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("bpf(BPF_PROG_LOAD) is unavailable: {}", std::strerror(errno)));
  }
  close(fd);
  return {};
}

Result<KernelVerdict> run_in_kernel(const CatalogueCase& c) {
  DecodeOptions dopts;
  dopts.allow_r10_writes = true;  // the kernel judges them
  auto insns = assemble(c.asm_text, dopts);
  if (!insns) {
    return make_error(ErrorCode::kAssemble,
                      fmt::format("{}: {}", c.name, insns.error().to_string()));
  }
  std::vector<Fd> maps;
  for (const CatalogueMap& m : c.maps) {
    int inner_fd = -1;
    if (m.inner >= 0) {
      if (static_cast<size_t>(m.inner) >= maps.size()) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("{}: inner map {} is not listed before its outer map",
                                      c.name, m.inner));
      }
      inner_fd = maps[static_cast<size_t>(m.inner)].get();
    }
    auto fd = create_map(m, inner_fd);
    if (!fd) return fd.take_error();
    maps.push_back(std::move(*fd));
  }

  KernelVerdict verdict;
  std::vector<bpf_insn> prog;
  uint32_t prog_type = 0;
  if (c.type == "mem") {
    auto mem_map = create_map({"array", 4, c.mem_size, 1, false, false, -1});
    if (!mem_map) return mem_map.take_error();
    auto key_map = create_map({"array", 4, 4, 1, false, false, -1});
    if (!key_map) return key_map.take_error();
    prog = mem_prologue(mem_map->get(), key_map->get(), c.mem_size);
    maps.push_back(std::move(*mem_map));
    maps.push_back(std::move(*key_map));
    prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
    verdict.prologue_slots = kMemPrologueSlots;
  } else if (c.type == "xdp") {
    prog_type = BPF_PROG_TYPE_XDP;
  } else if (c.type == "socket_filter") {
    prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  } else if (c.type == "sched_cls") {
    prog_type = BPF_PROG_TYPE_SCHED_CLS;
  } else if (c.type == "cgroup_skb") {
    prog_type = BPF_PROG_TYPE_CGROUP_SKB;
  } else if (c.type == "cgroup_sock") {
    prog_type = BPF_PROG_TYPE_CGROUP_SOCK;
  } else {
    return make_error(ErrorCode::kNotFound, fmt::format("{}: unknown type '{}'", c.name, c.type));
  }

  std::vector<RawInsn> slots = encode(*insns);
  const uint32_t base = verdict.prologue_slots;
  std::vector<uint32_t> starts = {0, base};
  bool has_callback = false;
  for (size_t i = 0; i < slots.size(); ++i) {
    Op op = (*insns)[i].op;
    if (op == Op::kLddwHigh) continue;
    if (form_of(op) == Form::kCallLocal) starts.push_back(base + (*insns)[i].target());
    if (form_of(op) == Form::kLddw && lddw_kind(op) == LddwKind::kCode) {
      has_callback = true;
      starts.push_back(base + static_cast<uint32_t>(static_cast<int64_t>(i) + 1 + slots[i].imm));
    }
  }
  for (size_t i = 0; i < slots.size(); ++i) {
    const RawInsn& s = slots[i];
    bpf_insn k = raw(s.opcode, s.dst(), s.src(), s.off, s.imm);
    bool is_lddw = (*insns)[i].op != Op::kLddwHigh && form_of((*insns)[i].op) == Form::kLddw;
    if (is_lddw && (s.src() == BPF_PSEUDO_MAP_FD || s.src() == BPF_PSEUDO_MAP_VALUE)) {
      // Our map index -> the kernel's fd; an index past the maps stays as it is (an fd
      // that is not a map, which the kernel refuses as we do).
      if (s.imm >= 0 && static_cast<size_t>(s.imm) < c.maps.size()) {
        k.imm = maps[static_cast<size_t>(s.imm)].get();
      } else {
        k.imm = 1000 + s.imm;
      }
    }
    prog.push_back(k);
  }

  std::vector<bpf_func_info> func_infos;
  btf* func_btf = nullptr;
  if (has_callback) {
    auto b = make_func_btf(starts, func_infos);
    if (!b) return b.take_error();
    func_btf = *b;
  }

  std::string log(1 << 20, '\0');
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.prog_type = prog_type;
  attr.insns = reinterpret_cast<uint64_t>(prog.data());
  attr.insn_cnt = static_cast<uint32_t>(prog.size());
  attr.license = reinterpret_cast<uint64_t>("GPL");
  attr.log_buf = reinterpret_cast<uint64_t>(log.data());
  attr.log_size = static_cast<uint32_t>(log.size());
  attr.log_level = 1;
  if (func_btf != nullptr) {
    attr.prog_btf_fd = static_cast<uint32_t>(btf__fd(func_btf));
    attr.func_info = reinterpret_cast<uint64_t>(func_infos.data());
    attr.func_info_cnt = static_cast<uint32_t>(func_infos.size());
    attr.func_info_rec_size = sizeof(bpf_func_info);
  }
  int fd = static_cast<int>(sys_bpf(BPF_PROG_LOAD, &attr));
  if (fd < 0 && errno == ENOSPC) {
    // The log did not fit (the kernel keeps its last part); that alone fails the load, so
    // load again without a log for the verdict.
    attr.log_level = 0;
    attr.log_buf = 0;
    attr.log_size = 0;
    fd = static_cast<int>(sys_bpf(BPF_PROG_LOAD, &attr));
  }
  verdict.accepted = fd >= 0;
  verdict.error = fd >= 0 ? 0 : errno;
  btf__free(func_btf);
  if (fd >= 0) close(fd);
  verdict.log = log.c_str();
  return verdict;
}

}  // namespace bpfjit::oracle
