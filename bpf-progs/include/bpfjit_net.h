/* Packet headers for the network programs in bpf-progs/ (the wire layouts of Ethernet,
 * IPv4, IPv6, TCP and UDP), with the fields in network byte order. */
#ifndef BPFJIT_NET_H
#define BPFJIT_NET_H

#include "bpfjit_helpers.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_ICMPV6 58

struct ethhdr {
  __u8 h_dest[6];
  __u8 h_source[6];
  __be16 h_proto;
} __attribute__((packed));

struct vlan_hdr {
  __be16 tci;
  __be16 encap_proto;
};

struct iphdr {
  __u8 ihl_version; /* version in the high nibble, header length in words in the low */
  __u8 tos;
  __be16 tot_len;
  __be16 id;
  __be16 frag_off;
  __u8 ttl;
  __u8 protocol;
  __u16 check;
  __be32 saddr;
  __be32 daddr;
};

struct ipv6hdr {
  __u8 priority_version;
  __u8 flow_lbl[3];
  __be16 payload_len;
  __u8 nexthdr;
  __u8 hop_limit;
  __u8 saddr[16];
  __u8 daddr[16];
};

struct tcphdr {
  __be16 source;
  __be16 dest;
  __be32 seq;
  __be32 ack_seq;
  __u8 doff_res; /* data offset in words in the high nibble */
  __u8 flags;    /* FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10 */
  __be16 window;
  __u16 check;
  __be16 urg_ptr;
};

struct udphdr {
  __be16 source;
  __be16 dest;
  __be16 len;
  __u16 check;
};

/* Forwarding: struct bpf_fib_lookup (Linux 6.10 on), its flags and answers, bpf_check_mtu,
 * and the redirect maps. */
#define AF_INET 2
#define AF_INET6 10
#define BPF_MAP_TYPE_DEVMAP 14
#define BPF_MAP_TYPE_CPUMAP 16
#define BPF_MAP_TYPE_DEVMAP_HASH 25
#define BPF_F_BROADCAST (1ULL << 3)
#define BPF_F_EXCLUDE_INGRESS (1ULL << 4)
#define BPF_FIB_LOOKUP_DIRECT (1U << 0)
#define BPF_FIB_LOOKUP_OUTPUT (1U << 1)
#define BPF_FIB_LOOKUP_SKIP_NEIGH (1U << 2)
#define BPF_FIB_LOOKUP_TBID (1U << 3)
#define BPF_FIB_LOOKUP_SRC (1U << 4)
#define BPF_FIB_LKUP_RET_SUCCESS 0
#define BPF_FIB_LKUP_RET_FRAG_NEEDED 8
#define BPF_MTU_CHK_SEGS (1U << 0)

struct bpf_fib_lookup {
  __u8 family;
  __u8 l4_protocol;
  __be16 sport;
  __be16 dport;
  union {
    __u16 tot_len;    /* input */
    __u16 mtu_result; /* output */
  };
  __u32 ifindex;
  union {
    __u8 tos;
    __be32 flowinfo;
    __u32 rt_metric;
  };
  union {
    __be32 ipv4_src;
    __u32 ipv6_src[4];
  };
  union {
    __be32 ipv4_dst;
    __u32 ipv6_dst[4];
  };
  union {
    struct {
      __be16 h_vlan_proto;
      __be16 h_vlan_TCI;
    };
    __u32 tbid;
  };
  __u8 smac[6];
  __u8 dmac[6];
};

static long (*bpf_redirect_map)(void *map, __u64 key, __u64 flags) = (void *)51;
static long (*bpf_fib_lookup)(void *ctx, struct bpf_fib_lookup *params, int plen,
                              __u32 flags) = (void *)69;
static long (*bpf_check_mtu)(void *ctx, __u32 ifindex, __u32 *mtu_len, __s32 len_diff,
                             __u64 flags) = (void *)163;

#endif
