// CO-RE relocations, .kconfig and __ksym externs (see btf_relo.h). libbpf's public BTF API
// reads the object's and the target's BTF; .BTF.ext's CO-RE records are read here (libbpf
// does not export them); the matching and the instruction patching are ours.
#include "runtime/loader/btf_relo.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <sys/utsname.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>

#include "helpers/log.h"

namespace bpfjit {

namespace {

Diagnostic load_error(std::string msg) { return make_error(ErrorCode::kLoad, std::move(msg)); }

struct BtfFree {
  void operator()(btf* b) const { btf__free(b); }
};

// ---------------------------------------------------------------------------------------
// BTF walking

// Skips const/volatile/restrict/type tags and typedefs.
uint32_t skip_mods_typedefs(const btf* b, uint32_t id) {
  for (int guard = 0; guard < 64; ++guard) {
    const btf_type* t = btf__type_by_id(b, id);
    if (t == nullptr || !(btf_is_mod(t) || btf_is_typedef(t))) return id;
    id = t->type;
  }
  return id;
}

const btf_type* resolved(const btf* b, uint32_t id) {
  return btf__type_by_id(b, skip_mods_typedefs(b, id));
}

std::string name_of(const btf* b, uint32_t name_off) {
  const char* n = btf__name_by_offset(b, name_off);
  return n ? n : "";
}

// A name without its "___flavor" suffix.
std::string_view essential(std::string_view name) {
  const size_t p = name.find("___");
  return p == std::string_view::npos ? name : name.substr(0, p);
}

const char* kind_word(const btf_type* t) {
  if (t == nullptr) return "?";
  switch (btf_kind(t)) {
    case BTF_KIND_STRUCT: return "struct";
    case BTF_KIND_UNION: return "union";
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64: return "enum";
    case BTF_KIND_TYPEDEF: return "typedef";
    case BTF_KIND_INT: return "int";
    case BTF_KIND_PTR: return "pointer";
    case BTF_KIND_ARRAY: return "array";
    case BTF_KIND_FUNC_PROTO: return "func_proto";
    case BTF_KIND_FWD: return "fwd";
    case BTF_KIND_FLOAT: return "float";
    default: return "type";
  }
}

// "struct task_struct", "enum task_state", "int".
std::string type_label(const btf* b, uint32_t id) {
  const btf_type* t = btf__type_by_id(b, id);
  if (t == nullptr) return fmt::format("type {}", id);
  const std::string n = name_of(b, t->name_off);
  if (n.empty()) return fmt::format("(anonymous {})", kind_word(t));
  if (btf_is_int(t) || btf_is_float(t) || btf_is_typedef(t)) return n;
  return fmt::format("{} {}", kind_word(t), n);
}

// Kinds that count as equal when looking for a target type of the local one's kind.
bool same_kind(const btf_type* a, const btf_type* b) {
  if (btf_is_any_enum(a) && btf_is_any_enum(b)) return true;
  return btf_kind(a) == btf_kind(b);
}

// Two field types are compatible for a field relocation: both composite, both ints (any
// size or sign), both enums, both floats, both pointers, or arrays of compatible elements.
bool fields_compatible(const btf* lb, uint32_t lid, const btf* tb, uint32_t tid, int depth = 0) {
  if (depth > 16) return false;
  const btf_type* l = resolved(lb, lid);
  const btf_type* t = resolved(tb, tid);
  if (l == nullptr || t == nullptr) return false;
  if (btf_is_composite(l) || btf_is_fwd(l)) return btf_is_composite(t) || btf_is_fwd(t);
  if (btf_is_any_enum(l)) return btf_is_any_enum(t) || btf_is_int(t);
  if (btf_is_int(l)) return btf_is_int(t) || btf_is_any_enum(t);
  if (btf_is_float(l)) return btf_is_float(t);
  if (btf_is_ptr(l)) return btf_is_ptr(t);
  if (btf_is_array(l)) {
    return btf_is_array(t) &&
           fields_compatible(lb, btf_array(l)->type, tb, btf_array(t)->type, depth + 1);
  }
  return false;
}

// Type compatibility for type relocations: the kinds agree all the way down through
// pointers, arrays and function prototypes (composites and enums by kind only).
bool types_compatible(const btf* lb, uint32_t lid, const btf* tb, uint32_t tid, int depth = 0) {
  if (depth > 16) return false;
  const btf_type* l = resolved(lb, lid);
  const btf_type* t = resolved(tb, tid);
  if (l == nullptr || t == nullptr) return false;
  if (btf_is_void(l) || btf_is_void(t)) return btf_is_void(l) && btf_is_void(t);
  if (!same_kind(l, t)) return false;
  if (btf_is_int(l)) return btf_int_offset(l) == 0 && btf_int_offset(t) == 0;
  if (btf_is_ptr(l)) return types_compatible(lb, l->type, tb, t->type, depth + 1);
  if (btf_is_array(l)) {
    return types_compatible(lb, btf_array(l)->type, tb, btf_array(t)->type, depth + 1);
  }
  if (btf_is_func_proto(l)) {
    if (btf_vlen(l) != btf_vlen(t)) return false;
    const btf_param* lp = btf_params(l);
    const btf_param* tp = btf_params(t);
    for (uint16_t i = 0; i < btf_vlen(l); ++i) {
      if (!types_compatible(lb, lp[i].type, tb, tp[i].type, depth + 1)) return false;
    }
    return types_compatible(lb, l->type, tb, t->type, depth + 1);
  }
  return true;
}

// The stricter "type matches" relation (bpf_core_type_matches): names agree (without
// flavors), every local member/enumerator exists in the target with a matching type,
// ints agree in size and sign, pointers and arrays match recursively.
bool types_match(const btf* lb, uint32_t lid, const btf* tb, uint32_t tid, int depth = 0) {
  if (depth > 16) return false;
  lid = skip_mods_typedefs(lb, lid);
  tid = skip_mods_typedefs(tb, tid);
  const btf_type* l = btf__type_by_id(lb, lid);
  const btf_type* t = btf__type_by_id(tb, tid);
  if (l == nullptr || t == nullptr) return false;
  if (btf_is_void(l) || btf_is_void(t)) return btf_is_void(l) && btf_is_void(t);
  const std::string ln = name_of(lb, l->name_off);
  const std::string tn = name_of(tb, t->name_off);
  if (!ln.empty() && essential(ln) != essential(tn)) return false;
  if (btf_is_fwd(l) || btf_is_fwd(t)) {
    return (btf_is_fwd(l) || btf_is_composite(l)) && (btf_is_fwd(t) || btf_is_composite(t));
  }
  if (!same_kind(l, t)) return false;
  if (btf_is_int(l)) {
    return l->size == t->size &&
           (btf_int_encoding(l) & BTF_INT_SIGNED) == (btf_int_encoding(t) & BTF_INT_SIGNED);
  }
  if (btf_is_float(l)) return l->size == t->size;
  if (btf_is_ptr(l)) return types_match(lb, l->type, tb, t->type, depth + 1);
  if (btf_is_array(l)) {
    return btf_array(l)->nelems == btf_array(t)->nelems &&
           types_match(lb, btf_array(l)->type, tb, btf_array(t)->type, depth + 1);
  }
  if (btf_is_any_enum(l)) {
    if (l->size != t->size) return false;
    for (uint16_t i = 0; i < btf_vlen(l); ++i) {
      const std::string en = name_of(lb, btf_is_enum(l) ? btf_enum(l)[i].name_off
                                                         : btf_enum64(l)[i].name_off);
      bool found = false;
      for (uint16_t j = 0; j < btf_vlen(t) && !found; ++j) {
        const std::string tn2 = name_of(tb, btf_is_enum(t) ? btf_enum(t)[j].name_off
                                                            : btf_enum64(t)[j].name_off);
        found = essential(en) == essential(tn2);
      }
      if (!found) return false;
    }
    return true;
  }
  if (btf_is_composite(l)) {
    const btf_member* lm = btf_members(l);
    for (uint16_t i = 0; i < btf_vlen(l); ++i) {
      const std::string mn = name_of(lb, lm[i].name_off);
      const btf_member* tm = btf_members(t);
      bool found = false;
      for (uint16_t j = 0; j < btf_vlen(t) && !found; ++j) {
        if (name_of(tb, tm[j].name_off) != mn) continue;
        found = types_match(lb, lm[i].type, tb, tm[j].type, depth + 1);
        if (!found) return false;
      }
      if (!found) return false;
    }
    return true;
  }
  if (btf_is_func_proto(l)) return types_compatible(lb, lid, tb, tid, depth + 1);
  return true;
}

// ---------------------------------------------------------------------------------------
// Access specs

bool is_field_kind(CoreReloKind k) { return static_cast<uint32_t>(k) <= 5; }
bool is_enumval_kind(CoreReloKind k) {
  return k == CoreReloKind::kEnumvalExists || k == CoreReloKind::kEnumvalValue;
}

// Where a field access leads: its bit offset from the root pointer and the field.
struct FieldSpec {
  uint64_t bit_offset = 0;
  uint32_t field_type = 0;     // the member's (or element's) type id
  uint32_t bitfield_size = 0;  // 0: not a bitfield
};

// One step of a local access string.
struct Step {
  bool array = false;    // an index into an array (or the root pointer)
  uint32_t index = 0;
  std::string name;      // the member's name; empty for array steps and anonymous members
  uint32_t member_type = 0;
};

struct LocalSpec {
  uint32_t root = 0;  // the record's type id
  std::vector<uint32_t> raw;
  std::vector<Step> steps;
  FieldSpec field;
  std::string what;   // "struct task_struct.pid"
  // enumval kinds
  std::string enumerator;
  uint64_t enum_value = 0;
  bool enum_signed = false;
};

Result<std::vector<uint32_t>> parse_access(std::string_view s) {
  std::vector<uint32_t> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(':', i);
    if (j == std::string_view::npos) j = s.size();
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(s.data() + i, s.data() + j, v);
    if (ec != std::errc() || p != s.data() + j) {
      return load_error(fmt::format("access string '{}' is not a list of numbers", s));
    }
    out.push_back(v);
    i = j + 1;
  }
  if (out.empty()) return load_error("empty access string");
  return out;
}

// Walks the local access string through the object's BTF.
Result<LocalSpec> local_spec(const btf* b, uint32_t root, std::string_view access,
                             CoreReloKind kind) {
  LocalSpec spec;
  spec.root = root;
  auto raw = parse_access(access);
  if (!raw) return raw.take_error();
  spec.raw = *raw;
  const btf_type* rt = btf__type_by_id(b, root);
  if (rt == nullptr || root == 0) {
    return load_error(fmt::format("local type id {} does not exist", root));
  }
  spec.what = type_label(b, root);
  if (!is_field_kind(kind) && !is_enumval_kind(kind)) {
    if (spec.raw.size() != 1 || spec.raw[0] != 0) {
      return load_error(fmt::format("type relocation has access string '{}', not '0'", access));
    }
    return spec;
  }
  if (is_enumval_kind(kind)) {
    const btf_type* et = resolved(b, root);
    if (et == nullptr || !btf_is_any_enum(et) || spec.raw.size() != 1 ||
        spec.raw[0] >= btf_vlen(et)) {
      return load_error(fmt::format("enum relocation: '{}' on {} is not an enumerator index",
                                    access, spec.what));
    }
    spec.enum_signed = btf_kflag(et);
    if (btf_is_enum(et)) {
      const struct btf_enum& e = btf_enum(et)[spec.raw[0]];
      spec.enumerator = name_of(b, e.name_off);
      spec.enum_value = spec.enum_signed ? static_cast<uint64_t>(static_cast<int64_t>(e.val))
                                         : static_cast<uint32_t>(e.val);
    } else {
      const struct btf_enum64& e = btf_enum64(et)[spec.raw[0]];
      spec.enumerator = name_of(b, e.name_off);
      spec.enum_value = btf_enum64_value(&e);
    }
    spec.what += "::" + spec.enumerator;
    return spec;
  }
  // Field: raw[0] indexes the root pointer, then members and array elements.
  const int64_t root_size = btf__resolve_size(b, root);
  if (root_size < 0) return load_error(fmt::format("the size of {} is unknown", spec.what));
  spec.field.bit_offset = uint64_t{spec.raw[0]} * static_cast<uint64_t>(root_size) * 8;
  spec.steps.push_back(Step{true, spec.raw[0], "", root});
  if (spec.raw[0] != 0) spec.what += fmt::format("[{}]", spec.raw[0]);
  uint32_t cur = root;
  for (size_t i = 1; i < spec.raw.size(); ++i) {
    const uint32_t id = skip_mods_typedefs(b, cur);
    const btf_type* t = btf__type_by_id(b, id);
    const uint32_t idx = spec.raw[i];
    if (t != nullptr && btf_is_composite(t)) {
      if (idx >= btf_vlen(t)) {
        return load_error(fmt::format("access '{}': {} has no member {}", access,
                                      type_label(b, id), idx));
      }
      const btf_member& m = btf_members(t)[idx];
      Step st{false, idx, name_of(b, m.name_off), m.type};
      spec.field.bit_offset += btf_member_bit_offset(t, idx);
      spec.field.bitfield_size = btf_member_bitfield_size(t, idx);
      if (!st.name.empty()) spec.what += "." + st.name;
      spec.steps.push_back(std::move(st));
      cur = m.type;
    } else if (t != nullptr && btf_is_array(t)) {
      const struct btf_array* a = btf_array(t);
      const int64_t esz = btf__resolve_size(b, a->type);
      if (esz < 0) return load_error(fmt::format("access '{}': element size unknown", access));
      spec.field.bit_offset += uint64_t{idx} * static_cast<uint64_t>(esz) * 8;
      spec.field.bitfield_size = 0;
      spec.steps.push_back(Step{true, idx, "", a->type});
      spec.what += fmt::format("[{}]", idx);
      cur = a->type;
    } else {
      return load_error(fmt::format("access '{}': step {} indexes {}, which is neither a "
                                    "struct, a union nor an array", access, i,
                                    type_label(b, id)));
    }
  }
  spec.field.field_type = cur;
  return spec;
}

// Finds the member named `name` in composite `id` of `b`, looking through anonymous
// struct/union members; adds its bit offset to `bit_off`.
bool find_member(const btf* b, uint32_t id, const std::string& name, uint64_t& bit_off,
                 uint32_t& type, uint32_t& bitfield, int depth = 0) {
  if (depth > 16) return false;
  const btf_type* t = resolved(b, id);
  if (t == nullptr || !btf_is_composite(t)) return false;
  const btf_member* m = btf_members(t);
  for (uint16_t i = 0; i < btf_vlen(t); ++i) {
    const std::string mn = name_of(b, m[i].name_off);
    if (!mn.empty() && essential(mn) == essential(name)) {
      bit_off += btf_member_bit_offset(t, i);
      type = m[i].type;
      bitfield = btf_member_bitfield_size(t, i);
      return true;
    }
  }
  for (uint16_t i = 0; i < btf_vlen(t); ++i) {
    if (!name_of(b, m[i].name_off).empty()) continue;
    uint64_t sub = bit_off + btf_member_bit_offset(t, i);
    if (find_member(b, m[i].type, name, sub, type, bitfield, depth + 1)) {
      bit_off = sub;
      return true;
    }
  }
  return false;
}

// The local field access repeated in target type `troot`; nullopt when it does not exist.
std::optional<FieldSpec> match_field(const btf* lb, const LocalSpec& ls, const btf* tb,
                                     uint32_t troot) {
  FieldSpec fs;
  const int64_t size = btf__resolve_size(tb, troot);
  if (size < 0) return std::nullopt;
  fs.bit_offset = uint64_t{ls.raw[0]} * static_cast<uint64_t>(size) * 8;
  uint32_t cur = troot;
  for (size_t i = 1; i < ls.steps.size(); ++i) {
    const Step& st = ls.steps[i];
    if (st.array) {
      const btf_type* t = resolved(tb, cur);
      if (t == nullptr || !btf_is_array(t)) return std::nullopt;
      const struct btf_array* a = btf_array(t);
      const bool last_flex = a->nelems == 0;
      if (!last_flex && st.index >= a->nelems) return std::nullopt;
      const int64_t esz = btf__resolve_size(tb, a->type);
      if (esz < 0) return std::nullopt;
      fs.bit_offset += uint64_t{st.index} * static_cast<uint64_t>(esz) * 8;
      fs.bitfield_size = 0;
      cur = a->type;
      continue;
    }
    if (st.name.empty()) continue;  // anonymous: the next named member is searched through
    uint32_t mtype = 0;
    uint32_t bf = 0;
    if (!find_member(tb, cur, st.name, fs.bit_offset, mtype, bf)) return std::nullopt;
    if (!fields_compatible(lb, st.member_type, tb, mtype)) return std::nullopt;
    fs.bitfield_size = bf;
    cur = mtype;
  }
  fs.field_type = cur;
  return fs;
}

// The value a field relocation of `kind` gives for `fs` in BTF `b`.
struct FieldValue {
  uint64_t value = 0;
  uint32_t byte_size = 0;   // the field's size (non-bitfields)
  uint32_t type = 0;        // the field's type id
  bool bitfield = false;
};

Result<FieldValue> field_value(const btf* b, const FieldSpec& fs, CoreReloKind kind) {
  FieldValue v;
  v.type = fs.field_type;
  v.bitfield = fs.bitfield_size != 0;
  const btf_type* ft = resolved(b, fs.field_type);
  const int64_t fsize = btf__resolve_size(b, fs.field_type);
  if (ft == nullptr || fsize < 0) return load_error("the field's size is unknown");
  uint64_t byte_off = 0;
  uint64_t byte_sz = static_cast<uint64_t>(fsize);
  if (v.bitfield) {
    // The smallest naturally aligned load, at least the field's type, that holds the bits.
    byte_sz = ft->size == 0 ? 1 : ft->size;
    byte_off = fs.bit_offset / 8 / byte_sz * byte_sz;
    while (fs.bit_offset + fs.bitfield_size - byte_off * 8 > byte_sz * 8) {
      if (byte_sz >= 8) return load_error("the bitfield does not fit one 64-bit load");
      byte_sz *= 2;
      byte_off = fs.bit_offset / 8 / byte_sz * byte_sz;
    }
  } else {
    if (fs.bit_offset % 8 != 0) return load_error("the field is not byte aligned");
    byte_off = fs.bit_offset / 8;
  }
  v.byte_size = static_cast<uint32_t>(byte_sz);
  switch (kind) {
    case CoreReloKind::kFieldByteOffset: v.value = byte_off; break;
    case CoreReloKind::kFieldByteSize: v.value = byte_sz; break;
    case CoreReloKind::kFieldExists: v.value = 1; break;
    case CoreReloKind::kFieldSigned:
      if (btf_is_any_enum(ft)) {
        v.value = btf_kflag(ft) ? 1 : 0;
      } else if (btf_is_int(ft)) {
        v.value = (btf_int_encoding(ft) & BTF_INT_SIGNED) ? 1 : 0;
      }
      break;
    case CoreReloKind::kFieldLshiftU64:
      if (v.bitfield) {
        v.value = 64 - (fs.bit_offset + fs.bitfield_size - byte_off * 8);
      } else {
        v.value = byte_sz <= 8 ? 64 - byte_sz * 8 : 0;
      }
      break;
    case CoreReloKind::kFieldRshiftU64:
      if (v.bitfield) {
        v.value = 64 - fs.bitfield_size;
      } else {
        v.value = byte_sz <= 8 ? 64 - byte_sz * 8 : 0;
      }
      break;
    case CoreReloKind::kTypeIdLocal:
    case CoreReloKind::kTypeIdTarget:
    case CoreReloKind::kTypeExists:
    case CoreReloKind::kTypeSize:
    case CoreReloKind::kEnumvalExists:
    case CoreReloKind::kEnumvalValue:
    case CoreReloKind::kTypeMatches: return load_error("not a field relocation");
  }
  return v;
}

// ---------------------------------------------------------------------------------------
// .BTF.ext

struct CoreRecord {
  uint32_t insn_off = 0;
  uint32_t type_id = 0;
  std::string access;
  uint32_t kind = 0;
};

uint32_t rd32(std::span<const uint8_t> b, size_t off) {
  uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}

// Reads the CO-RE subsection of .BTF.ext: by section name, the records sorted by offset.
Result<std::map<std::string, std::vector<CoreRecord>>> read_core_records(
    const btf* local, std::span<const uint8_t> ext) {
  std::map<std::string, std::vector<CoreRecord>> out;
  if (ext.empty()) return out;
  if (ext.size() < 8) return load_error(fmt::format(".BTF.ext is {} bytes, needs 8", ext.size()));
  uint16_t magic;
  std::memcpy(&magic, ext.data(), 2);
  if (magic != 0xeb9f) return load_error(fmt::format(".BTF.ext magic is 0x{:04x}", magic));
  const uint32_t hdr_len = rd32(ext, 4);
  if (hdr_len < 32 || hdr_len > ext.size()) return out;  // no CO-RE part in the header
  const uint32_t off = rd32(ext, 24);
  const uint32_t len = rd32(ext, 28);
  if (len == 0) return out;
  if (local == nullptr) return load_error(".BTF.ext has CO-RE records but .BTF is unreadable");
  if (uint64_t{hdr_len} + off + len > ext.size() || len < 4) {
    return load_error(fmt::format(".BTF.ext CO-RE records ({} bytes at {}) lie outside the "
                                  "section ({} bytes)", len, off, ext.size()));
  }
  std::span<const uint8_t> s = ext.subspan(hdr_len + off, len);
  const uint32_t rec_size = rd32(s, 0);
  if (rec_size < 16) {
    return load_error(fmt::format(".BTF.ext CO-RE record size {} is less than 16", rec_size));
  }
  size_t p = 4;
  while (p < s.size()) {
    if (s.size() - p < 8) return load_error(".BTF.ext CO-RE section header is truncated");
    const std::string sec = name_of(local, rd32(s, p));
    const uint32_t n = rd32(s, p + 4);
    p += 8;
    if (uint64_t{n} * rec_size > s.size() - p) {
      return load_error(fmt::format(".BTF.ext: {} CO-RE records of section {} lie outside "
                                    "the section", n, sec));
    }
    auto& list = out[sec];
    for (uint32_t i = 0; i < n; ++i, p += rec_size) {
      CoreRecord r;
      r.insn_off = rd32(s, p);
      r.type_id = rd32(s, p + 4);
      const char* acc = btf__name_by_offset(local, rd32(s, p + 8));
      if (acc == nullptr) {
        return load_error(fmt::format(".BTF.ext: CO-RE record {} of section {}: its access "
                                      "string offset is outside the strings", i, sec));
      }
      r.access = acc;
      r.kind = rd32(s, p + 12);
      list.push_back(std::move(r));
    }
    std::stable_sort(list.begin(), list.end(), [](const CoreRecord& a, const CoreRecord& b) {
      return a.insn_off < b.insn_off;
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// .kconfig

enum class KcfgType : uint8_t { kBool, kChar, kTristate, kInt, kCharArray };

struct KcfgExtern {
  std::string name;
  bool weak = false;
  KcfgType type = KcfgType::kInt;
  uint32_t size = 0;
  uint32_t align = 1;
  bool is_signed = false;
  uint64_t offset = 0;
};

Result<KcfgExtern> classify_kcfg(const btf* b, const std::string& name, uint32_t type_id) {
  KcfgExtern e;
  e.name = name;
  const uint32_t id = skip_mods_typedefs(b, type_id);
  const btf_type* t = btf__type_by_id(b, id);
  if (t == nullptr) return load_error(fmt::format("extern {}: its BTF type is missing", name));
  if (btf_is_int(t)) {
    e.size = t->size;
    e.align = t->size;
    const uint8_t enc = btf_int_encoding(t);
    if (enc & BTF_INT_BOOL) {
      e.type = KcfgType::kBool;
    } else if (t->size == 1 && (enc & BTF_INT_CHAR)) {
      e.type = KcfgType::kChar;
    } else {
      e.type = KcfgType::kInt;
      e.is_signed = (enc & BTF_INT_SIGNED) != 0;
    }
    if (e.size != 1 && e.size != 2 && e.size != 4 && e.size != 8) {
      return load_error(fmt::format("extern {}: an int of {} bytes", name, e.size));
    }
    return e;
  }
  if (btf_is_any_enum(t)) {
    if (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8) {
      return load_error(fmt::format("extern {}: an enum of {} bytes", name, t->size));
    }
    e.size = t->size;
    e.align = t->size;
    e.type = name_of(b, t->name_off) == "libbpf_tristate" ? KcfgType::kTristate : KcfgType::kInt;
    e.is_signed = btf_kflag(t);
    return e;
  }
  if (btf_is_array(t)) {
    const btf_type* el = resolved(b, btf_array(t)->type);
    if (el != nullptr && btf_is_int(el) && el->size == 1) {
      e.type = KcfgType::kCharArray;
      e.size = btf_array(t)->nelems;
      e.align = 1;
      return e;
    }
  }
  return load_error(fmt::format("extern {} (.kconfig): its type is neither a bool, a char, an "
                                "int, an enum nor a char array", name));
}

// Writes `value` (as a kernel config states it) into `out` for extern `e`.
Result<void> set_kcfg(const KcfgExtern& e, const std::string& value, std::span<uint8_t> out) {
  auto bad = [&](std::string_view why) {
    return load_error(fmt::format("extern {} (.kconfig): value '{}' {}", e.name, value, why));
  };
  if (value.empty()) return bad("is empty");
  const bool tri = value == "y" || value == "m" || value == "n";
  auto put_int = [&](uint64_t v) { std::memcpy(out.data(), &v, e.size); };
  switch (e.type) {
    case KcfgType::kBool:
      if (!tri) return bad("is not y, m or n");
      out[0] = value == "n" ? 0 : 1;
      return {};
    case KcfgType::kChar:
      if (!tri) return bad("is not y, m or n");
      out[0] = static_cast<uint8_t>(value[0]);
      return {};
    case KcfgType::kTristate:
      if (!tri) return bad("is not y, m or n");
      // enum libbpf_tristate: TRI_NO = 0, TRI_YES = 1, TRI_MODULE = 2
      put_int(value == "y" ? 1 : value == "m" ? 2 : 0);
      return {};
    case KcfgType::kCharArray: {
      if (value.size() < 2 || value.front() != '"' || value.back() != '"') {
        return bad("is not a \"string\"");
      }
      const std::string str = value.substr(1, value.size() - 2);
      if (str.size() + 1 > e.size) {
        return bad(fmt::format("does not fit {} bytes with its terminating zero", e.size));
      }
      std::memcpy(out.data(), str.data(), str.size());
      return {};
    }
    case KcfgType::kInt: {
      if (tri) {
        put_int(value == "n" ? 0 : 1);
        return {};
      }
      const bool neg = value[0] == '-';
      std::string_view digits = std::string_view(value).substr(neg ? 1 : 0);
      int base = 10;
      if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
        base = 16;
        digits.remove_prefix(2);
      }
      uint64_t mag = 0;
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), mag, base);
      if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty()) {
        return bad("is not a number");
      }
      const unsigned bits = e.size * 8;
      if (neg) {
        if (!e.is_signed || (bits < 64 && mag > (uint64_t{1} << (bits - 1))) ||
            (bits == 64 && mag > (uint64_t{1} << 63))) {
          return bad(fmt::format("does not fit a {}-byte {} int", e.size,
                                 e.is_signed ? "signed" : "unsigned"));
        }
        put_int(static_cast<uint64_t>(-static_cast<int64_t>(mag)));
        return {};
      }
      const uint64_t max = bits == 64 ? UINT64_MAX
                           : e.is_signed ? (uint64_t{1} << (bits - 1)) - 1
                                         : (uint64_t{1} << bits) - 1;
      if (mag > max) {
        return bad(fmt::format("does not fit a {}-byte {} int", e.size,
                               e.is_signed ? "signed" : "unsigned"));
      }
      put_int(mag);
      return {};
    }
  }
  return {};
}

}  // namespace

