/// @file
/// The bpfjit C API: the runtime of bpfjit/runtime.h for C hosts and for bindings in other
/// languages. Pure C (C11 or later, also valid C++), no C++ type in sight.
///
/// @code
///   bpfjit_runtime* rt = NULL;
///   bpfjit_object* obj = NULL;
///   bpfjit_program* prog = NULL;
///   uint64_t r0 = 0;
///   if (bpfjit_runtime_create(&rt) != BPFJIT_OK ||
///       bpfjit_load_file(rt, "xdp_filter.o", NULL, &obj) != BPFJIT_OK ||
///       bpfjit_object_program(obj, "xdp_filter", &prog) != BPFJIT_OK ||
///       bpfjit_program_prepare(prog, NULL) != BPFJIT_OK ||
///       bpfjit_program_run(prog, packet, packet_len, NULL, &r0) != BPFJIT_OK) {
///     fprintf(stderr, "bpfjit: %s\n", bpfjit_last_error_message());
///   }
///   bpfjit_object_destroy(obj);
///   bpfjit_runtime_destroy(rt);
/// @endcode
///
/// Handles. bpfjit_runtime, bpfjit_object and the maps of bpfjit_runtime_create_map are
/// created and destroyed by the caller. Programs, and maps found through an object, belong
/// to their object and live until bpfjit_object_destroy. A runtime must outlive the
/// objects it loaded.
///
/// Errors. Every call that can fail returns a bpfjit_error (BPFJIT_OK, zero, on success)
/// and leaves its out-parameters untouched on failure. The calling thread's last error
/// (bpfjit_last_error_code, bpfjit_last_error_message, bpfjit_last_error_insn) describes
/// the most recent call of that thread that returned a bpfjit_error: the failure's facts,
/// or BPFJIT_OK and an empty message after a success. Passing NULL where a handle or an
/// out-parameter is required is BPFJIT_ERR_INVALID_ARGUMENT, never a crash; so is a NULL
/// buffer (key, value, data) with a non-zero size.
///
/// Threads. As in the C++ API: a prepared program may run on many threads at once while
/// the host uses maps; loading, registering and preparing must not overlap with runs of
/// the programs concerned.
///
/// Options structs are read only during the call; zero-initialised options
/// (`bpfjit_prepare_options o = {0};`) mean the defaults, except where a field says so.
/// Enum values outside the listed ones are refused with BPFJIT_ERR_INVALID_ARGUMENT (each
/// enum has a *_MAX_ENUM member so that any int is a valid value of its type, in C++ too).
#ifndef BPFJIT_BPFJIT_H_
#define BPFJIT_BPFJIT_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The runtime: helper table and program types (bpfjit::Runtime).
typedef struct bpfjit_runtime bpfjit_runtime;
/// A loaded object: programs, maps, global data (bpfjit::Object).
typedef struct bpfjit_object bpfjit_object;
/// One program of an object (bpfjit::Program).
typedef struct bpfjit_program bpfjit_program;
/// A map of an object, or one the host created (bpfjit::Map).
typedef struct bpfjit_map bpfjit_map;
/// The verifier's conclusions about one program (bpfjit::VerifyReport).
typedef struct bpfjit_verify_report bpfjit_verify_report;
/// The state of one run as a host helper receives it; opaque.
typedef struct bpfjit_run_context bpfjit_run_context;

/// Result codes: BPFJIT_OK, or bpfjit::ErrorCode plus one.
typedef enum bpfjit_error {
  BPFJIT_OK = 0,                    ///< success
  BPFJIT_ERR_INVALID_ARGUMENT = 1,  ///< the caller passed something unusable
  BPFJIT_ERR_DECODE = 2,            ///< the bytes are not a valid eBPF program
  BPFJIT_ERR_ASSEMBLE = 3,          ///< assembler text could not be assembled
  BPFJIT_ERR_LOAD = 4,              ///< an object file could not be loaded
  BPFJIT_ERR_VERIFY = 5,            ///< the verifier refused the program
  BPFJIT_ERR_JIT = 6,               ///< the JIT could not translate the program
  BPFJIT_ERR_RUNTIME = 7,           ///< the program stopped with a fault while running
  BPFJIT_ERR_NOT_FOUND = 8,         ///< no such program, map, key, section; empty queue
  BPFJIT_ERR_UNSUPPORTED = 9,       ///< valid, but not possible with this engine
  BPFJIT_ERR_IO = 10,               ///< a file could not be read
  BPFJIT_ERR_EXISTS = 11,           ///< a "no exist" map update found the key present
  BPFJIT_ERR_NO_SPACE = 12,         ///< a map is full, or an index is beyond its entries
  BPFJIT_ERROR_MAX_ENUM = 0x7fffffff,  ///< not a value: gives the type the range of int
} bpfjit_error;

/// The insn of an error that concerns no single instruction.
#define BPFJIT_NO_INSN UINT32_MAX

