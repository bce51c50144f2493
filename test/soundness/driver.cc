#include "test/soundness/driver.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "bpfjit/runtime.h"

namespace bpfjit::soundness {

namespace {

// "insn 7: ldxb %r7, [%r2+4]: packet access out of bounds: r2 ..." -> "packet access out
// of bounds": the phrase after the instruction, without its facts.
std::string reason_phrase(const std::string& note) {
  size_t at = 0;
  if (note.rfind("insn ", 0) == 0) {
    at = note.find(": ");
    at = at == std::string::npos ? 0 : note.find(": ", at + 2);
    at = at == std::string::npos ? 0 : at + 2;
  }
  const size_t end = note.find(':', at);
  std::string phrase = note.substr(at, end == std::string::npos ? std::string::npos : end - at);
  for (char& ch : phrase) {
    if (ch >= '0' && ch <= '9') ch = 'N';
  }
  return phrase.substr(0, 70);
}

}  // namespace

SweepResult sweep(const SweepOptions& opts) {
  SweepResult out;
  std::mutex mu;
  std::atomic<uint64_t> next{0};
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  auto worker = [&] {
    auto rt = make_strict_runtime();
    for (;;) {
      const uint64_t i = next.fetch_add(1);
      if (i >= opts.programs) return;
      if (opts.seconds > 0 && (i & 15) == 0 && elapsed() > opts.seconds) return;
      const uint64_t seed = opts.seed + i;
      Case c = generate(seed, opts.family, opts.gen);
      FamilyStats d;
      d.generated = 1;
      std::string report;
      std::string reason;
      std::string note;
      if (c.insns.empty() && c.object.empty()) {
        d.invalid = 1;
      } else {
        CaseResult r = check_case(*rt, c, seed, opts.oracle);
        d.runs = r.runs;
        d.accepted = r.outcome != Outcome::kRejected;
        d.not_runnable = r.outcome == Outcome::kNotRunnable;
        d.ran = r.outcome == Outcome::kRan;
        d.trapped = r.outcome == Outcome::kTrapped;
        if (d.trapped) report = fmt::format("seed {}: {}", seed, r.report);
        if (!d.accepted) {
          reason = c.family + ": " + reason_phrase(r.note);
          note = r.note;
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      for (FamilyStats* s : {&out.families[c.family], &out.total}) {
        s->generated += d.generated;
        s->invalid += d.invalid;
        s->accepted += d.accepted;
        s->not_runnable += d.not_runnable;
        s->ran += d.ran;
        s->runs += d.runs;
        s->trapped += d.trapped;
      }
      if (!report.empty() && out.reports.size() < opts.max_reports) out.reports.push_back(report);
      if (!reason.empty() && ++out.reasons[reason] == 1) out.examples[reason] = note;
    }
  };
  std::vector<std::thread> threads;
  for (uint32_t t = 1; t < opts.threads; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  out.seconds = elapsed();
  return out;
}

std::string format_stats(const SweepResult& r) {
  std::string s = fmt::format("{:<11} {:>10} {:>8} {:>10} {:>7} {:>9} {:>10} {:>8}\n", "family",
                              "generated", "invalid", "accepted", "rate", "unrunnable", "runs",
                              "trapped");
  auto line = [&](const std::string& name, const FamilyStats& f) {
    const double rate = f.generated ? 100.0 * static_cast<double>(f.accepted) /
                                          static_cast<double>(f.generated)
                                    : 0;
    s += fmt::format("{:<11} {:>10} {:>8} {:>10} {:>6.1f}% {:>9} {:>10} {:>8}\n", name,
                     f.generated, f.invalid, f.accepted, rate, f.not_runnable, f.runs, f.trapped);
  };
  for (const auto& [name, f] : r.families) line(name, f);
  line("total", r.total);
  s += fmt::format("{:.1f} s, {:.0f} programs/s, {:.0f} accepted/s\n", r.seconds,
                   static_cast<double>(r.total.generated) / std::max(r.seconds, 1e-9),
                   static_cast<double>(r.total.accepted) / std::max(r.seconds, 1e-9));
  return s;
}

std::string format_reasons(const SweepResult& r, size_t top) {
  std::map<std::string, std::vector<std::pair<uint64_t, std::string>>> by_family;
  for (const auto& [key, n] : r.reasons) {
    const size_t colon = key.find(": ");
    by_family[key.substr(0, colon)].emplace_back(n, key.substr(colon + 2));
  }
  std::string s;
  for (auto& [family, list] : by_family) {
    std::sort(list.rbegin(), list.rend());
    s += family + " rejections:\n";
    for (size_t i = 0; i < list.size() && i < top; ++i) {
      s += fmt::format("  {:>8}  {}\n", list[i].first, list[i].second);
      const auto ex = r.examples.find(family + ": " + list[i].second);
      if (ex != r.examples.end()) s += fmt::format("            e.g. {}\n", ex->second.substr(0, 160));
    }
  }
  return s;
}

}  // namespace bpfjit::soundness
