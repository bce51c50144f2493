#include "helpers/kernel_tables.h"

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

namespace bpfjit::kernel {
namespace {

#define T(name) types::name

constexpr HelperRow kHelpers[] = {
#define HELPER(id, name, ret, a1, a2, a3, a4, a5, types_mask)                               \
  {id, #name, RetKind::k##ret,                                                            \
   {ArgKind::k##a1, ArgKind::k##a2, ArgKind::k##a3, ArgKind::k##a4, ArgKind::k##a5},      \
   types_mask},
#define CHANGES_PKT_DATA(id, name)
#include "helpers/kernel_helpers.def"
#undef CHANGES_PKT_DATA
#undef HELPER
};

// The helpers that change packet data: their ids and names.
struct PktDataChanger {
  uint32_t id;
  std::string_view name;
};
constexpr PktDataChanger kChangesPktData[] = {
#define HELPER(...)
#define CHANGES_PKT_DATA(id, name) {id, #name},
#include "helpers/kernel_helpers.def"
#undef CHANGES_PKT_DATA
#undef HELPER
};

constexpr ProgTypeRow kProgTypes[] = {
#define PROG_TYPE(num, name, camel, ctx, ctx_size, narrow, ret_min, ret_max, pkt_write, ld_abs) \
  {num, #name, CtxLayout::k##ctx, ctx_size, narrow != 0, ret_min, ret_max, pkt_write != 0,      \
   ld_abs != 0},
#include "helpers/kernel_prog_types.def"
#undef PROG_TYPE
};

// The program types sharing struct __sk_buff, for kernel_ctx_fields.def.
constexpr TypeMask kSkbSf = types::socket_filter;
constexpr TypeMask kSkbTc = kTcTypes;
constexpr TypeMask kSkbCg = types::cgroup_skb;
constexpr TypeMask kSkbLwt = types::lwt_in | types::lwt_out | types::lwt_xmit | types::lwt_seg6local;
constexpr TypeMask kSkbSk = types::sk_skb;
constexpr TypeMask kSkbFd = types::flow_dissector;
// Every program type with the row's layout.
constexpr TypeMask kAny = kAllTypes;

constexpr CtxFieldRow kCtxFields[] = {
#define CTX_FIELD(layout, name, off, size, readers, writers, kind) \
  {CtxLayout::k##layout, #name, off, size, 1, readers, writers, CtxFieldKind::k##kind, true},
#define CTX_ARRAY(layout, name, off, size, count, readers, writers, kind) \
  {CtxLayout::k##layout, #name, off, size, count, readers, writers, CtxFieldKind::k##kind, true},
#define CTX_WHOLE(layout, name, off, size, readers, writers, kind) \
  {CtxLayout::k##layout, #name, off, size, 1, readers, writers, CtxFieldKind::k##kind, false},
#define CTX_WHOLE_ARRAY(layout, name, off, size, count, readers, writers, kind) \
  {CtxLayout::k##layout, #name, off, size, count, readers, writers, CtxFieldKind::k##kind, false},
#define CTX_FREE_ARRAY(layout, name, off, size, count, readers, writers, kind)               \
  {CtxLayout::k##layout, #name, off, size, count, readers, writers, CtxFieldKind::k##kind, true, \
   true},
#include "helpers/kernel_ctx_fields.def"
#undef CTX_FREE_ARRAY
#undef CTX_FIELD
#undef CTX_ARRAY
#undef CTX_WHOLE
#undef CTX_WHOLE_ARRAY
};

constexpr AttachTypeRow kAttachTypes[] = {
#define ATTACH_TYPE(num, name, ret_min, ret_max) {num, #name, ret_min, ret_max},
#include "helpers/kernel_attach_types.def"
#undef ATTACH_TYPE
};

constexpr SectionRow kSections[] = {
#define SECTION(name, rule, prog_type, attach_type) \
  {name, SectionRule::k##rule, #prog_type, attach_type},
#include "helpers/kernel_section_names.def"
#undef SECTION
};

#undef T

// Rows are in number order with no gaps: the number is the index (plus the first number).
constexpr bool dense_helpers() {
  for (size_t i = 0; i < std::size(kHelpers); ++i) {
    if (kHelpers[i].id != i + 1) return false;
  }
  return true;
}
static_assert(dense_helpers(), "kernel_helpers.def must list ids 1, 2, 3, ... in order");

// Each CHANGES_PKT_DATA line names the helper its id has.
constexpr bool pkt_data_changers_named() {
  for (const PktDataChanger& c : kChangesPktData) {
    if (c.id == 0 || c.id > std::size(kHelpers) || c.name != kHelpers[c.id - 1].name) return false;
  }
  return true;
}
static_assert(pkt_data_changers_named(), "a CHANGES_PKT_DATA line names another helper's id");

constexpr bool dense_prog_types() {
  for (size_t i = 0; i < std::size(kProgTypes); ++i) {
    if (kProgTypes[i].id != i + 1) return false;
  }
  return true;
}
static_assert(dense_prog_types(), "kernel_prog_types.def must list 1, 2, 3, ... in order");

constexpr bool dense_attach_types() {
  for (size_t i = 0; i < std::size(kAttachTypes); ++i) {
    if (kAttachTypes[i].id != i) return false;
  }
  return true;
}
static_assert(dense_attach_types(), "kernel_attach_types.def must list 0, 1, 2, ... in order");

// Fixed sizes of kPtrToFixedSizeMem arguments: an IPv4 header is 20 bytes (without
// options), an IPv6 header 40, a TCP header 20.
struct FixedSize {
  uint32_t id;
  int arg;
  uint32_t size;
};
constexpr FixedSize kFixedSizes[] = {
    {204, 1, 20}, {205, 1, 40}, {206, 1, 20}, {206, 2, 20}, {207, 1, 40}, {207, 2, 20},
};

bool layout_user(const ProgTypeRow& t, TypeMask mask) {
  return (mask & (TypeMask{1} << t.id)) != 0;
}

bool section_matches(const SectionRow& row, std::string_view s) {
  const std::string_view name = row.name;
  switch (row.rule) {
    case SectionRule::kExact:
      return s == name;
    case SectionRule::kSlash:
      return s == name || (s.size() > name.size() && s.substr(0, name.size()) == name &&
                           s[name.size()] == '/');
    case SectionRule::kPrefix:
      return s.substr(0, name.size()) == name;
  }
  return false;
}

}  // namespace

std::span<const HelperRow> helper_rows() { return kHelpers; }

uint32_t max_helper_id() { return static_cast<uint32_t>(std::size(kHelpers)); }

const HelperRow* find_helper(uint32_t id) {
  if (id == 0 || id > std::size(kHelpers)) return nullptr;
  return &kHelpers[id - 1];
}

const HelperRow* find_helper(std::string_view name) {
  if (name.substr(0, 4) == "bpf_") name.remove_prefix(4);
  for (const HelperRow& h : kHelpers) {
    if (name == h.name) return &h;
  }
  return nullptr;
}

uint32_t fixed_mem_size(uint32_t id, int arg) {
  for (const FixedSize& f : kFixedSizes) {
    if (f.id == id && f.arg == arg) return f.size;
  }
  return 0;
}

bool helper_allowed(uint32_t id, uint32_t type) {
  const HelperRow* h = find_helper(id);
  return h != nullptr && type < 64 && (h->types & (TypeMask{1} << type)) != 0;
}

bool helper_takes_packet(uint32_t id) {
  // The kernel's prototypes with pkt_access: the map element operations, csum_diff, the
  // socket lookups and the syncookie helpers.
  static constexpr uint32_t kPktAccess[] = {1, 2, 3, 28, 84, 85, 99, 100, 110};
  return std::find(std::begin(kPktAccess), std::end(kPktAccess), id) != std::end(kPktAccess);
}

bool helper_changes_pkt_data(uint32_t id) {
  return std::any_of(std::begin(kChangesPktData), std::end(kChangesPktData),
                     [&](const PktDataChanger& c) { return c.id == id; });
}

std::span<const ProgTypeRow> prog_type_rows() { return kProgTypes; }

const ProgTypeRow* find_prog_type(uint32_t id) {
  if (id == 0 || id > std::size(kProgTypes)) return nullptr;
  return &kProgTypes[id - 1];
}

const ProgTypeRow* find_prog_type(std::string_view name) {
  for (const ProgTypeRow& t : kProgTypes) {
    if (name == t.name) return &t;
  }
  return nullptr;
}

std::span<const CtxFieldRow> ctx_field_rows() { return kCtxFields; }

std::vector<CtxField> ctx_fields(const ProgTypeRow& type) {
  std::vector<CtxField> out;
  for (const CtxFieldRow& row : kCtxFields) {
    if (row.layout != type.ctx) continue;
    const bool read = layout_user(type, row.readers);
    const bool write = layout_user(type, row.writers);
    if (!read && !write) continue;
    for (uint32_t i = 0; i < row.count; ++i) {
      CtxField f;
      f.name = row.count == 1 ? std::string(row.name) : fmt::format("{}[{}]", row.name, i);
      f.offset = row.offset + i * row.size;
      f.size = row.size;
      f.readable = read;
      f.writable = write;
      f.kind = row.kind;
      f.narrow_loads = row.narrow;
      f.any_width = row.any_width;
      out.push_back(std::move(f));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const CtxField& a, const CtxField& b) { return a.offset < b.offset; });
  return out;
}

std::span<const AttachTypeRow> attach_type_rows() { return kAttachTypes; }

const AttachTypeRow* find_attach_type(uint32_t id) {
  if (id >= std::size(kAttachTypes)) return nullptr;
  return &kAttachTypes[id];
}

const AttachTypeRow* find_attach_type(std::string_view name) {
  if (name.substr(0, 4) == "BPF_" || name.substr(0, 4) == "bpf_") name.remove_prefix(4);
  for (const AttachTypeRow& a : kAttachTypes) {
    if (name == a.name) return &a;
  }
  return nullptr;
}

RetRange return_range(const ProgTypeRow& type, const AttachTypeRow* attach) {
  if (attach != nullptr && attach->ret_min <= attach->ret_max) {
    return {attach->ret_min, attach->ret_max};
  }
  return {type.ret_min, type.ret_max};
}

namespace {
struct RetvalRow {
  TypeMask type;  // the one type's bit
  uint32_t value;
  std::string_view name;
};
constexpr RetvalRow kRetvals[] = {
#define RETVAL(type, value, name) {types::type, static_cast<uint32_t>(value), #name},
#include "helpers/kernel_retvals.def"
#undef RETVAL
};
}  // namespace

std::string_view retval_name(uint32_t type, uint32_t retval) {
  for (const RetvalRow& r : kRetvals) {
    if (type < 64 && r.type == TypeMask{1} << type && r.value == retval) return r.name;
  }
  return {};
}

std::span<const SectionRow> section_rows() { return kSections; }

std::optional<SectionMatch> match_section(std::string_view section) {
  for (const SectionRow& row : kSections) {
    if (!section_matches(row, section)) continue;
    SectionMatch m{&row, find_prog_type(row.prog_type), nullptr};
    if (row.attach_type[0] != '\0') m.attach_type = find_attach_type(row.attach_type);
    if (m.prog_type == nullptr) return std::nullopt;  // a broken row (the tests catch it)
    return m;
  }
  return std::nullopt;
}

}  // namespace bpfjit::kernel
