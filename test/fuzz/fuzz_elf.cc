// fuzz_elf: the ELF loader from bytes (Runtime::load_bytes), then what a host does with a
// loaded object: its maps, global data and relocations, each program's verdict, and for
// accepted mem, xdp and socket_filter programs one bounded run on each engine.
// Input: the object's bytes as they are (the bpf-progs objects are seeds).
#include <array>
#include <cstring>

#include "bpfjit/log.h"
#include "bpfjit/runtime.h"
#include "test/fuzz/common.h"

using namespace bpfjit;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  set_log_level(LogLevel::kOff);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Runtime rt;
  rt.set_trace_sink([](std::string_view, std::string_view) {});
  auto obj = rt.load_bytes({data, size});
  if (!obj.ok()) return 0;
  Object& o = **obj;
  for (Map* m : o.maps()) {
    if (m->name().empty()) fuzz::fail("a map without a name");
  }
  for (const GlobalData& g : o.global_data()) {
    for (uint8_t b : g.bytes) (void)b;  // readable end to end (ASan sees an overrun)
  }
  (void)o.relocations();
  size_t verified = 0;
  for (Program* p : o.programs()) {
    if (p->load_error() != nullptr || verified >= 4) continue;
    ++verified;
    PrepareOptions popts;
    popts.complexity_limit = 50'000;
    VerifyReport rep = p->verify(popts);
    if (!rep.accepted && rep.errors.empty()) fuzz::fail("a rejection without an error");
    const std::string& type = p->type().name;
    if (!rep.accepted || (type != "mem" && type != "xdp" && type != "socket_filter")) continue;
    for (EngineKind engine : {EngineKind::kInterpreter, EngineKind::kJit}) {
      popts.engine = engine;
      popts.mem_size = 64;
      if (!p->prepare(popts).ok()) continue;
      std::array<uint8_t, 64> buf{};
      RunOptions ropts;
      ropts.budget = 100'000;
      (void)p->run(buf, ropts);
    }
  }
  return 0;
}
