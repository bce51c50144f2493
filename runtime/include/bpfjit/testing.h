/// @file
/// GoogleTest support for testing eBPF programs with bpfjit: load and prepare a program
/// (the test fails with the loader's or the verifier's message), run a packet through
/// Program::test_run, and expectations on the verdict, the packet out and map values that
/// print what a reader needs (XDP_DROP rather than 1, a hex diff at the first differing
/// byte, the key and both values).
///
/// Header-only; it needs GoogleTest only where it is included.
///
/// @code
///   #include <bpfjit/testing.h>
///   using bpfjit::testing::XdpAction;
///
///   class Guard : public bpfjit::testing::ProgramTest {
///    protected:
///     void SetUp() override { load("xdp_guard.o", "xdp_guard"); }  // on GetParam()'s engine
///   };
///   TEST_P(Guard, DropsTelnet) {
///     auto run = run_packet(telnet_packet);
///     EXPECT_BPF_RETVAL(run, XdpAction::kDrop);  // "... is XDP_PASS (2), expected XDP_DROP (1)"
///     EXPECT_BPF_PACKET_OUT(run, telnet_packet);      // hex diff at the first differing byte
///     EXPECT_BPF_MAP_VALUE(map("verdicts"), uint32_t{1}, uint64_t{1});
///   }
///   INSTANTIATE_TEST_SUITE_P(Engines, Guard, bpfjit::testing::engines(),
///                            bpfjit::testing::engine_param_name);
/// @endcode
///
/// Every expectation has an EXPECT_ form (the test goes on) and an ASSERT_ form (the test
/// stops). The run argument may be a PacketRun or a Result<PacketRun>: a run that failed
/// fails the expectation with the run's error.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "bpfjit/runtime.h"

namespace bpfjit::testing {

/// The verdicts of xdp programs (the kernel's enum xdp_action).
enum class XdpAction : uint32_t {
  kAborted = 0,   ///< XDP_ABORTED
  kDrop = 1,      ///< XDP_DROP
  kPass = 2,      ///< XDP_PASS
  kTx = 3,        ///< XDP_TX
  kRedirect = 4,  ///< XDP_REDIRECT
};

/// The verdicts of sched_cls and sched_act programs (the kernel's TC_ACT_* of
/// linux/pkt_cls.h). The retval of TC_ACT_UNSPEC is 0xffffffff.
enum class TcAction : int32_t {
  kUnspec = -1,     ///< TC_ACT_UNSPEC
  kOk = 0,          ///< TC_ACT_OK
  kReclassify = 1,  ///< TC_ACT_RECLASSIFY
  kShot = 2,        ///< TC_ACT_SHOT
  kPipe = 3,        ///< TC_ACT_PIPE
  kStolen = 4,      ///< TC_ACT_STOLEN
  kQueued = 5,      ///< TC_ACT_QUEUED
  kRepeat = 6,      ///< TC_ACT_REPEAT
  kRedirect = 7,    ///< TC_ACT_REDIRECT
  kTrap = 8,        ///< TC_ACT_TRAP
};

/// Which family of names a retval has.
enum class VerdictKind : uint8_t {
  kNone,  ///< a plain number (mem, socket_filter, cgroup_skb, host types)
  kXdp,   ///< XDP_*
  kTc,    ///< TC_ACT_*
};


/// The family of names of a program type's verdicts.
inline VerdictKind verdict_kind(std::string_view program_type) {
  if (program_type == "xdp") return VerdictKind::kXdp;
  if (program_type == "sched_cls" || program_type == "sched_act") return VerdictKind::kTc;
  return VerdictKind::kNone;
}

/// "XDP_DROP (1)", "TC_ACT_SHOT (2)", or the number alone ("7", "0xffffffff").
inline std::string verdict_name(uint32_t retval, VerdictKind kind) {
  // The names are the runtime's table (helpers/kernel_retvals.def), by the kernel's
  // program type numbers: BPF_PROG_TYPE_XDP 6, BPF_PROG_TYPE_SCHED_CLS 3.
  std::string_view name;
  if (kind == VerdictKind::kXdp) name = retval_name(6, retval);
  if (kind == VerdictKind::kTc) name = retval_name(3, retval);
  char number[16];
  if (retval > 0xffff) {
    std::snprintf(number, sizeof(number), "%#x", retval);
  } else {
    std::snprintf(number, sizeof(number), "%u", retval);
  }
  if (name.empty()) return number;
  return std::string(name) + " (" + number + ")";
}

/// An expected retval: a number, an XdpAction, a TcAction or a kernel enum value
/// (XDP_DROP of linux/bpf.h). A typed action names its own family.
struct Verdict {
  uint32_t retval = 0;
  VerdictKind kind = VerdictKind::kNone;

