// The runtime's limits (README "Limits"): each one hit, with the error it gives. Program
// size in the decoder, the verifier and the ELF loader; the verifier's time and memory; the
// runtime's map memory budget and the per-map caps.
#include <bpf/btf.h>
#include <elf.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bpfjit/runtime.h"
#include "runtime/api_internal.h"
#include "runtime/isa/asm.h"
#include "runtime/isa/decode.h"
#include "runtime/loader/loader.h"
#include "test/soundness/elf_writer.h"
#include "verifier/verifier.h"

namespace bpfjit {
namespace {

constexpr EngineKind kEngines[] = {EngineKind::kInterpreter, EngineKind::kJit};

// `mov %r0, 0`, `count` copies of `add %r0, 1` and an exit: a straight line of count + 2
// slots that returns count.
std::vector<Insn> add_chain(size_t count) {
  auto three = assemble("mov %r0, 0\nadd %r0, 1\nexit");
  EXPECT_TRUE(three.ok());
  std::vector<Insn> insns(count + 1, (*three)[1]);
  insns[0] = (*three)[0];
  insns.push_back((*three)[2]);
  return insns;
}

std::unique_ptr<Object> load_insns(Runtime& rt, const std::vector<Insn>& insns,
                                   const std::vector<soundness::ElfMap>& maps = {}) {
  auto elf = soundness::build_object(insns, maps, "mem/limits");
  EXPECT_TRUE(elf.ok()) << elf.error().to_string();
  if (!elf.ok()) return nullptr;
  auto obj = rt.load_bytes(*elf);
  EXPECT_TRUE(obj.ok()) << obj.error().to_string();
  return obj.ok() ? std::move(obj).value() : nullptr;
}

std::unique_ptr<Object> load_prog(Runtime& rt, const char* file) {
  auto obj = rt.load_file(std::string(BPFJIT_BPF_PROGS_DIR) + "/" + file);
  EXPECT_TRUE(obj.ok()) << obj.error().to_string();
  return obj.ok() ? std::move(obj).value() : nullptr;
}

// --- Program size ------------------------------------------------------------------------

TEST(LimitsTest, ProgramSizeInTheDecoder) {
  std::vector<RawInsn> raw(kMaxProgramSlots + 1, encode(add_chain(0))[0]);
  auto d = decode(raw);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message, "the program has 1000001 slots, the limit is 1000000");
  auto v = validate(add_chain(kMaxProgramSlots - 1));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().message, "the program has 1000001 slots, the limit is 1000000");
  EXPECT_TRUE(validate(add_chain(kMaxProgramSlots - 2)).ok());
}

TEST(LimitsTest, ProgramSizeInTheVerifier) {
  const std::vector<Insn> insns = add_chain(kMaxProgramSlots - 1);
  const ProgramType* mem = verifier::runtime_platform().find_type("mem");
  ASSERT_NE(mem, nullptr);
  verifier::VerifyInput in{insns, {}, {}, *mem, {}, {}, verifier::runtime_platform()};
  verifier::VerifyResult r = verifier::verify(in);
  ASSERT_FALSE(r.accepted);
  EXPECT_EQ(r.error_text(), "program size: the program has 1000001 slots, the limit is 1000000");
}

TEST(LimitsTest, ProgramSizeInTheLoader) {
  Runtime rt;
  auto obj = load_insns(rt, add_chain(kMaxProgramSlots - 1));
  ASSERT_NE(obj, nullptr);
  Program* prog = obj->program("prog");
  ASSERT_NE(prog, nullptr);
  ASSERT_NE(prog->load_error(), nullptr);
  EXPECT_EQ(prog->load_error()->message,
            "program prog needs more than 1000000 slots after linking prog");
  for (EngineKind e : kEngines) {
    PrepareOptions o;
    o.engine = e;
    o.safety = Safety::kChecked;
    auto r = prog->prepare(o);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("needs more than 1000000 slots"), std::string::npos);
  }
}

// --- ELF ---------------------------------------------------------------------------------

