// `bpfjit run OBJ --pcap IN [--pcap-out OUT] [--json]`: every packet of a capture through
// one program, as a test run each (Program::test_run), the maps carried from packet to
// packet as on a real interface.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <map>

#include "runtime/cli/cmd_object.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/pcap.h"
#include "runtime/cli/program_io.h"

namespace bpfjit::cli {

namespace {

// One packet's line: text (index, retval, its name, length, redirect target) or JSON.
void print_packet(fmt::memory_buffer& out, bool json, uint64_t index, const TestRunResult& r,
                  std::string_view verdict, const std::string& redirect) {
  if (json) {
    fmt::format_to(std::back_inserter(out),
                   "{{\"index\":{},\"retval\":{},\"verdict\":{},\"length\":{},\"redirect\":{}}}\n",
                   index, r.retval,
                   verdict.empty() ? "null" : fmt::format("\"{}\"", verdict), r.data_out.size(),
                   redirect.empty() ? "null" : redirect);
  } else {
    fmt::format_to(std::back_inserter(out), "{} {} {} {} {}\n", index, r.retval,
                   verdict.empty() ? "-" : verdict, r.data_out.size(),
                   redirect.empty() ? "-" : redirect);
  }
}

void print_error_line(fmt::memory_buffer& out, bool json, uint64_t index, const Error& e) {
  if (json) {
    fmt::format_to(std::back_inserter(out), "{{\"index\":{},\"error\":\"{}\"}}\n", index,
                   json_escape(e.message));
  } else {
    fmt::format_to(std::back_inserter(out), "{} error: {}\n", index, e.message);
  }
}

const char* redirect_kind(Redirect::Kind k) {
  switch (k) {
    case Redirect::Kind::kNone: break;
    case Redirect::Kind::kIfindex: return "ifindex";
    case Redirect::Kind::kCpu: return "cpu";
    case Redirect::Kind::kXsk: return "xsk";
  }
  return "";
}

// The redirect target a run reported, for the packet's line: "ifindex:3", or with the map
// and key of bpf_redirect_map "ifindex:3@tx_ports[1]"; JSON: an object; none: empty.
std::string redirect_text(const TestRunResult& r, bool json) {
  const Redirect& d = r.redirect;
  if (d.kind == Redirect::Kind::kNone) return {};
  if (json) {
    return fmt::format("{{\"kind\":\"{}\",\"target\":{},\"map\":{},\"key\":{},\"flags\":{}}}",
                       redirect_kind(d.kind), d.target,
                       d.map.empty() ? "null" : fmt::format("\"{}\"", json_escape(d.map)),
                       d.map.empty() ? "null" : std::to_string(d.key), d.flags);
  }
  std::string s = fmt::format("{}:{}", redirect_kind(d.kind), d.target);
  if (!d.map.empty()) s += fmt::format("@{}[{}]", d.map, d.key);
  return s;
}

void flush(fmt::memory_buffer& out) {
  std::fwrite(out.data(), 1, out.size(), stdout);
  out.clear();
}

}  // namespace

int run_pcap(const Program& prog, const bpfjit::RunOptions& ropts,
             const ObjectRunOptions& o) {
  if (!o.packet.empty() || !o.packet_out.empty() || !o.ctx_in.empty() || !o.ctx_out.empty() ||
      o.repeat != 1) {
    print_error(kToolName, make_error(ErrorCode::kInvalidArgument,
                                      "--pcap runs each packet once: it does not combine with "
                                      "--packet, --packet-out, --ctx-in, --ctx-out or --repeat"));
    return 2;
  }
  auto reader = PcapReader::open(o.pcap);
  if (!reader) {
    print_error(kToolName, reader.error());
    return 1;
  }
  if (reader->link_type() != kLinkTypeEthernet) {
    print_error(kToolName,
                make_error(ErrorCode::kUnsupported,
                           fmt::format("{}: link type {}; packet programs take Ethernet frames "
                                       "(link type {})",
                                       o.pcap, reader->link_type(), kLinkTypeEthernet)));
    return 1;
  }
  std::optional<PcapWriter> writer;
  if (!o.pcap_out.empty()) {
    auto w = PcapWriter::create(o.pcap_out, kLinkTypeEthernet, reader->nanosecond());
    if (!w) {
      print_error(kToolName, w.error());
      return 1;
    }
    writer.emplace(std::move(*w));
  }

  fmt::memory_buffer out;
  std::map<std::string, uint64_t> verdicts;  // name (or retval) -> packets
  uint64_t packets = 0, errors = 0, run_ns = 0;
  const auto start = std::chrono::steady_clock::now();
  for (;; ++packets) {
    auto next = reader->next();
    if (!next) {
      flush(out);
      print_error(kToolName, next.error());
      return 1;
    }
    if (!next->has_value()) break;
    PcapPacket& packet = **next;
    TestRunInput in;
    in.data = packet.bytes;
    in.options = ropts;
    auto r = prog.test_run(in);
    if (!r) {
      ++errors;
      print_error_line(out, o.json, packets, r.error());
    } else {
      const std::string_view verdict = retval_name(prog.type(), r->r0);
      print_packet(out, o.json, packets, *r, verdict, redirect_text(*r, o.json));
      ++verdicts[verdict.empty() ? std::to_string(r->retval) : std::string(verdict)];
      run_ns += r->duration_ns;
      packet.bytes = std::move(r->data_out);
    }
    // A packet whose run failed is written unchanged: packet i of the output is packet i
    // of the input.
    if (writer) {
      if (auto w = writer->write(packet); !w) {
        flush(out);
        print_error(kToolName, w.error());
        return 1;
      }
    }
    if (out.size() > (1U << 16)) flush(out);
  }
  const double wall_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  if (writer) {
    if (auto w = writer->close(); !w) {
      flush(out);
      print_error(kToolName, w.error());
      return 1;
    }
  }
  flush(out);
  // The summary: on stdout after the text lines, on stderr with --json (which keeps
  // stdout to one JSON object per line).
  std::string summary = fmt::format("{} packets, {} errors on {}:", packets, errors,
                                    prog.engine_name());
  for (const auto& [name, n] : verdicts) summary += fmt::format(" {} {},", name, n);
  if (!verdicts.empty()) summary.pop_back();
  if (packets > 0) {
    summary += fmt::format("; {:.0f} packets/s ({:.0f} ns per packet in the program)",
                           static_cast<double>(packets) * 1e9 / wall_ns,
                           static_cast<double>(run_ns) / static_cast<double>(packets));
  }
  fmt::print(o.json ? stderr : stdout, "{}\n", summary);
  return errors == 0 ? 0 : 1;
}

}  // namespace bpfjit::cli