// ---------------------------------------------------------------------------------------

struct BtfLinker::Impl {
  const btf* local = nullptr;
  const LoadOptions* opts = nullptr;
  std::map<std::string, std::vector<CoreRecord>> core;
  std::map<std::string, ExternInfo> externs;
  std::optional<DataImage> kconfig;
  std::unique_ptr<btf, BtfFree> target;
  bool target_tried = false;
  std::string target_error;
  // Target type ids by essential name, each name looked up once (one pass over the
  // target's types: a kernel's BTF has over 100,000).
  std::map<std::string, std::vector<uint32_t>, std::less<>> by_name;

  Result<const btf*> target_btf(const std::string& what);
  std::vector<uint32_t> candidates(const btf_type* local_type, const std::string& name);
  Result<void> apply(const std::string& program, const std::string& section,
                     const CoreRecord& r, std::span<RawInsn> raw, uint32_t slot,
                     std::vector<CoreReloResult>& applied);
};

BtfLinker::BtfLinker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BtfLinker::~BtfLinker() = default;

Result<const btf*> BtfLinker::Impl::target_btf(const std::string& what) {
  if (!target_tried) {
    target_tried = true;
    if (!opts->target_btf.empty()) {
      btf* t = btf__parse(opts->target_btf.c_str(), nullptr);
      if (libbpf_get_error(t) != 0 || t == nullptr) {
        target_error = fmt::format("cannot read the target BTF {}: {}", opts->target_btf,
                                   std::strerror(errno));
      } else {
        target.reset(t);
      }
    }
  }
  if (target) return static_cast<const btf*>(target.get());
  if (!target_error.empty()) return load_error(fmt::format("{}: {}", what, target_error));
  return load_error(fmt::format("{} needs a target BTF (give --btf FILE)", what));
}

