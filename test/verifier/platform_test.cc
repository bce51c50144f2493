// The kernel's tables (helpers/kernel_tables.h) and the linux platform built from them:
// every uapi helper, program type and attach type is known by its uapi name and number,
// section names give libbpf's program and attach types, contexts have the uapi offsets,
// return ranges and helper sets follow the kernel (the helper sets against the answers of
// a real kernel recorded in data/kernel_helper_matrix.txt).
#include <gtest/gtest.h>

#include <asm/ptrace.h>
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "helpers/helper_table.h"
#include "helpers/kernel_tables.h"
#include "helpers/program_types.h"
#include "runtime/isa/asm.h"
#include "verifier/platform.h"
#include "verifier/verifier.h"

namespace bpfjit {
namespace {

using verifier::linux_platform;
using verifier::Platform;

// The uapi's own list of helper names, in id order.
#define BPFJIT_TEST_HELPER_NAME(x) #x
const char* const kUapiHelperNames[] = {__BPF_FUNC_MAPPER(BPFJIT_TEST_HELPER_NAME)};
#undef BPFJIT_TEST_HELPER_NAME

TEST(KernelTablesTest, EveryUapiHelperHasARowWithItsName) {
  const uint32_t max_id = __BPF_FUNC_MAX_ID - 1;
  ASSERT_EQ(kernel::max_helper_id(), max_id);
  ASSERT_EQ(std::size(kUapiHelperNames), size_t{__BPF_FUNC_MAX_ID});
  for (uint32_t id = 1; id <= max_id; ++id) {
    const kernel::HelperRow* h = kernel::find_helper(id);
    ASSERT_NE(h, nullptr) << id;
    EXPECT_EQ(h->id, id);
    EXPECT_STREQ(h->name, kUapiHelperNames[id]) << id;
    EXPECT_NE(h->types, 0u) << h->name << " is callable from no program type";
    EXPECT_EQ(kernel::find_helper(std::string("bpf_") + h->name), h);
  }
  EXPECT_EQ(kernel::find_helper(0u), nullptr);
  EXPECT_EQ(kernel::find_helper(max_id + 1), nullptr);
  EXPECT_EQ(kernel::find_helper("no_such_helper"), nullptr);
}

TEST(KernelTablesTest, PrototypesRestateTheKernelsArgumentKinds) {
  auto args = [](uint32_t id) { return kernel::find_helper(id)->args; };
  using A = ArgKind;
  EXPECT_EQ(kernel::find_helper(BPF_FUNC_map_lookup_elem)->ret, RetKind::kPtrToMapValueOrNull);
  EXPECT_EQ(args(BPF_FUNC_skb_store_bytes),
            (std::array<A, 5>{A::kPtrToCtx, A::kScalar, A::kPtrToMem, A::kConstSize, A::kScalar}));
  EXPECT_EQ(kernel::find_helper(BPF_FUNC_sk_lookup_tcp)->ret, RetKind::kPtrToSocketOrNull);
  EXPECT_EQ(args(BPF_FUNC_sk_release)[0], A::kPtrToReleasedSocket);
  EXPECT_EQ(args(BPF_FUNC_spin_lock)[0], A::kPtrToSpinLock);
  EXPECT_EQ(args(BPF_FUNC_timer_start)[0], A::kPtrToTimer);
  EXPECT_EQ(args(BPF_FUNC_strtol)[3], A::kPtrToLong);
  EXPECT_EQ(args(BPF_FUNC_check_mtu)[2], A::kPtrToInt);
  EXPECT_EQ(args(BPF_FUNC_snprintf)[2], A::kPtrToConstStr);
  EXPECT_EQ(args(BPF_FUNC_dynptr_read)[2], A::kPtrToDynptr);
  EXPECT_EQ(args(BPF_FUNC_ringbuf_reserve_dynptr)[3], A::kPtrToUninitDynptr);
  EXPECT_EQ(kernel::find_helper(BPF_FUNC_get_current_task_btf)->ret, RetKind::kPtrToBtfId);
  EXPECT_EQ(kernel::find_helper(BPF_FUNC_skc_to_tcp_sock)->ret, RetKind::kPtrToBtfIdOrNull);
  EXPECT_EQ(kernel::find_helper(BPF_FUNC_get_local_storage)->ret, RetKind::kPtrToMapValue);
  // Every pointer argument with a size has the size next to it, and only there.
  for (const kernel::HelperRow& h : kernel::helper_rows()) {
    for (int i = 0; i < 5; ++i) {
      const bool sized_ptr = h.args[i] == A::kPtrToMem || h.args[i] == A::kPtrToMemOrNull ||
                             h.args[i] == A::kPtrToUninitMem;
      const bool is_size = h.args[i] == A::kConstSize || h.args[i] == A::kConstSizeOrZero;
      if (sized_ptr) {
        ASSERT_LT(i, 4) << h.name;
        EXPECT_TRUE(h.args[i + 1] == A::kConstSize || h.args[i + 1] == A::kConstSizeOrZero)
            << h.name << " arg" << i + 1;
      }
      if (is_size) {
        ASSERT_GT(i, 0) << h.name;
        EXPECT_TRUE(h.args[i - 1] == A::kPtrToMem || h.args[i - 1] == A::kPtrToMemOrNull ||
                    h.args[i - 1] == A::kPtrToUninitMem)
            << h.name << " arg" << i + 1;
      }
      EXPECT_EQ(h.args[i] == A::kPtrToFixedSizeMem, kernel::fixed_mem_size(h.id, i + 1) != 0)
          << h.name << " arg" << i + 1;
    }
  }
  EXPECT_EQ(kernel::fixed_mem_size(BPF_FUNC_tcp_raw_gen_syncookie_ipv6, 1), 40u);
}

TEST(KernelTablesTest, EveryProgramAndAttachTypeIsKnownByNumberAndName) {
  ASSERT_EQ(kernel::prog_type_rows().size(), size_t{BPF_PROG_TYPE_SYSCALL});
  const std::map<uint32_t, std::string> some_types = {
      {BPF_PROG_TYPE_SOCKET_FILTER, "socket_filter"},
      {BPF_PROG_TYPE_SCHED_CLS, "sched_cls"},
      {BPF_PROG_TYPE_XDP, "xdp"},
      {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, "cgroup_sock_addr"},
      {BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, "raw_tracepoint_writable"},
      {BPF_PROG_TYPE_CGROUP_SOCKOPT, "cgroup_sockopt"},
      {BPF_PROG_TYPE_STRUCT_OPS, "struct_ops"},
      {BPF_PROG_TYPE_SK_LOOKUP, "sk_lookup"},
      {BPF_PROG_TYPE_SYSCALL, "syscall"},
  };
  for (const auto& [id, name] : some_types) {
    ASSERT_NE(kernel::find_prog_type(id), nullptr) << id;
    EXPECT_EQ(kernel::find_prog_type(id)->name, name);
    EXPECT_EQ(kernel::find_prog_type(name), kernel::find_prog_type(id));
  }
  const Platform& linux = linux_platform();
  for (const kernel::ProgTypeRow& row : kernel::prog_type_rows()) {
    const ProgramType* t = linux.find_type(row.name);
    ASSERT_NE(t, nullptr) << row.name;
    EXPECT_EQ(t->kernel_type, row.id);
    EXPECT_FALSE(t->fields.empty()) << row.name;
    for (const CtxField& f : t->fields) {
      EXPECT_LE(f.offset + f.size, t->ctx_size) << row.name << "." << f.name;
    }
  }
  EXPECT_EQ(kernel::find_prog_type(0u), nullptr);
  EXPECT_EQ(kernel::find_prog_type(BPF_PROG_TYPE_SYSCALL + 1), nullptr);

  ASSERT_EQ(kernel::attach_type_rows().size(), size_t{__MAX_BPF_ATTACH_TYPE});
  const std::map<uint32_t, std::string> some_attach = {
      {BPF_CGROUP_INET_INGRESS, "cgroup_inet_ingress"},
      {BPF_CGROUP_INET_EGRESS, "cgroup_inet_egress"},
      {BPF_SK_SKB_STREAM_VERDICT, "sk_skb_stream_verdict"},
      {BPF_CGROUP_UDP6_RECVMSG, "cgroup_udp6_recvmsg"},
      {BPF_TRACE_FENTRY, "trace_fentry"},
      {BPF_LSM_MAC, "lsm_mac"},
      {BPF_XDP_CPUMAP, "xdp_cpumap"},
      {BPF_SK_REUSEPORT_SELECT_OR_MIGRATE, "sk_reuseport_select_or_migrate"},
      {BPF_LSM_CGROUP, "lsm_cgroup"},
  };
  for (const auto& [id, name] : some_attach) {
    ASSERT_NE(kernel::find_attach_type(id), nullptr) << id;
    EXPECT_EQ(kernel::find_attach_type(id)->name, name);
    EXPECT_EQ(kernel::find_attach_type("BPF_" + name), kernel::find_attach_type(id));
  }
  // Every section row names a program type and an attach type that exist.
  for (const kernel::SectionRow& s : kernel::section_rows()) {
    EXPECT_NE(kernel::find_prog_type(s.prog_type), nullptr) << s.name;
    if (s.attach_type[0] != '\0') {
      EXPECT_NE(kernel::find_attach_type(s.attach_type), nullptr) << s.name;
    }
  }
}

TEST(KernelTablesTest, SectionNamesGiveLibbpfsTypes) {
  struct Case {
    const char* section;
    const char* type;
    const char* attach;  // "" for none
  };
  const Case cases[] = {
      {"socket", "socket_filter", ""},
      {"socket1", "socket_filter", ""},
      {"sk_reuseport/migrate", "sk_reuseport", "sk_reuseport_select_or_migrate"},
      {"sk_reuseport", "sk_reuseport", "sk_reuseport_select"},
      {"kprobe/do_unlinkat", "kprobe", ""},
      {"kretprobe/do_unlinkat", "kprobe", ""},
      {"uprobe//bin/bash:readline", "kprobe", ""},
      {"kprobe.multi/tcp_*", "kprobe", "trace_kprobe_multi"},
      {"usdt/libc:setjmp", "kprobe", ""},
      {"tc", "sched_cls", ""},
      {"classifier", "sched_cls", ""},
      {"classifier/ingress", "sched_cls", ""},
      {"action", "sched_act", ""},
      {"tracepoint/syscalls/sys_enter_openat", "tracepoint", ""},
      {"tp/sched/sched_switch", "tracepoint", ""},
      {"raw_tracepoint/sched_switch", "raw_tracepoint", ""},
      {"raw_tp/sys_enter", "raw_tracepoint", ""},
      {"raw_tp.w/bpf_test_finish", "raw_tracepoint_writable", ""},
      {"tp_btf/sched_wakeup", "tracing", "trace_raw_tp"},
      {"fentry/do_unlinkat", "tracing", "trace_fentry"},
      {"fexit/do_unlinkat", "tracing", "trace_fexit"},
      {"fmod_ret/bpf_modify_return_test", "tracing", "modify_return"},
      {"fentry.s/do_sys_open", "tracing", "trace_fentry"},
      {"freplace/xdp_prog", "ext", ""},
      {"lsm/file_open", "lsm", "lsm_mac"},
      {"lsm.s/bprm_committed_creds", "lsm", "lsm_mac"},
      {"lsm_cgroup/socket_bind", "lsm", "lsm_cgroup"},
      {"iter/task", "tracing", "trace_iter"},
      {"syscall", "syscall", ""},
      {"xdp", "xdp", "xdp"},
      {"xdp.frags", "xdp", "xdp"},
      {"xdp/devmap", "xdp", "xdp_devmap"},
      {"xdp.frags/cpumap", "xdp", "xdp_cpumap"},
      {"xdp1", "xdp", "xdp"},
      {"xdp_prog", "xdp", "xdp"},
      {"perf_event", "perf_event", ""},
      {"lwt_in", "lwt_in", ""},
      {"lwt_xmit", "lwt_xmit", ""},
      {"lwt_seg6local", "lwt_seg6local", ""},
      {"sockops", "sock_ops", "cgroup_sock_ops"},
      {"sk_skb/stream_parser", "sk_skb", "sk_skb_stream_parser"},
      {"sk_skb/stream_verdict", "sk_skb", "sk_skb_stream_verdict"},
      {"sk_skb", "sk_skb", ""},
      {"sk_msg", "sk_msg", "sk_msg_verdict"},
      {"lirc_mode2", "lirc_mode2", "lirc_mode2"},
      {"flow_dissector", "flow_dissector", "flow_dissector"},
      {"cgroup_skb/ingress", "cgroup_skb", "cgroup_inet_ingress"},
      {"cgroup_skb/egress", "cgroup_skb", "cgroup_inet_egress"},
      {"cgroup/skb", "cgroup_skb", ""},
      {"cgroup/sock_create", "cgroup_sock", "cgroup_inet_sock_create"},
      {"cgroup/sock_release", "cgroup_sock", "cgroup_inet_sock_release"},
      {"cgroup/sock", "cgroup_sock", "cgroup_inet_sock_create"},
      {"cgroup/post_bind4", "cgroup_sock", "cgroup_inet4_post_bind"},
      {"cgroup/bind4", "cgroup_sock_addr", "cgroup_inet4_bind"},
      {"cgroup/connect6", "cgroup_sock_addr", "cgroup_inet6_connect"},
      {"cgroup/sendmsg4", "cgroup_sock_addr", "cgroup_udp4_sendmsg"},
      {"cgroup/recvmsg6", "cgroup_sock_addr", "cgroup_udp6_recvmsg"},
      {"cgroup/getpeername4", "cgroup_sock_addr", "cgroup_inet4_getpeername"},
      {"cgroup/getsockname6", "cgroup_sock_addr", "cgroup_inet6_getsockname"},
      {"cgroup/sysctl", "cgroup_sysctl", "cgroup_sysctl"},
      {"cgroup/getsockopt", "cgroup_sockopt", "cgroup_getsockopt"},
      {"cgroup/setsockopt", "cgroup_sockopt", "cgroup_setsockopt"},
      {"cgroup/dev", "cgroup_device", "cgroup_device"},
      {"struct_ops/tcp_ca_init", "struct_ops", ""},
      {"struct_ops", "struct_ops", ""},
      {"sk_lookup", "sk_lookup", "sk_lookup"},
      {"sk_lookup/dispatch", "sk_lookup", "sk_lookup"},
  };
  for (const Case& c : cases) {
    auto m = kernel::match_section(c.section);
    ASSERT_TRUE(m.has_value()) << c.section;
    EXPECT_STREQ(m->prog_type->name, c.type) << c.section;
    EXPECT_STREQ(m->attach_type != nullptr ? m->attach_type->name : "", c.attach) << c.section;
  }
  for (const char* s : {"license", ".maps", "custom/sum", "mem", "kprobe", "fentry"}) {
    if (std::string(s) == "kprobe" || std::string(s) == "fentry") {
      // libbpf's "name+" rows also take the bare name.
      EXPECT_TRUE(kernel::match_section(s).has_value()) << s;
      continue;
    }
    EXPECT_FALSE(kernel::match_section(s).has_value()) << s;
  }
  // The platforms use the same table.
  const Platform& linux = linux_platform();
  EXPECT_EQ(linux.type_for_section("cgroup/connect4"), linux.find_type("cgroup_sock_addr"));
  EXPECT_EQ(linux.type_for_section("tc"), linux.find_type("sched_cls"));
  const Platform& rt = verifier::runtime_platform();
  EXPECT_EQ(rt.type_for_section("xdp1"), rt.find_type("xdp"));
  EXPECT_EQ(rt.type_for_section("socket"), rt.find_type("socket_filter"));
  EXPECT_EQ(rt.type_for_section("mem/checksum"), rt.find_type("mem"));
  EXPECT_EQ(rt.type_for_section("kprobe/x"), nullptr);  // the runtime has no kprobe type
}

const CtxField* field_at(const ProgramType& t, uint32_t off) {
  for (const CtxField& f : t.fields) {
    if (f.offset == off) return &f;
  }
  return nullptr;
}

struct FieldCase {
  const char* type;
  const char* field;
  size_t offset;
  size_t size;
};

#define FIELD(type, st, f) FieldCase{type, #f, offsetof(struct st, f), sizeof(((struct st*)nullptr)->f)}

TEST(KernelTablesTest, ContextFieldsHaveTheUapiOffsets) {
  const FieldCase cases[] = {
      FIELD("sched_cls", __sk_buff, len),        FIELD("sched_cls", __sk_buff, mark),
      FIELD("sched_cls", __sk_buff, queue_mapping), FIELD("sched_cls", __sk_buff, priority),
      FIELD("sched_cls", __sk_buff, tc_index),   FIELD("sched_cls", __sk_buff, hash),
      FIELD("sched_cls", __sk_buff, tc_classid), FIELD("sched_cls", __sk_buff, data),
      FIELD("sched_cls", __sk_buff, data_end),   FIELD("sched_cls", __sk_buff, napi_id),
      FIELD("cgroup_skb", __sk_buff, family),    FIELD("cgroup_skb", __sk_buff, local_port),
      FIELD("sched_cls", __sk_buff, data_meta),  FIELD("sched_cls", __sk_buff, tstamp),
      FIELD("sched_cls", __sk_buff, wire_len),   FIELD("sched_cls", __sk_buff, gso_segs),
      FIELD("sched_cls", __sk_buff, gso_size),   FIELD("sched_cls", __sk_buff, tstamp_type),
      FIELD("sched_cls", __sk_buff, hwtstamp),   FIELD("flow_dissector", __sk_buff, flow_keys),
      FIELD("xdp", xdp_md, data),                FIELD("xdp", xdp_md, data_meta),
      FIELD("xdp", xdp_md, egress_ifindex),      FIELD("kprobe", pt_regs, r15),
      FIELD("kprobe", pt_regs, rdi),             FIELD("kprobe", pt_regs, rip),
      FIELD("kprobe", pt_regs, ss),              FIELD("perf_event", bpf_perf_event_data, addr),
      FIELD("perf_event", bpf_perf_event_data, sample_period),
      FIELD("cgroup_sock", bpf_sock, bound_dev_if), FIELD("cgroup_sock", bpf_sock, priority),
      FIELD("cgroup_sock", bpf_sock, src_port),  FIELD("cgroup_sock", bpf_sock, dst_ip4),
      FIELD("cgroup_sock", bpf_sock, rx_queue_mapping),
      FIELD("cgroup_sock_addr", bpf_sock_addr, user_ip4),
      FIELD("cgroup_sock_addr", bpf_sock_addr, user_port),
      FIELD("cgroup_sock_addr", bpf_sock_addr, protocol),
      FIELD("cgroup_sock_addr", bpf_sock_addr, msg_src_ip4),
      FIELD("cgroup_sock_addr", bpf_sock_addr, sk),
      FIELD("sock_ops", bpf_sock_ops, op),       FIELD("sock_ops", bpf_sock_ops, family),
      FIELD("sock_ops", bpf_sock_ops, is_fullsock), FIELD("sock_ops", bpf_sock_ops, sk_txhash),
      FIELD("sock_ops", bpf_sock_ops, bytes_acked), FIELD("sock_ops", bpf_sock_ops, sk),
      FIELD("sock_ops", bpf_sock_ops, skb_data), FIELD("sock_ops", bpf_sock_ops, skb_tcp_flags),
      FIELD("sk_msg", sk_msg_md, data_end),      FIELD("sk_msg", sk_msg_md, size),
      FIELD("sk_msg", sk_msg_md, sk),            FIELD("cgroup_device", bpf_cgroup_dev_ctx, minor),
      FIELD("sk_reuseport", sk_reuseport_md, hash),
      FIELD("sk_reuseport", sk_reuseport_md, migrating_sk),
      FIELD("cgroup_sysctl", bpf_sysctl, file_pos),
      FIELD("cgroup_sockopt", bpf_sockopt, optval_end),
      FIELD("cgroup_sockopt", bpf_sockopt, retval),
      FIELD("sk_lookup", bpf_sk_lookup, family), FIELD("sk_lookup", bpf_sk_lookup, local_port),
      FIELD("sk_lookup", bpf_sk_lookup, ingress_ifindex),
  };
  const Platform& linux = linux_platform();
  for (const FieldCase& c : cases) {
    const ProgramType* t = linux.find_type(c.type);
    ASSERT_NE(t, nullptr) << c.type;
    const CtxField* f = field_at(*t, static_cast<uint32_t>(c.offset));
    ASSERT_NE(f, nullptr) << c.type << "." << c.field << " at " << c.offset;
    EXPECT_EQ(f->name, c.field) << c.type;
    // u32 pointers widened by the kernel and 2-byte ports accepted as 4 are the exceptions.
    if (c.size != f->size) {
      EXPECT_TRUE(c.size == 2 && f->size == 4) << c.type << "." << c.field;
    }
  }
  // Arrays: every element at its place.
  const ProgramType* tc = linux.find_type("sched_cls");
  for (uint32_t i = 0; i < 5; ++i) {
    const CtxField* f = field_at(*tc, static_cast<uint32_t>(offsetof(__sk_buff, cb) + 4 * i));
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->name, "cb[" + std::to_string(i) + "]");
  }
  const ProgramType* ops = linux.find_type("sock_ops");
  ASSERT_NE(field_at(*ops, offsetof(bpf_sock_ops, local_ip6) + 12), nullptr);
  EXPECT_EQ(linux.find_type("sock_ops")->ctx_size, sizeof(bpf_sock_ops));
  EXPECT_EQ(linux.find_type("sk_lookup")->ctx_size, sizeof(bpf_sk_lookup));
  EXPECT_EQ(linux.find_type("cgroup_sockopt")->ctx_size, sizeof(bpf_sockopt));
  EXPECT_EQ(linux.find_type("kprobe")->ctx_size, sizeof(pt_regs));
  EXPECT_EQ(linux.find_type("sched_cls")->ctx_size, sizeof(__sk_buff));
}

TEST(KernelTablesTest, ContextAccessDependsOnTheProgramType) {
  const Platform& linux = linux_platform();
  auto f = [&](const char* type, size_t off) {
    const CtxField* p = field_at(*linux.find_type(type), static_cast<uint32_t>(off));
    EXPECT_NE(p, nullptr) << type << " offset " << off;
    return p;
  };
  // tc writes mark, priority, tc_index, cb[], tc_classid, queue_mapping, tstamp.
  for (size_t off : {offsetof(__sk_buff, mark), offsetof(__sk_buff, priority),
                     offsetof(__sk_buff, tc_index), offsetof(__sk_buff, cb),
                     offsetof(__sk_buff, tc_classid), offsetof(__sk_buff, queue_mapping),
                     offsetof(__sk_buff, tstamp)}) {
    const CtxField* p = f("sched_cls", off);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(p->writable) << p->name;
  }
  EXPECT_FALSE(f("sched_cls", offsetof(__sk_buff, len))->writable);
  EXPECT_EQ(f("sched_cls", offsetof(__sk_buff, data_meta))->kind, CtxFieldKind::kPacketMeta);
  // cgroup_skb: mark writable, tc_index read-only, no tc_classid, no data_meta, data read.
  EXPECT_TRUE(f("cgroup_skb", offsetof(__sk_buff, mark))->writable);
  EXPECT_FALSE(f("cgroup_skb", offsetof(__sk_buff, tc_index))->writable);
  EXPECT_EQ(field_at(*linux.find_type("cgroup_skb"), offsetof(__sk_buff, tc_classid)), nullptr);
  EXPECT_EQ(field_at(*linux.find_type("cgroup_skb"), offsetof(__sk_buff, data_meta)), nullptr);
  EXPECT_EQ(f("cgroup_skb", offsetof(__sk_buff, data))->kind, CtxFieldKind::kPacketStart);
  // socket_filter: cb[] writable, mark read-only, no direct packet pointers.
  EXPECT_TRUE(f("socket_filter", offsetof(__sk_buff, cb) + 8)->writable);
  EXPECT_FALSE(f("socket_filter", offsetof(__sk_buff, mark))->writable);
  EXPECT_EQ(field_at(*linux.find_type("socket_filter"), offsetof(__sk_buff, data)), nullptr);
  // flow_dissector reads only the packet pointers and the flow keys.
  EXPECT_EQ(linux.find_type("flow_dissector")->fields.size(), 3u);
  EXPECT_EQ(f("flow_dissector", offsetof(__sk_buff, flow_keys))->kind, CtxFieldKind::kFlowKeys);
  // Sockets, socket addresses, sockopt buffers.
  EXPECT_TRUE(f("cgroup_sock", offsetof(bpf_sock, mark))->writable);
  EXPECT_FALSE(f("cgroup_sock", offsetof(bpf_sock, family))->writable);
  EXPECT_TRUE(f("cgroup_sock_addr", offsetof(bpf_sock_addr, user_port))->writable);
  EXPECT_FALSE(f("cgroup_sock_addr", offsetof(bpf_sock_addr, msg_src_ip4))->readable);
  EXPECT_EQ(f("cgroup_sock_addr", offsetof(bpf_sock_addr, sk))->kind, CtxFieldKind::kSocket);
  EXPECT_EQ(f("cgroup_sockopt", offsetof(bpf_sockopt, optval))->kind, CtxFieldKind::kPacketStart);
  EXPECT_EQ(f("sk_lookup", offsetof(bpf_sk_lookup, sk))->kind, CtxFieldKind::kSocketOrNull);
  // Tracepoint records hide their 8-byte common header.
  EXPECT_EQ(field_at(*linux.find_type("tracepoint"), 0), nullptr);
  EXPECT_NE(field_at(*linux.find_type("tracepoint"), 8), nullptr);
  // Whole-width-only contexts.
  EXPECT_FALSE(linux.find_type("xdp")->narrow_loads);
  EXPECT_FALSE(linux.find_type("sock_ops")->narrow_loads);
  EXPECT_TRUE(linux.find_type("sched_cls")->narrow_loads);
}

TEST(KernelTablesTest, ReturnRangesFollowCheckReturnCode) {
  const Platform& linux = linux_platform();
  auto range = [&](const char* type) {
    const ProgramType* t = linux.find_type(type);
    return std::make_pair(t->ret_min, t->ret_max);
  };
  for (const char* t : {"cgroup_skb", "cgroup_sock", "cgroup_device", "cgroup_sysctl",
                        "cgroup_sockopt", "cgroup_sock_addr", "sock_ops", "sk_lookup"}) {
    EXPECT_EQ(range(t), std::make_pair(int64_t{0}, int64_t{1})) << t;
    EXPECT_TRUE(linux.find_type(t)->has_ret_range()) << t;
  }
  for (const char* t : {"xdp", "sched_cls", "socket_filter", "kprobe", "tracepoint", "sk_skb",
                        "raw_tracepoint", "ext"}) {
    EXPECT_FALSE(linux.find_type(t)->has_ret_range()) << t;
  }
  auto with = [](const char* type, const char* attach) {
    kernel::RetRange r =
        kernel::return_range(*kernel::find_prog_type(type), kernel::find_attach_type(attach));
    return std::make_pair(r.min, r.max);
  };
  EXPECT_EQ(with("cgroup_skb", "cgroup_inet_egress"), std::make_pair(int64_t{0}, int64_t{3}));
  EXPECT_EQ(with("cgroup_skb", "cgroup_inet_ingress"), std::make_pair(int64_t{0}, int64_t{1}));
  EXPECT_EQ(with("cgroup_sock_addr", "cgroup_udp4_recvmsg"),
            std::make_pair(int64_t{1}, int64_t{1}));
  EXPECT_EQ(with("cgroup_sock_addr", "cgroup_inet4_connect"),
            std::make_pair(int64_t{0}, int64_t{1}));
  EXPECT_EQ(with("lsm", "lsm_mac"), std::make_pair(int64_t{-4095}, int64_t{0}));
  EXPECT_EQ(with("tracing", "trace_fentry"), std::make_pair(int64_t{0}, int64_t{0}));
  EXPECT_TRUE(kernel::return_range(*kernel::find_prog_type("tracing"),
                                   kernel::find_attach_type("trace_raw_tp"))
                  .any());
}

// Direct packet access against a kernel's answers (data/kernel_packet_matrix.txt).
TEST(KernelTablesTest, PacketRulesMatchTheRecordedKernelAnswers) {
  std::ifstream in(BPFJIT_VERIFIER_DATA_DIR "/kernel_packet_matrix.txt");
  ASSERT_TRUE(in) << "cannot open kernel_packet_matrix.txt";
  const Platform& linux = linux_platform();
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    uint32_t type = 0;
    std::string what, verdict;
    ASSERT_TRUE(s >> type >> what >> verdict) << line;
    const ProgramType* t = linux.find_type(kernel::find_prog_type(type)->name);
    ASSERT_NE(t, nullptr) << line;
    const bool ours = what == "read" ? t->packet_access : linux.packet_writable(*t);
    EXPECT_EQ(ours, verdict == "ok") << t->name << " " << what;
    ++cases;
  }
  EXPECT_EQ(cases, 28);
}

