#include "policy_service.h"

#include <arpa/inet.h>

#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

namespace policy_example {

using bpfjit::ErrorCode;
using bpfjit::make_error;
using bpfjit::Result;

namespace {

constexpr const char* kMapNames[] = {"reasons", "decided_by", "allowed_bytes"};

Result<uint64_t> parse_u64(std::string_view s, uint64_t line_no, const char* what) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "line " + std::to_string(line_no) + ": " + what + " '" + std::string(s) +
                          "' is not a number");
  }
  return v;
}

Result<uint32_t> parse_method(std::string_view s, uint64_t line_no) {
  static constexpr std::pair<const char*, policy_method> kMethods[] = {
      {"GET", METHOD_GET}, {"POST", METHOD_POST}, {"PUT", METHOD_PUT}, {"DELETE", METHOD_DELETE}};
  for (const auto& [name, m] : kMethods) {
    if (s == name) return static_cast<uint32_t>(m);
  }
  return make_error(ErrorCode::kInvalidArgument, "line " + std::to_string(line_no) +
                                                     ": unknown method '" + std::string(s) + "'");
}

}  // namespace

const char* reason_name(uint32_t reason) {
  switch (reason) {
    case REASON_ALLOWED: return "allowed";
    case REASON_BLOCKED_NET: return "blocked_net";
    case REASON_ADMIN: return "admin";
    case REASON_TOO_LARGE: return "too_large";
    case REASON_METHOD: return "method";
    default: return "unknown";
  }
}

Result<Request> parse_request(std::string_view line, uint64_t line_no) {
  std::vector<std::string_view> f;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) f.push_back(line.substr(start, i - start));
  }
  if (f.size() != 5) {
    return make_error(ErrorCode::kInvalidArgument,
                      "line " + std::to_string(line_no) + ": " + std::to_string(f.size()) +
                          " fields, expected 5 (id client_ip path method bytes)");
  }
  Request r;
  auto id = parse_u64(f[0], line_no, "id");
  if (!id) return id.take_error();
  r.id = *id;
  in_addr addr{};
  if (inet_pton(AF_INET, std::string(f[1]).c_str(), &addr) != 1) {
    return make_error(ErrorCode::kInvalidArgument, "line " + std::to_string(line_no) +
                                                       ": bad IPv4 address '" +
                                                       std::string(f[1]) + "'");
  }
  r.req.client_ip = ntohl(addr.s_addr);
  std::memcpy(r.req.path, f[2].data(), std::min(f[2].size(), sizeof(r.req.path) - 1));
  auto method = parse_method(f[3], line_no);
  if (!method) return method.take_error();
  r.req.method = *method;
  auto bytes = parse_u64(f[4], line_no, "bytes");
  if (!bytes) return bytes.take_error();
  r.req.bytes = *bytes;
  return r;
}

Result<std::shared_ptr<const PolicyVersion>> PolicyService::load(const std::string& path) {
  bpfjit::LoadSettings settings;
  settings.reuse_maps = maps_;  // empty for the first version: it creates them
  auto obj = rt_.load_file(path, settings);
  if (!obj) return obj.take_error();
  auto v = std::make_shared<PolicyVersion>();
  v->path = path;
  v->object = std::move(obj).value();
  v->program = v->object->program("policy");
  if (v->program == nullptr) {
    return make_error(ErrorCode::kNotFound, path + ": no program 'policy'");
  }
  // The program reads the request it is given: the verifier proves its reads against
  // this size, in the default verified mode.
  bpfjit::PrepareOptions opts;
  opts.mem_size = sizeof(policy_request);
  if (auto r = v->program->prepare(opts); !r) {
    bpfjit::Error e = r.take_error();
    e.message = path + ": " + e.message;
    return e;
  }
  return std::shared_ptr<const PolicyVersion>(std::move(v));
}

Result<void> PolicyService::start(const std::string& path) {
  auto v = load(path);
  if (!v) return v.take_error();
  std::vector<std::shared_ptr<bpfjit::Map>> maps;
  for (const char* name : kMapNames) {
    auto m = (*v)->object->shared_map(name);
    if (m == nullptr) return make_error(ErrorCode::kNotFound, path + ": no map '" + name + "'");
    maps.push_back(std::move(m));
  }
  maps_ = std::move(maps);
  set_current(std::move(v).value());
  return {};
}

