# The public runtime API (runtime/include/bpfjit/): Runtime, Object, Program. Part of the
# `bpfjit` library that loader/loader.cmake defines.
target_sources(bpfjit PRIVATE api.cc)
