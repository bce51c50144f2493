#include "test/soundness/gen.h"

#include <fmt/format.h>

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <random>
#include <regex>

#include "runtime/isa/asm.h"
#include "test/verifier/kernel_oracle.h"
#include "verifier/platform.h"

namespace bpfjit::soundness {
namespace {

constexpr const char* kConds[] = {"jeq", "jne",  "jgt",  "jge",  "jlt",
                                  "jle", "jsgt", "jsge", "jslt", "jsle"};
constexpr const char* kLoads[] = {"ldxb", "ldxh", "ldxw", "ldxdw"};
constexpr const char* kStores[] = {"stxb", "stxh", "stxw", "stxdw"};
constexpr const char* kStImm[] = {"stb", "sth", "stw", "stdw"};
constexpr uint32_t kWidths[] = {1, 2, 4, 8};

constexpr uint32_t kMapArray = 2;
constexpr uint32_t kMapHash = 1;
constexpr uint32_t kMapRingbuf = 27;

struct Gen {
  std::mt19937_64 rng;
  std::string text;
  uint32_t labels = 0;
  Case c;

  explicit Gen(uint64_t seed) : rng(seed) {}

  uint64_t r(uint64_t n) { return n == 0 ? 0 : rng() % n; }
  bool p(uint32_t percent) { return r(100) < percent; }
  int64_t range(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(r(hi - lo + 1)); }
  template <typename... A>
  void l(fmt::format_string<A...> f, A&&... a) {
    text += "  ";
    text += fmt::format(f, std::forward<A>(a)...);
    text += '\n';
  }
  std::string label() { return fmt::format("L{}", labels++); }
  void bind(const std::string& name) { text += name + ":\n"; }
  // An offset one below, at or past the edge (mostly near it).
  int64_t near(int64_t edge) { return edge + range(-2, 1) + (p(10) ? range(-4, 4) : 0); }
  uint32_t width_index() { return static_cast<uint32_t>(r(4)); }
  const char* cond() { return kConds[r(10)]; }
  const char* w32() { return p(20) ? "32" : ""; }

  // Packet context offsets in the kernel's layout.
  bool xdp() const { return c.type == "xdp"; }
  uint32_t off_data() const { return xdp() ? 0 : 76; }
  uint32_t off_end() const { return xdp() ? 4 : 80; }
  uint32_t off_meta() const { return xdp() ? 8 : 140; }
  int ret_value() const { return xdp() ? 2 : 0; }
  bool packet_writable() const { return c.type != "socket_filter"; }

  void pick_platform() { c.platform = p(50) ? "linux" : "runtime"; }
  void pick_packet_type(bool meta) {
    pick_platform();
    const uint64_t k = r(meta ? 2 : 3);
    c.type = k == 0 ? "xdp" : k == 1 ? "sched_cls" : "socket_filter";
    if (c.type == "socket_filter") c.platform = "runtime";  // the kernel's have no data
  }
  void pick_any_type() {
    pick_platform();
    const uint64_t k = r(4);
    c.type = k == 0 ? "mem" : k == 1 ? "xdp" : k == 2 ? "sched_cls" : "socket_filter";
    c.mem_size = static_cast<uint32_t>(8 * range(1, 12));
    if (c.type == "mem") c.platform = "runtime";  // bpfjit's own type
  }

  // An access of `w` bytes at [reg+off]: a load into r7, or a store when allowed.
  void access(const std::string& reg, int64_t off, uint32_t wi, bool writable) {
    if (writable && p(30)) {
      if (p(50)) {
        l("{} [{}{:+}], {}", kStImm[wi], reg, off, range(-3, 300));
      } else {
        l("{} [{}{:+}], %r8", kStores[wi], reg, off);
      }
      return;
    }
    l("{} %r7, [{}{:+}]", kLoads[wi], reg, off);
  }

  // Compares the packet pointer `a` with its end `b` and jumps to `target`. Mostly with
  // an unsigned condition in the order that proves the range on the side `want` asks for
  // (0 fall-through, 1 taken, -1 either); otherwise any condition, width and order.
  // Returns the side that learns the range (-1 when none does or it is not known).
  int compare(const std::string& a, const std::string& b, const std::string& target,
              int want = -1) {
    if (p(8)) {
      l("{}{} {}, {}, +0", cond(), w32(), a, b);  // both targets coincide: no check at all
      return -1;
    }
    if (p(75)) {
      static const char* kUnsigned[] = {"jgt", "jge", "jlt", "jle"};
      const char* cc = kUnsigned[r(4)];
      const bool gt = cc[1] == 'g';
      // pkt > end and pkt >= end fall through in range; end > pkt is taken in range.
      const bool pkt_left = want == 0 ? gt : want == 1 ? !gt : p(50);
      l("{} {}, {}, {}", cc, pkt_left ? a : b, pkt_left ? b : a, target);
      return pkt_left == gt ? 0 : 1;
    }
    const char* cc = cond();
    if (p(50)) {
      l("{}{} {}, {}, {}", cc, p(10) ? "32" : "", a, b, target);
    } else {
      l("{}{} {}, {}, {}", cc, p(10) ? "32" : "", b, a, target);
    }
    return -1;
  }