Result<void> PolicyService::reload(const std::string& path) {
  auto v = load(path);  // while the workers keep running the current version
  if (!v) return v.take_error();
  set_current(std::move(v).value());
  return {};
}

Result<Decision> PolicyService::decide(const PolicyVersion& policy, const Request& r) const {
  policy_request req = r.req;  // the program gets its own copy
  auto verdict = policy.program->run(bpfjit::Map::writable_bytes_of(req));
  if (!verdict) return verdict.take_error();
  Decision d;
  d.id = r.id;
  d.version = static_cast<uint32_t>(POLICY_VERDICT_VERSION(*verdict));
  d.reason = static_cast<uint32_t>(POLICY_VERDICT_REASON(*verdict));
  d.allowed = POLICY_VERDICT_ALLOWED(*verdict) != 0;
  return d;
}

Result<Counters> PolicyService::counters() const {
  Counters c;
  auto read = [](const bpfjit::Map& m, uint32_t key, uint64_t& out) -> Result<void> {
    auto v = m.get<uint32_t, uint64_t>(key);
    if (!v) return v.take_error();
    out = *v;
    return {};
  };
  for (uint32_t k = 0; k < REASON_COUNT; ++k) {
    if (auto r = read(*maps_[0], k, c.reasons[k]); !r) return r.take_error();
  }
  for (uint32_t k = 0; k < 4; ++k) {
    if (auto r = read(*maps_[1], k, c.decided_by[k]); !r) return r.take_error();
  }
  if (auto r = read(*maps_[2], 0, c.allowed_bytes); !r) return r.take_error();
  return c;
}

Result<ServeSummary> PolicyService::serve(std::istream& in, const ServeOptions& opts) {
  // A bounded queue from the reader (this thread) to the workers. A worker takes a request
  // and a snapshot of the current version in one step under the lock, so a request the
  // reader queued after a reload is never decided by the old version.
  struct Job {
    Request request;
    std::shared_ptr<const PolicyVersion> policy;
  };
  std::mutex mu;
  std::condition_variable not_empty, not_full;
  std::deque<Request> queue;
  bool closed = false;
  std::optional<bpfjit::Error> failure;  // the first failure of a worker, under mu

  auto take = [&]() -> std::optional<Job> {
    std::unique_lock<std::mutex> lock(mu);
    not_empty.wait(lock, [&] { return !queue.empty() || closed; });
    if (queue.empty()) return std::nullopt;
    Job job{queue.front(), current()};
    queue.pop_front();
    not_full.notify_one();
    return job;
  };
  auto fail = [&](bpfjit::Error e) {
    std::lock_guard<std::mutex> lock(mu);
    if (!failure) failure = std::move(e);
    closed = true;
    not_empty.notify_all();
    not_full.notify_all();
  };

  unsigned nworkers = opts.workers == 0 ? 1 : opts.workers;
  std::vector<std::vector<Decision>> done(nworkers);
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < nworkers; ++w) {
    workers.emplace_back([&, w] {
      while (auto job = take()) {
        auto d = decide(*job->policy, job->request);
        if (!d) {
          bpfjit::Error e = d.take_error();
          e.message = "request " + std::to_string(job->request.id) + ": " + e.message;
          fail(std::move(e));
          return;
        }
        done[w].push_back(*d);
      }
    });
  }

  ServeSummary summary;
  std::string line;
  uint64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    auto req = parse_request(line, line_no);
    if (!req) {
      fail(req.take_error());
      break;
    }
    if (!opts.reload_path.empty() && !summary.reloaded && summary.requests == opts.reload_after) {
      // The workers keep draining the queue while the new version loads and verifies.
      if (auto r = reload(opts.reload_path); !r) {
        fail(r.take_error());
        break;
      }
      summary.reloaded = true;
    }
    std::unique_lock<std::mutex> lock(mu);
    not_full.wait(lock, [&] { return queue.size() < opts.queue_capacity || closed; });
    if (closed) break;  // a worker failed
    queue.push_back(*req);
    ++summary.requests;
    not_empty.notify_one();
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    closed = true;
    not_empty.notify_all();
  }
  for (auto& t : workers) t.join();
  if (failure) return *failure;
  if (in.bad()) return make_error(ErrorCode::kIo, "reading the requests failed");
  for (auto& part : done) {
    summary.decisions.insert(summary.decisions.end(), part.begin(), part.end());
  }
  return summary;
}

}  // namespace policy_example
