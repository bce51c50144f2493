// Trusted mode's gate: the verifier, when it is built (BPFJIT_BENCH_HAVE_VERIFIER).
// Without it every trusted column is n/a: the harness never runs unverified code trusted.
#include "bench/harness/bpf_engine.h"

#ifdef BPFJIT_BENCH_HAVE_VERIFIER
#include "verifier/verifier.h"
#endif

namespace bpfjit::bench {

#ifdef BPFJIT_BENCH_HAVE_VERIFIER

bool verifier_available() { return true; }

VerifyOutcome verify_program(const VerifyRequest& request) {
  VerifyOutcome out;
  out.available = true;
  std::vector<verifier::LddwRef> refs;
  for (const VerifyRef& r : request.refs) {
    verifier::LddwRef v;
    v.slot = r.slot;
    v.map = r.map;
    v.offset = r.offset;
    switch (r.kind) {
      case VerifyRef::kMap: v.kind = verifier::LddwRefKind::kMap; break;
      case VerifyRef::kMapValue: v.kind = verifier::LddwRefKind::kMapValue; break;
      case VerifyRef::kCode: v.kind = verifier::LddwRefKind::kCode; break;
    }
    refs.push_back(v);
  }
  std::vector<verifier::MapInfo> maps;
  for (const VerifyMap& m : request.maps) {
    verifier::MapInfo info;
    info.type = static_cast<uint32_t>(m.spec.type);
    info.key_size = m.spec.key_size;
    info.value_size = m.spec.value_size;
    info.max_entries = m.spec.max_entries;
    info.read_only = m.read_only;
    maps.push_back(info);
  }
  const HelperTable& helpers = bench_helpers();
  ProgramType type =
      request.ctx_rewritten ? verifier::runtime_ctx_view(*request.type) : *request.type;
  verifier::VerifyInput input{*request.insns, std::move(refs), std::move(maps), type,
                              [&helpers](uint32_t id) { return helpers.find(id); },
                              request.mem_size};
  double t0 = thread_seconds();
  verifier::VerifyResult result = verifier::verify(input);
  out.seconds = thread_seconds() - t0;
  out.accepted = result.accepted;
  if (!result.accepted) out.error = result.error_text();
  out.insn_flags = std::move(result.insn_flags);
  return out;
}

#else

bool verifier_available() { return false; }

VerifyOutcome verify_program(const VerifyRequest&) { return VerifyOutcome{}; }

#endif

}  // namespace bpfjit::bench