  void prologue_packet() {
    l("mov %r6, %r1");
    l("mov %r8, {}", range(0, 255));
    l("ldxw %r2, [%r6+{}]", off_data());
    l("ldxw %r3, [%r6+{}]", off_end());
  }
  void epilogue() {
    l("mov %r0, {}", ret_value());
    l("exit");
  }

  // ---- families -------------------------------------------------------------------------

  void pkt_cmp() {
    pick_packet_type(false);
    prologue_packet();
    const int64_t k = range(0, 48);
    const uint32_t wi = width_index();
    const int64_t off = near(k - kWidths[wi]);
    c.edges = {static_cast<uint32_t>(k), static_cast<uint32_t>(std::max<int64_t>(off + kWidths[wi], 0))};
    const std::string other = label(), end = label();
    int side = -1;
    // A copy spilled before the check must learn the range with the register (same id),
    // and a copy moved after the spill must not be mistaken for it.
    const bool spill_first = p(20);
    if (spill_first) {
      l("stxdw [%r10-16], %r2");
      if (p(30)) l("add %r2, {}", range(1, 4));
    }
    if (p(15)) {
      // Compares the packet's length as a scalar (immediate form).
      l("mov %r5, %r3");
      l("sub %r5, %r2");
      l("{}{} %r5, {}, {}", cond(), w32(), k, other);
    } else {
      l("mov %r4, %r2");
      l("add %r4, {}", k);
      side = compare("%r4", "%r3", other);
    }
    const bool in_fall = side == 0 ? p(85) : side == 1 ? !p(85) : p(50);
    const bool via_r4 = p(25);
    auto do_access = [&] {
      if (spill_first) {
        l("ldxdw %r9, [%r10-16]");
        access("%r9", off, wi, packet_writable());
      } else if (via_r4) {
        l("mov %r4, %r2");
        l("add %r4, {}", k);
        access("%r4", off - k, wi, packet_writable());
      } else {
        access("%r2", off, wi, packet_writable());
      }
    };
    if (in_fall || p(20)) do_access();
    l("ja {}", end);
    bind(other);
    if (!in_fall) do_access();
    bind(end);
    epilogue();
  }

  void pkt_meta() {
    pick_packet_type(true);
    l("mov %r6, %r1");
    l("mov %r8, 7");
    l("ldxw %r2, [%r6+{}]", off_meta());
    l("ldxw %r3, [%r6+{}]", off_data());
    const int64_t k = range(0, 24);
    const uint32_t wi = width_index();
    const int64_t off = near(k - kWidths[wi]);
    const std::string other = label(), end = label();
    l("mov %r4, %r2");
    l("add %r4, {}", k);
    const int side = compare("%r4", "%r3", other);
    const bool in_fall = side == 0 ? p(85) : side == 1 ? !p(85) : p(50);
    if (in_fall) access("%r2", off, wi, true);
    l("ja {}", end);
    bind(other);
    if (!in_fall) access("%r2", off, wi, true);
    bind(end);
    epilogue();
  }

  // Bounds the scalar in `reg` (unknown on entry) by one to three operations.
  void bound(const std::string& reg, int64_t limit, const std::string& out) {
    if (p(30)) scramble(reg);
    const uint32_t n = static_cast<uint32_t>(range(1, 3));
    for (uint32_t i = 0; i < n; ++i) {
      switch (r(12)) {
        case 0: case 1: case 2: {
          // reg < limit (or near it) by a comparison to `out` on the failing side.
          const int64_t b = near(limit);
          const char* cc = p(50) ? "jgt" : p(50) ? "jge" : p(50) ? "jsgt" : kConds[r(10)];
          if (p(25)) {
            l("mov %r9, {}", b);
            if (p(50)) {
              l("{}{} {}, %r9, {}", cc, w32(), reg, out);
            } else {
              // Reversed order: r9 < reg is reg > r9.
              const char* rev = std::string(cc) == "jgt" ? "jlt" : std::string(cc) == "jge" ? "jle"
                                : std::string(cc) == "jsgt" ? "jslt" : cc;
              l("{}{} %r9, {}, {}", rev, w32(), reg, out);
            }
          } else {
            l("{}{} {}, {}, {}", cc, w32(), reg, b, out);
          }
          if (p(20)) l("jslt {}, 0, {}", reg, out);
          break;
        }
        case 3: case 4: l("and {}, {}", reg, near(limit)); break;
        case 5: l("rsh {}, {}", reg, range(56, 63)); break;
        case 6: l("arsh {}, {}", reg, range(56, 63)); break;
        case 7: l("mov32 {}, {}", reg, reg); break;
        case 8: l("and {}, 0x{:x}", reg, (1u << range(0, 6)) - 1); l("lsh {}, {}", reg, range(0, 2)); break;
        case 9: l("and {}, {}", reg, range(0, 15)); l("mul {}, {}", reg, range(1, 4)); break;
        case 10: l("and {}, 31", reg); l("neg {}", reg); l("add {}, 31", reg); break;
        default: l("and {}, 0xffff", reg); l("be16 {}", reg); l("rsh {}, 10", reg); break;
      }
    }
    if (p(35)) scramble(reg);
  }