std::vector<uint32_t> BtfLinker::Impl::candidates(const btf_type* lt, const std::string& name) {
  const btf* t = target.get();
  const std::string_view want = essential(name);
  if (want.empty()) return {};
  auto it = by_name.find(want);
  if (it == by_name.end()) {
    std::vector<uint32_t> ids;
    const uint32_t n = btf__type_cnt(t);
    for (uint32_t id = 1; id < n; ++id) {
      const char* nm = btf__name_by_offset(t, btf__type_by_id(t, id)->name_off);
      if (nm != nullptr && nm[0] == want[0] && essential(nm) == want) ids.push_back(id);
    }
    it = by_name.emplace(std::string(want), std::move(ids)).first;
  }
  std::vector<uint32_t> out;
  for (uint32_t id : it->second) {
    if (same_kind(lt, btf__type_by_id(t, id))) out.push_back(id);
  }
  return out;
}

namespace {

const char* insn_label(uint8_t opcode) {
  switch (opcode & 0x07) {
    case 0x00: return opcode == 0x18 ? "lddw" : "ld";
    case 0x01: return "ldx";
    case 0x02: return "st";
    case 0x03: return "stx";
    case 0x04: return "alu32";
    case 0x07: return "alu64";
    default: return "jmp";
  }
}

// Replaces the instruction at `slot` by a call to helper kCorePoisonHelper (see
// btf_relo_types.h); both slots of an lddw become that call (as libbpf leaves them).
void poison(std::span<RawInsn> raw, uint32_t slot) {
  const bool wide = raw[slot].opcode == 0x18;
  raw[slot] = RawInsn{0x85, 0, 0, kCorePoisonHelper};
  if (wide && slot + 1 < raw.size()) raw[slot + 1] = raw[slot];
}

uint32_t mem_size_bytes(uint8_t opcode) {
  switch (opcode & 0x18) {
    case 0x00: return 4;
    case 0x08: return 2;
    case 0x10: return 1;
    default: return 8;
  }
}

uint8_t mem_size_code(uint32_t bytes) {
  switch (bytes) {
    case 1: return 0x10;
    case 2: return 0x08;
    case 4: return 0x00;
    default: return 0x18;
  }
}

}  // namespace

