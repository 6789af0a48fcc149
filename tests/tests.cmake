# Tests mirror src/: tests/LAYER/test_NAME.c is the ctest "LAYER.NAME".
# Each C test is its own executable with a main(); tests/test.h has the
# checks. Script tests (tests/LAYER/test_NAME.py or .sh) run with the paths
# of the built programs in the environment.

file(GLOB TEST_TOOL_SOURCES CONFIGURE_DEPENDS tests/tools/*.c)
foreach(src ${TEST_TOOL_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE src tests)
  target_link_libraries(${name} PRIVATE padlock)
endforeach()

set(PADLOCK_TEST_ENV
    "PADLOCK=$<TARGET_FILE:padlock_cli>"
    "PADLOCK_BUILD_DIR=${CMAKE_BINARY_DIR}"
    "PADLOCK_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
    "PYTHONDONTWRITEBYTECODE=1"
    "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")

file(GLOB_RECURSE TEST_C_SOURCES CONFIGURE_DEPENDS tests/*/test_*.c)
foreach(src ${TEST_C_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  get_filename_component(dir ${src} DIRECTORY)
  get_filename_component(layer ${dir} NAME)
  set(target ${layer}_${name})
  add_executable(${target} ${src})
  target_include_directories(${target} PRIVATE src tests)
  target_link_libraries(${target} PRIVATE padlock)
  string(REGEX REPLACE "^test_" "" short ${name})
  add_test(NAME ${layer}.${short} COMMAND ${target}
           WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(${layer}.${short} PROPERTIES
                       ENVIRONMENT "${PADLOCK_TEST_ENV}" TIMEOUT 300)
endforeach()

file(GLOB_RECURSE TEST_SCRIPTS CONFIGURE_DEPENDS tests/*/test_*.py tests/*/test_*.sh)
foreach(src ${TEST_SCRIPTS})
  get_filename_component(name ${src} NAME_WE)
  # The testssl.sh agreement test compares two tools' verdicts on the same
  # servers; under sanitizers it only gets slower (testssl.sh runs for
  # minutes), while client.check already runs padlock check under them.
  if(PADLOCK_SANITIZE AND name MATCHES "testssl")
    continue()
  endif()
  get_filename_component(ext ${src} LAST_EXT)
  get_filename_component(dir ${src} DIRECTORY)
  get_filename_component(layer ${dir} NAME)
  # tests/dist: what `make install` and `make demo` give a user; the
  # sanitizer build installs nothing (CMakeLists.txt).
  if(PADLOCK_SANITIZE AND layer STREQUAL "dist")
    continue()
  endif()
  string(REGEX REPLACE "^test_" "" short ${name})
  if(ext STREQUAL ".py")
    set(runner python3)
  else()
    set(runner bash)
  endif()
  add_test(NAME ${layer}.${short} COMMAND ${runner} ${src}
           WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(${layer}.${short} PROPERTIES
                       ENVIRONMENT "${PADLOCK_TEST_ENV}" TIMEOUT 600)
endforeach()
