// Register types, state comparison for pruning, and the log's state printer.
#include "verifier/state.h"

#include <fmt/format.h>

#include <utility>

namespace bpfjit::verifier {

const char* reg_type_name(RegType t) {
  switch (t) {
    case RegType::kNotInit: return "not initialized";
    case RegType::kScalar: return "scalar";
    case RegType::kCtx: return "ctx";
    case RegType::kStack: return "stack pointer";
    case RegType::kMapPtr: return "map pointer";
    case RegType::kMapValue: return "map value";
    case RegType::kMapValueOrNull: return "map value or null";
    case RegType::kMapPtrOrNull: return "map pointer or null";
    case RegType::kPacket: return "packet pointer";
    case RegType::kPacketEnd: return "packet end";
    case RegType::kPacketMeta: return "packet meta";
    case RegType::kRingbufMem: return "ringbuf memory";
    case RegType::kRingbufMemOrNull: return "ringbuf memory or null";
    case RegType::kMem: return "memory buffer";
    case RegType::kFunc: return "function pointer";
  }
  return "?";
}

bool is_pointer(RegType t) {
  switch (t) {
    case RegType::kNotInit:
    case RegType::kScalar:
      return false;
    case RegType::kCtx:
    case RegType::kStack:
    case RegType::kMapPtr:
    case RegType::kMapPtrOrNull:
    case RegType::kMapValue:
    case RegType::kMapValueOrNull:
    case RegType::kPacket:
    case RegType::kPacketEnd:
    case RegType::kPacketMeta:
    case RegType::kRingbufMem:
    case RegType::kRingbufMemOrNull:
    case RegType::kMem:
    case RegType::kFunc:
      return true;
  }
  return false;
}

namespace {

// A one-to-one correspondence between the ids of two states.
class IdMap {
 public:
  // `delta`: for linked scalars, the old holder's link_off minus the current one's; it
  // must be the same for every holder of the pair, so that the old relations hold.
  bool check(uint32_t old_id, uint32_t cur_id, int64_t delta = 0) {
    if (old_id == 0 && cur_id == 0) return true;
    if (old_id == 0 || cur_id == 0) return false;
    for (auto& p : pairs_) {
      if (p.old_id == old_id || p.cur_id == cur_id) {
        return p.old_id == old_id && p.cur_id == cur_id && p.delta == delta;
      }
    }
    pairs_.push_back({old_id, cur_id, delta});
    return true;
  }

