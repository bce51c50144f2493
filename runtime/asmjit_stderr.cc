// Only in libbpfjit.so (cmake/Install.cmake). Debian's libasmjit.a is compiled for
// executables (-fPIE): its debug output reads `stderr` with a PC-relative load, which a
// shared library cannot resolve against libc. The copy of the archive that libbpfjit.so
// links has that reference renamed (objcopy --redefine-sym) to this hidden variable.
#include <cstdio>

extern "C" {
__attribute__((visibility("hidden"))) FILE* libbpfjit_asmjit_stderr = stderr;
}
