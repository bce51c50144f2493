// Each built-in helper called directly with a RunContext and a HostEnv, as an engine
// would: results, errors for forged map handles and bad pointers, and the helper table.
#include <gtest/gtest.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "helpers/helper_table.h"
#include "helpers/host_env.h"
#include "helpers/maps.h"
#include "helpers/program_types.h"
#include "helpers_test_util.h"

namespace bpfjit {
namespace {

namespace id = helper_id;
using testing::addr;
using testing::HelperEnv;
using testing::must_create;

int64_t sgn(uint64_t v) { return static_cast<int64_t>(v); }

class HelpersTest : public ::testing::Test {
 protected:
  // Copies bytes to the stack (the program's memory) and returns their address.
  uint64_t on_stack(const void* data, size_t n, uint32_t at = 64) {
    std::memcpy(h.stack_at(at), data, n);
    return addr(h.stack_at(at));
  }

  HelperEnv h;
};

TEST_F(HelpersTest, MapLookupUpdateDelete) {
  BpfMap* m = h.add_map({MapType::kHash, "h", 4, 8, 4, 0});
  uint32_t k = 5;
  uint64_t v = 77;
  uint64_t key = on_stack(&k, 4, 16);
  uint64_t val = on_stack(&v, 8, 32);
  uint64_t mh = addr(m);
  EXPECT_EQ(h.call(id::kMapLookupElem, mh, key), 0u);
  EXPECT_EQ(sgn(h.call(id::kMapUpdateElem, mh, key, val, kBpfNoExist)), 0);
  EXPECT_EQ(sgn(h.call(id::kMapUpdateElem, mh, key, val, kBpfNoExist)), -EEXIST);
  uint64_t p = h.call(id::kMapLookupElem, mh, key);
  ASSERT_NE(p, 0u);
  EXPECT_TRUE(h.ctx().accessible(p, 8, true));  // the value lies in the run's regions
  EXPECT_EQ(*reinterpret_cast<uint64_t*>(p), 77u);
  EXPECT_EQ(sgn(h.call(id::kMapDeleteElem, mh, key)), 0);
  EXPECT_EQ(sgn(h.call(id::kMapDeleteElem, mh, key)), -ENOENT);
}

// A program may pass a value pointer it got from lookup back to update (the source and
// the destination are then the same bytes), or a key pointer from for_each_map_elem.
TEST_F(HelpersTest, UpdateFromTheMapsOwnMemory) {
  for (MapType type : {MapType::kArray, MapType::kHash, MapType::kPercpuHash, MapType::kLruHash}) {
    HelperEnv env;
    BpfMap* m = env.add_map({type, "m", 4, 16, 4, 0});
    uint32_t k = 1;
    std::memcpy(env.stack_at(8), &k, 4);
    uint64_t key = addr(env.stack_at(8));
    uint8_t init[16] = {1, 2, 3};
    std::memcpy(env.stack_at(64), init, 16);
    ASSERT_EQ(sgn(env.call(id::kMapUpdateElem, addr(m), key, addr(env.stack_at(64)), 0)), 0);
    uint64_t v = env.call(id::kMapLookupElem, addr(m), key);
    ASSERT_NE(v, 0u);
    EXPECT_EQ(sgn(env.call(id::kMapUpdateElem, addr(m), key, v, kBpfExist)), 0);
    EXPECT_EQ(reinterpret_cast<uint8_t*>(v)[2], 3);
    if (type == MapType::kArray) continue;
    // A stale key pointer into a freed element's key slot, reused by the next insertion.
    const void* key_slot = nullptr;
    m->for_each_elem([&](const void* key_ptr, void*) { return key_slot = key_ptr, false; });
    ASSERT_NE(key_slot, nullptr);
    ASSERT_EQ(sgn(env.call(id::kMapDeleteElem, addr(m), key)), 0);
    EXPECT_EQ(sgn(env.call(id::kMapUpdateElem, addr(m), addr(key_slot), v, kBpfNoExist)), 0);
    EXPECT_NE(env.call(id::kMapLookupElem, addr(m), key), 0u);
  }
}

TEST_F(HelpersTest, ForgedMapHandlesGiveErrors) {
  h.add_map({MapType::kArray, "a", 4, 8, 4, 0});
  auto stranger = must_create({MapType::kArray, "b", 4, 8, 4, 0});  // not the program's
  uint32_t k = 0;
  uint64_t key = on_stack(&k, 4);
  for (uint64_t forged : {uint64_t{0}, uint64_t{0x1234}, addr(stranger.get()), addr(h.stack_at(8)),
                          ~uint64_t{0}}) {
    EXPECT_EQ(h.call(id::kMapLookupElem, forged, key), 0u);
    EXPECT_EQ(sgn(h.call(id::kMapUpdateElem, forged, key, key, 0)), -EINVAL);
    EXPECT_EQ(sgn(h.call(id::kMapDeleteElem, forged, key)), -EINVAL);
    EXPECT_EQ(sgn(h.call(id::kMapPushElem, forged, key, 0)), -EINVAL);
    EXPECT_EQ(sgn(h.call(id::kMapPopElem, forged, key)), -EINVAL);
    EXPECT_EQ(sgn(h.call(id::kMapPeekElem, forged, key)), -EINVAL);
    EXPECT_EQ(sgn(h.call(id::kRingbufOutput, forged, key, 4, 0)), -EINVAL);
    EXPECT_EQ(h.call(id::kRingbufReserve, forged, 8, 0), 0u);
    EXPECT_EQ(h.call(id::kRingbufQuery, forged, 0), 0u);
    EXPECT_EQ(sgn(h.call(id::kTailCall, 0, forged, 0)), -EINVAL);
  }
  // No HostEnv at all: still an error, not a crash.
  h.ctx().host = nullptr;
  EXPECT_EQ(h.call(id::kMapLookupElem, addr(h.program().maps[0].get()), key), 0u);
  EXPECT_EQ(sgn(h.call(id::kRingbufSubmit, key, 0)), -EINVAL);
}

TEST_F(HelpersTest, BadPointersGiveEfault) {
  BpfMap* m = h.add_map({MapType::kHash, "h", 8, 8, 4, 0});
  uint8_t ro[16] = {};
  h.add_region(ro, sizeof ro, false);
  uint64_t mh = addr(m);
  uint64_t good = on_stack("abcdefgh", 8);
  uint64_t beyond_stack = addr(h.stack_at(4));  // 4 bytes left: an 8-byte key overruns
  for (uint64_t bad : {uint64_t{0}, uint64_t{8}, uint64_t{0xdead0000}, beyond_stack}) {
    EXPECT_EQ(h.call(id::kMapLookupElem, mh, bad), 0u);
    EXPECT_EQ(sgn(h.call(id::kMapUpdateElem, mh, bad, good, 0)), -EFAULT);
    EXPECT_EQ(sgn(h.call(id::kMapUpdateElem, mh, good, bad, 0)), -EFAULT);
    EXPECT_EQ(sgn(h.call(id::kMapDeleteElem, mh, bad)), -EFAULT);
  }
  BpfMap* q = h.add_map({MapType::kQueue, "q", 0, 8, 4, 0});
  ASSERT_EQ(sgn(h.call(id::kMapPushElem, addr(q), good, 0)), 0);
  EXPECT_EQ(sgn(h.call(id::kMapPopElem, addr(q), addr(ro))), -EFAULT);  // read-only target
  EXPECT_EQ(sgn(h.call(id::kMapPeekElem, addr(q), 0)), -EFAULT);
  uint64_t out = addr(h.stack_at(200));
  EXPECT_EQ(sgn(h.call(id::kMapPeekElem, addr(q), out)), 0);
  EXPECT_EQ(std::memcmp(h.stack_at(200), "abcdefgh", 8), 0);
  EXPECT_EQ(sgn(h.call(id::kMapPopElem, addr(q), out)), 0);
  EXPECT_EQ(sgn(h.call(id::kMapPopElem, addr(q), out)), -ENOENT);
}

TEST_F(HelpersTest, RingbufReservationsAreTracked) {
  auto* rb = static_cast<RingbufMap*>(h.add_map({MapType::kRingbuf, "rb", 0, 0, 4096, 0}));
  uint64_t mh = addr(rb);
  uint64_t p = h.call(id::kRingbufReserve, mh, 16, 0);
  ASSERT_NE(p, 0u);
  EXPECT_TRUE(h.ctx().accessible(p, 16, true));
  std::memcpy(reinterpret_cast<void*>(p), "0123456789abcdef", 16);
  EXPECT_EQ(h.env().reservations_outstanding(), 1u);
  EXPECT_EQ(sgn(h.call(id::kRingbufSubmit, p + 8, 0)), -EINVAL);  // not a reservation
  EXPECT_EQ(sgn(h.call(id::kRingbufSubmit, p, 0)), 0);
  EXPECT_EQ(sgn(h.call(id::kRingbufSubmit, p, 0)), -EINVAL);  // already released
  EXPECT_EQ(sgn(h.call(id::kRingbufDiscard, p, 0)), -EINVAL);
  uint64_t q = h.call(id::kRingbufReserve, mh, 8, 0);
  ASSERT_NE(q, 0u);
  EXPECT_EQ(sgn(h.call(id::kRingbufDiscard, q, 0)), 0);
  uint64_t data = on_stack("out", 3);
  EXPECT_EQ(sgn(h.call(id::kRingbufOutput, mh, data, 3, 0)), 0);
  EXPECT_EQ(sgn(h.call(id::kRingbufOutput, mh, 0x10, 3, 0)), -EFAULT);
  EXPECT_EQ(h.call(id::kRingbufQuery, mh, kRingbufRingSize), 4096u);
  // A reservation the program never released is discarded at the end of the run, so it
  // does not hold back later records.
  ASSERT_NE(h.call(id::kRingbufReserve, mh, 8, 0), 0u);
  h.env().discard_reservations();
  EXPECT_EQ(sgn(h.call(id::kRingbufOutput, mh, data, 3, 0)), 0);
  std::vector<std::string> got;
  rb->consume([&](std::span<const uint8_t> r) {
    got.emplace_back(reinterpret_cast<const char*>(r.data()), r.size());
    return 0;
  });
  EXPECT_EQ(got, (std::vector<std::string>{"0123456789abcdef", "out", "out"}));
}

TEST_F(HelpersTest, RingbufReservationsPerRunAreBounded) {
  auto* rb = static_cast<RingbufMap*>(h.add_map({MapType::kRingbuf, "rb", 0, 0, 4096, 0}));
  for (size_t i = 0; i < HostEnv::kMaxReservations; ++i) {
    ASSERT_NE(h.call(id::kRingbufReserve, addr(rb), 8, 0), 0u) << i;
  }
  EXPECT_EQ(h.call(id::kRingbufReserve, addr(rb), 8, 0), 0u);
}

TEST_F(HelpersTest, TailCallSetsTheTarget) {
  auto* progs = static_cast<ProgArrayMap*>(h.add_map({MapType::kProgArray, "p", 4, 4, 4, 0}));
  BpfMap* other = h.add_map({MapType::kArray, "a", 4, 4, 4, 0});
  int target = 0;
  ASSERT_EQ(progs->set(2, &target), 0);
  EXPECT_EQ(sgn(h.call(id::kTailCall, 0, addr(progs), 4)), -E2BIG);
  EXPECT_EQ(sgn(h.call(id::kTailCall, 0, addr(progs), 1)), -ENOENT);
  EXPECT_EQ(sgn(h.call(id::kTailCall, 0, addr(other), 2)), -EINVAL);
  EXPECT_EQ(h.ctx().tail_call_target, nullptr);
  EXPECT_EQ(sgn(h.call(id::kTailCall, 0, addr(progs), 2)), 0);
  EXPECT_EQ(h.ctx().tail_call_target, &target);
}

std::string snprintf_call(HelperEnv& h, const char* fmt, std::vector<uint64_t> args,
                          int64_t* ret = nullptr, uint64_t size = 128) {
  std::memcpy(h.stack_at(512), fmt, std::strlen(fmt) + 1);
  uint64_t data = 0;
  if (!args.empty()) {
    std::memcpy(h.stack_at(1024), args.data(), args.size() * 8);
    data = addr(h.stack_at(1024));
  }
  char* out = reinterpret_cast<char*>(h.stack_at(2048));
  std::memset(out, 'Z', 256);
  int64_t r = sgn(h.call(id::kSnprintf, addr(out), size, addr(h.stack_at(512)), data, args.size() * 8));
  if (ret != nullptr) *ret = r;
  return r < 0 ? "error" : std::string(out);
}

TEST_F(HelpersTest, SnprintfFormats) {
  uint64_t str = on_stack("hello", 6, 3000);
  int64_t neg = -5;
  EXPECT_EQ(snprintf_call(h, "%d %i %u %x", {static_cast<uint64_t>(neg), 42, 0xffffffffffffffffULL, 255}),
            "-5 42 4294967295 ff");
  EXPECT_EQ(snprintf_call(h, "%ld %lu %lld %llu", {static_cast<uint64_t>(neg), 1ULL << 40,
                                                    static_cast<uint64_t>(neg), ~0ULL}),
            "-5 1099511627776 -5 18446744073709551615");
  EXPECT_EQ(snprintf_call(h, "%lx %llx %X", {0xabcdef0123ULL, 0x10ULL, 0xbeef}), "abcdef0123 10 BEEF");
  EXPECT_EQ(snprintf_call(h, "[%s] %c%c %% %p", {str, 'o', 'k', 0x1000}), "[hello] ok % 0x1000");
  EXPECT_EQ(snprintf_call(h, "%05d|%-4x|%+d|%.3s", {42, 0xa, 7, str}), "00042|a   |+7|hel");
  EXPECT_EQ(snprintf_call(h, "bad %s!", {0x10}), "bad !");  // unreadable string: empty
  int64_t r = 0;
  EXPECT_EQ(snprintf_call(h, "%d", {}, &r), "error");
  EXPECT_EQ(r, -EINVAL);  // more conversions than arguments
  EXPECT_EQ(snprintf_call(h, "%q", {1}, &r), "error");
  EXPECT_EQ(r, -EINVAL);
  EXPECT_EQ(snprintf_call(h, "%ls", {str}, &r), "error");
  EXPECT_EQ(snprintf_call(h, "%99999d", {1}, &r), "error");
}

TEST_F(HelpersTest, SnprintfTruncatesAndReportsTheFullLength) {
  int64_t r = 0;
  EXPECT_EQ(snprintf_call(h, "value=%d", {12345}, &r, 6), "value");
  EXPECT_EQ(r, 12);  // "value=12345" and its NUL
  EXPECT_EQ(snprintf_call(h, "abc", {}, &r, 128), "abc");
  EXPECT_EQ(r, 4);
  // Size 0 writes nothing but still measures.
  std::memcpy(h.stack_at(512), "abc", 4);
  EXPECT_EQ(sgn(h.call(id::kSnprintf, addr(h.stack_at(100)), 0, addr(h.stack_at(512)), 0, 0)), 4);
  // Bad destination, bad format, bad data.
  EXPECT_EQ(sgn(h.call(id::kSnprintf, 0x10, 8, addr(h.stack_at(512)), 0, 0)), -EFAULT);
  EXPECT_EQ(sgn(h.call(id::kSnprintf, addr(h.stack_at(100)), 8, 0x10, 0, 0)), -EFAULT);
  EXPECT_EQ(sgn(h.call(id::kSnprintf, addr(h.stack_at(100)), 8, addr(h.stack_at(512)), 0x10, 8)),
            -EFAULT);
  EXPECT_EQ(sgn(h.call(id::kSnprintf, addr(h.stack_at(100)), 8, addr(h.stack_at(512)),
                       addr(h.stack_at(512)), 3)),
            -EINVAL);  // data_len must be a multiple of 8
}

TEST_F(HelpersTest, TracePrintkGoesToTheHook) {
  std::vector<std::string> lines;
  h.program().trace = [&](std::string_view, std::string_view line) { lines.emplace_back(line); };
  const char fmt[] = "value %d of %u\n";
  uint64_t f = on_stack(fmt, sizeof fmt);
  EXPECT_EQ(sgn(h.call(id::kTracePrintk, f, sizeof fmt, 42, 7)), 14);  // with the newline
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "value 42 of 7");
  EXPECT_EQ(sgn(h.call(id::kTracePrintk, f, 5, 0, 0)), -EINVAL);  // no NUL within 5 bytes
  EXPECT_EQ(sgn(h.call(id::kTracePrintk, 0x20, 8, 0, 0)), -EFAULT);
  EXPECT_EQ(sgn(h.call(id::kTracePrintk, f, 0, 0, 0)), -EINVAL);
  EXPECT_EQ(lines.size(), 1u);
}

TEST_F(HelpersTest, Strncmp) {
  uint64_t a = on_stack("abcdef", 7, 100);
  uint64_t b = on_stack("abcxyz", 7, 200);
  uint64_t c = on_stack("abc", 4, 300);
  EXPECT_EQ(sgn(h.call(id::kStrncmp, a, 3, b)), 0);
  EXPECT_EQ(sgn(h.call(id::kStrncmp, a, 6, b)), -1);
  EXPECT_EQ(sgn(h.call(id::kStrncmp, b, 6, a)), 1);
  EXPECT_EQ(sgn(h.call(id::kStrncmp, a, 7, c)), 1);   // "abcdef" > "abc"
  EXPECT_EQ(sgn(h.call(id::kStrncmp, c, 4, c)), 0);
  EXPECT_EQ(sgn(h.call(id::kStrncmp, a, 6, 0x40)), -EFAULT);
  EXPECT_EQ(sgn(h.call(id::kStrncmp, 0x40, 6, a)), -EFAULT);
  // s2 is read only as far as the comparison goes: a string at the very top of the stack
  // compares fine with a longer s1_size.
  uint64_t top = on_stack("ab", 3, 3);
  uint64_t d = on_stack("ab\0zzzz", 8, 400);
  EXPECT_EQ(sgn(h.call(id::kStrncmp, d, 8, top)), 0);
}

TEST_F(HelpersTest, ProbeReadIsBounded) {
  uint64_t src = on_stack("secret!", 8, 100);
  uint64_t dst = addr(h.stack_at(200));
  for (uint32_t helper : {id::kProbeRead, id::kProbeReadUser, id::kProbeReadKernel}) {
    std::memset(h.stack_at(200), 0x55, 8);
    EXPECT_EQ(sgn(h.call(helper, dst, 8, src)), 0);
    EXPECT_EQ(std::memcmp(h.stack_at(200), "secret!", 8), 0);
    EXPECT_EQ(sgn(h.call(helper, dst, 8, 0x1000)), -EFAULT);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(h.stack_at(200)), 8), std::string(8, '\0'));
    EXPECT_EQ(sgn(h.call(helper, dst, 8, addr(h.stack_at(4)))), -EFAULT);  // overruns the stack
    EXPECT_EQ(sgn(h.call(helper, 0x1000, 8, src)), -EFAULT);
    EXPECT_EQ(sgn(h.call(helper, dst, 1ULL << 33, src)), -EFAULT);
  }
  for (uint32_t helper : {id::kProbeReadStr, id::kProbeReadUserStr, id::kProbeReadKernelStr}) {
    EXPECT_EQ(sgn(h.call(helper, dst, 16, src)), 8);  // "secret!" and its NUL
    EXPECT_STREQ(reinterpret_cast<char*>(h.stack_at(200)), "secret!");
    EXPECT_EQ(sgn(h.call(helper, dst, 4, src)), 4);  // truncated and terminated
    EXPECT_STREQ(reinterpret_cast<char*>(h.stack_at(200)), "sec");
    EXPECT_EQ(sgn(h.call(helper, dst, 16, 0x1000)), -EFAULT);
    EXPECT_EQ(h.stack_at(200)[0], 0);
  }
}