 private:
  struct Pair {
    uint32_t old_id, cur_id;
    int64_t delta;
  };
  std::vector<Pair> pairs_;
};

bool reg_covers(const Reg& o, const Reg& c, IdMap& ids) {
  if (o.type == RegType::kNotInit) return true;
  if (o.type != c.type) return false;
  if (o.type == RegType::kScalar) {
    if (!o.val.contains(c.val)) return false;
    // A linked old scalar was narrowed together with its copies; the new one must be too.
    return o.id == 0 || ids.check(o.id, c.id, o.link_off - c.link_off);
  }
  if (o.map != c.map || o.size != c.size) return false;
  if (o.off == c.off) {
    if (!o.val.contains(c.val)) return false;
  } else {
    // Where variable offsets are allowed only the address matters: off + val of the new
    // pointer must be among those of the old one.
    bool variable = o.type == RegType::kMem || o.type == RegType::kMapValue ||
                    o.type == RegType::kRingbufMem;
    if (!variable) return false;
    Scalar moved = scalar_alu(AluOp::kAdd, c.val,
                              Scalar::constant(static_cast<uint64_t>(c.off - o.off)), 64);
    if (!o.val.contains(moved)) return false;
  }
  if ((o.type == RegType::kPacket || o.type == RegType::kPacketMeta) && c.range < o.range) {
    return false;
  }
  if (!ids.check(o.id, c.id)) return false;
  return ids.check(o.ref, c.ref);
}

bool stack_covers(const Frame& o, const Frame& c, IdMap& ids) {
  static const StackSlot kEmpty{};
  for (size_t i = 0; i < o.stack.size(); ++i) {
    const StackSlot& os = o.stack[i];
    const StackSlot& cs = i < c.stack.size() ? c.stack[i] : kEmpty;
    if (os.is_spill()) {
      if (!cs.is_spill() || !reg_covers(os.spill, cs.spill, ids)) return false;
      continue;
    }
    for (size_t b = 0; b < 8; ++b) {
      switch (os.bytes[b]) {
        case ByteState::kInvalid:
          break;
        case ByteState::kMisc:
          if (cs.bytes[b] == ByteState::kInvalid) return false;
          if (cs.bytes[b] == ByteState::kSpill && !cs.spill.is_scalar()) return false;
          break;
        case ByteState::kConst:
          if (cs.bytes[b] == ByteState::kConst && cs.vals[b] == os.vals[b]) break;
          return false;
        case ByteState::kSpill:
          return false;  // not reached: spills cover whole slots
      }
    }
  }
  return true;
}

}  // namespace

bool state_covers(const State& old, const State& cur, uint16_t live, uint16_t precise) {
  if (old.frames.size() != cur.frames.size() || old.refs.size() != cur.refs.size()) return false;
  IdMap ids;
  for (size_t f = 0; f < old.frames.size(); ++f) {
    const Frame& o = old.frames[f];
    const Frame& c = cur.frames[f];
    if (o.callsite != c.callsite || o.callback != c.callback) return false;
    bool top = f + 1 == old.frames.size();
    for (uint8_t r = 0; r < kNumRegs; ++r) {
      // The top frame's dead registers do not matter; a caller's r0-r5 are overwritten
      // when the callee returns.
      if (top && !(live >> r & 1)) continue;
      if (!top && r <= 5) continue;
      if (top && !(precise >> r & 1) && o.regs[r].is_scalar() && c.regs[r].is_scalar()) continue;
      if (!reg_covers(o.regs[r], c.regs[r], ids)) return false;
    }
    if (!stack_covers(o, c, ids)) return false;
  }
  for (size_t i = 0; i < old.refs.size(); ++i) {
    if (!ids.check(old.refs[i].id, cur.refs[i].id)) return false;
  }
  if (old.lock.held != cur.lock.held) return false;
  if (old.lock.held && (old.lock.map != cur.lock.map || !ids.check(old.lock.id, cur.lock.id))) {
    return false;
  }
  return true;
}

std::string describe_reg(const Reg& r) {
  switch (r.type) {
    case RegType::kNotInit: return "?";
    case RegType::kScalar:
      return r.id ? fmt::format("{}#{}", r.val.to_string(), r.id) : r.val.to_string();
    case RegType::kCtx:
    case RegType::kPacketEnd:
    case RegType::kPacketMeta:
      break;
    case RegType::kStack:
      return fmt::format("fp{}{}", r.map ? fmt::format("[{}]", r.map) : "",
                         r.val.is_const() ? fmt::format("{}", r.off + static_cast<int64_t>(
                                                                        r.val.value()))
                                          : fmt::format("{}+{}", r.off, r.val.to_string()));
    case RegType::kMapPtr: return fmt::format("map_ptr(map={})", r.map);
    case RegType::kMapPtrOrNull: return fmt::format("map_ptr_or_null(map={},id={})", r.map, r.id);
    case RegType::kMapValue:
    case RegType::kMapValueOrNull:
      return fmt::format("{}(map={},off={}{}{})",
                         r.type == RegType::kMapValue ? "map_value" : "map_value_or_null", r.map,
                         r.off, r.val.is_const() ? "" : ",var=" + r.val.to_string(),
                         r.id ? fmt::format(",id={}", r.id) : "");
    case RegType::kPacket:
      return fmt::format("pkt(off={}{},r={}{})", r.off,
                         r.val.is_const() ? "" : ",var=" + r.val.to_string(), r.range,
                         r.id ? fmt::format(",id={}", r.id) : "");
    case RegType::kRingbufMem:
    case RegType::kRingbufMemOrNull:
      return fmt::format("{}(size={},off={},ref={})",
                         r.type == RegType::kRingbufMem ? "ringbuf_mem" : "ringbuf_mem_or_null",
                         r.size, r.off, r.ref);
    case RegType::kMem:
      return fmt::format("mem(size={},off={}{})", r.size, r.off,
                         r.val.is_const() ? "" : ",var=" + r.val.to_string());
    case RegType::kFunc: return fmt::format("func({})", r.size);
  }
  std::string name = r.type == RegType::kCtx ? "ctx" : r.type == RegType::kPacketEnd ? "pkt_end"
                                                                                        : "pkt_meta";
  if (r.off == 0 && r.val.is_const() && r.val.value() == 0) return name;
  return fmt::format("{}(off={})", name, r.off);
}

std::string describe_state(const State& s) {
  std::string out;
  for (size_t f = 0; f < s.frames.size(); ++f) {
    const Frame& fr = s.frames[f];
    if (s.frames.size() > 1) out += fmt::format("{}[frame {}] ", f ? " " : "", f);
    bool first = true;
    for (uint8_t r = 0; r < kFramePointer; ++r) {
      if (!fr.regs[r].is_init()) continue;
      out += fmt::format("{}r{}={}", first ? "" : " ", r, describe_reg(fr.regs[r]));
      first = false;
    }
    for (size_t i = 0; i < fr.stack.size(); ++i) {
      const StackSlot& st = fr.stack[i];
      int64_t off = -static_cast<int64_t>(i + 1) * 8;
      if (st.is_spill()) {
        out += fmt::format(" fp{}={}", off, describe_reg(st.spill));
        continue;
      }
      std::string bytes;
      bool any = false;
      for (int b = 7; b >= 0; --b) {
        switch (st.bytes[b]) {
          case ByteState::kInvalid: bytes += '?'; break;
          case ByteState::kMisc: bytes += 'm'; any = true; break;
          case ByteState::kConst: bytes += 'c'; any = true; break;
          case ByteState::kSpill: bytes += 's'; any = true; break;
        }
      }
      if (any) out += fmt::format(" fp{}={}", off, bytes);
    }
  }
  if (s.lock.held) out += fmt::format(" lock=map{}:id{}", s.lock.map, s.lock.id);
  if (!s.refs.empty()) {
    out += " refs=";
    for (size_t i = 0; i < s.refs.size(); ++i) out += fmt::format("{}{}", i ? "," : "", s.refs[i].id);
  }
  return out;
}

}  // namespace bpfjit::verifier
