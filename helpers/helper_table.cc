#include "helpers/helper_table.h"

#include <cstdlib>

#include <fmt/format.h>

#include "helpers/helpers/builtin.h"
#include "helpers/kernel_tables.h"
#include "helpers/log.h"

namespace bpfjit {

static_assert(helper_id::kTailCall == kHelperTailCall);

HelperTable HelperTable::builtin() {
  HelperTable t;
  builtin::add_map_helpers(t);
  builtin::add_ringbuf_helpers(t);
  builtin::add_string_helpers(t);
  builtin::add_misc_helpers(t);
  builtin::add_skb_helpers(t);
  builtin::add_xdp_helpers(t);
  builtin::add_net_helpers(t);
  return t;
}

Result<void> HelperTable::add(HelperProto proto) {
  if (proto.id == 0 || proto.id >= kMaxHelperId) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("helper id {} ({}) is out of range [1, {})", proto.id,
                                  proto.name, kMaxHelperId));
  }
  if (proto.name.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("helper {} has an empty name", proto.id));
  }
  if (!uses_runtime_kinds_only(proto)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("helper {} ({}) uses a return or argument kind of kernel "
                                  "helpers only (sockets, kernel objects, timers, dynptrs)",
                                  proto.id, proto.name));
  }
  if (proto.fn == nullptr) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("helper {} ({}) has no function", proto.id, proto.name));
  }
  if (const HelperProto* old = find(proto.id)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("helper id {} ({}) is already taken by {}", proto.id,
                                  proto.name, old->name));
  }
  if (const HelperProto* old = find(proto.name)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("helper name {} (id {}) is already taken by helper {}",
                                  proto.name, proto.id, old->id));
  }
  if (protos_.size() <= proto.id) {
    protos_.resize(proto.id + 1);
    fns_.resize(proto.id + 1, nullptr);
  }
  fns_[proto.id] = proto.fn;
  protos_[proto.id] = std::move(proto);
  return {};
}

const HelperProto* HelperTable::find(uint32_t id) const {
  if (id >= protos_.size() || protos_[id].id == 0) return nullptr;
  return &protos_[id];
}

const HelperProto* HelperTable::find(std::string_view name) const {
  for (const HelperProto& p : protos_) {
    if (p.id != 0 && p.name == name) return &p;
  }
  if (name.starts_with("bpf_")) return find(name.substr(4));
  return nullptr;
}

std::vector<const HelperProto*> HelperTable::all() const {
  std::vector<const HelperProto*> out;
  for (const HelperProto& p : protos_) {
    if (p.id != 0) out.push_back(&p);
  }
  return out;
}

HelperProto builtin::kernel_proto(uint32_t id, HelperFn fn, bool pkt_access) {
  const kernel::HelperRow* row = kernel::find_helper(id);
  HelperProto p;
  p.id = id;
  p.name = row->name;
  p.fn = fn;
  p.ret = row->ret;
  p.args = row->args;
  p.general = false;
  p.pkt_access = pkt_access;
  return p;
}

void builtin::add_builtin(HelperTable& t, HelperProto proto) {
  // The built-ins have the kernel's ids: whether one changes packet data is the kernel's
  // fact (helpers/kernel_helpers.def).
  proto.changes_pkt_data = proto.changes_pkt_data || kernel::helper_changes_pkt_data(proto.id);
  if (auto r = t.add(std::move(proto)); !r) {
    logger().critical("built-in helper table: {}", r.error().message);
    std::abort();  // a bug in the fixed list above, not user input
  }
}

}  // namespace bpfjit
