// bpfjit bench [--quick] [--filter REGEX] [--json FILE] [--chart FILE] [--repeat N]: the
// benchmark harness (bench/harness): every benchmark program on the interpreter, the JIT
// (checked and trusted) and natively, checked equal, then a table, JSON and an SVG chart.
#include <filesystem>
#include <memory>
#include <string>

#include "bench/harness/harness.h"
#include "runtime/cli/commands.h"

namespace bpfjit::cli {

Command add_bench_command(CLI::App& parent) {
  auto o = std::make_shared<bench::BenchOptions>();
  o->out_dir = std::string(BPFJIT_BENCH_RESULTS_DIR);
  std::error_code ec;
  o->tool_path = std::filesystem::read_symlink("/proc/self/exe", ec).string();  // start-up row
  CLI::App* app = parent.add_subcommand(
      "bench", "run the benchmark suite: compute kernels and program kernels on the "
               "interpreter, the JIT (checked, and trusted when verified) and natively; "
               "prints a table and writes JSON and an SVG chart");
  app->add_flag("--quick", o->quick, "a short run (-mcpu=v4 only, fewer samples), ~30 s");
  app->add_option("--filter", o->filter,
                  "run only the benchmarks whose name (or name.cpu) matches this regex");
  app->add_option("--json", o->json_path, "write the results as JSON here");
  app->add_option("--chart", o->chart_path, "write the SVG chart here");
  app->add_option("--repeat", o->repeat, "timed executions per engine, at least")
      ->check(CLI::Range(1, 100000));
  app->add_option("--out-dir", o->out_dir,
                  "where the JSON and the chart go unless --json/--chart say otherwise")
      ->capture_default_str();
  app->add_flag("--no-concurrency", [o](int64_t) { o->concurrency = false; },
                "skip the thread-count throughput runs");
  app->add_flag("--no-progress", [o](int64_t) { o->progress = false; },
                "no progress lines on stderr");
  return Command{app, [o] { return bench::run_bench(*o); }};
}

}  // namespace bpfjit::cli
