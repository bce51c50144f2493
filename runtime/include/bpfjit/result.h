/// @file
/// Result<T>: a value or a Diagnostic. The one error style of bpfjit, from the decoder up
/// to the public API: no bpfjit call throws.
///
/// A diagnostic carries a code, the index of the instruction it concerns (kNoInsn when it
/// concerns no single instruction, e.g. an ELF section) and a message with the facts,
/// lower-case and without a trailing period: "insn 7: jump to 40 is out of range (8 slots)".
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace bpfjit {

/// What kind of failure a Diagnostic reports.
enum class ErrorCode : uint8_t {
  kInvalidArgument,  ///< the caller passed something unusable
  kDecode,           ///< the bytes are not a valid eBPF program
  kAssemble,         ///< assembler text could not be assembled
  kLoad,             ///< an object file could not be loaded (ELF, relocations, maps)
  kVerify,           ///< the verifier refused the program
  kJit,              ///< the JIT could not translate the program
  kRuntime,          ///< the program stopped with a fault while running
  kNotFound,         ///< a named thing (program, map, helper, map key) does not exist
  kUnsupported,      ///< valid, but this engine or platform cannot do it
  kIo,               ///< a file could not be read or written
  kExists,           ///< a map update with "no exist" found the key present
  kNoSpace,          ///< a map is full, or an index is beyond its entries
};

/// "invalid argument", "verifier error", ...
const char* error_code_name(ErrorCode code);

/// The insn field of a Diagnostic that concerns no single instruction.
inline constexpr uint32_t kNoInsn = UINT32_MAX;

/// An error: its code, the instruction it concerns, and the facts.
struct Diagnostic {
  ErrorCode code = ErrorCode::kInvalidArgument;  ///< the kind of failure
  uint32_t insn = kNoInsn;  ///< slot index of the instruction at fault, or kNoInsn
  std::string message;      ///< the facts, lower-case, no trailing period

  /// "insn 7: message" when an instruction is named, otherwise the message alone.
  std::string to_string() const;
};

/// The public name of a Diagnostic.
using Error = Diagnostic;

/// A value of type T, or the Diagnostic that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  /// A success holding `value`.
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  /// A failure.
  Result(Diagnostic diag) : v_(std::move(diag)) {}  // NOLINT

  /// True on success.
  bool ok() const { return v_.index() == 0; }
  /// Same as ok().
  explicit operator bool() const { return ok(); }

  /// The value; only on success.
  T& value() & { return std::get<0>(v_); }
  /// The value; only on success.
  const T& value() const& { return std::get<0>(v_); }
  /// The value, moved out; only on success.
  T&& value() && { return std::get<0>(std::move(v_)); }
  /// The value; only on success.
  T& operator*() & { return value(); }
  /// The value; only on success.
  const T& operator*() const& { return value(); }
  /// The value's members; only on success.
  T* operator->() { return &value(); }
  /// The value's members; only on success.
  const T* operator->() const { return &value(); }

  /// The error; only on failure.
  const Diagnostic& error() const { return std::get<1>(v_); }
  /// The error, moved out; only on failure.
  Diagnostic&& take_error() { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Diagnostic> v_;
};

/// Success without a value, or a Diagnostic.
template <>
class [[nodiscard]] Result<void> {
 public:
  /// A success.
  Result() = default;
  /// A failure.
  Result(Diagnostic diag) : err_(std::move(diag)), ok_(false) {}  // NOLINT

  /// True on success.
  bool ok() const { return ok_; }
  /// Same as ok().
  explicit operator bool() const { return ok_; }
  /// The error; only on failure.
  const Diagnostic& error() const { return err_; }
  /// The error, moved out; only on failure.
  Diagnostic&& take_error() { return std::move(err_); }

 private:
  Diagnostic err_;
  bool ok_ = true;
};

/// Builds a Diagnostic that names an instruction.
inline Diagnostic make_error(ErrorCode code, uint32_t insn, std::string message) {
  return Diagnostic{code, insn, std::move(message)};
}
/// Builds a Diagnostic that names no instruction.
inline Diagnostic make_error(ErrorCode code, std::string message) {
  return Diagnostic{code, kNoInsn, std::move(message)};
}

}  // namespace bpfjit
