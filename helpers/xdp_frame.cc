#include "helpers/xdp_frame.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include <linux/bpf.h>

namespace bpfjit {
namespace {

Diagnostic refuse(const std::string& why) {
  return make_error(ErrorCode::kInvalidArgument, fmt::format("xdp test run: {}", why));
}

}  // namespace

void XdpFrame::lay_out(std::span<const uint8_t> data_in, uint32_t meta_len) {
  const uint32_t headroom = kXdpPacketHeadroom - meta_len;
  std::memset(buf_, 0, headroom);
  if (!data_in.empty()) std::memcpy(buf_ + headroom, data_in.data(), data_in.size());
  const auto base = reinterpret_cast<uint64_t>(buf_);
  ctx_.hard_start = base;
  ctx_.hard_end = base + kXdpFrameSize - kXdpTailroom;
  ctx_.data_meta = base + headroom;
  ctx_.data = ctx_.data_meta + meta_len;
  ctx_.data_end = ctx_.data_meta + data_in.size();
  ctx_.egress_ifindex = 0;
}

Result<void> XdpFrame::init(std::span<const uint8_t> data_in, std::span<const uint8_t> ctx_in) {
  xdp_md md{};
  if (!ctx_in.empty()) {
    if (ctx_in.size() > sizeof md &&
        std::any_of(ctx_in.begin() + sizeof md, ctx_in.end(), [](uint8_t b) { return b != 0; })) {
      return refuse(fmt::format("ctx_in has {} bytes, struct xdp_md {}, and the bytes beyond "
                                "it are not zero",
                                ctx_in.size(), sizeof md));
    }
    std::memcpy(&md, ctx_in.data(), std::min(ctx_in.size(), sizeof md));
    if (md.data_meta != 0) return refuse("ctx_in sets data_meta, which must be 0");
    if (md.data_end > data_in.size()) {
      return refuse(fmt::format("ctx_in's data_end ({}) lies past data_in's {} bytes",
                                md.data_end, data_in.size()));
    }
    if (md.data_end < data_in.size()) {
      return make_error(ErrorCode::kUnsupported,
                        fmt::format("xdp test run: ctx_in's data_end ({}) is below data_in's {} "
                                    "bytes: the kernel puts the rest into fragments, which "
                                    "bpfjit does not model",
                                    md.data_end, data_in.size()));
    }
    if (md.data > md.data_end) {
      return refuse(fmt::format("ctx_in's data ({}) lies past its data_end ({})", md.data,
                                md.data_end));
    }
    if (xdp_metalen_invalid(md.data)) {
      return refuse(fmt::format("ctx_in's data ({}) is the metadata length: a multiple of 4, "
                                "at most {}",
                                md.data, kXdpMaxMetaLen));
    }
    if (md.data > kXdpPacketHeadroom - kXdpFrameReserved) {
      return refuse(fmt::format("ctx_in's data ({}) is the metadata length; it must fit the "
                                "headroom after struct xdp_frame, {} bytes",
                                md.data, kXdpPacketHeadroom - kXdpFrameReserved));
    }
    if (md.egress_ifindex != 0) return refuse("ctx_in sets egress_ifindex, which must be 0");
    if (md.ingress_ifindex == 0 && md.rx_queue_index != 0) {
      return refuse("ctx_in sets rx_queue_index without ingress_ifindex");
    }
  }
  // The metadata comes out of the headroom, so it adds to the room for data_in.
  if (data_in.size() < kEthHeaderLen || data_in.size() > kXdpMaxDataIn + md.data) {
    return refuse(fmt::format("data_in has {} bytes; it must have {} to {} (longer packets "
                              "need fragments, which bpfjit does not model)",
                              data_in.size(), kEthHeaderLen, kXdpMaxDataIn + md.data));
  }
  lay_out(data_in, md.data);
  ctx_ingress_ifindex_ = md.ingress_ifindex;
  ctx_rx_queue_index_ = md.rx_queue_index;
  // Without a device the kernel runs the program on the loopback device's queue 0.
  ctx_.ingress_ifindex = md.ingress_ifindex != 0 ? md.ingress_ifindex : kLoopbackIfindex;
  ctx_.rx_queue_index = md.rx_queue_index;
  return {};
}

Result<void> XdpFrame::init_packet(std::span<const uint8_t> packet, uint32_t ifindex,
                                   uint32_t rx_queue) {
  if (packet.size() > kXdpMaxDataIn) {
    return refuse(fmt::format("the packet has {} bytes, at most {} fit one frame",
                              packet.size(), kXdpMaxDataIn));
  }
  lay_out(packet, 0);
  ctx_.ingress_ifindex = ifindex;
  ctx_.rx_queue_index = rx_queue;
  ctx_ingress_ifindex_ = ifindex;
  ctx_rx_queue_index_ = rx_queue;
  return {};
}

std::span<const uint8_t> XdpFrame::data_out() const {
  return {reinterpret_cast<const uint8_t*>(ctx_.data_meta), ctx_.data_end - ctx_.data_meta};
}

std::span<const uint8_t> XdpFrame::packet() const {
  return {reinterpret_cast<const uint8_t*>(ctx_.data), ctx_.data_end - ctx_.data};
}

std::vector<uint8_t> XdpFrame::ctx_out() const {
  xdp_md md{};
  md.data = static_cast<uint32_t>(ctx_.data - ctx_.data_meta);
  md.data_end = static_cast<uint32_t>(ctx_.data_end - ctx_.data_meta);
  md.ingress_ifindex = ctx_ingress_ifindex_;
  md.rx_queue_index = ctx_rx_queue_index_;
  std::vector<uint8_t> out(sizeof md);
  std::memcpy(out.data(), &md, sizeof md);
  return out;
}

}  // namespace bpfjit
