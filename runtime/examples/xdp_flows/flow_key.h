/* The per-flow counters of the xdp_flows example: the key and value of the `flows` hash
 * map, shared by the XDP program and the C host; plain C types so that both compilers
 * agree on the layout. Addresses and ports are in network byte order, as on the wire. */
#ifndef BPFJIT_EXAMPLE_FLOW_KEY_H
#define BPFJIT_EXAMPLE_FLOW_KEY_H

struct flow_key {
  unsigned int saddr;
  unsigned int daddr;
  unsigned short sport; /* 0 for protocols without ports */
  unsigned short dport;
  unsigned char proto;
  unsigned char pad[3];
};

struct flow_counts {
  unsigned long long packets;
  unsigned long long bytes; /* frame bytes, as captured */
};

/* Keys of the `totals` array map. */
enum flow_total {
  TOTAL_FRAMES = 0,    /* every frame the program saw */
  TOTAL_COUNTED = 1,   /* IPv4 frames counted in `flows` */
  TOTAL_NOT_IPV4 = 2,  /* passed without counting (ARP, IPv6, ...) */
  TOTAL_MALFORMED = 3, /* dropped: IPv4 headers cut short or inconsistent */
  TOTAL_COUNT = 4,
};

#define FLOWS_MAX 4096

#endif