  // One ALU operation whose result the verifier must track exactly: 32-bit operations
  // that wrap, sign extensions, byte swaps, shifts, division and modulo by constants.
  void scramble(const std::string& reg) {
    switch (r(20)) {
      case 0: l("add {}, {}", reg, range(-4, 4)); break;
      case 1: l("sub {}, {}", reg, range(-4, 4)); break;
      case 2: l("or {}, {}", reg, range(0, 3)); break;
      case 3: l("movsx832 {}, {}", reg, reg); break;
      case 4: l("movsx3264 {}, {}", reg, reg); break;
      case 5: l("xor {}, 1", reg); break;
      case 6: l("sub32 {}, {}", reg, range(0, 2)); break;
      case 7: l("add32 {}, {}", reg, range(-2, 2)); break;
      case 8: l("lsh32 {}, {}", reg, range(0, 31)); break;
      case 9: l("arsh32 {}, {}", reg, range(0, 31)); break;
      case 10: l("neg32 {}", reg); break;
      case 11: l("mul32 {}, {}", reg, range(-2, 3)); break;
      case 12: l("div {}, {}", reg, range(1, 4)); break;
      case 13: l("mod {}, {}", reg, range(1, 40)); break;
      case 14: l("movsx1664 {}, {}", reg, reg); break;
      case 15: l("{} {}", p(50) ? "be16" : p(50) ? "le16" : "bswap16", reg); break;
      case 16: l("{} {}", p(50) ? "be32" : "le32", reg); break;
      case 17: l("movsx864 {}, {}", reg, reg); break;
      case 18: l("xor32 {}, {}", reg, range(0, 3)); break;
      default: l("arsh {}, {}", reg, range(0, 3)); break;
    }
  }

  void pkt_var() {
    pick_packet_type(false);
    prologue_packet();
    const std::string out = label();
    l("mov %r4, %r2");
    l("add %r4, 2");
    l("jgt %r4, %r3, {}", out);
    l("{} %r5, [%r2+0]", p(50) ? "ldxb" : "ldxh");
    const int64_t limit = range(1, 40);
    bound("%r5", limit, out);
    const int64_t k = range(0, 16);
    const uint32_t wi = width_index();
    l("mov %r4, %r2");
    l("add %r4, %r5");
    l("mov %r5, %r4");
    l("add %r5, {}", k);
    compare("%r5", "%r3", out, 0);
    // Moving the checked pointer afterwards: by a constant it keeps its range (shifted),
    // by another unknown scalar it must lose it.
    if (p(35)) {
      switch (r(3)) {
        case 0: l("add %r4, {}", range(-4, 8)); break;
        case 1: l("sub %r4, {}", range(0, 4)); break;
        default:
          l("ldxb %r9, [%r2+1]");
          l("and %r9, {}", range(1, 7));
          l("add %r4, %r9");
          break;
      }
    }
    access("%r4", near(k - kWidths[wi]), wi, packet_writable());
    c.edges = {static_cast<uint32_t>(limit), static_cast<uint32_t>(limit + k)};
    bind(out);
    epilogue();
  }

  void lookup(uint32_t map, int64_t key, bool null_check, const std::string& out) {
    l("stw [%r10-4], {}", key);
    l("mov %r2, %r10");
    l("add %r2, -4");
    l("lddw %r1, map_fd {}", map);
    l("call 1");
    if (!null_check) return;
    switch (p(10) ? 3 : r(3)) {
      case 0: l("jeq %r0, 0, {}", out); break;
      case 1: l("jne %r0, 0, +1"); l("ja {}", out); break;
      case 2: l("jeq %r0, 0, +0"); l("jeq %r0, 0, {}", out); break;  // a null test that tests nothing, then one that does
      default: l("jgt %r0, 0, +1"); l("ja {}", out); break;  // not a null check to the kernel
    }
  }