// The return ranges against a kernel's answers (data/kernel_return_matrix.txt).
TEST(KernelTablesTest, ReturnRangesMatchTheRecordedKernelAnswers) {
  std::ifstream in(BPFJIT_VERIFIER_DATA_DIR "/kernel_return_matrix.txt");
  ASSERT_TRUE(in) << "cannot open kernel_return_matrix.txt";
  const int64_t tried[] = {-4096, -1, 0, 1, 2, 3, 4};
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    uint32_t type = 0, attach = 0;
    ASSERT_TRUE(s >> type >> attach) << line;
    std::set<int64_t> accepted;
    for (int64_t v; s >> v;) accepted.insert(v);
    const kernel::ProgTypeRow* t = kernel::find_prog_type(type);
    ASSERT_NE(t, nullptr) << line;
    // Attach type 0 is also BPF_CGROUP_INET_INGRESS; it narrows nothing.
    const kernel::RetRange r = kernel::return_range(*t, kernel::find_attach_type(attach));
    for (int64_t v : tried) {
      EXPECT_EQ(r.any() || (r.min <= v && v <= r.max), accepted.count(v) != 0)
          << t->name << " attach " << kernel::find_attach_type(attach)->name << ": exit " << v;
    }
    ++cases;
  }
  EXPECT_EQ(cases, 28);
}