/// "ok", "invalid argument", "verifier error", ...; "unknown" for other numbers.
const char* bpfjit_error_name(bpfjit_error code);
/// The code of the calling thread's last call (BPFJIT_OK after a success).
bpfjit_error bpfjit_last_error_code(void);
/// The facts of the calling thread's last failure, "insn 7: ..." when it names an
/// instruction; "" after a success. Valid until the thread's next bpfjit call.
const char* bpfjit_last_error_message(void);
/// The instruction the calling thread's last failure names, or BPFJIT_NO_INSN.
uint32_t bpfjit_last_error_insn(void);

/// The library's version, "MAJOR.MINOR.PATCH".
const char* bpfjit_version(void);

// ---------------------------------------------------------------------------------------
// Logging

/// Severity of a log message (bpfjit::LogLevel).
typedef enum bpfjit_log_level {
  BPFJIT_LOG_TRACE = 0,     ///< verbose internals
  BPFJIT_LOG_DEBUG = 1,     ///< diagnostic detail
  BPFJIT_LOG_INFO = 2,      ///< notable events (bpf_trace_printk output by default)
  BPFJIT_LOG_WARNING = 3,   ///< something degraded (JIT fallback to the interpreter)
  BPFJIT_LOG_ERROR = 4,     ///< an operation failed
  BPFJIT_LOG_CRITICAL = 5,  ///< the runtime cannot work as built
  BPFJIT_LOG_OFF = 6,       ///< as a threshold: log nothing
  BPFJIT_LOG_MAX_ENUM = 0x7fffffff,  ///< not a value: gives the type the range of int
} bpfjit_log_level;

/// Receives one log message (NUL-terminated, no trailing newline), with the user pointer
/// given to bpfjit_set_log_sink.
typedef void (*bpfjit_log_fn)(void* user, bpfjit_log_level level, const char* message);

/// Sends the log messages of every runtime in the process at `level` and above to `fn`
/// (called from any thread, one call at a time). A NULL fn restores the default (stderr).
void bpfjit_set_log_sink(bpfjit_log_fn fn, void* user, bpfjit_log_level level);
/// Changes the threshold of the current log sink.
void bpfjit_set_log_level(bpfjit_log_level level);

// ---------------------------------------------------------------------------------------
// Runtime, host helpers and program types

/// Creates a runtime with the built-in helpers and the program types mem, xdp and
/// socket_filter.
bpfjit_error bpfjit_runtime_create(bpfjit_runtime** out);
/// Destroys a runtime (after every object it loaded). NULL is ignored.
void bpfjit_runtime_destroy(bpfjit_runtime* rt);
/// Caps the memory of the maps the runtime creates, together (Runtime::set_map_memory_limit;
/// default 4 GiB, 0: no limit). A map that would go over is refused and the last error names
/// it, its size, the limit and the bytes in use.
bpfjit_error bpfjit_runtime_set_map_memory_limit(bpfjit_runtime* rt, uint64_t bytes);
/// The bytes the runtime's live maps are charged (0 for NULL).
uint64_t bpfjit_runtime_map_memory_used(const bpfjit_runtime* rt);

/// A helper function: r1..r5, then the run's context for bpfjit_helper_memory and
/// friends; returns r0. JIT code calls it directly.
typedef uint64_t (*bpfjit_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                     uint64_t r5, bpfjit_run_context* ctx);

/// What an argument register must hold at a helper call (bpfjit::ArgKind).
typedef enum bpfjit_arg_kind {
  BPFJIT_ARG_NONE = 0,                 ///< not read
  BPFJIT_ARG_ANYTHING = 1,             ///< any initialised value
  BPFJIT_ARG_SCALAR = 2,               ///< any scalar
  BPFJIT_ARG_CONST_MAP_PTR = 3,        ///< a map reference
  BPFJIT_ARG_PTR_TO_MAP_KEY = 4,       ///< readable memory of the map's key size
  BPFJIT_ARG_PTR_TO_MAP_VALUE = 5,     ///< readable memory of the map's value size
  BPFJIT_ARG_PTR_TO_MEM = 6,           ///< readable memory; size in the next argument
  BPFJIT_ARG_PTR_TO_MEM_OR_NULL = 7,   ///< as PTR_TO_MEM, or 0
  BPFJIT_ARG_PTR_TO_UNINIT_MEM = 8,    ///< writable memory; size in the next argument
  BPFJIT_ARG_CONST_SIZE = 9,           ///< a scalar in [1, 1 << 29]: the previous size
  BPFJIT_ARG_CONST_SIZE_OR_ZERO = 10,  ///< as CONST_SIZE, zero allowed
  BPFJIT_ARG_PTR_TO_CTX = 11,          ///< the context pointer, unmodified
  BPFJIT_ARG_PTR_TO_FUNC = 12,         ///< a subprogram address (a callback)
  BPFJIT_ARG_PTR_TO_STACK = 13,        ///< a pointer into the stack
  BPFJIT_ARG_PTR_TO_STACK_OR_NULL = 14,     ///< as PTR_TO_STACK, or 0
  BPFJIT_ARG_PTR_TO_RINGBUF_MEM = 15,       ///< memory from bpf_ringbuf_reserve
  BPFJIT_ARG_PTR_TO_CONST_STR = 16,         ///< a NUL-terminated read-only string
  BPFJIT_ARG_CONST_ALLOC_SIZE = 17,         ///< a constant reservation size
  BPFJIT_ARG_PTR_TO_UNINIT_MAP_VALUE = 18,  ///< writable memory of the map's value size
  BPFJIT_ARG_MAX_ENUM = 0x7fffffff,  ///< not a value: gives the type the range of int
} bpfjit_arg_kind;