  void map_var() {
    pick_any_type();
    const std::string out = label();
    l("mov %r6, %r1");
    l("mov %r8, 9");
    const uint32_t vs = static_cast<uint32_t>(8 * range(1, 8));
    const uint32_t entries = p(50) ? 1 : 4;  // one entry: any overflow leaves the storage
    c.maps.push_back({p(70) ? kMapArray : kMapHash, 4, vs, entries, 0});
    // The base: a map value, the mem buffer, or the stack.
    std::string base = "%r0";
    int64_t size = vs;
    const uint64_t pick = r(10);
    lookup(0, p(90) ? range(0, entries - 1) : 4, !p(8), out);
    if (pick < 2 && c.type == "mem") {
      l("mov %r0, %r6");
      size = c.mem_size;
    } else if (pick < 3) {
      for (int i = 8; i <= 64; i += 8) l("stdw [%r10-{}], 0", i);
      l("mov %r0, %r10");
      l("add %r0, -64");
      size = 64;
    }
    // An unknown scalar: from the value, the context or a helper.
    switch (r(3)) {
      case 0:
        l("{} %r3, [%r0+0]", p(40) ? "ldxb" : p(30) ? "ldxw" : p(40) ? "ldxsb" : p(50) ? "ldxsh" : "ldxsw");
        break;
      case 1:
        l("mov %r7, %r0");
        l("call 7");
        l("mov %r3, %r0");
        l("mov %r0, %r7");
        break;
      default:
        l("ldxdw %r3, [%r0+0]");
        break;
    }
    const uint32_t wi = width_index();
    const int64_t off = range(0, 8);
    bound("%r3", size - kWidths[wi] - off + 1, out);
    if (p(50)) {
      l("add %r0, %r3");
    } else {
      l("add %r3, %r0");
      l("mov %r0, %r3");
    }
    access("%r0", near(off), wi, true);
    bind(out);
    l("mov %r0, {}", ret_value());
    l("exit");
  }

  void helper_len() {
    pick_any_type();
    const std::string out = label();
    l("mov %r6, %r1");
    for (int i = 8; i <= 64; i += 8) l("stdw [%r10-{}], 0", i);
    const int64_t dst = 8 * range(1, 8);
    c.maps.push_back({kMapArray, 4, 64, 4, 0});
    lookup(0, range(0, 3), true, out);
    l("ldxdw %r9, [%r0+0]");
    l("mov %r7, %r0");
    const int64_t limit = dst + range(-1, 1);
    bound("%r9", limit, out);
    // 0 probe_read, 1 skb_load_bytes, 2 xdp_load_bytes, 3 ringbuf_output, 4 map_update:
    // those the type may call (probe_read: mem, and the kernel's types on linux).
    std::vector<uint64_t> kinds = {3, 4};
    if (c.type == "mem" || c.platform == "linux") kinds.push_back(0);
    if (c.type == "xdp") kinds.push_back(2);
    if (c.type == "socket_filter" || c.type == "sched_cls") kinds.push_back(1);
    const uint64_t k = kinds[r(kinds.size())];
    if (k == 0) {
      l("mov %r1, %r10");
      l("add %r1, -{}", dst);
      l("mov %r2, %r9");
      l("mov %r3, %r7");
      l("call {}", p(50) ? 4 : 113);
    } else if (k == 1) {
      l("mov %r1, %r6");
      l("mov %r2, {}", range(0, 8));
      l("mov %r3, %r10");
      l("add %r3, -{}", dst);
      l("mov %r4, %r9");
      l("call 26");
    } else if (k == 2) {
      l("mov %r1, %r6");
      l("mov %r2, {}", range(0, 8));
      l("mov %r3, %r10");
      l("add %r3, -{}", dst);
      l("mov %r4, %r9");
      l("call 189");
    } else if (k == 3) {
      c.maps.push_back({kMapRingbuf, 0, 0, 4096, 0});
      l("lddw %r1, map_fd 1");
      l("mov %r2, %r10");
      l("add %r2, -{}", dst);
      l("mov %r3, %r9");
      l("mov %r4, 0");
      l("call 130");
    } else {
      // map_update with a value on the stack near the frame's top.
      c.maps.push_back({kMapHash, 4, static_cast<uint32_t>(8 * range(1, 4)), 4, 0});
      l("stw [%r10-68], 1");
      l("lddw %r1, map_fd 1");
      l("mov %r2, %r10");
      l("add %r2, -68");
      l("mov %r3, %r10");
      l("add %r3, -{}", near(c.maps[1].value_size));
      l("mov %r4, 0");
      l("call 2");
    }
    bind(out);
    l("mov %r0, {}", ret_value());
    l("exit");
  }