// `bytes` with its section table grown to `count` entries (empty sections, named ""), in
// the extended numbering: e_shnum 0 and the count in section 0's sh_size.
std::vector<uint8_t> with_sections(std::vector<uint8_t> bytes, size_t count) {
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof(eh));
  std::vector<Elf64_Shdr> sh(eh.e_shnum);
  std::memcpy(sh.data(), bytes.data() + eh.e_shoff, sh.size() * sizeof(Elf64_Shdr));
  Elf64_Shdr empty{};
  empty.sh_type = SHT_PROGBITS;
  sh.resize(count, empty);
  sh[0].sh_size = count;
  eh.e_shnum = 0;
  eh.e_shoff = bytes.size();
  std::memcpy(bytes.data(), &eh, sizeof(eh));
  const auto* p = reinterpret_cast<const uint8_t*>(sh.data());
  bytes.insert(bytes.end(), p, p + sh.size() * sizeof(Elf64_Shdr));
  return bytes;
}

TEST(LimitsTest, ElfSectionCount) {
  auto elf = soundness::build_object(add_chain(3), {}, "mem/limits");
  ASSERT_TRUE(elf.ok());
  Runtime rt;
  auto at_limit = rt.load_bytes(with_sections(*elf, 65535));
  ASSERT_TRUE(at_limit.ok()) << at_limit.error().to_string();
  for (EngineKind e : kEngines) {
    PrepareOptions o;
    o.engine = e;
    Program* prog = (*at_limit)->program("prog");
    ASSERT_NE(prog, nullptr);
    ASSERT_TRUE(prog->prepare(o).ok());
    std::vector<uint8_t> buf;
    EXPECT_EQ(*prog->run(buf), 3u);
  }
  auto over = rt.load_bytes(with_sections(*elf, 65536));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::kLoad);
  EXPECT_EQ(over.error().message, "the object has 65536 sections, the limit is 65535");
}

