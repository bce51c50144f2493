// CO-RE relocations, .kconfig externs and __ksym/kfunc refusals (runtime/loader/btf_relo.h).
// Target BTF files are written at test time with libbpf's BTF writer, so the tests do not
// depend on the running kernel; one extra test resolves against /sys/kernel/btf/vmlinux
// when it exists.
#include <bpf/btf.h>
#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bpfjit/runtime.h"
#include "test/loader/loader_util.h"
#include "runtime/loader/btf_relo.h"
#include "runtime/loader/loader.h"

namespace bpfjit {
namespace {

using testing::read_prog;

// A target BTF built type by type, written to a file the loader reads.
class TargetBtf {
 public:
  TargetBtf() : b_(btf__new_empty()) {
    u8_ = btf__add_int(b_, "unsigned char", 1, 0);
    u16_ = btf__add_int(b_, "unsigned short", 2, 0);
    u32_ = btf__add_int(b_, "unsigned int", 4, 0);
    u64_ = btf__add_int(b_, "unsigned long long", 8, 0);
    s32_ = btf__add_int(b_, "int", 4, BTF_INT_SIGNED);
    s64_ = btf__add_int(b_, "long", 8, BTF_INT_SIGNED);
    char_ = btf__add_int(b_, "char", 1, BTF_INT_SIGNED | BTF_INT_CHAR);
  }
  ~TargetBtf() {
    btf__free(b_);
    if (!path_.empty()) std::filesystem::remove(path_);
  }
  btf* b() { return b_; }
  int u8() const { return u8_; }
  int u16() const { return u16_; }
  int u32() const { return u32_; }
  int u64() const { return u64_; }
  int s32() const { return s32_; }
  int s64() const { return s64_; }
  int chr() const { return char_; }

  // Writes the raw BTF to a temporary file; returns its path.
  std::string write() {
    uint32_t size = 0;
    const void* data = btf__raw_data(b_, &size);
    path_ = (std::filesystem::temp_directory_path() /
             ("bpfjit-target-btf-" + std::to_string(getpid()) + "-" +
              std::to_string(reinterpret_cast<uintptr_t>(this)) + ".btf"))
                .string();
    std::ofstream out(path_, std::ios::binary);
    out.write(static_cast<const char*>(data), size);
    return path_;
  }

 private:
  btf* b_;
  int u8_, u16_, u32_, u64_, s32_, s64_, char_;
  std::string path_;
};

// struct rec as core_fields.c declares it (a@0 b@4 c@8 lo:3 hi:5 at byte 10, d@16; 24
// bytes), no `extra`, enum rec_mode with REC_MODE_FAST = 7.
void add_local_layout(TargetBtf& t) {
  btf* b = t.b();
  ASSERT_GT(btf__add_struct(b, "rec", 24), 0);
  btf__add_field(b, "a", t.u32(), 0, 0);
  btf__add_field(b, "b", t.u32(), 32, 0);
  btf__add_field(b, "c", t.u16(), 64, 0);
  btf__add_field(b, "lo", t.u8(), 80, 3);
  btf__add_field(b, "hi", t.u8(), 83, 5);
  btf__add_field(b, "d", t.u64(), 128, 0);
  ASSERT_GT(btf__add_enum(b, "rec_mode", 4), 0);
  btf__add_enum_value(b, "REC_MODE_OFF", 0);
  btf__add_enum_value(b, "REC_MODE_FAST", 7);
}

// A newer layout: d is a u32 at 0, b@8, a@12, hi:5 then lo:3 at byte 16, extra@20 (24
// bytes); REC_MODE_FAST = 9.
void add_moved_layout(TargetBtf& t) {
  btf* b = t.b();
  ASSERT_GT(btf__add_struct(b, "rec", 24), 0);
  btf__add_field(b, "d", t.u32(), 0, 0);
  btf__add_field(b, "pad", t.u32(), 32, 0);
  btf__add_field(b, "b", t.u32(), 64, 0);
  btf__add_field(b, "a", t.u32(), 96, 0);
  btf__add_field(b, "hi", t.u8(), 128, 5);
  btf__add_field(b, "lo", t.u8(), 133, 3);
  btf__add_field(b, "extra", t.u32(), 160, 0);
  ASSERT_GT(btf__add_enum(b, "rec_mode", 4), 0);
  btf__add_enum_value(b, "REC_MODE_FAST", 9);
  btf__add_enum_value(b, "REC_MODE_OFF", 0);
}

Result<LoadedObject> load_with(const std::string& file, const std::string& target_btf,
                               std::map<std::string, std::string> kconfig = {}) {
  LoadOptions opts;
  opts.target_btf = target_btf;
  opts.kconfig = std::move(kconfig);
  return load_object(read_prog(file), opts);
}

const CoreReloResult* find_relo(const LoadedProgram& p, const std::string& what,
                                CoreReloKind kind) {
  for (const CoreReloResult& r : p.core_relos) {
    if (r.what == what && r.kind == kind) return &r;
  }
  return nullptr;
}

// The message of the first error loading or preparing `program` of `file` through the
// public API (a program's load error surfaces at load or at prepare, depending on whether
// the loader isolates programs); "" when it loads and prepares.
std::string api_error(const std::string& file, const std::string& program,
                      const LoadSettings& settings = {}) {
  Runtime rt;
  auto obj = rt.load_bytes(read_prog(file), settings);
  if (!obj) return obj.error().to_string();
  Program* p = (*obj)->program(program);
  if (p == nullptr) return "no program " + program;
  PrepareOptions po;
  po.mem_size = 64;
  auto r = p->prepare(po);
  return r ? "" : r.error().to_string();
}

// Runs read_rec of `file` (a core_fields build) against `target_btf` on `buf` with
// `engine`.
Result<uint64_t> run_read_rec(const std::string& file, const std::string& target_btf,
                              std::vector<uint8_t> buf, EngineKind engine) {
  Runtime rt;
  LoadSettings s;
  s.target_btf = target_btf;
  auto obj = rt.load_bytes(read_prog(file), s);
  if (!obj) return obj.take_error();
  Program* p = (*obj)->program("read_rec");
  PrepareOptions po;
  po.engine = engine;
  po.mem_size = buf.size();
  if (auto r = p->prepare(po); !r) return r.take_error();
  return p->run(buf);
}

constexpr EngineKind kEngines[] = {EngineKind::kInterpreter, EngineKind::kJit};

// core_fields built by clang-19 (v3, v4) and by clang-14 (when installed).
class CoreFieldsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (read_prog(GetParam()).empty()) GTEST_SKIP() << GetParam() << " was not built";
  }
};