  void spill() {
    pick_any_type();
    const std::string out = label();
    l("mov %r6, %r1");
    l("mov %r8, 3");
    std::string ptr = "%r2";
    int64_t size = 8;
    bool writable = true;
    const uint64_t k = r(4);
    if (k == 0 && c.type != "mem") {
      l("ldxw %r2, [%r6+{}]", off_data());
      l("ldxw %r3, [%r6+{}]", off_end());
      size = range(1, 16);
      l("mov %r4, %r2");
      l("add %r4, {}", size);
      l("jgt %r4, %r3, {}", out);
      writable = packet_writable();
      c.edges = {static_cast<uint32_t>(size)};
    } else if (k == 1) {
      const uint32_t vs = static_cast<uint32_t>(8 * range(1, 4));
      c.maps.push_back({kMapArray, 4, vs, 2, 0});
      lookup(0, 0, !p(8), out);
      l("mov %r2, %r0");
      size = vs;
    } else if (k == 2) {
      l("stdw [%r10-16], 0");
      l("stdw [%r10-8], 0");
      l("mov %r2, %r10");
      l("add %r2, -16");
      size = 16;
    } else {
      l("mov %r2, %r6");  // the context: its first field
      size = c.type == "mem" ? c.mem_size : 4;
      writable = c.type == "mem";
    }
    const int64_t slot = p(80) ? 8 * range(3, 10) : range(17, 80);
    const uint32_t sw = p(85) ? 3 : static_cast<uint32_t>(r(3));
    l("{} [%r10-{}], %r2", kStores[sw], slot);
    if (p(15)) l("stb [%r10-{}], 0", slot - range(0, 7));
    if (p(15)) l("mov %r2, 0");
    const uint32_t fw = p(85) ? 3 : static_cast<uint32_t>(r(3));
    l("{} %r5, [%r10-{}]", kLoads[fw], slot);
    const uint32_t wi = width_index();
    access("%r5", near(size - kWidths[wi]), wi, writable);
    bind(out);
    l("mov %r0, {}", ret_value());
    l("exit");
  }

  void loop() {
    pick_any_type();
    if (c.type != "mem" && p(50)) {
      c.type = "mem";
      c.platform = "runtime";
    }
    const std::string head = label(), out = label();
    const uint32_t wi = width_index();
    const int64_t step = range(1, 4);
    l("mov %r6, %r1");
    l("mov %r8, 1");
    if (c.type == "mem") {
      l("mov %r2, %r6");
      l("mov %r3, %r6");
      l("add %r3, {}", c.mem_size);
    } else {
      l("ldxw %r2, [%r6+{}]", off_data());
      l("ldxw %r3, [%r6+{}]", off_end());
    }
    const int64_t bound_v = near(c.type == "mem" ? c.mem_size - kWidths[wi] + 1 : range(4, 24));
    l("mov %r5, 0");
    bind(head);
    l("mov %r4, %r2");
    l("add %r4, %r5");
    if (c.type != "mem" || p(30)) {
      l("mov %r9, %r4");
      l("add %r9, {}", kWidths[wi]);
      compare("%r9", "%r3", out, 0);
    }
    access("%r4", p(80) ? 0 : range(-1, 1), wi, c.type != "socket_filter");
    l("add %r5, {}", step);
    l("{}{} %r5, {}, {}", p(50) ? "jlt" : p(50) ? "jle" : "jslt", w32(), bound_v, head);
    bind(out);
    c.edges = {static_cast<uint32_t>(std::max<int64_t>(bound_v, 0))};
    l("mov %r0, {}", ret_value());
    l("exit");
  }

