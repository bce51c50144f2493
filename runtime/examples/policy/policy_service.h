// A request filter that embeds bpfjit: each request is packed into a `policy_request` and
// decided by the current version of a policy program; a new version can be loaded while
// worker threads keep deciding requests, and the decision counters carry over.
//
// Only the public API is used (bpfjit/runtime.h).
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "bpfjit/runtime.h"
#include "policy_request.h"

namespace policy_example {

/// One request line: "ID CLIENT_IP PATH METHOD BYTES", e.g. "17 10.1.2.3 /admin/users GET 512".
struct Request {
  uint64_t id = 0;
  policy_request req{};
};

/// Parses one request line; the error names the line and the field at fault.
bpfjit::Result<Request> parse_request(std::string_view line, uint64_t line_no);

/// What the policy decided for one request, and which version decided it.
struct Decision {
  uint64_t id = 0;
  uint32_t version = 0;  ///< the version the program reports (POLICY_VERSION)
  bool allowed = false;
  uint32_t reason = 0;   ///< enum policy_reason
};

/// "allowed", "blocked_net", ... for enum policy_reason.
const char* reason_name(uint32_t reason);

/// One loaded, prepared version of the policy object. Workers hold it through a
/// shared_ptr while they run it; it is freed when the last of them lets go.
struct PolicyVersion {
  std::string path;
  std::unique_ptr<bpfjit::Object> object;
  bpfjit::Program* program = nullptr;
};

/// The counters the policy keeps in its maps (they survive reloads).
struct Counters {
  uint64_t reasons[REASON_COUNT] = {};
  uint64_t decided_by[4] = {};  ///< per policy version
  uint64_t allowed_bytes = 0;
};

/// Options of PolicyService::serve.
struct ServeOptions {
  unsigned workers = 4;
  /// Load this object after `reload_after` requests have been read (empty: never).
  std::string reload_path;
  uint64_t reload_after = 0;
  /// Requests read ahead of the workers. A request read after the reload began is decided
  /// by the new version; the first (reload_after - queue_capacity) requests by the old one.
  size_t queue_capacity = 64;
};

/// What serve() did.
struct ServeSummary {
  std::vector<Decision> decisions;  ///< in the order the workers finished them
  uint64_t requests = 0;            ///< request lines read
  bool reloaded = false;
};

class PolicyService {
 public:
  explicit PolicyService(bpfjit::Runtime& rt) : rt_(rt) {}

  /// Loads and prepares the first version; the service's maps are created by it.
  bpfjit::Result<void> start(const std::string& path);
  /// Loads and prepares `path` with the current version's maps, then makes it current.
  /// Runs in flight finish on the version they started with.
  bpfjit::Result<void> reload(const std::string& path);
  /// Decides one request with the version `policy` (a snapshot of current()).
  bpfjit::Result<Decision> decide(const PolicyVersion& policy, const Request& r) const;
  /// The current version.
  std::shared_ptr<const PolicyVersion> current() const {
    std::lock_guard<std::mutex> lock(current_mu_);
    return current_;
  }
  /// Reads request lines from `in` and decides each on `opts.workers` threads, reloading
  /// as `opts` asks. Stops at the first bad line or failed run.
  bpfjit::Result<ServeSummary> serve(std::istream& in, const ServeOptions& opts);
  /// The policy's counters as they are now.
  bpfjit::Result<Counters> counters() const;

 private:
  bpfjit::Result<std::shared_ptr<const PolicyVersion>> load(const std::string& path);

  bpfjit::Runtime& rt_;
  // The current version. Readers copy the pointer under a lock held for that copy alone;
  // a reload swaps it the same way. (std::atomic<std::shared_ptr> would do, but libstdc++
  // 12 implements it with a spin lock that ThreadSanitizer cannot see.)
  void set_current(std::shared_ptr<const PolicyVersion> v) {
    std::lock_guard<std::mutex> lock(current_mu_);
    current_.swap(v);  // the old version is released outside the lock, with `v`
  }
  mutable std::mutex current_mu_;
  std::shared_ptr<const PolicyVersion> current_;
  std::vector<std::shared_ptr<bpfjit::Map>> maps_;  // reasons, decided_by, allowed_bytes
};

}  // namespace policy_example
