// `bpfjit run OBJ.o`: an ELF object's program run through the public runtime API.
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <fstream>

#include "bpfjit/runtime.h"
#include "helpers/map_types.h"
#include "runtime/cli/cmd_object.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/program_io.h"
#include "runtime/loader/btf_relo.h"

namespace bpfjit::cli {

namespace {

std::string hex(const void* p, size_t n) {
  std::string out;
  const auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", b[i]);
  return out;
}

bool all_zero(const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

// Prints every map's contents: entries as key: value in hex (array entries that are all
// zero are left out; a map-in-map's values are inner map ids), ring buffer and perf
// buffer records.
void dump_maps(const Object& obj) {
  constexpr int kMaxLines = 256;
  for (Map* m : obj.maps()) {
    fmt::print("map {} ({}, key {}, value {}, max_entries {}):\n", m->name(),
               map_type_name(m->type()), m->key_size(), m->value_size(), m->max_entries());
    int lines = 0;
    const MapTypeInfo* row = map_type_info(m->type());
    if (row == nullptr || !row->runtime) {
      fmt::print("  (not supported at run time)\n");
      continue;
    }
    if (m->type() == MapType::kRingbuf) {
      (void)m->consume([&](std::span<const uint8_t> rec) {
        if (lines++ < kMaxLines) fmt::print("  record: {}\n", hex(rec.data(), rec.size()));
        return true;
      });
      continue;
    }
    if (m->type() == MapType::kPerfEventArray) {
      (void)m->perf_consume([&](uint32_t cpu, std::span<const uint8_t> rec) {
        if (lines++ < kMaxLines) fmt::print("  cpu{} record: {}\n", cpu, hex(rec.data(), rec.size()));
        return true;
      });
      continue;
    }
    // Keyless types (queue, stack, bloom_filter) and tail-call tables have nothing to list.
    if (m->key_size() == 0 || m->type() == MapType::kProgArray) {
      fmt::print("  (not iterable)\n");
      continue;
    }
    const bool array = row->impl == MapImpl::kArray;
    const uint32_t vsize = m->value_bytes();
    m->for_each([&](std::span<const uint8_t> key, std::span<const uint8_t> value) {
      if (array && all_zero(value.data(), vsize)) return true;
      if (m->value_slots() > 1) {
        // the slots in use
        const uint32_t stride = (m->value_size() + 7) / 8 * 8;
        std::string slots;
        for (uint32_t s = 0; s < m->value_slots(); ++s) {
          const uint8_t* v = value.data() + s * stride;
          if (!all_zero(v, m->value_size())) {
            slots += fmt::format(" cpu{}={}", s, hex(v, m->value_size()));
          }
        }
        fmt::print("  {}:{}\n", hex(key.data(), key.size()), slots);
      } else {
        fmt::print("  {}: {}\n", hex(key.data(), key.size()), hex(value.data(), vsize));
      }
      return ++lines < kMaxLines;
    });
  }
  for (const GlobalData& d : obj.global_data()) {
    if (d.readonly) continue;
    fmt::print("{} ({} bytes): {}\n", d.name, d.bytes.size(),
               hex(d.bytes.data(), std::min<size_t>(d.bytes.size(), 256)));
  }
}

// A packet run as the kernel's BPF_PROG_TEST_RUN: data_in from --packet, ctx_in from
// --ctx-in; data_out and ctx_out into --packet-out and --ctx-out.
int test_run_object(const Object& obj, const Program& prog, const std::vector<uint8_t>& data,
                    const bpfjit::RunOptions& ropts, const ObjectRunOptions& o) {
  std::vector<uint8_t> ctx;
  if (!o.ctx_in.empty()) {
    auto bytes = read_file(o.ctx_in);
    if (!bytes) {
      print_error(kToolName, bytes.error());
      return 1;
    }
    ctx = std::move(*bytes);
  }
  if (o.repeat > UINT32_MAX) {
    print_error(kToolName, make_error(ErrorCode::kInvalidArgument,
                                      "a packet run repeats at most 4294967295 times"));
    return 2;
  }
  TestRunInput in;
  in.data = data;
  in.ctx = ctx;
  in.repeat = static_cast<uint32_t>(o.repeat);
  in.options = ropts;
  auto r = prog.test_run(in);
  if (!r) {
    print_error(kToolName, r.error());
    return 1;
  }
  for (const auto& [path, bytes] : {std::pair{&o.packet_out, &r->data_out},
                                    std::pair{&o.ctx_out, &r->ctx_out}}) {
    if (path->empty()) continue;
    if (auto w = write_file(*path, *bytes); !w) {
      print_error(kToolName, w.error());
      return 1;
    }
  }
  if (o.repeat > 1) {
    fmt::print("{} runs on {}: {} ns per run\n", o.repeat, prog.engine_name(), r->duration_ns);
  }
  if (o.dump_maps) dump_maps(obj);
  if (std::string redirect = describe_redirect(r->redirect); !redirect.empty()) {
    fmt::print("{}\n", redirect);
  }
  fmt::print("0x{:x}\n", r->r0);
  return 0;
}

}  // namespace

void add_object_run_options(CLI::App* run, ObjectRunOptions& o) {
  run->add_option("--program", o.program,
                  "ELF objects: the program to run, by function or section name (default: "
                  "the first)");
  run->add_option("--type", o.type,
                  "ELF objects: the program type (mem, xdp, socket_filter), instead of the "
                  "one the section name implies");
  run->add_option("--packet", o.packet,
                  "ELF objects: file whose bytes are the packet of an xdp, tc, cgroup_skb or "
                  "socket_filter program (run as the kernel's test run; a socket filter "
                  "sees it from the network header)")
      ->check(CLI::ExistingFile);
  run->add_option("--packet-out", o.packet_out,
                  "ELF objects: file that receives the packet as the program left it (xdp: "
                  "from data_meta, the metadata then the packet, as the kernel's test run)");
  run->add_option("--ctx-in", o.ctx_in,
                  "ELF objects: file whose bytes are the context struct of the test run "
                  "(xdp: struct xdp_md; data sets the metadata length, data_end the "
                  "packet's length; tc, cgroup_skb, socket_filter: struct __sk_buff, of "
                  "which mark, priority, ingress_ifindex, ifindex, cb, tstamp, wire_len, "
                  "gso_segs, gso_size and hwtstamp may be set)")
      ->check(CLI::ExistingFile);
  run->add_option("--ctx-out", o.ctx_out,
                  "ELF objects: file that receives the context struct after the run");
  run->add_option("--repeat", o.repeat,
                  "ELF objects: run this many times, print the last r0 (a packet run, as the "
                  "kernel's test run, runs each time on the packet the last run left)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  run->add_option("--pcap", o.pcap,
                  "ELF objects: run every packet of this capture (classic pcap, Ethernet) "
                  "once, the maps carried from packet to packet, and print one line per "
                  "packet: index, retval, its name (XDP_TX, TC_ACT_SHOT, ...), length and "
                  "redirect target, then a summary")
      ->check(CLI::ExistingFile);
  run->add_option("--pcap-out", o.pcap_out,
                  "ELF objects, with --pcap: write each packet as the program left it to this "
                  "capture (packet i of the output is packet i of the input)");
  run->add_flag("--json", o.json,
                "ELF objects, with --pcap: print one JSON object per packet (index, retval, "
                "verdict, length, redirect); the summary goes to stderr");
  run->add_flag("--dump-maps", o.dump_maps,
                "ELF objects: print the maps and writable global data after the runs");
  add_btf_options(run, o.btf);
  add_host_options(run, o.host);
}

void add_btf_options(CLI::App* app, BtfCliOptions& o) {
  app->add_option("--btf", o.btf, "ELF objects: target BTF for CO-RE relocations (a raw BTF "
                                  "file such as /sys/kernel/btf/vmlinux, or an ELF with .BTF)")
      ->check(CLI::ExistingFile);
  app->add_option("--kconfig", o.kconfig, "ELF objects: kernel config (CONFIG_FOO=y lines) "
                                          "giving the values of .kconfig externs")
      ->check(CLI::ExistingFile);
}

Result<BtfSettings> btf_settings(const BtfCliOptions& o, bool linux_platform) {
  BtfSettings s;
  s.target_btf = o.btf;
  if (linux_platform) {
    if (s.target_btf.empty()) s.target_btf = default_linux_target_btf();
    s.kconfig = linux_platform_kconfig();
  }
  if (!o.kconfig.empty()) {
    auto cfg = read_kconfig_file(o.kconfig);
    if (!cfg) return cfg.take_error();
    for (auto& [k, v] : *cfg) s.kconfig[k] = v;
  }
  return s;
}

Result<LoadSettings> object_load_settings(const std::string& type, const BtfCliOptions& o) {
  auto btf = btf_settings(o, false);
  if (!btf) return btf.take_error();
  LoadSettings settings;
  settings.program_type = type;
  settings.target_btf = std::move(btf->target_btf);
  settings.kconfig = std::move(btf->kconfig);
  return settings;
}

bool is_elf_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && std::memcmp(magic, "\x7f" "ELF", 4) == 0;
}

int run_object(const std::string& path, const std::string& mem, EngineKind engine,
               uint64_t budget, const ObjectRunOptions& o) {
  Runtime rt;
  auto settings = object_load_settings(o.type, o.btf);
  if (!settings) {
    print_error(kToolName, settings.error());
    return 2;
  }
  auto obj = rt.load_file(path, *settings);
  if (!obj) {
    print_error(kToolName, obj.error());
    return 1;
  }
  Program* prog = o.program.empty() ? (*obj)->programs().front() : (*obj)->program(o.program);
  if (prog == nullptr) {
    print_error(kToolName, make_error(ErrorCode::kNotFound,
                                      fmt::format("{} has no program '{}'", path, o.program)));
    return 1;
  }
  if (!mem.empty() + !o.packet.empty() + !o.pcap.empty() > 1) {
    print_error(kToolName, make_error(ErrorCode::kInvalidArgument,
                                      "give one of --mem, --packet and --pcap"));
    return 2;
  }
  if (o.pcap.empty() && (!o.pcap_out.empty() || o.json)) {
    print_error(kToolName, make_error(ErrorCode::kInvalidArgument,
                                      "--pcap-out and --json go with --pcap"));
    return 2;
  }
  const std::string& input = o.packet.empty() ? mem : o.packet;
  std::vector<uint8_t> data;
  if (!input.empty()) {
    auto bytes = read_file(input);
    if (!bytes) {
      print_error(kToolName, bytes.error());
      return 1;
    }
    data = std::move(*bytes);
  }
  // Tail calls may reach any program of the object. mem programs are verified against
  // the size of the buffer they will get.
  PrepareOptions popts;
  popts.engine = engine;
  popts.safety = o.checked ? Safety::kChecked : Safety::kVerified;
  popts.harden = o.harden;
  popts.mem_size = data.size();
  if (auto r = (*obj)->prepare_all(popts); !r) {
    print_error(kToolName, r.error());
    return 1;
  }
  // With --dump-maps, perf event arrays get buffers (as a libbpf tool opens its perf
  // buffer) so that the dump shows what the program output.
  if (o.dump_maps) {
    for (Map* m : (*obj)->maps()) {
      if (m->type() == MapType::kPerfEventArray) (void)m->open_perf_buffers(1U << 16);
    }
  }
  bpfjit::RunOptions ropts;
  ropts.budget = budget;
  if (auto h = apply_host_options(o.host, rt, ropts); !h) {
    print_error(kToolName, h.error());
    return 2;
  }
  if (!o.pcap.empty()) {
    const int rc = run_pcap(*prog, ropts, o);
    if (o.dump_maps) dump_maps(**obj);
    return rc;
  }
  if (!o.packet.empty() || !o.ctx_in.empty() || !o.packet_out.empty() || !o.ctx_out.empty()) {
    return test_run_object(**obj, *prog, data, ropts, o);
  }
  uint64_t r0 = 0;
  // Every run starts from the same input: programs may rewrite their packet.
  const std::vector<uint8_t> original = data;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < o.repeat; ++i) {
    if (i > 0) std::memcpy(data.data(), original.data(), data.size());
    auto r = prog->run(data, ropts);
    if (!r) {
      print_error(kToolName, r.error());
      return 1;
    }
    r0 = *r;
  }
  const auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() -
                                                           start).count();
  if (o.repeat > 1) {
    fmt::print("{} runs on {}: {:.1f} ns per run\n", o.repeat, prog->engine_name(),
               ns / static_cast<double>(o.repeat));
  }
  if (o.dump_maps) dump_maps(**obj);
  fmt::print("0x{:x}\n", r0);
  return 0;
}

}  // namespace bpfjit::cli
