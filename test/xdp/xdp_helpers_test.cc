// The XDP helpers called directly on a frame laid out as the kernel's test run lays it out
// (helpers/xdp_frame.h): the room they may move the packet in, their error codes, the
// bytes they move, and the packet region a checked run sees after each move.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <numeric>
#include <vector>

#include <linux/bpf.h>

#include "helpers/helper_table.h"
#include "helpers/host_env.h"
#include "helpers/kernel_tables.h"
#include "helpers/xdp_frame.h"

namespace bpfjit {
namespace {

constexpr uint64_t neg(int e) { return static_cast<uint64_t>(-static_cast<int64_t>(e)); }

// One run's state around an XdpFrame: the HostEnv knows the context and the packet region.
class XdpHelperTest : public ::testing::Test {
 protected:
  void start(size_t len, std::vector<uint8_t> ctx_in = {}) {
    packet_.resize(len);
    std::iota(packet_.begin(), packet_.end(), uint8_t{1});
    auto r = frame_.init(packet_, ctx_in);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    XdpCtx& x = frame_.ctx();
    regions_[0] = MemRegion{x.data_meta, x.data_end, true};
    env_.set_packet_ctx(PacketCtxKind::kXdp, &x, &regions_[0]);
    rc_.stack = stack_;
    rc_.regions = regions_;
    rc_.region_count = 1;
    rc_.host = &env_;
  }
  uint64_t call(uint32_t id, uint64_t a2, uint64_t a3 = 0, uint64_t a4 = 0) {
    const HelperProto* p = table_.find(id);
    EXPECT_NE(p, nullptr) << id;
    return p->fn(ctx_addr(), a2, a3, a4, 0, &rc_);
  }
  uint64_t ctx_addr() { return reinterpret_cast<uint64_t>(&frame_.ctx()); }
  uint64_t stack_addr(size_t off) { return reinterpret_cast<uint64_t>(stack_ + off); }
  size_t len() { return frame_.packet().size(); }

