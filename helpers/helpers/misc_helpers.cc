// Time, randomness, identity, bounded memory reads (probe_read*) and bpf_loop.
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "helpers/helpers/builtin.h"

namespace bpfjit::builtin {
namespace {

// The clock and random helpers read the runtime's host environment (bpfjit/host.h): the
// real clocks and system randomness unless the host fixed them.
uint64_t ktime_get_ns(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  return host_environment(ctx).ktime_ns();
}

uint64_t ktime_get_boot_ns(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  return host_environment(ctx).boot_ns();
}

uint64_t ktime_get_coarse_ns(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                             RunContext* ctx) {
  return host_environment(ctx).coarse_ns();
}

uint64_t jiffies64(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  return host_environment(ctx).jiffies64();
}

uint64_t get_prandom_u32(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  return host_environment(ctx).prandom_u32();
}

// The run's CPU (RunOptions::cpu) or the thread's per-CPU slot.
uint64_t get_smp_processor_id(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return cpu_slot();
}

uint64_t get_current_pid_tgid(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  auto tgid = static_cast<uint64_t>(getpid());
  auto tid = static_cast<uint64_t>(syscall(SYS_gettid));
  return tgid << 32 | (tid & 0xffffffffULL);
}

// probe_read*(dst, size, src): a copy that cannot fault. When src is not readable program
// memory, dst is zeroed and the result is -EFAULT.
uint64_t probe_read(uint64_t dst, uint64_t size, uint64_t src, uint64_t, uint64_t,
                    RunContext* ctx) {
  if (!can_access(ctx, dst, size, true)) return err_code(EFAULT);
  if (size == 0) return 0;
  if (!can_access(ctx, src, size, false)) {
    std::memset(ptr(dst), 0, size);
    return err_code(EFAULT);
  }
  std::memmove(ptr(dst), ptr(src), size);
  return 0;
}

// probe_read*_str(dst, size, src): copies up to size - 1 bytes and a NUL; returns the
// bytes written including the NUL, or -EFAULT (dst[0] zeroed) when src is unreadable.
uint64_t probe_read_str(uint64_t dst, uint64_t size, uint64_t src, uint64_t, uint64_t,
                        RunContext* ctx) {
  if (!can_access(ctx, dst, size, true)) return err_code(EFAULT);
  if (size == 0) return 0;
  auto* d = ptr<char>(dst);
  uint64_t i = 0;
  for (; i + 1 < size; ++i) {
    if (!can_access(ctx, src + i, 1, false)) {
      if (i == 0) {
        d[0] = 0;
        return err_code(EFAULT);
      }
      break;
    }
    char c = *ptr<const char>(src + i);
    d[i] = c;
    if (c == 0) return i + 1;
  }
  d[i] = 0;
  return i + 1;
}

// loop(nr, callback, cb_ctx, flags): calls callback(i, cb_ctx) for i in [0, nr) until it
// returns non-zero. Returns the number of calls made, -E2BIG when nr > 1 << 23, -EINVAL on
// flags or when the engine cannot call back.
uint64_t loop(uint64_t nr, uint64_t callback, uint64_t cb_ctx, uint64_t flags, uint64_t,
              RunContext* ctx) {
  if (flags != 0 || ctx->invoke == nullptr || callback > UINT32_MAX) return err_code(EINVAL);
  if (nr > kMaxLoopIterations) return err_code(E2BIG);
  auto pc = static_cast<uint32_t>(callback);
  for (uint64_t i = 0; i < nr; ++i) {
    uint64_t r = ctx->invoke(ctx, pc, i, cb_ctx, 0, 0, 0);
    if (r != 0 || ctx->trap.kind != TrapKind::kNone) return i + 1;
  }
  return nr;
}

}  // namespace

void add_misc_helpers(HelperTable& t) {
  using A = ArgKind;
  add_builtin(t, {helper_id::kKtimeGetNs, "ktime_get_ns", ktime_get_ns});
  add_builtin(t, {helper_id::kKtimeGetBootNs, "ktime_get_boot_ns", ktime_get_boot_ns});
  add_builtin(t, {helper_id::kGetPrandomU32, "get_prandom_u32", get_prandom_u32});
  add_builtin(t, {helper_id::kGetSmpProcessorId, "get_smp_processor_id", get_smp_processor_id});
  add_builtin(t, {helper_id::kJiffies64, "jiffies64", jiffies64});
  // The kernel offers it to the network program types only (kernel_helpers.def).
  add_builtin(t, kernel_proto(helper_id::kKtimeGetCoarseNs, ktime_get_coarse_ns));
  // Tracing helpers: not general (the kernel gives them to tracing programs only).
  add_builtin(t, {helper_id::kGetCurrentPidTgid, "get_current_pid_tgid", get_current_pid_tgid,
                  RetKind::kInteger, {}, false});
  const std::array<ArgKind, 5> read_args = {A::kPtrToUninitMem, A::kConstSizeOrZero,
                                            A::kAnything};
  add_builtin(t, {helper_id::kProbeRead, "probe_read", probe_read, RetKind::kInteger, read_args,
                  false});
  add_builtin(t, {helper_id::kProbeReadUser, "probe_read_user", probe_read, RetKind::kInteger,
                  read_args, false});
  add_builtin(t, {helper_id::kProbeReadKernel, "probe_read_kernel", probe_read,
                  RetKind::kInteger, read_args, false});
  add_builtin(t, {helper_id::kProbeReadStr, "probe_read_str", probe_read_str, RetKind::kInteger,
                  read_args, false});
  add_builtin(t, {helper_id::kProbeReadUserStr, "probe_read_user_str", probe_read_str,
                  RetKind::kInteger, read_args, false});
  add_builtin(t, {helper_id::kProbeReadKernelStr, "probe_read_kernel_str", probe_read_str,
                  RetKind::kInteger, read_args, false});
  add_builtin(t, {helper_id::kLoop, "loop", loop, RetKind::kInteger,
                  {A::kScalar, A::kPtrToFunc, A::kPtrToStackOrNull, A::kScalar}});
}

}  // namespace bpfjit::builtin