Result<void> BtfLinker::Impl::apply(const std::string& program, const std::string& section,
                                    const CoreRecord& r, std::span<RawInsn> raw, uint32_t slot,
                                    std::vector<CoreReloResult>& applied) {
  const char* kname = core_relo_kind_name(r.kind);
  auto at = [&](std::string msg) {
    return Diagnostic{ErrorCode::kLoad, slot, fmt::format("program {}: {}", program, msg)};
  };
  if (kname == nullptr) {
    return at(fmt::format("CO-RE relocation at {} offset {} has unknown kind {}", section,
                          r.insn_off, r.kind));
  }
  const auto kind = static_cast<CoreReloKind>(r.kind);
  auto spec = local_spec(local, r.type_id, r.access, kind);
  if (!spec) {
    return at(fmt::format("CO-RE relocation ({}, access {}) at {} offset {}: {}", kname,
                          r.access, section, r.insn_off, spec.error().message));
  }
  const std::string what = fmt::format("CO-RE relocation of '{}' ({}, access {}, {} offset {})",
                                       spec->what, kname, r.access, section, r.insn_off);
  CoreReloResult res;
  res.slot = slot;
  res.section = section;
  res.insn_off = r.insn_off;
  res.kind = kind;
  res.what = spec->what;
  res.access = r.access;

  // The local value (what the compiler wrote) and the target value.
  uint64_t local_value = 0;
  uint64_t target_value = 0;
  bool found = false;
  bool validate = true;
  uint32_t local_size = 0;   // field relocations: the field's size here and there
  uint32_t target_size = 0;
  uint32_t local_ftype = 0;
  uint32_t target_ftype = 0;
  const btf* tb = nullptr;

  if (is_field_kind(kind)) {
    auto lv = field_value(local, spec->field, kind);
    if (!lv) return at(fmt::format("{}: {}", what, lv.error().message));
    local_value = lv->value;
    local_size = lv->byte_size;
    local_ftype = lv->type;
    // A bitfield's load window is the compiler's choice and may differ from ours.
    validate = !lv->bitfield || kind == CoreReloKind::kFieldSigned;
  } else if (is_enumval_kind(kind)) {
    local_value = kind == CoreReloKind::kEnumvalExists ? 1 : spec->enum_value;
  } else if (kind == CoreReloKind::kTypeSize) {
    const int64_t sz = btf__resolve_size(local, r.type_id);
    if (sz < 0) return at(fmt::format("{}: the local type's size is unknown", what));
    local_value = static_cast<uint64_t>(sz);
  } else if (kind == CoreReloKind::kTypeIdLocal || kind == CoreReloKind::kTypeIdTarget) {
    local_value = r.type_id;
  } else {
    local_value = 1;  // type exists, type matches
  }

  if (kind == CoreReloKind::kTypeIdLocal) {
    target_value = local_value;
    found = true;
  } else {
    auto tbr = target_btf(what);
    if (!tbr) return at(tbr.error().message);
    tb = *tbr;
    const uint32_t lres = is_field_kind(kind) || is_enumval_kind(kind)
                              ? skip_mods_typedefs(local, r.type_id)
                              : r.type_id;
    const btf_type* lt = btf__type_by_id(local, lres);
    const std::string lname = name_of(local, lt->name_off);
    if (lname.empty()) {
      return at(fmt::format("{}: the local type {} is anonymous and cannot be matched", what,
                            type_label(local, r.type_id)));
    }
    std::optional<uint64_t> chosen;
    uint32_t chosen_id = 0;
    for (uint32_t cid : candidates(lt, lname)) {
      std::optional<uint64_t> v;
      uint32_t tsize = 0;
      uint32_t tftype = 0;
      if (is_field_kind(kind)) {
        auto fs = match_field(local, *spec, tb, cid);
        if (!fs) continue;
        auto fv = field_value(tb, *fs, kind);
        if (!fv) return at(fmt::format("{}: in target {}: {}", what, type_label(tb, cid),
                                       fv.error().message));
        v = fv->value;
        tsize = fv->byte_size;
        tftype = fv->type;
      } else if (is_enumval_kind(kind)) {
        const btf_type* et = btf__type_by_id(tb, cid);
        for (uint16_t i = 0; i < btf_vlen(et); ++i) {
          const bool e32 = btf_is_enum(et);
          const std::string en = name_of(tb, e32 ? btf_enum(et)[i].name_off
                                                 : btf_enum64(et)[i].name_off);
          if (essential(en) != essential(spec->enumerator)) continue;
          if (kind == CoreReloKind::kEnumvalExists) {
            v = 1;
          } else if (e32) {
            const int32_t ev = btf_enum(et)[i].val;
            v = btf_kflag(et) ? static_cast<uint64_t>(static_cast<int64_t>(ev))
                              : static_cast<uint32_t>(ev);
          } else {
            v = btf_enum64_value(&btf_enum64(et)[i]);
          }
          break;
        }
        if (!v) continue;
      } else {
        if (kind == CoreReloKind::kTypeMatches) {
          if (!types_match(local, r.type_id, tb, cid)) continue;
          v = 1;
        } else {
          if (!types_compatible(local, r.type_id, tb, cid)) continue;
          if (kind == CoreReloKind::kTypeIdTarget) {
            v = cid;
          } else if (kind == CoreReloKind::kTypeSize) {
            const int64_t sz = btf__resolve_size(tb, cid);
            if (sz < 0) continue;
            v = static_cast<uint64_t>(sz);
          } else {
            v = 1;  // type exists
          }
        }
      }
      if (!chosen) {
        chosen = v;
        chosen_id = cid;
        target_size = tsize;
        target_ftype = tftype;
      } else if (*chosen != *v && kind != CoreReloKind::kTypeIdTarget) {
        return at(fmt::format("{}: ambiguous: target types {} (id {}) and {} (id {}) give {} "
                              "and {}", what, type_label(tb, chosen_id), chosen_id,
                              type_label(tb, cid), cid, *chosen, *v));
      }
    }
    if (chosen) {
      found = true;
      target_value = *chosen;
    }
  }

  res.local_value = local_value;
  if (!found) {
    // Existence questions and every type relocation (target id, size, matches) answer 0,
    // as libbpf does; field and enum value relocations poison the instruction (refused by
    // the verifier only if a path reaches it).
    const bool answers_zero =
        kind == CoreReloKind::kFieldExists || kind == CoreReloKind::kTypeExists ||
        kind == CoreReloKind::kTypeMatches || kind == CoreReloKind::kEnumvalExists ||
        kind == CoreReloKind::kTypeIdTarget || kind == CoreReloKind::kTypeSize;
    target_value = 0;
    res.poisoned = !answers_zero;
  }
  res.target_value = target_value;

  RawInsn& in = raw[slot];
  const uint8_t cls = in.opcode & 0x07;
  const std::string iname = fmt::format("insn {} ({} 0x{:02x})", slot, insn_label(in.opcode),
                                        in.opcode);
  if (res.poisoned) {
    if (in.opcode == 0x18 && slot + 1 >= raw.size()) {
      return at(fmt::format("{}: the lddw is truncated", what));
    }
    logger().debug("program {}: {}: no match in the target BTF; {} is poisoned", program, what,
                   iname);
    poison(raw, slot);
    applied.push_back(std::move(res));
    return {};
  }
  auto mismatch = [&](int64_t have) {
    return at(fmt::format("{}: {} holds {}, not the local BTF's value {}", what, iname, have,
                          local_value));
  };
  if (cls == 0x04 || cls == 0x07) {  // alu32 / alu64 with an immediate
    if (in.opcode & 0x08) return at(fmt::format("{}: {} has no immediate", what, iname));
    if (validate && static_cast<uint32_t>(in.imm) != static_cast<uint32_t>(local_value)) {
      return mismatch(in.imm);
    }
    const bool fits = cls == 0x04 ? target_value <= UINT32_MAX
                                  : static_cast<int64_t>(target_value) <= INT32_MAX;
    if (!fits) {
      return at(fmt::format("{}: the target value {} does not fit the immediate of {}", what,
                            target_value, iname));
    }
    in.imm = static_cast<int32_t>(static_cast<uint32_t>(target_value));
  } else if (cls == 0x01 || cls == 0x02 || cls == 0x03) {  // ldx / st / stx: the offset
    const uint8_t mode = in.opcode & 0xe0;
    if (mode != 0x60 && mode != 0x80) {
      return at(fmt::format("{}: {} is not a memory access with an offset", what, iname));
    }
    if (validate && static_cast<int64_t>(in.off) != static_cast<int64_t>(local_value)) {
      return mismatch(in.off);
    }
    if (target_value > INT16_MAX) {
      return at(fmt::format("{}: the target offset {} does not fit the 16-bit offset of {}",
                            what, target_value, iname));
    }
    in.off = static_cast<int16_t>(target_value);
    if (kind == CoreReloKind::kFieldByteOffset && validate && local_size != target_size) {
      // The field changed size: a load or store of the whole field follows it when both
      // are pointers or unsigned ints (zero extension keeps the value).
      const uint32_t access = mem_size_bytes(in.opcode);
      const btf_type* lt = resolved(local, local_ftype);
      const btf_type* tt = resolved(tb, target_ftype);
      const bool ptrs = lt && tt && btf_is_ptr(lt) && btf_is_ptr(tt);
      const bool uints = lt && tt && btf_is_int(lt) && btf_is_int(tt) &&
                         !(btf_int_encoding(lt) & BTF_INT_SIGNED) &&
                         !(btf_int_encoding(tt) & BTF_INT_SIGNED);
      if (access != local_size) {
        return at(fmt::format("{}: {} accesses {} bytes of a {}-byte field", what, iname, access,
                              local_size));
      }
      if (!(ptrs || uints) || (target_size != 1 && target_size != 2 && target_size != 4 &&
                               target_size != 8)) {
        return at(fmt::format("{}: the field is {} bytes in the target, {} here, and {} cannot "
                              "follow it", what, target_size, local_size, iname));
      }
      in.opcode = static_cast<uint8_t>((in.opcode & ~0x18) | mem_size_code(target_size));
    }
  } else if (in.opcode == 0x18) {  // lddw
    if (slot + 1 >= raw.size()) return at(fmt::format("{}: the lddw is truncated", what));
    const uint64_t have = static_cast<uint32_t>(in.imm) |
                          (uint64_t{static_cast<uint32_t>(raw[slot + 1].imm)} << 32);
    const bool ok = have == local_value ||
                    (is_enumval_kind(kind) && static_cast<uint32_t>(have) ==
                                                  static_cast<uint32_t>(local_value));
    if (validate && !ok) return mismatch(static_cast<int64_t>(have));
    in.imm = static_cast<int32_t>(static_cast<uint32_t>(target_value));
    raw[slot + 1].imm = static_cast<int32_t>(static_cast<uint32_t>(target_value >> 32));
  } else {
    return at(fmt::format("{}: {} cannot take a relocated value", what, iname));
  }
  applied.push_back(std::move(res));
  return {};
}