bool may_call(const Platform& p, const char* type, uint32_t id) {
  const ProgramType* t = p.find_type(type);
  const HelperProto* h = p.find_helper(id);
  if (t == nullptr || h == nullptr) return false;
  return h->general ||
         std::find(t->extra_helpers.begin(), t->extra_helpers.end(), id) != t->extra_helpers.end();
}

TEST(KernelTablesTest, HelperSetsFollowTheKernelsFuncProto) {
  const Platform& linux = linux_platform();
  EXPECT_TRUE(may_call(linux, "xdp", BPF_FUNC_probe_read_kernel));  // root's base set
  EXPECT_TRUE(may_call(linux, "sched_cls", BPF_FUNC_skb_store_bytes));
  EXPECT_FALSE(may_call(linux, "cgroup_skb", BPF_FUNC_skb_store_bytes));
  for (const char* t : {"xdp", "sched_cls", "kprobe", "tracepoint", "cgroup_skb"}) {
    EXPECT_TRUE(may_call(linux, t, BPF_FUNC_perf_event_output)) << t;
  }
  EXPECT_TRUE(may_call(linux, "xdp", BPF_FUNC_xdp_adjust_head));
  EXPECT_FALSE(may_call(linux, "sched_cls", BPF_FUNC_xdp_adjust_head));
  EXPECT_TRUE(may_call(linux, "kprobe", BPF_FUNC_get_stackid));
  EXPECT_FALSE(may_call(linux, "xdp", BPF_FUNC_get_stackid));
  EXPECT_TRUE(may_call(linux, "cgroup_sysctl", BPF_FUNC_sysctl_get_name));
  EXPECT_FALSE(may_call(linux, "sched_cls", BPF_FUNC_sysctl_get_name));
  EXPECT_TRUE(may_call(linux, "lsm", BPF_FUNC_inode_storage_get));
  EXPECT_TRUE(may_call(linux, "syscall", BPF_FUNC_sys_bpf));
  EXPECT_FALSE(may_call(linux, "kprobe", BPF_FUNC_sys_bpf));
  EXPECT_TRUE(may_call(linux, "sk_msg", BPF_FUNC_msg_redirect_map));
  EXPECT_TRUE(may_call(linux, "tc", BPF_FUNC_map_lookup_elem));
  // Packet writes: may_access_direct_pkt_data.
  for (const char* t : {"xdp", "sched_cls", "sched_act", "lwt_xmit", "sk_skb", "sk_msg",
                        "cgroup_sockopt"}) {
    EXPECT_TRUE(linux.packet_writable(*linux.find_type(t))) << t;
    EXPECT_TRUE(linux.find_type(t)->packet_writes) << t;
  }
  for (const char* t : {"cgroup_skb", "lwt_in", "flow_dissector", "sk_reuseport", "kprobe"}) {
    EXPECT_FALSE(linux.packet_writable(*linux.find_type(t))) << t;
  }
  EXPECT_TRUE(linux.find_type("cgroup_skb")->packet_access);
  EXPECT_FALSE(linux.find_type("kprobe")->packet_access);
  EXPECT_FALSE(linux.find_type("socket_filter")->packet_access);
  EXPECT_TRUE(linux.find_type("socket_filter")->packet_loads);
}