  Verdict(XdpAction a) : retval(static_cast<uint32_t>(a)), kind(VerdictKind::kXdp) {}  // NOLINT
  Verdict(TcAction a)  // NOLINT: implicit by design
      : retval(static_cast<uint32_t>(static_cast<int32_t>(a))), kind(VerdictKind::kTc) {}
  template <typename T>
    requires(std::is_integral_v<T> || std::is_enum_v<T>)
  Verdict(T v) : retval(static_cast<uint32_t>(v)) {}  // NOLINT: implicit by design
};

/// What one test run gave (Program::test_run's TestRunResult) and the program type it ran
/// as, which names its verdicts.
struct PacketRun : TestRunResult {
  std::string program_type;  ///< "xdp", "sched_cls", ...
};

/// Runs `prog` (prepared) as the kernel's BPF_PROG_TEST_RUN does, on the engine it was
/// prepared for.
inline Result<PacketRun> run_packet(const Program& prog, const TestRunInput& input) {
  auto r = prog.test_run(input);
  if (!r) return r.take_error();
  PacketRun run;
  static_cast<TestRunResult&>(run) = std::move(*r);
  run.program_type = prog.type().name;
  return run;
}

/// Runs `prog` on one packet (no ctx_in, one repetition).
inline Result<PacketRun> run_packet(const Program& prog, std::span<const uint8_t> packet) {
  TestRunInput input;
  input.data = packet;
  return run_packet(prog, input);
}

/// A loaded object and one of its programs, prepared.
struct LoadedProgram {
  std::unique_ptr<Object> object;
  Program* program = nullptr;

  /// The object's map `name`, or nullptr.
  Map* map(std::string_view name) const { return object ? object->map(name) : nullptr; }
};

/// Loads the object `path`, finds `program` in it and prepares it with `opts` (its engine
/// included). A failure says which step failed and gives the loader's or the verifier's
/// message (every rejection the verifier found, with its instruction).
inline ::testing::AssertionResult load_program(Runtime& rt, const std::string& path,
                                               std::string_view program, LoadedProgram* out,
                                               const PrepareOptions& opts = {},
                                               const LoadSettings& settings = {}) {
  auto obj = rt.load_file(path, settings);
  if (!obj) {
    return ::testing::AssertionFailure()
           << "cannot load " << path << ": " << obj.error().to_string();
  }
  Program* prog = (*obj)->program(program);
  if (prog == nullptr) {
    auto failure = ::testing::AssertionFailure();
    failure << path << " has no program " << program << " (programs:";
    for (const Program* p : (*obj)->programs()) failure << " " << p->name();
    return failure << ")";
  }
  if (auto r = prog->prepare(opts); !r) {
    auto failure = ::testing::AssertionFailure();
    failure << "cannot prepare " << program << " of " << path << ": " << r.error().to_string();
    const VerifyReport* report = prog->verify_report();
    if (report != nullptr && report->errors.size() > 1) {
      for (const Error& e : report->errors) failure << "\n  " << e.to_string();
    }
    return failure;
  }
  out->object = std::move(*obj);
  out->program = prog;
  return ::testing::AssertionSuccess();
}

/// The engines a parameterised test runs on: the interpreter and the JIT.
inline auto engines() {
  return ::testing::Values(EngineKind::kInterpreter, EngineKind::kJit);
}

/// Names the instances of a test parameterised by engine ("interpreter", "jit").
inline std::string engine_param_name(const ::testing::TestParamInfo<EngineKind>& info) {
  switch (info.param) {
    case EngineKind::kAuto: return "auto";
    case EngineKind::kInterpreter: return "interpreter";
    case EngineKind::kJit: return "jit";
  }
  return "unknown";
}

}  // namespace bpfjit::testing

