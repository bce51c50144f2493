// A run's environment for calling helpers directly: a stack, extra regions, a HostEnv over
// a ProgramEnv holding the test's maps, and the built-in helper table.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "helpers/helper_table.h"
#include "helpers/host_env.h"
#include "helpers/maps.h"

namespace bpfjit::testing {

inline uint64_t addr(const void* p) { return reinterpret_cast<uint64_t>(p); }

inline std::shared_ptr<BpfMap> must_create(MapSpec spec) {
  auto r = create_map(spec);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : nullptr;
}

class HelperEnv {
 public:
  HelperEnv() : table_(HelperTable::builtin()), env_(&program_) {
    program_.name = "test";
    ctx_.stack = stack_;
    ctx_.helpers = table_.fns();
    ctx_.host = &env_;
    refresh();
  }

  // Adds a map to the program's maps (and its regions to the run's regions).
  BpfMap* add_map(std::shared_ptr<BpfMap> m) {
    program_.maps.push_back(std::move(m));
    refresh();
    return program_.maps.back().get();
  }
  BpfMap* add_map(const MapSpec& spec) { return add_map(must_create(spec)); }
  void add_region(const void* p, size_t n, bool writable) {
    extra_.push_back({addr(p), addr(p) + n, writable});
    refresh();
  }

  uint64_t call(uint32_t id, uint64_t r1 = 0, uint64_t r2 = 0, uint64_t r3 = 0, uint64_t r4 = 0,
                uint64_t r5 = 0) {
    const HelperProto* p = table_.find(id);
    EXPECT_NE(p, nullptr) << "helper " << id;
    return p != nullptr ? p->fn(r1, r2, r3, r4, r5, &ctx_) : 0;
  }
  static int64_t sgn(uint64_t v) { return static_cast<int64_t>(v); }

  // Bytes at the top of the stack (where a program's frame starts).
  uint8_t* stack_at(uint32_t offset_from_top) { return stack_ + kStackSize - offset_from_top; }

  RunContext& ctx() { return ctx_; }
  HostEnv& env() { return env_; }
  ProgramEnv& program() { return program_; }
  HelperTable& table() { return table_; }

 private:
  void refresh() {
    regions_ = program_.map_regions();
    regions_.insert(regions_.end(), extra_.begin(), extra_.end());
    ctx_.regions = regions_.data();
    ctx_.region_count = static_cast<uint32_t>(regions_.size());
  }

  alignas(64) uint8_t stack_[kStackSize] = {};
  HelperTable table_;
  ProgramEnv program_;
  HostEnv env_;
  RunContext ctx_;
  std::vector<MemRegion> regions_;
  std::vector<MemRegion> extra_;
};

}  // namespace bpfjit::testing
