// Code only in .text, as `clang -target bpf -c` produces for a file with no section
// annotations (the way uBPF or bpf_conformance-style programs are often built): a packet
// length filter for a socket.
struct __sk_buff;

int filter(unsigned int *skb_len) {
  unsigned int len = *skb_len;
  if (len < 60) return 0;
  return len > 1500 ? 1500 : (int)len;
}