namespace bpfjit {
/// Prints an engine in GoogleTest's messages ("jit" rather than a byte).
inline void PrintTo(EngineKind engine, std::ostream* os) {
  *os << testing::engine_param_name(::testing::TestParamInfo<EngineKind>(engine, 0));
}
}  // namespace bpfjit

namespace bpfjit::testing {

/// A test fixture parameterised by engine: load() prepares a program on GetParam()'s
/// engine, run_packet() runs it, map() finds its maps. Instantiate it with engines().
class ProgramTest : public ::testing::TestWithParam<EngineKind> {
 protected:
  /// Loads `path` and prepares `program` of it on this instance's engine (opts.engine is
  /// replaced). A failure is fatal: called from SetUp(), the test body does not run.
  void load(const std::string& path, std::string_view program, PrepareOptions opts = {},
            const LoadSettings& settings = {}) {
    opts.engine = GetParam();
    ASSERT_TRUE(load_program(runtime_, path, program, &loaded_, opts, settings));
  }
  /// Runs the loaded program on a packet.
  Result<PacketRun> run_packet(std::span<const uint8_t> packet) const {
    if (loaded_.program == nullptr) {
      return make_error(ErrorCode::kInvalidArgument, "no program is loaded");
    }
    return testing::run_packet(*loaded_.program, packet);
  }
  /// Runs the loaded program with every input of the kernel's test run.
  Result<PacketRun> run_packet(const TestRunInput& input) const {
    if (loaded_.program == nullptr) {
      return make_error(ErrorCode::kInvalidArgument, "no program is loaded");
    }
    return testing::run_packet(*loaded_.program, input);
  }
  /// The loaded object's map `name`, or nullptr (the map expectations then fail).
  Map* map(std::string_view name) const { return loaded_.map(name); }
  /// The loaded program (nullptr before load()).
  Program* program() const { return loaded_.program; }
  /// The runtime the program was loaded by.
  Runtime& runtime() { return runtime_; }