INSTANTIATE_TEST_SUITE_P(Builds, CoreFieldsTest,
                         ::testing::Values("core_fields.v3.o", "core_fields.v4.o",
                                           "core_fields.clang14.v3.o"),
                         [](const auto& info) {
                           std::string n = info.param;
                           n = n.substr(0, n.size() - 2);
                           std::replace(n.begin(), n.end(), '.', '_');
                           return n;
                         });

TEST_P(CoreFieldsTest, SameLayoutKeepsTheCompilersValues) {
  TargetBtf t;
  add_local_layout(t);
  const std::string path = t.write();
  auto obj = load_with(GetParam(), path);
  ASSERT_TRUE(obj) << obj.error().to_string();
  const LoadedProgram& p = obj->programs.at(0);
  const CoreReloResult* a = find_relo(p, "struct rec.a", CoreReloKind::kFieldByteOffset);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->local_value, 0u);
  EXPECT_EQ(a->target_value, 0u);
  const CoreReloResult* d = find_relo(p, "struct rec.d", CoreReloKind::kFieldByteOffset);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->target_value, 16u);
  EXPECT_EQ(p.insns[d->slot].off, 16);
  const CoreReloResult* dsz = find_relo(p, "struct rec.d", CoreReloKind::kFieldByteSize);
  ASSERT_NE(dsz, nullptr);
  EXPECT_EQ(dsz->target_value, 8u);
  // The target has no `extra`: the existence test answers 0, the load is poisoned.
  const CoreReloResult* ex = find_relo(p, "struct rec___new.extra", CoreReloKind::kFieldExists);
  ASSERT_NE(ex, nullptr);
  EXPECT_EQ(ex->target_value, 0u);
  EXPECT_FALSE(ex->poisoned);
  const CoreReloResult* exo =
      find_relo(p, "struct rec___new.extra", CoreReloKind::kFieldByteOffset);
  ASSERT_NE(exo, nullptr);
  EXPECT_TRUE(exo->poisoned);
  EXPECT_EQ(p.insns[exo->slot].op, Op::kCall);
  EXPECT_EQ(p.insns[exo->slot].imm, kCorePoisonHelper);
  // The bitfield: a one-byte load at byte 10, bits 3..7.
  const CoreReloResult* hi = find_relo(p, "struct rec.hi", CoreReloKind::kFieldByteOffset);
  ASSERT_NE(hi, nullptr);
  EXPECT_EQ(hi->target_value, 10u);
  EXPECT_EQ(find_relo(p, "struct rec.hi", CoreReloKind::kFieldByteSize)->target_value, 1u);
  EXPECT_EQ(find_relo(p, "struct rec.hi", CoreReloKind::kFieldLshiftU64)->target_value, 56u);
  EXPECT_EQ(find_relo(p, "struct rec.hi", CoreReloKind::kFieldRshiftU64)->target_value, 59u);
  EXPECT_EQ(find_relo(p, "enum rec_mode::REC_MODE_FAST", CoreReloKind::kEnumvalValue)
                ->target_value, 7u);
  EXPECT_EQ(find_relo(p, "struct rec", CoreReloKind::kTypeSize)->target_value, 24u);

  std::vector<uint8_t> buf(24, 0);
  buf[0] = 0x11;           // a
  buf[4] = 0x22;           // b
  buf[10] = 5 << 3 | 2;    // hi = 5, lo = 2
  buf[16] = 0x33;          // d
  const uint64_t want = 0x11 | 0x22ull << 8 | 0x33ull << 16 | 8ull << 24 | 5ull << 40 |
                        7ull << 48 | 24ull << 56;
  for (EngineKind e : kEngines) {
    auto r = run_read_rec(GetParam(), path, buf, e);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(*r, want) << std::hex << *r;
  }
}

