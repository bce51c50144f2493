// Program types: the built-ins' context layouts, the shadow mapping of context accesses,
// the per-type helper whitelist and host registration.
#include <gtest/gtest.h>

#include <cstddef>

#include "helpers/helper_table.h"
#include "helpers/program_types.h"

namespace bpfjit {
namespace {

struct Access {
  uint32_t off;
  uint32_t size;
};

CtxAccess must_map(const ProgramType& t, uint32_t off, uint32_t size, bool write = false) {
  auto r = map_ctx_access(t, off, size, write, 3);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? *r : CtxAccess{};
}

std::string refusal(const ProgramType& t, uint32_t off, uint32_t size, bool write = false) {
  auto r = map_ctx_access(t, off, size, write, 3);
  return r.ok() ? "accepted" : r.error().to_string();
}

TEST(ProgramTypesTest, XdpPointerFieldsWidenToTheShadow) {
  const ProgramType& xdp = xdp_program_type();
  EXPECT_EQ(xdp.ctx_size, 24u);
  CtxAccess data = must_map(xdp, 0, 4);
  EXPECT_EQ(data.field->kind, CtxFieldKind::kPacketStart);
  EXPECT_EQ(data.shadow_offset, offsetof(XdpCtx, data));
  EXPECT_EQ(data.shadow_size, 8u);
  CtxAccess end = must_map(xdp, 4, 4);
  EXPECT_EQ(end.field->kind, CtxFieldKind::kPacketEnd);
  EXPECT_EQ(end.shadow_offset, offsetof(XdpCtx, data_end));
  EXPECT_EQ(must_map(xdp, 8, 4).shadow_offset, offsetof(XdpCtx, data_meta));
  CtxAccess ifindex = must_map(xdp, 12, 4);
  EXPECT_EQ(ifindex.field->name, "ingress_ifindex");
  EXPECT_EQ(ifindex.shadow_offset, offsetof(XdpCtx, ingress_ifindex));
  EXPECT_EQ(ifindex.shadow_size, 4u);
  CtxAccess narrow = must_map(xdp, 18, 2);  // the high half of rx_queue_index
  EXPECT_EQ(narrow.shadow_offset, offsetof(XdpCtx, rx_queue_index) + 2);
  EXPECT_EQ(narrow.shadow_size, 2u);
  EXPECT_EQ(must_map(xdp, 20, 4).shadow_offset, offsetof(XdpCtx, egress_ifindex));
}

TEST(ProgramTypesTest, XdpRefusalsSayWhy) {
  const ProgramType& xdp = xdp_program_type();
  EXPECT_EQ(refusal(xdp, 2, 2),
            "insn 3: ctx load of 2 bytes at offset 2: field data is a packet pointer, load it "
            "whole (4 bytes at offset 0)");
  EXPECT_EQ(refusal(xdp, 0, 8),
            "insn 3: ctx load of 8 bytes at offset 0: crosses the end of field data (4 bytes at "
            "offset 0)");
  EXPECT_EQ(refusal(xdp, 0, 4, true),
            "insn 3: ctx store of 4 bytes at offset 0: field data is read-only");
  EXPECT_EQ(refusal(xdp, 24, 4),
            "insn 3: ctx load of 4 bytes at offset 24: no field of program type xdp is there");
  EXPECT_EQ(refusal(xdp, 13, 2),
            "insn 3: ctx load of 2 bytes at offset 13: misaligned narrow load of field "
            "ingress_ifindex");
  EXPECT_EQ(refusal(xdp, 12, 3),
            "insn 3: ctx load of 3 bytes at offset 12: the size must be 1, 2, 4 or 8");
  EXPECT_EQ(refusal(mem_program_type(), 0, 4),
            "insn 3: ctx load of 4 bytes at offset 0: program type mem has no context struct");
}

TEST(ProgramTypesTest, SocketFilterFields) {
  const ProgramType& sf = socket_filter_program_type();
  EXPECT_TRUE(sf.packet_loads);
  CtxAccess len = must_map(sf, 0, 4);  // __sk_buff.len
  EXPECT_EQ(len.field->name, "len");
  EXPECT_EQ(len.shadow_offset, offsetof(SkBuffCtx, len));
  CtxAccess proto = must_map(sf, 16, 4);  // __sk_buff.protocol
  EXPECT_EQ(proto.field->name, "protocol");
  EXPECT_EQ(proto.shadow_offset, offsetof(SkBuffCtx, protocol));
  CtxAccess data = must_map(sf, 76, 4);  // __sk_buff.data
  EXPECT_EQ(data.shadow_offset, offsetof(SkBuffCtx, data));
  EXPECT_EQ(data.shadow_size, 8u);
  EXPECT_EQ(must_map(sf, 80, 4).shadow_offset, offsetof(SkBuffCtx, data_end));
  CtxAccess cb2 = must_map(sf, 48 + 8, 4, true);  // cb[2] is writable
  EXPECT_EQ(cb2.field->name, "cb[2]");
  EXPECT_EQ(cb2.shadow_offset, offsetof(SkBuffCtx, cb) + 8);
  EXPECT_EQ(refusal(sf, 8, 4, true),
            "insn 3: ctx store of 4 bytes at offset 8: field mark is read-only");
  EXPECT_EQ(refusal(sf, 56, 2, true),
            "insn 3: ctx store of 2 bytes at offset 56: a narrow store to field cb[2] (4 bytes)");
  EXPECT_EQ(refusal(sf, 144, 8),  // flow_keys: not in our subset
            "insn 3: ctx load of 8 bytes at offset 144: no field of program type socket_filter "
            "is there");
}

TEST(ProgramTypesTest, HelperWhitelistPerType) {
  HelperTable table = HelperTable::builtin();
  EXPECT_TRUE(check_helper_allowed(xdp_program_type(), table, helper_id::kMapLookupElem, 7).ok());
  EXPECT_TRUE(check_helper_allowed(mem_program_type(), table, helper_id::kProbeReadKernel, 7).ok());
  auto refused = check_helper_allowed(xdp_program_type(), table, helper_id::kProbeReadKernel, 7);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().to_string(),
            "insn 7: helper 113 (probe_read_kernel) is not allowed for program type xdp");
  EXPECT_EQ(refused.error().code, ErrorCode::kVerify);
  auto unknown = check_helper_allowed(xdp_program_type(), table, 999, 2);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().to_string(), "insn 2: helper 999 is unknown");

