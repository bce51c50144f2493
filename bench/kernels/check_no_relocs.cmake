# Fails when the BPF object OBJ has relocations: a kernel must be a self-contained program
# (no globals, no helper calls) so that its raw bytes run as they are.
execute_process(COMMAND ${READELF} -r ${OBJ} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${READELF} -r ${OBJ} failed")
endif()
if(out MATCHES "Relocation section")
  message(FATAL_ERROR "${OBJ} has relocations; kernels must use no globals and no calls:\n${out}")
endif()