TEST_P(CoreFieldsTest, MovedFieldsAreFollowed) {
  TargetBtf t;
  add_moved_layout(t);
  const std::string path = t.write();
  auto obj = load_with(GetParam(), path);
  ASSERT_TRUE(obj) << obj.error().to_string();
  const LoadedProgram& p = obj->programs.at(0);
  const CoreReloResult* a = find_relo(p, "struct rec.a", CoreReloKind::kFieldByteOffset);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->target_value, 12u);
  EXPECT_EQ(p.insns[a->slot].off, 12);
  EXPECT_EQ(find_relo(p, "struct rec.b", CoreReloKind::kFieldByteOffset)->target_value, 8u);
  // d shrank to a u32 at 0: the 8-byte load becomes a 4-byte one.
  const CoreReloResult* d = find_relo(p, "struct rec.d", CoreReloKind::kFieldByteOffset);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->target_value, 0u);
  EXPECT_EQ(p.insns[d->slot].op, Op::kLdxw);
  EXPECT_EQ(find_relo(p, "struct rec.d", CoreReloKind::kFieldByteSize)->target_value, 4u);
  EXPECT_EQ(find_relo(p, "struct rec___new.extra", CoreReloKind::kFieldExists)->target_value,
            1u);
  EXPECT_EQ(find_relo(p, "struct rec___new.extra", CoreReloKind::kFieldByteOffset)
                ->target_value, 20u);
  EXPECT_EQ(find_relo(p, "enum rec_mode::REC_MODE_FAST", CoreReloKind::kEnumvalValue)
                ->target_value, 9u);

  std::vector<uint8_t> buf(24, 0);
  buf[0] = 0x33;           // d
  buf[8] = 0x22;           // b
  buf[12] = 0x11;          // a
  buf[16] = 3 << 5 | 6;    // lo = 3, hi = 6
  buf[20] = 0x44;          // extra
  const uint64_t want = 0x11 | 0x22ull << 8 | 0x33ull << 16 | 4ull << 24 | 0x44ull << 32 |
                        6ull << 40 | 9ull << 48 | 24ull << 56;
  for (EngineKind e : kEngines) {
    auto r = run_read_rec(GetParam(), path, buf, e);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(*r, want) << std::hex << *r;
  }
}

TEST(CoreReloTest, WithoutTargetBtfTheFirstRelocationIsNamed) {
  const std::string msg = api_error("core_fields.v3.o", "read_rec");
  EXPECT_NE(msg.find("read_rec"), std::string::npos) << msg;
  EXPECT_NE(msg.find("CO-RE relocation of 'struct rec.a'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("needs a target BTF (give --btf FILE)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("insn 1:"), std::string::npos) << msg;
}

TEST(CoreReloTest, AnUnreadableTargetBtfIsNamed) {
  LoadSettings s;
  s.target_btf = "/nonexistent/vmlinux";
  const std::string msg = api_error("core_fields.v3.o", "read_rec", s);
  EXPECT_NE(msg.find("cannot read the target BTF /nonexistent/vmlinux"), std::string::npos)
      << msg;
}

// A field the target lacks on a path the program always takes: the poisoned instruction is
// reachable and the verifier refuses it there; a checked run stops at it.
TEST(CoreReloTest, AReachablePoisonedInstructionIsRefused) {
  TargetBtf t;
  btf* b = t.b();
  ASSERT_GT(btf__add_struct(b, "rec", 24), 0);
  btf__add_field(b, "b", t.u32(), 32, 0);  // no `a`
  btf__add_field(b, "lo", t.u8(), 80, 3);
  btf__add_field(b, "hi", t.u8(), 83, 5);
  btf__add_field(b, "d", t.u64(), 128, 0);
  ASSERT_GT(btf__add_enum(b, "rec_mode", 4), 0);
  btf__add_enum_value(b, "REC_MODE_FAST", 7);
  const std::string path = t.write();
  auto obj = load_with("core_fields.v3.o", path);
  ASSERT_TRUE(obj) << obj.error().to_string();
  const CoreReloResult* a =
      find_relo(obj->programs.at(0), "struct rec.a", CoreReloKind::kFieldByteOffset);
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->poisoned);

  Runtime rt;
  LoadSettings s;
  s.target_btf = path;
  auto o = rt.load_bytes(read_prog("core_fields.v3.o"), s);
  ASSERT_TRUE(o) << o.error().to_string();
  Program* p = (*o)->program("read_rec");
  PrepareOptions po;
  po.mem_size = 24;
  auto r = p->prepare(po);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().insn, a->slot) << r.error().to_string();
  EXPECT_NE(r.error().message.find(std::to_string(kCorePoisonHelper)), std::string::npos)
      << r.error().to_string();
  EXPECT_NE(r.error().message.find("CO-RE relocation of 'struct rec.a' (field_byte_offset, "
                                   "access 0:0) that the target BTF cannot satisfy"),
            std::string::npos) << r.error().to_string();
  for (EngineKind e : kEngines) {
    po.engine = e;
    po.safety = Safety::kChecked;
    ASSERT_TRUE(p->prepare(po)) << "checked prepare";
    std::vector<uint8_t> buf(24, 0);
    auto run = p->run(buf);
    ASSERT_FALSE(run);
    EXPECT_EQ(run.error().insn, a->slot) << run.error().to_string();
  }
}

TEST(CoreReloTest, AmbiguousTargetsAreAnError) {
  TargetBtf t;
  add_local_layout(t);
  btf* b = t.b();
  // A second `rec___v2` flavor in the target whose `a` lies elsewhere.
  ASSERT_GT(btf__add_struct(b, "rec___v2", 8), 0);
  btf__add_field(b, "a", t.u32(), 32, 0);
  auto obj = load_with("core_fields.v3.o", t.write());
  ASSERT_TRUE(obj) << obj.error().to_string();  // the error is the program's own
  ASSERT_FALSE(obj->programs.empty());
  const LoadedProgram& p = obj->programs.front();
  ASSERT_TRUE(p.load_error);
  EXPECT_NE(p.load_error->message.find("ambiguous"), std::string::npos)
      << p.load_error->message;
  EXPECT_NE(p.load_error->message.find("'struct rec.a'"), std::string::npos)
      << p.load_error->message;
}

