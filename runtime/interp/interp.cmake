# The interpreter and engine selection (prepare_engine): the engine every program can run on.
add_library(bpfjit_interp STATIC
  interp/interpreter.cc
)
target_link_libraries(bpfjit_interp PUBLIC bpfjit_isa PRIVATE bpfjit_spdlog bpfjit_fmt)
bpfjit_warnings(bpfjit_interp)

# Engine selection (prepare_engine): the JIT, or the interpreter when the JIT cannot take
# a program. Above both engines, so neither depends on the other.
add_library(bpfjit_engine STATIC
  engine.cc
)
target_link_libraries(bpfjit_engine PUBLIC bpfjit_interp bpfjit_jit bpfjit_helpers bpfjit_isa
  PRIVATE bpfjit_spdlog bpfjit_fmt)
bpfjit_warnings(bpfjit_engine)
