/* Programs a host must not be able to run as "pricing" programs, one per object:
 *   -DREFUSED=1  writes user_id, a read-only field
 *   -DREFUSED=2  reads host_handle, which the type does not list
 *   -DREFUSED=3  passes the context to kv_get as the key (the helper's prototype wants
 *                memory of the program's own: stack, map value)
 * The pricing example loads and prepares each one to show what the refusal says. */
#include "bpfjit_helpers.h"
#include "pricing_ctx.h"

#if REFUSED == 1
SEC("pricing")
int write_user_id(struct order_ctx *ctx) {
  ctx->user_id = 0;
  return ORDER_OK;
}
#elif REFUSED == 2
SEC("pricing")
int read_host_handle(struct order_ctx *ctx) {
  return ctx->host_handle != 0;
}
#elif REFUSED == 3
static long (*kv_get)(const void *key, __u32 key_size, void *value,
                      __u32 value_size) = (void *)HELPER_KV_GET;

SEC("pricing")
int ctx_as_key(struct order_ctx *ctx) {
  __u64 price = 0;
  kv_get(ctx, sizeof(struct kv_key), &price, sizeof(price));
  return price != 0;
}
#else
#error "build with -DREFUSED=1, 2 or 3"
#endif

char LICENSE[] SEC("license") = "GPL";
