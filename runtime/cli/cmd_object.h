// ELF objects on the command line: `bpfjit run OBJ.o` (the run subcommand hands ELF files
// over to run_object()) and `bpfjit inspect OBJ.o` (cmd_inspect.cc).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <map>
#include <string>

#include "runtime/isa/result.h"

#include "bpfjit/runtime.h"
#include "runtime/cli/host_cli.h"
#include "runtime/engine.h"

namespace bpfjit::cli {

// --btf FILE and --kconfig FILE (verify, run, inspect): CO-RE's target BTF and the values
// of .kconfig externs.
struct BtfCliOptions {
  std::string btf;      // target BTF file
  std::string kconfig;  // kernel config file (the format of /boot/config-*)
};

// Adds --btf and --kconfig to `app`.
void add_btf_options(CLI::App* app, BtfCliOptions& o);

// What the loader gets from those options: the target BTF path and the .kconfig values.
// For the linux platform, /sys/kernel/btf/vmlinux is the default target BTF and
// LINUX_KERNEL_VERSION (uname) and the other platform values are defaults the config file
// may override.
struct BtfSettings {
  std::string target_btf;
  std::map<std::string, std::string> kconfig;
};
Result<BtfSettings> btf_settings(const BtfCliOptions& o, bool linux_platform);
// The runtime's load settings of `run` and `inspect`: the program type override and the
// BTF options (runtime platform).
Result<LoadSettings> object_load_settings(const std::string& type, const BtfCliOptions& o);

// The run subcommand's options that only apply to ELF objects.
struct ObjectRunOptions {
  std::string program;  // function or section name; default: the object's first program
  std::string type;     // program type override: mem, xdp, socket_filter
  std::string packet;   // file whose bytes are the packet (xdp, socket_filter)
  std::string packet_out;  // file that receives the packet as the program left it
  std::string ctx_in;   // file whose bytes are the kernel's context struct (struct xdp_md)
  std::string ctx_out;  // file that receives the context struct back
  uint64_t repeat = 1;  // runs; the last run's r0 is printed
  std::string pcap;     // capture whose every packet is run (--pcap)
  std::string pcap_out; // capture that receives the packets as the program left them
  bool json = false;    // --pcap: one JSON object per packet
  bool dump_maps = false;
  bool checked = false; // skip the verifier, check accesses at run time (--checked)
  bool harden = false;  // JIT: constant blinding (--harden)
  BtfCliOptions btf;    // --btf, --kconfig
  HostCliOptions host;  // --time-ns, --seed, --cpu, --device, --route, --neigh
};

// Adds --program, --type, --packet, --packet-out, --ctx-in, --ctx-out, --repeat, --pcap,
// --pcap-out, --json, --dump-maps, --btf and --kconfig to `run`.
void add_object_run_options(CLI::App* run, ObjectRunOptions& o);

// True when the file starts with the ELF magic.
bool is_elf_file(const std::string& path);

// Loads the object, runs one program on --mem or --packet and prints r0 as 0x... on the
// last line of stdout (maps before it with --dump-maps). A packet run is a test run as the
// kernel's BPF_PROG_TEST_RUN (Program::test_run): --ctx-in, --packet-out and --ctx-out
// are its ctx_in, data_out and ctx_out, and --repeat runs it on what the last run left.
// Returns the exit code.
int run_object(const std::string& path, const std::string& mem, EngineKind engine,
               uint64_t budget, const ObjectRunOptions& o);

// Runs every packet of the capture o.pcap through `prog` (a test run each, the maps
// carried over), prints a line per packet (index, retval, its name, length, redirect
// target; JSON with o.json) and a summary, and writes o.pcap_out. Returns the exit code
// (1 when a packet's run failed).
int run_pcap(const Program& prog, const bpfjit::RunOptions& ropts, const ObjectRunOptions& o);

}  // namespace bpfjit::cli
