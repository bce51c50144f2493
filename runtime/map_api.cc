// The Map calls of the map types with their own host interfaces: map-in-map (set_inner)
// and perf_event_array (event buffers). The common calls are in api.cc.
#include <fmt/format.h>

#include "bpfjit/map.h"
#include "runtime/api_internal.h"

namespace bpfjit {

namespace {

Result<void> wrong_type(const BpfMap& m, const char* want) {
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("map {} is a {} map, not {}", m.name(), map_type_name(m.type()),
                                want));
}

PerfEventArrayMap* perf_map(BpfMap& m) {
  return m.type() == MapType::kPerfEventArray ? static_cast<PerfEventArrayMap*>(&m) : nullptr;
}

}  // namespace

uint32_t Map::id() const { return impl_->id(); }

Result<void> Map::set_inner(std::span<const uint8_t> key, const Map& inner, uint64_t flags) {
  auto* outer = dynamic_cast<MapOfMaps*>(impl_.get());
  if (outer == nullptr) return wrong_type(*impl_, "array_of_maps or hash_of_maps");
  if (key.size() != key_size()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("map {}: the key is {} bytes, the map's are {}", name(),
                                  key.size(), key_size()));
  }
  if (!outer->fits(*inner.impl_)) {
    const MapSpec* t = spec().inner.get();
    return make_error(
        ErrorCode::kInvalidArgument,
        t == nullptr
            ? fmt::format("map {}: it has no inner map template, no map can be put in", name())
            : fmt::format("map {}: map {} ({}, key {}, value {}, max_entries {}, flags {:#x}) "
                          "does not match the inner template ({}, key {}, value {}, "
                          "max_entries {}, flags {:#x})",
                          name(), inner.name(), map_type_name(inner.type()), inner.key_size(),
                          inner.value_size(), inner.max_entries(), inner.spec().flags,
                          map_type_name(t->type), t->key_size, t->value_size, t->max_entries,
                          t->flags));
  }
  const int64_t rc = outer->set_inner(key.data(), inner.impl_, flags);
  if (rc != 0) return map_error(*impl_, "update", rc);
  return {};
}

Result<void> Map::open_perf_buffers(uint32_t bytes_per_cpu) {
  PerfEventArrayMap* pm = perf_map(*impl_);
  if (pm == nullptr) return wrong_type(*impl_, "a perf_event_array");
  if (pm->open(bytes_per_cpu) != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("map {}: buffers of {} bytes: the size must be a power of "
                                  "two, at least 4096", name(), bytes_per_cpu));
  }
  return {};
}

Result<size_t> Map::perf_consume(const PerfRecordFn& fn, const PerfLostFn& lost) {
  return perf_poll(0, fn, lost);
}

Result<size_t> Map::perf_poll(int timeout_ms, const PerfRecordFn& fn, const PerfLostFn& lost) {
  PerfEventArrayMap* pm = perf_map(*impl_);
  if (pm == nullptr) return wrong_type(*impl_, "a perf_event_array").take_error();
  const int64_t n = timeout_ms == 0 ? pm->consume(fn, lost) : pm->poll(timeout_ms, fn, lost);
  return static_cast<size_t>(n);
}

}  // namespace bpfjit
