# fmt and spdlog for the build tree. Debian ships both only as shared libraries; by default
# (BPFJIT_STATIC_FMT_SPDLOG) their compiled parts are built here from Debian's headers
# (fmt_lib.cc, spdlog_lib.cc) into static libraries, so that no executable of the build
# tree pays the dynamic loader for them at start-up. Every target links bpfjit_fmt and
# bpfjit_spdlog, never fmt::fmt or spdlog::spdlog directly. libbpfjit.so and the installed
# package (cmake/Install.cmake) link Debian's shared libraries as before: the objects are
# the same either way, since the static build keeps Debian's configuration of both
# (SPDLOG_COMPILED_LIB, SPDLOG_FMT_EXTERNAL).
# The instrumented builds (sanitizers, fuzzing, coverage) start slowly anyway and link their
# tools dynamically, so they use Debian's shared libraries and skip the two compiles.
option(BPFJIT_STATIC_FMT_SPDLOG
       "build fmt and spdlog from Debian's headers into static libraries for the build tree" ON)
set(_bpfjit_static_fmt_spdlog ${BPFJIT_STATIC_FMT_SPDLOG})
if(BPFJIT_SANITIZE OR BPFJIT_TSAN OR BPFJIT_FUZZ OR BPFJIT_COVERAGE)
  set(_bpfjit_static_fmt_spdlog OFF)
endif()

add_library(bpfjit_fmt INTERFACE)
add_library(bpfjit_spdlog INTERFACE)
if(_bpfjit_static_fmt_spdlog)
  add_library(bpfjit_fmt_static STATIC ${CMAKE_CURRENT_LIST_DIR}/fmt_lib.cc)
  target_include_directories(bpfjit_fmt_static SYSTEM PUBLIC
    $<TARGET_PROPERTY:fmt::fmt,INTERFACE_INCLUDE_DIRECTORIES>)
  target_compile_options(bpfjit_fmt_static PRIVATE -w)

  add_library(bpfjit_spdlog_static STATIC ${CMAKE_CURRENT_LIST_DIR}/spdlog_lib.cc)
  target_compile_definitions(bpfjit_spdlog_static PUBLIC SPDLOG_COMPILED_LIB SPDLOG_FMT_EXTERNAL)
  target_compile_options(bpfjit_spdlog_static PRIVATE -w)
  target_link_libraries(bpfjit_spdlog_static PUBLIC bpfjit_fmt_static Threads::Threads)

  target_link_libraries(bpfjit_fmt INTERFACE bpfjit_fmt_static)
  target_link_libraries(bpfjit_spdlog INTERFACE bpfjit_spdlog_static)
else()
  target_link_libraries(bpfjit_fmt INTERFACE fmt::fmt)
  target_link_libraries(bpfjit_spdlog INTERFACE spdlog::spdlog)
endif()
