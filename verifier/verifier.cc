// The verifier's driver: depth-first path exploration with state pruning. The design is
// described in verifier.h; the abstract domains live in tnum, scalar and state, the
// control-flow facts in cfg, the platform descriptions in platform.
#include "verifier/verifier.h"

#include "helpers/kernel_tables.h"
#include "helpers/map_types.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <memory>

#include "runtime/isa/decode.h"
#include "runtime/isa/semantics.h"
#include "verifier/cfg.h"
#include "verifier/loop.h"
#include "verifier/state.h"

namespace bpfjit::verifier {

namespace {

constexpr size_t kMaxStatesPerInsn = 32;
constexpr size_t kMaxPending = 1 << 16;
constexpr uint32_t kLoopForkThreshold = 64;
constexpr int64_t kMaxPtrOffset = int64_t{1} << 29;
constexpr uint64_t kMaxPacketVarOffset = 0xffff;
constexpr uint64_t kMaxHelperSize = uint64_t{1} << 29;
constexpr uint64_t kUnknownSize = UINT64_MAX;
constexpr uint32_t kCallbackJoinRounds = 3;
constexpr size_t kMaxLogBytes = size_t{64} << 20;
// Loop summaries: tried at the kSummaryVisits-th visit of a path to a loop head, at most
// kMaxSummaryFailures failed tries per head, kMaxSummaryRounds invariant candidates per try
// (the first kThresholdRounds widen to thresholds, later ones to the ends of the ranges;
// at most kMaxNarrowings narrow an invariant that bounds nothing).
constexpr uint32_t kSummaryVisits = 8;
constexpr uint8_t kMaxSummaryFailures = 8;
constexpr uint32_t kMaxSummaryRounds = 12;
constexpr uint32_t kThresholdRounds = 6;
constexpr uint32_t kMaxNarrowings = 2;
constexpr size_t kMaxLoopNesting = 8;
constexpr uint32_t kMaxAncestorWalk = 4096;
constexpr LoopLoc kNumLoopLocs = kLocSlot0 + kStackFrameSize / 8;

// Helper ids the verifier knows the meaning of (beyond their prototypes).
constexpr uint32_t kIdMapLookup = 1, kIdTailCall = 12, kIdSpinLock = 93, kIdSpinUnlock = 94,
                   kIdForEachMapElem = 164, kIdLoop = 181;

enum class Access : uint8_t { kRead, kWrite, kAtomic, kHelperRead, kHelperWrite };

bool is_write(Access a) {
  return a == Access::kWrite || a == Access::kAtomic || a == Access::kHelperWrite;
}

std::string rname(uint8_t r) { return fmt::format("r{}", r); }

class Verifier {
 public:
  Verifier(const VerifyInput& in, const VerifyOptions& opts, VerifyResult& res)
      : in_(in), opts_(opts), res_(res), insns_(in.insns) {}

  void run();

 private:
  // --- setup ---
  bool resolve_lddw_refs();
  State initial_state();
  const HelperProto* find_helper(uint32_t id) const {
    return in_.helper ? in_.helper(id) : in_.platform.find_helper(id);
  }

  // --- exploration ---
  void explore_path();
  enum class Prune : uint8_t { kNew, kCovered, kLoop };
  Prune check_prune(uint32_t pc);
  void fork(State&& other);
  void end_path();
  bool step();

  // --- loop summaries (loop.h) ---
  // One try at summarising the loop at `head`: the candidate invariant, and what the
  // exploration of the body from it found.
  struct LoopTrial {
    uint32_t head = 0;
    size_t depth = 0;  // frames of the loop's states
    const std::vector<uint8_t>* body = nullptr;
    State inv;
    std::vector<State> exits;         // states leaving the body
    std::vector<Ranking> rankings;    // rankings every trip so far shows
    bool any_trip = false;
    bool start = false;               // the path being explored is the invariant itself
    bool restart = false;             // a trip was not covered: stop the round
    std::optional<State> grow;        // that trip's state
    std::optional<State> trips;       // the join of the covered trips' states
    std::vector<uint8_t> changed;     // per LoopLoc: not the head's value after some trip
    // Values that moved by a constant step between the last two visits before the
    // summary: {location, step, entry value (pointers: fixed + variable offset)}.
    struct Step {
      LoopLoc loc;
      int64_t step;
      uint64_t entry;
    };
    std::vector<Step> steps;
    // A pointer `b` that moves in step with a counter `a`: after k trips
    // b = b0 + db * k and a = a0 + da * k, so a's bound in the invariant bounds b.
    struct Link {
      LoopLoc a, b;
      int64_t da, db;
    };
    std::vector<Link> links;
    std::vector<std::pair<LoopLoc, LoopLoc>> broken;  // {a, b} that did not move together
    uint16_t compared = 0;  // registers the body's conditional jumps compare
    bool link_broken = false;
  };
  void link_pointers(LoopTrial& t, State& inv);
  enum class Round : uint8_t { kProven, kGrow, kNoRanking, kRelink, kFailed };
  bool try_summary(uint32_t pc);
  Round summary_round(LoopTrial& t, const State& inv);
  bool trial_path_ends(uint32_t pc);
  bool body_summarisable(const std::vector<uint8_t>& body) const;
  void track_tags(const Insn& in, const Reg& dst_before, const Reg& src_before);

  // --- errors ---
  bool fail(uint32_t pc, const std::string& reason);

  // --- instructions ---
  bool read_reg(uint32_t pc, uint8_t r);
  bool do_alu(uint32_t pc, const Insn& in);
  bool ptr_add(uint32_t pc, Reg& p, const Scalar& s, bool sub, uint8_t regno);
  bool do_lddw(uint32_t pc, const Insn& in);
  bool do_load(uint32_t pc, const Insn& in);
  bool do_store(uint32_t pc, const Insn& in);
  bool do_atomic(uint32_t pc, const Insn& in);
  bool do_legacy_load(uint32_t pc, const Insn& in);
  bool do_branch(uint32_t pc, const Insn& in);
  bool do_helper(uint32_t pc, const Insn& in);
  void invalidate_packet_pointers();
  bool do_local_call(uint32_t pc, const Insn& in);
  bool enter_callback(uint32_t pc, uint32_t target, const std::array<Reg, 6>& args);
  bool do_exit(uint32_t pc);
  bool finish_callback(uint32_t pc);

  bool same_access_kind(uint32_t pc, const Reg& p);
  bool check_mem(uint32_t pc, uint8_t regno, const Reg& p, int64_t insn_off, uint64_t size,
                 Access kind, const Reg* value, Reg* out, const char* uninit_phrase);
  bool stack_access(uint32_t pc, uint8_t regno, const Reg& p, int64_t lo, int64_t hi,
                    uint64_t size, Access kind, const Reg* value, Reg* out,
                    const char* uninit_phrase);
  bool ctx_access(uint32_t pc, uint8_t regno, const Reg& p, int64_t insn_off, uint64_t size,
                  Access kind, const Reg* value, Reg* out);
  static constexpr int32_t kLookupMapUnseen = -2;
  // Records the map pointer `a` passed to bpf_map_lookup_elem at pc (lookup_map_): only a
  // map an lddw loaded (id 0; an inner map from a map-in-map lookup has the id of its null
  // check, and state pruning keeps the two apart) names one map for every run.
  void note_lookup_map(uint32_t pc, const Reg& a) {
    const int32_t seen = a.id == 0 && a.off == 0 ? static_cast<int32_t>(a.map) : -1;
    int32_t& m = lookup_map_[pc];
    m = m == kLookupMapUnseen || m == seen ? seen : -1;
  }
  bool check_helper_mem(uint32_t pc, uint8_t regno, uint64_t size, bool write, int arg,
                        const char* uninit_phrase);

  void mark_null(State& s, uint32_t id, bool is_null);
  void learn_packet_range(State& s, const Reg& pkt);
  bool spin_lock_op(uint32_t pc, uint32_t id, uint8_t regno);
  bool refine_scalars(State& s, const Insn& in, bool taken);
  void propagate_scalar(State& s, const Reg& r);
  uint32_t new_id() { return next_id_++; }
  void check_stack_depth();
  void note_memory();
  void fail_limit(uint32_t pc, const std::string& reason);

  const VerifyInput& in_;
  const VerifyOptions& opts_;
  VerifyResult& res_;
  const std::vector<Insn>& insns_;
  Cfg cfg_;
  std::vector<std::optional<LddwRef>> lddw_;
  std::vector<std::vector<Checkpoint*>> stored_;
  std::deque<Checkpoint> checkpoints_;
  std::vector<State> pending_;
  std::vector<uint8_t> flags_, visited_;
  // Per slot: what a load or store reached so far (1: the context, 2: other memory).
  std::vector<uint8_t> access_kind_;
  // Per slot: the map r1 holds at a bpf_map_lookup_elem call on every path so far (an
  // lddw-loaded map's index), kLookupMapUnseen before the first, -1 once paths disagree.
  std::vector<int32_t> lookup_map_;
  std::vector<uint32_t> subprog_depth_;
  State cur_;
  uint8_t facts_ = 0;  // the current instruction's facts for the JIT
  bool path_done_ = false;
  bool stop_all_ = false;
  std::chrono::steady_clock::time_point start_;
  // The time or memory limit's refusal: it ends the whole verification, loop summaries
  // being tried included (their own errors only fail the summary).
  std::optional<Diagnostic> limit_error_;
  uint32_t next_id_ = 1;
  uint64_t live_states_ = 0;
  int helper_arg_ = 0;  // while checking a helper's memory argument: its number
  std::vector<LoopTrial*> trials_;            // the loop summaries being tried, innermost last
  std::vector<std::vector<uint8_t>> bodies_;  // per loop head, computed on demand
  std::vector<uint8_t> summary_failures_;     // per loop head
  // Instructions processed by summaries that failed: they do not count towards the
  // complexity limit (a loop no summary proves is rejected exactly as without summaries),
  // but once they exceed it no more summaries are tried.
  uint64_t failed_summary_insns_ = 0;
  // Processed instructions when the program's first error was found (outside loop
  // summaries). The search for more errors stops kAfterFirstError instructions later.
  std::optional<uint64_t> first_error_at_;
  static constexpr uint64_t kAfterFirstError = 65'536;