// The tracing fixture against an "old kernel": no __state but `long state`, fields at
// other offsets, another pid_type numbering.
TEST(CoreReloTest, TracingProgramsAgainstAnOldKernelLayout) {
  TargetBtf t;
  btf* b = t.b();
  // Fields attach to the last type added: the array comes first, the pointer to the
  // struct after its fields (with the id it will get).
  const int comm = btf__add_array(b, t.u32(), t.chr(), 16);
  const int task = btf__add_struct(b, "task_struct", 64);
  ASSERT_GT(task, 0);
  const int task_ptr = task + 1;
  ASSERT_EQ(btf__add_field(b, "state", t.s64(), 0, 0), 0);
  ASSERT_EQ(btf__add_field(b, "real_parent", task_ptr, 64, 0), 0);
  ASSERT_EQ(btf__add_field(b, "comm", comm, 128, 0), 0);
  ASSERT_EQ(btf__add_field(b, "pid", t.s32(), 256, 0), 0);
  ASSERT_EQ(btf__add_field(b, "tgid", t.s32(), 288, 0), 0);
  ASSERT_EQ(btf__add_ptr(b, task), task_ptr);
  ASSERT_GT(btf__add_enum(b, "pid_type", 4), 0);
  btf__add_enum_value(b, "PIDTYPE_PID", 0);
  btf__add_enum_value(b, "PIDTYPE_TGID", 2);
  const std::string path = t.write();
  for (const char* file : {"core_task.v3.o", "core_task.v4.o", "core_task.clang14.v3.o"}) {
    SCOPED_TRACE(file);
    if (read_prog(file).empty()) continue;  // clang-14 is optional
    auto obj = load_with(file, path);
    ASSERT_TRUE(obj) << obj.error().to_string();
    ASSERT_EQ(obj->programs.size(), 3u);
    const LoadedProgram* exit_prog = nullptr;
    const LoadedProgram* on_exit = nullptr;
    const LoadedProgram* on_switch = nullptr;
    for (const LoadedProgram& p : obj->programs) {
      if (p.name == "trace_exit") exit_prog = &p;
      if (p.name == "on_exit") on_exit = &p;
      if (p.name == "on_switch") on_switch = &p;
    }
    ASSERT_TRUE(exit_prog && on_exit && on_switch);
    EXPECT_EQ(exit_prog->section, "kprobe/do_exit");
    EXPECT_EQ(find_relo(*exit_prog, "struct task_struct.real_parent",
                        CoreReloKind::kFieldByteOffset)->target_value, 8u);
    EXPECT_EQ(find_relo(*exit_prog, "struct task_struct.tgid", CoreReloKind::kFieldByteOffset)
                  ->target_value, 36u);
    EXPECT_EQ(find_relo(*exit_prog, "struct task_struct.__state", CoreReloKind::kFieldExists)
                  ->target_value, 0u);
    const CoreReloResult* st =
        find_relo(*exit_prog, "struct task_struct___old.state", CoreReloKind::kFieldByteOffset);
    ASSERT_NE(st, nullptr);
    EXPECT_FALSE(st->poisoned);
    EXPECT_EQ(st->target_value, 0u);
    const CoreReloResult* pid =
        find_relo(*on_exit, "struct task_struct.pid", CoreReloKind::kFieldByteOffset);
    ASSERT_NE(pid, nullptr);
    EXPECT_EQ(pid->target_value, 32u);
    EXPECT_EQ(on_exit->insns[pid->slot].off, 32);  // a direct load follows the field
    EXPECT_EQ(find_relo(*on_exit, "enum pid_type::PIDTYPE_TGID", CoreReloKind::kEnumvalValue)
                  ->target_value, 2u);
    EXPECT_EQ(find_relo(*on_switch, "struct task_struct.comm", CoreReloKind::kFieldByteOffset)
                  ->target_value, 16u);
    EXPECT_EQ(find_relo(*on_switch, "struct task_struct___old", CoreReloKind::kTypeExists)
                  ->target_value, 1u);
    EXPECT_EQ(find_relo(*on_switch, "struct task_struct", CoreReloKind::kTypeIdTarget)
                  ->target_value, static_cast<uint64_t>(task));
  }
}

TEST(CoreReloTest, ResolvesAgainstTheRunningKernel) {
  const std::string vmlinux = default_linux_target_btf();
  if (vmlinux.empty()) GTEST_SKIP() << "/sys/kernel/btf/vmlinux does not exist";
  auto obj = load_with("core_task.v3.o", vmlinux);
  ASSERT_TRUE(obj) << obj.error().to_string();
  btf* k = btf__parse_raw(vmlinux.c_str());
  ASSERT_NE(k, nullptr);
  const int task = btf__find_by_name_kind(k, "task_struct", BTF_KIND_STRUCT);
  btf__free(k);
  for (const LoadedProgram& p : obj->programs) {
    for (const CoreReloResult& r : p.core_relos) {
      // Only one of the two state fields exists in a given kernel.
      if (r.what.find("state") == std::string::npos) {
        EXPECT_FALSE(r.poisoned) << p.name << " " << r.what;
      }
      if (r.kind == CoreReloKind::kTypeIdTarget) {
        EXPECT_EQ(r.target_value, static_cast<uint64_t>(task));
      }
    }
  }
}

