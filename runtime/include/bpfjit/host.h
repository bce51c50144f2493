/// @file
/// The host environment programs see through their helpers: a clock (bpf_ktime_get_ns,
/// bpf_ktime_get_boot_ns, bpf_ktime_get_coarse_ns, bpf_jiffies64), a random generator
/// (bpf_get_prandom_u32) and a network (devices, routes and neighbours for bpf_fib_lookup
/// and bpf_check_mtu). A Runtime owns one (Runtime::host()); every program it loaded reads
/// it. By default it is the real host's clocks and randomness and the network of the
/// kernel's test run in a fresh network namespace (the loopback device alone), so that
/// tests that set nothing see what they would see on a kernel.
///
/// Threads. Runs read it while the host changes it: each setter is atomic (a run sees the
/// old or the new state, never a mix); set_network() replaces the whole table at once.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace bpfjit {

/// A network device of HostNetwork: what bpf_check_mtu and bpf_fib_lookup know of it.
/// Every device is an Ethernet device (a 14-byte hard header) and up.
struct NetDevice {
  uint32_t ifindex = 0;              ///< its index, as the kernel's (1 is loopback)
  uint32_t mtu = 1500;               ///< L3 MTU
  std::array<uint8_t, 6> mac{};      ///< its address (bpf_fib_lookup's smac)
  bool forwarding = false;           ///< IPv4 and IPv6 forwarding enabled on it (sysctl
                                     ///< net.ipv4.conf.DEV.forwarding, ...); without it
                                     ///< fib_lookup answers BPF_FIB_LKUP_RET_FWD_DISABLED
  std::array<uint8_t, 4> ipv4{};     ///< its IPv4 address (BPF_FIB_LOOKUP_SRC), 0: none
  std::array<uint8_t, 16> ipv6{};    ///< its IPv6 address (BPF_FIB_LOOKUP_SRC), 0: none
};

/// What a route does with the packets it matches (the kernel's RTN_* route types).
enum class RouteType : uint8_t {
  kUnicast,      ///< forwarded through `ifindex` (BPF_FIB_LKUP_RET_SUCCESS)
  kLocal,        ///< for this host: not forwarded (BPF_FIB_LKUP_RET_NOT_FWDED)
  kBlackhole,    ///< BPF_FIB_LKUP_RET_BLACKHOLE
  kUnreachable,  ///< BPF_FIB_LKUP_RET_UNREACHABLE
  kProhibit,     ///< BPF_FIB_LKUP_RET_PROHIBIT
};

/// A route of HostNetwork. Addresses are in network byte order; IPv4 ones use the first 4
/// bytes of their array.
struct Route {
  bool ipv6 = false;                 ///< an IPv6 route (else IPv4)
  std::array<uint8_t, 16> prefix{};  ///< the destination prefix
  uint8_t prefix_len = 0;            ///< its length in bits (0: the default route)
  RouteType type = RouteType::kUnicast;
  uint32_t ifindex = 0;              ///< unicast: the output device (must be in devices)
  bool has_gateway = false;          ///< the next hop is `gateway`, else the destination
  std::array<uint8_t, 16> gateway{}; ///< the next hop (same family as the route)
  uint32_t mtu = 0;                  ///< the route's MTU, as `ip route ... mtu lock N`; 0:
                                     ///< the device's MTU (capped at 65535, IPv6 65575)
  uint32_t metric = 0;               ///< its priority: among routes of one prefix the lowest
                                     ///< wins; bpf_fib_lookup reports it in rt_metric
  uint32_t table = 254;              ///< its routing table (RT_TABLE_MAIN)
  std::array<uint8_t, 16> prefsrc{}; ///< its preferred source (BPF_FIB_LOOKUP_SRC), 0: the
                                     ///< device's address
};

/// A resolved neighbour (an ARP or NDP entry in a valid state).
struct Neighbour {
  uint32_t ifindex = 0;              ///< the device it is reached through
  bool ipv6 = false;
  std::array<uint8_t, 16> addr{};    ///< its address, network byte order
  std::array<uint8_t, 6> mac{};      ///< its link-layer address (bpf_fib_lookup's dmac)
};