  // A bpf-to-bpf call: the callee reaches the caller's memory through a pointer argument
  // at an offset passed in r2. In shapes 1-3 that offset is one of two values picked by a
  // branch on a random number before the call, so that states differing only in it meet
  // at the callee's entry or its return site: the offset is used in the callee (1),
  // comes back as the callee's r0 and moves the pointer in the caller (2), or moves a
  // pointer the callee returns (3). Pruning one by the other is sound only when the
  // precision of arguments and return values across the call is right.
  void call() {
    pick_any_type();
    const std::string out = label();
    const uint64_t shape = r(4);
    if (shape != 0) {
      l("mov %r6, %r1");
      l("call 7");
      l("mov %r9, %r0");
      l("mov %r1, %r6");
    }
    l("mov %r6, %r1");
    l("mov %r8, 5");
    int64_t size = 8;
    bool writable = true;
    const uint64_t k = r(3);
    if (k == 0 && c.type != "mem") {
      l("ldxw %r2, [%r6+{}]", off_data());
      l("ldxw %r3, [%r6+{}]", off_end());
      size = range(1, 24);
      l("mov %r4, %r2");
      l("add %r4, {}", size);
      compare("%r4", "%r3", out, 0);
      l("mov %r1, %r2");
      writable = packet_writable();
      c.edges = {static_cast<uint32_t>(size)};
    } else if (k == 1) {
      const uint32_t vs = static_cast<uint32_t>(8 * range(1, 4));
      c.maps.push_back({kMapArray, 4, vs, 2, 0});
      lookup(0, 1, !p(8), out);
      l("mov %r1, %r0");
      size = vs;
    } else {
      for (int i = 8; i <= 32; i += 8) l("stdw [%r10-{}], 0", i);
      l("mov %r1, %r10");
      l("add %r1, -32");
      size = 32;
    }
    if (shape != 0) {
      // Two offsets, one mostly safe and one near or past the edge, in either order.
      const uint32_t wi = width_index();
      int64_t a = range(0, 3), b = range(0, std::max<int64_t>(size, 1) + 4);
      if (p(50)) std::swap(a, b);
      const int64_t off = near(size - kWidths[wi] - (p(50) ? std::max(a, b) : std::min(a, b)));
      const std::string joined = label();
      const std::string value_reg = shape == 3 ? "%r7" : "%r2";
      if (shape == 2) l("mov %r7, %r1");
      l("mov {}, {}", value_reg, a);
      l("{}{} %r9, {}, {}", cond(), w32(), range(0, 2), joined);
      l("mov {}, {}", value_reg, b);
      bind(joined);
      if (shape == 1) {
        l("call local fn");
      } else if (shape == 2) {
        l("call local ret_offset");
        l("add %r7, %r0");
        access("%r7", off, wi, writable);
      } else {
        l("call local ret_pointer");
        l("add %r0, %r7");
        access("%r0", off, wi, writable);
      }
      bind(out);
      l("mov %r0, {}", ret_value());
      l("exit");
      if (shape == 1) {
        bind("fn");
        l("add %r1, %r2");
        access("%r1", off, wi, writable);
        l("mov %r0, 0");
        l("exit");
      } else if (shape == 2) {
        bind("ret_offset");
        l("mov %r0, %r2");
        l("exit");
      } else {
        bind("ret_pointer");
        l("mov %r0, %r1");
        l("exit");
      }
      return;
    }
    l("mov %r2, {}", range(0, 3));
    l("call local fn");
    bind(out);
    l("mov %r0, {}", ret_value());
    l("exit");
    bind("fn");
    const uint32_t wi = width_index();
    if (p(40)) {
      l("and %r2, 3");
      l("add %r1, %r2");
      size -= 3;
    }
    l("mov %r8, 1");
    access("%r1", near(size - kWidths[wi]), wi, writable);
    l("mov %r0, 0");
    l("exit");
  }

  // A helper that moves the packet between the check and the access: the old pointer
  // (in a register, spilled, or reloaded and checked again) must be refused unless
  // reloaded and checked.
  void pkt_change() {
    pick_packet_type(true);
    const std::string out = label();
    prologue_packet();
    const int64_t k = range(1, 24);
    l("mov %r4, %r2");
    l("add %r4, {}", k);
    l("jgt %r4, %r3, {}", out);
    l("mov %r7, %r2");
    const bool spilled = p(40);
    if (spilled) l("stxdw [%r10-8], %r2");
    l("mov %r1, %r6");
    if (xdp()) {
      const uint64_t h = r(3);
      const int64_t delta = h == 0 ? range(-16, 16) : h == 1 ? -4 * range(0, 4) : range(-20, 4);
      l("mov %r2, {}", delta);
      l("call {}", h == 0 ? 44 : h == 1 ? 54 : 65);
    } else if (p(50)) {
      l("mov %r2, {}", range(0, 20));
      l("call 39");
    } else {
      l("call 19");
    }
    const bool reload = p(40);
    int64_t size = k;
    if (reload) {
      size = range(1, 24);
      l("ldxw %r7, [%r6+{}]", off_data());
      l("ldxw %r3, [%r6+{}]", off_end());
      l("mov %r4, %r7");
      l("add %r4, {}", size);
      compare("%r4", "%r3", out, 0);
    } else if (spilled) {
      l("ldxdw %r7, [%r10-8]");
    }
    const uint32_t wi = width_index();
    access("%r7", near(size - kWidths[wi]), wi, true);
    bind(out);
    epilogue();
  }

  // ---- mutation of catalogue cases -----------------------------------------------------

  bool mutate_line(std::string& line) {
    static const std::regex kNumber("(^|[^%r\\w])(-?\\d+)");
    static const std::regex kCond("\\b(jeq|jne|jgt|jge|jlt|jle|jsgt|jsge|jslt|jsle|jset)(32)?\\b");
    static const std::regex kWidth("\\b(ldx|stx|st)(b|h|w|dw)\\b");
    switch (r(4)) {
      case 0: {
        std::vector<std::smatch> ms;
        for (auto it = std::sregex_iterator(line.begin(), line.end(), kNumber);
             it != std::sregex_iterator(); ++it) {
          ms.push_back(*it);
        }
        if (ms.empty()) return false;
        const std::smatch& m = ms[r(ms.size())];
        const long long v = std::stoll(m[2].str()) + (p(50) ? 1 : -1);
        line.replace(static_cast<size_t>(m.position(2)), static_cast<size_t>(m.length(2)),
                     std::to_string(v));
        return true;
      }
      case 1: {
        std::smatch m;
        if (!std::regex_search(line, m, kCond)) return false;
        line.replace(static_cast<size_t>(m.position(1)), static_cast<size_t>(m.length(1)),
                     kConds[r(10)]);
        return true;
      }
      case 2: {
        std::smatch m;
        if (!std::regex_search(line, m, kWidth)) return false;
        static const char* kW[] = {"b", "h", "w", "dw"};
        line.replace(static_cast<size_t>(m.position(2)), static_cast<size_t>(m.length(2)),
                     kW[r(4)]);
        return true;
      }
      default:
        if (line.find(':') != std::string::npos) return false;  // keep labels
        line = "  ja +0";
        return true;
    }
  }