// core_kinds.c against a layout where the union and the array moved: tag@0 delta@4
// union@8 items@12; a typedef outer_t; enum color with GREEN = 5; no `missing`.
TEST(CoreReloTest, ArraysUnionsTypesAndEnums) {
  TargetBtf t;
  btf* b = t.b();
  const int inner = btf__add_struct(b, "inner", 4);
  ASSERT_EQ(btf__add_field(b, "x", t.u16(), 0, 0), 0);
  ASSERT_EQ(btf__add_field(b, "y", t.u16(), 16, 0), 0);
  const int items = btf__add_array(b, t.u32(), inner, 4);
  const int bytes = btf__add_array(b, t.u32(), t.u8(), 4);
  const int uni = btf__add_union(b, nullptr, 4);
  ASSERT_EQ(btf__add_field(b, "as_u32", t.u32(), 0, 0), 0);
  ASSERT_EQ(btf__add_field(b, "bytes", bytes, 0, 0), 0);
  const int outer = btf__add_struct(b, "outer", 28);
  ASSERT_EQ(btf__add_field(b, "tag", t.u32(), 0, 0), 0);
  ASSERT_EQ(btf__add_field(b, "delta", t.s32(), 32, 0), 0);
  ASSERT_EQ(btf__add_field(b, nullptr, uni, 64, 0), 0);
  ASSERT_EQ(btf__add_field(b, "items", items, 96, 0), 0);
  ASSERT_GT(btf__add_typedef(b, "outer_t", outer), 0);
  ASSERT_GT(btf__add_enum(b, "color", 4), 0);
  btf__add_enum_value(b, "RED", 1);
  btf__add_enum_value(b, "GREEN", 5);
  const std::string path = t.write();
  auto obj = load_with("core_kinds.v3.o", path);
  ASSERT_TRUE(obj) << obj.error().to_string();
  const LoadedProgram& p = obj->programs.at(0);
  EXPECT_EQ(find_relo(p, "struct outer.items[2]", CoreReloKind::kFieldByteOffset)->target_value,
            20u);
  EXPECT_EQ(find_relo(p, "struct outer.as_u32", CoreReloKind::kFieldByteOffset)->target_value,
            8u);
  EXPECT_EQ(find_relo(p, "struct outer.delta", CoreReloKind::kFieldSigned)->target_value, 1u);
  EXPECT_EQ(find_relo(p, "struct outer.items[1].x", CoreReloKind::kFieldByteOffset)
                ->target_value, 16u);
  EXPECT_EQ(find_relo(p, "struct outer", CoreReloKind::kTypeMatches)->target_value, 1u);
  EXPECT_EQ(find_relo(p, "struct missing___x", CoreReloKind::kTypeExists)->target_value, 0u);
  EXPECT_EQ(find_relo(p, "enum color::GREEN", CoreReloKind::kEnumvalExists)->target_value, 1u);
  EXPECT_EQ(find_relo(p, "enum color::GREEN", CoreReloKind::kEnumvalValue)->target_value, 5u);
  EXPECT_EQ(find_relo(p, "outer_t", CoreReloKind::kTypeSize)->target_value, 28u);
  const CoreReloResult* local_id = find_relo(p, "outer_t", CoreReloKind::kTypeIdLocal);
  ASSERT_NE(local_id, nullptr);
  EXPECT_EQ(local_id->target_value, local_id->local_value);
  EXPECT_GT(local_id->local_value, 0u);

  std::vector<uint8_t> buf(28, 0);
  buf[8] = 0x5a;   // as_u32
  buf[22] = 0x77;  // items[2].y
  const uint64_t want = 0x77 | 0x5aull << 8 | 1ull << 16 | 16ull << 24 | 1ull << 32 |
                        0ull << 33 | 1ull << 34 | 5ull << 40 | 28ull << 48 |
                        (local_id->local_value & 0xff) << 56;
  Runtime rt;
  LoadSettings s;
  s.target_btf = path;
  auto o = rt.load_bytes(read_prog("core_kinds.v3.o"), s);
  ASSERT_TRUE(o) << o.error().to_string();
  Program* prog = (*o)->program("kinds");
  for (EngineKind e : kEngines) {
    PrepareOptions po;
    po.engine = e;
    po.mem_size = buf.size();
    ASSERT_TRUE(prog->prepare(po));
    auto r = prog->run(buf);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(*r, want) << std::hex << *r;
  }

  // A target whose `outer` has another member type does not match it, but it still
  // exists and its fields still relocate.
  TargetBtf t2;
  btf* b2 = t2.b();
  const int inner2 = btf__add_struct(b2, "inner", 4);
  ASSERT_EQ(btf__add_field(b2, "x", t2.u16(), 0, 0), 0);
  ASSERT_EQ(btf__add_field(b2, "y", t2.u16(), 16, 0), 0);
  const int items2 = btf__add_array(b2, t2.u32(), inner2, 4);
  ASSERT_GT(btf__add_struct(b2, "outer", 28), 0);
  ASSERT_EQ(btf__add_field(b2, "tag", t2.u64(), 0, 0), 0);  // u64, not u32
  ASSERT_EQ(btf__add_field(b2, "as_u32", t2.u32(), 64, 0), 0);
  ASSERT_EQ(btf__add_field(b2, "items", items2, 96, 0), 0);
  ASSERT_EQ(btf__add_field(b2, "delta", t2.u32(), 224, 0), 0);
  auto obj2 = load_with("core_kinds.v3.o", t2.write());
  ASSERT_TRUE(obj2) << obj2.error().to_string();
  const LoadedProgram& p2 = obj2->programs.at(0);
  EXPECT_EQ(find_relo(p2, "struct outer", CoreReloKind::kTypeMatches)->target_value, 0u);
  EXPECT_EQ(find_relo(p2, "struct outer.delta", CoreReloKind::kFieldSigned)->target_value, 0u);
  EXPECT_EQ(find_relo(p2, "struct outer.as_u32", CoreReloKind::kFieldByteOffset)->target_value,
            8u);
  // No enum color, no typedef outer_t: the existence test and the type size answer 0
  // (as libbpf 1.1 does), the enum value is poisoned, both slots of its lddw.
  EXPECT_EQ(find_relo(p2, "enum color::GREEN", CoreReloKind::kEnumvalExists)->target_value, 0u);
  const CoreReloResult* green = find_relo(p2, "enum color::GREEN", CoreReloKind::kEnumvalValue);
  ASSERT_TRUE(green->poisoned);
  EXPECT_EQ(p2.insns[green->slot].op, Op::kCall);
  EXPECT_EQ(p2.insns[green->slot + 1].op, Op::kCall);
  EXPECT_EQ(p2.insns[green->slot + 1].imm, kCorePoisonHelper);
  const CoreReloResult* size = find_relo(p2, "outer_t", CoreReloKind::kTypeSize);
  EXPECT_FALSE(size->poisoned);
  EXPECT_EQ(size->target_value, 0u);
}

