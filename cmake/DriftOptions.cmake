# Compiler warnings and sanitizer switches shared by every drift target.
option(DRIFT_WERROR "Treat warnings as errors" OFF)
option(DRIFT_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(DRIFT_FUZZ "Build the libFuzzer targets (clang), every library with fuzzer coverage" OFF)

add_library(drift_options INTERFACE)
target_compile_options(drift_options INTERFACE -Wall -Wextra)
if(DRIFT_WERROR)
  target_compile_options(drift_options INTERFACE -Werror)
endif()
if(DRIFT_SANITIZE)
  target_compile_options(drift_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                 -fno-sanitize-recover=undefined)
  target_link_options(drift_options INTERFACE -fsanitize=address,undefined)
endif()
if(DRIFT_FUZZ)
  target_compile_options(drift_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined
                                                 -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(drift_options INTERFACE -fsanitize=address,undefined)
endif()
target_compile_definitions(drift_options INTERFACE DRIFT_VERSION="${PROJECT_VERSION}")

# drift_library(NAME SOURCES... DEPS ...) declares drift_NAME with the alias drift::NAME.
function(drift_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(drift_${name} STATIC ${ARG_SOURCES})
  add_library(drift::${name} ALIAS drift_${name})
  target_include_directories(drift_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(drift_${name} PUBLIC drift_options ${ARG_DEPS})
endfunction()
