// Concurrent runs of one loaded program with shared maps: `threads` threads each run
// bench/progs/atomic_count `runs` times on their own input (a slot number) while every
// run adds one to that slot of a shared array map and a shared hash map. Afterwards both
// maps must sum to threads * runs exactly.
#pragma once

#include <cstdint>
#include <string>

#include "bench/harness/workload.h"

namespace bpfjit::bench {

struct ConcurrencyPoint {
  Engine engine = Engine::kInterp;
  uint32_t threads = 1;
  uint64_t runs = 0;        // total program runs
  double seconds = 0;       // wall time of all threads
  uint64_t array_sum = 0;   // the counts the maps hold afterwards
  uint64_t hash_sum = 0;
  bool exact = false;       // both sums equal runs and no run failed
  std::string error;
};

ConcurrencyPoint run_concurrency(Engine e, uint32_t threads, uint64_t runs);

}  // namespace bpfjit::bench
