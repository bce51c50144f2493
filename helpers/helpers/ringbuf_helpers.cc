// Ring buffer helpers: output, reserve, submit, discard, query. Reservations are recorded
// in the run's HostEnv so that submit and discard accept only pointers reserve handed out.
#include "helpers/helpers/builtin.h"

namespace bpfjit::builtin {
namespace {

RingbufMap* arg_ringbuf(RunContext* ctx, uint64_t map) {
  BpfMap* m = arg_map(ctx, map);
  return m != nullptr && m->type() == MapType::kRingbuf ? static_cast<RingbufMap*>(m) : nullptr;
}

uint64_t ringbuf_output(uint64_t map, uint64_t data, uint64_t size, uint64_t flags, uint64_t,
                        RunContext* ctx) {
  RingbufMap* rb = arg_ringbuf(ctx, map);
  if (rb == nullptr) return err_code(EINVAL);
  if (!can_access(ctx, data, size, false)) return err_code(EFAULT);
  return err(rb->output(ptr(data), size, flags));
}

uint64_t ringbuf_reserve(uint64_t map, uint64_t size, uint64_t flags, uint64_t, uint64_t,
                         RunContext* ctx) {
  RingbufMap* rb = arg_ringbuf(ctx, map);
  HostEnv* env = host_env(ctx);
  if (rb == nullptr || env->reservations_outstanding() == HostEnv::kMaxReservations) return 0;
  void* p = rb->reserve(size, flags);
  if (p != nullptr) env->add_reservation(rb, p);
  return reinterpret_cast<uint64_t>(p);
}

// submit and discard: 0, or -EINVAL for a pointer that is not an outstanding reservation
// of this run (the kernel's verifier would have refused the program; checked mode must
// not crash).
uint64_t release(uint64_t data, uint64_t flags, RunContext* ctx, bool discard) {
  HostEnv* env = host_env(ctx);
  RingbufMap* rb = env != nullptr ? env->take_reservation(data) : nullptr;
  if (rb == nullptr) return err_code(EINVAL);
  if (discard) {
    rb->discard(ptr(data), flags);
  } else {
    rb->submit(ptr(data), flags);
  }
  return 0;
}

uint64_t ringbuf_submit(uint64_t data, uint64_t flags, uint64_t, uint64_t, uint64_t,
                        RunContext* ctx) {
  return release(data, flags, ctx, false);
}

uint64_t ringbuf_discard(uint64_t data, uint64_t flags, uint64_t, uint64_t, uint64_t,
                         RunContext* ctx) {
  return release(data, flags, ctx, true);
}

uint64_t ringbuf_query(uint64_t map, uint64_t flags, uint64_t, uint64_t, uint64_t,
                       RunContext* ctx) {
  RingbufMap* rb = arg_ringbuf(ctx, map);
  return rb != nullptr ? rb->query(flags) : 0;
}

}  // namespace

void add_ringbuf_helpers(HelperTable& t) {
  using A = ArgKind;
  add_builtin(t, {helper_id::kRingbufOutput, "ringbuf_output", ringbuf_output, RetKind::kInteger,
                  {A::kConstMapPtr, A::kPtrToMem, A::kConstSizeOrZero, A::kScalar}});
  add_builtin(t, {helper_id::kRingbufReserve, "ringbuf_reserve", ringbuf_reserve,
                  RetKind::kPtrToRingbufMemOrNull,
                  {A::kConstMapPtr, A::kConstAllocSize, A::kScalar}});
  add_builtin(t, {helper_id::kRingbufSubmit, "ringbuf_submit", ringbuf_submit, RetKind::kVoid,
                  {A::kPtrToRingbufMem, A::kScalar}});
  add_builtin(t, {helper_id::kRingbufDiscard, "ringbuf_discard", ringbuf_discard,
                  RetKind::kVoid, {A::kPtrToRingbufMem, A::kScalar}});
  add_builtin(t, {helper_id::kRingbufQuery, "ringbuf_query", ringbuf_query, RetKind::kInteger,
                  {A::kConstMapPtr, A::kScalar}});
}

}  // namespace bpfjit::builtin