Result<std::unique_ptr<BtfLinker>> BtfLinker::create(const btf* local,
                                                     std::span<const uint8_t> btf_ext,
                                                     const std::vector<ExternSymbol>& externs,
                                                     const LoadOptions& opts) {
  auto impl = std::make_unique<Impl>();
  impl->local = local;
  impl->opts = &opts;
  auto core = read_core_records(local, btf_ext);
  if (!core) return core.take_error();
  impl->core = std::move(core).value();

  // Externs: find each undefined symbol's declaration in the BTF.
  std::vector<KcfgExtern> kcfg;
  for (const ExternSymbol& sym : externs) {
    ExternInfo info;
    info.name = sym.name;
    if (local != nullptr) {
      const uint32_t n = btf__type_cnt(local);
      for (uint32_t id = 1; id < n && info.kind == ExternKind::kUnknown; ++id) {
        const btf_type* t = btf__type_by_id(local, id);
        if (btf_is_func(t) && name_of(local, t->name_off) == sym.name) {
          info.kind = ExternKind::kKfunc;
          break;
        }
        if (!btf_is_datasec(t)) continue;
        const std::string sec = name_of(local, t->name_off);
        const btf_var_secinfo* vs = btf_var_secinfos(t);
        for (uint16_t i = 0; i < btf_vlen(t); ++i) {
          const btf_type* v = btf__type_by_id(local, vs[i].type);
          if (v == nullptr || name_of(local, v->name_off) != sym.name) continue;
          if (sec == ".kconfig") {
            info.kind = ExternKind::kKconfig;
            if (!btf_is_var(v)) {
              return load_error(fmt::format("extern {} (.kconfig) is not a variable", sym.name));
            }
            auto k = classify_kcfg(local, sym.name, v->type);
            if (!k) return k.take_error();
            k->weak = sym.weak;
            kcfg.push_back(std::move(k).value());
          } else if (sec == ".ksyms") {
            info.kind = btf_is_func(v) ? ExternKind::kKfunc : ExternKind::kKsym;
          }
          break;
        }
      }
    }
    impl->externs[sym.name] = std::move(info);
  }

  if (!kcfg.empty()) {
    // Largest alignment first, then smaller sizes first, then by name.
    std::sort(kcfg.begin(), kcfg.end(), [](const KcfgExtern& a, const KcfgExtern& b) {
      if (a.align != b.align) return a.align > b.align;
      if (a.size != b.size) return a.size < b.size;
      return a.name < b.name;
    });
    DataImage img;
    img.name = ".kconfig";
    img.readonly = true;
    uint64_t off = 0;
    for (KcfgExtern& e : kcfg) {
      off = (off + e.align - 1) / e.align * e.align;
      e.offset = off;
      off += e.size;
    }
    img.bytes.assign(std::max<uint64_t>(off, 1), 0);
    for (const KcfgExtern& e : kcfg) {
      impl->externs[e.name].offset = e.offset;
      img.vars.push_back(DataImage::Var{e.name, e.offset, e.size});
      auto it = opts.kconfig.find(e.name);
      if (it == opts.kconfig.end()) {
        if (e.weak) continue;
        return load_error(fmt::format("extern {} (.kconfig) has no value: give it with "
                                      "--kconfig FILE, or declare it __weak", e.name));
      }
      auto r = set_kcfg(e, it->second,
                        std::span<uint8_t>(img.bytes.data() + e.offset, e.size));
      if (!r) return r.take_error();
    }
    impl->kconfig = std::move(img);
  }
  return std::unique_ptr<BtfLinker>(new BtfLinker(std::move(impl)));
}

