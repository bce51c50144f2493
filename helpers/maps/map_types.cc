// The map type table (map_types.def) and the names and numbers read from it.
#include "helpers/map_types.h"

#include <array>

#include <fmt/format.h>
#include <linux/bpf.h>

#include "helpers/maps.h"

namespace bpfjit {

namespace {

constexpr MapTypeInfo kRows[] = {
#define BPFJIT_MAP_TYPE(ident, name, number, key, value, max_entries, flags, impl, percpu,     \
                        lookup, ops)                                                           \
  MapTypeInfo{MapType::ident,   name,           number,                                       \
              SizeRule::key,    SizeRule::value, MaxEntriesRule::max_entries,                 \
              flags,            MapImpl::impl,  MapImpl::impl != MapImpl::kNone,            \
              percpu,           MapLookup::lookup, ops},
#include "helpers/maps/map_types.def"
#undef BPFJIT_MAP_TYPE
};

// Row i is type number i, and each row's number is its MapType's value.
constexpr bool rows_in_order() {
  for (uint32_t i = 0; i < std::size(kRows); ++i) {
    if (kRows[i].number != i || static_cast<uint32_t>(kRows[i].type) != i) return false;
  }
  return true;
}
static_assert(rows_in_order());
// The numbers the 6.1 uapi header has agree with the table (cgrp_storage came in 6.2).
static_assert(std::size(kRows) == BPF_MAP_TYPE_USER_RINGBUF + 2);
static_assert(static_cast<uint32_t>(MapType::kPerfEventArray) == BPF_MAP_TYPE_PERF_EVENT_ARRAY);
static_assert(static_cast<uint32_t>(MapType::kLpmTrie) == BPF_MAP_TYPE_LPM_TRIE);
static_assert(static_cast<uint32_t>(MapType::kArrayOfMaps) == BPF_MAP_TYPE_ARRAY_OF_MAPS);
static_assert(static_cast<uint32_t>(MapType::kHashOfMaps) == BPF_MAP_TYPE_HASH_OF_MAPS);
static_assert(static_cast<uint32_t>(MapType::kSkStorage) == BPF_MAP_TYPE_SK_STORAGE);
static_assert(static_cast<uint32_t>(MapType::kStructOps) == BPF_MAP_TYPE_STRUCT_OPS);
static_assert(static_cast<uint32_t>(MapType::kBloomFilter) == BPF_MAP_TYPE_BLOOM_FILTER);
static_assert(static_cast<uint32_t>(MapType::kUserRingbuf) == BPF_MAP_TYPE_USER_RINGBUF);
static_assert(kFlagNoCommonLru == BPF_F_NO_COMMON_LRU && kFlagWronlyProg == BPF_F_WRONLY_PROG);
static_assert(kFlagNumaNode == BPF_F_NUMA_NODE && kFlagRdonly == BPF_F_RDONLY &&
              kFlagWronly == BPF_F_WRONLY && kFlagZeroSeed == BPF_F_ZERO_SEED &&
              kFlagPreserveElems == BPF_F_PRESERVE_ELEMS);
static_assert(kFlagAccess == (BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG |
                              BPF_F_WRONLY_PROG));
static_assert(kFlagNoPrealloc == kMapFlagNoPrealloc && kFlagRdonlyProg == kMapFlagRdonlyProg);

// The family of map operations each map helper performs (the other direction of the
// kernel's check_map_func_compatibility: each MapTypeInfo::ops names the families a type
// allows).
struct MapHelperFamily {
  std::string_view helper;
  uint32_t family;
};
constexpr MapHelperFamily kMapHelperFamilies[] = {
    {"map_lookup_elem", kOpLookup},        {"map_update_elem", kOpUpdate},
    {"map_delete_elem", kOpDelete},        {"map_push_elem", kOpPush},
    {"map_pop_elem", kOpPop},              {"map_peek_elem", kOpPeek},
    {"for_each_map_elem", kOpForEach},     {"tail_call", kOpTailCall},
    {"perf_event_output", kOpPerfEvent},   {"perf_event_read", kOpPerfEvent},
    {"perf_event_read_value", kOpPerfEvent}, {"skb_output", kOpPerfEvent},
    {"xdp_output", kOpPerfEvent},          {"get_stackid", kOpGetStackid},
    {"skb_under_cgroup", kOpUnderCgroup},  {"current_task_under_cgroup", kOpUnderCgroup},
    {"redirect_map", kOpRedirectMap},      {"sk_redirect_map", kOpSockRedirect},
    {"sk_redirect_hash", kOpSockRedirect}, {"msg_redirect_map", kOpSockRedirect},
    {"msg_redirect_hash", kOpSockRedirect}, {"sock_map_update", kOpSockRedirect},
    {"sock_hash_update", kOpSockRedirect}, {"sk_select_reuseport", kOpSelectReuseport},
    {"get_local_storage", kOpGetLocalStorage}, {"sk_storage_get", kOpLocalStorage},
    {"sk_storage_delete", kOpLocalStorage}, {"inode_storage_get", kOpLocalStorage},
    {"inode_storage_delete", kOpLocalStorage}, {"task_storage_get", kOpLocalStorage},
    {"task_storage_delete", kOpLocalStorage}, {"cgrp_storage_get", kOpLocalStorage},
    {"cgrp_storage_delete", kOpLocalStorage}, {"ringbuf_output", kOpRingbuf},
    {"ringbuf_reserve", kOpRingbuf},       {"ringbuf_query", kOpRingbuf},
    {"ringbuf_reserve_dynptr", kOpRingbuf}, {"user_ringbuf_drain", kOpUserRingbufDrain},
    {"spin_lock", kOpSpinLock},            {"spin_unlock", kOpSpinLock},
};

}  // namespace

uint32_t map_op_of_helper(std::string_view helper) {
  for (const MapHelperFamily& f : kMapHelperFamilies) {
    if (f.helper == helper) return f.family;
  }
  return 0;
}

std::span<const MapTypeInfo> map_type_table() { return kRows; }

const MapTypeInfo* map_type_info(uint32_t number) {
  return number < std::size(kRows) ? &kRows[number] : nullptr;
}

const MapTypeInfo* map_type_info(MapType type) {
  return map_type_info(static_cast<uint32_t>(type));
}

const MapTypeInfo* map_type_info_by_name(std::string_view name) {
  for (const MapTypeInfo& row : kRows) {
    if (name == row.name) return &row;
  }
  return nullptr;
}

const char* size_rule_text(SizeRule rule) {
  switch (rule) {
    case SizeRule::kAtLeastOne: return "at least 1";
    case SizeRule::kFour: return "4";
    case SizeRule::kFourOrEight: return "4 or 8";
    case SizeRule::kZero: return "0";
    case SizeRule::kLpmKey: return "5 to 260 (a u32 prefix length and the data)";
    case SizeRule::kCgroupStorageKey: return "8 or 16";
    case SizeRule::kMultipleOf8: return "a positive multiple of 8";
  }
  return "?";
}

const char* map_type_name(MapType type) {
  const MapTypeInfo* row = map_type_info(type);
  return row != nullptr ? row->name : nullptr;
}

Result<MapType> map_type_from_kernel(uint32_t type) {
  const MapTypeInfo* row = map_type_info(type);
  if (row == nullptr) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("map type {} is not a kernel map type", type));
  }
  if (row->type == MapType::kUnspec) {
    return make_error(ErrorCode::kInvalidArgument, "map type 0 (unspec) is not a map type");
  }
  return row->type;
}

}  // namespace bpfjit
