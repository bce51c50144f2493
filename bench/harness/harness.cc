// The harness's driver: prepares every workload on every engine, checks that the engines
// agree, measures, and hands the report to the printers (report.cc).
#include "bench/harness/harness.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <thread>

namespace bpfjit::bench {
namespace {

std::string machine_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  std::string model = "unknown cpu";
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) model = line.substr(colon + 2);
      break;
    }
  }
  return fmt::format("{}, {} cpus", model, std::thread::hardware_concurrency());
}

std::string now_text(const char* format) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), format, &tm);
  return buf;
}

struct Budget {
  int min_samples;       // at least this many timed executions per engine
  double target_s;       // keep sampling short executions up to this much time
  int max_samples;
};

// Times one engine's runner: warm-up, then samples of one execution each (the input is
// restored before each, outside the timed region).
Stats measure(Runner& r, const Budget& b, std::string& error) {
  std::vector<double> samples;
  for (int w = 0; w < 2; ++w) {  // warm-up
    r.reset();
    auto res = r.run_once();
    if (!res) {
      error = res.error().to_string();
      return {};
    }
  }
  double spent = 0;
  while (static_cast<int>(samples.size()) < b.max_samples &&
         (static_cast<int>(samples.size()) < b.min_samples || spent < b.target_s)) {
    r.reset();
    double t0 = thread_seconds();
    auto res = r.run_once();
    double dt = thread_seconds() - t0;
    if (!res) {
      error = res.error().to_string();
      return {};
    }
    samples.push_back(dt);
    spent += dt;
  }
  return summarize(std::move(samples));
}

bool engine_in_check(const EngineResult& e) { return e.status == EngineResult::Status::kOk; }

}  // namespace

Stats summarize(std::vector<double> samples) {
  Stats s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(q * static_cast<double>(samples.size() - 1) + 0.5);
    return samples[std::min(i, samples.size() - 1)];
  };
  s.samples = samples.size();
  s.min = samples.front();
  s.max = samples.back();
  s.median = at(0.5);
  s.p10 = at(0.1);
  s.p90 = at(0.9);
  return s;
}

double WorkloadResult::ratio(Engine a, Engine b) const {
  const EngineResult& x = of(a);
  const EngineResult& y = of(b);
  if (x.status != EngineResult::Status::kOk || y.status != EngineResult::Status::kOk ||
      y.time.median <= 0) {
    return 0;
  }
  return x.time.median / y.time.median;
}