TEST_F(HelpersTest, TimeRandomAndIdentity) {
  uint64_t t1 = h.call(id::kKtimeGetNs);
  uint64_t t2 = h.call(id::kKtimeGetNs);
  EXPECT_LE(t1, t2);
  EXPECT_GE(h.call(id::kKtimeGetBootNs), t1 / 2);  // boot time includes suspend: never far less
  std::set<uint64_t> seen;
  for (int i = 0; i < 100; ++i) {
    uint64_t r = h.call(id::kGetPrandomU32);
    EXPECT_LE(r, 0xffffffffULL);
    seen.insert(r);
  }
  EXPECT_GT(seen.size(), 90u);
  uint64_t pid_tgid = h.call(id::kGetCurrentPidTgid);
  EXPECT_EQ(pid_tgid >> 32, static_cast<uint64_t>(getpid()));
  EXPECT_EQ(pid_tgid & 0xffffffff, static_cast<uint64_t>(syscall(SYS_gettid)));
  EXPECT_EQ(h.call(id::kGetSmpProcessorId), cpu_slot());
}

TEST_F(HelpersTest, SkbLoadBytesStaysInsideThePacket) {
  uint8_t packet[64];
  for (int i = 0; i < 64; ++i) packet[i] = static_cast<uint8_t>(i);
  h.add_region(packet, sizeof packet, false);
  SkBuffCtx skb;
  skb.data = addr(packet);
  skb.data_end = addr(packet) + sizeof packet;
  skb.len = sizeof packet;
  h.add_region(&skb, sizeof skb, true);
  uint64_t to = addr(h.stack_at(32));
  EXPECT_EQ(sgn(h.call(id::kSkbLoadBytes, addr(&skb), 10, to, 4)), 0);
  EXPECT_EQ(h.stack_at(32)[0], 10);
  EXPECT_EQ(h.stack_at(32)[3], 13);
  EXPECT_EQ(sgn(h.call(id::kSkbLoadBytes, addr(&skb), 62, to, 4)), -EFAULT);  // past the end
  EXPECT_EQ(h.stack_at(32)[0], 0);  // zeroed on failure
  EXPECT_EQ(sgn(h.call(id::kSkbLoadBytes, addr(&skb), ~0ULL, to, 4)), -EFAULT);
  EXPECT_EQ(sgn(h.call(id::kSkbLoadBytes, addr(&skb), 0, 0x10, 4)), -EFAULT);
  EXPECT_EQ(sgn(h.call(id::kSkbLoadBytes, 0x10, 0, to, 4)), -EINVAL);
  // A context whose data pointer the program forged to host memory it may not read.
  static const uint8_t secret[64] = {42};
  skb.data = addr(secret);
  skb.data_end = addr(secret) + sizeof secret;
  EXPECT_EQ(sgn(h.call(id::kSkbLoadBytes, addr(&skb), 0, to, 4)), -EFAULT);
  EXPECT_EQ(h.stack_at(32)[0], 0);
}

