# The public runtime API (runtime/include/bpfjit/): Runtime, Object, Program, Map. Part of
# the `bpfjit` library that loader/loader.cmake defines. Programs are verified before they
# run, so the API sits above the verifier.
target_sources(bpfjit PRIVATE api.cc map_api.cc)
target_compile_definitions(bpfjit PRIVATE BPFJIT_VERSION="${PROJECT_VERSION}")
target_link_libraries(bpfjit PUBLIC bpfjit_verifier)
