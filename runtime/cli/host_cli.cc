#include "runtime/cli/host_cli.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cstring>
#include <sstream>

namespace bpfjit::cli {
namespace {

Diagnostic bad(const std::string& spec, const std::string& why) {
  return make_error(ErrorCode::kInvalidArgument, fmt::format("'{}': {}", spec, why));
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ',')) out.push_back(part);
  return out;
}

// key=value, or a bare word (value empty).
std::pair<std::string, std::string> key_value(const std::string& part) {
  const size_t eq = part.find('=');
  if (eq == std::string::npos) return {part, ""};
  return {part.substr(0, eq), part.substr(eq + 1)};
}

bool parse_u32(const std::string& s, uint32_t* out) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 10) {
    return false;
  }
  const uint64_t v = std::stoull(s);
  if (v > UINT32_MAX) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

// An IPv4 or IPv6 address into `out`; `ipv6` says which it was.
bool parse_addr(const std::string& s, std::array<uint8_t, 16>* out, bool* ipv6) {
  *out = {};
  if (inet_pton(AF_INET, s.c_str(), out->data()) == 1) {
    *ipv6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), out->data()) == 1) {
    *ipv6 = true;
    return true;
  }
  return false;
}

bool parse_mac(const std::string& s, std::array<uint8_t, 6>* out) {
  unsigned b[6];
  char tail = 0;
  if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                  &tail) != 6) {
    return false;
  }
  for (int i = 0; i < 6; ++i) {
    if (b[i] > 0xff) return false;
    (*out)[i] = static_cast<uint8_t>(b[i]);
  }
  return true;
}

}  // namespace

Result<NetDevice> parse_device(const std::string& spec) {
  const auto parts = split(spec);
  NetDevice d;
  if (parts.empty() || !parse_u32(parts[0], &d.ifindex) || d.ifindex == 0) {
    return bad(spec, "a device starts with its ifindex (1 or more)");
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    auto [k, v] = key_value(parts[i]);
    std::array<uint8_t, 16> a{};
    bool v6 = false;
    if (k == "mtu" && parse_u32(v, &d.mtu)) continue;
    if (k == "mac" && parse_mac(v, &d.mac)) continue;
    if (k == "forwarding" && v.empty()) {
      d.forwarding = true;
      continue;
    }
    if (k == "ipv4" && parse_addr(v, &a, &v6) && !v6) {
      std::memcpy(d.ipv4.data(), a.data(), 4);
      continue;
    }
    if (k == "ipv6" && parse_addr(v, &a, &v6) && v6) {
      d.ipv6 = a;
      continue;
    }
    return bad(spec, fmt::format("cannot read '{}' (mtu=N, mac=M, forwarding, ipv4=A, ipv6=A)",
                                 parts[i]));
  }
  return d;
}

Result<Route> parse_route(const std::string& spec) {
  const auto parts = split(spec);
  Route r;
  const size_t slash = parts.empty() ? std::string::npos : parts[0].find('/');
  uint32_t len = 0;
  if (slash == std::string::npos || !parse_addr(parts[0].substr(0, slash), &r.prefix, &r.ipv6) ||
      !parse_u32(parts[0].substr(slash + 1), &len) || len > (r.ipv6 ? 128U : 32U)) {
    return bad(spec, "a route starts with PREFIX/LEN (IPv4 or IPv6)");
  }
  r.prefix_len = static_cast<uint8_t>(len);
  for (size_t i = 1; i < parts.size(); ++i) {
    auto [k, v] = key_value(parts[i]);
    bool v6 = false;
    if (k == "dev" && parse_u32(v, &r.ifindex)) continue;
    if (k == "mtu" && parse_u32(v, &r.mtu)) continue;
    if (k == "metric" && parse_u32(v, &r.metric)) continue;
    if (k == "table" && parse_u32(v, &r.table)) continue;
    if (k == "via" && parse_addr(v, &r.gateway, &v6) && v6 == r.ipv6) {
      r.has_gateway = true;
      continue;
    }
    if (k == "src" && parse_addr(v, &r.prefsrc, &v6) && v6 == r.ipv6) continue;
    if (k == "type") {
      static const std::pair<const char*, RouteType> kTypes[] = {
          {"unicast", RouteType::kUnicast},         {"local", RouteType::kLocal},
          {"blackhole", RouteType::kBlackhole},     {"unreachable", RouteType::kUnreachable},
          {"prohibit", RouteType::kProhibit}};
      bool found = false;
      for (const auto& [name, type] : kTypes) {
        if (v == name) {
          r.type = type;
          found = true;
        }
      }
      if (found) continue;
    }
    return bad(spec, fmt::format("cannot read '{}' (dev=N, via=A, mtu=N, metric=N, table=N, "
                                 "src=A, type=unicast|local|blackhole|unreachable|prohibit)",
                                 parts[i]));
  }
  if (r.type == RouteType::kUnicast && r.ifindex == 0) return bad(spec, "a unicast route needs dev=N");
  return r;
}