  HelperTable table_ = HelperTable::builtin();
  XdpFrame frame_;
  std::vector<uint8_t> packet_;
  MemRegion regions_[1];
  alignas(16) uint8_t stack_[kStackSize] = {};
  HostEnv env_;
  RunContext rc_;
};

TEST_F(XdpHelperTest, TheFrameHasTheKernelsHeadroomAndTailroom) {
  start(64);
  const XdpCtx& x = frame_.ctx();
  EXPECT_EQ(x.data - x.hard_start, kXdpPacketHeadroom);
  EXPECT_EQ(x.data_meta, x.data);
  EXPECT_EQ(x.data_end - x.data, 64u);
  EXPECT_EQ(x.hard_end - x.hard_start, kXdpFrameSize - kXdpTailroom);
  EXPECT_EQ(x.ingress_ifindex, kLoopbackIfindex);  // the kernel's loopback queue 0
  EXPECT_EQ(std::vector<uint8_t>(frame_.data_out().begin(), frame_.data_out().end()), packet_);
}

TEST_F(XdpHelperTest, AdjustHeadGrowsIntoTheHeadroomUpToStructXdpFrame) {
  start(64);
  const int64_t room = kXdpPacketHeadroom - kXdpFrameReserved;  // 216
  EXPECT_EQ(call(helper_id::kXdpAdjustHead, static_cast<uint64_t>(-(room + 1))), neg(EINVAL));
  EXPECT_EQ(len(), 64u);
  EXPECT_EQ(call(helper_id::kXdpAdjustHead, static_cast<uint64_t>(-room)), 0u);
  EXPECT_EQ(len(), 64u + room);
  // The headroom was zeroed, as the kernel's kzalloc'ed buffer is.
  EXPECT_EQ(frame_.packet()[0], 0);
  EXPECT_EQ(frame_.packet()[room], 1);
}

TEST_F(XdpHelperTest, AdjustHeadKeepsAtLeastAnEthernetHeader) {
  start(64);
  EXPECT_EQ(call(helper_id::kXdpAdjustHead, 64 - kEthHeaderLen + 1), neg(EINVAL));
  EXPECT_EQ(call(helper_id::kXdpAdjustHead, 64 - kEthHeaderLen), 0u);
  EXPECT_EQ(len(), kEthHeaderLen);
  EXPECT_EQ(frame_.packet()[0], 51);  // byte 50 of the original packet (values start at 1)
}

TEST_F(XdpHelperTest, AdjustHeadTakesTheLow32BitsAsASignedOffset) {
  start(64);
  // 0x1'0000'0004: int offset 4, as the kernel's BPF_CALL_2(..., int, offset) sees it.
  EXPECT_EQ(call(helper_id::kXdpAdjustHead, 0x100000004ull), 0u);
  EXPECT_EQ(len(), 60u);
  EXPECT_EQ(call(helper_id::kXdpAdjustHead, 0xfffffffcull), 0u);  // -4
  EXPECT_EQ(len(), 64u);
}

TEST_F(XdpHelperTest, AdjustHeadMovesTheMetadataWithIt) {
  start(64);
  ASSERT_EQ(call(helper_id::kXdpAdjustMeta, neg(8)), 0u);
  const XdpCtx& x = frame_.ctx();
  std::memcpy(reinterpret_cast<void*>(x.data_meta), "METADATA", 8);
  ASSERT_EQ(call(helper_id::kXdpAdjustHead, neg(20)), 0u);
  EXPECT_EQ(x.data - x.data_meta, 8u);
  EXPECT_EQ(std::memcmp(reinterpret_cast<void*>(x.data_meta), "METADATA", 8), 0);
  // The room left in front shrinks by the metadata's length.
  const int64_t room = kXdpPacketHeadroom - kXdpFrameReserved - 8 - 20;
  EXPECT_EQ(call(helper_id::kXdpAdjustHead, static_cast<uint64_t>(-(room + 1))), neg(EINVAL));
  EXPECT_EQ(call(helper_id::kXdpAdjustHead, static_cast<uint64_t>(-room)), 0u);
}

TEST_F(XdpHelperTest, AdjustMetaNeedsAMultipleOfFourWithinTheHeadroom) {
  start(64);
  EXPECT_EQ(call(helper_id::kXdpAdjustMeta, neg(3)), neg(EACCES));  // not a multiple of 4
  EXPECT_EQ(call(helper_id::kXdpAdjustMeta, 1), neg(EINVAL));        // past data
  // All the headroom after struct xdp_frame: 216 bytes, aligned and below 255.
  EXPECT_EQ(call(helper_id::kXdpAdjustMeta, neg(216)), 0u);
  EXPECT_EQ(frame_.data_out().size(), 64u + 216);
  EXPECT_EQ(call(helper_id::kXdpAdjustMeta, neg(4)), neg(EINVAL));  // into struct xdp_frame
  EXPECT_EQ(call(helper_id::kXdpAdjustMeta, 216), 0u);              // back to none
  EXPECT_EQ(frame_.data_out().size(), 64u);
}

TEST_F(XdpHelperTest, AdjustTailGrowsUpToTheTailroomAndZeroes) {
  start(kXdpMaxDataIn - 16);
  EXPECT_EQ(call(helper_id::kXdpAdjustTail, 17), neg(EINVAL));
  EXPECT_EQ(call(helper_id::kXdpAdjustTail, 16), 0u);
  EXPECT_EQ(len(), kXdpMaxDataIn);
  for (size_t i = kXdpMaxDataIn - 16; i < kXdpMaxDataIn; ++i) EXPECT_EQ(frame_.packet()[i], 0);
  EXPECT_EQ(call(helper_id::kXdpAdjustTail, 1), neg(EINVAL));
}

TEST_F(XdpHelperTest, AdjustTailKeepsAtLeastAnEthernetHeader) {
  start(20);
  EXPECT_EQ(call(helper_id::kXdpAdjustTail, neg(7)), neg(EINVAL));
  EXPECT_EQ(call(helper_id::kXdpAdjustTail, neg(6)), 0u);
  EXPECT_EQ(len(), kEthHeaderLen);
}

TEST_F(XdpHelperTest, LoadAndStoreBytesCheckOffsetAndLengthAsTheKernel) {
  start(64);
  EXPECT_EQ(call(helper_id::kXdpLoadBytes, 60, stack_addr(0), 4), 0u);
  EXPECT_EQ(stack_[0], 61);
  EXPECT_EQ(call(helper_id::kXdpLoadBytes, 61, stack_addr(0), 4), neg(EINVAL));
  EXPECT_EQ(stack_[0], 0);  // zeroed on an error (the kernel leaves it)
  EXPECT_EQ(call(helper_id::kXdpLoadBytes, 0x10000, stack_addr(0), 4), neg(EFAULT));
  std::memcpy(stack_, "abcd", 4);
  EXPECT_EQ(call(helper_id::kXdpStoreBytes, 10, stack_addr(0), 4), 0u);
  EXPECT_EQ(std::memcmp(frame_.packet().data() + 10, "abcd", 4), 0);
  EXPECT_EQ(call(helper_id::kXdpStoreBytes, 62, stack_addr(0), 4), neg(EINVAL));
  EXPECT_EQ(call(helper_id::kXdpStoreBytes, 0xffffffff, stack_addr(0), 4), neg(EFAULT));
}

TEST_F(XdpHelperTest, AForgedContextPointerIsRefused) {
  start(64);
  const HelperProto* p = table_.find(helper_id::kXdpAdjustHead);
  // Any other address, even of readable memory, is not the run's context.
  EXPECT_EQ(p->fn(stack_addr(0), 4, 0, 0, 0, &rc_), neg(EINVAL));
  EXPECT_EQ(len(), 64u);
}

TEST_F(XdpHelperTest, ACheckedRunSeesThePacketWhereTheHelpersLeftIt) {
  start(64);
  const XdpCtx& x = frame_.ctx();
  const uint64_t old_last = x.data_end - 1;
  ASSERT_EQ(call(helper_id::kXdpAdjustTail, neg(10)), 0u);
  EXPECT_FALSE(rc_.accessible(old_last, 1, false));
  EXPECT_TRUE(rc_.accessible(x.data_end - 1, 1, true));
  ASSERT_EQ(call(helper_id::kXdpAdjustHead, neg(14)), 0u);
  EXPECT_TRUE(rc_.accessible(x.data, 14, true));
  ASSERT_EQ(call(helper_id::kXdpAdjustMeta, neg(4)), 0u);
  EXPECT_TRUE(rc_.accessible(x.data_meta, 4, true));
  EXPECT_FALSE(rc_.accessible(x.data_meta - 1, 1, false));
}

TEST(XdpFrameTest, ContextInputsAsTheKernelChecksThem) {
  std::vector<uint8_t> data(64, 0xab);
  auto md = [](uint32_t meta, uint32_t end) {
    xdp_md m{};
    m.data = meta;
    m.data_end = end;
    std::vector<uint8_t> b(sizeof m);
    std::memcpy(b.data(), &m, sizeof m);
    return b;
  };
  XdpFrame f;
  EXPECT_TRUE(f.init(data, md(8, 64)).ok());
  EXPECT_EQ(f.packet().size(), 56u);
  EXPECT_EQ(f.data_out().size(), 64u);
  EXPECT_EQ(f.init(data, md(3, 64)).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(f.init(data, md(0, 65)).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(f.init(data, md(0, 63)).error().code, ErrorCode::kUnsupported);  // fragments
  std::vector<uint8_t> big(300, 1);
  EXPECT_TRUE(f.init(big, md(216, 300)).ok());
  EXPECT_EQ(f.init(big, md(220, 300)).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(f.init(std::vector<uint8_t>(13), {}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(f.init(std::vector<uint8_t>(kXdpMaxDataIn), {}).ok());
  EXPECT_FALSE(f.init(std::vector<uint8_t>(kXdpMaxDataIn + 1), {}).ok());
  auto with_meta = std::vector<uint8_t>(kXdpMaxDataIn + 32);
  EXPECT_TRUE(f.init(with_meta, md(32, kXdpMaxDataIn + 32)).ok());
}

TEST(XdpHelperTableTest, TheMovingHelpersChangePacketData) {
  const HelperTable t = HelperTable::builtin();
  for (uint32_t id : {helper_id::kXdpAdjustHead, helper_id::kXdpAdjustMeta,
                      helper_id::kXdpAdjustTail}) {
    ASSERT_NE(t.find(id), nullptr);
    EXPECT_TRUE(t.find(id)->changes_pkt_data) << id;
  }
  for (uint32_t id : {helper_id::kXdpLoadBytes, helper_id::kXdpStoreBytes,
                      helper_id::kSkbLoadBytes, helper_id::kMapLookupElem}) {
    EXPECT_FALSE(t.find(id)->changes_pkt_data) << id;
  }
  EXPECT_TRUE(kernel::helper_changes_pkt_data(9));    // skb_store_bytes
  EXPECT_FALSE(kernel::helper_changes_pkt_data(12));  // tail_call (Linux 6.18)
}

}  // namespace
}  // namespace bpfjit
