# The verifier's soundness oracle (test/soundness/): programs on the edge of safety,
# verified, and every accepted one run in checked mode on both engines; a fault is a
# verifier bug. soundness_tests runs a bounded sweep (label `soundness`; about 25 s in
# release, less under the sanitizers); bpfjit-soundness is the long mode.
find_package(Threads REQUIRED)
add_library(bpfjit_soundness STATIC
  soundness/elf_writer.cc
  soundness/gen.cc
  soundness/oracle.cc
  soundness/driver.cc
)
target_include_directories(bpfjit_soundness PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(bpfjit_soundness PUBLIC bpfjit bpfjit_verifier bpfjit_kernel_oracle
                      bpfjit_fmt Threads::Threads)
bpfjit_warnings(bpfjit_soundness)

add_executable(soundness_tests soundness/soundness_test.cc)
target_link_libraries(soundness_tests PRIVATE bpfjit_soundness GTest::gtest_main)
target_compile_definitions(soundness_tests
  PRIVATE BPFJIT_CATALOGUE_DIR="${CMAKE_CURRENT_SOURCE_DIR}/verifier/catalogue"
          BPFJIT_BPF_PROGS_DIR="${BPFJIT_BPF_PROGS_DIR}")
if(TARGET bpf_progs)
  add_dependencies(soundness_tests bpf_progs)
endif()
if(BPFJIT_SANITIZE OR BPFJIT_TSAN)
  target_compile_definitions(soundness_tests PRIVATE BPFJIT_SOUNDNESS_SECONDS=8)
endif()
bpfjit_warnings(soundness_tests)
gtest_discover_tests(soundness_tests PROPERTIES LABELS soundness DISCOVERY_TIMEOUT 60)

add_executable(bpfjit-soundness soundness/soundness_main.cc)
target_link_libraries(bpfjit-soundness PRIVATE bpfjit_soundness)
target_compile_definitions(bpfjit-soundness
  PRIVATE BPFJIT_CATALOGUE_DIR="${CMAKE_CURRENT_SOURCE_DIR}/verifier/catalogue"
          BPFJIT_BPF_PROGS_DIR="${BPFJIT_BPF_PROGS_DIR}")
bpfjit_warnings(bpfjit-soundness)