/// The network bpf_fib_lookup and bpf_check_mtu answer from. The default is the kernel's
/// test run in a fresh network namespace: the loopback device (ifindex 1, MTU 65536, no
/// forwarding) and no routes.
struct HostNetwork {
  static constexpr uint32_t kLoopbackMtu = 65536;
  std::vector<NetDevice> devices = {NetDevice{1, kLoopbackMtu, {}, false, {}, {}}};
  std::vector<Route> routes;
  std::vector<Neighbour> neighbours;

  /// The device `ifindex`, or nullptr.
  const NetDevice* device(uint32_t ifindex) const;
};

/// The clock, random generator and network of a Runtime's programs (Runtime::host()).
class HostEnvironment {
 public:
  /// The kernel's CONFIG_HZ (Debian's kernels: 250): bpf_jiffies64 counts at this rate.
  static constexpr uint64_t kHz = 250;
  /// The kernel's INITIAL_JIFFIES on 64-bit (-300 s as 32 bits): jiffies at boot.
  static constexpr uint64_t kInitialJiffies = 0x100000000ULL - 300 * kHz;

  HostEnvironment();
  ~HostEnvironment();
  HostEnvironment(const HostEnvironment&) = delete;
  HostEnvironment& operator=(const HostEnvironment&) = delete;

  // ---- the clock ------------------------------------------------------------------------
  /// Fixes the clock: from now on bpf_ktime_get_ns and bpf_ktime_get_coarse_ns give `ns`
  /// until the host sets or advances it again (tests are then deterministic).
  void set_time_ns(uint64_t ns);
  /// Moves the fixed clock forward by `ns` (fixes it at the real time first if it was not).
  void advance_time_ns(uint64_t ns);
  /// bpf_ktime_get_boot_ns = the fixed monotonic time + this offset (time spent suspended;
  /// 0 by default). The real clock uses CLOCK_BOOTTIME instead.
  void set_boot_offset_ns(uint64_t ns);
  /// Back to the host's clocks (CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_MONOTONIC_COARSE).
  void use_real_clock();
  bool clock_fixed() const;
  /// What bpf_ktime_get_ns, bpf_ktime_get_boot_ns, bpf_ktime_get_coarse_ns and bpf_jiffies64
  /// give now. jiffies64 = kInitialJiffies + monotonic ns * kHz / 1e9.
  uint64_t ktime_ns() const;
  uint64_t boot_ns() const;
  uint64_t coarse_ns() const;
  uint64_t jiffies64() const;

  // ---- bpf_get_prandom_u32 --------------------------------------------------------------
  /// Makes bpf_get_prandom_u32 a deterministic sequence: the n-th call since this one,
  /// counted over every run of every program of the runtime, gives the same number for
  /// the same seed (with runs on several threads the calls interleave in any order).
  void set_prandom_seed(uint64_t seed);
  /// Back to a generator seeded from the system's entropy (one per thread).
  void use_real_prandom();
  /// The next number bpf_get_prandom_u32 gives.
  uint32_t prandom_u32();

  // ---- the network ----------------------------------------------------------------------
  /// Replaces the network bpf_fib_lookup and bpf_check_mtu answer from.
  void set_network(HostNetwork net);
  /// The current network (a snapshot: later set_network calls do not change it).
  std::shared_ptr<const HostNetwork> network() const;

 private:
  std::atomic<bool> fixed_{false};
  std::atomic<uint64_t> time_ns_{0};
  std::atomic<uint64_t> boot_offset_ns_{0};
  std::atomic<bool> seeded_{false};
  std::atomic<uint64_t> seed_{0};
  std::atomic<uint64_t> draws_{0};
  mutable std::mutex net_mu_;
  std::shared_ptr<const HostNetwork> net_;
};

}  // namespace bpfjit