BenchReport collect(const BenchOptions& opts) {
  BenchReport report;
  report.machine = machine_name();
  report.date = now_text("%Y-%m-%d %H:%M UTC");
  report.mode = opts.quick ? "quick" : "full";
  Budget budget = opts.quick ? Budget{7, 0.02, 200} : Budget{21, 0.15, 2000};
  if (opts.repeat > 0) budget.min_samples = opts.repeat;
  budget.max_samples = std::max(budget.max_samples, budget.min_samples);

  std::vector<std::unique_ptr<Workload>> all;
  std::vector<const char*> cpus = opts.quick ? std::vector<const char*>{"v4"}
                                             : std::vector<const char*>{"v3", "v4"};
  for (const char* cpu : cpus) {
    for (auto& w : make_kernel_workloads(cpu)) all.push_back(std::move(w));
  }
  for (const char* cpu : cpus) {
    for (auto& w : make_program_workloads(cpu, opts.quick ? 2048 : 4096)) {
      all.push_back(std::move(w));
    }
  }
  std::optional<std::regex> filter;
  if (!opts.filter.empty()) {
    try {
      filter.emplace(opts.filter, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {  // std::regex reports a bad pattern by throwing
      report.ok = false;
      report.error = fmt::format("bad --filter '{}': {}", opts.filter, e.what());
      return report;
    }
  }
  // The start-up row runs when no --filter is given or the filter matches "startup".
  bool startup = !opts.tool_path.empty() && (!filter || std::regex_search("startup", *filter));
  std::vector<Workload*> chosen;
  for (auto& w : all) {
    std::string full = w->name() + "." + w->cpu();
    if (filter && !std::regex_search(w->name(), *filter) && !std::regex_search(full, *filter)) {
      continue;
    }
    chosen.push_back(w.get());
  }

  size_t k = 0;
  for (Workload* w : chosen) {
    ++k;
    WorkloadResult wr;
    wr.name = w->name();
    wr.group = w->group();
    wr.cpu = w->cpu();
    wr.loop_heavy = w->loop_heavy();
    wr.lookups_per_execution = w->lookups_per_execution();
    for (Engine e : kEngines) {
      if (opts.progress) {
        fmt::print(stderr, "[{}/{}] {}.{} {}...\n", k, chosen.size(), wr.name, wr.cpu,
                   engine_name(e));
      }
      EngineResult& er = wr.engines[static_cast<int>(e)];
      auto runner = w->prepare(e, er.prep);
      if (!runner) {
        bool na = runner.error().code == ErrorCode::kUnsupported;
        er.status = na ? EngineResult::Status::kNotAvailable : EngineResult::Status::kError;
        er.note = runner.error().to_string();
        if (!na) report.ok = false;
        continue;
      }
      // The check run, on a fresh instance: the value and the state left behind.
      (*runner)->reset();
      auto res = (*runner)->run_once();
      if (!res) {
        er.status = EngineResult::Status::kError;
        er.note = res.error().to_string();
        report.ok = false;
        continue;
      }
      er.result = *res;
      er.state = (*runner)->state_digest();
      wr.runs_per_execution = (*runner)->runs_per_execution();
      std::string error;
      er.time = measure(**runner, budget, error);
      if (!error.empty()) {
        er.status = EngineResult::Status::kError;
        er.note = error;
        report.ok = false;
        continue;
      }
      er.status = EngineResult::Status::kOk;
    }
    // Every engine that ran must agree with native (or with the first that ran).
    const EngineResult* ref = nullptr;
    Engine ref_engine = Engine::kNative;
    if (engine_in_check(wr.of(Engine::kNative))) {
      ref = &wr.of(Engine::kNative);
    } else {
      for (Engine e : kEngines) {
        if (engine_in_check(wr.of(e))) {
          ref = &wr.of(e);
          ref_engine = e;
          break;
        }
      }
    }
    for (Engine e : kEngines) {
      const EngineResult& er = wr.of(e);
      if (ref == nullptr || !engine_in_check(er) || &er == ref) continue;
      if (er.result != ref->result) {
        wr.mismatches.push_back(fmt::format("{} returns {:#x}, {} {:#x}", engine_name(e),
                                            er.result, engine_name(ref_engine), ref->result));
      }
      if (er.state != ref->state) {
        wr.mismatches.push_back(fmt::format("{} leaves maps/records {:#x}, {} {:#x}",
                                            engine_name(e), er.state, engine_name(ref_engine),
                                            ref->state));
      }
    }
    if (!wr.mismatches.empty()) report.ok = false;
    report.workloads.push_back(std::move(wr));
  }

  if (opts.progress) fmt::print(stderr, "jit compile speed...\n");
  for (uint32_t n : {10u, 4096u, 65536u}) {
    report.compile.push_back(measure_compile(n, opts.quick ? 5 : 15));
  }
  if (opts.concurrency) {
    uint64_t runs = opts.quick ? 200000 : 1000000;
    for (Engine e : {Engine::kInterp, Engine::kJitChecked, Engine::kNative}) {
      for (uint32_t threads : {1u, 2u, 4u}) {
        if (opts.progress) {
          fmt::print(stderr, "concurrency: {} x{} threads...\n", engine_name(e), threads);
        }
        ConcurrencyPoint p = run_concurrency(e, threads, runs);
        if (!p.exact) report.ok = false;
        report.concurrency.push_back(std::move(p));
      }
    }
  }
  if (startup) {
    int runs = opts.quick ? 50 : 200;
    if (opts.progress) fmt::print(stderr, "start-up: {} run x{} and /bin/true...\n", opts.tool_path, runs);
    report.startup = measure_startup(opts.tool_path, runs);
    if (!report.startup.ok) report.ok = false;
  }
  return report;
}

int run_bench(const BenchOptions& opts) {
  BenchReport report = collect(opts);
  if (!report.error.empty()) {
    fmt::print(stderr, "bpfjit bench: {}\n", report.error);
    return 2;
  }
  if (report.workloads.empty() && !report.startup.measured) {
    fmt::print(stderr, "bpfjit bench: no benchmark matches --filter '{}'\n", opts.filter);
    return 2;
  }
  print_table(report, stdout);
  std::fflush(stdout);
  std::string stamp = now_text("%Y%m%d-%H%M%S");
  std::string json = opts.json_path, chart = opts.chart_path;
  std::error_code ec;
  if (json.empty() || chart.empty()) std::filesystem::create_directories(opts.out_dir, ec);
  if (json.empty()) json = opts.out_dir + "/bench-" + stamp + ".json";
  if (chart.empty()) chart = opts.out_dir + "/bench-" + stamp + ".svg";
  int rc = report.ok ? 0 : 1;
  for (const auto& [path, text] : {std::pair{json, to_json(report)}, {chart, to_svg(report)}}) {
    std::ofstream out(path);
    out << text;
    out.close();
    if (!out) {
      fmt::print(stderr, "bpfjit bench: cannot write {}\n", path);
      rc = rc == 0 ? 1 : rc;
    }
  }
  fmt::print("json:  {}\nchart: {}\n", json, chart);
  if (!report.ok) fmt::print("FAILED: engines disagree or a run failed (see above)\n");
  return rc;
}

}  // namespace bpfjit::bench