// The table against a kernel's answers (data/kernel_helper_matrix.txt).
TEST(KernelTablesTest, HelperSetsMatchTheRecordedKernelAnswers) {
  std::ifstream in(BPFJIT_VERIFIER_DATA_DIR "/kernel_helper_matrix.txt");
  ASSERT_TRUE(in) << "cannot open kernel_helper_matrix.txt";
  // Helpers the recording kernel refused for lack of an option or under lockdown, while the
  // kernel's func_proto offers them: probe_write_user, override_return, the seg6 helpers.
  const std::set<uint32_t> config_dependent = {BPF_FUNC_probe_write_user,
                                               BPF_FUNC_override_return,
                                               BPF_FUNC_lwt_seg6_store_bytes,
                                               BPF_FUNC_lwt_seg6_adjust_srh,
                                               BPF_FUNC_lwt_seg6_action};
  std::string line;
  int types_checked = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    uint32_t type = 0;
    char colon = 0;
    s >> type >> colon;
    ASSERT_EQ(colon, ':') << line;
    std::set<uint32_t> allowed;
    for (uint32_t id; s >> id;) allowed.insert(id);
    for (uint32_t id = 1; id <= kernel::max_helper_id(); ++id) {
      if (config_dependent.count(id) != 0) continue;
      EXPECT_EQ(kernel::helper_allowed(id, type), allowed.count(id) != 0)
          << "program type " << kernel::find_prog_type(type)->name << ", helper "
          << kernel::find_helper(id)->name;
    }
    ++types_checked;
  }
  EXPECT_EQ(types_checked, 25);
}

