// Concurrent runs of one loaded program with shared maps (see concurrency.h).
#include "bench/harness/concurrency.h"

#include <chrono>
#include <cstring>
#include <thread>

#include "bench/harness/bpf_instance.h"

namespace bpfjit::bench {
namespace {

uint64_t sum_counts(BpfMap* m) {
  uint64_t sum = 0;
  if (m == nullptr) return 0;
  m->for_each([&](const void*, const void* value) {
    sum += *static_cast<const uint64_t*>(value);
    return true;
  });
  return sum;
}

}  // namespace

ConcurrencyPoint run_concurrency(Engine e, uint32_t threads, uint64_t runs) {
  ConcurrencyPoint p;
  p.engine = e;
  p.threads = threads;
  ProgObjectSpec spec{"atomic_count", "atomic_count", false, "", {}};
  PrepTimes times;
  auto inst = make_prog_instance(spec, "v4", e, 8, times);
  if (!inst) {
    p.error = inst.error().to_string();
    return p;
  }
  std::vector<std::unique_ptr<RunSlot>> slots;
  for (uint32_t t = 0; t < threads; ++t) slots.push_back((*inst)->make_slot());
  std::vector<std::string> errors(threads);
  auto worker = [&](uint32_t t) {
    alignas(8) uint8_t buf[8] = {};
    for (uint64_t i = 0; i < runs; ++i) {
      uint32_t slot = static_cast<uint32_t>((i * 7 + t * 13) & 63);
      std::memcpy(buf, &slot, 4);
      auto r0 = (*inst)->run_mem(*slots[t], buf, sizeof(buf));
      if (!r0 || *r0 != 0) {
        errors[t] = r0 ? "atomic_count returned " + std::to_string(*r0)
                       : r0.error().to_string();
        return;
      }
    }
  };
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (uint32_t t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  for (auto& th : pool) th.join();
  p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  p.runs = runs * threads;
  for (const auto& err : errors) {
    if (!err.empty() && p.error.empty()) p.error = err;
  }
  p.array_sum = sum_counts((*inst)->map("array_counts"));
  p.hash_sum = sum_counts((*inst)->map("hash_counts"));
  p.exact = p.error.empty() && p.array_sum == p.runs && p.hash_sum == p.runs;
  if (p.error.empty() && !p.exact) {
    p.error = "counts " + std::to_string(p.array_sum) + " (array) and " +
              std::to_string(p.hash_sum) + " (hash), expected " + std::to_string(p.runs);
  }
  return p;
}

}  // namespace bpfjit::bench
