# Replays fuzz/corpus and fuzz/regressions through the fuzz harness in the
# normal build (normal compiler, no libFuzzer), so every crash reproducer ever
# found stays fixed. Included from tests/CMakeLists.txt:
#   include(${PROJECT_SOURCE_DIR}/fuzz/replay.cmake)
add_executable(unitrun_fuzz_replay
  ${PROJECT_SOURCE_DIR}/fuzz/fuzz_unit_parser.cpp
  ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cpp)
target_link_libraries(unitrun_fuzz_replay PRIVATE unitrun_core)

add_test(NAME "fuzz: replay corpus"
         COMMAND unitrun_fuzz_replay ${PROJECT_SOURCE_DIR}/fuzz/corpus ${PROJECT_SOURCE_DIR}/fuzz/regressions)
set_tests_properties("fuzz: replay corpus" PROPERTIES LABELS unit)
