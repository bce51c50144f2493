#include "runtime/isa/run_stack.h"

#include <sys/mman.h>
#include <unistd.h>

#include <new>

namespace bpfjit {

namespace {

// Nesting levels whose stacks a thread keeps; deeper runs map and unmap their own.
constexpr uint32_t kCached = 4;

// Constant-initialised, so that reaching them costs no guard check on the run path.
thread_local uint8_t* t_cached[kCached] = {};
thread_local uint32_t t_depth = 0;

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
  if (base == MAP_FAILED) throw std::bad_alloc();
  auto* lo = static_cast<uint8_t*>(base);
  if (mprotect(lo + page, stack_bytes(), PROT_READ | PROT_WRITE) != 0) {
    munmap(base, len);
    throw std::bad_alloc();
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

uint8_t* acquire() {
  uint32_t level = t_depth;
  if (level >= kCached) {
    uint8_t* s = map_stack();
    ++t_depth;
    return s;
  }
  uint8_t* s = t_cached[level];
  if (s == nullptr) [[unlikely]] {
    thread_local Reaper reaper;
    (void)reaper;
    s = map_stack();
    t_cached[level] = s;
  }
  ++t_depth;
  return s;
}

void release(uint8_t* data) {
  uint32_t level = --t_depth;
  if (level >= kCached) unmap_stack(data);
}

}  // namespace

RunStack::RunStack() : data_(acquire()) {}
RunStack::~RunStack() { release(data_); }

GuardedSpan run_stack_mapping(const uint8_t* data) {
  size_t page = page_size();
  auto top = reinterpret_cast<uintptr_t>(data) + kStackSize;
  return GuardedSpan{top - stack_bytes() - page, top + page, page};
}

}  // namespace bpfjit
