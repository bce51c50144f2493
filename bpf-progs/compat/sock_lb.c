// Socket-level load balancing (the connect-time service translation of container
// networking): cgroup/connect4 rewrites a service VIP:port to a backend chosen by a
// hash of the socket cookie; cgroup/sendmsg4 does the same for UDP.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct svc_key {
  __u32 vip;
  __u32 port;
};

struct svc_value {
  __u32 backends;
  __u32 first_slot;
};

struct backend {
  __u32 addr;
  __u32 port;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, struct svc_key);
  __type(value, struct svc_value);
} services SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4096);
  __type(key, __u32);
  __type(value, struct backend);
} backends SEC(".maps");

static __always_inline int translate(struct bpf_sock_addr *ctx) {
  struct svc_key key = {.vip = ctx->user_ip4, .port = ctx->user_port};
  struct svc_value *svc = bpf_map_lookup_elem(&services, &key);
  if (!svc || svc->backends == 0) return 1;
  __u32 slot = svc->first_slot + (__u32)(bpf_get_socket_cookie(ctx) % svc->backends);
  struct backend *be = bpf_map_lookup_elem(&backends, &slot);
  if (!be) return 1;
  ctx->user_ip4 = be->addr;
  ctx->user_port = be->port;
  return 1;
}

SEC("cgroup/connect4")
int sock_connect4(struct bpf_sock_addr *ctx) { return translate(ctx); }

SEC("cgroup/sendmsg4")
int sock_sendmsg4(struct bpf_sock_addr *ctx) { return translate(ctx); }

char LICENSE[] SEC("license") = "GPL";
