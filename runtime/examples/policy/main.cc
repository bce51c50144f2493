// example_policy_service: filters a stream of requests with a policy object, and reloads a
// new version of the object while the requests keep flowing.
//
//   example_policy_service --policy policy_v1.o [--reload policy_v2.o --reload-after N]
//                          [--workers N] [--queue N] REQUESTS
//
// Prints one line per request, "ID vVERSION allow|deny REASON", in the order the workers
// finished them, then the policy's counters as lines starting with '#'. Exits 1 on any
// error (bad arguments or input, a policy the verifier refuses, a failed run).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "policy_service.h"

namespace {

int usage(const char* why) {
  std::fprintf(stderr,
               "error: %s\nusage: example_policy_service --policy OBJ [--reload OBJ "
               "--reload-after N] [--workers N] [--queue N] REQUESTS\n",
               why);
  return 1;
}

bool parse_count(const char* s, uint64_t& out) {
  char* end = nullptr;
  out = std::strtoull(s, &end, 10);
  return end != s && *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  std::string policy, requests;
  policy_example::ServeOptions opts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    uint64_t n = 0;
    if (arg == "--policy" && has_value) {
      policy = argv[++i];
    } else if (arg == "--reload" && has_value) {
      opts.reload_path = argv[++i];
    } else if (arg == "--reload-after" && has_value && parse_count(argv[i + 1], n)) {
      opts.reload_after = n;
      ++i;
    } else if (arg == "--workers" && has_value && parse_count(argv[i + 1], n) && n > 0 &&
               n <= 64) {
      opts.workers = static_cast<unsigned>(n);
      ++i;
    } else if (arg == "--queue" && has_value && parse_count(argv[i + 1], n) && n > 0) {
      opts.queue_capacity = n;
      ++i;
    } else if (!arg.empty() && arg[0] != '-' && requests.empty()) {
      requests = arg;
    } else {
      return usage(("bad argument '" + arg + "'").c_str());
    }
  }
  if (policy.empty() || requests.empty()) return usage("--policy and REQUESTS are required");

  std::ifstream in(requests);
  if (!in) {
    std::fprintf(stderr, "error: cannot open %s\n", requests.c_str());
    return 1;
  }
  bpfjit::Runtime rt;
  policy_example::PolicyService service(rt);
  if (auto r = service.start(policy); !r) {
    std::fprintf(stderr, "error: %s\n", r.error().to_string().c_str());
    return 1;
  }
  auto summary = service.serve(in, opts);
  if (!summary) {
    std::fprintf(stderr, "error: %s\n", summary.error().to_string().c_str());
    return 1;
  }
  auto counters = service.counters();
  if (!counters) {
    std::fprintf(stderr, "error: %s\n", counters.error().to_string().c_str());
    return 1;
  }

  std::string out;
  for (const auto& d : summary->decisions) {
    out += std::to_string(d.id) + " v" + std::to_string(d.version) +
           (d.allowed ? " allow " : " deny ") + policy_example::reason_name(d.reason) + "\n";
  }
  out += "# requests " + std::to_string(summary->requests) + "\n";
  if (summary->reloaded) {
    out += "# reloaded " + opts.reload_path + " after " + std::to_string(opts.reload_after) +
           " requests\n";
  }
  for (uint32_t r = 0; r < REASON_COUNT; ++r) {
    if (counters->reasons[r] == 0) continue;
    out += std::string("# reason ") + policy_example::reason_name(r) + " " +
           std::to_string(counters->reasons[r]) + "\n";
  }
  for (uint32_t v = 0; v < 4; ++v) {
    if (counters->decided_by[v] == 0) continue;
    out += "# decided_by v" + std::to_string(v) + " " + std::to_string(counters->decided_by[v]) +
           "\n";
  }
  out += "# allowed_bytes " + std::to_string(counters->allowed_bytes) + "\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
