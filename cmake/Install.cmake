# Installation and the CMake package (find_package(bpfjit)).
#
# The layers stay separate static libraries inside the build (bpfjit_isa, bpfjit_helpers,
# bpfjit_verifier, bpfjit_jit, bpfjit_interp, bpfjit_engine, bpfjit, bpfjit_c; all -fPIC).
# For consumers, their objects are packed twice into one library, both called bpfjit:
#   libbpfjit.so  target bpfjit_shared: exports only the public C++ and C API
#                 (cmake/bpfjit.map); asmjit, spdlog, fmt, libelf and libbpf stay private.
#   libbpfjit.a   target bpfjit_static: one archive of every layer; a consumer links
#                 asmjit, fmt, spdlog, libelf, libbpf itself (bpfjitConfig.cmake finds them
#                 when BPFJIT_STATIC is ON; bpfjit.pc lists them as private).
# Installed: both libraries, the public headers (include/bpfjit/*.h), the CLI (bpfjit,
# bpfjit-conformance-plugin), lib/cmake/bpfjit/ and lib/pkgconfig/bpfjit.pc.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

option(BPFJIT_INSTALL "build libbpfjit.so and libbpfjit.a and define the install rules"
       ${BPFJIT_TOP_LEVEL})
if(NOT BPFJIT_INSTALL)
  return()
endif()

set(_bpfjit_objects)
foreach(layer bpfjit_isa bpfjit_helpers bpfjit_verifier bpfjit_jit bpfjit_interp bpfjit_engine
        bpfjit bpfjit_c)
  if(TARGET ${layer})
    list(APPEND _bpfjit_objects $<TARGET_OBJECTS:${layer}>)
  endif()
endforeach()
set(_bpfjit_private_deps asmjit::asmjit PkgConfig::LIBELF PkgConfig::LIBBPF spdlog::spdlog
    fmt::fmt Threads::Threads)
set(_bpfjit_dist_dir ${CMAKE_BINARY_DIR}/lib/dist)  # lib/ already has the layer libbpfjit.a

# Debian's libasmjit.a is -fPIE, not -fPIC: its one reference to libc's `stderr` cannot be
# linked into a shared library. libbpfjit.so links a copy with that reference renamed to a
# variable of its own (runtime/asmjit_stderr.cc).
set(_bpfjit_asmjit_pic ${_bpfjit_dist_dir}/libasmjit_for_bpfjit.a)
add_custom_command(OUTPUT ${_bpfjit_asmjit_pic}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_bpfjit_dist_dir}
  COMMAND ${CMAKE_OBJCOPY} --redefine-sym stderr=libbpfjit_asmjit_stderr
          $<TARGET_FILE:asmjit::asmjit> ${_bpfjit_asmjit_pic}
  DEPENDS $<TARGET_FILE:asmjit::asmjit>
  COMMENT "asmjit for libbpfjit.so"
  VERBATIM)
add_custom_target(bpfjit_asmjit_pic DEPENDS ${_bpfjit_asmjit_pic})

add_library(bpfjit_shared SHARED ${_bpfjit_objects}
  ${PROJECT_SOURCE_DIR}/runtime/asmjit_stderr.cc)
set_target_properties(bpfjit_shared PROPERTIES
  OUTPUT_NAME bpfjit
  EXPORT_NAME bpfjit_shared
  LINKER_LANGUAGE CXX
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}
  LIBRARY_OUTPUT_DIRECTORY ${_bpfjit_dist_dir}
  LINK_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/bpfjit.map)
add_dependencies(bpfjit_shared bpfjit_asmjit_pic)
target_link_libraries(bpfjit_shared PRIVATE ${_bpfjit_asmjit_pic} PkgConfig::LIBELF
  PkgConfig::LIBBPF spdlog::spdlog fmt::fmt Threads::Threads rt)
target_link_options(bpfjit_shared PRIVATE
  -Wl,--version-script=${CMAKE_CURRENT_LIST_DIR}/bpfjit.map -Wl,--no-undefined)

add_library(bpfjit_static STATIC ${_bpfjit_objects})
set_target_properties(bpfjit_static PROPERTIES
  OUTPUT_NAME bpfjit
  EXPORT_NAME bpfjit_static
  LINKER_LANGUAGE CXX
  ARCHIVE_OUTPUT_DIRECTORY ${_bpfjit_dist_dir})
target_link_libraries(bpfjit_static PRIVATE ${_bpfjit_private_deps})

foreach(lib bpfjit_shared bpfjit_static)
  target_include_directories(${lib} INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endforeach()

install(TARGETS bpfjit_shared bpfjit_static EXPORT bpfjitTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/bpfjit
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
foreach(exe bpfjit_cli bpfjit-conformance-plugin)
  if(TARGET ${exe})
    install(TARGETS ${exe} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()

set(_bpfjit_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/bpfjit)
install(EXPORT bpfjitTargets NAMESPACE bpfjit:: DESTINATION ${_bpfjit_cmake_dir})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/bpfjitConfig.cmake.in
  ${CMAKE_BINARY_DIR}/bpfjitConfig.cmake
  INSTALL_DESTINATION ${_bpfjit_cmake_dir})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/bpfjitConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/bpfjitConfig.cmake ${CMAKE_BINARY_DIR}/bpfjitConfigVersion.cmake
  DESTINATION ${_bpfjit_cmake_dir})

# bpfjit.pc finds its prefix from its own place (${pcfiledir}), so that
# `cmake --install --prefix DIR` works.
file(RELATIVE_PATH BPFJIT_PC_PREFIX_REL "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
string(REGEX REPLACE "/$" "" BPFJIT_PC_PREFIX_REL "${BPFJIT_PC_PREFIX_REL}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/bpfjit.pc.in ${CMAKE_BINARY_DIR}/bpfjit.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/bpfjit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
