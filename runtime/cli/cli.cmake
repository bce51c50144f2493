# The command-line tool `bpfjit` and the conformance suite's plugin. Both need an engine
# (prepare_engine, in bpfjit_interp); until that library exists they are not built.
if(TARGET bpfjit_interp)
  # What both executables share: program files, hex, one run with the conformance helpers.
  add_library(bpfjit_cli_common STATIC
    cli/program_io.cc
    cli/test_helpers.cc
  )
  target_link_libraries(bpfjit_cli_common PUBLIC bpfjit_isa bpfjit_engine bpfjit_jit bpfjit_verifier fmt::fmt)
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
  # Start-up: no shared library the tool does not call (--as-needed), an optimised
  # symbol hash table (-O1). Lazy binding stays (-z now resolves every symbol up front).
  target_link_options(bpfjit_cli PRIVATE LINKER:-O1,--as-needed)
  bpfjit_warnings(bpfjit_cli)

  add_executable(bpfjit-conformance-plugin cli/plugin.cc)
  target_link_libraries(bpfjit-conformance-plugin PRIVATE bpfjit_cli_common CLI11::CLI11)
  bpfjit_warnings(bpfjit-conformance-plugin)
endif()
