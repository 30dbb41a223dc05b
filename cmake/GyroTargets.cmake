# Helpers that give every gyro target the same warnings, sanitizers and test labels.
include_guard(GLOBAL)

# Compile options shared by every gyro target (libraries, tests, benchmarks, examples).
function(gyro_target_defaults target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(GYRO_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(GYRO_NATIVE)
    target_compile_options(${target} PRIVATE -march=native)
  endif()
  if(GYRO_LIBFUZZER AND NOT GYRO_FUZZ_ENGINE)
    # Coverage for libFuzzer in every object (an external engine's flags come in CXXFLAGS).
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
  if(GYRO_FUZZ_SKIP_CHECKSUMS)
    # Checksums skipped so that mutations reach the structural checks behind them.
    target_compile_definitions(${target} PRIVATE FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
  endif()
  if(GYRO_SANITIZE)
    list(JOIN GYRO_SANITIZE "," sanitizers)
    target_compile_options(${target} PRIVATE -fsanitize=${sanitizers} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${sanitizers})
  endif()
endfunction()

# gyro_add_library(name SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
# One library per top-level folder; headers are included as "folder/file.h" from the root.
function(gyro_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(gyro_${name} STATIC ${ARG_SOURCES})
  add_library(gyro::${name} ALIAS gyro_${name})
  target_include_directories(gyro_${name} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>)
  target_link_libraries(gyro_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  set_target_properties(gyro_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  gyro_target_defaults(gyro_${name})
endfunction()

# gyro_add_gtest(name LABEL label SOURCES ... DEPS ...): one GoogleTest binary, each TEST a ctest.
function(gyro_add_gtest name)
  cmake_parse_arguments(ARG "" "LABEL" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  gyro_target_defaults(${name})
  gtest_discover_tests(${name} PROPERTIES LABELS "${ARG_LABEL}" DISCOVERY_TIMEOUT 60)
endfunction()