/// What a helper returns in r0 (bpfjit::RetKind).
typedef enum bpfjit_ret_kind {
  BPFJIT_RET_INTEGER = 0,                     ///< a scalar
  BPFJIT_RET_VOID = 1,                        ///< r0 undefined afterwards
  BPFJIT_RET_PTR_TO_MAP_VALUE_OR_NULL = 2,    ///< a value of the map in r1, or null
  BPFJIT_RET_PTR_TO_RINGBUF_MEM_OR_NULL = 3,  ///< reserved ring buffer memory, or null
  BPFJIT_RET_MAX_ENUM = 0x7fffffff,  ///< not a value: gives the type the range of int
} bpfjit_ret_kind;

/// A host helper and its prototype (bpfjit::HelperProto).
typedef struct bpfjit_helper_proto {
  uint32_t id;                 ///< the `call` immediate; hosts pick ids >= 1000, or a
                               ///< kernel id to replace a built-in helper
  const char* name;            ///< without "bpf_" (copied)
  bpfjit_helper_fn fn;         ///< the function
  bpfjit_ret_kind ret;         ///< what r0 holds afterwards
  bpfjit_arg_kind args[5];     ///< what r1..r5 must hold
  bool general;                ///< callable from every program type (else allow_helper)
} bpfjit_helper_proto;

/// Registers a host helper (a helper with the same id replaces it).
bpfjit_error bpfjit_runtime_register_helper(bpfjit_runtime* rt,
                                            const bpfjit_helper_proto* proto);
/// For a helper: a pointer to `size` bytes at program address `addr` when the running
/// program may access them (writable ones when `write`), else NULL.
uint8_t* bpfjit_helper_memory(bpfjit_run_context* ctx, uint64_t addr, uint64_t size,
                              bool write);
/// For a helper: the run's user pointer (bpfjit_run_options.user_data), or NULL.
void* bpfjit_helper_user_data(bpfjit_run_context* ctx);
/// For a helper: stops the run after the helper returns (the run fails with
/// BPFJIT_ERR_RUNTIME naming the call).
void bpfjit_helper_fail(bpfjit_run_context* ctx);

/// What a context field holds (bpfjit::CtxFieldKind).
typedef enum bpfjit_ctx_field_kind {
  BPFJIT_CTX_FIELD_SCALAR = 0,        ///< plain data
  BPFJIT_CTX_FIELD_PACKET_START = 1,  ///< a pointer to the packet's first byte
  BPFJIT_CTX_FIELD_PACKET_END = 2,    ///< a pointer one past the packet's last byte
  BPFJIT_CTX_FIELD_PACKET_META = 3,   ///< a pointer to the packet's metadata
  BPFJIT_CTX_FIELD_MAX_ENUM = 0x7fffffff,  ///< not a value: gives the type the range of int
} bpfjit_ctx_field_kind;

/// One field of a host program type's context (bpfjit::CtxField).
typedef struct bpfjit_ctx_field {
  const char* name;              ///< for messages (copied)
  uint32_t offset;               ///< byte offset in the context programs see
  uint32_t size;                 ///< bytes
  bool readable;                 ///< programs may load it
  bool writable;                 ///< programs may store to it
  bpfjit_ctx_field_kind kind;    ///< data or a packet pointer
  uint32_t shadow_offset;        ///< offset in the context passed to runs, when
                                 ///< shadow_size is not 0
  uint32_t shadow_size;          ///< size there; 0: same offset and size as above
} bpfjit_ctx_field;

/// What r1 holds at entry (bpfjit::CtxModel).
typedef enum bpfjit_ctx_model {
  BPFJIT_CTX_MEM_BUFFER = 0,  ///< r1 = a buffer, r2 = its length
  BPFJIT_CTX_STRUCT = 1,      ///< r1 = a context struct laid out by the fields
  BPFJIT_CTX_MAX_ENUM = 0x7fffffff,  ///< not a value: gives the type the range of int
} bpfjit_ctx_model;

/// A host program type (bpfjit::ProgramType). Everything is copied.
typedef struct bpfjit_program_type {
  const char* name;                ///< its name, as given in bpfjit_load_settings
  bpfjit_ctx_model model;          ///< buffer or struct (zero: buffer)
  uint32_t ctx_size;               ///< bytes of the context struct
  const bpfjit_ctx_field* fields;  ///< the accessible fields
  size_t field_count;              ///< how many
  bool narrow_loads;               ///< loads narrower than a scalar field are allowed
  const uint32_t* extra_helpers;   ///< helper ids beyond the general ones it may call
  size_t extra_helper_count;       ///< how many
  bool packet_loads;               ///< legacy LD ABS/IND allowed
  uint32_t shadow_size;            ///< bytes of the context runs pass (0: ctx_size)
} bpfjit_program_type;

/// Registers a host program type.
bpfjit_error bpfjit_runtime_register_program_type(bpfjit_runtime* rt,
                                                  const bpfjit_program_type* type);