// A stand-in for an engine's callback entry: records the calls and stops on request.
struct FakeEngine {
  std::vector<std::vector<uint64_t>> calls;
  uint32_t pc = 0;
  uint64_t stop_at = UINT64_MAX;
  bool trap_at_stop = false;
};

uint64_t fake_invoke(RunContext* ctx, uint32_t pc, uint64_t r1, uint64_t r2, uint64_t r3,
                     uint64_t r4, uint64_t r5) {
  auto* e = static_cast<FakeEngine*>(ctx->engine);
  e->pc = pc;
  e->calls.push_back({r1, r2, r3, r4, r5});
  if (e->calls.size() - 1 == e->stop_at) {
    if (e->trap_at_stop) {
      ctx->trap.kind = TrapKind::kMemory;
      return 0;
    }
    return 1;
  }
  return 0;
}

TEST_F(HelpersTest, LoopCallsBackUntilTold) {
  FakeEngine e;
  h.ctx().engine = &e;
  h.ctx().invoke = fake_invoke;
  uint64_t cb_ctx = addr(h.stack_at(16));
  EXPECT_EQ(h.call(id::kLoop, 10, 33, cb_ctx, 0), 10u);
  ASSERT_EQ(e.calls.size(), 10u);
  EXPECT_EQ(e.pc, 33u);
  EXPECT_EQ(e.calls[3][0], 3u);
  EXPECT_EQ(e.calls[3][1], cb_ctx);
  e = FakeEngine{};
  e.stop_at = 4;
  EXPECT_EQ(h.call(id::kLoop, 10, 33, cb_ctx, 0), 5u);
  EXPECT_EQ(e.calls.size(), 5u);
  e = FakeEngine{};
  e.stop_at = 2;
  e.trap_at_stop = true;  // a fault inside the callback ends the loop
  h.call(id::kLoop, 10, 33, cb_ctx, 0);
  EXPECT_EQ(e.calls.size(), 3u);
  h.ctx().trap = Trap{};
  e = FakeEngine{};
  EXPECT_EQ(h.call(id::kLoop, 0, 33, cb_ctx, 0), 0u);
  EXPECT_EQ(sgn(h.call(id::kLoop, (1ULL << 23) + 1, 33, cb_ctx, 0)), -E2BIG);
  EXPECT_EQ(sgn(h.call(id::kLoop, 1, 33, cb_ctx, 1)), -EINVAL);
  EXPECT_TRUE(e.calls.empty());
  h.ctx().invoke = nullptr;
  EXPECT_EQ(sgn(h.call(id::kLoop, 1, 33, cb_ctx, 0)), -EINVAL);
}