TEST(LimitsTest, ElfRelocationCount) {
  auto insns = assemble("lddw %r1, map_fd 0\nlddw %r2, map_fd 0\nmov %r0, 0\nexit");
  ASSERT_TRUE(insns.ok()) << insns.error().to_string();
  auto elf = soundness::build_object(*insns, {{2, 4, 8, 1, 0}}, "mem/limits");
  ASSERT_TRUE(elf.ok()) << elf.error().to_string();
  LoadOptions opts;
  opts.max_relocations = 2;
  EXPECT_TRUE(load_object(*elf, opts).ok());
  opts.max_relocations = 1;
  auto r = load_object(*elf, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kLoad);
  EXPECT_NE(r.error().message.find("the object has more than 1 relocations"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(LoadOptions{}.max_relocations, 4'000'000u);
}

// --- BTF depth -----------------------------------------------------------------------------

using BtfPtr = std::unique_ptr<btf, decltype(&btf__free)>;

// Loads a one-instruction object whose .BTF is `b`; the load's error, or "" when it loads.
std::string load_with_btf(const btf* b) {
  uint32_t size = 0;
  const auto* raw = static_cast<const uint8_t*>(btf__raw_data(b, &size));
  auto elf = soundness::build_object(add_chain(0), {}, "mem/limits",
                                     std::vector<uint8_t>(raw, raw + size));
  EXPECT_TRUE(elf.ok());
  Runtime rt;
  auto obj = rt.load_bytes(*elf);
  if (obj.ok()) {
    EXPECT_TRUE((*obj)->has_btf());
    return "";
  }
  EXPECT_EQ(obj.error().code, ErrorCode::kLoad);
  return obj.error().message;
}

TEST(LimitsTest, BtfChainDepth) {
  for (bool pointers : {false, true}) {
    BtfPtr b(btf__new_empty(), btf__free);
    int id = btf__add_int(b.get(), "int", 4, BTF_INT_SIGNED);
    // 32 links from type 33 down to the int: the limit.
    for (int i = 0; i < 32; ++i) {
      id = pointers && i % 2 ? btf__add_ptr(b.get(), id) : btf__add_const(b.get(), id);
    }
    ASSERT_EQ(id, 33);
    EXPECT_EQ(load_with_btf(b.get()), "");
    id = btf__add_typedef(b.get(), "deep", id);
    EXPECT_EQ(load_with_btf(b.get()),
              ".BTF: type [34] starts a chain of more than 32 modifiers, typedefs, pointers and "
              "arrays");
  }
  // A cycle of modifiers is a chain without end.
  BtfPtr cyc(btf__new_empty(), btf__free);
  ASSERT_EQ(btf__add_const(cyc.get(), 2), 1);
  ASSERT_EQ(btf__add_volatile(cyc.get(), 1), 2);
  EXPECT_EQ(load_with_btf(cyc.get()),
            ".BTF: type [1] starts a chain of more than 32 modifiers, typedefs, pointers and "
            "arrays");
}

TEST(LimitsTest, BtfStructNesting) {
  // Innermost first: struct k holds struct k - 1 (type ids 2, 3, ...).
  BtfPtr b(btf__new_empty(), btf__free);
  int inner = btf__add_int(b.get(), "int", 4, BTF_INT_SIGNED);
  for (int level = 1; level <= 32; ++level) {
    int s = btf__add_struct(b.get(), fmt::format("s{}", level).c_str(), 4);
    ASSERT_EQ(btf__add_field(b.get(), "m", inner, 0, 0), 0);
    inner = s;
  }
  EXPECT_EQ(load_with_btf(b.get()), "");  // 32 deep
  int s = btf__add_struct(b.get(), "s33", 4);
  ASSERT_EQ(btf__add_field(b.get(), "m", inner, 0, 0), 0);
  EXPECT_EQ(load_with_btf(b.get()),
            fmt::format(".BTF: type [{}] nests structs and unions more than 32 deep", s));

  // Outermost first, 1000 deep, through arrays and typedefs: the walk stops at the limit
  // (it does not recurse 1000 deep).
  BtfPtr deep(btf__new_empty(), btf__free);
  const int kInt = btf__add_int(deep.get(), "int", 4, BTF_INT_SIGNED);
  const int kLevels = 1000;
  for (int level = 0; level < kLevels; ++level) {
    const int id = btf__add_struct(deep.get(), fmt::format("d{}", level).c_str(), 4);
    ASSERT_EQ(id, 2 + 2 * level);
    const int next = level + 1 < kLevels ? id + 2 : kInt;
    ASSERT_EQ(btf__add_field(deep.get(), "m", id + 1, 0, 0), 0);
    ASSERT_EQ(btf__add_typedef(deep.get(), fmt::format("t{}", level).c_str(), next), id + 1);
  }
  EXPECT_EQ(load_with_btf(deep.get()),
            ".BTF: type [66] nests structs and unions more than 32 deep");

  // A struct that holds itself.
  BtfPtr self(btf__new_empty(), btf__free);
  ASSERT_EQ(btf__add_struct(self.get(), "loop", 4), 1);
  ASSERT_EQ(btf__add_field(self.get(), "m", 1, 0, 0), 0);
  EXPECT_EQ(load_with_btf(self.get()), ".BTF: type [1] contains itself");
}

// --- The verifier's time and memory ------------------------------------------------------

TEST(LimitsTest, VerifierTimeLimit) {
  constexpr size_t kAdds = 200'000;
  Runtime rt;
  auto obj = load_insns(rt, add_chain(kAdds));
  ASSERT_NE(obj, nullptr);
  Program* prog = obj->program("prog");
  ASSERT_NE(prog, nullptr);
  PrepareOptions o;
  o.verifier_time_limit_ms = 1;
  VerifyReport rep = prog->verify(o);
  ASSERT_FALSE(rep.accepted);
  ASSERT_FALSE(rep.errors.empty());
  const Error& e = rep.errors[0];
  EXPECT_NE(e.message.find("time limit: verification ran longer than 1 ms"), std::string::npos)
      << e.to_string();
  // It names the instruction it had reached: one of the adds, where it stopped.
  EXPECT_LT(e.insn, kAdds);
  EXPECT_EQ(e.insn + 1, rep.insns_processed) << e.to_string();
  EXPECT_EQ(rep.insns_processed % 1024, 0u);
  for (EngineKind eng : kEngines) {
    o.engine = eng;
    auto r = prog->prepare(o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kVerify);
    EXPECT_NE(r.error().message.find("time limit"), std::string::npos);
    EXPECT_FALSE(prog->prepared());
  }
  // Without the limit the same program is proven and runs on both engines.
  o.verifier_time_limit_ms = 0;
  for (EngineKind eng : kEngines) {
    o.engine = eng;
    ASSERT_TRUE(prog->prepare(o).ok());
    std::vector<uint8_t> buf;
    auto r0 = prog->run(buf);
    ASSERT_TRUE(r0.ok()) << r0.error().to_string();
    EXPECT_EQ(*r0, kAdds);
  }
}

TEST(LimitsTest, VerifierMemoryLimit) {
  Runtime rt;
  auto obj = load_prog(rt, "crc32.v4.o");
  ASSERT_NE(obj, nullptr);
  Program* prog = obj->program("crc32");
  ASSERT_NE(prog, nullptr);
  PrepareOptions o;
  o.mem_size = 9;
  VerifyReport ok = prog->verify(o);
  ASSERT_TRUE(ok.accepted);
  ASSERT_GT(ok.peak_memory_bytes, 0u);
  o.verifier_memory_limit = ok.peak_memory_bytes - 1;
  VerifyReport rep = prog->verify(o);
  ASSERT_FALSE(rep.accepted);
  ASSERT_FALSE(rep.errors.empty());
  const Error& e = rep.errors[0];
  EXPECT_NE(e.message.find(fmt::format("memory limit: the verifier's states need {} bytes, the "
                                       "limit is {}",
                                       ok.peak_memory_bytes, o.verifier_memory_limit)),
            std::string::npos)
      << e.to_string();
  EXPECT_LT(e.insn, prog->insn_count());
  EXPECT_LE(rep.peak_memory_bytes, ok.peak_memory_bytes);
  std::string digits = "123456789";
  for (EngineKind eng : kEngines) {
    o.engine = eng;
    o.verifier_memory_limit = ok.peak_memory_bytes - 1;
    auto r = prog->prepare(o);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("memory limit"), std::string::npos);
    o.verifier_memory_limit = ok.peak_memory_bytes;  // exactly enough
    ASSERT_TRUE(prog->prepare(o).ok());
    auto r0 = prog->run({reinterpret_cast<uint8_t*>(digits.data()), digits.size()});
    ASSERT_TRUE(r0.ok());
    EXPECT_EQ(*r0, 0xcbf43926u);
  }
}

// --- Map memory ----------------------------------------------------------------------------

TEST(LimitsTest, MapMemoryBudgetOfTheRuntime) {
  Runtime rt;
  EXPECT_EQ(rt.map_memory_limit(), Runtime::kDefaultMapMemoryLimit);
  EXPECT_EQ(rt.map_memory_used(), 0u);
  rt.set_map_memory_limit(10'000);
  auto big = rt.create_map({MapType::kHash, "big", 4, 8, 1000, 0});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, ErrorCode::kNoSpace);
  EXPECT_EQ(big.error().message,
            "map big: needs 16000 bytes, the runtime's map memory limit is 10000 bytes and 0 "
            "are in use");
  auto h = rt.create_map({MapType::kHash, "h", 4, 8, 100, 0});  // 100 x (8 + 8)
  ASSERT_TRUE(h.ok()) << h.error().to_string();
  EXPECT_EQ(rt.map_memory_used(), 1600u);
  auto pc = rt.create_map({MapType::kPercpuArray, "pc", 4, 8, 10, 0});
  ASSERT_FALSE(pc.ok());  // 10 x (8 + 8 x 128) = 10320
  EXPECT_EQ(pc.error().message,
            "map pc: needs 10320 bytes, the runtime's map memory limit is 10000 bytes and 1600 "
            "are in use");
  auto rb = rt.create_map({MapType::kRingbuf, "rb", 0, 0, 4096, 0});
  ASSERT_TRUE(rb.ok());
  EXPECT_EQ(rt.map_memory_used(), 1600u + 4096u);
  // A spec the map rules refuse is refused for that, not charged.
  auto bad = rt.create_map({MapType::kHash, "bad", 4, 0, 1, 0});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "map bad: value_size 0 must be at least 1");
  EXPECT_EQ(rt.map_memory_used(), 1600u + 4096u);

  // An object's maps are charged while the object lives; a load that goes over fails
  // whole, naming the map, and gives back what its earlier maps took.
  {
    auto obj = load_insns(rt, add_chain(1), {{2, 4, 8, 10, 0}, {2, 4, 8, 10, 0}});
    ASSERT_NE(obj, nullptr);
    EXPECT_EQ(rt.map_memory_used(), 1600u + 4096u + 2 * 160u);
  }
  EXPECT_EQ(rt.map_memory_used(), 1600u + 4096u);
  auto elf = soundness::build_object(add_chain(1), {{2, 4, 8, 10, 0}, {2, 4, 8, 1000, 0}},
                                     "mem/limits");
  ASSERT_TRUE(elf.ok());
  auto over = rt.load_bytes(*elf);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::kLoad);
  EXPECT_EQ(over.error().message,
            "map map1: needs 16000 bytes, the runtime's map memory limit is 10000 bytes and 5856 "
            "are in use");
  EXPECT_EQ(rt.map_memory_used(), 1600u + 4096u);
  // A reused map is not charged again.
  {
    LoadSettings s;
    auto shared = rt.create_map({MapType::kArray, "map0", 4, 8, 10, 0});
    ASSERT_TRUE(shared.ok());
    s.reuse_maps.push_back(*shared);
    auto bytes = soundness::build_object(add_chain(1), {{2, 4, 8, 10, 0}}, "mem/limits");
    ASSERT_TRUE(bytes.ok());
    auto obj = rt.load_bytes(*bytes, s);
    ASSERT_TRUE(obj.ok()) << obj.error().to_string();
    EXPECT_EQ(rt.map_memory_used(), 1600u + 4096u + 160u);
  }
  // Destroyed maps give their bytes back; 0 lifts the limit.
  h->reset();
  rb->reset();
  EXPECT_EQ(rt.map_memory_used(), 0u);
  rt.set_map_memory_limit(0);
  auto now = rt.create_map({MapType::kHash, "big", 4, 8, 1000, 0});
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(rt.map_memory_used(), 16000u);
}