/// Lets programs of type `type_name` call helper `id`.
bpfjit_error bpfjit_runtime_allow_helper(bpfjit_runtime* rt, const char* type_name,
                                         uint32_t id);
/// True when the runtime has a helper with id `id`.
bool bpfjit_runtime_has_helper(const bpfjit_runtime* rt, uint32_t id);

/// Receives one bpf_trace_printk line: the program's name and the line (NUL-terminated,
/// no trailing newline), with the user pointer given to bpfjit_runtime_set_trace_sink.
typedef void (*bpfjit_trace_fn)(void* user, const char* program, const char* line);

/// Sends bpf_trace_printk output of programs loaded afterwards to `fn` (NULL: the log,
/// at info level, the default). Called from the threads that run programs.
bpfjit_error bpfjit_runtime_set_trace_sink(bpfjit_runtime* rt, bpfjit_trace_fn fn,
                                           void* user);

// ---------------------------------------------------------------------------------------
// The host environment (bpfjit::HostEnvironment, bpfjit/host.h): what the clock, random
// and network helpers of this runtime's programs see. Safe to call during runs.

/// Fixes the clock at `ns` (bpf_ktime_get_ns, _coarse_ns; jiffies64 at 250 Hz from it).
bpfjit_error bpfjit_runtime_set_time_ns(bpfjit_runtime* rt, uint64_t ns);
/// Moves the fixed clock forward by `ns`.
bpfjit_error bpfjit_runtime_advance_time_ns(bpfjit_runtime* rt, uint64_t ns);
/// bpf_ktime_get_boot_ns = the fixed time + `ns`.
bpfjit_error bpfjit_runtime_set_boot_offset_ns(bpfjit_runtime* rt, uint64_t ns);
/// Back to the host's clocks.
bpfjit_error bpfjit_runtime_use_real_clock(bpfjit_runtime* rt);
/// bpf_get_prandom_u32 becomes a sequence determined by `seed`, over all runs.
bpfjit_error bpfjit_runtime_set_prandom_seed(bpfjit_runtime* rt, uint64_t seed);

/// A device of the host network (bpfjit::NetDevice).
typedef struct bpfjit_net_device {
  uint32_t ifindex;
  uint32_t mtu;
  uint8_t mac[6];
  bool forwarding;
  uint8_t ipv4[4];   ///< network byte order; zeros: none
  uint8_t ipv6[16];  ///< zeros: none
} bpfjit_net_device;

/// A route of the host network (bpfjit::Route); type as bpfjit::RouteType (0 unicast,
/// 1 local, 2 blackhole, 3 unreachable, 4 prohibit); table 0 means main (254).
typedef struct bpfjit_route {
  bool ipv6;
  uint8_t prefix[16];
  uint8_t prefix_len;
  uint8_t type;
  uint32_t ifindex;
  bool has_gateway;
  uint8_t gateway[16];
  uint32_t mtu;
  uint32_t metric;
  uint32_t table;
  uint8_t prefsrc[16];
} bpfjit_route;

/// A neighbour of the host network (bpfjit::Neighbour).
typedef struct bpfjit_neighbour {
  uint32_t ifindex;
  bool ipv6;
  uint8_t addr[16];
  uint8_t mac[6];
} bpfjit_neighbour;

/// Replaces the network bpf_fib_lookup and bpf_check_mtu answer from (NULL with a count
/// of 0 for none of a kind; no devices at all means not even loopback).
bpfjit_error bpfjit_runtime_set_network(bpfjit_runtime* rt, const bpfjit_net_device* devices,
                                        size_t device_count, const bpfjit_route* routes,
                                        size_t route_count, const bpfjit_neighbour* neighbours,
                                        size_t neighbour_count);

// ---------------------------------------------------------------------------------------
// Loading

/// Options of bpfjit_load_file and bpfjit_load_bytes (bpfjit::LoadSettings).
typedef struct bpfjit_load_settings {
  const char* program_type;          ///< give every program this type (NULL: by section)
  bpfjit_map* const* reuse_maps;     ///< maps to use instead of creating them, by name
  size_t reuse_map_count;            ///< how many
  const char* target_btf;            ///< CO-RE: the target BTF file (NULL: none)
  const char* kconfig_file;          ///< .kconfig extern values: a kernel config file (NULL: none)
} bpfjit_load_settings;

/// Loads an ELF object from a file; `settings` may be NULL.
bpfjit_error bpfjit_load_file(bpfjit_runtime* rt, const char* path,
                              const bpfjit_load_settings* settings, bpfjit_object** out);
/// Loads an ELF object from its bytes (copied).
bpfjit_error bpfjit_load_bytes(bpfjit_runtime* rt, const void* bytes, size_t size,
                               const bpfjit_load_settings* settings, bpfjit_object** out);
/// Destroys an object, its programs and the maps found through it. NULL is ignored.
void bpfjit_object_destroy(bpfjit_object* obj);

// ---------------------------------------------------------------------------------------
// Objects

/// Number of programs.
size_t bpfjit_object_program_count(const bpfjit_object* obj);
/// Program `index` (section and symbol order), or NULL past the end.
bpfjit_program* bpfjit_object_program_at(const bpfjit_object* obj, size_t index);
/// The program whose function name, else section name, is `name`.
bpfjit_error bpfjit_object_program(const bpfjit_object* obj, const char* name,
                                   bpfjit_program** out);