  Runtime runtime_;
  LoadedProgram loaded_;
};

namespace internal {

inline ::testing::AssertionResult run_failed(const char* run_expr, const Error& e) {
  return ::testing::AssertionFailure() << run_expr << " failed: " << e.to_string();
}

inline std::string hex_byte(uint8_t b) {
  char buf[4];
  std::snprintf(buf, sizeof(buf), "%02x", b);
  return buf;
}

/// A row of 16 bytes from `start` ("--" past the end), and the positions that differ.
inline std::string hex_row(std::span<const uint8_t> bytes, size_t start) {
  std::string row;
  for (size_t i = start; i < start + 16; ++i) {
    if (i != start) row += ' ';
    row += i < bytes.size() ? hex_byte(bytes[i]) : std::string("--");
  }
  return row;
}

/// The hex diff of two byte strings: the 16-byte rows from one before the first
/// difference to one after, each as "got" and "want" with ^^ under the bytes that differ.
inline std::string hex_diff(std::span<const uint8_t> got, std::span<const uint8_t> want,
                            size_t first) {
  size_t size = std::max(got.size(), want.size());
  size_t row0 = first / 16 * 16;
  size_t from = row0 >= 16 ? row0 - 16 : 0;
  size_t to = std::min(row0 + 32, (size + 15) / 16 * 16);
  std::string out;
  for (size_t start = from; start < to; start += 16) {
    char offset[24];
    std::snprintf(offset, sizeof(offset), "%04zx", start);
    std::string marks;
    for (size_t i = start; i < start + 16; ++i) {
      bool differs = i < size && (i >= got.size() || i >= want.size() || got[i] != want[i]);
      marks += (i == start ? "" : " ");
      marks += differs ? "^^" : "  ";
    }
    out += "\n  " + std::string(offset) + " got  " + hex_row(got, start);
    out += "\n       want " + hex_row(want, start);
    if (marks.find('^') != std::string::npos) {
      marks.erase(marks.find_last_not_of(' ') + 1);
      out += "\n            " + marks;
    }
  }
  return out;
}

template <typename T>
const PacketRun* as_run(const T& run) {
  if constexpr (std::is_same_v<T, PacketRun>) {
    return &run;
  } else {
    return run ? &*run : nullptr;
  }
}

template <typename T>
const Error* run_error(const T& run) {
  if constexpr (std::is_same_v<T, PacketRun>) {
    return nullptr;
  } else {
    return run ? nullptr : &run.error();
  }
}

/// The bytes of a key or value: a byte container as it is, anything else trivially
/// copyable as its object representation.
template <typename T>
std::span<const uint8_t> bytes_of(const T& v) {
  if constexpr (std::is_convertible_v<const T&, std::span<const uint8_t>>) {
    return std::span<const uint8_t>(v);
  } else {
    return Map::bytes_of(v);
  }
}

inline std::string hex_string(std::span<const uint8_t> bytes) {
  std::string s;
  for (size_t i = 0; i < bytes.size(); ++i) s += (i ? " " : "") + hex_byte(bytes[i]);
  return s;
}

/// "1 (01 00 00 00)" for a typed value, "01 00" for bytes.
template <typename T>
std::string describe(const T& v) {
  std::string hex = hex_string(bytes_of(v));
  if constexpr (std::is_convertible_v<const T&, std::span<const uint8_t>>) {
    return hex;
  } else {
    return ::testing::PrintToString(v) + " (" + hex + ")";
  }
}

}  // namespace internal

/// EXPECT_BPF_RETVAL's predicate: the run succeeded and its retval is `want`.
template <typename Run>
::testing::AssertionResult retval_is(const char* run_expr, const char* want_expr,
                                     const Run& run, const Verdict& want) {
  if (const Error* e = internal::run_error(run)) return internal::run_failed(run_expr, *e);
  const PacketRun& r = *internal::as_run(run);
  if (r.retval == want.retval) return ::testing::AssertionSuccess();
  VerdictKind kind = verdict_kind(r.program_type);
  VerdictKind want_kind = want.kind == VerdictKind::kNone ? kind : want.kind;
  return ::testing::AssertionFailure()
         << "retval of " << run_expr << " is " << verdict_name(r.retval, kind)
         << ", expected " << verdict_name(want.retval, want_kind) << " (" << want_expr << ")";
}

/// EXPECT_BPF_PACKET_OUT's predicate: the run succeeded and its data_out is `want`.
template <typename Run, typename Bytes>
::testing::AssertionResult packet_out_is(const char* run_expr, const char* want_expr,
                                         const Run& run, const Bytes& want_bytes) {
  if (const Error* e = internal::run_error(run)) return internal::run_failed(run_expr, *e);
  std::span<const uint8_t> got = internal::as_run(run)->data_out;
  std::span<const uint8_t> want = internal::bytes_of(want_bytes);
  auto [g, w] = std::mismatch(got.begin(), got.end(), want.begin(), want.end());
  if (g == got.end() && w == want.end()) return ::testing::AssertionSuccess();
  size_t first = static_cast<size_t>(g - got.begin());
  auto failure = ::testing::AssertionFailure();
  char offset[32];
  std::snprintf(offset, sizeof(offset), "%zu (%#zx)", first, first);
  failure << "packet out of " << run_expr << " differs from " << want_expr << " at offset "
          << offset << ": ";
  if (first < got.size() && first < want.size()) {
    failure << "got 0x" << internal::hex_byte(got[first]) << ", want 0x"
            << internal::hex_byte(want[first]) << "; ";
  }
  failure << "got " << got.size() << " bytes, want " << want.size();
  return failure << internal::hex_diff(got, want, first);
}

/// EXPECT_BPF_MAP_VALUE's predicate: the map holds `want` at `key`.
template <typename K, typename V>
::testing::AssertionResult map_value_is(const char* map_expr, const char* key_expr,
                                        const char* want_expr, const Map* map, const K& key,
                                        const V& want) {
  if (map == nullptr) {
    return ::testing::AssertionFailure() << map_expr << " is null (no such map?)";
  }
  std::span<const uint8_t> k = internal::bytes_of(key);
  std::span<const uint8_t> w = internal::bytes_of(want);
  auto failure = ::testing::AssertionFailure();
  failure << "map " << map->name() << " (" << map_expr << ") at key " << key_expr << " = "
          << internal::describe(key) << ": ";
  if (w.size() != map->value_bytes()) {
    return failure << "the expected value " << want_expr << " has " << w.size()
                   << " bytes, the map's values " << map->value_bytes();
  }
  std::vector<uint8_t> got(map->value_bytes());
  if (auto r = map->lookup(k, got); !r) return failure << r.error().to_string();
  if (std::equal(got.begin(), got.end(), w.begin(), w.end())) {
    return ::testing::AssertionSuccess();
  }
  failure << "value is ";
  if constexpr (std::is_convertible_v<const V&, std::span<const uint8_t>>) {
    failure << internal::hex_string(got);
  } else {
    V value{};
    std::memcpy(&value, got.data(), sizeof(V));
    failure << internal::describe(value);
  }
  return failure << ", expected " << internal::describe(want) << " (" << want_expr << ")";
}

/// As above, for a map reference.
template <typename K, typename V>
::testing::AssertionResult map_value_is(const char* map_expr, const char* key_expr,
                                        const char* want_expr, const Map& map, const K& key,
                                        const V& want) {
  return map_value_is(map_expr, key_expr, want_expr, &map, key, want);
}

}  // namespace bpfjit::testing