Result<Neighbour> parse_neighbour(const std::string& spec) {
  const auto parts = split(spec);
  Neighbour n;
  if (parts.empty() || !parse_addr(parts[0], &n.addr, &n.ipv6)) {
    return bad(spec, "a neighbour starts with its IPv4 or IPv6 address");
  }
  bool mac = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    auto [k, v] = key_value(parts[i]);
    if (k == "dev" && parse_u32(v, &n.ifindex)) continue;
    if (k == "mac" && parse_mac(v, &n.mac)) {
      mac = true;
      continue;
    }
    return bad(spec, fmt::format("cannot read '{}' (dev=N, mac=M)", parts[i]));
  }
  if (n.ifindex == 0 || !mac) return bad(spec, "a neighbour needs dev=N and mac=M");
  return n;
}

void add_host_options(CLI::App* run, HostCliOptions& o) {
  run->add_option("--time-ns", o.time_ns,
                  "fix the clock: bpf_ktime_get_ns (and _coarse_ns) give N, jiffies64 counts "
                  "at 250 Hz from it (default: the host's clocks)");
  run->add_option("--boot-offset-ns", o.boot_offset_ns,
                  "with --time-ns: bpf_ktime_get_boot_ns = N + this");
  run->add_option("--seed", o.seed,
                  "bpf_get_prandom_u32 gives the sequence of this seed (over all runs)");
  run->add_option("--cpu", o.cpu,
                  "the CPU of the runs: bpf_get_smp_processor_id and the per-CPU map slot")
      ->check(CLI::Range(0, 127));
  run->add_option("--device", o.devices,
                  "a network device for bpf_fib_lookup / bpf_check_mtu: "
                  "IFINDEX[,mtu=N][,mac=M][,forwarding][,ipv4=A][,ipv6=A] (repeatable; "
                  "loopback, 1, MTU 65536, is there unless redefined)");
  run->add_option("--route", o.routes,
                  "a route: PREFIX/LEN[,dev=N][,via=A][,mtu=N][,metric=N][,table=N][,src=A]"
                  "[,type=unicast|local|blackhole|unreachable|prohibit] (repeatable)");
  run->add_option("--neigh", o.neighbours, "a neighbour: ADDR,dev=N,mac=M (repeatable)");
}

Result<void> apply_host_options(const HostCliOptions& o, Runtime& rt, RunOptions& opts) {
  HostEnvironment& host = rt.host();
  if (o.time_ns) {
    host.set_time_ns(*o.time_ns);
    host.set_boot_offset_ns(o.boot_offset_ns);
  }
  if (o.seed) host.set_prandom_seed(*o.seed);
  if (o.cpu) opts.cpu = *o.cpu;
  if (o.devices.empty() && o.routes.empty() && o.neighbours.empty()) return {};
  HostNetwork net;
  for (const std::string& s : o.devices) {
    auto d = parse_device(s);
    if (!d) return d.take_error();
    if (d->ifindex == 1) net.devices.erase(net.devices.begin());  // redefines loopback
    net.devices.push_back(*d);
  }
  for (const std::string& s : o.routes) {
    auto r = parse_route(s);
    if (!r) return r.take_error();
    net.routes.push_back(*r);
  }
  for (const std::string& s : o.neighbours) {
    auto n = parse_neighbour(s);
    if (!n) return n.take_error();
    net.neighbours.push_back(*n);
  }
  host.set_network(std::move(net));
  return {};
}

std::string describe_redirect(const Redirect& r) {
  const char* kind = "";
  switch (r.kind) {
    case Redirect::Kind::kNone: return "";
    case Redirect::Kind::kIfindex: kind = "ifindex"; break;
    case Redirect::Kind::kCpu: kind = "cpu"; break;
    case Redirect::Kind::kXsk: kind = "xsk queue"; break;
  }
  if (r.map.empty()) return fmt::format("redirect: {} {} (flags 0x{:x})", kind, r.target, r.flags);
  return fmt::format("redirect: {} {} (map {}, key {}, flags 0x{:x})", kind, r.target, r.map,
                     r.key, r.flags);
}

}  // namespace bpfjit::cli