/// Number of maps.
size_t bpfjit_object_map_count(const bpfjit_object* obj);
/// Map `index` (definition order), or NULL past the end.
bpfjit_map* bpfjit_object_map_at(const bpfjit_object* obj, size_t index);
/// The map called `name`.
bpfjit_error bpfjit_object_map(const bpfjit_object* obj, const char* name, bpfjit_map** out);
/// The live bytes of the global variable `name` (an ELF symbol in .data, .rodata, .bss,
/// ...): set .rodata before preparing, read counters after runs.
bpfjit_error bpfjit_object_variable(const bpfjit_object* obj, const char* name, void** data,
                                    size_t* size);
/// The live bytes of the global data section `name` (".data", ".bss", ...); `readonly`
/// may be NULL.
bpfjit_error bpfjit_object_global_data(const bpfjit_object* obj, const char* name,
                                       void** data, size_t* size, bool* readonly);
/// Puts `target` (of this object) at `index` of the prog_array map `map_name`.
bpfjit_error bpfjit_object_set_tail_call(bpfjit_object* obj, const char* map_name,
                                         uint32_t index, const bpfjit_program* target);
/// True when the object carried BTF.
bool bpfjit_object_has_btf(const bpfjit_object* obj);

// ---------------------------------------------------------------------------------------
// Programs: verify, prepare, run

/// Which engine runs a program (bpfjit::EngineKind).
typedef enum bpfjit_engine {
  BPFJIT_ENGINE_AUTO = 0,         ///< the JIT, else the interpreter
  BPFJIT_ENGINE_INTERPRETER = 1,  ///< always the interpreter
  BPFJIT_ENGINE_JIT = 2,          ///< the JIT, or an error
  BPFJIT_ENGINE_MAX_ENUM = 0x7fffffff,  ///< not a value: gives the type the range of int
} bpfjit_engine;

/// How a prepared program is made safe (bpfjit::Safety).
typedef enum bpfjit_safety {
  BPFJIT_SAFETY_VERIFIED = 0,  ///< the verifier must prove it; no runtime checks
  BPFJIT_SAFETY_CHECKED = 1,   ///< no verifier; every memory access checked at run time
  BPFJIT_SAFETY_MAX_ENUM = 0x7fffffff,  ///< not a value: gives the type the range of int
} bpfjit_safety;

/// Options of prepare and verify (bpfjit::PrepareOptions); NULL or zero: the defaults.
typedef struct bpfjit_prepare_options {
  bpfjit_engine engine;       ///< the engine
  bpfjit_safety safety;       ///< verified (default) or checked
  bool has_mem_size;          ///< mem programs: mem_size is given
  uint64_t mem_size;          ///< the exact size of the buffers runs will pass
  bool verifier_log;          ///< keep the verifier's per-instruction log in the report
  uint64_t complexity_limit;  ///< instructions the verifier may process (0: 1000000)
  bool harden;                ///< JIT: constant blinding (PrepareOptions::harden)
  /// Verifier wall time in milliseconds (0: 60000; UINT64_MAX: no limit).
  uint64_t verifier_time_limit_ms;
  /// Verifier state memory in bytes (0: 1 GiB; UINT64_MAX: no limit).
  uint64_t verifier_memory_limit;
} bpfjit_prepare_options;

/// The program's function name.
const char* bpfjit_program_name(const bpfjit_program* prog);
/// The ELF section it came from.
const char* bpfjit_program_section(const bpfjit_program* prog);
/// The name of its program type ("mem", "xdp", ...).
const char* bpfjit_program_type_name(const bpfjit_program* prog);
/// Its size in instruction slots.
size_t bpfjit_program_insn_count(const bpfjit_program* prog);

/// Runs the verifier on the program (`opts` may be NULL; engine is ignored) and gives its
/// report in *out (destroy it with bpfjit_verify_report_destroy). A refusal is not an
/// error of this call: read bpfjit_verify_report_accepted.
bpfjit_error bpfjit_program_verify(const bpfjit_program* prog,
                                   const bpfjit_prepare_options* opts,
                                   bpfjit_verify_report** out);
/// True when the verifier proved the program safe.
bool bpfjit_verify_report_accepted(const bpfjit_verify_report* report);
/// Number of rejections found (0 when accepted).
size_t bpfjit_verify_report_error_count(const bpfjit_verify_report* report);
/// The message of rejection `index` (without the instruction), or NULL past the end.
const char* bpfjit_verify_report_error_message(const bpfjit_verify_report* report,
                                               size_t index);
/// The instruction of rejection `index`, or BPFJIT_NO_INSN.
uint32_t bpfjit_verify_report_error_insn(const bpfjit_verify_report* report, size_t index);
/// The per-instruction register log, when asked for ("" otherwise).
const char* bpfjit_verify_report_log(const bpfjit_verify_report* report);
/// Instructions the verifier walked.
uint64_t bpfjit_verify_report_insns_processed(const bpfjit_verify_report* report);
/// Bytes of stack of the deepest call chain.
uint32_t bpfjit_verify_report_stack_depth(const bpfjit_verify_report* report);
/// The verifier's peak state memory in bytes (an estimate).
uint64_t bpfjit_verify_report_peak_memory(const bpfjit_verify_report* report);
/// Destroys a report. NULL is ignored.
void bpfjit_verify_report_destroy(bpfjit_verify_report* report);

