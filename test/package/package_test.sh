#!/usr/bin/env bash
# Installs the build tree to a fresh prefix and uses it as an outside project would:
# every installed header compiles on its own; libbpfjit.so exports no third-party symbol;
# `bpfjit --version` works; a CMake project (find_package) builds and runs a C++ and a C
# consumer against libbpfjit.so and again against libbpfjit.a, and a pure C project links
# libbpfjit.a; a C consumer builds with
# pkg-config flags only (shared) and a C++ one with `pkg-config --static` (static archive).
# Usage: package_test.sh CMAKE BUILD_DIR WORK_DIR CONSUMER_SRC BPF_PROGS_DIR CC CXX VERSION
#        [SANITIZER_FLAGS]
set -euo pipefail
cmake=$1 build=$2 work=$3 src=$4 progs=$5 cc=$6 cxx=$7 version=$8 san=${9:-}

rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
step() { echo "=== $*" >&2; }
fail() { echo "package test: $*" >&2; exit 1; }

step "install to $prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log"
libdir=$(dirname "$(find "$prefix" -name 'libbpfjit.so' | head -n1)")
[ -f "$libdir/libbpfjit.a" ] || fail "libbpfjit.a is not installed next to libbpfjit.so"
[ -f "$libdir/cmake/bpfjit/bpfjitConfig.cmake" ] || fail "no bpfjitConfig.cmake"
[ -f "$libdir/pkgconfig/bpfjit.pc" ] || fail "no bpfjit.pc"

step "the CLI"
got=$("$prefix/bin/bpfjit" --version)
[ "$got" = "bpfjit $version" ] || fail "bpfjit --version printed '$got', not 'bpfjit $version'"
[ -x "$prefix/bin/bpfjit-conformance-plugin" ] || fail "no bpfjit-conformance-plugin"

step "public headers stand alone"
headers=("$prefix"/include/bpfjit/*.h)
[ ${#headers[@]} -ge 8 ] || fail "only ${#headers[@]} headers installed"
if grep -nE '#include *[<"](asmjit|spdlog|fmt|libelf|gelf|bpf/|runtime/|helpers/|jit/|verifier/)' \
     "${headers[@]}"; then
  fail "a public header includes a third-party or internal header"
fi
if grep -nwE 'asmjit|spdlog|Elf|GElf|Elf64_[A-Za-z]+' "${headers[@]}" | grep -vE '^[^:]+:[0-9]+: *//'; then
  fail "a public header names an asmjit, spdlog or libelf type"
fi
for h in "${headers[@]}"; do
  name=bpfjit/$(basename "$h")
  echo "#include <$name>" | "$cxx" -std=c++20 -fsyntax-only -Wall -Wextra -Werror \
    -I"$prefix/include" -x c++ - || fail "$name does not compile on its own"
done
echo '#include <bpfjit/bpfjit.h>' | "$cc" -std=c11 -pedantic-errors -Wall -Wextra -Werror \
  -fsyntax-only -x c - -I"$prefix/include" || fail "bpfjit.h is not C11"

step "libbpfjit.so exports only bpfjit"
exports=$(nm -D --defined-only "$libdir/libbpfjit.so" | awk '{print $3}' | c++filt)
foreign=$(echo "$exports" | grep -vE '^(bpfjit_|bpfjit::|_init$|_fini$|$)' || true)
[ -z "$foreign" ] || fail "libbpfjit.so exports other symbols: $(echo "$foreign" | head -5)"
echo "$exports" | grep -q '^bpfjit::Runtime::load_file' || fail "bpfjit::Runtime is not exported"
echo "$exports" | grep -q '^bpfjit_program_run$' || fail "bpfjit_program_run is not exported"

san_args=()
if [ -n "$san" ]; then
  san_args=(-DCMAKE_C_FLAGS="$san" -DCMAKE_CXX_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san")
fi
# shared, static: C and C++ consumers; static-c: a pure C project (no C++ compiler enabled)
# that links the static archive.
for kind in shared static static-c; do
  step "find_package consumer, $kind"
  static=ON c_only=OFF exes=(consumer_cpp consumer_c)
  if [ $kind = shared ]; then static=OFF; fi
  if [ $kind = static-c ]; then c_only=ON exes=(consumer_c); fi
  "$cmake" -S "$src" -B "$work/consumer-$kind" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" \
    -DBPFJIT_STATIC=$static -DCONSUMER_C_ONLY=$c_only "${san_args[@]}" \
    >"$work/consumer-$kind.log" || { cat "$work/consumer-$kind.log"; fail "configure $kind"; }
  "$cmake" --build "$work/consumer-$kind" >>"$work/consumer-$kind.log" ||
    { cat "$work/consumer-$kind.log"; fail "the $kind consumer does not build"; }
  for exe in "${exes[@]}"; do
    "$work/consumer-$kind/$exe" "$progs" || fail "$kind $exe failed"
    needs_so=no
    if readelf -d "$work/consumer-$kind/$exe" | grep -q 'libbpfjit\.so'; then needs_so=yes; fi
    if [ $kind = shared ] && [ $needs_so = no ]; then fail "$exe does not use libbpfjit.so"; fi
    if [ $kind != shared ] && [ $needs_so = yes ]; then
      fail "$kind $exe uses libbpfjit.so, not the archive"
    fi
  done
done

step "pkg-config consumers"
export PKG_CONFIG_PATH=$libdir/pkgconfig
pcver=$(pkg-config --modversion bpfjit)
[ "$pcver" = "$version" ] || fail "bpfjit.pc says version $pcver"
pclibdir=$(pkg-config --variable=libdir bpfjit)
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 $san "$src/consumer.c" -o "$work/pc_c" $(pkg-config --cflags --libs bpfjit) \
  -Wl,-rpath,"$pclibdir" || fail "the pkg-config C consumer does not build"
"$work/pc_c" "$progs" || fail "pkg-config C consumer failed"
# shellcheck disable=SC2046,SC2086
"$cxx" -std=c++20 $san "$src/consumer.cc" -o "$work/pc_cpp_static" $(pkg-config --cflags bpfjit) \
  "$pclibdir/libbpfjit.a" $(pkg-config --static --libs-only-L --libs-only-l bpfjit | \
                            sed 's/-lbpfjit\b//') ||
  fail "the pkg-config static C++ consumer does not build"
"$work/pc_cpp_static" "$progs" || fail "pkg-config static C++ consumer failed"
step "ok"
