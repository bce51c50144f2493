#include "runtime/isa/run_stack.h"

#include <sys/mman.h>
#include <unistd.h>

namespace bpfjit {

namespace run_stack_detail {
__thread uint8_t* t_cached[kCached] = {};
__thread uint32_t t_depth = 0;
}  // namespace run_stack_detail

namespace {

using run_stack_detail::kCached;
using run_stack_detail::t_cached;
using run_stack_detail::t_depth;

size_t page_size() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

size_t stack_bytes() {
  size_t page = page_size();
  return (kStackSize + page - 1) / page * page;
}

uint8_t* map_stack() {
  size_t page = page_size();
  size_t len = stack_bytes() + 2 * page;
  void* base = mmap(nullptr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return nullptr;
  auto* lo = static_cast<uint8_t*>(base);
  if (mprotect(lo + page, stack_bytes(), PROT_READ | PROT_WRITE) != 0) {
    munmap(base, len);
    return nullptr;
  }
  // The top of the stack (where r10 starts) touches the upper guard page.
  return lo + page + stack_bytes() - kStackSize;
}

void unmap_stack(uint8_t* data) {
  GuardedSpan m = run_stack_mapping(data);
  munmap(reinterpret_cast<void*>(m.lo), m.hi - m.lo);
}

// Unmaps the thread's cached stacks when it exits. Reached only when a stack is first
// mapped, so that its construction guard stays off the run path.
struct Reaper {
  ~Reaper() {
    for (uint8_t*& s : t_cached) {
      if (s != nullptr) unmap_stack(s);
      s = nullptr;
    }
  }
};

}  // namespace

namespace run_stack_detail {

uint8_t* acquire_slow() {
  uint32_t level = t_depth;
  uint8_t* s = map_stack();
  // The lease counts even when the mapping failed, so that ~RunStack stays balanced.
  if (s != nullptr && level < kCached) {
    // The first lease at this level on this thread: keep its stack until the thread exits.
    thread_local Reaper reaper;
    (void)reaper;
    t_cached[level] = s;
  }
  t_depth = level + 1;
  return s;
}

void release_slow(uint8_t* data) {
  if (data != nullptr) unmap_stack(data);
}

}  // namespace run_stack_detail

GuardedSpan run_stack_mapping(const uint8_t* data) {
  size_t page = page_size();
  auto top = reinterpret_cast<uintptr_t>(data) + kStackSize;
  return GuardedSpan{top - stack_bytes() - page, top + page, page};
}

}  // namespace bpfjit
