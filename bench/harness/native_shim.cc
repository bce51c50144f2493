// The native side of the benchmark programs' helpers (bench/progs/bench_prog.h): the same
// behaviour as the BPF helpers, on the bpfjit maps the harness bound to each handle.
#include <cstdint>
#include <vector>

#include "bench/harness/bpf_engine.h"
#include "helpers/maps.h"

using bpfjit::BpfMap;
using bpfjit::RingbufMap;

extern "C" {

struct bench_map {
  const char* name;
  void* impl;
};
typedef int (*bench_native_entry)(void* ctx);

void* bench_native_map_lookup_elem(bench_map* map, const void* key) {
  return static_cast<BpfMap*>(map->impl)->lookup(key);
}

long bench_native_map_update_elem(bench_map* map, const void* key, const void* value,
                                  uint64_t flags) {
  return static_cast<long>(static_cast<BpfMap*>(map->impl)->update(key, value, flags));
}

long bench_native_ringbuf_output(bench_map* map, const void* data, uint64_t size,
                                 uint64_t flags) {
  return static_cast<long>(static_cast<RingbufMap*>(map->impl)->output(data, size, flags));
}

namespace {
// The ring buffer of this thread's last reservation (a program holds one at a time).
thread_local RingbufMap* t_reserved_from = nullptr;
}  // namespace

void* bench_native_ringbuf_reserve(bench_map* map, uint64_t size, uint64_t flags) {
  auto* rb = static_cast<RingbufMap*>(map->impl);
  void* p = rb->reserve(size, flags);
  if (p != nullptr) t_reserved_from = rb;
  return p;
}

void bench_native_ringbuf_submit(void* data, uint64_t flags) {
  if (t_reserved_from != nullptr) t_reserved_from->submit(data, flags);
  t_reserved_from = nullptr;
}

uint64_t bench_native_mix(uint64_t a, uint64_t b) { return bpfjit::bench::mix_value(a, b); }

bench_native_entry bench_native_tail_target(bench_map* map, uint32_t index) {
  // A native prog_array's handle points at the harness's vector of entry points.
  auto* targets = static_cast<const std::vector<void*>*>(map->impl);
  if (targets == nullptr || index >= targets->size()) return nullptr;
  return reinterpret_cast<bench_native_entry>((*targets)[index]);
}

}  // extern "C"
