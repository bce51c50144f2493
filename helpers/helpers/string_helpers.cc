// String helpers: trace_printk, snprintf (the kernel's format subset) and strncmp.
//
// Formats follow the kernel's bpf_bprintf_prepare subset: %d %i %u %x %X with optional
// l or ll, %c, %s, %p (also %px and %pK, printed as 0x-prefixed hex), %%, the flags
// "-+ #0", a width and a precision (at most 1024 each, no '*'). Arguments are u64 values;
// without l/ll they are truncated to 32 bits (signed for %d and %i). A %s argument is a
// program pointer: an unreadable one prints as the empty string, as the kernel does.
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "helpers/log.h"
#include "helpers/helpers/builtin.h"

namespace bpfjit::builtin {

int64_t program_strlen(const RunContext* ctx, uint64_t addr, uint64_t max) {
  if (max == 0) return -1;
  if (can_access(ctx, addr, max, false)) {
    const void* nul = std::memchr(ptr(addr), 0, max);
    return nul != nullptr ? static_cast<const uint8_t*>(nul) - ptr<uint8_t>(addr) : -1;
  }
  for (uint64_t i = 0; i < max; ++i) {
    if (!can_access(ctx, addr + i, 1, false)) return -1;
    if (*ptr<const char>(addr + i) == 0) return static_cast<int64_t>(i);
  }
  return -1;
}

namespace {

constexpr uint32_t kMaxFormatArgs = 12;   // the kernel's MAX_BPRINTF_VARARGS
constexpr uint64_t kMaxStringArg = 4096;  // bytes read for one %s
constexpr uint64_t kMaxFormatLen = 4096;
constexpr uint32_t kMaxWidth = 1024;

// Appends the output of a libc conversion whose spec we built ourselves.
template <typename... Args>
void append_c(std::string& out, const std::string& spec, Args... args) {
  int n = std::snprintf(nullptr, 0, spec.c_str(), args...);
  if (n <= 0) return;
  size_t at = out.size();
  out.resize(at + static_cast<size_t>(n) + 1);
  std::snprintf(out.data() + at, static_cast<size_t>(n) + 1, spec.c_str(), args...);
  out.resize(at + static_cast<size_t>(n));
}

// Formats fmt with args into out. 0, or -EINVAL for a conversion outside the subset or
// more conversions than arguments.
int64_t format(const RunContext* ctx, std::string_view fmt, std::span<const uint64_t> args,
               std::string& out) {
  size_t next_arg = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (++i == fmt.size()) return err_code(EINVAL);
    if (fmt[i] == '%') {
      out.push_back('%');
      continue;
    }
    std::string spec = "%";
    while (i < fmt.size() && std::strchr("-+ #0", fmt[i]) != nullptr && fmt[i] != 0) {
      spec.push_back(fmt[i++]);
    }
    for (int part = 0; part < 2; ++part) {  // width, then .precision
      if (part == 1) {
        if (i >= fmt.size() || fmt[i] != '.') break;
        spec.push_back(fmt[i++]);
      }
      uint32_t v = 0;
      while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') {
        v = v * 10 + static_cast<uint32_t>(fmt[i] - '0');
        if (v > kMaxWidth) return err_code(EINVAL);
        spec.push_back(fmt[i++]);
      }
    }
    int longs = 0;
    while (i < fmt.size() && fmt[i] == 'l' && longs < 2) {
      ++longs;
      ++i;
    }
    if (i == fmt.size()) return err_code(EINVAL);
    char conv = fmt[i];
    if (next_arg == args.size()) return err_code(EINVAL);
    uint64_t arg = args[next_arg++];
    switch (conv) {
      case 'd':
      case 'i': {
        auto v = longs > 0 ? static_cast<long long>(arg)
                           : static_cast<long long>(static_cast<int32_t>(arg));
        append_c(out, spec + "ll" + conv, v);
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        auto v = longs > 0 ? static_cast<unsigned long long>(arg)
                           : static_cast<unsigned long long>(static_cast<uint32_t>(arg));
        append_c(out, spec + "ll" + conv, v);
        break;
      }
      case 'c':
        if (longs > 0) return err_code(EINVAL);
        append_c(out, spec + 'c', static_cast<int>(static_cast<unsigned char>(arg)));
        break;
      case 's': {
        if (longs > 0) return err_code(EINVAL);
        std::string s;
        int64_t len = program_strlen(ctx, arg, kMaxStringArg);
        if (len > 0) s.assign(ptr<const char>(arg), static_cast<size_t>(len));
        append_c(out, spec + 's', s.c_str());
        break;
      }
      case 'p':
        if (longs > 0) return err_code(EINVAL);
        if (i + 1 < fmt.size() && (fmt[i + 1] == 'x' || fmt[i + 1] == 'K')) ++i;
        append_c(out, std::string("0x%llx"), static_cast<unsigned long long>(arg));
        break;
      default:
        return err_code(EINVAL);
    }
  }
  return 0;
}

