# Warnings for our own targets (not for third-party code).
function(bpfjit_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wswitch-enum -Wno-unused-parameter)
endfunction()
