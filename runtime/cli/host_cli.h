// The host environment on the command line (`bpfjit run`): --time-ns, --boot-offset-ns,
// --seed, --cpu, and the network of bpf_fib_lookup and bpf_check_mtu as --device, --route
// and --neigh specs.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bpfjit/runtime.h"

namespace bpfjit::cli {

struct HostCliOptions {
  std::optional<uint64_t> time_ns;
  uint64_t boot_offset_ns = 0;
  std::optional<uint64_t> seed;
  std::optional<uint32_t> cpu;
  std::vector<std::string> devices;     // IFINDEX[,mtu=N][,mac=M][,forwarding][,ipv4=A][,ipv6=A]
  std::vector<std::string> routes;      // PREFIX/LEN[,dev=N][,via=A][,mtu=N][,metric=N]...
  std::vector<std::string> neighbours;  // ADDR,dev=N,mac=M
};

// Adds the options to `run`.
void add_host_options(CLI::App* run, HostCliOptions& o);

// Sets `rt`'s host environment and `opts.cpu` from them; an error names the bad spec.
Result<void> apply_host_options(const HostCliOptions& o, Runtime& rt, RunOptions& opts);

// A device, route or neighbour spec as HostNetwork holds it (exposed for tests).
Result<NetDevice> parse_device(const std::string& spec);
Result<Route> parse_route(const std::string& spec);
Result<Neighbour> parse_neighbour(const std::string& spec);

// "redirect: ifindex 2 (map tx_port, key 2, flags 0x0)" or "" for none.
std::string describe_redirect(const Redirect& r);

}  // namespace bpfjit::cli