  // Bounds failures of a helper's memory argument are argument errors.
  std::string oob(const char* phrase) const {
    if (helper_arg_ == 0) return phrase;
    return fmt::format("invalid helper argument: arg{} memory is not in bounds", helper_arg_);
  }
};

// ------------------------------------------------------------------------------------------
// Setup

bool Verifier::resolve_lddw_refs() {
  lddw_.assign(insns_.size(), std::nullopt);
  for (const LddwRef& r : in_.lddw_refs) {
    if (r.slot >= insns_.size() || form_of(insns_[r.slot].op) != Form::kLddw ||
        insns_[r.slot].op == Op::kLddwHigh) {
      res_.diagnostics.push_back(make_error(
          ErrorCode::kVerify, r.slot < insns_.size() ? r.slot : kNoInsn,
          fmt::format("invalid map: lddw reference at slot {} does not name an lddw", r.slot)));
      return false;
    }
    lddw_[r.slot] = r;
  }
  for (uint32_t pc = 0; pc < insns_.size(); ++pc) {
    const Insn& in = insns_[pc];
    if (lddw_[pc] || form_of(in.op) != Form::kLddw || in.op == Op::kLddwHigh) continue;
    uint32_t high_imm = pc + 1 < insns_.size() ? static_cast<uint32_t>(insns_[pc + 1].imm) : 0;
    switch (lddw_kind(in.op)) {
      case LddwKind::kImm64:
      case LddwKind::kVariable:
        break;
      case LddwKind::kMapFd:
      case LddwKind::kMapIdx:
        lddw_[pc] = LddwRef{pc, LddwRefKind::kMap, static_cast<uint32_t>(in.imm), 0};
        break;
      case LddwKind::kMapValue:
      case LddwKind::kMapIdxValue:
        lddw_[pc] = LddwRef{pc, LddwRefKind::kMapValue, static_cast<uint32_t>(in.imm), high_imm};
        break;
      case LddwKind::kCode:
        lddw_[pc] = LddwRef{pc, LddwRefKind::kCode, 0,
                            static_cast<uint32_t>(static_cast<int64_t>(pc) + 1 + in.imm)};
        break;
    }
  }
  return true;
}

State Verifier::initial_state() {
  State s;
  s.frames.emplace_back();
  Frame& f = s.frames.back();
  f.subprog = 0;
  Reg fp;
  fp.type = RegType::kStack;
  fp.map = 0;
  f.regs[kFramePointer] = fp;
  if (in_.type.model == CtxModel::kMemBuffer) {
    Reg mem;
    mem.type = RegType::kMem;
    mem.size = in_.mem_size ? *in_.mem_size : kUnknownSize;
    f.regs[1] = mem;
    f.regs[2] = in_.mem_size ? Reg::scalar(Scalar::constant(*in_.mem_size)) : Reg::unknown();
  } else {
    Reg ctx;
    ctx.type = RegType::kCtx;
    f.regs[1] = ctx;
  }
  return s;
}

// ------------------------------------------------------------------------------------------
// Errors

bool Verifier::fail(uint32_t pc, const std::string& reason) {
  Diagnostic d = verify_error(insns_, pc, reason);
  bool seen = std::any_of(res_.diagnostics.begin(), res_.diagnostics.end(),
                          [&](const Diagnostic& e) { return e.insn == d.insn && e.message == d.message; });
  if (!seen) {
    if (opts_.log) res_.log += d.to_string() + "\n";
    res_.diagnostics.push_back(std::move(d));
    if (trials_.empty() && !first_error_at_) first_error_at_ = res_.stats.insns_processed;
  }
  if (res_.diagnostics.size() >= opts_.max_diagnostics) stop_all_ = true;
  return false;
}

bool Verifier::read_reg(uint32_t pc, uint8_t r) {
  if (cur_.reg(r).is_init()) return true;
  return fail(pc, fmt::format("{} is not initialized", rname(r)));
}

// ------------------------------------------------------------------------------------------
// Exploration

void Verifier::run() {
  auto t0 = std::chrono::steady_clock::now();
  start_ = t0;
  const size_t n = insns_.size();
  if (n == 0) {
    res_.diagnostics.push_back(make_error(ErrorCode::kVerify, "the program is empty"));
    return;
  }
  if (n > kMaxProgramSlots) {
    res_.diagnostics.push_back(make_error(
        ErrorCode::kVerify, fmt::format("program size: the program has {} slots, the limit is {}",
                                        n, kMaxProgramSlots)));
    return;
  }
  if (!resolve_lddw_refs()) return;
  std::vector<std::pair<uint32_t, uint32_t>> funcs;
  for (const auto& r : lddw_) {
    if (r && r->kind == LddwRefKind::kCode) funcs.emplace_back(r->slot, r->offset);
  }
  for (auto [slot, f] : funcs) {
    if (f >= n || insns_[f].op == Op::kLddwHigh) {
      res_.diagnostics.push_back(make_error(ErrorCode::kVerify, kNoInsn,
                                            fmt::format("unsupported: lddw code names slot {}, "
                                                        "not an instruction", f)));
      return;
    }
  }
  auto helper_reads = [this](uint32_t id) {
    const HelperProto* p = find_helper(id);
    if (!p) return 5;
    int last = 0;
    for (int i = 0; i < 5; ++i) {
      if (p->args[i] != ArgKind::kNone) last = i + 1;
    }
    return last;
  };
  auto helper_returns_ptr = [this](uint32_t id) {
    const HelperProto* p = find_helper(id);
    return !p || (p->ret != RetKind::kInteger && p->ret != RetKind::kVoid);
  };
  std::vector<Diagnostic> cfg_errors;
  cfg_ = build_cfg(insns_, funcs, helper_reads, helper_returns_ptr, in_.type.has_ret_range(),
                   cfg_errors);
  // Unreachable code does not stop exploration (its report comes after the paths'); the
  // structural errors do.
  std::vector<Diagnostic> unreachable;
  for (Diagnostic& d : cfg_errors) {
    if (d.message.find("unreachable instruction") != std::string::npos) {
      unreachable.push_back(std::move(d));
    } else {
      res_.diagnostics.push_back(std::move(d));
    }
  }
  if (!res_.diagnostics.empty()) return;

  stored_.assign(n, {});
  flags_.assign(n, 0xff);
  visited_.assign(n, 0);
  access_kind_.assign(n, 0);
  lookup_map_.assign(n, kLookupMapUnseen);
  subprog_depth_.assign(cfg_.subprogs.size(), 0);
  bodies_.assign(n, {});
  summary_failures_.assign(n, 0);
  pending_.push_back(initial_state());
  while (!pending_.empty() && !stop_all_) {
    cur_ = std::move(pending_.back());
    pending_.pop_back();
    if (opts_.log) res_.log += fmt::format("from path at {}:\n", cur_.pc);
    explore_path();
  }
  if (limit_error_) {
    if (opts_.log) res_.log += limit_error_->to_string() + "\n";
    res_.diagnostics.insert(res_.diagnostics.begin(), std::move(*limit_error_));
  }
  if (res_.diagnostics.empty()) check_stack_depth();
  for (Diagnostic& d : unreachable) res_.diagnostics.push_back(std::move(d));
  res_.stats.states_stored = checkpoints_.size();
  res_.accepted = res_.diagnostics.empty();
  if (res_.accepted) {
    res_.insn_flags.assign(n, 0);
    for (size_t pc = 0; pc < n; ++pc) {
      if (visited_[pc]) {
        res_.insn_flags[pc] =
            flags_[pc] & (kFlagMemSafe | kFlagDivisorNonZero | kFlagDivisorNotMinusOne);
      }
    }
    res_.lookup_maps.assign(n, -1);
    for (size_t pc = 0; pc < n; ++pc) {
      if (visited_[pc] && lookup_map_[pc] >= 0) res_.lookup_maps[pc] = lookup_map_[pc];
    }
  }
  res_.stats.time = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - t0);
  if (opts_.log) {
    res_.log += fmt::format(
        "processed {} insns (limit {}), {} states stored, {} pruned, peak {} pending, "
        "stack depth {}\n",
        res_.stats.insns_processed, opts_.complexity_limit, res_.stats.states_stored,
        res_.stats.states_pruned, res_.stats.peak_pending, res_.stats.max_stack_depth);
  }
}

void Verifier::note_memory() {
  size_t bytes = sizeof(State);
  for (const Frame& f : cur_.frames) bytes += sizeof(Frame) + f.stack.size() * sizeof(StackSlot);
  uint64_t total = (live_states_ + pending_.size() + 1) * bytes +
                   checkpoints_.size() * sizeof(Checkpoint);
  res_.stats.peak_memory_bytes = std::max(res_.stats.peak_memory_bytes, total);
  if (opts_.memory_limit != 0 && total > opts_.memory_limit) {
    fail_limit(cur_.pc, fmt::format("memory limit: the verifier's states need {} bytes, the "
                                    "limit is {} ({} instructions processed)",
                                    total, opts_.memory_limit, res_.stats.insns_processed));
  }
}

void Verifier::fail_limit(uint32_t pc, const std::string& reason) {
  if (!limit_error_) limit_error_ = verify_error(insns_, pc, reason);
  stop_all_ = true;
}

void Verifier::explore_path() {
  path_done_ = false;
  while (!stop_all_) {
    // The program is already refused: looking further for more errors is bounded, so that
    // a refusal never costs the whole complexity limit after its reason is known.
    if (first_error_at_ && trials_.empty() &&
        res_.stats.insns_processed - *first_error_at_ > kAfterFirstError) {
      stop_all_ = true;
      end_path();
      return;
    }
    if (++res_.stats.insns_processed > opts_.complexity_limit) {
      if (cur_.loop_forks >= kLoopForkThreshold) {
        fail(cur_.pc, fmt::format("infinite loop: no bound proven for the loop (still "
                                  "iterating after {} processed instructions)",
                                  opts_.complexity_limit));
      } else {
        fail(cur_.pc, fmt::format("complexity limit: more than {} instructions processed",
                                  opts_.complexity_limit));
      }
      stop_all_ = true;
      end_path();
      return;
    }
    if ((res_.stats.insns_processed & 1023) == 0 && opts_.time_limit.count() > 0 &&
        std::chrono::steady_clock::now() - start_ > opts_.time_limit) {
      fail_limit(cur_.pc, fmt::format("time limit: verification ran longer than {} ms ({} "
                                      "instructions processed)",
                                      opts_.time_limit.count(), res_.stats.insns_processed));
      end_path();
      return;
    }
    uint32_t pc = cur_.pc;
    if (!trials_.empty() && trial_path_ends(pc)) {
      end_path();
      return;
    }
    if (cfg_.prune_point[pc]) {
      if (cfg_.loop_head[pc] && try_summary(pc)) {
        if (opts_.log) res_.log += fmt::format("{}: loop summarised\n", pc);
        end_path();
        return;
      }
      Prune p = check_prune(pc);
      if (p == Prune::kCovered) {
        ++res_.stats.states_pruned;
        if (opts_.log) res_.log += fmt::format("{}: safe (covered by an explored state)\n", pc);
        end_path();
        return;
      }
      if (p == Prune::kLoop) {
        fail(cur_.prev_pc, "infinite loop: the loop comes back to this instruction in a state it was "
                 "already in");
        end_path();
        return;
      }
    }
    visited_[pc] = 1;
    if (opts_.log && res_.log.size() < kMaxLogBytes) {
      res_.log += fmt::format("{}: {:<28} ; {}\n", pc, insn_text(insns_, pc), describe_state(cur_));
      if (res_.log.size() >= kMaxLogBytes) res_.log += "... (log truncated)\n";
    }
    facts_ = 0;
    cur_.prev_pc = pc;
    const Insn& in = insns_[pc];
    Reg dst_before, src_before;
    if (!trials_.empty()) {
      if (in.dst < kNumRegs) dst_before = cur_.reg(in.dst);
      if (in.src < kNumRegs) src_before = cur_.reg(in.src);
    }
    bool ok = step();
    if (!ok) {
      end_path();
      return;
    }
    if (!trials_.empty()) track_tags(in, dst_before, src_before);
    flags_[pc] &= facts_;
    if (path_done_) {
      end_path();
      return;
    }
  }
}

Verifier::Prune Verifier::check_prune(uint32_t pc) {
  auto& list = stored_[pc];
  uint16_t live = cfg_.live_in[pc];
  for (Checkpoint* cp : list) {
    if (!state_covers(cp->state, cur_, live, cfg_.precise_in[pc])) continue;
    // Inside a loop summary the paths must also agree on how far each value has moved
    // since the loop head (the ranking is checked on the covering path only).
    if (!trials_.empty() && !same_loop_tags(cp->state, cur_, live)) continue;
    if (cp->branches == 0) return Prune::kCovered;
    // A state still being explored is an ancestor of this path: the loop came back to it.
    // Only when it came back to the very same state is it an infinite loop (as the kernel
    // decides); a state it merely covers may still make progress (a counter spilled to
    // the stack that a random start value leaves wide), and is explored on.
    if (state_covers(cur_, cp->state, live, cfg_.precise_in[pc])) {
      // A callback run again from its joined entry (finish_callback) meets the states of
      // its earlier runs on the same path: that is the fixpoint iteration, not a loop of
      // the program, and since those states are still being explored they prune nothing.
      // The run goes on to its exit, where the join decides whether another run is needed.
      const Frame& then = cp->state.frames.back();
      const Frame& now = cur_.frames.back();
      if (then.callback && now.callback && then.callback_round != now.callback_round) {
        continue;
      }
      return Prune::kLoop;
    }
  }
  if (list.size() >= kMaxStatesPerInsn) {
    // Make room by forgetting the oldest state (its node stays for the branch counts).
    // Recent states are the useful ones: the sibling paths of the current iteration.
    Checkpoint* old = list.front();
    old->stored = false;
    old->state = State{};
    --live_states_;
    list.erase(list.begin());
  }
  Checkpoint& cp = checkpoints_.emplace_back();
  cp.state = cur_;
  cp.parent = cur_.parent;
  cp.branches = 1;
  cur_.parent = &cp;
  list.push_back(&cp);
  ++live_states_;
  note_memory();
  return Prune::kNew;
}

void Verifier::fork(State&& other) {
  other.parent = cur_.parent;
  if (other.parent) ++other.parent->branches;
  pending_.push_back(std::move(other));
  res_.stats.peak_pending = std::max<uint64_t>(res_.stats.peak_pending, pending_.size());
  note_memory();
  if (pending_.size() > kMaxPending) {
    if (cur_.loop_forks >= kLoopForkThreshold) {
      fail(cur_.pc, fmt::format("infinite loop: no bound proven for the loop (more than {} "
                                "iterations pending)",
                                kMaxPending));
    } else {
      fail(cur_.pc, fmt::format("complexity limit: more than {} paths pending", kMaxPending));
    }
    stop_all_ = true;
  }
}

void Verifier::end_path() {
  Checkpoint* c = cur_.parent;
  while (c) {
    if (--c->branches > 0) break;
    c = c->parent;
  }
  cur_.parent = nullptr;
}

// ------------------------------------------------------------------------------------------
// Loop summaries

bool Verifier::body_summarisable(const std::vector<uint8_t>& body) const {
  // The body and every subprogram it calls (bpf-to-bpf calls are followed inside the
  // summary, in frames above the loop's) may not take callbacks or leave for code the
  // verifier cannot follow.
  std::vector<uint8_t> seen(cfg_.subprogs.size(), 0);
  std::vector<uint32_t> todo;
  auto plain = [&](uint32_t pc) {
    const Insn& in = insns_[pc];
    const Form f = form_of(in.op);
    if (f == Form::kCallBtf || f == Form::kCallx) return false;
    if (f == Form::kCallLocal) {
      uint32_t s = cfg_.subprog_index(in.target());
      if (s >= seen.size()) return false;
      if (!seen[s]) {
        seen[s] = 1;
        todo.push_back(s);
      }
      return true;
    }
    if (f != Form::kCall) return true;
    const HelperProto* p = find_helper(static_cast<uint32_t>(in.imm));
    if (!p) return false;
    for (ArgKind a : p->args) {
      if (a == ArgKind::kPtrToFunc) return false;
    }
    return true;
  };
  for (uint32_t pc = 0; pc < body.size(); ++pc) {
    if (body[pc] && !plain(pc)) return false;
  }
  while (!todo.empty()) {
    const Subprog& sp = cfg_.subprogs[todo.back()];
    todo.pop_back();
    for (uint32_t pc = sp.start; pc < sp.end; ++pc) {
      if (!plain(pc)) return false;
    }
  }
  return true;
}

bool Verifier::try_summary(uint32_t pc) {
  if (!trials_.empty() && trials_.back()->head == pc) return false;
  if (summary_failures_[pc] >= kMaxSummaryFailures || trials_.size() >= kMaxLoopNesting ||
      failed_summary_insns_ > opts_.complexity_limit) {
    return false;
  }
  if (bodies_[pc].empty()) bodies_[pc] = loop_body(cfg_, pc);
  const std::vector<uint8_t>& body = bodies_[pc];
  // The path's earlier visits to the head since it entered the loop; the latest two guide
  // the widening and show the values that move by a constant step.
  const State* prev = nullptr;
  const State* prev2 = nullptr;
  uint32_t visits = 0, walked = 0;
  for (Checkpoint* c = cur_.parent; c && walked < kMaxAncestorWalk; c = c->parent, ++walked) {
    if (!c->stored) continue;  // forgotten (its state is gone)
    // Inside a subprogram the body called (it returned before this visit).
    if (c->state.frames.size() > cur_.frames.size()) continue;
    if (c->state.frames.size() != cur_.frames.size() || !body[c->state.pc]) break;
    if (c->state.pc != pc) continue;
    if (!prev) {
      prev = &c->state;
    } else if (!prev2) {
      prev2 = &c->state;
    }
    // Tried once per entry into the loop, at its kSummaryVisits-th visit.
    if (++visits >= kSummaryVisits) return false;
  }
  if (!prev2 || visits + 1 != kSummaryVisits) return false;
  if (!body_summarisable(body)) {
    summary_failures_[pc] = kMaxSummaryFailures;
    return false;
  }
  // Widening stops at the constants the body compares with, and at the bounds of the
  // registers it compares when the last trip did not move them (a length, a limit).
  Thresholds th;
  th.add(0);
  uint16_t compared = 0;
  auto stable_bounds = [&](uint8_t r) {
    const Reg* c = loop_loc(cur_, r);
    const Reg* p = loop_loc(*prev, r);
    if (r >= kFramePointer || !c->is_scalar() || !p->is_scalar()) return;
    if (c->val.umin == p->val.umin) th.add(c->val.umin);
    if (c->val.umax == p->val.umax) th.add(c->val.umax);
  };
  for (uint32_t i = 0; i < body.size(); ++i) {
    if (!body[i]) continue;
    const Insn& in = insns_[i];
    const Form f = form_of(in.op);
    if (f == Form::kJmpImm) {
      compared |= static_cast<uint16_t>(1u << in.dst);
      th.add(sem::imm64_operand(in.imm));
      th.add(static_cast<uint32_t>(in.imm));
    } else if (f == Form::kJmpReg) {
      compared |= static_cast<uint16_t>(1u << in.dst | 1u << in.src);
      stable_bounds(in.src);
      stable_bounds(in.dst);
    }
  }
  th.finish();

  std::optional<State> inv = widen_state(*prev, cur_, th, WidenMode::kThresholds);
  if (!inv) {
    ++summary_failures_[pc];
    return false;
  }
  State entry = cur_;
  const uint64_t insns_before = res_.stats.insns_processed;
  LoopTrial t;
  t.head = pc;
  t.depth = cur_.frames.size();
  t.body = &body;
  t.compared = compared;
  // A known value (a scalar, or a pointer's offset) at `loc`.
  auto known = [](const State& s, LoopLoc loc, const Reg& like) -> std::optional<uint64_t> {
    const Reg* r = loop_loc(s, loc);
    if (!r || r->type != like.type || !r->val.is_const()) return std::nullopt;
    if (r->is_scalar()) return r->val.value();
    if ((r->type != RegType::kMem && r->type != RegType::kMapValue) || r->map != like.map ||
        r->size != like.size) {
      return std::nullopt;
    }
    return static_cast<uint64_t>(r->off) + r->val.value();
  };
  for (LoopLoc loc : loop_locs(cur_)) {
    const Reg* c = loop_loc(cur_, loc);
    if (!c) continue;
    auto v0 = known(*prev2, loc, *c), v1 = known(*prev, loc, *c), v2 = known(cur_, loc, *c);
    if (!v0 || !v1 || !v2) continue;
    auto d = static_cast<int64_t>(*v2 - *v1);
    if (d != 0 && d == static_cast<int64_t>(*v1 - *v0) && d > INT32_MIN && d < INT32_MAX) {
      t.steps.push_back({loc, d, *v2});
    }
  }
  bool proven = false;
  uint32_t widenings = 0, narrowings = 0;
  // The join (no widening) of the last invariant and the trip that left it: tried once
  // when the widened invariant fails, for a bound the widening stepped over (a counter
  // that comes back one past the threshold below its limit).
  std::optional<State> joined;
  bool join_tried = false;
  for (uint32_t round = 0; round < kMaxSummaryRounds && inv; ++round) {
    link_pointers(t, *inv);
    // The invariant must hold the state the path is in (every register and slot).
    if (!state_covers(*inv, entry, 0xffff, 0xffff)) {
      if (opts_.log) {
        res_.log += fmt::format("{}: loop summary: invariant {} does not hold the entry {}\n", pc,
                                describe_state(*inv), describe_state(entry));
      }
      break;
    }
    Round r = summary_round(t, *inv);
    if (opts_.log) {
      static const char* const kWhat[] = {"proven", "widen", "no ranking variable: narrow",
                                          "pointer and counter apart: relink", "failed"};
      res_.log += fmt::format("{}: loop summary round {}: {}\n", pc, round,
                              kWhat[static_cast<int>(r)]);
    }
    if (r == Round::kFailed) {
      if (!joined || join_tried) break;
      join_tried = true;
      inv = std::move(joined);
      joined.reset();
      continue;
    }
    if (r == Round::kProven) {
      proven = true;
      break;
    }
    if (r == Round::kRelink) continue;
    if (r == Round::kGrow) {
      ++widenings;
      if (!join_tried) joined = widen_state(*inv, *t.grow, th, WidenMode::kJoin);
      inv = widen_state(*inv, *t.grow, th,
                        widenings >= kThresholdRounds ? WidenMode::kExtreme
                                                      : WidenMode::kThresholds);
      continue;
    }
    // Every trip came back inside the invariant but it is too wide to bound the loop: the
    // entry and the trips' states are an invariant candidate inside it (narrowing).
    if (++narrowings > kMaxNarrowings) break;
    inv = widen_state(entry, *t.trips, th, WidenMode::kJoin);
  }
  cur_ = std::move(entry);
  if (!proven) {
    ++summary_failures_[pc];
    failed_summary_insns_ += res_.stats.insns_processed - insns_before;
    res_.stats.insns_processed = insns_before;
    return false;
  }
  // Go on from every exit. Inside an enclosing summary, a value keeps its relation to the
  // enclosing loop's head when it is this loop's head value plus a step and that location
  // held the same value on every trip.
  for (State& e : t.exits) {
    for (LoopLoc loc : loop_locs(e)) {
      Reg* r = loop_loc(e, loc);
      if (!r || r->ind == 0) continue;
      LoopLoc src = static_cast<LoopLoc>(r->ind - 1);
      const Reg* outer = loop_loc(cur_, src);
      if (outer && outer->is_scalar() && outer->ind != 0 && src < t.changed.size() &&
          !t.changed[src] && r->is_scalar()) {
        r->ind = outer->ind;
        r->ind_delta = static_cast<int64_t>(static_cast<uint64_t>(r->ind_delta) +
                                            static_cast<uint64_t>(outer->ind_delta));
        r->ind_w32 = r->ind_w32 || outer->ind_w32;
      } else {
        r->ind = 0;
        r->ind_delta = 0;
        r->ind_w32 = false;
      }
    }
    e.loop_forks = cur_.loop_forks;
    fork(std::move(e));
  }
  return true;
}

Verifier::Round Verifier::summary_round(LoopTrial& t, const State& inv) {
  State start = inv;
  for (LoopLoc loc : loop_locs(start)) {
    Reg* r = loop_loc(start, loc);
    if (!r) continue;
    const bool movable = r->is_scalar() || r->type == RegType::kMem ||
                         r->type == RegType::kMapValue;
    r->ind = movable ? static_cast<uint16_t>(loc + 1) : 0;
    r->ind_delta = 0;
    r->ind_w32 = false;
  }
  start.parent = nullptr;
  start.pc = t.head;
  t.inv = inv;
  t.exits.clear();
  t.rankings.clear();
  t.any_trip = false;
  t.start = true;
  t.restart = false;
  t.grow.reset();
  t.trips.reset();
  t.link_broken = false;
  t.changed.assign(kNumLoopLocs, 0);

  // The body is explored on its own: its own pending paths, stored states and errors.
  std::vector<State> outer_pending;
  std::vector<std::vector<Checkpoint*>> outer_stored(insns_.size());
  std::vector<Diagnostic> outer_diags;
  std::swap(pending_, outer_pending);
  std::swap(stored_, outer_stored);
  std::swap(res_.diagnostics, outer_diags);
  const uint64_t outer_live = live_states_;
  trials_.push_back(&t);
  pending_.push_back(std::move(start));
  while (!pending_.empty() && !stop_all_ && !t.restart && res_.diagnostics.empty()) {
    cur_ = std::move(pending_.back());
    pending_.pop_back();
    explore_path();
  }
  trials_.pop_back();
  const bool errors = !res_.diagnostics.empty() || stop_all_;
  std::swap(pending_, outer_pending);
  std::swap(stored_, outer_stored);
  std::swap(res_.diagnostics, outer_diags);
  live_states_ = outer_live;
  stop_all_ = limit_error_.has_value();
  if (errors) return Round::kFailed;
  if (t.link_broken) return Round::kRelink;
  if (t.restart) return t.grow ? Round::kGrow : Round::kFailed;
  // A linked pointer is bounded only when its counter is a ranking variable.
  for (const LoopTrial::Link& l : t.links) {
    Ranking need{l.a, RankOrder::kU64, static_cast<int8_t>(l.da > 0 ? 1 : -1)};
    if (t.any_trip && std::find(t.rankings.begin(), t.rankings.end(), need) == t.rankings.end()) {
      return Round::kFailed;
    }
  }
  if (t.any_trip && t.rankings.empty()) return Round::kNoRanking;
  return Round::kProven;
}

void Verifier::link_pointers(LoopTrial& t, State& inv) {
  t.links.clear();
  for (const LoopTrial::Step& sb : t.steps) {
    Reg* b = loop_loc(inv, sb.loc);
    if (!b || b->is_scalar()) continue;
    if (sb.loc < kLocSlot0 && !(cfg_.live_in[t.head] >> sb.loc & 1)) continue;
    // Counters the body compares first.
    std::vector<LoopTrial::Step> counters;
    for (int pass = 0; pass < 2; ++pass) {
      for (const LoopTrial::Step& sa : t.steps) {
        bool cmp = sa.loc < kLocSlot0 && (t.compared >> sa.loc & 1);
        if (cmp == (pass == 0)) counters.push_back(sa);
      }
    }
    for (const LoopTrial::Step& sa : counters) {
      const Reg* a = loop_loc(inv, sa.loc);
      if (sa.loc == sb.loc || !a || !a->is_scalar()) continue;
      if (std::find(t.broken.begin(), t.broken.end(), std::make_pair(sa.loc, sb.loc)) !=
          t.broken.end()) {
        continue;
      }
      // The number of trips the counter's range in the invariant allows.
      uint64_t span = 0;
      if (sa.step > 0) {
        if (a->val.umax == UINT64_MAX || a->val.umax < sa.entry) continue;
        span = a->val.umax - sa.entry;
      } else {
        if (a->val.umin > sa.entry) continue;
        span = sa.entry - a->val.umin;
      }
      uint64_t trips = span / static_cast<uint64_t>(sa.step > 0 ? sa.step : -sa.step);
      uint64_t db = static_cast<uint64_t>(sb.step > 0 ? sb.step : -sb.step);
      if (trips > (uint64_t{1} << 31) || trips * db > static_cast<uint64_t>(kMaxPtrOffset)) continue;
      // b = b0 + db * [0, trips]: the fixed part stays, the variable part moves.
      Scalar moved = Scalar::urange(0, trips * db);
      if (sb.step < 0) moved = scalar_neg(moved, 64);
      moved = scalar_alu(AluOp::kAdd, moved,
                         Scalar::constant(sb.entry - static_cast<uint64_t>(b->off)), 64);
      b->val = moved;
      t.links.push_back({sa.loc, sb.loc, sa.step, sb.step});
      break;
    }
  }
}

bool Verifier::trial_path_ends(uint32_t pc) {
  LoopTrial& t = *trials_.back();
  if (t.start) {
    t.start = false;
    return false;
  }
  // A subprogram called from the body is part of the trip.
  if (cur_.frames.size() > t.depth) return false;
  if (cur_.frames.size() != t.depth || !(*t.body)[pc]) {
    t.exits.push_back(cur_);
    return true;
  }
  if (pc != t.head) return false;
  // A trip around the loop: the invariant must hold again, and some value must have
  // moved towards the end of its range.
  const uint16_t live = cfg_.live_in[pc], precise = cfg_.precise_in[pc];
  // A linked pointer that moved by its step while its counter moved by its own is inside
  // the invariant when the counter is (see LoopTrial::Link).
  State linked;
  const State* trip = &cur_;
  if (!t.links.empty()) {
    linked = cur_;
    for (const LoopTrial::Link& l : t.links) {
      const Reg* a = loop_loc(cur_, l.a);
      Reg* b = loop_loc(linked, l.b);
      if (!a || !b || a->ind != l.a + 1 || a->ind_delta != l.da || a->ind_w32 ||
          b->ind != l.b + 1 || b->ind_delta != l.db || b->ind_w32) {
        t.broken.emplace_back(l.a, l.b);
        t.link_broken = true;
        t.restart = true;
        return true;
      }
      *b = *loop_loc(t.inv, l.b);
    }
    trip = &linked;
  }
  if (!state_covers(t.inv, *trip, live, precise)) {
    t.grow = cur_;
    t.restart = true;
    return true;
  }
  if (!t.trips) {
    t.trips = cur_;
  } else {
    t.trips = widen_state(*t.trips, cur_, Thresholds{}, WidenMode::kJoin);
    if (!t.trips) t.trips = t.inv;  // not reached: both are covered by t.inv
  }
  std::vector<Ranking> now = trip_rankings(t.inv, cur_);
  // A register's range at the head only counts when state_covers compared it.
  std::erase_if(now, [&](const Ranking& r) {
    return r.loc < kLocSlot0 && !((live & precise) >> r.loc & 1);
  });
  if (!t.any_trip) {
    t.rankings = std::move(now);
    t.any_trip = true;
  } else {
    std::erase_if(t.rankings, [&](const Ranking& r) {
      return std::find(now.begin(), now.end(), r) == now.end();
    });
  }
  for (LoopLoc loc = 0; loc < t.changed.size(); ++loc) {
    const Reg* r = loop_loc(cur_, loc);
    if (!r || r->ind != loc + 1 || r->ind_delta != 0 || r->ind_w32) t.changed[loc] = 1;
  }
  return true;
}

void Verifier::track_tags(const Insn& in, const Reg& dst_before, const Reg& src_before) {
  auto clear = [](Reg& r) {
    r.ind = 0;
    r.ind_delta = 0;
    r.ind_w32 = false;
  };
  switch (form_of(in.op)) {
    case Form::kAluImm:
    case Form::kAluReg: {
      Reg& d = cur_.reg(in.dst);
      const AluOp op = alu_op(in.op);
      const bool reg = form_of(in.op) == Form::kAluReg;
      const bool w32 = op_info(in.op).width == 32;
      std::optional<uint64_t> c;
      if (!reg) {
        c = sem::imm64_operand(in.imm);
      } else if (src_before.is_scalar() && src_before.val.is_const()) {
        c = src_before.val.value();
      }
      Reg tag;
      if (op == AluOp::kMov && reg) {
        tag = src_before;
      } else if ((op == AluOp::kAdd || op == AluOp::kSub) && c && dst_before.ind != 0) {
        tag = dst_before;
        uint64_t delta = static_cast<uint64_t>(tag.ind_delta);
        tag.ind_delta = static_cast<int64_t>(op == AluOp::kAdd ? delta + *c : delta - *c);
      }
      const bool movable = d.is_scalar() || d.type == RegType::kMem ||
                           d.type == RegType::kMapValue;
      if (!movable || tag.ind == 0) {
        clear(d);
        return;
      }
      d.ind = tag.ind;
      d.ind_delta = tag.ind_delta;
      d.ind_w32 = tag.ind_w32 || w32;
      return;
    }
    case Form::kLdx:
      // A whole spilled register comes back with its relation; anything else is new.
      if (access_size(in.op) == 8 && src_before.type == RegType::kStack) return;
      clear(cur_.reg(in.dst));
      return;
    case Form::kLdxSx:
    case Form::kLddw:
    case Form::kNeg:
    case Form::kMovSx:
    case Form::kEndian:
      clear(cur_.reg(in.dst));
      return;
    case Form::kCall:
    case Form::kLdAbs:
    case Form::kLdInd:
      for (uint8_t r = 0; r <= 5; ++r) clear(cur_.reg(r));
      return;
    case Form::kAtomic:
      clear(cur_.reg(0));
      clear(cur_.reg(in.src));
      for (Frame& f : cur_.frames) {
        for (StackSlot& s : f.stack) clear(s.spill);
      }
      return;
    case Form::kSt:
    case Form::kStx:
      // A store into a caller's stack (from a subprogram the body called) may carry a
      // tag relative to another loop's head: the caller's spills lose theirs.
      if (dst_before.type == RegType::kStack && dst_before.map + 1 < cur_.frames.size()) {
        for (StackSlot& s : cur_.frames[dst_before.map].stack) clear(s.spill);
      }
      return;
    case Form::kJa:
    case Form::kJa32:
    case Form::kJmpImm:
    case Form::kJmpReg:
    case Form::kCallLocal:
    case Form::kCallBtf:
    case Form::kCallx:
    case Form::kExit:
      return;
  }
}

bool Verifier::step() {
  const uint32_t pc = cur_.pc;
  const Insn& in = insns_[pc];
  // The decoder refuses writes to r10 unless asked to leave them to us (kernel objects,
  // where only reachable ones are refused).
  if (writes_register(in, kFramePointer)) {
    return fail(pc, fmt::format("frame pointer is read only: {} writes r10",
                                op_info(in.op).mnemonic));
  }
  switch (form_of(in.op)) {
    case Form::kAluImm:
    case Form::kAluReg:
    case Form::kNeg:
    case Form::kMovSx:
    case Form::kEndian:
      if (!do_alu(pc, in)) return false;
      cur_.pc = pc + 1;
      return true;
    case Form::kLddw:
      if (in.op == Op::kLddwHigh) return fail(pc, "unsupported: execution of an lddw's second slot");
      if (!do_lddw(pc, in)) return false;
      cur_.pc = pc + 2;
      return true;
    case Form::kLdx:
    case Form::kLdxSx:
      if (!do_load(pc, in)) return false;
      cur_.pc = pc + 1;
      return true;
    case Form::kSt:
    case Form::kStx:
      if (!do_store(pc, in)) return false;
      cur_.pc = pc + 1;
      return true;
    case Form::kAtomic:
      if (!do_atomic(pc, in)) return false;
      cur_.pc = pc + 1;
      return true;
    case Form::kLdAbs:
    case Form::kLdInd:
      if (!do_legacy_load(pc, in)) return false;
      cur_.pc = pc + 1;
      return true;
    case Form::kJa:
    case Form::kJa32:
      cur_.pc = in.target();
      return true;
    case Form::kJmpImm:
    case Form::kJmpReg:
      return do_branch(pc, in);
    case Form::kCall:
      return do_helper(pc, in);
    case Form::kCallLocal:
      return do_local_call(pc, in);
    case Form::kCallBtf:
      return fail(pc, "unsupported: kfunc calls (call runtime) are not available");
    case Form::kCallx:
      return fail(pc, "unsupported: callx is not allowed");
    case Form::kExit:
      return do_exit(pc);
  }
  return fail(pc, "unsupported instruction");
}

// ------------------------------------------------------------------------------------------
// ALU

bool Verifier::ptr_add(uint32_t pc, Reg& p, const Scalar& s, bool sub, uint8_t regno) {
  switch (p.type) {
    case RegType::kMapValueOrNull:
    case RegType::kMapPtrOrNull:
    case RegType::kRingbufMemOrNull:
      return fail(pc, fmt::format("possibly null: arithmetic on {} ({}) before a null check",
                                  rname(regno), reg_type_name(p.type)));
    case RegType::kMapPtr:
      if (!sub && s.is_const() && s.value() == 0) return true;  // map + 0, as the kernel allows
      [[fallthrough]];
    case RegType::kPacketEnd:
    case RegType::kFunc:
      return fail(pc, fmt::format("pointer arithmetic: on {} ({}) is not allowed", rname(regno),
                                  reg_type_name(p.type)));
    case RegType::kCtx:
      if (!s.is_const()) {
        return fail(pc, fmt::format("pointer arithmetic: variable offset added to ctx in {}",
                                    rname(regno)));
      }
      break;
    case RegType::kNotInit:
    case RegType::kScalar:
    case RegType::kStack:
    case RegType::kMapValue:
    case RegType::kPacket:
    case RegType::kPacketMeta:
    case RegType::kRingbufMem:
    case RegType::kMem:
      break;
  }
  if (s.is_const()) {
    auto c = static_cast<int64_t>(s.value());
    if (sub) c = static_cast<int64_t>(0 - s.value());
    int64_t off = 0;
    if (__builtin_add_overflow(p.off, c, &off) || off > kMaxPtrOffset || off < -kMaxPtrOffset) {
      return fail(pc, fmt::format("pointer arithmetic: offset {}{}{} of {} is out of range",
                                  p.off, sub ? "-" : "+", s.value(), rname(regno)));
    }
    p.off = off;
    return true;
  }
  // The kernel's sanity limits on variable offsets, checked on the offset and the result.
  auto sane = [&](const Scalar& v, const char* what) {
    if (v.smin == INT64_MIN) {
      return fail(pc, fmt::format("pointer arithmetic: {} of {} ({}) has no lower bound", what,
                                  rname(regno), reg_type_name(p.type)));
    }
    if (v.smin <= -kMaxPtrOffset || v.smin >= kMaxPtrOffset) {
      return fail(pc, fmt::format("pointer arithmetic: {} {} makes the {} in {} out of bounds",
                                  what, v.smin, reg_type_name(p.type), rname(regno)));
    }
    return true;
  };
  if (!sane(s, "the offset") || !sane(p.val, "the variable part")) return false;
  p.val = scalar_alu(sub ? AluOp::kSub : AluOp::kAdd, p.val, s, 64);
  if (!sane(p.val, "the resulting variable part")) return false;
  if (p.type == RegType::kPacket || p.type == RegType::kPacketMeta) {
    p.id = new_id();
    p.range = 0;
  }
  return true;
}

bool Verifier::do_alu(uint32_t pc, const Insn& in) {
  const OpInfo& info = op_info(in.op);
  const uint32_t width = info.width;
  Form f = info.form;
  Reg& d = cur_.reg(in.dst);
  if (f == Form::kNeg || f == Form::kEndian) {
    if (!read_reg(pc, in.dst)) return false;
    if (!d.is_scalar() && in_.platform.allow_ptr_leaks) {
      d = Reg::unknown();  // root may turn a pointer into a meaningless number
      return true;
    }
    if (!d.is_scalar()) {
      return fail(pc, fmt::format("pointer arithmetic: {} on {} ({})", info.mnemonic,
                                  rname(in.dst), reg_type_name(d.type)));
    }
    d.val = f == Form::kNeg ? scalar_neg(d.val, width)
                            : scalar_endian(endian_op(in.op), d.val, width);
    d.id = 0;
    return true;
  }
  if (f == Form::kMovSx) {
    if (!read_reg(pc, in.src)) return false;
    const Reg& s = cur_.reg(in.src);
    if (!s.is_scalar()) {
      return fail(pc, fmt::format("pointer arithmetic: {} of {} ({})", info.mnemonic,
                                  rname(in.src), reg_type_name(s.type)));
    }
    d = Reg::scalar(scalar_movsx(s.val, static_cast<uint32_t>(info.selval), width));
    return true;
  }
  const AluOp op = alu_op(in.op);
  Reg src;
  if (f == Form::kAluImm) {
    src = Reg::scalar(Scalar::constant(sem::imm64_operand(in.imm)));
  } else {
    if (!read_reg(pc, in.src)) return false;
    src = cur_.reg(in.src);
  }
  if (op == AluOp::kMov) {
    if (width == 32) {
      if (!src.is_scalar() && in_.platform.allow_ptr_leaks && src.is_init()) {
        d = Reg::scalar(scalar_truncate(Scalar::unknown(), 4));  // the pointer's low half
        return true;
      }
      if (!src.is_scalar()) {
        return fail(pc, fmt::format("pointer arithmetic: 32-bit mov of {} ({})", rname(in.src),
                                    reg_type_name(src.type)));
      }
      d = Reg::scalar(scalar_truncate(src.val, 4));
      if (f == Form::kAluReg && !src.val.is_const() && in.src != in.dst &&
          src.val.umax <= UINT32_MAX) {
        // The upper half is zero, so the copy is equal to the source: link them.
        if (src.id == 0) cur_.reg(in.src).id = new_id();
        d.id = cur_.reg(in.src).id;
        d.link_off = cur_.reg(in.src).link_off;
      }
      return true;
    }
    if (f == Form::kAluReg && src.is_scalar() && !src.val.is_const() && in.src != in.dst) {
      // Link the copies so that a branch on one narrows both.
      if (src.id == 0) {
        src.id = new_id();
        cur_.reg(in.src).id = src.id;
      }
    }
    d = src;
    return true;
  }
  if (!read_reg(pc, in.dst)) return false;
  if (d.is_scalar() && src.is_scalar()) {
    if (op == AluOp::kDiv || op == AluOp::kMod || op == AluOp::kSDiv || op == AluOp::kSMod) {
      bool nonzero = width == 64 ? src.val.umin >= 1 : src.val.u32min >= 1;
      bool not_minus_one = width == 64 ? scalar_branch(JmpCond::kEq, src.val,
                                                       Scalar::constant(UINT64_MAX), 64) == 0
                                       : scalar_branch(JmpCond::kEq, src.val,
                                                       Scalar::constant(UINT32_MAX), 32) == 0;
      if (nonzero) facts_ |= kFlagDivisorNonZero;
      if (not_minus_one) facts_ |= kFlagDivisorNotMinusOne;
    }
    // Adding a constant keeps a 64-bit copy linked, with the constant in its link_off.
    int64_t moved = 0;
    const bool keep_link =
        d.id != 0 && width == 64 && (op == AluOp::kAdd || op == AluOp::kSub) &&
        src.val.is_const() && (f == Form::kAluImm || in.src != in.dst) &&
        static_cast<int64_t>(src.val.value()) > -(int64_t{1} << 31) &&
        static_cast<int64_t>(src.val.value()) < (int64_t{1} << 31) &&
        !__builtin_add_overflow(d.link_off,
                                op == AluOp::kAdd ? static_cast<int64_t>(src.val.value())
                                                  : -static_cast<int64_t>(src.val.value()),
                                &moved);
    d.val = scalar_alu(op, d.val, src.val, width);
    if (keep_link && !d.val.is_const()) {
      d.link_off = moved;
    } else {
      d.id = 0;
    }
    return true;
  }
  bool dp = is_pointer(d.type), sp = is_pointer(src.type);
  if (width == 32 && op == AluOp::kSub && dp && sp) {
    // (u32)(data_end - data): a distance, as the kernel allows.
    bool pk = (d.type == RegType::kPacket || d.type == RegType::kPacketEnd) &&
              (src.type == RegType::kPacket || src.type == RegType::kPacketEnd);
    if (pk || (d.type == src.type && d.map == src.map)) {
      d = Reg::scalar(Scalar::urange(0, UINT32_MAX));
      return true;
    }
  }
  if (width == 32 && op == AluOp::kSub && in_.platform.allow_ptr_leaks) {
    d = Reg::scalar(scalar_truncate(Scalar::unknown(), 4));  // a meaningless 32-bit value
    return true;
  }
  if (width == 32) {
    return fail(pc, fmt::format("pointer arithmetic: 32-bit {} on {} ({}) and {}",
                                info.mnemonic, rname(in.dst), reg_type_name(d.type),
                                reg_type_name(src.type)));
  }
  if (dp && !sp) {
    if (op != AluOp::kAdd && op != AluOp::kSub) {
      return fail(pc, fmt::format("pointer arithmetic: {} on {} ({})", info.mnemonic,
                                  rname(in.dst), reg_type_name(d.type)));
    }
    if (op == AluOp::kSub && d.type == RegType::kStack && in_.platform.kernel_rules) {
      return fail(pc, fmt::format("pointer arithmetic: subtraction from the stack pointer {} "
                                  "is not allowed (add a negative offset instead)",
                                  rname(in.dst)));
    }
    return ptr_add(pc, d, src.val, op == AluOp::kSub, in.dst);
  }
  if (!dp && sp) {
    if (op != AluOp::kAdd) {
      return fail(pc, fmt::format("pointer arithmetic: {} of a scalar and {} ({})",
                                  info.mnemonic, rname(in.src), reg_type_name(src.type)));
    }
    Reg p = src;
    Scalar s = d.val;
    if (!ptr_add(pc, p, s, false, in.src)) return false;
    d = p;
    return true;
  }
  // pointer op pointer: only the distance between two pointers into the same region.
  bool same = d.type == src.type && d.map == src.map;
  bool packets = (d.type == RegType::kPacket || d.type == RegType::kPacketEnd ||
                  d.type == RegType::kPacketMeta) &&
                 (src.type == RegType::kPacket || src.type == RegType::kPacketEnd ||
                  src.type == RegType::kPacketMeta);
  if (op == AluOp::kSub && (same || packets) && d.type != RegType::kMapValueOrNull &&
      d.type != RegType::kRingbufMemOrNull && d.type != RegType::kMapPtr) {
    if (same && d.val.is_const() && src.val.is_const() && d.type != RegType::kPacketEnd) {
      d = Reg::scalar(Scalar::constant(static_cast<uint64_t>(d.off - src.off)));
    } else {
      d = Reg::unknown();
    }
    return true;
  }
  if (op == AluOp::kSub && in_.platform.allow_ptr_leaks) {
    d = Reg::unknown();  // root may subtract any two pointers: a meaningless number
    return true;
  }
  return fail(pc, fmt::format("pointer arithmetic: {} of {} ({}) and {} ({})", info.mnemonic,
                              rname(in.dst), reg_type_name(d.type), rname(in.src),
                              reg_type_name(src.type)));
}

bool Verifier::do_lddw(uint32_t pc, const Insn& in) {
  Reg& d = cur_.reg(in.dst);
  const auto& ref = lddw_[pc];
  if (!ref) {
    if (in.op == Op::kLddwVariable) {
      return fail(pc, "unsupported: lddw of a variable (src 3) is not available");
    }
    d = Reg::scalar(Scalar::constant(in.imm64));
    return true;
  }
  if (ref->kind == LddwRefKind::kCode) {
    d = Reg{};
    d.type = RegType::kFunc;
    d.size = ref->offset;
    return true;
  }
  if (ref->map >= in_.maps.size()) {
    return fail(pc, fmt::format("invalid map: lddw references map {}, the program has {} maps",
                                ref->map, in_.maps.size()));
  }
  const MapInfo& m = in_.maps[ref->map];
  if (!in_.platform.map_type_allowed(m.type)) {
    return fail(pc, fmt::format("invalid map: map {} has type {} ({}), not available on the "
                                "{} platform",
                                ref->map, m.type, map_type_name(m.type), in_.platform.name));
  }
  if (m.spin_lock_off >= 0 && in_.platform.kernel_rules && in_.type.kernel_type < 64 &&
      (kernel::kNoSpinLockTypes >> in_.type.kernel_type & 1)) {
    return fail(pc, fmt::format("invalid map: map {} holds a bpf_spin_lock, which {} programs "
                                "cannot use ({} progs cannot use bpf_spin_lock yet)",
                                ref->map, in_.type.name,
                                in_.type.kernel_type == static_cast<uint32_t>(kernel::ProgTypeId::kSocketFilter)
                                    ? "socket filter"
                                    : "tracing"));
  }
  d = Reg{};
  d.map = ref->map;
  if (ref->kind == LddwRefKind::kMap) {
    d.type = RegType::kMapPtr;
    return true;
  }
  if (ref->offset >= m.value_size && !(ref->offset == 0 && m.value_size == 0)) {
    return fail(pc, fmt::format("invalid map: value offset {} is outside map {}'s {}-byte value",
                                ref->offset, ref->map, m.value_size));
  }
  d.type = RegType::kMapValue;
  d.off = ref->offset;
  return true;
}

// ------------------------------------------------------------------------------------------
// Memory

bool Verifier::check_mem(uint32_t pc, uint8_t regno, const Reg& p, int64_t insn_off,
                         uint64_t size, Access kind, const Reg* value, Reg* out,
                         const char* uninit_phrase) {
  const bool write = is_write(kind);
  if (value && is_pointer(value->type) && p.type != RegType::kStack &&
      !in_.platform.allow_ptr_leaks) {
    return fail(pc, fmt::format("pointer leak: storing a {} into {} memory through {}",
                                reg_type_name(value->type), reg_type_name(p.type),
                                rname(regno)));
  }
  // Offsets: fixed part + instruction offset + variable part.
  const Scalar& v = p.val;
  bool bounded = v.smin >= -kMaxPtrOffset && v.smax <= kMaxPtrOffset;
  int64_t lo = p.off + insn_off + (bounded ? v.smin : 0);
  int64_t hi = p.off + insn_off + (bounded ? v.smax : 0) + static_cast<int64_t>(size);
  auto range_text = [&]() {
    if (v.is_const()) return fmt::format("[{}, {})", lo, hi);
    return fmt::format("[{}, {}) (variable offset {})", lo, hi, v.to_string());
  };
  switch (p.type) {
    case RegType::kNotInit:
      return fail(pc, fmt::format("{} is not initialized", rname(regno)));
    case RegType::kScalar:
    case RegType::kPacketEnd:
    case RegType::kMapPtr:
    case RegType::kFunc:
      return fail(pc, fmt::format("invalid memory access: {} is a {}, not a pointer to memory",
                                  rname(regno), reg_type_name(p.type)));
    case RegType::kMapValueOrNull:
    case RegType::kMapPtrOrNull:
    case RegType::kRingbufMemOrNull:
      return fail(pc, fmt::format("possibly null: {} is a {}; compare it with 0 first",
                                  rname(regno), reg_type_name(p.type)));
    case RegType::kStack:
      return stack_access(pc, regno, p, lo, hi, size, kind, value, out,
                          uninit_phrase ? uninit_phrase : "uninitialized stack");
    case RegType::kCtx:
      return ctx_access(pc, regno, p, insn_off, size, kind, value, out);
    case RegType::kMapValue: {
      const MapInfo& m = in_.maps[p.map];
      if (!bounded || lo < 0 || hi > static_cast<int64_t>(m.value_size)) {
        return fail(pc, fmt::format("{}: {} bytes at {} of map {}'s "
                                    "{}-byte value",
                                    oob("map value access out of bounds"), size, range_text(), p.map, m.value_size));
      }
      if (m.spin_lock_off >= 0 && lo < m.spin_lock_off + 4 && m.spin_lock_off < hi) {
        return fail(pc, fmt::format("invalid memory access: {} bytes at {} of map {}'s value "
                                    "touch its bpf_spin_lock at offset {} (bpf_spin_lock cannot "
                                    "be accessed directly by load/store)",
                                    size, range_text(), p.map, m.spin_lock_off));
      }
      if (write && m.read_only) {
        return fail(pc, fmt::format("read-only memory: map {} is read-only", p.map));
      }
      if (kind != Access::kWrite && kind != Access::kHelperWrite && m.write_only) {
        return fail(pc, fmt::format("write-only memory: map {} may not be read by programs "
                                    "(BPF_F_WRONLY_PROG)",
                                    p.map));
      }
      break;
    }
    case RegType::kPacket:
    case RegType::kPacketMeta: {
      if (write && !in_.platform.packet_writable(in_.type)) {
        return fail(pc, fmt::format("read-only memory: {} programs may not write the packet",
                                    in_.type.name));
      }
      // The range is proven from the pointer's own position (its variable offset
      // included) onwards: bytes below it are proven only when the pointer itself is, and
      // a range of 0 does not say that (it is also what an unchecked pointer has). As the
      // kernel, the fixed offset must not reach below the pointer: data + 5 (unchecked)
      // minus 1 may lie past the packet's end.
      const int64_t fixed = p.off + insn_off;
      int64_t need = fixed + static_cast<int64_t>(size);
      if (bounded && lo >= 0 && fixed < 0) {
        return fail(pc, fmt::format("{}: the access starts {} bytes below {}, whose own "
                                    "position is not proven inside the packet (range [0, {}])",
                                    oob("packet access out of bounds"), -fixed, rname(regno),
                                    p.range));
      }
      if (!bounded || v.umax > kMaxPacketVarOffset || lo < 0 || need > p.range) {
        return fail(pc, fmt::format("{}: {} range [0, {}], access "
                                    "needs {}{}",
                                    oob("packet access out of bounds"), rname(regno), p.range, need,
                                    v.is_const() ? "" : " beyond the variable offset " +
                                                            v.to_string()));
      }
      if (kind == Access::kAtomic) {
        return fail(pc, "invalid memory access: atomic operation on packet memory");
      }
      break;
    }
    case RegType::kRingbufMem:
    case RegType::kMem: {
      if (p.size == kUnknownSize) {
        return fail(pc, fmt::format("{}: the size of {}'s buffer is not "
                                    "known (give mem_size)",
                                    oob("memory access out of bounds"), rname(regno)));
      }
      if (!bounded || lo < 0 || hi > static_cast<int64_t>(p.size)) {
        return fail(pc, fmt::format("{}: {} bytes at {} of a {}-byte {}",
                                    oob("memory access out of bounds"), size, range_text(), p.size, reg_type_name(p.type)));
      }
      break;
    }
  }
  if (out) *out = Reg::scalar(scalar_load(static_cast<uint32_t>(std::min<uint64_t>(size, 8)), false));
  facts_ |= kFlagMemSafe;
  return true;
}

bool Verifier::stack_access(uint32_t pc, uint8_t regno, const Reg& p, int64_t lo, int64_t hi,
                            uint64_t size, Access kind, const Reg* value, Reg* out,
                            const char* uninit_phrase) {
  bool bounded = p.val.smin >= -kMaxPtrOffset && p.val.smax <= kMaxPtrOffset;
  if (!bounded || lo < -static_cast<int64_t>(kStackFrameSize) || hi > 0) {
    return fail(pc, fmt::format("{}: {} bytes at fp{}{} (the frame is "
                                "[-512, 0))",
                                oob("stack access out of bounds"), size, lo, p.val.is_const() ? "" : " with a variable offset"));
  }
  if (size == 0) return true;
  Frame& fr = cur_.frames[p.map];
  uint32_t& depth = subprog_depth_[fr.subprog];
  depth = std::max<uint32_t>(depth, static_cast<uint32_t>(-lo));
  auto slot_of = [](int64_t x) { return static_cast<uint32_t>((-x - 1) / 8); };
  auto byte_of = [](int64_t x) { return static_cast<uint32_t>(((x % 8) + 8) % 8); };
  const bool fixed = p.val.is_const();
  const bool write = is_write(kind);
  // Whole aligned slots: spills and fills keep the register.
  if (fixed && size == 8 && ((lo % 8) + 8) % 8 == 0) {
    StackSlot& s = fr.slot(slot_of(lo));
    if (kind == Access::kWrite && value) {
      s.bytes.fill(ByteState::kSpill);
      s.spill = *value;
      facts_ |= kFlagMemSafe;
      return true;
    }
    if (kind == Access::kRead && s.is_spill()) {
      if (out) *out = s.spill;
      facts_ |= kFlagMemSafe;
      return true;
    }
  }
  if (write && value && is_pointer(value->type) && !in_.platform.allow_ptr_leaks) {
    return fail(pc, fmt::format("pointer leak: a {}-byte store of a {} to the stack keeps "
                                "only part of it",
                                size, reg_type_name(value->type)));
  }
  // Reads need every byte written; a spilled pointer may only be read whole.
  bool all_known = true;  // every byte read is a known constant
  uint64_t known = 0;
  if (!write || kind == Access::kAtomic) {
    for (int64_t x = lo; x < hi; ++x) {
      uint32_t si = slot_of(x);
      ByteState b = si < fr.stack.size() ? fr.stack[si].bytes[byte_of(x)] : ByteState::kInvalid;
      if (b == ByteState::kInvalid && in_.platform.allow_uninit_stack) {
        all_known = false;
        continue;
      }
      if (b == ByteState::kInvalid) {
        return fail(pc, fmt::format("{}: {} bytes at fp{}{} read, fp{} never written",
                                    uninit_phrase, size, lo,
                                    fixed ? "" : " (variable offset)", x));
      }
      uint8_t byte = 0;
      if (b == ByteState::kSpill) {
        const Reg& sp = fr.stack[si].spill;
        if (!sp.is_scalar()) {
          if (kind == Access::kHelperRead && in_.platform.allow_ptr_leaks) {
            all_known = false;  // root may hand a spilled pointer's bytes to a helper
            continue;
          }
          if (kind == Access::kHelperRead) {
            return fail(pc, fmt::format("pointer leak: a helper would read the {} spilled at "
                                        "fp{}",
                                        reg_type_name(sp.type), -8 * static_cast<int64_t>(si + 1)));
          }
          return fail(pc, fmt::format("invalid memory access: partial access to the {} spilled "
                                      "at fp{}",
                                      reg_type_name(sp.type), -8 * static_cast<int64_t>(si + 1)));
        }
        if (sp.val.is_const()) byte = static_cast<uint8_t>(sp.val.value() >> (8 * byte_of(x)));
        else all_known = false;
      } else if (b == ByteState::kConst) {
        byte = fr.stack[si].vals[byte_of(x)];
      } else {
        all_known = false;
      }
      if (x - lo < 8) known |= static_cast<uint64_t>(byte) << (8 * (x - lo));
    }
  }
  if (write) {
    const bool is_const = value && value->is_scalar() && value->val.is_const();
    for (int64_t x = lo; x < hi; ++x) {
      StackSlot& s = fr.slot(slot_of(x));
      if (s.is_spill()) {
        // A partial overwrite kills the spilled register: the other bytes become data.
        bool c = s.spill.is_scalar() && s.spill.val.is_const();
        for (uint32_t k = 0; k < 8; ++k) {
          s.bytes[k] = c ? ByteState::kConst : ByteState::kMisc;
          s.vals[k] = c ? static_cast<uint8_t>(s.spill.val.value() >> (8 * k)) : 0;
        }
        s.spill = Reg{};
      }
      ByteState& b = s.bytes[byte_of(x)];
      if (!fixed) {
        if (b == ByteState::kConst) b = ByteState::kMisc;  // may or may not be written
        continue;
      }
      if (is_const && kind == Access::kWrite) {
        b = ByteState::kConst;
        s.vals[byte_of(x)] = static_cast<uint8_t>(value->val.value() >> (8 * (x - lo)));
      } else {
        b = ByteState::kMisc;
      }
    }
  }
  if (out) {
    if (all_known && !write && fixed) {
      *out = Reg::scalar(Scalar::constant(known));
    } else {
      *out = Reg::scalar(scalar_load(static_cast<uint32_t>(std::min<uint64_t>(size, 8)), false));
    }
  }
  facts_ |= kFlagMemSafe;
  return true;
}

bool Verifier::ctx_access(uint32_t pc, uint8_t regno, const Reg& p, int64_t insn_off,
                          uint64_t size, Access kind, const Reg* value, Reg* out) {
  const ProgramType& t = in_.type;
  if (!p.val.is_const()) {
    return fail(pc, fmt::format("invalid ctx access: {} has a variable offset", rname(regno)));
  }
  if (kind == Access::kHelperRead || kind == Access::kHelperWrite) {
    return fail(pc, "invalid helper argument: ctx memory cannot be passed to helpers");
  }
  int64_t o = p.off + insn_off;
  if (o < 0 || o + static_cast<int64_t>(size) > static_cast<int64_t>(t.ctx_size)) {
    return fail(pc, fmt::format("{}: {} bytes at offset {}, the {} "
                                "context is {} bytes",
                                oob("ctx access out of bounds"), size, o, t.name, t.ctx_size));
  }
  const CtxField* field = nullptr;
  for (const CtxField& f : t.fields) {
    if (static_cast<int64_t>(f.offset) <= o &&
        o + static_cast<int64_t>(size) <= static_cast<int64_t>(f.offset + f.size)) {
      field = &f;
      break;
    }
  }
  // An array such as __sk_buff.cb[] takes accesses of any width aligned to it, across its
  // elements (an 8-byte store over cb[0] and cb[1]).
  if (!field) {
    for (size_t i = 0; i < t.fields.size() && !field; ++i) {
      const CtxField& f = t.fields[i];
      if (!f.any_width || o < f.offset || o >= f.offset + f.size) continue;
      int64_t end = f.offset + f.size;
      for (size_t j = i + 1; j < t.fields.size() && t.fields[j].any_width &&
                             t.fields[j].offset == end;
           ++j) {
        end += t.fields[j].size;
      }
      if (o + static_cast<int64_t>(size) <= end) field = &f;
    }
  }
  if (!field) {
    return fail(pc, fmt::format("invalid ctx access: no {} field holds {} bytes at offset {}",
                                t.name, size, o));
  }
  if (field->any_width && o % static_cast<int64_t>(size) != 0) {
    return fail(pc, fmt::format("invalid ctx access: {} bytes at offset {} of {} are not "
                                "aligned to their size",
                                size, o, field->name));
  }
  if (kind == Access::kAtomic) {
    return fail(pc, fmt::format("invalid ctx access: atomic operation on {}", field->name));
  }
  if (is_write(kind)) {
    if (!field->writable) {
      return fail(pc, fmt::format("invalid ctx access: {} is read-only", field->name));
    }
    if (value && is_pointer(value->type) && !in_.platform.allow_ptr_leaks) {
      return fail(pc, fmt::format("pointer leak: storing a {} into ctx field {}",
                                  reg_type_name(value->type), field->name));
    }
    if (size != field->size && !field->any_width) {
      return fail(pc, fmt::format("invalid ctx access: {}-byte store to the {}-byte field {}",
                                  size, field->size, field->name));
    }
    facts_ |= kFlagMemSafe;
    return true;
  }
  if (!field->readable) {
    return fail(pc, fmt::format("invalid ctx access: {} is not readable", field->name));
  }
  if (field->kind != CtxFieldKind::kScalar) {
    if (o != field->offset || size != field->size) {
      return fail(pc, fmt::format("invalid ctx access: {} must be loaded whole ({} bytes at {})",
                                  field->name, field->size, field->offset));
    }
    if (out) {
      Reg r;
      switch (field->kind) {
        case CtxFieldKind::kPacketStart: r.type = RegType::kPacket; break;
        case CtxFieldKind::kPacketEnd: r.type = RegType::kPacketEnd; break;
        case CtxFieldKind::kPacketMeta: r.type = RegType::kPacketMeta; break;
        case CtxFieldKind::kScalar: r.type = RegType::kScalar; break;
        case CtxFieldKind::kSocket:
        case CtxFieldKind::kSocketOrNull:
        case CtxFieldKind::kSockCommonOrNull:
        case CtxFieldKind::kFlowKeys:
          return fail(pc, fmt::format("unsupported: the ctx field {} holds a kernel object "
                                      "pointer (socket, flow keys), which bpfjit does not model",
                                      field->name));
      }
      *out = r;
    }
    facts_ |= kFlagMemSafe;
    return true;
  }
  if (size != field->size && !t.narrow_loads && !field->any_width) {
    return fail(pc, fmt::format("invalid ctx access: {}-byte load of the {}-byte field {}", size,
                                field->size, field->name));
  }
  if (out) *out = Reg::scalar(scalar_load(static_cast<uint32_t>(size), false));
  facts_ |= kFlagMemSafe;
  return true;
}

bool Verifier::same_access_kind(uint32_t pc, const Reg& p) {
  // A context access is rewritten once per instruction (by the kernel, and by the loader
  // for the runtime's shadow context), so one instruction cannot reach the context on one
  // path and other memory on another.
  const uint8_t kind = p.type == RegType::kCtx ? 1 : 2;
  if (access_kind_[pc] == 0) access_kind_[pc] = kind;
  if (access_kind_[pc] == kind) return true;
  return fail(pc, "invalid memory access: this instruction reaches the context on one path "
                  "and other memory on another");
}

bool Verifier::do_load(uint32_t pc, const Insn& in) {
  if (!read_reg(pc, in.src)) return false;
  Reg p = cur_.reg(in.src);
  uint32_t size = access_size(in.op);
  Reg out;
  if (!same_access_kind(pc, p)) return false;
  if (!check_mem(pc, in.src, p, in.off, size, Access::kRead, nullptr, &out, nullptr)) return false;
  if (form_of(in.op) == Form::kLdxSx) {
    if (!out.is_scalar()) {
      return fail(pc, "invalid memory access: sign-extending load of a spilled pointer");
    }
    out = Reg::scalar(scalar_movsx(out.val, size * 8, 64));
  } else if (out.is_scalar() && size < 8) {
    out.val = scalar_truncate(out.val, size);
    out.id = 0;
  }
  cur_.reg(in.dst) = out;
  return true;
}

bool Verifier::do_store(uint32_t pc, const Insn& in) {
  if (!read_reg(pc, in.dst)) return false;
  uint32_t size = access_size(in.op);
  Reg value;
  if (form_of(in.op) == Form::kSt) {
    value = Reg::scalar(scalar_truncate(Scalar::constant(sem::imm64_operand(in.imm)), size));
    if (size == 8) value = Reg::scalar(Scalar::constant(sem::imm64_operand(in.imm)));
  } else {
    if (!read_reg(pc, in.src)) return false;
    Reg& src = cur_.reg(in.src);
    // A spilled scalar stays linked to its register: a branch that narrows one narrows
    // the other (a loop counter kept on the stack and compared in a register).
    if (size == 8 && src.is_scalar() && !src.val.is_const() && src.id == 0 &&
        cur_.reg(in.dst).type == RegType::kStack) {
      src.id = new_id();
    }
    value = src;
    if (value.is_scalar() && size < 8) {
      value.val = scalar_truncate(value.val, size);
      value.id = 0;
    }
  }
  Reg p = cur_.reg(in.dst);
  if (!same_access_kind(pc, p)) return false;
  return check_mem(pc, in.dst, p, in.off, size, Access::kWrite, &value, nullptr, nullptr);
}

bool Verifier::do_atomic(uint32_t pc, const Insn& in) {
  if (!read_reg(pc, in.dst) || !read_reg(pc, in.src)) return false;
  uint32_t size = access_size(in.op);
  Reg value = cur_.reg(in.src);
  if (!value.is_scalar() && !in_.platform.allow_ptr_leaks) {
    return fail(pc, fmt::format("pointer leak: atomic operation with {} ({})", rname(in.src),
                                reg_type_name(value.type)));
  }
  AtomicOp op = atomic_op(in.op);
  if (op == AtomicOp::kCmpXchg) {
    if (!read_reg(pc, 0)) return false;
    if (!cur_.reg(0).is_scalar()) {
      return fail(pc, "pointer leak: cmpxchg compares with a pointer in r0");
    }
  }
  Reg p = cur_.reg(in.dst);
  Reg v = Reg::unknown();
  if (!check_mem(pc, in.dst, p, in.off, size, Access::kAtomic, &v, nullptr, nullptr)) return false;
  // Atomic operations need naturally aligned addresses (regions start 8-byte aligned):
  // the fixed offset and every possible variable offset a multiple of the size.
  const int64_t fixed = p.off + in.off;
  const uint64_t var_low_bits = p.val.var.mask | p.val.var.value;
  if (fixed % static_cast<int64_t>(size) != 0 || (var_low_bits & (size - 1)) != 0) {
    return fail(pc, fmt::format("misaligned access: {}-byte atomic operation at offset {}{} of "
                                "{}",
                                size, fixed, p.val.is_const() ? "" : " + " + p.val.to_string(),
                                reg_type_name(p.type)));
  }
  Reg old = Reg::scalar(scalar_load(size, false));
  if (op == AtomicOp::kCmpXchg) {
    cur_.reg(0) = old;
  } else if (writes_register(in, in.src)) {
    cur_.reg(in.src) = old;
  }
  return true;
}

bool Verifier::do_legacy_load(uint32_t pc, const Insn& in) {
  if (!in_.type.packet_loads) {
    return fail(pc, fmt::format("unsupported: legacy packet loads are not allowed for {} "
                                "programs",
                                in_.type.name));
  }
  if (cur_.lock.held) {
    return fail(pc, fmt::format("lock held: a legacy packet load while the bpf_spin_lock taken "
                                "at insn {} is held (BPF_LD_[ABS|IND] cannot be used inside "
                                "bpf_spin_lock-ed region)",
                                cur_.lock.insn));
  }
  if (!read_reg(pc, 6)) return false;
  if (cur_.reg(6).type != RegType::kCtx) {
    return fail(pc, "invalid memory access: legacy packet loads need the context in r6");
  }
  if (form_of(in.op) == Form::kLdInd) {
    if (!read_reg(pc, in.src)) return false;
    if (!cur_.reg(in.src).is_scalar()) {
      return fail(pc, fmt::format("pointer arithmetic: {} used as a packet offset",
                                  reg_type_name(cur_.reg(in.src).type)));
    }
  }
  for (uint8_t r = 1; r <= 5; ++r) cur_.reg(r) = Reg{};
  cur_.reg(0) = Reg::scalar(scalar_load(access_size(in.op), false));
  return true;
}

// ------------------------------------------------------------------------------------------
// Branches

void Verifier::mark_null(State& s, uint32_t id, bool is_null) {
  s.for_each_reg([&](Reg& r) {
    if (r.id != id) return;
    if (r.type == RegType::kMapValueOrNull) {
      if (is_null) r = Reg::scalar(Scalar::constant(0));
      else r.type = RegType::kMapValue;
    } else if (r.type == RegType::kRingbufMemOrNull) {
      if (is_null) r = Reg::scalar(Scalar::constant(0));
      else r.type = RegType::kRingbufMem;
    } else if (r.type == RegType::kMapPtrOrNull) {
      if (is_null) r = Reg::scalar(Scalar::constant(0));
      else r.type = RegType::kMapPtr;
    }
  });
  if (is_null) {
    // A failed reservation holds nothing to release.
    s.refs.erase(std::remove_if(s.refs.begin(), s.refs.end(),
                                [&](const RefEntry& e) { return e.id == id; }),
                 s.refs.end());
  }
}

void Verifier::learn_packet_range(State& s, const Reg& pkt) {
  if (pkt.off < 0) return;
  s.for_each_reg([&](Reg& r) {
    if (r.type == pkt.type && r.id == pkt.id) r.range = std::max(r.range, pkt.off);
  });
}

void Verifier::propagate_scalar(State& s, const Reg& r) {
  if (r.id == 0) return;
  s.for_each_reg([&](Reg& x) {
    if (x.type != RegType::kScalar || x.id != r.id) return;
    if (x.link_off == r.link_off) {
      x.val = r.val;
    } else {
      // x = r + (x.link_off - r.link_off), with the wrap of 64-bit addition.
      x.val = scalar_alu(AluOp::kAdd, r.val,
                         Scalar::constant(static_cast<uint64_t>(x.link_off - r.link_off)), 64);
    }
  });
}

bool Verifier::refine_scalars(State& s, const Insn& in, bool taken) {
  const uint32_t width = op_info(in.op).width;
  Reg& a = s.reg(in.dst);
  Scalar b = form_of(in.op) == Form::kJmpImm
                 ? Scalar::constant(width == 64 ? sem::imm64_operand(in.imm)
                                                : static_cast<uint32_t>(in.imm))
                 : s.reg(in.src).val;
  Scalar av = a.val;
  if (!scalar_refine(jmp_cond(in.op), taken, av, b, width)) return false;
  if (form_of(in.op) == Form::kJmpReg && in.src == in.dst) av = b;
  a.val = av;
  propagate_scalar(s, a);
  if (form_of(in.op) == Form::kJmpReg && in.src != in.dst) {
    s.reg(in.src).val = b;
    propagate_scalar(s, s.reg(in.src));
  }
  return true;
}

bool Verifier::do_branch(uint32_t pc, const Insn& in) {
  const uint32_t width = op_info(in.op).width;
  const JmpCond cond = jmp_cond(in.op);
  const uint32_t next = pc + 1, target = in.target();
  if (!read_reg(pc, in.dst)) return false;
  const bool reg_form = form_of(in.op) == Form::kJmpReg;
  if (reg_form && !read_reg(pc, in.src)) return false;
  const Reg a = cur_.reg(in.dst);
  const Reg b = reg_form ? cur_.reg(in.src)
                         : Reg::scalar(Scalar::constant(width == 64 ? sem::imm64_operand(in.imm)
                                                                    : static_cast<uint32_t>(in.imm)));
  auto count_loop_fork = [&]() {
    if (cfg_.loop_head[pc] || target <= pc || cfg_.loop_head[target] || cfg_.loop_head[next]) {
      ++cur_.loop_forks;
    }
  };
  if (a.is_scalar() && b.is_scalar()) {
    int taken = scalar_branch(cond, a.val, b.val, width);
    if (taken == 1) {
      cur_.pc = target;
      return true;
    }
    if (taken == 0) {
      cur_.pc = next;
      return true;
    }
    State other = cur_;
    bool t_ok = refine_scalars(other, in, true);
    bool f_ok = refine_scalars(cur_, in, false);
    if (t_ok && f_ok) {
      count_loop_fork();
      other.loop_forks = cur_.loop_forks;
      other.pc = target;
      fork(std::move(other));
      cur_.pc = next;
    } else if (t_ok) {
      cur_ = std::move(other);
      cur_.pc = target;
    } else {
      // Neither side feasible cannot happen for a reachable state; treat as fall-through.
      cur_.pc = next;
    }
    return true;
  }
  // Pointer comparisons.
  auto nullable = [](const Reg& r) {
    return r.type == RegType::kMapValueOrNull || r.type == RegType::kRingbufMemOrNull ||
           r.type == RegType::kMapPtrOrNull;
  };
  auto both_ways = [&]() {
    State other = cur_;
    other.pc = target;
    fork(std::move(other));
    cur_.pc = next;
    return true;
  };
  if (width == 32) {
    return fail(pc, fmt::format("pointer arithmetic: 32-bit comparison of {} ({}) and {}",
                                rname(in.dst), reg_type_name(a.type), reg_type_name(b.type)));
  }
  const bool eq_ne = cond == JmpCond::kEq || cond == JmpCond::kNe;
  if (eq_ne && ((nullable(a) && b.is_const_scalar(0)) || (nullable(b) && a.is_const_scalar(0)))) {
    uint32_t id = nullable(a) ? a.id : b.id;
    State other = cur_;
    // Taken branch of jeq: null; of jne: non-null.
    mark_null(other, id, cond == JmpCond::kEq);
    mark_null(cur_, id, cond != JmpCond::kEq);
    other.pc = target;
    fork(std::move(other));
    cur_.pc = next;
    return true;
  }
  // Map values and the mem buffer are never null, and the comparison is decided, as in the
  // kernel (reg_not_null). Other pointers (context, stack, packet, ...) are not null either,
  // but the kernel explores both ways, and so do we, so that verdicts stay the kernel's.
  auto never_null = [](const Reg& r) {
    return r.type == RegType::kMapValue || r.type == RegType::kMem;
  };
  if (eq_ne && ((never_null(a) && b.is_const_scalar(0)) ||
                (never_null(b) && a.is_const_scalar(0)))) {
    cur_.pc = cond == JmpCond::kEq ? next : target;
    return true;
  }
  // Packet pointers against packet end, and metadata pointers against the packet start.
  const bool a_pkt = (a.type == RegType::kPacket && b.type == RegType::kPacketEnd) ||
                     (a.type == RegType::kPacketMeta && b.type == RegType::kPacket);
  const bool b_pkt = (b.type == RegType::kPacket && a.type == RegType::kPacketEnd) ||
                     (b.type == RegType::kPacketMeta && a.type == RegType::kPacket);
  if (a_pkt || b_pkt) {
    // Which side of the jump learns "pkt <= end" (or "pkt < end" when strict: then one
    // more byte is in range).
    int learn = -1;  // 1: taken, 0: fall-through
    bool strict = false;
    bool pkt_left = a_pkt;
    switch (cond) {
      case JmpCond::kGt:  // pkt > end: falls through on <=; end > pkt: taken on <
        learn = pkt_left ? 0 : 1;
        strict = !pkt_left;
        break;
      case JmpCond::kGe:  // pkt >= end: falls through on <; end >= pkt: taken on <=
        learn = pkt_left ? 0 : 1;
        strict = pkt_left;
        break;
      case JmpCond::kLt:  // pkt < end: taken on <; end < pkt: falls through on <=
        learn = pkt_left ? 1 : 0;
        strict = pkt_left;
        break;
      case JmpCond::kLe:  // pkt <= end: taken on <=; end <= pkt: falls through on <
        learn = pkt_left ? 1 : 0;
        strict = !pkt_left;
        break;
      case JmpCond::kEq:
      case JmpCond::kNe:
      case JmpCond::kSet:
      case JmpCond::kSgt:
      case JmpCond::kSge:
      case JmpCond::kSlt:
      case JmpCond::kSle:
        break;
    }
    State other = cur_;
    Reg pkt = a_pkt ? a : b;
    if (strict) pkt.off += 1;
    if (learn == 1) learn_packet_range(other, pkt);
    if (learn == 0) learn_packet_range(cur_, pkt);
    other.pc = target;
    fork(std::move(other));
    cur_.pc = next;
    return true;
  }
  if (is_pointer(a.type) && is_pointer(b.type)) {
    auto family = [](RegType t) {
      if (t == RegType::kPacket || t == RegType::kPacketEnd || t == RegType::kPacketMeta) {
        return RegType::kPacket;
      }
      return t;
    };
    if (family(a.type) != family(b.type) && !in_.platform.allow_ptr_leaks) {
      return fail(pc, fmt::format("pointer arithmetic: comparison of {} ({}) with {} ({})",
                                  rname(in.dst), reg_type_name(a.type), rname(in.src),
                                  reg_type_name(b.type)));
    }
    return both_ways();
  }
  // A pointer and a scalar: nothing to learn.
  return both_ways();
}

// ------------------------------------------------------------------------------------------
// Calls

bool Verifier::check_helper_mem(uint32_t pc, uint8_t regno, uint64_t size, bool write, int arg,
                                const char* uninit_phrase) {
  const Reg& p = cur_.reg(regno);
  switch (p.type) {
    case RegType::kStack:
    case RegType::kMapValue:
    case RegType::kPacket:
    case RegType::kRingbufMem:
    case RegType::kMem:
      break;
    case RegType::kMapValueOrNull:
    case RegType::kMapPtrOrNull:
    case RegType::kRingbufMemOrNull:
      return fail(pc, fmt::format("possibly null: arg{} ({}) is a {}", arg, rname(regno),
                                  reg_type_name(p.type)));
    case RegType::kNotInit:
    case RegType::kScalar:
    case RegType::kCtx:
    case RegType::kMapPtr:
    case RegType::kPacketEnd:
    case RegType::kPacketMeta:
    case RegType::kFunc:
      return fail(pc, fmt::format("invalid helper argument: arg{} ({}) must point to memory, "
                                  "it is a {}",
                                  arg, rname(regno), reg_type_name(p.type)));
  }
  // A zero size still needs the pointer inside its region (the kernel checks a variable
  // stack offset's whole range even for zero bytes).
  Reg copy = p;
  helper_arg_ = arg;
  bool ok = check_mem(pc, regno, copy, 0, size, write ? Access::kHelperWrite : Access::kHelperRead,
                      nullptr, nullptr, uninit_phrase);
  helper_arg_ = 0;
  return ok;
}

// After a helper that may move the packet (HelperProto::changes_pkt_data), every packet
// pointer in every frame, in registers and spilled on the stack, points where the packet
// was: as the kernel's clear_all_pkt_pointers, each becomes an unknown scalar for a loader
// that may see addresses (allow_ptr_leaks), else an uninitialised register (a stack slot
// whose bytes were never written), so any use as a pointer is refused and the program must
// load data/data_end from the context again.
void Verifier::invalidate_packet_pointers() {
  const bool leaks = in_.platform.allow_ptr_leaks;
  auto stale = [](const Reg& r) {
    return r.type == RegType::kPacket || r.type == RegType::kPacketEnd ||
           r.type == RegType::kPacketMeta;
  };
  for (Frame& fr : cur_.frames) {
    for (Reg& r : fr.regs) {
      if (stale(r)) r = leaks ? Reg::unknown() : Reg{};
    }
    for (StackSlot& s : fr.stack) {
      if (!s.is_spill() || !stale(s.spill)) continue;
      if (leaks) {
        s.spill = Reg::unknown();
      } else {
        s = StackSlot{};
      }
    }
  }
}

bool Verifier::do_helper(uint32_t pc, const Insn& in) {
  const auto id = static_cast<uint32_t>(in.imm);
  const HelperProto* proto = find_helper(id);
  if (!proto) return fail(pc, fmt::format("unknown helper: there is no helper {}", id));
  const ProgramType& t = in_.type;
  if (!proto->general &&
      std::find(t.extra_helpers.begin(), t.extra_helpers.end(), id) == t.extra_helpers.end()) {
    return fail(pc, fmt::format("helper not allowed: {} ({}) for {} programs", proto->name, id,
                                t.name));
  }
  if (cur_.lock.held && id != kIdSpinUnlock) {
    return fail(pc, fmt::format("lock held: {} is called while the bpf_spin_lock taken at insn "
                                "{} is held (function calls are not allowed while holding a "
                                "lock)",
                                proto->name, cur_.lock.insn));
  }
  const MapInfo* map = nullptr;
  uint32_t map_index = 0;
  int mem_arg = -1;  // the register of a pending pointer whose size is the next argument
  int null_mem_arg = -1;  // the register of a null kPtrToMemOrNull argument
  bool mem_write = false;
  uint64_t alloc_size = 0;
  uint32_t release_ref = 0;
  uint32_t func_target = UINT32_MAX;
  std::array<Reg, 6> callback_args{};
  for (int i = 0; i < 5; ++i) {
    const ArgKind kind = proto->args[i];
    const auto regno = static_cast<uint8_t>(i + 1);
    const int arg = i + 1;
    if (kind == ArgKind::kNone) continue;
    if (!read_reg(pc, regno)) return false;
    const Reg& a = cur_.reg(regno);
    callback_args[regno] = a;
    if ((a.type == RegType::kPacket || a.type == RegType::kPacketMeta) &&
        in_.platform.kernel_rules && !proto->pkt_access) {
      return fail(pc, fmt::format("invalid helper argument: arg{} ({}) is a {}, and {} does not "
                                  "take packet pointers (helper access to the packet is not "
                                  "allowed)",
                                  arg, rname(regno), reg_type_name(a.type), proto->name));
    }
    auto wrong = [&](const char* what) {
      if (id == kIdTailCall && kind == ArgKind::kConstMapPtr) {
        return fail(pc, fmt::format("tail call: arg{} ({}) must be a prog_array map, it is a {}",
                                    arg, rname(regno), reg_type_name(a.type)));
      }
      return fail(pc, fmt::format("invalid helper argument: arg{} ({}) of {} must be {}, it is "
                                  "a {}",
                                  arg, rname(regno), proto->name, what, reg_type_name(a.type)));
    };
    switch (kind) {
      case ArgKind::kNone:
        break;
      case ArgKind::kAnything:
        break;
      case ArgKind::kScalar:
        if (!a.is_scalar()) return wrong("a scalar");
        break;
      case ArgKind::kConstMapPtr:
        if (a.type != RegType::kMapPtr) return wrong("a map");
        map = &in_.maps[a.map];
        map_index = a.map;
        if (id == kIdMapLookup) note_lookup_map(pc, a);
        break;
      case ArgKind::kPtrToMapKey:
      case ArgKind::kPtrToMapValue:
      case ArgKind::kPtrToUninitMapValue: {
        if (!map) return fail(pc, fmt::format("invalid helper argument: arg{} needs a map argument before it", arg));
        bool key = kind == ArgKind::kPtrToMapKey;
        uint64_t size = key ? map->key_size : map->value_size;
        if (!check_helper_mem(pc, regno, size, kind == ArgKind::kPtrToUninitMapValue, arg,
                              "invalid helper argument: the map key or value memory is not initialized")) {
          return false;
        }
        break;
      }
      case ArgKind::kPtrToMemOrNull:
        if (a.is_const_scalar(0)) {
          mem_arg = -1;
          null_mem_arg = regno;
          break;
        }
        [[fallthrough]];
      case ArgKind::kPtrToMem:
      case ArgKind::kPtrToUninitMem:
        if (!a.is_init() || !is_pointer(a.type)) return wrong("a pointer to memory");
        mem_arg = regno;
        mem_write = kind == ArgKind::kPtrToUninitMem;
        break;
      case ArgKind::kConstSize:
      case ArgKind::kConstSizeOrZero: {
        if (!a.is_scalar()) return wrong("a size");
        if (null_mem_arg == regno - 1 && a.val.umax != 0) {
          return fail(pc, fmt::format("invalid helper argument: arg{} ({}) is null, so its size "
                                      "arg{} ({}) must be 0, it is {}",
                                      arg - 1, rname(null_mem_arg), arg, rname(regno),
                                      a.val.to_string()));
        }
        uint64_t min = kind == ArgKind::kConstSize ? 1 : 0;
        if (a.val.umin < min || a.val.umax > kMaxHelperSize) {
          return fail(pc, fmt::format("invalid helper argument: arg{} ({}) is a size, it must be "
                                      "proven in [{}, {}], it is {}",
                                      arg, rname(regno), min, kMaxHelperSize,
                                      a.val.to_string()));
        }
        if (mem_arg >= 0 &&
            !check_helper_mem(pc, static_cast<uint8_t>(mem_arg), a.val.umax, mem_write, arg - 1,
                              nullptr)) {
          return false;
        }
        mem_arg = -1;
        break;
      }
      case ArgKind::kPtrToCtx:
        if (a.type != RegType::kCtx || a.off != 0 || !a.val.is_const()) {
          return wrong("the unmodified context pointer");
        }
        break;
      case ArgKind::kPtrToFunc:
        if (a.type != RegType::kFunc) return wrong("a function (lddw code)");
        func_target = static_cast<uint32_t>(a.size);
        break;
      case ArgKind::kPtrToStack:
        if (a.type != RegType::kStack) return wrong("a stack pointer");
        break;
      case ArgKind::kPtrToStackOrNull:
        if (a.type != RegType::kStack && !a.is_const_scalar(0)) return wrong("a stack pointer or 0");
        break;
      case ArgKind::kPtrToRingbufMem:
        if (a.type == RegType::kRingbufMemOrNull) {
          return fail(pc, fmt::format("possibly null: arg{} ({}) is a ringbuf reservation not yet "
                                      "tested against 0",
                                      arg, rname(regno)));
        }
        if (a.type != RegType::kRingbufMem) {
          return fail(pc, fmt::format("invalid reference: arg{} ({}) is a {}, not a ringbuf "
                                      "reservation",
                                      arg, rname(regno), reg_type_name(a.type)));
        }
        if (a.off != 0 || !a.val.is_const() || a.val.value() != 0) {
          return fail(pc, fmt::format("invalid reference: arg{} ({}) does not point to the start "
                                      "of its reservation",
                                      arg, rname(regno)));
        }
        if (std::none_of(cur_.refs.begin(), cur_.refs.end(),
                         [&](const RefEntry& e) { return e.id == a.ref; })) {
          return fail(pc, fmt::format("invalid reference: the reservation in {} was already "
                                      "released",
                                      rname(regno)));
        }
        release_ref = a.ref;
        break;
      case ArgKind::kPtrToConstStr: {
        if (a.type != RegType::kMapValue || !in_.maps[a.map].read_only || !a.val.is_const()) {
          return wrong("a constant string in read-only memory");
        }
        const MapInfo& m = in_.maps[a.map];
        if (a.off < 0 || a.off >= static_cast<int64_t>(m.value_size)) {
          return fail(pc, fmt::format("{}: string at offset {} of "
                                      "map {}'s {}-byte value",
                                      oob("map value access out of bounds"), a.off, a.map, m.value_size));
        }
        facts_ |= 0;
        break;
      }
      case ArgKind::kPtrToLong:
      case ArgKind::kPtrToInt:
        // A u64 or u32 result the helper writes.
        if (!check_helper_mem(pc, regno, kind == ArgKind::kPtrToLong ? 8 : 4, true, arg,
                              nullptr)) {
          return false;
        }
        break;
      case ArgKind::kPtrToFixedSizeMem: {
        const uint32_t size = kernel::fixed_mem_size(id, arg);
        if (size == 0) return wrong("memory of a known size");
        if (!check_helper_mem(pc, regno, size, false, arg,
                              "invalid helper argument: the memory is not initialized")) {
          return false;
        }
        break;
      }
      case ArgKind::kPtrToMapValueOrNull:
        if (a.is_const_scalar(0)) break;
        if (!map) return fail(pc, fmt::format("invalid helper argument: arg{} needs a map argument before it", arg));
        if (!check_helper_mem(pc, regno, map->value_size, false, arg,
                              "invalid helper argument: the map value memory is not initialized")) {
          return false;
        }
        break;
      case ArgKind::kPtrToSockCommon:
      case ArgKind::kPtrToReleasedSocket:
      case ArgKind::kPtrToBtfId:
      case ArgKind::kPtrToBtfIdOrNull:
      case ArgKind::kPtrToReleasedBtfIdOrNull:
      case ArgKind::kPtrToPercpuBtfId:
      case ArgKind::kPtrToSpinLock:
        if (!spin_lock_op(pc, id, regno)) return false;
        break;
      case ArgKind::kPtrToKptr:
      case ArgKind::kPtrToTimer:
      case ArgKind::kPtrToDynptr:
      case ArgKind::kPtrToUninitDynptr:
      case ArgKind::kPtrToReleasedDynptr:
        return fail(pc, fmt::format("unsupported: arg{} of {} is a kernel object (socket, BTF "
                                    "object, spin lock, timer, kptr or dynptr), which bpfjit "
                                    "does not model",
                                    arg, proto->name));
      case ArgKind::kConstAllocSize:
        if (!a.is_scalar() || !a.val.is_const() || a.val.value() == 0 ||
            a.val.value() > kMaxHelperSize) {
          return fail(pc, fmt::format("invalid helper argument: arg{} ({}) must be a constant "
                                      "size in [1, {}], it is {}",
                                      arg, rname(regno), kMaxHelperSize,
                                      a.is_scalar() ? a.val.to_string() : reg_type_name(a.type)));
        }
        alloc_size = a.val.value();
        break;
    }
  }
  // Map operations valid for the map's type: the helper's family of operations must be one
  // the map type allows (helpers/maps/map_types.def), as the kernel's
  // check_map_func_compatibility decides.
  if (map) {
    const uint32_t mt = map->type;
    const MapTypeInfo* info = map_type_info(mt);
    const uint32_t family = map_op_of_helper(proto->name);
    if (family != 0 && (info == nullptr || (info->ops & family) == 0)) {
      if (id == kIdTailCall) {
        return fail(pc, fmt::format("tail call: map {} is a {} map, bpf_tail_call needs a "
                                    "prog_array",
                                    map_index, map_type_name(mt)));
      }
      return fail(pc, fmt::format("invalid map: {} cannot be used on map {} ({})", proto->name,
                                  map_index, map_type_name(mt)));
    }
    if (proto->name == "get_local_storage" && !cur_.reg(2).is_const_scalar(0)) {
      return fail(pc, "invalid helper argument: get_local_storage takes flags 0");
    }
  }
  if (id == kIdTailCall && !cur_.refs.empty()) {
    return fail(pc, fmt::format("unreleased reference: the ringbuf reservation from insn {} is "
                                "still held at a tail call",
                                cur_.refs.front().insn));
  }
  if (release_ref) {
    cur_.refs.erase(std::remove_if(cur_.refs.begin(), cur_.refs.end(),
                                   [&](const RefEntry& e) { return e.id == release_ref; }),
                    cur_.refs.end());
    cur_.for_each_reg([&](Reg& r) {
      if ((r.type == RegType::kRingbufMem || r.type == RegType::kRingbufMemOrNull) &&
          r.ref == release_ref) {
        r = Reg::unknown();
      }
    });
  }
  if (proto->changes_pkt_data) invalidate_packet_pointers();
  if (func_target != UINT32_MAX) {
    // Callbacks: bpf_loop(n, fn, ctx, flags) calls fn(index, ctx); for_each_map_elem(map,
    // fn, ctx, flags) calls fn(map, key, value, ctx).
    std::array<Reg, 6> args{};
    if (id == kIdForEachMapElem && map) {
      args[1] = callback_args[1];
      Reg key;
      key.type = RegType::kMem;
      key.size = map->key_size;
      args[2] = key;
      Reg value;
      value.type = RegType::kMapValue;
      value.map = map_index;
      args[3] = value;
      args[4] = callback_args[3];
    } else {
      args[1] = Reg::scalar(Scalar::urange(0, UINT32_MAX));
      args[2] = callback_args[3];
    }
    return enter_callback(pc, func_target, args);
  }
  for (uint8_t r = 1; r <= 5; ++r) cur_.reg(r) = Reg{};
  Reg& r0 = cur_.reg(0);
  switch (proto->ret) {
    case RetKind::kInteger:
    case RetKind::kVoid:
      r0 = Reg::unknown();
      break;
    case RetKind::kPtrToMapValueOrNull: {
      if (!map) return fail(pc, fmt::format("invalid helper argument: {} returns a map value but "
                                            "takes no map",
                                            proto->name));
      r0 = Reg{};
      r0.type = RegType::kMapValueOrNull;
      r0.map = map_index;
      r0.id = new_id();
      const MapTypeInfo* info = map_type_info(map->type);
      const MapLookup lookup = info ? info->lookup : MapLookup::kNotAllowed;
      if (id == kIdMapLookup && (lookup == MapLookup::kSocketOrNull ||
                                 lookup == MapLookup::kNotAllowed)) {
        return fail(pc, fmt::format("invalid map: programs may not look up elements of map {} "
                                    "({}){}",
                                    map_index, map_type_name(map->type),
                                    lookup == MapLookup::kSocketOrNull
                                        ? " here: its lookups give sockets, which bpfjit does "
                                          "not model"
                                        : ""));
      }
      if (id == kIdMapLookup && lookup == MapLookup::kInnerMapOrNull) {
        // A map of maps holds maps: the lookup gives the inner map itself, or null.
        if (map->inner < 0 || static_cast<size_t>(map->inner) >= in_.maps.size()) {
          return fail(pc, fmt::format("map of maps: map {} has no inner map template (declare "
                                      "it with __array(values, ...))",
                                      map_index));
        }
        r0.type = RegType::kMapPtrOrNull;
        r0.map = static_cast<uint32_t>(map->inner);
      }
      break;
    }
    case RetKind::kPtrToMapValue:
      if (!map) return fail(pc, fmt::format("invalid helper argument: {} returns a map value but "
                                            "takes no map",
                                            proto->name));
      r0 = Reg{};
      r0.type = RegType::kMapValue;
      r0.map = map_index;
      break;
    case RetKind::kPtrToSocketOrNull:
    case RetKind::kPtrToSockCommonOrNull:
    case RetKind::kPtrToFullSocketOrNull:
    case RetKind::kPtrToTcpSockOrNull:
    case RetKind::kPtrToBtfId:
    case RetKind::kPtrToBtfIdOrNull:
    case RetKind::kPtrToReferencedBtfIdOrNull:
    case RetKind::kPtrToMemOrBtfIdOrNull:
    case RetKind::kPtrToMemOrBtfId:
    case RetKind::kPtrToDynptrMemOrNull:
      return fail(pc, fmt::format("unsupported: {} returns a kernel object (socket, BTF object "
                                  "or dynptr memory), which bpfjit does not model",
                                  proto->name));
    case RetKind::kPtrToRingbufMemOrNull: {
      r0 = Reg{};
      r0.type = RegType::kRingbufMemOrNull;
      r0.size = alloc_size;
      r0.id = new_id();
      r0.ref = r0.id;
      cur_.refs.push_back({r0.ref, pc});
      break;
    }
  }
  cur_.pc = pc + 1;
  return true;
}

// bpf_spin_lock and bpf_spin_unlock: the argument must point exactly at the bpf_spin_lock
// of a map value; a path holds at most one lock, and unlocks the one it took.
bool Verifier::spin_lock_op(uint32_t pc, uint32_t id, uint8_t regno) {
  const Reg& a = cur_.reg(regno);
  const char* name = id == kIdSpinLock ? "bpf_spin_lock" : "bpf_spin_unlock";
  if (a.type != RegType::kMapValue) {
    return fail(pc, fmt::format("invalid helper argument: {} ({}) of {} must point to a "
                                "bpf_spin_lock in a map value, it is a {}",
                                rname(regno), describe_reg(a), name, reg_type_name(a.type)));
  }
  const MapInfo& m = in_.maps[a.map];
  if (m.spin_lock_off < 0) {
    return fail(pc, fmt::format("invalid helper argument: map {}'s value holds no "
                                "bpf_spin_lock (declare the map with BTF, a struct "
                                "bpf_spin_lock field in its value)",
                                a.map));
  }
  if (!a.val.is_const()) {
    return fail(pc, fmt::format("invalid helper argument: {} of {} has a variable offset {}; "
                                "it must point exactly at the bpf_spin_lock",
                                rname(regno), name, a.val.to_string()));
  }
  const int64_t off = a.off + static_cast<int64_t>(a.val.value());
  if (off != m.spin_lock_off) {
    return fail(pc, fmt::format("invalid helper argument: {} of {} points at offset {} of map "
                                "{}'s value, its bpf_spin_lock is at {}",
                                rname(regno), name, off, a.map, m.spin_lock_off));
  }
  if (id == kIdSpinLock) {
    if (cur_.lock.held) {
      return fail(pc, fmt::format("lock held: a second bpf_spin_lock while the one taken at "
                                  "insn {} is held",
                                  cur_.lock.insn));
    }
    cur_.lock = HeldLock{true, a.id, a.map, pc};
    return true;
  }
  if (!cur_.lock.held) {
    return fail(pc, "lock not held: bpf_spin_unlock without a bpf_spin_lock before it");
  }
  if (cur_.lock.map != a.map || cur_.lock.id != a.id) {
    return fail(pc, fmt::format("lock not held: bpf_spin_unlock of another lock than the one "
                                "taken at insn {}",
                                cur_.lock.insn));
  }
  cur_.lock = HeldLock{};
  return true;
}

bool Verifier::do_local_call(uint32_t pc, const Insn& in) {
  if (cur_.frames.size() >= kMaxCallDepth) {
    return fail(pc, fmt::format("stack depth: the call would be frame {}, the limit is {}",
                                cur_.frames.size() + 1, kMaxCallDepth));
  }
  Frame callee;
  for (uint8_t r = 1; r <= 5; ++r) callee.regs[r] = cur_.reg(r);
  Reg fp;
  fp.type = RegType::kStack;
  fp.map = static_cast<uint32_t>(cur_.frames.size());
  callee.regs[kFramePointer] = fp;
  callee.callsite = pc;
  callee.subprog = cfg_.subprog_index(in.target());
  cur_.frames.push_back(std::move(callee));
  cur_.pc = in.target();
  return true;
}

bool Verifier::enter_callback(uint32_t pc, uint32_t target, const std::array<Reg, 6>& args) {
  uint32_t s = cfg_.subprog_index(target);
  if (s >= cfg_.subprogs.size() || cfg_.subprogs[s].start != target) {
    return fail(pc, fmt::format("invalid helper argument: the callback at {} is not a "
                                "subprogram",
                                target));
  }
  if (cur_.frames.size() >= kMaxCallDepth) {
    return fail(pc, fmt::format("stack depth: the callback would be frame {}, the limit is {}",
                                cur_.frames.size() + 1, kMaxCallDepth));
  }
  Frame callee;
  for (uint8_t r = 1; r <= 5; ++r) callee.regs[r] = args[r];
  Reg fp;
  fp.type = RegType::kStack;
  fp.map = static_cast<uint32_t>(cur_.frames.size());
  callee.regs[kFramePointer] = fp;
  callee.callsite = pc;
  callee.subprog = s;
  callee.callback = true;
  // The caller's frames as the callback found them, to join with what it leaves.
  callee.callback_entry = std::make_shared<const std::vector<Frame>>(cur_.frames);
  callee.callback_args = std::make_shared<const std::array<Reg, 6>>(args);
  cur_.frames.push_back(std::move(callee));
  cur_.pc = target;
  return true;
}

namespace {

// The stack of a frame after "the callback ran zero or more times": bytes and spills on
// which `a` and `b` agree stay, others are joined (scalars) or forgotten. `widen` turns
// differing scalars into unknown ones so that repeated joins end.
bool join_frame(Frame& a, const Frame& b, bool widen) {
  bool changed = false;
  size_t n = std::max(a.stack.size(), b.stack.size());
  a.stack.resize(n);
  static const StackSlot kEmpty{};
  for (size_t i = 0; i < n; ++i) {
    StackSlot& x = a.stack[i];
    const StackSlot& y = i < b.stack.size() ? b.stack[i] : kEmpty;
    if (x.is_spill() && y.is_spill()) {
      if (x.spill.is_scalar() && y.spill.is_scalar()) {
        if (!x.spill.val.contains(y.spill.val)) {
          x.spill = Reg::scalar(widen ? Scalar::unknown() : x.spill.val.join(y.spill.val));
          changed = true;
        }
        x.spill.id = 0;
        continue;
      }
      if (x.spill.type == y.spill.type && x.spill.off == y.spill.off &&
          x.spill.map == y.spill.map && x.spill.val == y.spill.val) {
        continue;
      }
    }
    for (size_t k = 0; k < 8; ++k) {
      ByteState bx = x.bytes[k], by = y.bytes[k];
      ByteState r;
      if (bx == ByteState::kInvalid || by == ByteState::kInvalid) {
        r = ByteState::kInvalid;
      } else if (bx == ByteState::kConst && by == ByteState::kConst && x.vals[k] == y.vals[k]) {
        r = ByteState::kConst;
      } else if ((bx == ByteState::kSpill && !x.spill.is_scalar()) ||
                 (by == ByteState::kSpill && !y.spill.is_scalar())) {
        r = ByteState::kInvalid;  // a pointer on one side only: unusable
      } else {
        r = ByteState::kMisc;
      }
      if (r != bx) changed = true;
      x.bytes[k] = r;
    }
    if (!x.is_spill()) x.spill = Reg{};
  }
  return changed;
}

}  // namespace

bool Verifier::finish_callback(uint32_t pc) {
  Frame callee = std::move(cur_.frames.back());
  cur_.frames.pop_back();
  std::vector<Frame> entry = *callee.callback_entry;
  bool widen = callee.callback_round >= kCallbackJoinRounds;
  bool changed = false;
  for (size_t f = 0; f < entry.size(); ++f) {
    changed |= join_frame(entry[f], cur_.frames[f], widen);
  }
  // The caller continues from the joined frames ("ran zero or more times").
  for (size_t f = 0; f < entry.size(); ++f) cur_.frames[f].stack = entry[f].stack;
  if (changed) {
    // Not stable yet: run the callback again from the joined state.
    uint32_t round = callee.callback_round + 1;
    if (!enter_callback(callee.callsite, cfg_.subprogs[callee.subprog].start,
                        *callee.callback_args)) {
      return false;
    }
    cur_.frames.back().callback_round = round;
    return true;
  }
  (void)pc;
  for (uint8_t r = 1; r <= 5; ++r) cur_.reg(r) = Reg{};
  cur_.reg(0) = Reg::unknown();
  cur_.pc = callee.callsite + 1;
  return true;
}

bool Verifier::do_exit(uint32_t pc) {
  const Reg& r0 = cur_.reg(0);
  if (!r0.is_init()) return fail(pc, "r0 is not initialized at exit");
  if (cur_.frames.size() == 1) {
    if (!r0.is_scalar() && !in_.platform.allow_ptr_leaks) {
      return fail(pc, fmt::format("pointer leak: r0 is not a scalar at exit, it is a {}",
                                  reg_type_name(r0.type)));
    }
    if (cur_.lock.held) {
      return fail(pc, fmt::format("lock held: exit while the bpf_spin_lock taken at insn {} is "
                                  "held (BPF_EXIT instruction in main prog cannot be used "
                                  "inside bpf_spin_lock-ed region)",
                                  cur_.lock.insn));
    }
    if (!cur_.refs.empty()) {
      return fail(pc, fmt::format("unreleased reference: the ringbuf reservation from insn {} "
                                  "is neither submitted nor discarded",
                                  cur_.refs.front().insn));
    }
    const ProgramType& t = in_.type;
    if (t.has_ret_range() && (!r0.is_scalar() || r0.val.smin < t.ret_min ||
                              r0.val.smax > t.ret_max)) {
      return fail(pc, fmt::format("invalid return value: r0 is {} at exit, {} programs must "
                                  "return a value in [{}, {}]",
                                  r0.is_scalar() ? r0.val.to_string() : reg_type_name(r0.type), t.name,
                                  t.ret_min, t.ret_max));
    }
    path_done_ = true;
    return true;
  }
  if (cur_.top().callback) {
    if (!r0.is_scalar()) {
      return fail(pc, fmt::format("pointer leak: the callback returns a {}, not a scalar",
                                  reg_type_name(r0.type)));
    }
    // bpf_loop and bpf_for_each_map_elem callbacks return 0 (go on) or 1 (stop).
    if (r0.val.smin < 0 || r0.val.smax > 1) {
      return fail(pc, fmt::format("invalid return value: the callback returns {}, it must "
                                  "return 0 or 1",
                                  r0.val.to_string()));
    }
    return finish_callback(pc);
  }
  const auto frame = static_cast<uint32_t>(cur_.frames.size() - 1);
  if (r0.type == RegType::kStack && r0.map == frame) {
    return fail(pc, "pointer leak: a subprogram returns a pointer to its own stack");
  }
  Reg ret = r0;
  uint32_t callsite = cur_.top().callsite;
  cur_.frames.pop_back();
  // Pointers into the dead frame are gone.
  cur_.for_each_reg([&](Reg& r) {
    if (r.type == RegType::kStack && r.map >= frame) r = Reg::unknown();
  });
  for (uint8_t r = 1; r <= 5; ++r) cur_.reg(r) = Reg{};
  cur_.reg(0) = ret;
  cur_.pc = callsite + 1;
  return true;
}

void Verifier::check_stack_depth() {
  // The deepest combined stack over call chains (the call graph is acyclic here).
  std::vector<int64_t> memo(cfg_.subprogs.size(), -1);
  std::function<uint32_t(uint32_t)> depth = [&](uint32_t s) -> uint32_t {
    if (memo[s] >= 0) return static_cast<uint32_t>(memo[s]);
    uint32_t own = (subprog_depth_[s] + 7) / 8 * 8;
    uint32_t best = 0;
    for (const CallEdge& e : cfg_.callees[s]) best = std::max(best, depth(e.callee));
    memo[s] = own + best;
    return own + best;
  };
  uint32_t total = depth(0);
  res_.stats.max_stack_depth = total;
  if (total <= kStackFrameSize) return;
  // Name the first call on the deepest chain.
  for (const CallEdge& e : cfg_.callees[0]) {
    if ((subprog_depth_[0] + 7) / 8 * 8 + depth(e.callee) == total) {
      fail(e.insn, fmt::format("stack depth: the call chain through this call uses {} bytes of "
                               "stack, the limit is {}",
                               total, kStackFrameSize));
      return;
    }
  }
  fail(0, fmt::format("stack depth: {} bytes of stack, the limit is {}", total, kStackFrameSize));
}

}  // namespace

std::string VerifyResult::error_text() const {
  if (diagnostics.empty()) return {};
  return diagnostics.front().to_string();
}

VerifyResult verify(const VerifyInput& input, const VerifyOptions& options) {
  VerifyResult res;
  Verifier v(input, options, res);
  v.run();
  return res;
}

}  // namespace bpfjit::verifier