// The context tables against a kernel's answers (data/kernel_ctx_matrix.txt): every field
// is loadable and storable at its full width exactly when the kernel says so, nothing the
// kernel accepts lies outside our fields, and narrow loads we allow the kernel allows too.
TEST(KernelTablesTest, ContextsMatchTheRecordedKernelAnswers) {
  std::ifstream in(BPFJIT_VERIFIER_DATA_DIR "/kernel_ctx_matrix.txt");
  ASSERT_TRUE(in) << "cannot open kernel_ctx_matrix.txt";
  struct Key {
    uint32_t type, off, size;
    bool operator<(const Key& o) const {
      return std::tie(type, off, size) < std::tie(o.type, o.off, o.size);
    }
  };
  std::map<Key, std::string> kernel_says;
  std::set<uint32_t> types;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    Key k{};
    std::string rw;
    ASSERT_TRUE(s >> k.type >> k.off >> k.size >> rw) << line;
    kernel_says[k] = rw;
    types.insert(k.type);
  }
  ASSERT_EQ(types.size(), 24u);
  // Rows that hold the union over attach types (kernel_ctx_fields.def), which the recorded
  // attach type does not show.
  const std::set<std::pair<std::string, std::string>> union_rows = {
      {"xdp", "egress_ifindex"},        {"cgroup_sock", "src_ip4"},
      {"cgroup_sock", "src_ip6[0]"},    {"cgroup_sock", "src_ip6[1]"},
      {"cgroup_sock", "src_ip6[2]"},    {"cgroup_sock", "src_ip6[3]"},
      {"cgroup_sock", "src_port"},      {"cgroup_sock_addr", "user_ip6[0]"},
      {"cgroup_sock_addr", "user_ip6[1]"}, {"cgroup_sock_addr", "user_ip6[2]"},
      {"cgroup_sock_addr", "user_ip6[3]"}, {"cgroup_sock_addr", "msg_src_ip4"},
      {"cgroup_sock_addr", "msg_src_ip6[0]"}, {"cgroup_sock_addr", "msg_src_ip6[1]"},
      {"cgroup_sock_addr", "msg_src_ip6[2]"}, {"cgroup_sock_addr", "msg_src_ip6[3]"},
      {"cgroup_sockopt", "level"},      {"cgroup_sockopt", "optname"},
  };
  const Platform& linux = linux_platform();
  size_t fields_checked = 0;
  for (uint32_t type : types) {
    const ProgramType* t = linux.find_type(kernel::find_prog_type(type)->name);
    ASSERT_NE(t, nullptr) << type;
    const uint32_t probed_size = type == BPF_PROG_TYPE_TRACEPOINT ? 64 : t->ctx_size;
    for (const CtxField& f : t->fields) {
      if (f.offset >= probed_size || union_rows.count({t->name, f.name}) != 0) continue;
      auto it = kernel_says.find({type, f.offset, f.size});
      const std::string rw = it == kernel_says.end() ? "" : it->second;
      EXPECT_EQ(f.readable, rw.find('r') != std::string::npos) << t->name << "." << f.name;
      EXPECT_EQ(f.writable, rw.find('w') != std::string::npos) << t->name << "." << f.name;
      ++fields_checked;
      if (f.kind != CtxFieldKind::kScalar || !t->narrow_loads || !f.narrow_loads) continue;
      for (uint32_t size = 1; size < f.size; size *= 2) {
        for (uint32_t off = f.offset; off < f.offset + f.size; off += size) {
          auto n = kernel_says.find({type, off, size});
          EXPECT_TRUE(n != kernel_says.end() && n->second.find('r') != std::string::npos)
              << t->name << "." << f.name << ": " << size << "-byte load at " << off;
        }
      }
    }
    for (const auto& [k, rw] : kernel_says) {
      if (k.type != type) continue;
      // Stricter than the kernel, known: 8-byte accesses to two __sk_buff.cb[] words (one
      // field per word here), 4-byte loads of bpf_sock.dst_port (a 2-byte field here).
      const bool skb = t->fields.size() > 1 && kernel::find_prog_type(type)->ctx ==
                                                   kernel::CtxLayout::kSkb;
      if (skb && k.size == 8 && (k.off == 48 || k.off == 56)) continue;
      if (type == BPF_PROG_TYPE_CGROUP_SOCK && k.off == 48 && k.size == 4) continue;
      const bool covered = std::any_of(t->fields.begin(), t->fields.end(), [&](const CtxField& f) {
        return f.offset <= k.off && k.off + k.size <= f.offset + f.size;
      });
      EXPECT_TRUE(covered) << t->name << ": the kernel accepts " << k.size << " bytes at "
                           << k.off << " (" << rw << ")";
    }
  }
  EXPECT_GT(fields_checked, 400u);
}