  bool mutate(const std::vector<oracle::CatalogueCase>& cases) {
    if (cases.empty()) return false;
    const oracle::CatalogueCase& cc = cases[r(cases.size())];
    for (const auto& m : cc.maps) {
      if (m.inner >= 0 || m.spin_lock_off >= 0 || m.wronly_prog) return false;
      ElfMap em{verifier::map_type_from_name(m.type), m.key_size, m.value_size, m.max_entries,
                m.rdonly_prog ? (1u << 7) : 0u};
      c.maps.push_back(em);
    }
    c.type = cc.type;
    if (c.type != "mem" && c.type != "xdp" && c.type != "socket_filter" &&
        c.type != "sched_cls") {
      return false;
    }
    c.platform = cc.platform;
    c.mem_size = cc.mem_size;
    std::vector<std::string> lines;
    size_t start = 0;
    const std::string& s = cc.asm_text;
    while (start <= s.size()) {
      const size_t nl = s.find('\n', start);
      std::string line = s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      const size_t hash = line.find('#');
      if (hash != std::string::npos) line.erase(hash);
      if (line.find_first_not_of(" \t") != std::string::npos) lines.push_back(line);
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    if (lines.empty()) return false;
    const uint32_t n = p(70) ? 1 : 2;
    for (uint32_t i = 0; i < n; ++i) {
      for (int tries = 0; tries < 8; ++tries) {
        if (mutate_line(lines[r(lines.size())])) break;
      }
    }
    for (const std::string& line : lines) text += line + "\n";
    return true;
  }
};

const std::vector<oracle::CatalogueCase>& catalogue(const std::string& dir) {
  static std::mutex mu;
  static std::string loaded_dir;
  static std::vector<oracle::CatalogueCase> cases;
  std::lock_guard<std::mutex> lock(mu);
  if (loaded_dir == dir) return cases;
  loaded_dir = dir;
  cases.clear();
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".txt") continue;
    auto cs = oracle::read_catalogue(e.path().string());
    if (!cs) continue;
    for (auto& c : *cs) cases.push_back(std::move(c));
  }
  return cases;
}

struct ObjectFile {
  std::string name;
  std::vector<uint8_t> bytes;
};

// The bpf-progs objects that load without settings (no CO-RE target, kconfig or ksym).
const std::vector<ObjectFile>& object_files(const std::string& dir) {
  static std::mutex mu;
  static std::string loaded_dir;
  static std::vector<ObjectFile> files;
  std::lock_guard<std::mutex> lock(mu);
  if (loaded_dir == dir) return files;
  loaded_dir = dir;
  files.clear();
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() != ".o") continue;
    bool skip = false;
    for (const char* prefix : {"core_", "kconfig_", "ksym_", "kfunc_", "legacy_maps_bad"}) {
      if (name.rfind(prefix, 0) == 0) skip = true;
    }
    if (skip) continue;
    std::ifstream in(e.path(), std::ios::binary);
    files.push_back({name, std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), {})});
  }
  std::sort(files.begin(), files.end(),
            [](const ObjectFile& a, const ObjectFile& b) { return a.name < b.name; });
  return files;
}

