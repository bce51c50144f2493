/// @file
/// Small vocabulary types of the public API: engines, map types and map specs, log
/// levels. Shared by the runtime's layers, so that what the API reports is what they use.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace bpfjit {

/// Which engine runs a prepared program.
enum class EngineKind : uint8_t {
  kAuto,         ///< the JIT, falling back to the interpreter with a log line saying why
  kInterpreter,  ///< always the interpreter
  kJit,          ///< the JIT, or an error when it cannot take the program
};

/// The map types bpfjit implements, numbered as the kernel's BPF_MAP_TYPE_* (linux/bpf.h).
enum class MapType : uint32_t {
  kHash = 1,         ///< hash table, preallocated
  kArray = 2,        ///< array indexed by a u32 key; elements always exist
  kProgArray = 3,    ///< tail-call targets (bpf_tail_call)
  kPercpuHash = 5,   ///< hash table with one value slot per thread slot
  kPercpuArray = 6,  ///< array with one value slot per thread slot
  kLruHash = 9,      ///< hash table that evicts the least recently used element when full
  kQueue = 22,       ///< FIFO of values (push/pop/peek), no keys
  kStack = 23,       ///< LIFO of values (push/pop/peek), no keys
  kRingbuf = 27,     ///< multi-producer ring buffer of variable-size records
};

/// "hash", "array", ... or nullptr for a number that is not a supported type.
const char* map_type_name(MapType type);

/// The shape of a map: what BTF map definitions (`SEC(".maps")`) declare.
struct MapSpec {
  MapType type = MapType::kArray;  ///< the map type
  std::string name;                ///< its name (the ELF symbol, or the host's choice)
  uint32_t key_size = 0;           ///< bytes of a key (0 for queue, stack and ringbuf)
  uint32_t value_size = 0;         ///< bytes of a value (0 for ringbuf)
  uint32_t max_entries = 0;        ///< capacity; for ringbuf, the data size in bytes (a
                                   ///< power of two, at least 4096)
  uint32_t flags = 0;              ///< BPF_F_NO_PREALLOC and BPF_F_RDONLY_PROG are accepted
};

/// Update flags of map updates (the kernel's BPF_ANY, BPF_NOEXIST, BPF_EXIST).
inline constexpr uint64_t kBpfAny = 0;      ///< create or replace
inline constexpr uint64_t kBpfNoExist = 1;  ///< create only; kExists when present
inline constexpr uint64_t kBpfExist = 2;    ///< replace only; kNotFound when absent

/// Severity of a log message.
enum class LogLevel : uint8_t {
  kTrace,     ///< verbose internals
  kDebug,     ///< diagnostic detail (libbpf messages, trace_printk at debug level)
  kInfo,      ///< notable events (bpf_trace_printk output)
  kWarning,   ///< something degraded (JIT fallback to the interpreter, a corrupt record)
  kError,     ///< an operation failed
  kCritical,  ///< the runtime cannot work as built
  kOff,       ///< as a threshold: log nothing
};

/// Receives bpfjit's log messages (without a trailing newline).
using LogSink = std::function<void(LogLevel level, std::string_view message)>;

/// Receives the lines programs print with bpf_trace_printk: the program's name and the
/// formatted line (without a trailing newline).
using TraceSink = std::function<void(std::string_view program, std::string_view line)>;

}  // namespace bpfjit
