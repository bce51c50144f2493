// The stack of a run: kStackSize bytes in their own mapping, between two PROT_NONE guard
// pages, so that an engine bug that runs off either end of the program's stack faults at
// once instead of writing over the host's memory. Each thread keeps the stacks it used
// (one per nesting level of runs, a few levels deep) and unmaps them when it exits.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/isa/machine.h"

namespace bpfjit {

// Holds one of the calling thread's run stacks for its lifetime. Leases nest (a helper may
// run another program); they must end in the reverse order, on the thread that took them.
// When the stack cannot be mapped (out of memory, or the address-space limit reached),
// ok() is false and data() null: the caller reports it instead of running.
namespace run_stack_detail {
// Nesting levels whose stacks a thread keeps; deeper runs map and unmap their own.
inline constexpr uint32_t kCached = 4;
// The thread's kept stacks and its number of open leases (plain TLS: no init guard).
extern __thread uint8_t* t_cached[kCached];
extern __thread uint32_t t_depth;
uint8_t* acquire_slow();
void release_slow(uint8_t* data);
}  // namespace run_stack_detail

class RunStack {
 public:
  // The common case, inline: a kept stack at this level.
  RunStack() {
    using namespace run_stack_detail;
    uint32_t level = t_depth;
    if (level < kCached && t_cached[level] != nullptr) [[likely]] {
      data_ = t_cached[level];
      t_depth = level + 1;
    } else {
      data_ = acquire_slow();
    }
  }
  ~RunStack() {
    using namespace run_stack_detail;
    uint32_t level = --t_depth;
    if (level >= kCached) [[unlikely]] release_slow(data_);
  }
  RunStack(const RunStack&) = delete;
  RunStack& operator=(const RunStack&) = delete;

  bool ok() const { return data_ != nullptr; }
  // kStackSize bytes: data() - 1 and data() + kStackSize lie in guard pages.
  uint8_t* data() const { return data_; }

 private:
  uint8_t* data_;
};

// Runs `run()` with ctx.stack on one of the calling thread's run stacks (for an engine
// whose caller brought none). When the stack cannot be mapped, `run` is not called: the
// trap is kNoStack and the result 0.
template <typename Run>
uint64_t run_on_thread_stack(RunContext& ctx, Run&& run) {
  RunStack stack;
  if (!stack.ok()) {
    ctx.trap = Trap{TrapKind::kNoStack, 0};
    return 0;
  }
  ctx.stack = stack.data();
  const uint64_t r0 = run();
  ctx.stack = nullptr;
  return r0;
}

// The whole mapping of a run stack from RunStack::data(): [lo, hi), guard pages included.
struct GuardedSpan {
  uintptr_t lo;
  uintptr_t hi;
  size_t guard;  // bytes of guard at each end
};
GuardedSpan run_stack_mapping(const uint8_t* data);

}  // namespace bpfjit