TEST(LimitsTest, MapOutlivesItsRuntime) {
  std::shared_ptr<Map> kept;
  {
    Runtime rt;
    rt.set_map_memory_limit(1 << 20);
    auto m = rt.create_map({MapType::kArray, "kept", 4, 8, 4, 0});
    ASSERT_TRUE(m.ok());
    kept = *m;
  }
  auto put = kept->put<uint32_t, uint64_t>(1, 7);
  ASSERT_TRUE(put.ok());
  kept.reset();  // gives its bytes back to a budget nothing else holds
}

TEST(LimitsTest, PerMapCaps) {
  Runtime rt;
  rt.set_map_memory_limit(0);
  auto values = rt.create_map({MapType::kArray, "a", 4, 1024, 1U << 21, 0});
  ASSERT_FALSE(values.ok());
  EXPECT_EQ(values.error().message,
            "map a: 2097152 entries of 1024 bytes need 2147483648 bytes, the limit is "
            "1073741824");
  auto key = rt.create_map({MapType::kHash, "k", 513, 8, 1, 0});
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().message, "map k: key_size 513 exceeds the limit of 512");
  auto value = rt.create_map({MapType::kHash, "v", 4, (1U << 20) + 1, 1, 0});
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.error().message, "map v: value_size 1048577 exceeds the limit of 1048576");
}

TEST(LimitsTest, RingbufSize) {
  Runtime rt;
  rt.set_map_memory_limit(0);
  auto huge = rt.create_map({MapType::kRingbuf, "rb", 0, 0, 1U << 31, 0});
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().message, "map rb: max_entries 2147483648 exceeds the limit of 1073741824");
  auto odd = rt.create_map({MapType::kRingbuf, "rb", 0, 0, 3 * 4096, 0});
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().message, "map rb: max_entries 12288 must be a power of two for ringbuf maps");
  auto small = rt.create_map({MapType::kRingbuf, "rb", 0, 0, 2048, 0});
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.error().message, "map rb: max_entries 2048 must be at least 4096");
  EXPECT_TRUE(rt.create_map({MapType::kRingbuf, "rb", 0, 0, 1U << 16, 0}).ok());
}

}  // namespace
}  // namespace bpfjit