// trace_printk(fmt, fmt_size, a1, a2, a3): fmt_size bytes ending with a NUL. Returns the
// number of bytes printed, or -EINVAL/-EFAULT.
uint64_t trace_printk(uint64_t fmt, uint64_t fmt_size, uint64_t a1, uint64_t a2, uint64_t a3,
                      RunContext* ctx) {
  if (fmt_size == 0 || fmt_size > kMaxFormatLen) return err_code(EINVAL);
  if (!can_access(ctx, fmt, fmt_size, false)) return err_code(EFAULT);
  std::string_view f(ptr<const char>(fmt), fmt_size);
  size_t nul = f.find('\0');
  if (nul == std::string_view::npos) return err_code(EINVAL);
  f = f.substr(0, nul);
  const uint64_t args[3] = {a1, a2, a3};
  std::string out;
  if (int64_t r = format(ctx, f, args, out); r != 0) return err(r);
  size_t printed = out.size();
  while (!out.empty() && out.back() == '\n') out.pop_back();
  HostEnv* env = host_env(ctx);
  const ProgramEnv* prog = env != nullptr ? env->program() : nullptr;
  std::string_view name = prog != nullptr ? std::string_view(prog->name) : "bpf";
  if (prog != nullptr && prog->trace) {
    prog->trace(name, out);
    logger().debug("{}: bpf_trace_printk: {}", name, out);
  } else {
    logger().info("{}: bpf_trace_printk: {}", name, out);
  }
  return printed;
}

// snprintf(str, str_size, fmt, data, data_len): data holds data_len / 8 u64 arguments.
// Returns the bytes the whole output needs including the NUL (str gets at most str_size
// bytes, always NUL-terminated when str_size > 0), or -EINVAL/-EFAULT.
uint64_t snprintf_helper(uint64_t str, uint64_t str_size, uint64_t fmt, uint64_t data,
                         uint64_t data_len, RunContext* ctx) {
  if (!can_access(ctx, str, str_size, true)) return err_code(EFAULT);
  if (str_size > 0) *ptr<char>(str) = 0;
  if (data_len % 8 != 0 || data_len / 8 > kMaxFormatArgs) return err_code(EINVAL);
  if (!can_access(ctx, data, data_len, false)) return err_code(EFAULT);
  int64_t len = program_strlen(ctx, fmt, kMaxFormatLen);
  if (len < 0) return err_code(EFAULT);
  uint64_t args[kMaxFormatArgs] = {};
  if (data_len > 0) std::memcpy(args, ptr(data), data_len);
  std::string out;
  if (int64_t r = format(ctx, std::string_view(ptr<const char>(fmt), static_cast<size_t>(len)),
                         std::span<const uint64_t>(args, data_len / 8), out);
      r != 0) {
    return err(r);
  }
  if (str_size > 0) {
    size_t n = out.size() < str_size - 1 ? out.size() : static_cast<size_t>(str_size - 1);
    std::memcpy(ptr(str), out.data(), n);
    ptr<char>(str)[n] = 0;
  }
  return out.size() + 1;
}

// strncmp(s1, s1_size, s2): compares at most s1_size bytes; -1, 0 or 1 (the kernel's
// strncmp), or -EFAULT when s1 or a byte of s2 it reaches is not readable.
uint64_t strncmp_helper(uint64_t s1, uint64_t s1_size, uint64_t s2, uint64_t, uint64_t,
                        RunContext* ctx) {
  if (!can_access(ctx, s1, s1_size, false)) return err_code(EFAULT);
  bool s2_ok = can_access(ctx, s2, s1_size, false);
  for (uint64_t i = 0; i < s1_size; ++i) {
    if (!s2_ok && !can_access(ctx, s2 + i, 1, false)) return err_code(EFAULT);
    auto c1 = *ptr<const uint8_t>(s1 + i);
    auto c2 = *ptr<const uint8_t>(s2 + i);
    if (c1 != c2) return c1 < c2 ? err(-1) : 1;
    if (c1 == 0) break;
  }
  return 0;
}

}  // namespace

void add_string_helpers(HelperTable& t) {
  using A = ArgKind;
  add_builtin(t, {helper_id::kTracePrintk, "trace_printk", trace_printk, RetKind::kInteger,
                  {A::kPtrToMem, A::kConstSize, A::kAnything, A::kAnything, A::kAnything}});
  add_builtin(t, {helper_id::kSnprintf, "snprintf", snprintf_helper, RetKind::kInteger,
                  {A::kPtrToUninitMem, A::kConstSizeOrZero, A::kPtrToConstStr,
                   A::kPtrToMemOrNull, A::kConstSizeOrZero}});
  add_builtin(t, {helper_id::kStrncmp, "strncmp", strncmp_helper, RetKind::kInteger,
                  {A::kPtrToMem, A::kConstSize, A::kPtrToConstStr}});
}

}  // namespace bpfjit::builtin
