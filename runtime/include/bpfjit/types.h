/// @file
/// Small vocabulary types of the public API: engines, map types and map specs, log
/// levels. Shared by the runtime's layers, so that what the API reports is what they use.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
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
/// The kernel's map types, by the kernel's numbers (enum bpf_map_type). Every type loads;
/// those marked "not run" are created as maps that refuse every operation with an error
/// naming the map (a program's helper call on one fails its run, a host call returns the
/// error).
enum class MapType : uint32_t {
  kUnspec = 0,                ///< not a map type (BPF_MAP_TYPE_UNSPEC); never created
  kHash = 1,                  ///< hash table, preallocated
  kArray = 2,                 ///< array indexed by a u32 key; elements always exist
  kProgArray = 3,             ///< tail-call targets (bpf_tail_call)
  kPerfEventArray = 4,        ///< per-CPU event buffers for bpf_perf_event_output
  kPercpuHash = 5,            ///< hash table with one value slot per thread slot
  kPercpuArray = 6,           ///< array with one value slot per thread slot
  kStackTrace = 7,            ///< stack traces (not run)
  kCgroupArray = 8,           ///< cgroup fds (not run)
  kLruHash = 9,               ///< hash table that evicts the least recently used element when full
  kLruPercpuHash = 10,        ///< LRU hash with one value slot per thread slot
  kLpmTrie = 11,              ///< longest-prefix match on (prefixlen, data) keys
  kArrayOfMaps = 12,          ///< array of inner maps (MapSpec::inner)
  kHashOfMaps = 13,           ///< hash of inner maps (MapSpec::inner)
  kDevmap = 14,               ///< XDP redirect targets: ifindex by index
  kSockmap = 15,              ///< sockets (not run)
  kCpumap = 16,               ///< XDP redirect to CPUs: queue size by CPU
  kXskmap = 17,               ///< AF_XDP sockets: socket fd by index
  kSockhash = 18,             ///< sockets by key (not run)
  kCgroupStorage = 19,        ///< cgroup local storage (not run)
  kReuseportSockarray = 20,   ///< SO_REUSEPORT sockets (not run)
  kPercpuCgroupStorage = 21,  ///< per-CPU cgroup local storage (not run)
  kQueue = 22,                ///< FIFO of values (push/pop/peek), no keys
  kStack = 23,                ///< LIFO of values (push/pop/peek), no keys
  kSkStorage = 24,            ///< socket local storage (not run)
  kDevmapHash = 25,           ///< XDP redirect targets: ifindex by key
  kStructOps = 26,            ///< kernel struct_ops (not run)
  kRingbuf = 27,              ///< multi-producer ring buffer of variable-size records
  kInodeStorage = 28,         ///< inode local storage (not run)
  kTaskStorage = 29,          ///< task local storage (not run)
  kBloomFilter = 30,          ///< bloom filter (push adds, peek tests)
  kUserRingbuf = 31,          ///< ring buffer written by user space (not run)
  kCgrpStorage = 32,          ///< cgroup local storage, new style (not run)
};


/// "hash", "array", ... (the kernel's names), or nullptr for a number that is no kernel type.
const char* map_type_name(MapType type);

/// The shape of a map: what BTF map definitions (`SEC(".maps")`) declare.
struct MapSpec {
  MapType type = MapType::kArray;  ///< the map type
  std::string name;                ///< its name (the ELF symbol, or the host's choice)
  uint32_t key_size = 0;           ///< bytes of a key (0 for queue, stack and ringbuf)
  uint32_t value_size = 0;         ///< bytes of a value (0 for ringbuf)
  uint32_t max_entries = 0;        ///< capacity; for ringbuf, the data size in bytes (a
                                   ///< power of two, at least 4096)
  uint32_t flags = 0;              ///< BPF_F_* creation flags (each type accepts its own)
  uint64_t map_extra = 0;          ///< bloom_filter: the number of hash functions (1 to 15;
                                   ///< 0 means 5)
  /// array_of_maps and hash_of_maps: the template every inner map must match (type, key
  /// and value sizes, flags, and max_entries). Without one, no map can be put in.
  std::shared_ptr<const MapSpec> inner = nullptr;
  /// The byte offset of the value's struct bpf_spin_lock (from the value's BTF), or -1.
  /// As in the kernel, the host's updates leave that word as it is (zero in a new
  /// element) and its lookups read it as zero: only programs take and give back the lock.
  int32_t spin_lock_off = -1;
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
