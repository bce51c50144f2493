// The benchmark harness behind `bpfjit bench`: every workload (compute kernels and program
// kernels) on the interpreter, the JIT checked and trusted, and natively; results checked
// equal across engines; a table, JSON and an SVG chart from the same run; throughput of
// concurrent runs with shared maps.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/harness/concurrency.h"
#include "bench/harness/workload.h"

namespace bpfjit::bench {

struct BenchOptions {
  bool quick = false;          // fewer samples, -mcpu=v4 only, a shorter trace
  std::string filter;          // ECMAScript regex on "name" or "name.cpu"; empty: all
  std::string json_path;       // empty: <out_dir>/bench-<stamp>.json
  std::string chart_path;      // empty: <out_dir>/bench-<stamp>.svg
  std::string out_dir = "bench-results";
  int repeat = 0;              // samples per engine at least; 0: 7 (quick) or 21 (full)
  bool progress = true;        // "[k/N] name engine" lines on stderr
  bool concurrency = true;     // the thread-count throughput section
  // The start-up row: the `bpfjit` tool to time as a whole process (`bpfjit bench` gives
  // its own /proc/self/exe); empty: no start-up row.
  std::string tool_path;
};

// Summary statistics of repeated samples (seconds per execution).
struct Stats {
  double median = 0, min = 0, max = 0, p10 = 0, p90 = 0;
  size_t samples = 0;
};
Stats summarize(std::vector<double> samples);

struct EngineResult {
  enum class Status : uint8_t { kOk, kNotAvailable, kError } status = Status::kNotAvailable;
  std::string note;     // why n/a, or the error
  Stats time;           // seconds per execution
  uint64_t result = 0;  // digest of r0s of the check run
  uint64_t state = 0;   // digest of maps/records after the check run
  PrepTimes prep;
};

struct WorkloadResult {
  std::string name, group, cpu;
  bool loop_heavy = false;
  uint64_t runs_per_execution = 1;
  uint64_t lookups_per_execution = 0;  // the map lookup rows
  EngineResult engines[kEngineCount];
  std::vector<std::string> mismatches;  // "jit returns 0x.. native 0x.."

  const EngineResult& of(Engine e) const { return engines[static_cast<int>(e)]; }
  // t(a) / t(b) when both ran, else 0.
  double ratio(Engine a, Engine b) const;
};

// JIT compile speed on synthetic straight-line programs of a given size.
struct CompileSpeed {
  uint32_t insns = 0;
  double median_s = 0;
};

// The start-up row: `bpfjit run` of a 2-instruction program (mov r0, 0; exit) as a whole
// process, against /bin/true, alternately; wall time from spawn to exit.
struct StartupResult {
  bool measured = false;  // false: no tool path (or the harness could not start)
  bool ok = false;        // every run exited 0 and printed 0x0
  std::string error;      // why not ok
  int runs = 0;
  double tool_median_s = 0, true_median_s = 0;
  double tool_min_s = 0, true_min_s = 0;
  // The start-up cost: the tool's median minus /bin/true's.
  double above_true_s() const { return tool_median_s - true_median_s; }
};

struct BenchReport {
  std::string machine, date, mode;
  std::vector<WorkloadResult> workloads;
  std::vector<CompileSpeed> compile;
  std::vector<ConcurrencyPoint> concurrency;
  StartupResult startup;
  bool ok = true;     // no mismatch and no error
  std::string error;  // set when the run could not start (e.g. a bad --filter)
};

// The whole run: progress on stderr, the table on stdout, JSON and chart written; returns
// the exit code (0 when every engine agreed and nothing failed).
int run_bench(const BenchOptions& opts);

// The parts, for tests and tools.
BenchReport collect(const BenchOptions& opts);
void print_table(const BenchReport& r, std::FILE* out);
std::string to_json(const BenchReport& r);
std::string to_svg(const BenchReport& r);

// Median time to JIT-compile a straight-line program of `insns` slots (ALU operations
// over r0..r9, then exit).
CompileSpeed measure_compile(uint32_t insns, int repeats);

// The start-up row: `tool run PROG.bin` and /bin/true, `runs` times each (startup.cc).
StartupResult measure_startup(const std::string& tool, int runs);

}  // namespace bpfjit::bench
