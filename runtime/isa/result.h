// Result<T>: a value or a diagnostic, the one error style of bpfjit.
//
// A diagnostic carries a code, the index of the instruction it concerns (kNoInsn when it
// concerns no single instruction, e.g. an ELF section) and a message with the facts,
// lower-case and without a trailing period: "insn 7: jump to 40 is out of range (8 slots)".
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace bpfjit {

enum class ErrorCode : uint8_t {
  kInvalidArgument,  // the caller passed something unusable
  kDecode,           // the bytes are not a valid eBPF program
  kAssemble,         // assembler text could not be assembled
  kLoad,             // an object file could not be loaded (ELF, relocations, maps)
  kVerify,           // the verifier refused the program
  kJit,              // the JIT could not translate the program
  kRuntime,          // the program stopped with a fault while running
  kNotFound,         // a named thing (program, map, helper) does not exist
  kUnsupported,      // valid, but this engine or platform cannot do it
  kIo,               // a file could not be read or written
};

const char* error_code_name(ErrorCode code);

inline constexpr uint32_t kNoInsn = UINT32_MAX;

struct Diagnostic {
  ErrorCode code = ErrorCode::kInvalidArgument;
  uint32_t insn = kNoInsn;
  std::string message;

  // "insn 7: message" when an instruction is named, otherwise the message alone.
  std::string to_string() const;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Diagnostic diag) : v_(std::move(diag)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Diagnostic& error() const { return std::get<1>(v_); }
  Diagnostic&& take_error() { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Diagnostic> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Diagnostic diag) : err_(std::move(diag)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Diagnostic& error() const { return err_; }
  Diagnostic&& take_error() { return std::move(err_); }

 private:
  Diagnostic err_;
  bool ok_ = true;
};

// Builds a Diagnostic; the message is usually formatted with fmt::format at the call site.
inline Diagnostic make_error(ErrorCode code, uint32_t insn, std::string message) {
  return Diagnostic{code, insn, std::move(message)};
}
inline Diagnostic make_error(ErrorCode code, std::string message) {
  return Diagnostic{code, kNoInsn, std::move(message)};
}

}  // namespace bpfjit
