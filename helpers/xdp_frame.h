// The frame an xdp run's packet lives in, laid out as the kernel's BPF_PROG_TEST_RUN lays
// it out (net/bpf/test_run.c, bpf_prog_test_run_xdp), so that xdp_adjust_head, _tail and
// _meta find the room, and refuse the moves, the kernel's test run does:
//
//   hard_start                      data_meta   data              data_end   hard_end  end
//   | struct xdp_frame | headroom   | metadata  | packet          | tailroom  | shared  |
//   0                  40                       256                                  4096
//
// One page (kXdpFrameSize); the packet starts at XDP_PACKET_HEADROOM (256) with its
// metadata, if any, just before it; the last kXdpTailroom bytes are the kernel's struct
// skb_shared_info, which data_end never reaches; the first kXdpFrameReserved bytes are its
// struct xdp_frame, which data and data_meta never reach. The headroom is zeroed, as the
// kernel's kzalloc'ed buffer is (a program that grows the head sees zeros); the tailroom
// is zeroed by xdp_adjust_tail when it grows, as in the kernel.
//
// ctx_in and ctx_out are the kernel's struct xdp_md bytes. A test may set data (the
// metadata's length: the first `data` bytes of data_in are metadata), data_end (the
// length of data_in; since Linux 6.18 a smaller one puts the rest into fragments, which
// bpfjit does not model and refuses), ingress_ifindex and rx_queue_index; data_meta and
// egress_ifindex must be 0. ctx_out gives data and data_end back as offsets from data_meta, and data_out
// runs from data_meta to data_end: the metadata, then the packet.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "helpers/program_types.h"
#include "runtime/isa/result.h"

namespace bpfjit {

inline constexpr uint32_t kXdpFrameSize = 4096;       // PAGE_SIZE
inline constexpr uint32_t kXdpPacketHeadroom = 256;   // XDP_PACKET_HEADROOM
inline constexpr uint32_t kXdpFrameReserved = 40;     // sizeof(struct xdp_frame), 6.18
inline constexpr uint32_t kXdpTailroom = 320;         // SKB_DATA_ALIGN(sizeof(skb_shared_info))
// The longest metadata: skb_shared_info.meta_len is a u8 (xdp_metalen_invalid(); with the
// alignment rule, 252 bytes). Kernels before 6.x allowed 32.
inline constexpr uint32_t kXdpMaxMetaLen = 255;
inline constexpr uint32_t kEthHeaderLen = 14;         // ETH_HLEN
// The most data_in one frame holds without metadata (the metadata's length adds to it;
// the kernel puts more into fragments, which bpfjit does not model).
inline constexpr uint32_t kXdpMaxDataIn = kXdpFrameSize - kXdpPacketHeadroom - kXdpTailroom;
// The ifindex of the loopback device, whose queue 0 the kernel's test run uses when the
// test names no device.
inline constexpr uint32_t kLoopbackIfindex = 1;

// The metadata length is invalid: not a multiple of 4 or above kXdpMaxMetaLen.
inline bool xdp_metalen_invalid(uint64_t len) { return len % 4 != 0 || len > kXdpMaxMetaLen; }

class XdpFrame {
 public:
  XdpFrame() = default;
  XdpFrame(const XdpFrame&) = delete;
  XdpFrame& operator=(const XdpFrame&) = delete;

  // Lays out data_in with the context ctx_in (struct xdp_md bytes; empty: none) as the
  // kernel's test run does. Refused (kInvalidArgument, naming the kernel's rule, which the
  // kernel refuses with EINVAL): data_in shorter than ETH_HLEN or longer than
  // kXdpMaxDataIn; ctx_in longer than struct xdp_md with non-zero bytes beyond it; ctx_in
  // with data_meta or egress_ifindex set, data_end other than data_in's length, data past
  // data_end or an invalid metadata length, rx_queue_index without ingress_ifindex.
  Result<void> init(std::span<const uint8_t> data_in, std::span<const uint8_t> ctx_in);
  // As init() without a context, for Program::run: ifindex and rx_queue as given.
  Result<void> init_packet(std::span<const uint8_t> packet, uint32_t ifindex, uint32_t rx_queue);

  XdpCtx& ctx() { return ctx_; }
  // [data_meta, data_end): the metadata then the packet, as the kernel's data_out.
  std::span<const uint8_t> data_out() const;
  // [data, data_end): the packet alone.
  std::span<const uint8_t> packet() const;
  // struct xdp_md as the kernel's test run gives it back.
  std::vector<uint8_t> ctx_out() const;

 private:
  void lay_out(std::span<const uint8_t> data_in, uint32_t meta_len);

  alignas(64) uint8_t buf_[kXdpFrameSize];
  XdpCtx ctx_;
  uint32_t ctx_ingress_ifindex_ = 0;  // as ctx_in gave them, for ctx_out
  uint32_t ctx_rx_queue_index_ = 0;
};

}  // namespace bpfjit
