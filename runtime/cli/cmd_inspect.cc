// bpfjit inspect OBJ.o: the programs, maps, global data and relocations of an ELF object.
// Each program's line also names the kernel program type and expected attach type its
// section gives it (helpers/kernel_section_names.def, libbpf's rules), next to the type
// bpfjit runs it as.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "bpfjit/runtime.h"
#include "helpers/kernel_tables.h"
#include "runtime/cli/cmd_object.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/program_io.h"

namespace bpfjit::cli {

namespace {

struct InspectOptions {
  std::string input;
  std::string type;
  BtfCliOptions btf;
};

int run_inspect(const InspectOptions& o) {
  Runtime rt;
  auto settings = object_load_settings(o.type, o.btf);
  if (!settings) {
    print_error(kToolName, settings.error());
    return 2;
  }
  auto obj = rt.load_file(o.input, *settings);
  if (!obj) {
    print_error(kToolName, obj.error());
    return 1;
  }
  const Object& ob = **obj;
  fmt::print("programs:\n");
  for (const Program* p : ob.programs()) {
    const auto kernel = kernel::match_section(p->section());
    const char* prog_type = kernel ? kernel->prog_type->name : "-";
    const char* attach = kernel && kernel->attach_type ? kernel->attach_type->name : "-";
    fmt::print("  {:<24} section {:<16} type {:<14} insns {:<6} prog_type {:<16} "
               "attach_type {}\n",
               p->name(), p->section(), p->type().name, p->insn_count(), prog_type, attach);
    if (p->load_error() != nullptr) fmt::print("    load error: {}\n", p->load_error()->to_string());
  }
  fmt::print("maps:\n");
  for (const Map* m : ob.maps()) {
    fmt::print("  {:<24} type {:<12} key {:<4} value {:<6} max_entries {}\n", m->name(),
               map_type_name(m->type()), m->key_size(), m->value_size(), m->max_entries());
  }
  fmt::print("global data:\n");
  for (const GlobalData& d : ob.global_data()) {
    fmt::print("  {:<24} {} bytes, {}\n", d.name, d.bytes.size(),
               d.readonly ? "read-only" : "writable");
  }
  fmt::print("relocations:\n");
  for (const RelocationInfo& r : ob.relocations()) {
    fmt::print("  {}+{:<6} {:<12} {:<20} -> {}\n", r.section, r.offset, r.type, r.symbol,
               r.target);
  }
  return 0;
}

}  // namespace

Command add_inspect_command(CLI::App& parent) {
  auto o = std::make_shared<InspectOptions>();
  CLI::App* app = parent.add_subcommand(
      "inspect", "list an ELF object's programs (name, section, the type bpfjit runs it as, "
                 "instructions, the kernel program type and expected attach type its section "
                 "implies), maps, global data sections and relocations");
  app->add_option("file", o->input, "the object (clang -target bpf -c)")
      ->required()
      ->check(CLI::ExistingFile);
  app->add_option("--type", o->type, "program type for every program instead of the one "
                                     "the section name implies");
  add_btf_options(app, o->btf);
  return Command{app, [o] { return run_inspect(*o); }};
}

}  // namespace bpfjit::cli
