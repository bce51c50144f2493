/* Prices an order for the host-defined "pricing" program type: looks the item's unit price
 * and the user's discount up in the host's table, writes the total into the context and
 * reports it to the host as a metric. */
#include "bpfjit_helpers.h"
#include "pricing_ctx.h"

static long (*kv_get)(const void *key, __u32 key_size, void *value,
                      __u32 value_size) = (void *)HELPER_KV_GET;
static long (*emit_metric)(const char *name, __u32 name_size, __u64 value) =
    (void *)HELPER_EMIT_METRIC;

SEC("pricing")
int price_order(struct order_ctx *ctx) {
  struct kv_key key = {TABLE_PRICE, ctx->item_id};
  __u64 price = 0;
  if (kv_get(&key, sizeof(key), &price, sizeof(price)) != 0) {
    char name[] = "unknown_item";
    emit_metric(name, sizeof(name), ctx->item_id);
    return ORDER_UNKNOWN_ITEM;
  }
  __u32 quantity = ctx->quantity;
  if (quantity == 0 || quantity > 1000) return ORDER_BAD_QUANTITY;
  __u64 discount = 0;
  key.table = TABLE_DISCOUNT;
  key.id = ctx->user_id;
  if (kv_get(&key, sizeof(key), &discount, sizeof(discount)) != 0 || discount > 100)
    discount = 0;
  __u64 total = price * quantity * (100 - discount) / 100;
  ctx->discount_pct = discount;
  ctx->total = total;
  char name[] = "order_total";
  emit_metric(name, sizeof(name), total);
  return ORDER_OK;
}

char LICENSE[] SEC("license") = "GPL";