std::optional<DataImage> BtfLinker::take_kconfig_image() {
  std::optional<DataImage> out = std::move(impl_->kconfig);
  impl_->kconfig.reset();
  return out;
}

ExternInfo BtfLinker::find_extern(const std::string& name) const {
  auto it = impl_->externs.find(name);
  if (it != impl_->externs.end()) return it->second;
  return ExternInfo{name, ExternKind::kUnknown, 0};
}

bool BtfLinker::has_core_relos() const {
  for (const auto& [sec, list] : impl_->core) {
    if (!list.empty()) return true;
  }
  return false;
}

Result<void> BtfLinker::relocate(const std::string& program, const std::string& section,
                                 uint32_t start, uint32_t end, std::span<RawInsn> raw,
                                 uint32_t base, std::vector<CoreReloResult>& applied) {
  auto it = impl_->core.find(section);
  if (it == impl_->core.end()) return {};
  for (const CoreRecord& r : it->second) {
    if (r.insn_off % kSlotSize != 0) {
      return load_error(fmt::format("program {}: CO-RE relocation at {} offset {} is not at an "
                                    "instruction", program, section, r.insn_off));
    }
    const uint32_t s = r.insn_off / kSlotSize;
    if (s < start || s >= end) continue;
    const uint32_t slot = base + (s - start);
    if (slot >= raw.size()) continue;
    if (auto a = impl_->apply(program, section, r, raw, slot, applied); !a) return a;
  }
  return {};
}