/// The run (a PacketRun or a Result<PacketRun>) succeeded and its retval is `want` (a
/// number, an XdpAction, a TcAction, or a kernel enum value such as XDP_DROP).
#define EXPECT_BPF_RETVAL(run, want) \
  EXPECT_PRED_FORMAT2(::bpfjit::testing::retval_is, run, want)
/// ASSERT form of EXPECT_BPF_RETVAL.
#define ASSERT_BPF_RETVAL(run, want) \
  ASSERT_PRED_FORMAT2(::bpfjit::testing::retval_is, run, want)
/// The run succeeded and left the packet `want` (a byte container: std::vector<uint8_t>,
/// std::array, std::span...); for xdp, data_out starts at data_meta.
#define EXPECT_BPF_PACKET_OUT(run, want) \
  EXPECT_PRED_FORMAT2(::bpfjit::testing::packet_out_is, run, want)
/// ASSERT form of EXPECT_BPF_PACKET_OUT.
#define ASSERT_BPF_PACKET_OUT(run, want) \
  ASSERT_PRED_FORMAT2(::bpfjit::testing::packet_out_is, run, want)
/// The map (a Map* or Map&) holds `want` at `key`; key and value are trivially copyable
/// values of the map's sizes, or byte containers.
#define EXPECT_BPF_MAP_VALUE(map, key, want) \
  EXPECT_PRED_FORMAT3(::bpfjit::testing::map_value_is, map, key, want)
/// ASSERT form of EXPECT_BPF_MAP_VALUE.
#define ASSERT_BPF_MAP_VALUE(map, key, want) \
  ASSERT_PRED_FORMAT3(::bpfjit::testing::map_value_is, map, key, want)
