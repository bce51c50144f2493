// bpfjit-fuzz: the long mode of the differential test.
//   bpfjit-fuzz --seeds N [--start S] [--trusted] [--harden]
// Runs N random programs from seed S on the interpreter and the JIT; on the first mismatch
// prints the seed, the difference and a shrunk reproducer, and exits 1.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "test/jit/differential.h"
#include "test/jit/progen.h"

int main(int argc, char** argv) {
  uint64_t seeds = 100000, start = 1;
  bool trusted = false, harden = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seeds" && i + 1 < argc) {
      seeds = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--start" && i + 1 < argc) {
      start = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--trusted") {
      trusted = true;
    } else if (a == "--harden") {
      harden = true;
    } else {
      std::fprintf(stderr, "usage: bpfjit-fuzz --seeds N [--start S] [--trusted] [--harden]\n");
      return 2;
    }
  }
  bpfjit::test::ProgenOptions po;
  if (trusted) po.wild_access_permille = 0;
  bpfjit::test::DiffOptions d;
  d.trusted = trusted;
  d.harden = harden;
  for (uint64_t seed = start; seed < start + seeds; ++seed) {
    auto prog = bpfjit::test::generate_program(seed, po);
    d.input_seed = seed;
    if (auto diff = bpfjit::test::diff_engines(prog, d)) {
      auto small = bpfjit::test::shrink_mismatch(prog, d);
      std::printf("seed %llu: %s\nreproducer (%zu slots):\n%s", static_cast<unsigned long long>(seed),
                  diff->c_str(), small.size(), bpfjit::test::program_text(small).c_str());
      return 1;
    }
    if ((seed - start + 1) % 100000 == 0) {
      std::fprintf(stderr, "%llu programs agree\n", static_cast<unsigned long long>(seed - start + 1));
    }
  }
  std::printf("%llu programs from seed %llu: the engines agree\n",
              static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(start));
  return 0;
}