// libbpf's own relocation of core_fields and core_kinds against core_target.v3.o's BTF,
// recorded in test/loader/data/libbpf_core_relo.txt: every instruction a CO-RE record
// patched (or poisoned) must come out the same here.
TEST(CoreReloTest, MatchesLibbpfsRelocation) {
  std::ifstream in(std::string(BPFJIT_TEST_DATA_DIR) + "/libbpf_core_relo.txt");
  ASSERT_TRUE(in) << "missing " << BPFJIT_TEST_DATA_DIR << "/libbpf_core_relo.txt";
  // object -> program -> slots
  std::map<std::string, std::map<std::string, std::vector<RawInsn>>> want;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string object, program;
    uint32_t slot = 0;
    unsigned opcode = 0, regs = 0;
    int off = 0, imm = 0;
    ls >> object >> program >> slot >> std::hex >> opcode >> regs >> std::dec >> off >> imm;
    ASSERT_TRUE(ls) << line;
    auto& v = want[object][program];
    ASSERT_EQ(v.size(), slot) << line;
    v.push_back(RawInsn{static_cast<uint8_t>(opcode), static_cast<uint8_t>(regs),
                        static_cast<int16_t>(off), imm});
  }
  ASSERT_EQ(want.size(), 2u);
  const std::string target = testing::prog_path("core_target.v3.o");
  size_t compared = 0;
  for (const auto& [object, programs] : want) {
    auto obj = load_with(object, target);
    ASSERT_TRUE(obj) << object << ": " << obj.error().to_string();
    for (const LoadedProgram& p : obj->programs) {
      auto it = programs.find(p.name);
      ASSERT_NE(it, programs.end()) << object << " " << p.name;
      const std::vector<RawInsn> ours = encode(p.insns);
      const std::vector<RawInsn>& theirs = it->second;
      std::vector<bool> relocated(ours.size(), false);
      for (const CoreReloResult& r : p.core_relos) {
        relocated.at(r.slot) = true;
        if (r.poisoned && p.insns[r.slot].op == Op::kCall && r.slot + 1 < ours.size() &&
            p.insns[r.slot + 1].op == Op::kCall) {
          relocated.at(r.slot + 1) = true;
        }
      }
      auto same = [](const RawInsn& a, const RawInsn& b) {
        return a.opcode == b.opcode && a.regs == b.regs && a.off == b.off && a.imm == b.imm;
      };
      bool compiled_alike = ours.size() == theirs.size();
      for (size_t i = 0; compiled_alike && i < ours.size(); ++i) {
        if (!relocated[i] && !same(ours[i], theirs[i])) compiled_alike = false;
      }
      if (!compiled_alike) {
        GTEST_SKIP() << object << " " << p.name << " was compiled differently from the "
                     << "recording (another clang?); re-record it with "
                     << "test/loader/tools/libbpf_core_oracle.c";
      }
      for (size_t i = 0; i < ours.size(); ++i) {
        if (!relocated[i]) continue;
        ++compared;
        EXPECT_TRUE(same(ours[i], theirs[i]))
            << object << " " << p.name << " slot " << i << ": ours opcode 0x" << std::hex
            << unsigned{ours[i].opcode} << " off " << std::dec << ours[i].off << " imm "
            << ours[i].imm << ", libbpf's opcode 0x" << std::hex << unsigned{theirs[i].opcode}
            << " off " << std::dec << theirs[i].off << " imm " << theirs[i].imm;
      }
    }
  }
  EXPECT_GT(compared, 20u);
}

