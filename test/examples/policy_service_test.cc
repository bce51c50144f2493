// The policy service example in-process: worker threads decide a stream of requests while
// the service reloads the policy object. Every request is decided exactly once, by the
// version the reload point implies, and the counters in the maps carried across the
// reload add up. Also built and run under ThreadSanitizer (label tsan).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>

#include "policy_service.h"

namespace policy_example {
namespace {

std::string obj(const char* name) { return std::string(BPFJIT_EXAMPLES_BPF_DIR) + "/" + name; }

// The rules of policy.bpf.c for the few shapes of request this test sends.
uint32_t expected_reason(uint32_t version, uint32_t ip, const std::string& path,
                         const std::string& method, uint64_t bytes) {
  bool admin = path.rfind("/admin", 0) == 0;
  if ((ip >> 16) == 0x0a42) return REASON_BLOCKED_NET;
  if (version == 1) {
    if (admin && method != "GET") return REASON_ADMIN;
    return bytes > (1u << 20) ? REASON_TOO_LARGE : REASON_ALLOWED;
  }
  if ((ip >> 8) == 0xc0a80d) return REASON_BLOCKED_NET;
  if (method == "DELETE") return REASON_METHOD;
  if (admin && (ip >> 24) != 10) return REASON_ADMIN;
  return bytes > (64u << 10) ? REASON_TOO_LARGE : REASON_ALLOWED;
}

struct Line {
  uint32_t ip;
  std::string ip_text, path, method;
  uint64_t bytes;
};

TEST(PolicyServiceExample, ReloadUnderLoadDecidesEveryRequestOnce) {
  constexpr uint64_t kRequests = 6000, kReloadAfter = 3000;
  constexpr size_t kQueue = 32;
  const Line kinds[] = {
      {0x0a420001, "10.66.0.1", "/", "GET", 10},
      {0xc0a80d07, "192.168.13.7", "/api", "GET", 10},
      {0xcb007105, "203.0.113.5", "/admin/users", "GET", 10},
      {0x0a010203, "10.1.2.3", "/admin/users", "PUT", 10},
      {0x0a010203, "10.1.2.3", "/upload", "POST", 100000},
      {0xac100001, "172.16.0.1", "/items/1", "DELETE", 0},
  };
  std::ostringstream text;
  std::map<uint64_t, const Line*> by_id;
  for (uint64_t i = 0; i < kRequests; ++i) {
    const Line& l = kinds[(i * 7) % std::size(kinds)];
    text << i << ' ' << l.ip_text << ' ' << l.path << ' ' << l.method << ' ' << l.bytes << '\n';
    by_id[i] = &l;
  }

  bpfjit::Runtime rt;
  PolicyService service(rt);
  auto started = service.start(obj("policy_v1.o"));
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  std::istringstream in(text.str());
  ServeOptions opts;
  opts.workers = 4;
  opts.reload_path = obj("policy_v2.o");
  opts.reload_after = kReloadAfter;
  opts.queue_capacity = kQueue;
  auto summary = service.serve(in, opts);
  ASSERT_TRUE(summary.ok()) << summary.error().to_string();
  EXPECT_TRUE(summary->reloaded);
  EXPECT_EQ(summary->requests, kRequests);
  ASSERT_EQ(summary->decisions.size(), kRequests);

  std::set<uint64_t> seen;
  uint64_t per_reason[REASON_COUNT] = {}, per_version[4] = {}, allowed_bytes = 0;
  for (const Decision& d : summary->decisions) {
    ASSERT_TRUE(seen.insert(d.id).second) << "request " << d.id << " decided twice";
    ASSERT_TRUE(d.version == 1 || d.version == 2) << d.version;
    if (d.id >= kReloadAfter) {
      EXPECT_EQ(d.version, 2u) << "request " << d.id;
    }
    if (d.id < kReloadAfter - kQueue) {
      EXPECT_EQ(d.version, 1u) << "request " << d.id;
    }
    const Line& l = *by_id.at(d.id);
    uint32_t want = expected_reason(d.version, l.ip, l.path, l.method, l.bytes);
    EXPECT_EQ(d.reason, want) << "request " << d.id << " v" << d.version;
    EXPECT_EQ(d.allowed, want == REASON_ALLOWED);
    ++per_reason[d.reason];
    ++per_version[d.version];
    if (d.allowed) allowed_bytes += l.bytes;
  }
  EXPECT_GT(per_version[1], 0u);
  EXPECT_GT(per_version[2], 0u);

  auto c = service.counters();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  for (uint32_t r = 0; r < REASON_COUNT; ++r) EXPECT_EQ(c->reasons[r], per_reason[r]) << r;
  for (uint32_t v = 0; v < 4; ++v) EXPECT_EQ(c->decided_by[v], per_version[v]) << v;
  EXPECT_EQ(c->allowed_bytes, allowed_bytes);
  EXPECT_EQ(service.current()->path, obj("policy_v2.o"));
}

TEST(PolicyServiceExample, FailedReloadStopsTheStreamAndKeepsTheOldVersion) {
  bpfjit::Runtime rt;
  PolicyService service(rt);
  ASSERT_TRUE(service.start(obj("policy_v1.o")).ok());
  std::istringstream in("1 10.1.1.1 / GET 1\n2 10.1.1.1 / GET 1\n3 10.1.1.1 / GET 1\n");
  ServeOptions opts;
  opts.reload_path = obj("no_such_policy.o");
  opts.reload_after = 2;
  auto summary = service.serve(in, opts);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.error().code, bpfjit::ErrorCode::kIo);
  EXPECT_NE(summary.error().message.find("no_such_policy.o"), std::string::npos);
  EXPECT_EQ(service.current()->path, obj("policy_v1.o"));
  auto c = service.counters();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->decided_by[1], 2u);  // the two requests read before the reload
}

TEST(PolicyServiceExample, BadRequestLinesAreNamed) {
  auto r = parse_request("5 10.1.1.1 / FETCH 1", 9);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "line 9: unknown method 'FETCH'");
  auto short_line = parse_request("5 10.1.1.1 /", 3);
  ASSERT_FALSE(short_line.ok());
  EXPECT_EQ(short_line.error().message,
            "line 3: 3 fields, expected 5 (id client_ip path method bytes)");
  auto ok = parse_request("5 10.1.2.3 /a GET 7", 1);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->req.client_ip, 0x0a010203u);
  EXPECT_EQ(ok->req.bytes, 7u);
  EXPECT_STREQ(ok->req.path, "/a");
}

}  // namespace
}  // namespace policy_example
