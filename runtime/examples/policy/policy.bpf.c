/* An access policy for the policy service example, built twice: -DPOLICY_VERSION=1 gives
 * policy_v1.o, -DPOLICY_VERSION=2 gives policy_v2.o, the stricter rules the service
 * reloads while it keeps serving.
 *
 *   rule (checked in this order)         v1                      v2
 *   blocked client networks              10.66.0.0/16            10.66.0.0/16, 192.168.13.0/24
 *   methods refused everywhere           none                    DELETE
 *   /admin...                            GET only                clients in 10.0.0.0/8 only
 *   largest body                         1 MiB                   64 KiB
 *
 * Every decision is counted per reason in `reasons` and per version in `decided_by`;
 * allowed bodies add up in `allowed_bytes`. The service passes these maps from one
 * version to the next, so the counters survive a reload. */
#include "bpfjit_helpers.h"
#include "policy_request.h"

#ifndef POLICY_VERSION
#error "build with -DPOLICY_VERSION=1 or 2"
#endif

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, REASON_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} reasons SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} decided_by SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} allowed_bytes SEC(".maps");

static __always_inline int in_net(__u32 ip, __u32 net, int prefix_len) {
  __u32 mask = ~0u << (32 - prefix_len);
  return (ip & mask) == net;
}

static __always_inline int is_admin_path(const struct policy_request *req) {
  const char prefix[] = "/admin";
#pragma unroll
  for (int i = 0; i < (int)sizeof(prefix) - 1; i++) {
    if (req->path[i] != prefix[i]) return 0;
  }
  return 1;
}

static __always_inline void count(void *map, __u32 key, __u64 n) {
  __u64 *v = bpf_map_lookup_elem(map, &key);
  if (v) __sync_fetch_and_add(v, n);
}

static __always_inline __u32 decide(const struct policy_request *req) {
  __u32 ip = req->client_ip;
  if (in_net(ip, 0x0a420000, 16)) return REASON_BLOCKED_NET; /* 10.66.0.0/16 */
#if POLICY_VERSION == 1
  if (is_admin_path(req) && req->method != METHOD_GET) return REASON_ADMIN;
  if (req->bytes > (1u << 20)) return REASON_TOO_LARGE;
#else
  if (in_net(ip, 0xc0a80d00, 24)) return REASON_BLOCKED_NET; /* 192.168.13.0/24 */
  if (req->method == METHOD_DELETE) return REASON_METHOD;
  if (is_admin_path(req) && !in_net(ip, 0x0a000000, 8)) return REASON_ADMIN;
  if (req->bytes > (64u << 10)) return REASON_TOO_LARGE;
#endif
  return REASON_ALLOWED;
}

SEC("mem")
__u64 policy(struct policy_request *req, __u64 size) {
  __u32 reason = decide(req);
  count(&reasons, reason, 1);
  count(&decided_by, POLICY_VERSION, 1);
  if (reason == REASON_ALLOWED) count(&allowed_bytes, 0, req->bytes);
  return POLICY_VERDICT((__u64)POLICY_VERSION, reason, reason == REASON_ALLOWED);
}

char LICENSE[] SEC("license") = "GPL";
