// The ring buffer: record order, discard, busy records, wrap-around, full buffer, queries,
// corrupted headers and poll.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "helpers/maps.h"
#include "helpers_test_util.h"

namespace bpfjit {
namespace {

using testing::must_create;

std::shared_ptr<RingbufMap> make_ringbuf(uint32_t size = 4096) {
  return std::static_pointer_cast<RingbufMap>(must_create({MapType::kRingbuf, "rb", 0, 0, size, 0}));
}

std::vector<std::string> drain(RingbufMap& rb) {
  std::vector<std::string> out;
  rb.consume([&](std::span<const uint8_t> rec) {
    out.emplace_back(reinterpret_cast<const char*>(rec.data()), rec.size());
    return 0;
  });
  return out;
}

void* reserve_str(RingbufMap& rb, const std::string& s) {
  void* p = rb.reserve(s.size(), 0);
  if (p != nullptr) std::memcpy(p, s.data(), s.size());
  return p;
}

TEST(RingbufTest, RecordsArriveInReservationOrderDiscardedOnesSkipped) {
  auto rb = make_ringbuf();
  void* a = reserve_str(*rb, "first");
  void* b = reserve_str(*rb, "second");
  void* c = reserve_str(*rb, "third");
  ASSERT_TRUE(a && b && c);
  EXPECT_TRUE(rb->contains(a));
  rb->submit(c, 0);
  rb->discard(b, 0);
  EXPECT_TRUE(drain(*rb).empty());  // "first" is still busy and holds back the rest
  rb->submit(a, 0);
  EXPECT_EQ(drain(*rb), (std::vector<std::string>{"first", "third"}));
  EXPECT_TRUE(drain(*rb).empty());
  EXPECT_EQ(rb->query(kRingbufAvailData), 0u);
}

TEST(RingbufTest, HeadersFollowTheKernelLayout) {
  auto rb = make_ringbuf();
  auto* p = static_cast<uint8_t*>(rb->reserve(5, 0));
  ASSERT_NE(p, nullptr);
  uint32_t hdr;
  std::memcpy(&hdr, p - 8, 4);
  EXPECT_EQ(hdr, 5u | kRingbufBusyBit);
  rb->submit(p, 0);
  std::memcpy(&hdr, p - 8, 4);
  EXPECT_EQ(hdr, 5u);
  EXPECT_EQ(rb->query(kRingbufProdPos), 16u);  // 8-byte header + 5 bytes, rounded to 8
  EXPECT_EQ(rb->query(kRingbufAvailData), 16u);
  EXPECT_EQ(rb->query(kRingbufRingSize), 4096u);
  drain(*rb);
  EXPECT_EQ(rb->query(kRingbufConsPos), 16u);
}

TEST(RingbufTest, WrapsAroundWithoutSplittingARecord) {
  auto rb = make_ringbuf();
  std::string big(1000, 'x');
  // Three rounds of three 1008-byte records: later rounds cross the end of the 4096-byte
  // area, where the producer pads and restarts at offset 0.
  for (int round = 0; round < 3; ++round) {
    std::vector<std::string> want;
    for (int i = 0; i < 3; ++i) {
      std::string s = big;
      s[0] = static_cast<char>('a' + round * 3 + i);
      ASSERT_EQ(rb->output(s.data(), s.size(), 0), 0) << round << " " << i;
      want.push_back(s);
    }
    EXPECT_EQ(drain(*rb), want) << round;
  }
  EXPECT_GT(rb->query(kRingbufProdPos), 4096u);
}

TEST(RingbufTest, FullBufferRefusesAndRecoversAfterConsumption) {
  auto rb = make_ringbuf();
  std::string rec(1016, 'r');  // 1024 bytes with the header: four fill the area
  for (int i = 0; i < 4; ++i) ASSERT_EQ(rb->output(rec.data(), rec.size(), 0), 0);
  EXPECT_EQ(rb->output(rec.data(), 1, 0), -EAGAIN);
  EXPECT_EQ(rb->reserve(1, 0), nullptr);
  EXPECT_EQ(rb->reserve(4096, 0), nullptr);  // never fits
  EXPECT_EQ(rb->reserve(8, 1), nullptr);     // flags must be 0
  EXPECT_EQ(rb->output(rec.data(), 8, 4), -EINVAL);
  EXPECT_EQ(drain(*rb).size(), 4u);
  EXPECT_EQ(rb->output(rec.data(), rec.size(), 0), 0);
}

TEST(RingbufTest, ConsumerCallbackCanStop) {
  auto rb = make_ringbuf();
  for (char c : std::string("abc")) ASSERT_EQ(rb->output(&c, 1, 0), 0);
  int calls = 0;
  EXPECT_EQ(rb->consume([&](std::span<const uint8_t>) { return ++calls == 2 ? -7 : 0; }), -7);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(drain(*rb), std::vector<std::string>{"c"});
}

TEST(RingbufTest, CorruptedHeaderDropsDataInsteadOfReadingOutOfBounds) {
  auto rb = make_ringbuf();
  auto* p = static_cast<uint8_t*>(rb->reserve(16, 0));
  ASSERT_NE(p, nullptr);
  rb->submit(p, 0);
  uint32_t bogus = 0x3fff0000;  // a length far beyond what was produced
  std::memcpy(p - 8, &bogus, 4);  // what a program in checked mode may do
  EXPECT_TRUE(drain(*rb).empty());
  EXPECT_EQ(rb->query(kRingbufAvailData), 0u);
  ASSERT_EQ(rb->output("ok", 2, 0), 0);
  EXPECT_EQ(drain(*rb), std::vector<std::string>{"ok"});
}

TEST(RingbufTest, PollTimesOutThenWakesOnSubmit) {
  auto rb = make_ringbuf();
  auto count = [](std::span<const uint8_t>) { return 0; };
  EXPECT_EQ(rb->poll(10, count), 0);
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(rb->output("x", 1, 0), 0);
  });
  EXPECT_EQ(rb->poll(5000, count), 1);
  producer.join();
}

}  // namespace
}  // namespace bpfjit