// Damaged CO-RE records are load errors or harmless, never a crash: every byte of
// .BTF.ext is replaced by a few values in turn.
TEST(CoreReloTest, DamagedBtfExtIsHandled) {
  TargetBtf t;
  add_moved_layout(t);
  const std::string path = t.write();
  const std::vector<uint8_t> bytes = read_prog("core_fields.v3.o");
  // .BTF.ext starts with its magic, version 1, flags 0 and a 32-byte header.
  const uint8_t head[] = {0x9f, 0xeb, 0x01, 0x00, 0x20, 0x00, 0x00, 0x00};
  auto it = std::search(bytes.begin(), bytes.end(), std::begin(head), std::end(head));
  ASSERT_NE(it, bytes.end());
  const size_t start = static_cast<size_t>(it - bytes.begin());
  uint32_t len = 0;
  std::memcpy(&len, bytes.data() + start + 28, 4);  // core_relo_len
  uint32_t off = 0;
  std::memcpy(&off, bytes.data() + start + 24, 4);  // core_relo_off
  const size_t end = std::min(bytes.size(), start + 32 + off + len);
  ASSERT_GT(end, start + 32);
  LoadOptions opts;
  opts.target_btf = path;
  size_t refused = 0;
  for (size_t i = start; i < end; ++i) {
    for (uint8_t v : {uint8_t{0x00}, uint8_t{0xff}, uint8_t{0x07}}) {
      std::vector<uint8_t> b = bytes;
      if (b[i] == v) continue;
      b[i] = v;
      auto obj = load_object(b, opts);
      if (!obj) {
        ++refused;
        EXPECT_FALSE(obj.error().message.empty());
      }
    }
  }
  EXPECT_GT(refused, 0u);
}

// ---------------------------------------------------------------------------------------
// .kconfig

TEST(KconfigTest, ExternsAreLaidOutAndFilled) {
  std::map<std::string, std::string> cfg = {
      {"LINUX_KERNEL_VERSION", "394752"},  // 6.6.0
      {"CONFIG_BPF_SYSCALL", "y"},
      {"CONFIG_NF_CONNTRACK", "m"},
      {"CONFIG_HZ", "250"},
      {"CONFIG_DEFAULT_HOSTNAME", "\"box\""},
  };
  auto obj = load_with("kconfig_externs.v3.o", "", cfg);
  ASSERT_TRUE(obj) << obj.error().to_string();
  const DataImage* img = nullptr;
  for (const DataImage& d : obj->data) {
    if (d.name == ".kconfig") img = &d;
  }
  ASSERT_NE(img, nullptr);
  EXPECT_TRUE(img->readonly);
  // Largest alignment first, then smaller sizes, then names.
  std::map<std::string, uint64_t> offsets;
  for (const DataImage::Var& v : img->vars) offsets[v.name] = v.offset;
  EXPECT_EQ(offsets["CONFIG_HZ"], 0u);
  EXPECT_EQ(offsets["CONFIG_NF_CONNTRACK"], 4u);
  EXPECT_EQ(offsets["LINUX_KERNEL_VERSION"], 8u);
  EXPECT_EQ(offsets["CONFIG_BPF_SYSCALL"], 12u);
  EXPECT_EQ(offsets["CONFIG_NOT_GIVEN"], 13u);
  EXPECT_EQ(offsets["CONFIG_DEFAULT_HOSTNAME"], 14u);
  ASSERT_EQ(img->bytes.size(), 22u);
  uint32_t hz = 0;
  std::memcpy(&hz, img->bytes.data(), 4);
  EXPECT_EQ(hz, 250u);
  EXPECT_EQ(img->bytes[4], 2);  // TRI_MODULE
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(img->bytes.data() + 14)), "box");

  Runtime rt;
  LoadSettings s;
  s.kconfig = cfg;
  auto o = rt.load_bytes(read_prog("kconfig_externs.v3.o"), s);
  ASSERT_TRUE(o) << o.error().to_string();
  Program* p = (*o)->program("read_config");
  const uint64_t want = 394752 | 1ull << 24 | 2ull << 28 | 250ull << 32 | uint64_t{'b'} << 48;
  for (EngineKind e : kEngines) {
    PrepareOptions po;
    po.engine = e;
    po.mem_size = 8;
    ASSERT_TRUE(p->prepare(po));
    std::vector<uint8_t> buf(8, 0);
    auto r = p->run(buf);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(*r, want) << std::hex << *r;
  }
}

TEST(KconfigTest, AStrongExternWithoutAValueIsNamed) {
  auto obj = load_with("kconfig_externs.v3.o", "", {{"CONFIG_HZ", "100"}});
  ASSERT_FALSE(obj);
  EXPECT_EQ(obj.error().message,
            "extern LINUX_KERNEL_VERSION (.kconfig) has no value: give it with --kconfig "
            "FILE, or declare it __weak");
}

TEST(KconfigTest, ValuesMustFitTheirType) {
  auto bad_int = load_with("kconfig_externs.v3.o", "",
                           {{"LINUX_KERNEL_VERSION", "1"}, {"CONFIG_HZ", "ten"}});
  ASSERT_FALSE(bad_int);
  EXPECT_NE(bad_int.error().message.find("CONFIG_HZ (.kconfig): value 'ten' is not a number"),
            std::string::npos) << bad_int.error().message;
  auto bad_bool = load_with("kconfig_externs.v3.o", "",
                            {{"LINUX_KERNEL_VERSION", "1"}, {"CONFIG_BPF_SYSCALL", "2"}});
  ASSERT_FALSE(bad_bool);
  EXPECT_NE(bad_bool.error().message.find("is not y, m or n"), std::string::npos);
  auto long_str = load_with("kconfig_externs.v3.o", "",
                            {{"LINUX_KERNEL_VERSION", "1"},
                             {"CONFIG_DEFAULT_HOSTNAME", "\"a-long-name\""}});
  ASSERT_FALSE(long_str);
  EXPECT_NE(long_str.error().message.find("does not fit 8 bytes"), std::string::npos);
  auto big = load_with("kconfig_externs.v3.o", "", {{"LINUX_KERNEL_VERSION", "0x100000000"}});
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("does not fit a 4-byte unsigned int"), std::string::npos);
}

