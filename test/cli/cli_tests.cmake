# Tests of the built `bpfjit` tool and the conformance plugin (a shell script drives them).
if(TARGET bpfjit_cli AND TARGET bpfjit-conformance-plugin)
  foreach(case version asm-disasm run refused harden plugin conformance)
    add_test(NAME cli.${case}
      COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli_test.sh ${case}
              $<TARGET_FILE:bpfjit_cli> $<TARGET_FILE:bpfjit-conformance-plugin>
              ${CMAKE_CURRENT_SOURCE_DIR}/cli/data ${BPFJIT_CONFORMANCE_DIR}
              ${CMAKE_CURRENT_BINARY_DIR}/cli-work/${case})
    set_tests_properties(cli.${case} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
  endforeach()
  # inspect and test-run read bpf-progs objects (skipped when they are not built).
  foreach(case inspect test-run pcap host-env)
    add_test(NAME cli.${case}
      COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli_test.sh ${case}
              $<TARGET_FILE:bpfjit_cli> $<TARGET_FILE:bpfjit-conformance-plugin>
              ${CMAKE_CURRENT_SOURCE_DIR}/cli/data ${BPFJIT_CONFORMANCE_DIR}
              ${CMAKE_CURRENT_BINARY_DIR}/cli-work/${case} ${BPFJIT_BPF_PROGS_DIR})
    set_tests_properties(cli.${case} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
  endforeach()
endif()

# `bpfjit verify OBJ`: every program of an object, text and --json.
if(TARGET bpfjit_cli AND DEFINED BPFJIT_COMPAT_PROGS_DIR)
  add_test(NAME cli.verify
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli_verify_test.sh
            $<TARGET_FILE:bpfjit_cli> ${BPFJIT_BPF_PROGS_DIR} ${BPFJIT_COMPAT_PROGS_DIR})
  set_tests_properties(cli.verify PROPERTIES TIMEOUT 120)
endif()
