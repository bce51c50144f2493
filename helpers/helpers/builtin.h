// Internal to helpers/: what the built-in helper groups share, and the functions that add
// each group to a HelperTable.
#pragma once

#include <cerrno>
#include <cstdint>

#include "helpers/helper_table.h"
#include "helpers/host_env.h"
#include "helpers/maps.h"
#include "runtime/isa/machine.h"

namespace bpfjit::builtin {

// Negative errno values as a helper's u64 return.
inline uint64_t err(int64_t e) { return static_cast<uint64_t>(e); }
inline uint64_t err_code(int code) { return static_cast<uint64_t>(-static_cast<int64_t>(code)); }

// True when the program may access [addr, addr + size) (write: writably). Size 0 touches
// nothing and is always allowed. Guards the cases RunContext::accessible() does not: a
// context without a stack (its test would then admit the first page of the address space)
// and sizes above the stack size (its unsigned arithmetic would wrap).
inline bool can_access(const RunContext* ctx, uint64_t addr, uint64_t size, bool write) {
  if (size == 0) return true;
  if (size > UINT32_MAX || addr + size < addr) return false;
  if (ctx->stack != nullptr && size <= kStackSize) {
    return ctx->accessible(addr, static_cast<uint32_t>(size), write);
  }
  for (uint32_t i = 0; i < ctx->region_count; ++i) {
    const MemRegion& r = ctx->regions[i];
    if (addr >= r.start && addr <= r.end && size <= r.end - addr && (r.writable || !write)) {
      return true;
    }
  }
  return false;
}

template <typename T = void>
T* ptr(uint64_t addr) {
  return reinterpret_cast<T*>(addr);
}

// The map whose handle is `handle` among the running program's maps, or nullptr.
// A map of a type the runtime does not implement stops the run with an error naming it
// (and gives nullptr).
inline BpfMap* arg_map(RunContext* ctx, uint64_t handle) {
  HostEnv* env = host_env(ctx);
  BpfMap* m = env != nullptr ? env->find_map(handle) : nullptr;
  if (m != nullptr && !m->runnable()) {
    env->set_fault_message(m->unsupported_error());
    ctx->fault();
    return nullptr;
  }
  return m;
}

// Reads a NUL-terminated string of at most `max` bytes (NUL included) from program memory.
// Returns its length without the NUL, or -1 when a byte before the NUL is not readable or
// there is no NUL within `max` bytes.
int64_t program_strlen(const RunContext* ctx, uint64_t addr, uint64_t max);

void add_map_helpers(HelperTable& t);
void add_ringbuf_helpers(HelperTable& t);
void add_string_helpers(HelperTable& t);
void add_misc_helpers(HelperTable& t);
void add_skb_helpers(HelperTable& t);
void add_xdp_helpers(HelperTable& t);
void add_net_helpers(HelperTable& t);

// bpf_redirect from an xdp program (bpf_xdp_redirect): XDP_ABORTED for any flag, else
// XDP_REDIRECT with the ifindex recorded in the run's HostEnv::redirect().
uint64_t xdp_redirect(uint64_t ifindex, uint64_t flags, RunContext* ctx);

// The prototype of kernel helper `id` (helpers/kernel_helpers.def) with `fn`, open to the
// program types that list it (general false).
HelperProto kernel_proto(uint32_t id, HelperFn fn, bool pkt_access = false);

// Registers a built-in; the built-ins are a fixed list, so a refusal is a bug.
void add_builtin(HelperTable& t, HelperProto proto);

}  // namespace bpfjit::builtin