TEST(KernelTablesTest, KernelOnlyKindsStayOutOfTheRuntime) {
  const Platform& linux = linux_platform();
  // The verifier sees every prototype; it refuses the kernel objects it does not model
  // (sockets, timers, ...) by name when a program calls such a helper.
  EXPECT_NE(linux.find_helper(BPF_FUNC_sk_lookup_tcp), nullptr);
  const ProgramType* tc = linux.find_type("sched_cls");
  ASSERT_NE(tc, nullptr);
  auto timer = assemble("mov %r1, %r10\nadd %r1, -8\ncall 172\nmov %r0, 0\nexit\n");
  ASSERT_TRUE(timer.ok()) << timer.error().to_string();
  verifier::VerifyInput in{*timer, {}, {}, *tc, {}, std::nullopt, linux};
  verifier::VerifyResult r = verifier::verify(in);
  ASSERT_FALSE(r.accepted);
  EXPECT_NE(r.error_text().find("does not model"), std::string::npos) << r.error_text();
  EXPECT_NE(linux.find_helper(BPF_FUNC_map_lookup_elem), nullptr);
  EXPECT_NE(linux.find_helper(BPF_FUNC_skb_store_bytes), nullptr);
  // Hosts cannot register helpers or context fields with them.
  HelperTable table;
  HelperProto p;
  p.id = 1000;
  p.name = "host_socket";
  p.fn = [](uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) -> uint64_t {
    return 0;
  };
  p.args = {ArgKind::kPtrToSockCommon};
  EXPECT_FALSE(table.add(p).ok());
  p.args = {ArgKind::kScalar};
  p.ret = RetKind::kPtrToSocketOrNull;
  EXPECT_FALSE(table.add(p).ok());
  p.ret = RetKind::kInteger;
  EXPECT_TRUE(table.add(p).ok());
  ProgramTypeRegistry reg;
  ProgramType t;
  t.name = "host";
  t.ctx_size = 8;
  t.fields = {{"sk", 0, 8, true, false, CtxFieldKind::kSocket}};
  EXPECT_FALSE(reg.add(t).ok());
}