TEST(KconfigTest, ParsesKernelConfigFiles) {
  auto cfg = parse_kconfig(
      "#\n# Automatically generated file; DO NOT EDIT.\n#\nCONFIG_BPF=y\n"
      "CONFIG_NF_CONNTRACK=m\n# CONFIG_KASAN is not set\nCONFIG_HZ=250\n"
      "CONFIG_DEFAULT_HOSTNAME=\"(none)\"\n\nCONFIG_BASE_SMALL=0x10\n");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->at("CONFIG_BPF"), "y");
  EXPECT_EQ(cfg->at("CONFIG_NF_CONNTRACK"), "m");
  EXPECT_EQ(cfg->at("CONFIG_KASAN"), "n");
  EXPECT_EQ(cfg->at("CONFIG_HZ"), "250");
  EXPECT_EQ(cfg->at("CONFIG_DEFAULT_HOSTNAME"), "\"(none)\"");
  EXPECT_EQ(cfg->at("CONFIG_BASE_SMALL"), "0x10");
  EXPECT_EQ(cfg->size(), 6u);
  auto bad = parse_kconfig("CONFIG_A=y\nnonsense\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "kernel config line 2: 'nonsense' is not NAME=VALUE");
  auto open = parse_kconfig("CONFIG_S=\"abc\n");
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error().message, "kernel config line 1: the string of CONFIG_S is not closed");
}

TEST(KconfigTest, KernelVersionFromRelease) {
  EXPECT_EQ(kernel_version_from_release("6.1.0-18-amd64"), (6u << 16) + (1u << 8));
  EXPECT_EQ(kernel_version_from_release("5.15.300"), (5u << 16) + (15u << 8) + 255u);
  EXPECT_EQ(kernel_version_from_release("6.18"), (6u << 16) + (18u << 8));
  EXPECT_EQ(kernel_version_from_release("linux"), std::nullopt);
}

TEST(KconfigTest, ReadsAConfigFileAndNamesItInErrors) {
  const std::string dir = ::testing::TempDir();
  const std::string good = dir + "/bpfjit_kconfig_good";
  const std::string bad = dir + "/bpfjit_kconfig_bad";
  std::ofstream(good) << "CONFIG_BPF=y\nCONFIG_HZ=1000\n";
  std::ofstream(bad) << "CONFIG_BPF=y\nCONFIG_BROKEN\n";
  auto cfg = read_kconfig_file(good);
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->at("CONFIG_HZ"), "1000");
  auto refused = read_kconfig_file(bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kLoad);
  EXPECT_EQ(refused.error().message,
            bad + ": kernel config line 2: 'CONFIG_BROKEN' is not NAME=VALUE");
  auto missing = read_kconfig_file(dir + "/bpfjit_kconfig_absent");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  EXPECT_EQ(missing.error().message, "cannot open " + dir + "/bpfjit_kconfig_absent");
  std::filesystem::remove(good);
  std::filesystem::remove(bad);
}

TEST(KconfigTest, LinuxPlatformValuesComeFromTheRunningKernel) {
  utsname u{};
  ASSERT_EQ(uname(&u), 0);
  auto cfg = linux_platform_kconfig();
  auto version = kernel_version_from_release(u.release);
  if (version) {
    EXPECT_EQ(cfg.at("LINUX_KERNEL_VERSION"), std::to_string(*version));
  } else {
    EXPECT_EQ(cfg.count("LINUX_KERNEL_VERSION"), 0u);
  }
  EXPECT_EQ(cfg.at("LINUX_HAS_SYSCALL_WRAPPER"), "y");
  EXPECT_EQ(cfg.at("LINUX_HAS_BPF_COOKIE"), "y");
}

TEST(LoaderNamesTest, LddwReferenceKinds) {
  EXPECT_STREQ(lddw_ref_kind_name(LddwRefKind::kMap), "map");
  EXPECT_STREQ(lddw_ref_kind_name(LddwRefKind::kMapValue), "map value");
  EXPECT_STREQ(lddw_ref_kind_name(LddwRefKind::kCode), "code");
}

// ---------------------------------------------------------------------------------------
// __ksym and kfuncs

TEST(KsymTest, AKsymVariableIsRefusedByName) {
  const std::string msg = api_error("ksym_extern.v3.o", "read_ksym");
  EXPECT_NE(msg.find("program read_ksym: refers to kernel symbol 'bpf_prog_active' (__ksym "
                     "externs are not supported)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("insn 0:"), std::string::npos) << msg;
}

TEST(KsymTest, AKfuncCallIsRefusedByName) {
  const std::string msg = api_error("kfunc_call.v3.o", "take_task");
  EXPECT_NE(msg.find("program take_task: calls kfunc 'bpf_task_acquire' (kfuncs are not "
                     "supported)"), std::string::npos) << msg;
}

TEST(KsymTest, InspectionListsExternRelocations) {
  Runtime rt;
  LoadSettings s;
  s.kconfig = {{"LINUX_KERNEL_VERSION", "1"}};
  auto obj = rt.load_bytes(read_prog("kconfig_externs.v3.o"), s);
  ASSERT_TRUE(obj) << obj.error().to_string();
  bool found = false;
  for (const RelocationInfo& r : (*obj)->relocations()) {
    if (r.symbol == "CONFIG_HZ") {
      found = true;
      EXPECT_EQ(r.target, ".kconfig+0");
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace bpfjit
