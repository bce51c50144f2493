/* Prints the layout of the C API's structs that the Python bindings declare with ctypes
 * (runtime/python/bpfjit/_capi.py), as the C compiler lays them out: "STRUCT size N" and
 * "STRUCT.FIELD offset N" lines. bindings_test.py compares them with ctypes'. */
#include <stddef.h>
#include <stdio.h>

#include "bpfjit/bpfjit.h"

#define SIZE(s) printf("%s size %zu\n", #s, sizeof(s))
#define FIELD(s, f) printf("%s.%s offset %zu\n", #s, #f, offsetof(s, f))

int main(void) {
  SIZE(bpfjit_run_options);
  FIELD(bpfjit_run_options, budget);
  FIELD(bpfjit_run_options, user_data);
  FIELD(bpfjit_run_options, ifindex);
  FIELD(bpfjit_run_options, rx_queue);
  FIELD(bpfjit_run_options, protocol);
  FIELD(bpfjit_run_options, mark);
  FIELD(bpfjit_run_options, has_cpu);
  FIELD(bpfjit_run_options, cpu);
  SIZE(bpfjit_test_run);
  FIELD(bpfjit_test_run, data_in);
  FIELD(bpfjit_test_run, data_size_in);
  FIELD(bpfjit_test_run, ctx_in);
  FIELD(bpfjit_test_run, ctx_size_in);
  FIELD(bpfjit_test_run, repeat);
  FIELD(bpfjit_test_run, opts);
  FIELD(bpfjit_test_run, data_out);
  FIELD(bpfjit_test_run, data_size_out);
  FIELD(bpfjit_test_run, ctx_out);
  FIELD(bpfjit_test_run, ctx_size_out);
  FIELD(bpfjit_test_run, retval);
  FIELD(bpfjit_test_run, r0);
  FIELD(bpfjit_test_run, duration_ns);
  FIELD(bpfjit_test_run, redirect_kind);
  FIELD(bpfjit_test_run, redirect_target);
  FIELD(bpfjit_test_run, redirect_key);
  FIELD(bpfjit_test_run, redirect_flags);
  FIELD(bpfjit_test_run, redirect_map);
  SIZE(bpfjit_prepare_options);
  FIELD(bpfjit_prepare_options, engine);
  FIELD(bpfjit_prepare_options, safety);
  FIELD(bpfjit_prepare_options, has_mem_size);
  FIELD(bpfjit_prepare_options, mem_size);
  FIELD(bpfjit_prepare_options, verifier_log);
  FIELD(bpfjit_prepare_options, complexity_limit);
  FIELD(bpfjit_prepare_options, harden);
  FIELD(bpfjit_prepare_options, verifier_time_limit_ms);
  FIELD(bpfjit_prepare_options, verifier_memory_limit);
  SIZE(bpfjit_load_settings);
  FIELD(bpfjit_load_settings, program_type);
  FIELD(bpfjit_load_settings, reuse_maps);
  FIELD(bpfjit_load_settings, reuse_map_count);
  FIELD(bpfjit_load_settings, target_btf);
  FIELD(bpfjit_load_settings, kconfig_file);
  return 0;
}
