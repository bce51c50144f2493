# The C API (runtime/include/bpfjit/bpfjit.h) over the public C++ API. In the build tree it
# is its own small library, bpfjit_c, above `bpfjit`; the installed libbpfjit holds both
# APIs (cmake/Install.cmake).
add_library(bpfjit_c STATIC capi.cc)
target_link_libraries(bpfjit_c PUBLIC bpfjit)
bpfjit_warnings(bpfjit_c)
