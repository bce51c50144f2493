/* The request a policy program decides on: the layout the host packs each request line into
 * and the BPF program reads (r1 = the request, r2 = its size). Shared by policy.bpf.c and
 * the C++ service; plain C types so that both compilers agree on the layout. */
#ifndef BPFJIT_EXAMPLE_POLICY_REQUEST_H
#define BPFJIT_EXAMPLE_POLICY_REQUEST_H

#define POLICY_PATH_MAX 48

enum policy_method { METHOD_GET = 0, METHOD_POST = 1, METHOD_PUT = 2, METHOD_DELETE = 3 };

/* Why a request was allowed or denied; also the key of the `reasons` counter map. */
enum policy_reason {
  REASON_ALLOWED = 0,       /* no rule denied it */
  REASON_BLOCKED_NET = 1,   /* the client is in a blocked network */
  REASON_ADMIN = 2,         /* /admin is not open to this client or method */
  REASON_TOO_LARGE = 3,     /* the body is larger than the version's limit */
  REASON_METHOD = 4,        /* the method is not allowed at all */
  REASON_COUNT = 8,         /* entries of the `reasons` map */
};

struct policy_request {
  unsigned int client_ip;        /* IPv4 address, host byte order (10.1.2.3 = 0x0a010203) */
  unsigned int method;           /* enum policy_method */
  unsigned long long bytes;      /* body size */
  char path[POLICY_PATH_MAX];    /* NUL-padded; longer paths are cut */
};

/* r0 of a policy program: version << 16 | reason << 1 | allowed. */
#define POLICY_VERDICT(version, reason, allowed) \
  (((version) << 16) | ((reason) << 1) | ((allowed) ? 1 : 0))
#define POLICY_VERDICT_VERSION(v) ((v) >> 16)
#define POLICY_VERDICT_REASON(v) (((v) >> 1) & 0x7f)
#define POLICY_VERDICT_ALLOWED(v) ((v) & 1)

#endif
