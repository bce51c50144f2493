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

#endif
