# libFuzzer harnesses (PADLOCK_FUZZ=ON, clang): tests/fuzz/fuzz_NAME.c is
# the executable fuzz_NAME, with tests/fuzz/common.c. The library is
# already instrumented (fuzzer-no-link, ASan, UBSan: CMakeLists.txt); the
# harnesses add libFuzzer's driver. Seeds: tests/fuzz/corpus/fuzz_NAME/;
# run them with scripts/fuzz.sh (make fuzz-smoke, make fuzz).
file(GLOB FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/fuzz_*.c)
foreach(src ${FUZZ_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src} ${CMAKE_CURRENT_LIST_DIR}/common.c)
  target_include_directories(${name} PRIVATE src tests)
  target_compile_definitions(${name} PRIVATE
    FUZZ_FIXTURE_DIR="${CMAKE_CURRENT_LIST_DIR}/fixtures")
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${name} PRIVATE padlock)
endforeach()