TEST_F(HelpersTest, ForEachMapElemPassesReadableKeysAndWritableValues) {
  BpfMap* m = h.add_map({MapType::kHash, "h", 4, 8, 8, 0});
  for (uint32_t k = 1; k <= 3; ++k) {
    uint64_t v = k;
    ASSERT_EQ(m->update(&k, &v, kBpfAny), 0);
  }
  FakeEngine e;
  h.ctx().engine = &e;
  h.ctx().invoke = fake_invoke;
  EXPECT_EQ(h.call(id::kForEachMapElem, addr(m), 9, 0, 0), 3u);
  ASSERT_EQ(e.calls.size(), 3u);
  std::set<uint32_t> keys;
  for (const auto& c : e.calls) {
    EXPECT_EQ(c[0], addr(m));
    EXPECT_TRUE(h.ctx().accessible(c[1], 4, false));
    EXPECT_FALSE(h.ctx().accessible(c[1], 4, true));
    EXPECT_TRUE(h.ctx().accessible(c[2], 8, true));
    uint32_t key;
    std::memcpy(&key, reinterpret_cast<void*>(c[1]), 4);
    EXPECT_EQ(*reinterpret_cast<uint64_t*>(c[2]), key);
    keys.insert(key);
  }
  EXPECT_EQ(keys, (std::set<uint32_t>{1, 2, 3}));
  e = FakeEngine{};
  e.stop_at = 0;
  EXPECT_EQ(h.call(id::kForEachMapElem, addr(m), 9, 0, 0), 1u);
  EXPECT_EQ(sgn(h.call(id::kForEachMapElem, 0x99, 9, 0, 0)), -EINVAL);
  EXPECT_EQ(sgn(h.call(id::kForEachMapElem, addr(m), 9, 0, 1)), -EINVAL);
}

