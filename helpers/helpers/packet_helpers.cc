// Packet helpers for socket_filter programs, whose context is the runtime's SkBuffCtx.
#include <cstring>

#include "helpers/helpers/builtin.h"
#include "helpers/program_types.h"

namespace bpfjit::builtin {
namespace {

// skb_load_bytes(skb, offset, to, len): copies len packet bytes from offset. 0, -EFAULT
// when the range lies outside the packet (or `to` is not writable), -EINVAL for a context
// pointer the program may not read. The context is program memory like any other: its
// data/data_end are checked again before they are used.
uint64_t skb_load_bytes(uint64_t skb, uint64_t offset, uint64_t to, uint64_t len, uint64_t,
                        RunContext* ctx) {
  if (!can_access(ctx, skb, sizeof(SkBuffCtx), false)) return err_code(EINVAL);
  SkBuffCtx c;
  std::memcpy(&c, ptr(skb), sizeof c);
  if (!can_access(ctx, to, len, true)) return err_code(EFAULT);
  if (len == 0) return 0;
  if (c.data > c.data_end || offset > c.data_end - c.data || len > c.data_end - c.data - offset ||
      !can_access(ctx, c.data + offset, len, false)) {
    std::memset(ptr(to), 0, len);
    return err_code(EFAULT);
  }
  std::memmove(ptr(to), ptr(c.data + offset), len);
  return 0;
}

}  // namespace

void add_packet_helpers(HelperTable& t) {
  using A = ArgKind;
  add_builtin(t, {helper_id::kSkbLoadBytes, "skb_load_bytes", skb_load_bytes, RetKind::kInteger,
                  {A::kPtrToCtx, A::kScalar, A::kPtrToUninitMem, A::kConstSize}, false});
}

}  // namespace bpfjit::builtin
