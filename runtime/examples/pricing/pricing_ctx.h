/* The "pricing" program type of the pricing example: the context struct a host passes to
 * each run and the ids of the host's own helpers. Shared by the BPF C programs and the C++
 * host; plain C types so that both compilers agree on the layout. */
#ifndef BPFJIT_EXAMPLE_PRICING_CTX_H
#define BPFJIT_EXAMPLE_PRICING_CTX_H

/* One order. Programs read the first three fields, write the next two, and cannot touch
 * host_handle (the type lists no field there). */
struct order_ctx {
  unsigned int user_id;          /* read-only */
  unsigned int item_id;          /* read-only */
  unsigned int quantity;         /* read-only */
  unsigned int discount_pct;     /* written by the program */
  unsigned long long total;      /* written by the program: cents */
  unsigned long long host_handle; /* the host's own: not accessible */
};

/* The key of the host's key-value table. */
struct kv_key {
  unsigned int table; /* enum kv_table */
  unsigned int id;    /* an item id or a user id */
};

enum kv_table { TABLE_PRICE = 1, TABLE_DISCOUNT = 2 };

/* r0 of a pricing program. */
enum order_status { ORDER_OK = 0, ORDER_UNKNOWN_ITEM = 1, ORDER_BAD_QUANTITY = 2 };

/* Host helper ids (hosts pick ids >= 1000). */
#define HELPER_KV_GET 1000      /* long kv_get(key, key_size, value, value_size): 0 or -2 */
#define HELPER_EMIT_METRIC 1001 /* long emit_metric(name, name_size, value): 0 */

#endif