const char* core_relo_kind_name(uint32_t kind) {
  switch (kind) {
#define BPFJIT_X(e, n, s) \
  case n: return s;
    BPFJIT_CORE_RELO_KINDS(BPFJIT_X)
#undef BPFJIT_X
    default: return nullptr;
  }
}

// ---------------------------------------------------------------------------------------
// Kernel config and version

Result<std::map<std::string, std::string>> parse_kconfig(std::string_view text) {
  std::map<std::string, std::string> out;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty()) {
      if (nl == text.size()) break;
      continue;
    }
    if (line[0] == '#') {
      // "# CONFIG_FOO is not set"
      constexpr std::string_view kNotSet = " is not set";
      std::string_view rest = line.substr(1);
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      if (rest.size() > kNotSet.size() && rest.substr(0, 7) == "CONFIG_" &&
          rest.substr(rest.size() - kNotSet.size()) == kNotSet) {
        out[std::string(rest.substr(0, rest.size() - kNotSet.size()))] = "n";
      }
      if (nl == text.size()) break;
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return load_error(fmt::format("kernel config line {}: '{}' is not NAME=VALUE", line_no,
                                    line));
    }
    std::string_view name = line.substr(0, eq);
    std::string_view value = line.substr(eq + 1);
    if (value.empty()) {
      return load_error(fmt::format("kernel config line {}: {} has no value", line_no, name));
    }
    if (value.front() == '"' && (value.size() < 2 || value.back() != '"')) {
      return load_error(fmt::format("kernel config line {}: the string of {} is not closed",
                                    line_no, name));
    }
    out[std::string(name)] = std::string(value);
    if (nl == text.size()) break;
  }
  return out;
}

