# The interpreter and engine selection (prepare_engine): the engine every program can run on.
add_library(bpfjit_interp STATIC
  interp/interpreter.cc
  engine.cc
)
target_link_libraries(bpfjit_interp PUBLIC bpfjit_isa PRIVATE spdlog::spdlog fmt::fmt)
bpfjit_warnings(bpfjit_interp)
