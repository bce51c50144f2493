# The command-line tool `bpfjit` and the conformance suite's plugin. Both need an engine
# (prepare_engine, in bpfjit_interp); until that library exists they are not built.
if(TARGET bpfjit_interp)
  # What both executables share: program files, hex, one run with the conformance helpers.
  add_library(bpfjit_cli_common STATIC
    cli/program_io.cc
    cli/test_helpers.cc
  )
  target_link_libraries(bpfjit_cli_common PUBLIC bpfjit_isa bpfjit_engine bpfjit_jit bpfjit_verifier bpfjit_fmt)
  bpfjit_warnings(bpfjit_cli_common)

  add_executable(bpfjit_cli
    cli/main.cc
    cli/cmd_asm.cc
    cli/cmd_disasm.cc
    cli/cmd_run.cc
    cli/cmd_jit_dump.cc
    cli/cmd_inspect.cc
    cli/cmd_verify.cc
    cli/verify_object.cc
    cli/object_cli.cc
    cli/pcap.cc
    cli/pcap_run.cc
    cli/host_cli.cc
  )
  set_target_properties(bpfjit_cli PROPERTIES OUTPUT_NAME bpfjit)
  target_link_libraries(bpfjit_cli PRIVATE bpfjit_cli_common bpfjit bpfjit_verifier CLI11::CLI11)
  target_compile_definitions(bpfjit_cli PRIVATE PROJECT_VERSION="${PROJECT_VERSION}")
  # Start-up. How the tool is linked (BPFJIT_CLI_LINK):
  #   static      (default) a static, position-dependent executable: the kernel maps it and
  #               it runs, with no dynamic loader and no relocations to apply. Its own code
  #               sits at a fixed address; heap, stacks, JIT code and run stacks are still
  #               randomised.
  #   static-pie  static and position-independent: the whole image is randomised, at the
  #               cost of applying its relative relocations at each start.
  #   dynamic     shared libstdc++ and libc (and fmt and spdlog when
  #               BPFJIT_STATIC_FMT_SPDLOG is off).
  # The sanitizer and coverage builds, whose runtimes are shared libraries, and a build
  # without the static archives of libbpf, libelf and zlib always link it dynamically.
  set(BPFJIT_CLI_LINK static CACHE STRING "how bpfjit is linked: static, static-pie or dynamic")
  set_property(CACHE BPFJIT_CLI_LINK PROPERTY STRINGS static static-pie dynamic)
  set(_cli_link ${BPFJIT_CLI_LINK})
  if(BPFJIT_SANITIZE OR BPFJIT_TSAN OR BPFJIT_FUZZ OR BPFJIT_COVERAGE OR NOT BPFJIT_STATIC_FMT_SPDLOG
     OR NOT (BPFJIT_LIBBPF_A AND BPFJIT_LIBELF_A AND BPFJIT_LIBZ_A))
    set(_cli_link dynamic)
  endif()
  if(_cli_link STREQUAL "static")
    target_link_options(bpfjit_cli PRIVATE -static -no-pie)
  elseif(_cli_link STREQUAL "static-pie")
    target_link_options(bpfjit_cli PRIVATE -static-pie)
  else()
    # No shared library the tool does not call (--as-needed), an optimised symbol hash
    # table (-O1). Lazy binding stays (-z now resolves every symbol up front).
    target_link_options(bpfjit_cli PRIVATE LINKER:-O1,--as-needed)
  endif()
  bpfjit_warnings(bpfjit_cli)

  add_executable(bpfjit-conformance-plugin cli/plugin.cc)
  target_link_libraries(bpfjit-conformance-plugin PRIVATE bpfjit_cli_common CLI11::CLI11)
  bpfjit_warnings(bpfjit-conformance-plugin)
endif()