Result<std::map<std::string, std::string>> read_kconfig_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, fmt::format("cannot open {}", path));
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto r = parse_kconfig(text);
  if (!r) return load_error(fmt::format("{}: {}", path, r.error().message));
  return r;
}

std::optional<uint32_t> kernel_version_from_release(std::string_view release) {
  uint32_t parts[3] = {0, 0, 0};
  size_t p = 0;
  int got = 0;
  for (int i = 0; i < 3; ++i) {
    auto [end, ec] = std::from_chars(release.data() + p, release.data() + release.size(),
                                     parts[i]);
    if (ec != std::errc()) break;
    ++got;
    p = static_cast<size_t>(end - release.data());
    if (p >= release.size() || release[p] != '.') break;
    ++p;
  }
  if (got < 2) return std::nullopt;
  return (parts[0] << 16) + (parts[1] << 8) + std::min<uint32_t>(parts[2], 255);
}

std::map<std::string, std::string> linux_platform_kconfig() {
  std::map<std::string, std::string> out;
  utsname u{};
  if (uname(&u) == 0) {
    if (auto v = kernel_version_from_release(u.release)) {
      out["LINUX_KERNEL_VERSION"] = std::to_string(*v);
    }
  }
  out["LINUX_HAS_SYSCALL_WRAPPER"] = "y";
  out["LINUX_HAS_BPF_COOKIE"] = "y";
  return out;
}

std::string default_linux_target_btf() {
  const char* path = "/sys/kernel/btf/vmlinux";
  std::ifstream in(path, std::ios::binary);
  return in ? path : "";
}

}  // namespace bpfjit
