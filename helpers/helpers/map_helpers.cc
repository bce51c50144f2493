// BpfMap helpers: lookup, update, delete, push/pop/peek, for_each_map_elem, and tail_call
// (which reads a prog_array).
#include <cstring>

#include "helpers/helpers/builtin.h"
#include "helpers/map_types.h"
#include "helpers/program_types.h"
#include "helpers/skb_run.h"

namespace bpfjit::builtin {
namespace {

uint64_t map_lookup_elem(uint64_t map, uint64_t key, uint64_t, uint64_t, uint64_t,
                         RunContext* ctx) {
  BpfMap* m = arg_map(ctx, map);
  if (m == nullptr || !can_access(ctx, key, m->key_size(), false)) return 0;
  if (map_type_info(m->type())->lookup == MapLookup::kInnerMapOrNull) {
    // The inner map, kept alive and usable by the map helpers for the rest of the run.
    std::shared_ptr<BpfMap> inner = static_cast<MapOfMaps*>(m)->inner(ptr(key));
    HostEnv* env = host_env(ctx);
    if (inner == nullptr || env == nullptr) return 0;
    BpfMap* raw = inner.get();
    return env->pin_map(ctx, std::move(inner)) ? reinterpret_cast<uint64_t>(raw) : 0;
  }
  return reinterpret_cast<uint64_t>(m->lookup(ptr(key)));
}

uint64_t map_update_elem(uint64_t map, uint64_t key, uint64_t value, uint64_t flags, uint64_t,
                         RunContext* ctx) {
  BpfMap* m = arg_map(ctx, map);
  if (m == nullptr) return err_code(EINVAL);
  if (!can_access(ctx, key, m->key_size(), false) ||
      !can_access(ctx, value, m->value_size(), false)) {
    return err_code(EFAULT);
  }
  return err(m->update(ptr(key), ptr(value), flags));
}

uint64_t map_delete_elem(uint64_t map, uint64_t key, uint64_t, uint64_t, uint64_t,
                         RunContext* ctx) {
  BpfMap* m = arg_map(ctx, map);
  if (m == nullptr) return err_code(EINVAL);
  if (!can_access(ctx, key, m->key_size(), false)) return err_code(EFAULT);
  return err(m->erase(ptr(key)));
}

uint64_t map_push_elem(uint64_t map, uint64_t value, uint64_t flags, uint64_t, uint64_t,
                       RunContext* ctx) {
  BpfMap* m = arg_map(ctx, map);
  if (m == nullptr) return err_code(EINVAL);
  if (!can_access(ctx, value, m->value_size(), false)) return err_code(EFAULT);
  return err(m->push(ptr(value), flags));
}

uint64_t map_pop_elem(uint64_t map, uint64_t value, uint64_t, uint64_t, uint64_t,
                      RunContext* ctx) {
  BpfMap* m = arg_map(ctx, map);
  if (m == nullptr) return err_code(EINVAL);
  if (!can_access(ctx, value, m->value_size(), true)) return err_code(EFAULT);
  return err(m->pop(ptr(value)));
}

uint64_t map_peek_elem(uint64_t map, uint64_t value, uint64_t, uint64_t, uint64_t,
                       RunContext* ctx) {
  BpfMap* m = arg_map(ctx, map);
  if (m == nullptr) return err_code(EINVAL);
  if (!can_access(ctx, value, m->value_size(), true)) return err_code(EFAULT);
  return err(m->peek(ptr(value)));
}

// callback(map, key, value, cb_ctx): 0 continues, anything else stops. Returns the number
// of elements visited. `callback` is a subprogram slot index (the loader relocates it).
uint64_t for_each_map_elem(uint64_t map, uint64_t callback, uint64_t cb_ctx, uint64_t flags,
                           uint64_t, RunContext* ctx) {
  BpfMap* m = arg_map(ctx, map);
  if (m == nullptr || flags != 0 || ctx->invoke == nullptr || callback > UINT32_MAX) {
    return err_code(EINVAL);
  }
  auto pc = static_cast<uint32_t>(callback);
  return err(m->for_each_elem([&](const void* key, void* value) {
    uint64_t r = ctx->invoke(ctx, pc, map, reinterpret_cast<uint64_t>(key),
                             reinterpret_cast<uint64_t>(value), cb_ctx, 0);
    return r == 0 && ctx->trap.kind == TrapKind::kNone;
  }));
}

// On success the engine continues in the target (the JIT, through RunContext::tail_resolve)
// or ends the run and the runtime starts the target. On failure (no
// such slot, an empty slot, or kMaxTailCalls already taken in this run) the program goes
// on after the call.
uint64_t tail_call(uint64_t, uint64_t map, uint64_t index, uint64_t, uint64_t,
                   RunContext* ctx) {
  BpfMap* m = arg_map(ctx, map);
  if (m == nullptr || m->type() != MapType::kProgArray) return err_code(EINVAL);
  auto* progs = static_cast<ProgArrayMap*>(m);
  if (index >= progs->max_entries()) return err_code(E2BIG);
  const void* target = progs->get(static_cast<uint32_t>(index));
  if (target == nullptr) return err_code(ENOENT);
  HostEnv* env = host_env(ctx);
  if (env != nullptr && !env->take_tail_call()) return err_code(EBUSY);
  ctx->tail_call_target = target;
  return 0;
}

// The first `len` bytes of the packet of the context `arg` (an xdp_md, or the __sk_buff of
// an skb run, from data), as BPF_F_CTXLEN_MASK appends them to a perf sample: -EFAULT when
// the packet is shorter, -EINVAL when the run has no packet there.
int64_t packet_head(RunContext* ctx, uint64_t arg, uint64_t len, std::span<const uint8_t>* out) {
  HostEnv* env = host_env(ctx);
  if (env == nullptr) return -EINVAL;
  if (const XdpCtx* x = env->packet_ctx<XdpCtx>(PacketCtxKind::kXdp, arg)) {
    if (len > x->data_end - x->data) return -EFAULT;
    *out = {ptr<const uint8_t>(x->data), len};
    return 0;
  }
  if (SkbRun* s = env->skb()) {
    if (len > s->len) return -EFAULT;
    *out = {s->data(), len};
    return 0;
  }
  return -EINVAL;
}

// bpf_perf_event_output(ctx, map, flags, data, size): flags is the buffer index, or
// BPF_F_CURRENT_CPU for the calling thread's slot; its upper 32 bits (BPF_F_CTXLEN_MASK)
// the number of packet bytes to append after `data` (xdp and skb programs).
uint64_t perf_event_output(uint64_t pctx, uint64_t map, uint64_t flags, uint64_t data,
                           uint64_t size, RunContext* ctx) {
  constexpr uint64_t kCtxLenMask = 0xfffffULL << 32;  // BPF_F_CTXLEN_MASK
  BpfMap* m = arg_map(ctx, map);
  if (m == nullptr || m->type() != MapType::kPerfEventArray) return err_code(EINVAL);
  if ((flags & ~(kCtxLenMask | PerfEventArrayMap::kIndexMask)) != 0) return err_code(EINVAL);
  std::span<const uint8_t> tail;
  if (const uint64_t len = (flags & kCtxLenMask) >> 32; len != 0) {
    if (int64_t r = packet_head(ctx, pctx, len, &tail); r != 0) return err(r);
  }
  if (!can_access(ctx, data, size, false)) return err_code(EFAULT);
  return err(static_cast<PerfEventArrayMap*>(m)->output(flags & PerfEventArrayMap::kIndexMask,
                                                        ptr(data), size, tail));
}

// bpf_spin_lock(lock) and bpf_spin_unlock(lock): the verifier proves for verified programs
// that `lock` is the bpf_spin_lock of a map value, taken once and given back before exit;
// an unverified (checked) program that breaks the rules stops with a fault instead of
// dead-locking.
uint64_t spin_lock(uint64_t lock, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  HostEnv* env = host_env(ctx);
  if (env == nullptr || lock % 4 != 0 || !can_access(ctx, lock, 4, true)) {
    ctx->fault();
    return 0;
  }
  if (!env->take_lock(ptr<uint32_t>(lock))) {
    env->set_fault_message("bpf_spin_lock while the run already holds a lock");
    ctx->fault();
  }
  return 0;
}

uint64_t spin_unlock(uint64_t lock, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  HostEnv* env = host_env(ctx);
  if (env == nullptr || !env->give_lock(ptr<uint32_t>(lock))) {
    if (env != nullptr) env->set_fault_message("bpf_spin_unlock of a lock the run does not hold");
    ctx->fault();
  }
  return 0;
}

}  // namespace

void add_map_helpers(HelperTable& t) {
  using A = ArgKind;
  add_builtin(t, {helper_id::kMapLookupElem, "map_lookup_elem", map_lookup_elem,
                  RetKind::kPtrToMapValueOrNull, {A::kConstMapPtr, A::kPtrToMapKey}});
  add_builtin(t, {helper_id::kMapUpdateElem, "map_update_elem", map_update_elem,
                  RetKind::kInteger,
                  {A::kConstMapPtr, A::kPtrToMapKey, A::kPtrToMapValue, A::kScalar}});
  add_builtin(t, {helper_id::kMapDeleteElem, "map_delete_elem", map_delete_elem,
                  RetKind::kInteger, {A::kConstMapPtr, A::kPtrToMapKey}});
  add_builtin(t, {helper_id::kMapPushElem, "map_push_elem", map_push_elem, RetKind::kInteger,
                  {A::kConstMapPtr, A::kPtrToMapValue, A::kScalar}});
  add_builtin(t, {helper_id::kMapPopElem, "map_pop_elem", map_pop_elem, RetKind::kInteger,
                  {A::kConstMapPtr, A::kPtrToUninitMapValue}});
  add_builtin(t, {helper_id::kMapPeekElem, "map_peek_elem", map_peek_elem, RetKind::kInteger,
                  {A::kConstMapPtr, A::kPtrToUninitMapValue}});
  add_builtin(t, {helper_id::kForEachMapElem, "for_each_map_elem", for_each_map_elem,
                  RetKind::kInteger,
                  {A::kConstMapPtr, A::kPtrToFunc, A::kPtrToStackOrNull, A::kScalar}});
  add_builtin(t, {helper_id::kTailCall, "tail_call", tail_call, RetKind::kInteger,
                  {A::kPtrToCtx, A::kConstMapPtr, A::kScalar}});
  add_builtin(t, {helper_id::kPerfEventOutput, "perf_event_output", perf_event_output,
                  RetKind::kInteger,
                  {A::kPtrToCtx, A::kConstMapPtr, A::kScalar, A::kPtrToMem,
                   A::kConstSizeOrZero}});
  add_builtin(t, {helper_id::kSpinLock, "spin_lock", spin_lock, RetKind::kVoid,
                  {A::kPtrToSpinLock}});
  add_builtin(t, {helper_id::kSpinUnlock, "spin_unlock", spin_unlock, RetKind::kVoid,
                  {A::kPtrToSpinLock}});
}

}  // namespace bpfjit::builtin
