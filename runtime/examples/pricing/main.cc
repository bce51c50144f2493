// example_pricing: a host-defined program type. The host registers the "pricing" type
// (its own context struct, struct order_ctx, with read-only, writable and hidden fields)
// and two helpers of its own (a key-value lookup into the host's table and a metric sink),
// then prices orders with a BPF program compiled against that struct.
//
//   example_pricing PRICING_OBJ INPUT [REFUSED_OBJ...]
//
// INPUT has one entry per line: "price ITEM CENTS", "discount USER PERCENT" fill the
// host's table, "order USER ITEM QUANTITY" prices an order. Prints one line per order:
//   order USER ITEM QUANTITY: ok total CENTS discount PERCENT | unknown_item | bad_quantity
// followed by the metrics the program emitted for it. Then loads and prepares each
// REFUSED_OBJ and prints what refused it ("refused at load|prepare: CODE: MESSAGE", or
// "accepted NAME"). Exits 1 on any other error.
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "bpfjit/runtime.h"
#include "pricing_ctx.h"

namespace {

using bpfjit::ArgKind;
using bpfjit::CtxField;
using bpfjit::HelperProto;
using bpfjit::ProgramType;
using bpfjit::RunContext;

// The host's own value in order_ctx.host_handle: programs cannot see or change it.
constexpr uint64_t kHostHandle = 0x5ec7e7;

// What the helpers see of the host during one run (RunOptions::user_data).
struct Host {
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> table;  // (table, id) -> value
  std::vector<std::pair<std::string, uint64_t>> metrics;    // emitted during the run
};

// long kv_get(const struct kv_key *key, u32 key_size, u64 *value, u32 value_size)
uint64_t kv_get(uint64_t key_addr, uint64_t key_size, uint64_t value_addr, uint64_t value_size,
                uint64_t, RunContext* ctx) {
  auto* host = static_cast<Host*>(bpfjit::helper_user_data(ctx));
  const uint8_t* key = bpfjit::helper_memory(ctx, key_addr, key_size, false);
  uint8_t* value = bpfjit::helper_memory(ctx, value_addr, value_size, true);
  if (host == nullptr || key == nullptr || value == nullptr || key_size != sizeof(kv_key) ||
      value_size != sizeof(uint64_t)) {
    bpfjit::helper_fail(ctx);  // the run ends with an error that names this call
    return 0;
  }
  kv_key k;
  std::memcpy(&k, key, sizeof(k));
  auto it = host->table.find({k.table, k.id});
  uint64_t v = it == host->table.end() ? 0 : it->second;
  std::memcpy(value, &v, sizeof(v));  // the value is written on every path
  return it == host->table.end() ? static_cast<uint64_t>(-2) : 0;  // -ENOENT
}

// long emit_metric(const char *name, u32 name_size, u64 value)
uint64_t emit_metric(uint64_t name_addr, uint64_t name_size, uint64_t value, uint64_t, uint64_t,
                     RunContext* ctx) {
  auto* host = static_cast<Host*>(bpfjit::helper_user_data(ctx));
  const uint8_t* name = bpfjit::helper_memory(ctx, name_addr, name_size, false);
  if (host == nullptr || name == nullptr) {
    bpfjit::helper_fail(ctx);
    return 0;
  }
  std::string s(reinterpret_cast<const char*>(name), name_size);
  s.resize(s.find('\0') == std::string::npos ? s.size() : s.find('\0'));
  host->metrics.emplace_back(std::move(s), value);
  return 0;
}

bpfjit::Result<void> register_pricing(bpfjit::Runtime& rt) {
  HelperProto get;
  get.id = HELPER_KV_GET;
  get.name = "kv_get";
  get.fn = kv_get;
  get.args = {ArgKind::kPtrToMem, ArgKind::kConstSize, ArgKind::kPtrToUninitMem,
              ArgKind::kConstSize, ArgKind::kNone};
  get.general = false;  // only for the types that allow it
  HelperProto emit;
  emit.id = HELPER_EMIT_METRIC;
  emit.name = "emit_metric";
  emit.fn = emit_metric;
  emit.args = {ArgKind::kPtrToMem, ArgKind::kConstSize, ArgKind::kScalar, ArgKind::kNone,
               ArgKind::kNone};
  emit.general = false;
  for (HelperProto* h : {&get, &emit}) {
    if (auto r = rt.register_helper(*h); !r) return r;
  }

  ProgramType t;
  t.name = "pricing";
  t.model = bpfjit::CtxModel::kStruct;
  t.ctx_size = sizeof(order_ctx);
  auto field = [](const char* name, uint32_t off, uint32_t size, bool writable) {
    CtxField f;
    f.name = name;
    f.offset = off;
    f.size = size;
    f.writable = writable;
    return f;
  };
  t.fields = {
      field("user_id", offsetof(order_ctx, user_id), 4, false),
      field("item_id", offsetof(order_ctx, item_id), 4, false),
      field("quantity", offsetof(order_ctx, quantity), 4, false),
      field("discount_pct", offsetof(order_ctx, discount_pct), 4, true),
      field("total", offsetof(order_ctx, total), 8, true),
      // host_handle: not listed, so programs can neither read nor write it
  };
  t.extra_helpers = {HELPER_KV_GET, HELPER_EMIT_METRIC};
  return rt.register_program_type(std::move(t));
}

int fail(const std::string& what) {
  std::fprintf(stderr, "error: %s\n", what.c_str());
  return 1;
}

// Prices one order; returns the output line, or an error.
bpfjit::Result<std::string> price(const bpfjit::Program& prog, Host& host, uint32_t user,
                                  uint32_t item, uint32_t quantity) {
  order_ctx ctx{};
  ctx.user_id = user;
  ctx.item_id = item;
  ctx.quantity = quantity;
  ctx.host_handle = kHostHandle;
  host.metrics.clear();
  bpfjit::RunOptions ro;
  ro.user_data = &host;
  auto r = prog.run(bpfjit::Map::writable_bytes_of(ctx), ro);
  if (!r) return r.take_error();
  std::string line = "order " + std::to_string(user) + " " + std::to_string(item) + " " +
                     std::to_string(quantity) + ": ";
  switch (*r) {
    case ORDER_OK:
      line += "ok total " + std::to_string(ctx.total) + " discount " +
              std::to_string(ctx.discount_pct);
      break;
    case ORDER_UNKNOWN_ITEM: line += "unknown_item"; break;
    case ORDER_BAD_QUANTITY: line += "bad_quantity"; break;
    default: line += "status " + std::to_string(*r); break;
  }
  for (const auto& [name, value] : host.metrics) {
    line += "\n  metric " + name + " " + std::to_string(value);
  }
  if (ctx.host_handle != kHostHandle || ctx.user_id != user || ctx.item_id != item ||
      ctx.quantity != quantity) {
    return bpfjit::make_error(bpfjit::ErrorCode::kRuntime, "a read-only field changed");
  }
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: example_pricing PRICING_OBJ INPUT [REFUSED_OBJ...]\n");
    return 1;
  }
  bpfjit::Runtime rt;
  if (auto r = register_pricing(rt); !r) return fail(r.error().to_string());

