// What the loader resolves with BTF: CO-RE relocations (the `.BTF.ext` core_relo records
// clang writes for __builtin_preserve_access_index, BPF_CORE_READ, bpf_core_field_exists,
// bpf_core_type_id_kernel, bpf_core_enum_value...), `.kconfig` externs and `__ksym` externs.
//
// CO-RE, in short: the object's BTF describes the types as the program was compiled; each
// relocation names an instruction, a local root type and an access string ("0:2:1": an
// index on the root pointer, then member or array indices). The same path is looked up in
// a target BTF (the kernel's, /sys/kernel/btf/vmlinux, or a file the user gives) among the
// types of the same kind whose name, without a "___flavor" suffix, is the local one's; the
// value the target gives (an offset, a size, an existence bit, an enumerator's value...)
// replaces the one the compiler wrote into the instruction, after checking that the
// instruction still holds the value the local BTF implies.
//
// Externs: an undefined symbol is classified by the object's BTF: a VAR in the `.kconfig`
// DATASEC is laid out in a read-only global data image (".kconfig") filled from the
// values the loader is given; a VAR in `.ksyms` or an extern FUNC (a kfunc) is refused
// where a program uses it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/isa/isa.h"
#include "runtime/isa/result.h"
#include "runtime/loader/btf_relo_types.h"
#include "runtime/loader/loader.h"

struct btf;

namespace bpfjit {

// An undefined symbol of the object.
struct ExternSymbol {
  std::string name;
  bool weak = false;
};

// How the object's BTF declares an extern.
enum class ExternKind : uint8_t {
  kKconfig,  // a VAR in the .kconfig DATASEC: resolved to the ".kconfig" data image
  kKsym,     // a VAR in the .ksyms DATASEC (__ksym): refused where used
  kKfunc,    // an extern FUNC (a kfunc, __ksym): refused where called
  kUnknown,  // no BTF describes it
};

struct ExternInfo {
  std::string name;
  ExternKind kind = ExternKind::kUnknown;
  uint64_t offset = 0;  // kKconfig: its offset in the ".kconfig" image
};

// The BTF-driven steps of loading one object. Built once per object by the loader.
class BtfLinker {
 public:
  ~BtfLinker();
  BtfLinker(const BtfLinker&) = delete;
  BtfLinker& operator=(const BtfLinker&) = delete;

  // `local` is the object's parsed .BTF (null when it has none or it is unreadable);
  // `btf_ext` the bytes of .BTF.ext (empty when absent); `externs` the object's undefined
  // symbols. Lays out the .kconfig image (errors: a non-weak extern without a value, a
  // value that does not fit its type) and reads the CO-RE records (errors: a malformed
  // .BTF.ext). The target BTF is read when the first CO-RE relocation needs it.
  static Result<std::unique_ptr<BtfLinker>> create(const btf* local,
                                                   std::span<const uint8_t> btf_ext,
                                                   const std::vector<ExternSymbol>& externs,
                                                   const LoadOptions& opts);

  // The ".kconfig" data image when the object has .kconfig externs, else nullopt.
  std::optional<DataImage> take_kconfig_image();

  // How the object declares the undefined symbol `name` (kUnknown when it does not).
  ExternInfo find_extern(const std::string& name) const;

  // True when .BTF.ext holds CO-RE records for some section.
  bool has_core_relos() const;

  // Applies the CO-RE relocations of code section `section` whose instructions lie in
  // slots [start, end) of that section to `raw`, where slot `start` was copied to
  // raw[base]. `program` names the program in errors. Appends what it did to `applied`.
  Result<void> relocate(const std::string& program, const std::string& section,
                        uint32_t start, uint32_t end, std::span<RawInsn> raw, uint32_t base,
                        std::vector<CoreReloResult>& applied);

 private:
  struct Impl;
  explicit BtfLinker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Parses a kernel config in the format of /boot/config-*: `CONFIG_FOO=y|m|n|"str"|123`
// lines; `# CONFIG_FOO is not set` lines set n; other comments and blank lines are
// skipped. Errors name the line.
Result<std::map<std::string, std::string>> parse_kconfig(std::string_view text);

// Reads and parses a kernel config file.
Result<std::map<std::string, std::string>> read_kconfig_file(const std::string& path);

// KERNEL_VERSION(a, b, c) of a release string such as "6.1.0-18-amd64" (c capped at
// 255); nullopt when it does not start with three numbers... or two ("6.18").
std::optional<uint32_t> kernel_version_from_release(std::string_view release);

// The values the linux platform gives externs: LINUX_KERNEL_VERSION from uname(2),
// LINUX_HAS_SYSCALL_WRAPPER (x86-64 kernels wrap syscalls) and LINUX_HAS_BPF_COOKIE.
std::map<std::string, std::string> linux_platform_kconfig();

// The target BTF the linux platform uses when the user gives none:
// /sys/kernel/btf/vmlinux when it exists, else "".
std::string default_linux_target_btf();

}  // namespace bpfjit