// Mutates one instruction of a code section of a bpf-progs object in place: an immediate
// or offset +-1, a jump condition swapped, an access width changed, or the instruction
// replaced by ja +0.
bool mutate_object(Gen& g, const std::vector<ObjectFile>& files) {
  if (files.empty()) return false;
  const ObjectFile& f = files[g.r(files.size())];
  std::vector<uint8_t> bytes = f.bytes;
  if (bytes.size() < sizeof(Elf64_Ehdr)) return false;
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof eh);
  std::vector<Elf64_Shdr> code;
  for (uint32_t i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh;
    const uint64_t at = eh.e_shoff + uint64_t{i} * sizeof sh;
    if (at + sizeof sh > bytes.size()) return false;
    std::memcpy(&sh, bytes.data() + at, sizeof sh);
    if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR) && sh.sh_size >= 8 &&
        sh.sh_offset + sh.sh_size <= bytes.size()) {
      code.push_back(sh);
    }
  }
  if (code.empty()) return false;
  const Elf64_Shdr& sh = code[g.r(code.size())];
  const uint64_t slot = g.r(sh.sh_size / 8);
  uint8_t* insn = bytes.data() + sh.sh_offset + slot * 8;
  const uint8_t op = insn[0];
  const uint8_t cls = op & 7;
  const bool mem = cls == 1 || cls == 2 || cls == 3;  // ldx, st, stx
  const bool jmp = cls == 5 || cls == 6;
  static const uint8_t kCondOps[] = {0x10, 0x20, 0x30, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0};
  std::string what;
  switch (g.r(5)) {
    case 0: {
      int32_t imm;
      std::memcpy(&imm, insn + 4, 4);
      imm += g.p(50) ? 1 : -1;
      std::memcpy(insn + 4, &imm, 4);
      what = fmt::format("imm {:+}", imm);
      break;
    }
    case 1: {
      int16_t off;
      std::memcpy(&off, insn + 2, 2);
      off = static_cast<int16_t>(off + (g.p(50) ? 1 : -1));
      std::memcpy(insn + 2, &off, 2);
      what = fmt::format("off {}", off);
      break;
    }
    case 2: {
      const uint8_t sub = op & 0xf0;
      if (!jmp || std::find(std::begin(kCondOps), std::end(kCondOps), sub) == std::end(kCondOps)) {
        return false;
      }
      insn[0] = static_cast<uint8_t>(kCondOps[g.r(10)] | (op & 0x0f));
      what = fmt::format("condition 0x{:02x} -> 0x{:02x}", op, insn[0]);
      break;
    }
    case 3:
      if (!mem || (op & 0xe0) != 0x60) return false;  // BPF_MEM mode only
      insn[0] = static_cast<uint8_t>((op & ~0x18) | (g.r(4) << 3));
      what = fmt::format("width 0x{:02x} -> 0x{:02x}", op, insn[0]);
      break;
    default:
      if (op == 0x18 || op == 0x85) return false;  // lddw, calls: relocations name them
      std::memset(insn, 0, 8);
      insn[0] = 0x05;  // ja +0
      what = "dropped (ja +0)";
      break;
  }
  g.c.object = std::move(bytes);
  g.c.type = "object";
  g.c.mem_size = 64;  // what the bpf-progs tests give mem programs
  g.c.mutation = fmt::format("{} section at offset 0x{:x}, slot {}: {}", f.name, sh.sh_offset,
                             slot, what);
  return true;
}

}  // namespace

const std::vector<std::string>& families() {
  static const std::vector<std::string> f = {"pkt_cmp", "pkt_meta", "pkt_var", "map_var",
                                             "helper_len", "spill", "loop", "call", "pkt_change",
                                             "mutate", "objmut"};
  return f;
}

Case generate(uint64_t seed, const std::string& family, const GenOptions& opts) {
  Gen g(seed * 0x9e3779b97f4a7c15ULL + 1);
  std::string fam = family;
  if (fam.empty()) {
    const auto& all = families();
    // mutate and objmut (the last two) need their inputs.
    std::vector<std::string> pool(all.begin(), all.end() - 2);
    if (!opts.catalogue_dir.empty()) pool.push_back("mutate");
    if (!opts.objects_dir.empty()) pool.push_back("objmut");
    fam = pool[g.r(pool.size())];
  }
  g.c.family = fam;
  if (fam == "pkt_cmp") g.pkt_cmp();
  else if (fam == "pkt_meta") g.pkt_meta();
  else if (fam == "pkt_var") g.pkt_var();
  else if (fam == "map_var") g.map_var();
  else if (fam == "helper_len") g.helper_len();
  else if (fam == "spill") g.spill();
  else if (fam == "loop") g.loop();
  else if (fam == "call") g.call();
  else if (fam == "pkt_change") g.pkt_change();
  else if (fam == "mutate") {
    if (opts.catalogue_dir.empty() || !g.mutate(catalogue(opts.catalogue_dir))) return g.c;
  } else if (fam == "objmut") {
    if (opts.objects_dir.empty()) return g.c;
    // A mutation that does not apply to the chosen instruction tries another.
    for (int tries = 0; tries < 16 && g.c.object.empty(); ++tries) {
      mutate_object(g, object_files(opts.objects_dir));
    }
    return g.c;
  }
  DecodeOptions dopts;
  auto insns = assemble(g.text, dopts);
  if (!insns) return g.c;
  g.c.insns = std::move(insns).value();
  // Every small constant of the program is a length worth trying.
  for (const Insn& in : g.c.insns) {
    for (int64_t v : {int64_t{in.imm}, int64_t{in.off}}) {
      if (v > 0 && v <= 128) g.c.edges.push_back(static_cast<uint32_t>(v));
    }
  }
  return g.c;
}

}  // namespace bpfjit::soundness