// The verifier checks context accesses of linux types against these fields.
TEST(KernelTablesTest, VerifierUsesTheLinuxContexts) {
  const Platform& linux = linux_platform();
  auto verify_as = [&](const char* type, const char* text) {
    auto insns = assemble(text);
    EXPECT_TRUE(insns.ok()) << insns.error().to_string();
    verifier::VerifyInput in{*insns, {}, {}, *linux.find_type(type), {}, std::nullopt, linux};
    return verifier::verify(in);
  };
  const char* set_mark = R"(
    mov %r2, 7
    stxw [%r1+8], %r2
    mov %r0, 0
    exit
  )";
  EXPECT_TRUE(verify_as("sched_cls", set_mark).accepted);
  EXPECT_TRUE(verify_as("cgroup_skb", set_mark).accepted);
  EXPECT_FALSE(verify_as("socket_filter", set_mark).accepted);
  const char* set_classid = R"(
    mov %r2, 7
    stxw [%r1+72], %r2
    mov %r0, 0
    exit
  )";
  EXPECT_TRUE(verify_as("sched_cls", set_classid).accepted);
  EXPECT_FALSE(verify_as("cgroup_skb", set_classid).accepted);
  // bpf_sock_addr.user_port is writable by connect4 programs.
  EXPECT_TRUE(verify_as("cgroup_sock_addr", R"(
    ldxw %r2, [%r1+24]
    stxw [%r1+24], %r2
    mov %r0, 1
    exit
  )").accepted);
}

}  // namespace
}  // namespace bpfjit