  ProgramTypeRegistry reg = ProgramTypeRegistry::builtin();
  ASSERT_TRUE(reg.allow_helper("xdp", helper_id::kProbeReadKernel).ok());
  EXPECT_TRUE(check_helper_allowed(*reg.find("xdp"), table, helper_id::kProbeReadKernel, 7).ok());
  EXPECT_FALSE(check_helper_allowed(xdp_program_type(), table, helper_id::kProbeReadKernel, 7).ok());
  EXPECT_FALSE(reg.allow_helper("nope", 1).ok());
  EXPECT_TRUE(
      check_helper_allowed(socket_filter_program_type(), table, helper_id::kSkbLoadBytes, 1).ok());
  EXPECT_FALSE(check_helper_allowed(xdp_program_type(), table, helper_id::kSkbLoadBytes, 1).ok());
}

TEST(ProgramTypesTest, RegistryBuiltinsAndHostTypes) {
  ProgramTypeRegistry reg = ProgramTypeRegistry::builtin();
  EXPECT_EQ(reg.names(), (std::vector<std::string>{"mem", "xdp", "socket_filter", "sched_cls",
                                                    "sched_act", "cgroup_skb"}));
  EXPECT_EQ(reg.find("xdp")->ctx_size, 24u);
  EXPECT_EQ(reg.find("tc"), reg.find("sched_cls"));  // another name for it
  EXPECT_EQ(reg.find("kprobe"), nullptr);

  ProgramType host;
  host.name = "sensor";
  host.ctx_size = 16;
  host.fields = {{"value", 0, 8}, {"flags", 8, 4, true, true}};
  ASSERT_TRUE(reg.add(host).ok());
  const ProgramType* sensor = reg.find("sensor");
  ASSERT_NE(sensor, nullptr);
  CtxAccess flags = must_map(*sensor, 8, 4, true);
  EXPECT_EQ(flags.shadow_offset, 8u);  // no shadow: the kernel layout is used as is
  EXPECT_EQ(refusal(*sensor, 12, 4), "insn 3: ctx load of 4 bytes at offset 12: no field of "
                                     "program type sensor is there");

  auto dup = reg.add(host);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().message, "program type sensor: a program type of that name is already registered");

  ProgramType overlap = host;
  overlap.name = "overlap";
  overlap.fields.push_back({"bad", 4, 4});
  EXPECT_EQ(reg.add(overlap).error().message, "program type overlap: fields value and bad overlap");

  ProgramType outside = host;
  outside.name = "outside";
  outside.fields = {{"far", 16, 4}};
  EXPECT_EQ(reg.add(outside).error().message,
            "program type outside: field far at offset 16 (4 bytes) lies outside the 16-byte "
            "context");

  ProgramType writable_ptr = host;
  writable_ptr.name = "wptr";
  writable_ptr.fields = {{"data", 0, 8, true, true, CtxFieldKind::kPacketStart}};
  EXPECT_FALSE(reg.add(writable_ptr).ok());
  ProgramType u64_ptr = host;
  u64_ptr.name = "u64ptr";
  u64_ptr.fields = {{"data", 0, 8, true, false, CtxFieldKind::kPacketStart},
                    {"data_end", 8, 8, true, false, CtxFieldKind::kPacketEnd}};
  ASSERT_TRUE(reg.add(u64_ptr).ok());
  CtxAccess p = must_map(*reg.find("u64ptr"), 8, 8);
  EXPECT_EQ(p.shadow_offset, 8u);
  EXPECT_EQ(p.shadow_size, 8u);
  ProgramType bad_width = host;
  bad_width.name = "width";
  bad_width.fields = {{"odd", 0, 3}};
  EXPECT_EQ(reg.add(bad_width).error().message,
            "program type width: field odd is 3 bytes, must be 1, 2, 4 or 8");
  ProgramType nameless;
  EXPECT_FALSE(reg.add(nameless).ok());
}

}  // namespace
}  // namespace bpfjit
