// bpfjit-soundness: the long mode of the verifier's soundness oracle.
//   bpfjit-soundness [--programs N] [--seed S] [--threads T] [--seconds X] [--family F]
//                    [--catalogue DIR] [--objects DIR] [--inputs K] [--complexity N]
//                    [--reasons]
// --reasons prints the most frequent rejection reasons of each family (to tune it).
// --complexity lowers the verifier's limit of processed instructions (the kernel's
// 1,000,000 by default): a program refused at the limit is never run, and the few that
// need so much work to be refused cost most of a sweep's time.
// Program i of a sweep is generated from seed S + i: sweeps that are to add up to a series
// must start N or more apart (S, S + N, S + 2N, ...), or they run the same programs again.
// Generates N programs on the edge of safety (test/soundness/gen.h), verifies each and runs
// every accepted one in checked mode on both engines; prints the counts per family and
// every fault of an accepted program (a verifier bug), and exits 1 when there was one.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "test/soundness/driver.h"

int main(int argc, char** argv) {
  bpfjit::soundness::SweepOptions o;
  bool reasons = false;
  o.programs = 100000;
#ifdef BPFJIT_CATALOGUE_DIR
  o.gen.catalogue_dir = BPFJIT_CATALOGUE_DIR;
#endif
#ifdef BPFJIT_BPF_PROGS_DIR
  o.gen.objects_dir = BPFJIT_BPF_PROGS_DIR;
#endif
  o.max_reports = 20;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--programs") {
      o.programs = std::strtoull(next(), nullptr, 10);
    } else if (a == "--seed") {
      o.seed = std::strtoull(next(), nullptr, 10);
    } else if (a == "--threads") {
      o.threads = static_cast<uint32_t>(std::max(1UL, std::strtoul(next(), nullptr, 10)));
    } else if (a == "--seconds") {
      o.seconds = std::strtod(next(), nullptr);
    } else if (a == "--family") {
      o.family = next();
    } else if (a == "--catalogue") {
      o.gen.catalogue_dir = next();
    } else if (a == "--objects") {
      o.gen.objects_dir = next();
    } else if (a == "--reasons") {
      reasons = true;
    } else if (a == "--complexity") {
      o.oracle.complexity_limit = std::strtoull(next(), nullptr, 10);
    } else if (a == "--inputs") {
      o.oracle.inputs = static_cast<uint32_t>(std::strtoul(next(), nullptr, 10));
    } else {
      std::fprintf(stderr,
                   "usage: bpfjit-soundness [--programs N] [--seed S] [--threads T] "
                   "[--seconds X] [--family F] [--catalogue DIR] [--objects DIR] [--inputs K] [--complexity N] [--reasons]\n"
                   "program i uses seed S + i: the sweeps of one series start N or more apart\n");
      return 2;
    }
  }
  auto r = bpfjit::soundness::sweep(o);
  for (const auto& rep : r.reports) std::printf("%s\n", rep.c_str());
  if (reasons) std::printf("%s", bpfjit::soundness::format_reasons(r).c_str());
  std::printf("%s", bpfjit::soundness::format_stats(r).c_str());
  return r.total.trapped == 0 ? 0 : 1;
}
