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
// Throws std::bad_alloc when the stack cannot be mapped.
class RunStack {
 public:
  RunStack();
  ~RunStack();
  RunStack(const RunStack&) = delete;
  RunStack& operator=(const RunStack&) = delete;

  // kStackSize bytes: data() - 1 and data() + kStackSize lie in guard pages.
  uint8_t* data() const { return data_; }

 private:
  uint8_t* data_;
};

// The whole mapping of a run stack from RunStack::data(): [lo, hi), guard pages included.
struct GuardedSpan {
  uintptr_t lo;
  uintptr_t hi;
  size_t guard;  // bytes of guard at each end
};
GuardedSpan run_stack_mapping(const uint8_t* data);

}  // namespace bpfjit