/// Makes the program ready to run (`opts` may be NULL): verifies it unless safety is
/// checked, then translates it. A refusal is BPFJIT_ERR_VERIFY and the last error names
/// the instruction; bpfjit_program_prepare_report gives the whole report.
bpfjit_error bpfjit_program_prepare(bpfjit_program* prog, const bpfjit_prepare_options* opts);
/// A copy of the report of the verification the last prepare ran; BPFJIT_ERR_NOT_FOUND
/// when it ran none.
bpfjit_error bpfjit_program_prepare_report(const bpfjit_program* prog,
                                           bpfjit_verify_report** out);
/// Prepares every program of the object; stops at the first error.
bpfjit_error bpfjit_object_prepare_all(bpfjit_object* obj, const bpfjit_prepare_options* opts);
/// True once prepare succeeded.
bool bpfjit_program_prepared(const bpfjit_program* prog);
/// "interpreter", "jit (trusted)", "jit (checked)" or "unprepared".
const char* bpfjit_program_engine_name(const bpfjit_program* prog);
/// How the prepared program is made safe.
bpfjit_safety bpfjit_program_safety(const bpfjit_program* prog);

/// Inputs of one run besides the data (bpfjit::RunOptions); NULL or zero: the defaults.
typedef struct bpfjit_run_options {
  uint64_t budget;     ///< instructions (interpreter) or back-edges and calls (JIT); 0: no limit
  void* user_data;     ///< for host helpers (bpfjit_helper_user_data)
  uint32_t ifindex;    ///< xdp ingress_ifindex, socket_filter ifindex (0: 1)
  uint32_t rx_queue;   ///< xdp rx_queue_index
  uint32_t protocol;   ///< socket_filter protocol (network byte order)
  uint32_t mark;       ///< socket_filter mark
  bool has_cpu;        ///< the run is on CPU `cpu` (bpfjit::RunOptions::cpu)
  uint32_t cpu;        ///< get_smp_processor_id and the per-CPU slot (below 128)
} bpfjit_run_options;

/// What a TestRunResult's redirect names (bpfjit::Redirect::Kind).
typedef enum bpfjit_redirect_kind {
  BPFJIT_REDIRECT_NONE = 0,     ///< no redirect asked for
  BPFJIT_REDIRECT_IFINDEX = 1,  ///< a device (bpf_redirect, devmap, devmap_hash)
  BPFJIT_REDIRECT_CPU = 2,      ///< a CPU (cpumap)
  BPFJIT_REDIRECT_XSK = 3,      ///< an AF_XDP socket's queue (xskmap)
  BPFJIT_REDIRECT_KIND_MAX_ENUM = 0x7fffffff,
} bpfjit_redirect_kind;

/// Runs a prepared program on `data` (mem: the buffer; xdp, socket_filter: the packet;
/// host types: the context struct) and stores r0 in *r0. A run that stops early is
/// BPFJIT_ERR_RUNTIME naming the instruction. Safe from many threads at once.
bpfjit_error bpfjit_program_run(const bpfjit_program* prog, void* data, size_t size,
                                const bpfjit_run_options* opts, uint64_t* r0);

/// One test run, as the kernel's BPF_PROG_TEST_RUN (bpfjit::TestRunInput and
/// TestRunResult): the caller fills the inputs and the capacities of the output buffers;
/// the call fills the outputs.
typedef struct bpfjit_test_run {
  const void* data_in;       ///< the packet (xdp) or the buffer the type's run takes
  size_t data_size_in;
  const void* ctx_in;        ///< the kernel's context struct (struct xdp_md), or NULL
  size_t ctx_size_in;
  uint32_t repeat;           ///< runs, each on what the previous left (0: 1)
  const bpfjit_run_options* opts;  ///< budget and user data of each run, or NULL
  void* data_out;            ///< receives the packet as the program left it, or NULL
  size_t data_size_out;      ///< in: data_out's capacity; out: the packet's full size
  void* ctx_out;             ///< receives the context struct back, or NULL
  size_t ctx_size_out;       ///< in: ctx_out's capacity; out: the context's full size
  uint32_t retval;           ///< out: r0 of the last run, 32 bits as the kernel gives it
  uint64_t r0;               ///< out: r0 of the last run, whole
  uint64_t duration_ns;      ///< out: the mean time of one run
  /// out: the redirect the last run asked for (bpfjit::TestRunResult::redirect).
  bpfjit_redirect_kind redirect_kind;
  uint32_t redirect_target;  ///< out: the ifindex, CPU or queue
  uint32_t redirect_key;     ///< out: redirect_map's key (bpf_redirect: the ifindex)
  uint64_t redirect_flags;   ///< out: the call's flags
  const char* redirect_map;  ///< out: redirect_map's map (lives with its object), or NULL
} bpfjit_test_run;

