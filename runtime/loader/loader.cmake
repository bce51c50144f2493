# The ELF loader and the top-level runtime library `bpfjit` (the public API in api.cmake
# adds its sources to the same target).
add_library(bpfjit STATIC
  loader/loader.cc
  loader/ctx_rewrite.cc
  loader/btf_relo.cc
)
target_include_directories(bpfjit PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>)
if(TARGET bpfjit_engine)
  target_link_libraries(bpfjit PUBLIC bpfjit_engine)
endif()
if(TARGET bpfjit_interp)
  target_link_libraries(bpfjit PUBLIC bpfjit_interp)
endif()
target_link_libraries(bpfjit
  PUBLIC bpfjit_helpers bpfjit_isa
  PRIVATE bpfjit_elf_libs bpfjit_spdlog bpfjit_fmt Threads::Threads)
bpfjit_warnings(bpfjit)