  bpfjit::LoadSettings settings;
  settings.program_type = "pricing";  // the section name alone would make it a mem program
  auto obj = rt.load_file(argv[1], settings);
  if (!obj) return fail(obj.error().to_string());
  bpfjit::Program* prog = (*obj)->program("price_order");
  if (prog == nullptr) return fail(std::string(argv[1]) + ": no program price_order");
  if (auto r = prog->prepare(); !r) return fail(r.error().to_string());  // verified

  std::ifstream in(argv[2]);
  if (!in) return fail(std::string("cannot open ") + argv[2]);
  Host host;
  std::string line, out;
  for (uint64_t line_no = 1; std::getline(in, line); ++line_no) {
    std::istringstream fields(line);
    std::string kind;
    uint64_t a = 0, b = 0, c = 0;
    if (!(fields >> kind) || kind[0] == '#') continue;
    bool ok = static_cast<bool>(fields >> a >> b) && a <= UINT32_MAX;
    if (kind == "price" || kind == "discount") {
      if (!ok) return fail("line " + std::to_string(line_no) + ": expected '" + kind + " ID VALUE'");
      host.table[{kind == "price" ? TABLE_PRICE : TABLE_DISCOUNT, static_cast<uint32_t>(a)}] = b;
    } else if (kind == "order") {
      if (!ok || !(fields >> c) || b > UINT32_MAX || c > UINT32_MAX) {
        return fail("line " + std::to_string(line_no) + ": expected 'order USER ITEM QUANTITY'");
      }
      auto priced = price(*prog, host, static_cast<uint32_t>(a), static_cast<uint32_t>(b),
                          static_cast<uint32_t>(c));
      if (!priced) return fail("line " + std::to_string(line_no) + ": " + priced.error().to_string());
      out += *priced + "\n";
    } else {
      return fail("line " + std::to_string(line_no) + ": unknown entry '" + kind + "'");
    }
  }

  // Programs that break the type's rules are refused: context accesses the type does not
  // allow when the object is loaded, everything else when the program is prepared.
  for (int i = 3; i < argc; ++i) {
    auto bad = rt.load_file(argv[i], settings);
    if (!bad) {
      out += std::string("refused at load: ") + bpfjit::error_code_name(bad.error().code) +
             ": " + bad.error().to_string() + "\n";
      continue;
    }
    for (bpfjit::Program* p : (*bad)->programs()) {
      if (const bpfjit::Error* e = p->load_error()) {  // this program alone failed to load
        out += std::string("refused at load: ") + bpfjit::error_code_name(e->code) + ": " +
               e->to_string() + "\n";
        continue;
      }
      auto r = p->prepare();
      out += r ? "accepted " + p->name() + "\n"
               : std::string("refused at prepare: ") + bpfjit::error_code_name(r.error().code) +
                     ": " + r.error().to_string() + "\n";
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