/// Runs a prepared program as the kernel's BPF_PROG_TEST_RUN does (see
/// bpfjit::Program::test_run): xdp programs in a frame with the kernel's headroom and
/// tailroom, metadata from ctx_in, and data_out from data_meta. When data_out or ctx_out
/// is too small, as much as fits is copied, the sizes say how much there was and the
/// result is BPFJIT_ERR_NO_SPACE (the kernel's ENOSPC); the other outputs are set.
bpfjit_error bpfjit_program_test_run(const bpfjit_program* prog, bpfjit_test_run* run);

/// Counters of a program since it was prepared.
typedef struct bpfjit_program_stats {
  uint64_t runs;    ///< runs started
  uint64_t errors;  ///< runs that ended with an error
  uint64_t run_ns;  ///< wall time spent in runs, in nanoseconds
} bpfjit_program_stats;

/// Fills *out with the program's counters.
bpfjit_error bpfjit_program_get_stats(const bpfjit_program* prog, bpfjit_program_stats* out);

// ---------------------------------------------------------------------------------------
// Maps

/// Map types, numbered as the kernel's BPF_MAP_TYPE_* (bpfjit::MapType). The types marked
/// "not run" load and are created, but refuse every operation (BPFJIT_ERR_UNSUPPORTED on
/// host calls; a program's helper call on one fails its run).
typedef enum bpfjit_map_type {
  BPFJIT_MAP_HASH = 1,           ///< hash table
  BPFJIT_MAP_ARRAY = 2,          ///< array indexed by a u32 key
  BPFJIT_MAP_PROG_ARRAY = 3,     ///< tail-call targets
  BPFJIT_MAP_PERF_EVENT_ARRAY = 4,        ///< runs
  BPFJIT_MAP_PERCPU_HASH = 5,    ///< hash table, one value slot per thread slot
  BPFJIT_MAP_PERCPU_ARRAY = 6,   ///< array, one value slot per thread slot
  BPFJIT_MAP_STACK_TRACE = 7,             ///< not run
  BPFJIT_MAP_CGROUP_ARRAY = 8,            ///< not run
  BPFJIT_MAP_LRU_HASH = 9,       ///< hash table evicting the least recently used
  BPFJIT_MAP_LRU_PERCPU_HASH = 10,        ///< runs
  BPFJIT_MAP_LPM_TRIE = 11,               ///< runs
  BPFJIT_MAP_ARRAY_OF_MAPS = 12,          ///< runs
  BPFJIT_MAP_HASH_OF_MAPS = 13,           ///< runs
  BPFJIT_MAP_DEVMAP = 14,                 ///< runs
  BPFJIT_MAP_SOCKMAP = 15,                ///< not run
  BPFJIT_MAP_CPUMAP = 16,                 ///< runs
  BPFJIT_MAP_XSKMAP = 17,                 ///< runs
  BPFJIT_MAP_SOCKHASH = 18,               ///< not run
  BPFJIT_MAP_CGROUP_STORAGE = 19,         ///< not run
  BPFJIT_MAP_REUSEPORT_SOCKARRAY = 20,    ///< not run
  BPFJIT_MAP_PERCPU_CGROUP_STORAGE = 21,  ///< not run
  BPFJIT_MAP_QUEUE = 22,         ///< FIFO of values
  BPFJIT_MAP_STACK = 23,         ///< LIFO of values
  BPFJIT_MAP_SK_STORAGE = 24,             ///< not run
  BPFJIT_MAP_DEVMAP_HASH = 25,            ///< runs
  BPFJIT_MAP_STRUCT_OPS = 26,             ///< not run
  BPFJIT_MAP_RINGBUF = 27,       ///< ring buffer of variable-size records
  BPFJIT_MAP_INODE_STORAGE = 28,          ///< not run
  BPFJIT_MAP_TASK_STORAGE = 29,           ///< not run
  BPFJIT_MAP_BLOOM_FILTER = 30,           ///< runs
  BPFJIT_MAP_USER_RINGBUF = 31,           ///< not run
  BPFJIT_MAP_CGRP_STORAGE = 32,           ///< not run
  BPFJIT_MAP_MAX_ENUM = 0x7fffffff,  ///< not a value: gives the type the range of int
} bpfjit_map_type;

/// Update flags (the kernel's BPF_ANY, BPF_NOEXIST, BPF_EXIST).
#define BPFJIT_ANY 0
/// Create only.
#define BPFJIT_NOEXIST 1
/// Replace only.
#define BPFJIT_EXIST 2

/// The shape of a map (bpfjit::MapSpec).
typedef struct bpfjit_map_spec {
  bpfjit_map_type type;  ///< the map type
  const char* name;      ///< its name (copied)
  uint32_t key_size;     ///< bytes of a key (0 for queue, stack, ringbuf)
  uint32_t value_size;   ///< bytes of a value (0 for ringbuf)
  uint32_t max_entries;  ///< capacity; ringbuf: data bytes (a power of two >= 4096)
  uint32_t flags;        ///< BPF_F_* creation flags
  uint64_t map_extra;    ///< bloom_filter: the number of hash functions (0 means 5)
  /// array_of_maps and hash_of_maps: the template inner maps must match (NULL: none)
  const struct bpfjit_map_spec* inner;
} bpfjit_map_spec;

