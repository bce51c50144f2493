// The kernel's map types as data: one row per type of enum bpf_map_type, read from
// helpers/maps/map_types.def. create_map() validates specs by these rules, map_type_name()
// and map_type_from_kernel() read the names and numbers, and a verifier reads how lookups
// and helpers treat each type.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "bpfjit/types.h"

namespace bpfjit {

// What a key or value size must be.
enum class SizeRule : uint8_t {
  kAtLeastOne,         // 1 or more (bounded by the runtime's limits)
  kFour,               // exactly 4 (an index, an fd or an ifindex)
  kFourOrEight,        // 4 or 8 (an fd/ifindex, or the kernel's 8-byte value struct)
  kZero,               // 0 (no keys / no values)
  kLpmKey,             // a u32 prefix length and 1 to 256 bytes of data: 5 to 260
  kCgroupStorageKey,   // a u64 cgroup id (8) or struct bpf_cgroup_storage_key (16)
  kMultipleOf8,        // a positive multiple of 8 (stack_trace: u64 instruction pointers)
};

// What max_entries must be.
enum class MaxEntriesRule : uint8_t {
  kAtLeastOne,  // 1 or more
  kZero,        // 0: storage attached to sockets, tasks, inodes or cgroups
  kAny,         // any; 0 means one per CPU (perf_event_array, which libbpf fills in)
  kRingSize,    // the data size in bytes: a power of two, at least 4096
  kOne,         // exactly 1 (struct_ops)
};

// What a program's bpf_map_lookup_elem on a map of the type gives.
enum class MapLookup : uint8_t {
  kValueOrNull,     // a pointer to the value, or null
  kInnerMapOrNull,  // map-in-map: the inner map, or null
  kSocketOrNull,    // a socket (sockmap, sockhash, xskmap), or null
  kNotAllowed,      // programs may not look up (use the type's own helpers)
};

// The implementation create_map builds for a type (helpers/maps/*.cc), kNone for the
// types the runtime does not run.
enum class MapImpl : uint8_t {
  kNone,
  kArray,        // array, percpu_array (array_map.cc)
  kHash,         // hash, percpu_hash, lru_hash, lru_percpu_hash (hash_map.cc)
  kProgArray,    // prog_array (prog_array_map.cc)
  kQueue,        // queue, stack (queue_map.cc)
  kRingbuf,      // ringbuf (ringbuf_map.cc)
  kLpmTrie,      // lpm_trie (lpm_trie_map.cc)
  kBloomFilter,  // bloom_filter (bloom_filter_map.cc)
  kMapOfMaps,    // array_of_maps, hash_of_maps (map_of_maps.cc)
  kRedirect,     // devmap, devmap_hash, cpumap, xskmap (redirect_maps.cc)
  kPerfEvent,    // perf_event_array (perf_event_map.cc)
};

// Families of helpers a program may call on a map (MapTypeInfo::ops bits).
enum MapOp : uint32_t {
  kOpLookup = 1U << 0,             // map_lookup_elem
  kOpUpdate = 1U << 1,             // map_update_elem
  kOpDelete = 1U << 2,             // map_delete_elem
  kOpPush = 1U << 3,               // map_push_elem
  kOpPop = 1U << 4,                // map_pop_elem
  kOpPeek = 1U << 5,               // map_peek_elem
  kOpForEach = 1U << 6,            // for_each_map_elem
  kOpTailCall = 1U << 7,           // tail_call
  kOpPerfEvent = 1U << 8,          // perf_event_output, perf_event_read(_value), skb/xdp_output
  kOpGetStackid = 1U << 9,         // get_stackid
  kOpUnderCgroup = 1U << 10,       // skb_under_cgroup, current_task_under_cgroup
  kOpRedirectMap = 1U << 11,       // redirect_map
  kOpSockRedirect = 1U << 12,      // sk/msg_redirect_map/hash, sock_map/hash_update
  kOpSelectReuseport = 1U << 13,   // sk_select_reuseport
  kOpGetLocalStorage = 1U << 14,   // get_local_storage (cgroup storage)
  kOpLocalStorage = 1U << 15,      // sk/inode/task/cgrp_storage_get and _delete
  kOpRingbuf = 1U << 16,           // ringbuf_output, _reserve, _query, dynptr variants
  kOpUserRingbufDrain = 1U << 17,  // user_ringbuf_drain
  kOpSpinLock = 1U << 18,          // spin_lock, spin_unlock on a bpf_spin_lock in a value
                                   // (only these types may hold one: map_check_btf)
};

// Map creation flags (BPF_F_*) the table names.
inline constexpr uint32_t kFlagNoPrealloc = 1U << 0;   // BPF_F_NO_PREALLOC
inline constexpr uint32_t kFlagNoCommonLru = 1U << 1;  // BPF_F_NO_COMMON_LRU
inline constexpr uint32_t kFlagNumaNode = 1U << 2;     // BPF_F_NUMA_NODE
inline constexpr uint32_t kFlagRdonly = 1U << 3;       // BPF_F_RDONLY
inline constexpr uint32_t kFlagWronly = 1U << 4;       // BPF_F_WRONLY
inline constexpr uint32_t kFlagZeroSeed = 1U << 6;     // BPF_F_ZERO_SEED
inline constexpr uint32_t kFlagRdonlyProg = 1U << 7;   // BPF_F_RDONLY_PROG
inline constexpr uint32_t kFlagWronlyProg = 1U << 8;   // BPF_F_WRONLY_PROG
inline constexpr uint32_t kFlagPreserveElems = 1U << 11;  // BPF_F_PRESERVE_ELEMS
// BPF_F_ACCESS_MASK: the access flags every map type accepts.
inline constexpr uint32_t kFlagAccess = kFlagRdonly | kFlagWronly | kFlagRdonlyProg |
                                        kFlagWronlyProg;
inline constexpr uint32_t kAnyFlags = ~0U;             // not checked

// The family of map operations (MapOp) the kernel helper `name` (without "bpf_")
// performs, or 0 when it is not a map operation.
uint32_t map_op_of_helper(std::string_view name);

struct MapTypeInfo {
  MapType type;
  const char* name;  // the kernel's name without BPF_MAP_TYPE_, lower case
  uint32_t number;   // the kernel's enum value (== static_cast<uint32_t>(type))
  SizeRule key;
  SizeRule value;
  MaxEntriesRule max_entries;
  uint32_t flags;    // accepted creation flags
  MapImpl impl;      // what create_map builds
  bool runtime;      // impl != kNone: create_map builds a working map of this type
  bool percpu;       // one value per CPU (thread slot) for each element
  MapLookup lookup;
  uint32_t ops;      // MapOp bits
};

// Every row, in kernel number order (row i has number i).
std::span<const MapTypeInfo> map_type_table();
// The row of a type or kernel number; nullptr when the kernel has no such type.
const MapTypeInfo* map_type_info(MapType type);
const MapTypeInfo* map_type_info(uint32_t number);
// The row of a name ("hash", "perf_event_array", ...); nullptr when unknown.
const MapTypeInfo* map_type_info_by_name(std::string_view name);

// "at least 1", "4", "4 or 8", "0", ... for messages.
const char* size_rule_text(SizeRule rule);

}  // namespace bpfjit
