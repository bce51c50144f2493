// The harness's outputs from one report: the terminal table, JSON and the SVG chart.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "bench/harness/harness.h"
#include "runtime/cli/program_io.h"

namespace bpfjit::bench {

using cli::json_escape;
namespace {

using Status = EngineResult::Status;

// "1.23ms", "456us", "12.0ns".
std::string fmt_time(double s) {
  if (s <= 0) return "-";
  if (s >= 1) return fmt::format("{:.2f}s", s);
  if (s >= 1e-3) return fmt::format("{:.2f}ms", s * 1e3);
  if (s >= 1e-6) return fmt::format("{:.1f}us", s * 1e6);
  return fmt::format("{:.1f}ns", s * 1e9);
}

std::string fmt_ratio(double r) {
  if (r <= 0) return "n/a";
  return r >= 100 ? fmt::format("{:.0f}x", r) : fmt::format("{:.2f}x", r);
}

std::string engine_cell(const EngineResult& e) {
  switch (e.status) {
    case Status::kOk: return fmt_time(e.time.median);
    case Status::kNotAvailable: return "n/a";
    case Status::kError: return "ERROR";
  }
  return "?";
}

// The widest p10..p90 spread of the engines that ran, relative to their median.
double worst_spread(const WorkloadResult& w) {
  double worst = 0;
  for (const EngineResult& e : w.engines) {
    if (e.status == Status::kOk && e.time.median > 0) {
      worst = std::max(worst, (e.time.p90 - e.time.p10) / e.time.median);
    }
  }
  return worst;
}

struct Geomean {
  double log_sum = 0;
  int n = 0;
  void add(double r) {
    if (r > 0) {
      log_sum += std::log(r);
      ++n;
    }
  }
  double value() const { return n == 0 ? 0 : std::exp(log_sum / n); }
};

// The geometric mean of t(a)/t(b) over the workloads that `pick` selects.
template <typename Pick>
Geomean geomean(const BenchReport& r, Engine a, Engine b, Pick pick) {
  Geomean g;
  for (const WorkloadResult& w : r.workloads) {
    if (pick(w)) g.add(w.ratio(a, b));
  }
  return g;
}

std::string verdict(double value, double limit) {
  if (value <= 0) return "not measured";
  if (value <= limit) return fmt::format("met, {:.0f}% under", (1 - value / limit) * 100);
  return fmt::format("MISSED by {:.0f}%", (value / limit - 1) * 100);
}


std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// A number JSON can hold (no NaN or infinity).
std::string jnum(double v) {
  if (!std::isfinite(v)) return "null";
  return fmt::format("{:.9g}", v);
}

}  // namespace

void print_table(const BenchReport& r, std::FILE* out) {
  fmt::print(out, "bpfjit bench ({}) on {}, {}\n", r.mode, r.machine, r.date);
  fmt::print(out,
             "time = median per execution (thread CPU time); spread = widest (p90-p10)/median "
             "of the engines; ratios of medians\n\n");
  fmt::print(out, "{:<17}{:<4}{:>6} {:>8} {:>8} {:>8} {:>7} | {:>9} {:>9} {:>9} {:>9} {:>9} | "
                  "{:>7} {:>7} {:>7} {:>7} {:>7} | {:>6} {}\n",
             "program", "cpu", "insns", "load", "verify", "jit", "ns/ins", "interp", "jit",
             "trusted", "harden", "native", "jit/nat", "int/nat", "int/jit", "tr/chk", "hd/tr",
             "spread", "check");
  std::string group;
  for (const WorkloadResult& w : r.workloads) {
    if (w.group != group) {
      group = w.group;
      fmt::print(out, "-- {}s --\n", group);
    }
    const EngineResult& jit = w.of(Engine::kJitChecked);
    const EngineResult& tr = w.of(Engine::kJitTrusted);
    const EngineResult& in = w.of(Engine::kInterp);
    uint64_t insns = jit.prep.insns != 0 ? jit.prep.insns : in.prep.insns;
    double load = jit.prep.load_s > 0 ? jit.prep.load_s : in.prep.load_s;
    std::string verify = tr.prep.verify_s > 0 ? fmt_time(tr.prep.verify_s) : "n/a";
    std::string jit_time = jit.status == Status::kOk ? fmt_time(jit.prep.jit_s) : "n/a";
    std::string per_insn = jit.status == Status::kOk && insns > 0
                               ? fmt::format("{:.0f}", jit.prep.jit_s * 1e9 / insns)
                               : "n/a";
    bool errors = false;
    for (const EngineResult& e : w.engines) errors = errors || e.status == Status::kError;
    std::string check = !w.mismatches.empty() ? "MISMATCH" : errors ? "ERROR" : "ok";
    fmt::print(out, "{:<17}{:<4}{:>6} {:>8} {:>8} {:>8} {:>7} | {:>9} {:>9} {:>9} {:>9} {:>9} | "
                    "{:>7} {:>7} {:>7} {:>7} {:>7} | {:>5.0f}% {}\n",
               w.name, w.cpu, insns, fmt_time(load), verify, jit_time, per_insn,
               engine_cell(in), engine_cell(jit), engine_cell(tr),
               engine_cell(w.of(Engine::kJitHarden)), engine_cell(w.of(Engine::kNative)),
               fmt_ratio(w.ratio(Engine::kJitChecked, Engine::kNative)),
               fmt_ratio(w.ratio(Engine::kInterp, Engine::kNative)),
               fmt_ratio(w.ratio(Engine::kInterp, Engine::kJitChecked)),
               fmt_ratio(w.ratio(Engine::kJitTrusted, Engine::kJitChecked)),
               fmt_ratio(w.ratio(Engine::kJitHarden, Engine::kJitTrusted)),
               worst_spread(w) * 100, check);
    for (const std::string& m : w.mismatches) fmt::print(out, "    MISMATCH: {}\n", m);
    for (Engine e : kEngines) {
      const EngineResult& er = w.of(e);
      if (er.status == Status::kError) {
        fmt::print(out, "    ERROR ({}): {}\n", engine_name(e), er.note);
      }
    }
  }
  // Why trusted is n/a: the verifier's main rejection per workload (in full in the JSON).
  bool header = false;
  for (const WorkloadResult& w : r.workloads) {
    const EngineResult& tr = w.of(Engine::kJitTrusted);
    if (tr.status != Status::kNotAvailable) continue;
    if (!header) fmt::print(out, "trusted n/a (never run unverified):\n");
    header = true;
    std::string note = tr.note.size() > 120 ? tr.note.substr(0, 117) + "..." : tr.note;
    fmt::print(out, "  {}.{}: {}\n", w.name, w.cpu, note);
  }
  bool any_program = false;
  for (const WorkloadResult& w : r.workloads) any_program = any_program || w.group == "program";
  if (any_program) {
    fmt::print(out, "\nper program run (packet or call) of the program kernels:\n");
    for (const WorkloadResult& w : r.workloads) {
      if (w.group != "program") continue;
      fmt::print(out, "  {:<17}{:<4}{:>6} runs  ", w.name, w.cpu, w.runs_per_execution);
      for (Engine e : kEngines) {
        const EngineResult& er = w.of(e);
        std::string t = er.status == Status::kOk
                            ? fmt_time(er.time.median / static_cast<double>(w.runs_per_execution))
                            : "n/a";
        fmt::print(out, " {} {:>8}", engine_name(e), t);
      }
      fmt::print(out, "\n");
    }
  }
  bool any_lookup = false;
  for (const WorkloadResult& w : r.workloads) any_lookup = any_lookup || w.lookups_per_execution > 0;
  if (any_lookup) {
    fmt::print(out, "\nmap lookups: time per bpf_map_lookup_elem from the program (a loop of "
                    "dependent lookups, every key present):\n");
    for (const WorkloadResult& w : r.workloads) {
      if (w.lookups_per_execution == 0) continue;
      fmt::print(out, "  {:<17}{:<4}{:>6} lookups", w.name, w.cpu, w.lookups_per_execution);
      for (Engine e : kEngines) {
        const EngineResult& er = w.of(e);
        std::string t =
            er.status == Status::kOk
                ? fmt_time(er.time.median / static_cast<double>(w.lookups_per_execution))
                : "n/a";
        fmt::print(out, " {} {:>8}", engine_name(e), t);
      }
      fmt::print(out, "\n");
    }
  }

  fmt::print(out, "\ntargets (geometric means of time ratios):\n");
  auto heavy = [](const WorkloadResult& w) { return w.loop_heavy; };
  auto kernel = [](const WorkloadResult& w) { return w.group == "kernel"; };
  auto program = [](const WorkloadResult& w) { return w.group == "program"; };
  // The interpreter's target is over the four loop-heavy kernels (foundation issue); the
  // JIT's targets are over all eight compute kernels (JIT issue).
  Geomean gi = geomean(r, Engine::kInterp, Engine::kNative, heavy);
  Geomean gj = geomean(r, Engine::kJitChecked, Engine::kNative, kernel);
  Geomean gt = geomean(r, Engine::kJitTrusted, Engine::kNative, kernel);
  fmt::print(out, "  interp/native over the {} loop-heavy kernel runs: {} (target <= 12x: {})\n",
             gi.n, fmt_ratio(gi.value()), verdict(gi.value(), 12));
  fmt::print(out, "  jit checked/native over the {} compute kernel runs: {} (target <= 1.3x: {})\n",
             gj.n, fmt_ratio(gj.value()), verdict(gj.value(), 1.3));
  fmt::print(out, "  jit trusted/native, the {} compute kernel runs the verifier accepted: {} "
                  "(target <= 1.1x: {})\n",
             gt.n, fmt_ratio(gt.value()),
             gt.n == 0 ? std::string("n/a, no verified runs") : verdict(gt.value(), 1.1));
  // The cost of constant blinding: hardened over plain trusted code.
  Geomean hk = geomean(r, Engine::kJitHarden, Engine::kJitTrusted, kernel);
  Geomean hp = geomean(r, Engine::kJitHarden, Engine::kJitTrusted, program);
  fmt::print(out, "  jit harden/trusted (constant blinding) over the {} compute kernel runs: {}; "
                  "over the {} program kernel runs: {}\n",
             hk.n, fmt_ratio(hk.value()), hp.n, fmt_ratio(hp.value()));
  Geomean hj = geomean(r, Engine::kJitChecked, Engine::kNative, heavy);
  Geomean ai = geomean(r, Engine::kInterp, Engine::kNative, kernel);
  Geomean pj = geomean(r, Engine::kJitChecked, Engine::kNative, program);
  Geomean pi = geomean(r, Engine::kInterp, Engine::kNative, program);
  fmt::print(out, "  loop-heavy kernels: jit/native {}; all kernels: interp/native {}; programs: "
                  "jit/native {}, interp/native {}\n",
             fmt_ratio(hj.value()), fmt_ratio(ai.value()), fmt_ratio(pj.value()),
             fmt_ratio(pi.value()));
  for (const CompileSpeed& c : r.compile) {
    if (c.median_s <= 0) {
      fmt::print(out, "  jit compile {} insns: failed\n", c.insns);
      continue;
    }
    double rate = c.insns / c.median_s;
    std::string target;
    if (c.insns <= 16) target = fmt::format(" (target < 50us: {})", verdict(c.median_s, 50e-6));
    if (c.insns == 4096) target = fmt::format(" (target < 1ms: {})", verdict(c.median_s, 1e-3));
    if (c.insns > 4096) {
      target = fmt::format(" (target >= 4M insn/s: {})", verdict(4e6 / rate, 1.0));
    }
    fmt::print(out, "  jit compile {} insns: {} = {:.1f}M insn/s{}\n", c.insns,
               fmt_time(c.median_s), rate / 1e6, target);
  }
  if (r.startup.measured) {
    const StartupResult& s = r.startup;
    if (!s.ok) {
      fmt::print(out, "  start-up (bpfjit run, 2 insns, whole process): FAILED: {}\n", s.error);
    } else {
      fmt::print(out, "  start-up (bpfjit run, 2 insns, whole process, median of {} runs): {} "
                      "above /bin/true ({} vs {}; min {} vs {}) (target <= 1.5ms: {}) ok\n",
                 s.runs, fmt_time(s.above_true_s()), fmt_time(s.tool_median_s),
                 fmt_time(s.true_median_s), fmt_time(s.tool_min_s), fmt_time(s.true_min_s),
                 verdict(std::max(s.above_true_s(), 1e-9), 1.5e-3));
    }
  }
  if (!r.concurrency.empty()) {
    fmt::print(out, "\nconcurrency: atomic_count, shared array+hash maps, each thread its own "
                    "input (wall time)\n");
    fmt::print(out, "  {:<12}{:>8}{:>10}{:>12}{:>10}  {}\n", "engine", "threads", "runs",
               "M runs/s", "speedup", "counts");
    std::map<int, double> single;
    for (const ConcurrencyPoint& p : r.concurrency) {
      double tput = p.seconds > 0 ? p.runs / p.seconds : 0;
      if (p.threads == 1) single[static_cast<int>(p.engine)] = tput;
      double base = single[static_cast<int>(p.engine)];
      fmt::print(out, "  {:<12}{:>8}{:>10}{:>12.2f}{:>9.2f}x  {}\n", engine_name(p.engine),
                 p.threads, p.runs, tput / 1e6, base > 0 ? tput / base : 0,
                 p.exact ? "exact" : "WRONG: " + p.error);
    }
  }
}

std::string to_json(const BenchReport& r) {
  std::string o = "{\n";
  o += fmt::format("  \"machine\": \"{}\",\n  \"date\": \"{}\",\n  \"mode\": \"{}\",\n",
                   json_escape(r.machine), json_escape(r.date), r.mode);
  o += fmt::format("  \"ok\": {},\n  \"workloads\": [\n", r.ok ? "true" : "false");
  for (size_t i = 0; i < r.workloads.size(); ++i) {
    const WorkloadResult& w = r.workloads[i];
    o += fmt::format("    {{\"name\": \"{}\", \"group\": \"{}\", \"cpu\": \"{}\", "
                     "\"loop_heavy\": {}, \"runs_per_execution\": {}, "
                     "\"lookups_per_execution\": {},\n",
                     json_escape(w.name), w.group, w.cpu, w.loop_heavy ? "true" : "false",
                     w.runs_per_execution, w.lookups_per_execution);
    o += "     \"engines\": {\n";
    for (int e = 0; e < kEngineCount; ++e) {
      const EngineResult& er = w.engines[e];
      const char* status = er.status == Status::kOk             ? "ok"
                           : er.status == Status::kNotAvailable ? "n/a"
                                                                : "error";
      o += fmt::format(
          "       \"{}\": {{\"status\": \"{}\", \"note\": \"{}\", \"median_s\": {}, "
          "\"min_s\": {}, \"max_s\": {}, \"p10_s\": {}, \"p90_s\": {}, \"samples\": {}, "
          "\"result\": \"{:#x}\", \"state\": \"{:#x}\", \"load_s\": {}, \"verify_s\": {}, "
          "\"jit_s\": {}, \"insns\": {}}}{}\n",
          engine_name(kEngines[e]), status, json_escape(er.note), jnum(er.time.median),
          jnum(er.time.min), jnum(er.time.max), jnum(er.time.p10), jnum(er.time.p90),
          er.time.samples, er.result, er.state, jnum(er.prep.load_s), jnum(er.prep.verify_s),
          jnum(er.prep.jit_s), er.prep.insns, e + 1 < kEngineCount ? "," : "");
    }
    o += "     },\n";
    o += fmt::format("     \"ratios\": {{\"jit_native\": {}, \"interp_native\": {}, "
                     "\"interp_jit\": {}, \"trusted_checked\": {}, \"trusted_native\": {}, "
                     "\"harden_trusted\": {}}},\n",
                     jnum(w.ratio(Engine::kJitChecked, Engine::kNative)),
                     jnum(w.ratio(Engine::kInterp, Engine::kNative)),
                     jnum(w.ratio(Engine::kInterp, Engine::kJitChecked)),
                     jnum(w.ratio(Engine::kJitTrusted, Engine::kJitChecked)),
                     jnum(w.ratio(Engine::kJitTrusted, Engine::kNative)),
                     jnum(w.ratio(Engine::kJitHarden, Engine::kJitTrusted)));
    o += "     \"mismatches\": [";
    for (size_t m = 0; m < w.mismatches.size(); ++m) {
      o += fmt::format("{}\"{}\"", m ? ", " : "", json_escape(w.mismatches[m]));
    }
    o += fmt::format("]}}{}\n", i + 1 < r.workloads.size() ? "," : "");
  }
  o += "  ],\n  \"jit_compile\": [";
  for (size_t i = 0; i < r.compile.size(); ++i) {
    const CompileSpeed& c = r.compile[i];
    o += fmt::format("{}{{\"insns\": {}, \"median_s\": {}, \"insns_per_s\": {}}}",
                     i ? ", " : "", c.insns, jnum(c.median_s),
                     jnum(c.median_s > 0 ? c.insns / c.median_s : 0));
  }
  o += "],\n";
  if (r.startup.measured) {
    const StartupResult& s = r.startup;
    o += fmt::format("  \"startup\": {{\"ok\": {}, \"error\": \"{}\", \"runs\": {}, "
                     "\"tool_median_s\": {}, \"true_median_s\": {}, \"above_true_s\": {}, "
                     "\"tool_min_s\": {}, \"true_min_s\": {}}},\n",
                     s.ok ? "true" : "false", json_escape(s.error), s.runs,
                     jnum(s.tool_median_s), jnum(s.true_median_s), jnum(s.above_true_s()),
                     jnum(s.tool_min_s), jnum(s.true_min_s));
  }
  o += "  \"concurrency\": [";
  for (size_t i = 0; i < r.concurrency.size(); ++i) {
    const ConcurrencyPoint& p = r.concurrency[i];
    o += fmt::format("{}\n    {{\"engine\": \"{}\", \"threads\": {}, \"runs\": {}, "
                     "\"seconds\": {}, \"runs_per_s\": {}, \"exact\": {}, \"error\": \"{}\"}}",
                     i ? "," : "", engine_name(p.engine), p.threads, p.runs, jnum(p.seconds),
                     jnum(p.seconds > 0 ? p.runs / p.seconds : 0), p.exact ? "true" : "false",
                     json_escape(p.error));
  }
  o += "\n  ]\n}\n";
  return o;
}

std::string to_svg(const BenchReport& r) {
  // Grouped horizontal bars: per workload, the interpreter, the JIT and the trusted JIT
  // relative to native, on a log scale; 1x (native) is a vertical line.
  struct Series {
    Engine engine;
    const char* label;
    const char* color;
  };
  const Series series[] = {{Engine::kInterp, "interpreter", "#e4572e"},
                           {Engine::kJitChecked, "JIT (checked)", "#2e86ab"},
                           {Engine::kJitTrusted, "JIT (trusted, verified)", "#3bb273"}};
  const int label_w = 190, plot_w = 620, right_pad = 70, bar_h = 11, bar_gap = 2,
            group_gap = 12, top = 96, bottom = 56;
  const int group_h = 3 * (bar_h + bar_gap) + group_gap;
  int rows = static_cast<int>(r.workloads.size());
  int width = label_w + plot_w + right_pad;
  int height = top + std::max(rows, 1) * group_h + bottom;
  double max_ratio = 2;
  for (const WorkloadResult& w : r.workloads) {
    for (const Series& s : series) max_ratio = std::max(max_ratio, w.ratio(s.engine, Engine::kNative));
  }
  double lo = 0.5;
  // The smallest 1, 2 or 5 times a power of ten that leaves room for the labels.
  double hi = 1;
  for (double base = 1; hi < max_ratio * 1.25; base *= 10) {
    for (double m : {2.0, 5.0, 10.0}) {
      if (hi < max_ratio * 1.25) hi = base * m;
    }
  }
  auto x_of = [&](double v) {
    v = std::clamp(v, lo, hi);
    return label_w + plot_w * (std::log(v / lo) / std::log(hi / lo));
  };
  std::string o = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} "
      "{}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
      width, height, width, height);
  o += fmt::format("<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n", width, height);
  o += fmt::format("<text x=\"{}\" y=\"26\" font-size=\"17\" font-weight=\"bold\">bpfjit: "
                   "execution time relative to native C (log scale, lower is better)</text>\n",
                   16);
  o += fmt::format("<text x=\"16\" y=\"46\" font-size=\"12\" fill=\"#444\">{} run, {}, "
                   "{}</text>\n",
                   r.mode, xml_escape(r.machine), xml_escape(r.date));
  // Legend.
  int lx = 16;
  for (const Series& s : series) {
    o += fmt::format("<rect x=\"{}\" y=\"60\" width=\"14\" height=\"12\" fill=\"{}\"/>\n", lx,
                     s.color);
    o += fmt::format("<text x=\"{}\" y=\"71\" font-size=\"12\">{}</text>\n", lx + 19, s.label);
    lx += 40 + static_cast<int>(std::string(s.label).size()) * 7;
  }
  o += fmt::format("<text x=\"{}\" y=\"71\" font-size=\"12\" fill=\"#444\">native = 1x "
                   "(dashed line)</text>\n",
                   lx);
  // Row backgrounds, then grid lines at 0.5, 1, 2, 5, 10, ..., then the bars.
  int plot_bottom = top + rows * group_h;
  for (int i = 1; i < rows; i += 2) {
    o += fmt::format("<rect x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f4f4f4\"/>\n",
                     top + i * group_h - group_gap / 2, label_w + plot_w + right_pad, group_h);
  }
  for (double base = 0.1; base <= hi * 1.001; base *= 10) {
    for (double m : {1.0, 2.0, 5.0}) {
      double v = base * m;
      if (v < lo * 0.999 || v > hi * 1.001) continue;
      double x = x_of(v);
      bool one = std::abs(v - 1) < 1e-9;
      o += fmt::format("<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" stroke=\"{}\" "
                       "stroke-width=\"{}\"{}/>\n",
                       x, top - 6, x, plot_bottom, one ? "#222" : "#ddd", one ? 1.5 : 1,
                       one ? " stroke-dasharray=\"5,3\"" : "");
      o += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" "
                       "fill=\"#444\">{}x</text>\n",
                       x, plot_bottom + 16, v < 1 ? fmt::format("{:.1f}", v)
                                                  : fmt::format("{:.0f}", v));
    }
  }
  o += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" "
                   "fill=\"#222\">time / native time</text>\n",
                   label_w + plot_w / 2, plot_bottom + 36);
  for (int i = 0; i < rows; ++i) {
    const WorkloadResult& w = r.workloads[i];
    int y0 = top + i * group_h;
    std::string label = w.name + " (" + w.cpu + (w.group == "program" ? ", prog)" : ")");
    o += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}</text>\n",
                     label_w - 8, y0 + (3 * (bar_h + bar_gap)) / 2 + 4, xml_escape(label));
    for (int s = 0; s < 3; ++s) {
      int y = y0 + s * (bar_h + bar_gap);
      const EngineResult& er = w.of(series[s].engine);
      double ratio = w.ratio(series[s].engine, Engine::kNative);
      if (er.status != Status::kOk || ratio <= 0) {
        o += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"10\" fill=\"{}\">{}</text>\n",
                         x_of(1) + 5, y + bar_h - 2,
                         er.status == Status::kError ? "#c00" : "#999",
                         er.status == Status::kError ? "ERROR" : s == 2 ? "trusted: n/a (not verified)" : "n/a");
        continue;
      }
      double x1 = x_of(ratio);
      double xs = x_of(lo);
      o += fmt::format("<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" "
                       "fill=\"{}\"><title>{} {}: {:.2f}x native</title></rect>\n",
                       xs, y, std::max(1.0, x1 - xs), bar_h, series[s].color,
                       xml_escape(w.name), series[s].label, ratio);
      o += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"10\" fill=\"#222\">{}</text>\n",
                       x1 + 4, y + bar_h - 2, fmt_ratio(ratio));
    }
    if (!w.mismatches.empty()) {
      o += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" font-weight=\"bold\" "
                       "fill=\"#c00\">MISMATCH</text>\n",
                       label_w + plot_w - 80, y0 + 12);
    }
  }
  o += "</svg>\n";
  return o;
}

}  // namespace bpfjit::bench