uint64_t host_helper(uint64_t r1, uint64_t r2, uint64_t, uint64_t, uint64_t, RunContext*) {
  return r1 * 1000 + r2;
}

TEST(HelperTableTest, BuiltinsAndHostRegistration) {
  HelperTable t = HelperTable::builtin();
  const HelperProto* lookup = t.find(id::kMapLookupElem);
  ASSERT_NE(lookup, nullptr);
  EXPECT_EQ(lookup->name, "map_lookup_elem");
  EXPECT_EQ(lookup->ret, RetKind::kPtrToMapValueOrNull);
  EXPECT_EQ(lookup->args[0], ArgKind::kConstMapPtr);
  EXPECT_EQ(t.find("map_lookup_elem"), lookup);
  EXPECT_EQ(t.find("bpf_map_lookup_elem"), lookup);
  EXPECT_EQ(t.find("no_such_helper"), nullptr);
  EXPECT_EQ(t.find(9999), nullptr);
  EXPECT_FALSE(t.find(id::kProbeReadKernel)->general);
  EXPECT_TRUE(t.find(id::kKtimeGetNs)->general);
  EXPECT_EQ(t.fns()[id::kTailCall], t.find(id::kTailCall)->fn);
  EXPECT_EQ(t.fns()[22], nullptr);  // bpf_perf_event_read: not implemented
  size_t builtins = t.all().size();
  EXPECT_GE(builtins, 28u);

  ASSERT_TRUE(t.add({1000, "host_mix", host_helper}).ok());
  std::vector<HelperFn> dense = t.dense();
  ASSERT_EQ(dense.size(), 1001u);
  EXPECT_EQ(dense[1000](4, 2, 0, 0, 0, nullptr), 4002u);
  EXPECT_EQ(t.find("host_mix")->id, 1000u);
  EXPECT_EQ(t.all().size(), builtins + 1);

  auto dup_id = t.add({1000, "other", host_helper});
  ASSERT_FALSE(dup_id.ok());
  EXPECT_EQ(dup_id.error().message, "helper id 1000 (other) is already taken by host_mix");
  auto dup_name = t.add({1001, "map_lookup_elem", host_helper});
  ASSERT_FALSE(dup_name.ok());
  EXPECT_EQ(dup_name.error().message,
            "helper name map_lookup_elem (id 1001) is already taken by helper 1");
  auto zero = t.add({0, "zero", host_helper});
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().message, "helper id 0 (zero) is out of range [1, 4096)");
  EXPECT_FALSE(t.add({4096, "big", host_helper}).ok());
  auto no_fn = t.add({1002, "nofn", nullptr});
  ASSERT_FALSE(no_fn.ok());
  EXPECT_EQ(no_fn.error().message, "helper 1002 (nofn) has no function");
  EXPECT_FALSE(t.add({1003, "", host_helper}).ok());
  EXPECT_EQ(t.all().size(), builtins + 1);
}

}  // namespace
}  // namespace bpfjit
