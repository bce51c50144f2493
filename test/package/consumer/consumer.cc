// A C++ host of the installed bpfjit: loads xdp_filter, runs it on a telnet packet and a
// web packet, and checks the verdicts and the counters in its stats map.
// Usage: consumer_cpp BPF_PROGS_DIR
#include <bpfjit/runtime.h>

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  bpfjit::Runtime rt;
  auto obj = rt.load_file(std::string(argv[1]) + "/xdp_filter.v4.o");
  if (!obj) {
    std::fprintf(stderr, "load: %s\n", obj.error().to_string().c_str());
    return 1;
  }
  bpfjit::Program* prog = (*obj)->program("xdp_filter");
  if (prog == nullptr) return 1;
  if (auto r = prog->prepare(); !r) {
    std::fprintf(stderr, "prepare: %s\n", r.error().to_string().c_str());
    return 1;
  }
  std::vector<uint8_t> pkt = {2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0x08, 0x00,
                              0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1,
                              10, 0, 0, 2, 0x9c, 0x40, 0, 23};
  pkt.resize(54);
  pkt[46] = 0x50;
  auto telnet = prog->run(pkt);
  pkt[37] = 80;
  auto web = prog->run(pkt);
  if (!telnet || !web) return 1;
  bpfjit::Map* stats = (*obj)->map("stats");
  auto tcp = stats->get<uint32_t, uint64_t>(2);   // STAT_TCP
  auto drop = stats->get<uint32_t, uint64_t>(4);  // STAT_DROP
  if (!tcp || !drop) return 1;
  std::printf("bpfjit %s (%s): telnet %llu web %llu tcp %llu drop %llu\n", bpfjit::version(),
              prog->engine_name(), static_cast<unsigned long long>(*telnet),
              static_cast<unsigned long long>(*web), static_cast<unsigned long long>(*tcp),
              static_cast<unsigned long long>(*drop));
  bool ok = *telnet == 1 && *web == 2 && *tcp == 2 && *drop == 1;  // XDP_DROP, XDP_PASS
  return ok ? 0 : 1;
}