/// Creates a map for the host, to share with objects through reuse_maps. Destroy it with
/// bpfjit_map_destroy; objects that use it keep it alive as long as they need it.
bpfjit_error bpfjit_runtime_create_map(bpfjit_runtime* rt, const bpfjit_map_spec* spec,
                                       bpfjit_map** out);
/// Gives up a map of bpfjit_runtime_create_map. Maps of objects are ignored (their
/// object owns them). NULL is ignored.
void bpfjit_map_destroy(bpfjit_map* map);

/// Its name.
const char* bpfjit_map_name(const bpfjit_map* map);
/// Its type.
bpfjit_map_type bpfjit_map_get_type(const bpfjit_map* map);
/// Bytes of a key.
uint32_t bpfjit_map_key_size(const bpfjit_map* map);
/// Bytes of one value.
uint32_t bpfjit_map_value_size(const bpfjit_map* map);
/// Capacity.
uint32_t bpfjit_map_max_entries(const bpfjit_map* map);
/// Bytes of a host value buffer: value_size, or slots * round_up(value_size, 8) for
/// per-CPU maps.
uint32_t bpfjit_map_value_bytes(const bpfjit_map* map);

/// Copies the value of `key` into `value` (value_bytes bytes).
bpfjit_error bpfjit_map_lookup(const bpfjit_map* map, const void* key, size_t key_size,
                               void* value, size_t value_size);
/// Creates or replaces the value of `key` (flags BPFJIT_ANY, _NOEXIST, _EXIST).
bpfjit_error bpfjit_map_update(bpfjit_map* map, const void* key, size_t key_size,
                               const void* value, size_t value_size, uint64_t flags);
/// Deletes `key`.
bpfjit_error bpfjit_map_delete(bpfjit_map* map, const void* key, size_t key_size);
/// Writes the key after `key` (the first key when `key` is NULL) to `next_key`;
/// BPFJIT_ERR_NOT_FOUND when there is none.
bpfjit_error bpfjit_map_next_key(const bpfjit_map* map, const void* key, size_t key_size,
                                 void* next_key, size_t next_key_size);
/// Queue and stack: adds a value.
bpfjit_error bpfjit_map_push(bpfjit_map* map, const void* value, size_t size, uint64_t flags);
/// Queue and stack: removes the next value into `value`; BPFJIT_ERR_NOT_FOUND when empty.
bpfjit_error bpfjit_map_pop(bpfjit_map* map, void* value, size_t size);
/// Queue and stack: copies the next value without removing it.
bpfjit_error bpfjit_map_peek(const bpfjit_map* map, void* value, size_t size);

/// Receives one ring buffer record; returns false to stop after it.
typedef bool (*bpfjit_record_fn)(void* user, const void* record, size_t size);

/// Ring buffers: calls fn on each committed record, oldest first, until it returns false;
/// stores the number consumed in *consumed (may be NULL).
bpfjit_error bpfjit_map_consume(bpfjit_map* map, bpfjit_record_fn fn, void* user,
                                size_t* consumed);
/// Ring buffers: as consume, after waiting up to `timeout_ms` (negative: no limit) for a
/// record.
bpfjit_error bpfjit_map_poll(bpfjit_map* map, int timeout_ms, bpfjit_record_fn fn, void* user,
                             size_t* consumed);
/// Ring buffers: bytes committed and not yet consumed.
uint64_t bpfjit_map_pending_bytes(const bpfjit_map* map);

/// The map's id: the 4-byte value that puts it in an array_of_maps or hash_of_maps slot
/// with bpfjit_map_update, and what bpfjit_map_lookup of such a slot gives back.
uint32_t bpfjit_map_id(const bpfjit_map* map);
/// array_of_maps and hash_of_maps: puts `inner` at `key` (it must match the inner template).
bpfjit_error bpfjit_map_set_inner(bpfjit_map* map, const void* key, size_t key_size,
                                  const bpfjit_map* inner, uint64_t flags);

/// perf_event_array: opens a buffer of `bytes_per_cpu` (a power of two >= 4096) per CPU.
bpfjit_error bpfjit_map_perf_open(bpfjit_map* map, uint32_t bytes_per_cpu);
/// Receives one perf_event_array record (data padded to round_up(size + 4, 8) - 4 bytes);
/// returns false to stop after it.
typedef bool (*bpfjit_perf_record_fn)(void* user, uint32_t cpu, const void* record,
                                      size_t size);
/// Receives the number of records a CPU's full buffer dropped.
typedef void (*bpfjit_perf_lost_fn)(void* user, uint32_t cpu, uint64_t count);
/// perf_event_array: waits up to `timeout_ms` (0: not at all; negative: no limit) for a
/// record, then calls fn on each record CPU by CPU and `lost` (may be NULL) for dropped
/// ones; stores the number consumed in *consumed (may be NULL).
bpfjit_error bpfjit_map_perf_poll(bpfjit_map* map, int timeout_ms, bpfjit_perf_record_fn fn,
                                  bpfjit_perf_lost_fn lost, void* user, size_t* consumed);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // BPFJIT_BPFJIT_H_
